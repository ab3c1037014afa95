// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config.c - what to check, from the database, read-only.
 *
 * A backend row is checked by its own health_check, else its service's.
 * The report's key is the row's (address, backend_port, check name)
 * exactly as lbd matches it against backend_health (lbd/desired.c), so a
 * backend_port of 0 stays 0 in the key.  The port probed is the check's
 * port, else the row's backend_port, else - for 0, "the service's port"
 * under direct server return - the service's port.
 *
 * A row with backend_port 0 in services of several ports is one key but
 * several targets (one per port probed): its verdict is down when any of
 * them is down (state.c), since lbd applies one verdict to all its rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcd.h"
#include "xlb_errmsg.h"

#define CHECKS_SQL \
	"SELECT name, type, port, method, path, host, expect_status, " \
	"expect_body, send, tls_verify, interval_ms, timeout_ms, rise, fall, " \
	"source FROM health_check ORDER BY name"
#define ROWS_SQL \
	"SELECT b.address, b.backend_port, s.port, " \
	"coalesce(b.health_check, s.health_check) AS hc FROM backend b " \
	"JOIN service s ON s.vip = b.vip AND s.proto = b.proto " \
	"AND s.port = b.port WHERE hc IS NOT NULL"

#define SKIP_LOG_MAX 5 /* rows logged per load; the rest are counted */

struct check {
	char name[XLB_MSG_CHECK_MAX + 1];
	const struct hcd_params *params; /* NULL: the check is unusable */
	int port, rise, fall;
};

struct checks {
	struct check *v;
	size_t n;
};

int hcd_db_open(const char *path, sqlite3 **db)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);

	if (rc != SQLITE_OK) {
		int err = xlb_errmsg_set(-EIO, "%s: %s", path,
					 *db ? sqlite3_errmsg(*db)
					     : sqlite3_errstr(rc));

		sqlite3_close(*db);
		*db = NULL;
		return err;
	}
	sqlite3_busy_timeout(*db, 5000);
	return 0;
}

void hcd_specs_free(struct hcd_specs *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int sql_err(sqlite3 *db, sqlite3_stmt *q)
{
	int err = xlb_errmsg_set(-EIO, "reading checks: %s",
				 sqlite3_errmsg(db));

	sqlite3_finalize(q);
	return err;
}

static const char *col(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

static void read_row(sqlite3_stmt *q, struct hcd_check_row *r)
{
	r->name = col(q, 0);
	r->type = col(q, 1);
	r->port = sqlite3_column_int(q, 2);
	r->method = col(q, 3);
	r->path = col(q, 4);
	r->host = col(q, 5);
	r->expect_status = col(q, 6);
	r->expect_body = col(q, 7);
	r->send = sqlite3_column_blob(q, 8);
	r->send_len = sqlite3_column_bytes(q, 8);
	r->tls_verify = sqlite3_column_int(q, 9);
	r->interval_ms = sqlite3_column_int(q, 10);
	r->timeout_ms = sqlite3_column_int(q, 11);
	r->rise = sqlite3_column_int(q, 12);
	r->fall = sqlite3_column_int(q, 13);
	r->source = col(q, 14);
}

static int add_check(struct checks *cs, size_t *cap, struct hcd_interns *in,
		     sqlite3_stmt *q)
{
	struct hcd_check_row r;
	struct check *c;
	int err;

	if (cs->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;

		c = realloc(cs->v, ncap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		cs->v = c;
		*cap = ncap;
	}
	read_row(q, &r);
	if (!r.name)
		return 0;
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", r.name);
	c->port = r.port;
	c->rise = r.rise < 1 ? 1 : r.rise > 100 ? 100 : r.rise;
	c->fall = r.fall < 1 ? 1 : r.fall > 100 ? 100 : r.fall;
	err = hcd_params_intern(in, &r, &c->params);
	if (err == -ENOMEM)
		return err;
	if (err) {
		xlb_log(XLB_LOG_ERR, "%s; its backends are not checked",
			xlb_errmsg());
		c->params = NULL;
	}
	return 0;
}

static int load_checks(sqlite3 *db, struct hcd_interns *in,
		       struct checks *cs)
{
	sqlite3_stmt *q;
	size_t cap = 0;
	int rc, err = 0;

	if (sqlite3_prepare_v2(db, CHECKS_SQL, -1, &q, NULL) != SQLITE_OK)
		return sql_err(db, NULL);
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = add_check(cs, &cap, in, q);
	if (err) {
		sqlite3_finalize(q);
		return err;
	}
	if (rc != SQLITE_DONE)
		return sql_err(db, q);
	sqlite3_finalize(q);
	return 0;
}

static int by_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct check *)elem)->name);
}

static int grow(struct hcd_specs *s)
{
	size_t cap;
	struct hcd_spec *v;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 1024;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

static void skip(struct hcd_specs *s, const char *addr, int bport,
		 const char *check, const char *why)
{
	if (s->skipped++ < SKIP_LOG_MAX)
		xlb_log(XLB_LOG_WARN, "backend %s %d, check %s: %s; not checked",
			addr, bport, check, why);
}

/* The key of a row: its address must be spelled as lbd spells it, or
 * lbd could never match the report to the row. */
static int parse_key(const char *addr, int bport, const char *check,
		     struct hcd_key *k)
{
	char again[XLB_ADDR_STRLEN];

	memset(k, 0, sizeof(*k));
	if (xlb_addr_parse(addr, &k->addr, &k->family) ||
	    xlb_addr_format(&k->addr, k->family, again, sizeof(again)) < 0 ||
	    strcmp(again, addr))
		return -EINVAL;
	k->port = (uint16_t)bport;
	snprintf(k->check, sizeof(k->check), "%s", check);
	return 0;
}

static int add_row(struct hcd_specs *s, const struct checks *cs,
		   sqlite3_stmt *q)
{
	const char *addr = col(q, 0), *name = col(q, 3);
	int bport = sqlite3_column_int(q, 1), sport = sqlite3_column_int(q, 2);
	const struct check *c = bsearch(name, cs->v, cs->n, sizeof(*cs->v),
					by_name);
	struct hcd_spec *sp;
	int port;

	if (!addr || !c || !c->params)
		return 0; /* a check hcd could not take: logged with it */
	port = c->port ? c->port : bport ? bport : sport;
	if (c->params->type == HCD_ICMP)
		port = 0;
	else if (!port) {
		skip(s, addr, bport, name, "no port to probe (all-ports "
		     "service, backend_port 0, check without port)");
		return 0;
	}
	if (grow(s))
		return -ENOMEM;
	sp = &s->v[s->n];
	memset(sp, 0, sizeof(*sp)); /* specs are compared byte by byte */
	if (parse_key(addr, bport, name, &sp->key)) {
		skip(s, addr, bport, name, "address not in canonical form");
		return 0;
	}
	sp->params = c->params;
	sp->probe_port = (uint16_t)port;
	sp->rise = (uint8_t)c->rise;
	sp->fall = (uint8_t)c->fall;
	s->n++;
	return 0;
}

static int spec_cmp(const void *pa, const void *pb)
{
	const struct hcd_spec *a = pa, *b = pb;

	return memcmp(a, b, sizeof(*a));
}

/* 2,000 services sharing a backend give 2,000 equal specs: one stays. */
static void unique(struct hcd_specs *s)
{
	size_t out = 0, keys = 0;

	qsort(s->v, s->n, sizeof(*s->v), spec_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (out && !spec_cmp(&s->v[out - 1], &s->v[i]))
			continue;
		if (!out || memcmp(&s->v[out - 1].key, &s->v[i].key,
				   sizeof(s->v[i].key)))
			keys++;
		s->v[out++] = s->v[i];
	}
	s->n = out;
	s->keys = keys;
}

static int load_rows(sqlite3 *db, const struct checks *cs,
		     struct hcd_specs *s)
{
	sqlite3_stmt *q;
	int rc, err = 0;

	if (sqlite3_prepare_v2(db, ROWS_SQL, -1, &q, NULL) != SQLITE_OK)
		return sql_err(db, NULL);
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = add_row(s, cs, q);
	if (err) {
		sqlite3_finalize(q);
		return xlb_errmsg_set(err, "reading checks: out of memory");
	}
	if (rc != SQLITE_DONE)
		return sql_err(db, q);
	sqlite3_finalize(q);
	return 0;
}

int hcd_config_load(sqlite3 *db, struct hcd_interns *in,
		    struct hcd_specs *out)
{
	struct checks cs = { 0 };
	struct hcd_specs s = { 0 };
	int err;

	/* One read transaction: checks and rows from the same commit. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return sql_err(db, NULL);
	err = load_checks(db, in, &cs);
	if (!err)
		err = load_rows(db, &cs, &s);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	free(cs.v);
	if (err) {
		hcd_specs_free(&s);
		return err;
	}
	unique(&s);
	if (s.skipped > SKIP_LOG_MAX)
		xlb_log(XLB_LOG_WARN, "%zu backend rows not checked in all",
			s.skipped);
	*out = s;
	return 0;
}
