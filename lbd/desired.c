// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * desired.c - one service as the database wants it: its row, its backend
 * rows and, for each backend, the health hcd last reported for the check
 * that applies (the backend's, else the service's; none: up), taken from
 * the health in memory (hmem.c), which backend_health follows.
 *
 * A service applied once keeps its rows (state.c, lbd_crow): a health
 * pass rebuilds its job from them instead of reading the database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lbd.h"
#include "xlb_errmsg.h"

#define SVC_SQL \
	"SELECT ring_size, hash, health_check, panic_threshold FROM service " \
	"WHERE vip = ?1 AND proto = ?2 AND port = ?3"
#define ROWS_SQL \
	"SELECT b.address, b.backend_port, b.weight, b.state, " \
	"  coalesce(b.health_check, ?4) " \
	"FROM backend b WHERE b.vip = ?1 AND b.proto = ?2 AND b.port = ?3"
#define KEYS_SQL "SELECT vip || ' ' || proto || ' ' || port FROM service"

struct lbd_desired {
	sqlite3 *db;
	sqlite3_stmt *svc, *rows, *keys;
};

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **q)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
			       NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EIO, "prepare: %s", sqlite3_errmsg(db));
	return 0;
}

int lbd_desired_open(sqlite3 *db, struct lbd_desired **out)
{
	struct lbd_desired *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	d->db = db;
	err = prep(db, SVC_SQL, &d->svc);
	if (!err)
		err = prep(db, ROWS_SQL, &d->rows);
	if (!err)
		err = prep(db, KEYS_SQL, &d->keys);
	if (err) {
		lbd_desired_close(d);
		return err;
	}
	*out = d;
	return 0;
}

void lbd_desired_close(struct lbd_desired *d)
{
	if (!d)
		return;
	sqlite3_finalize(d->svc);
	sqlite3_finalize(d->rows);
	sqlite3_finalize(d->keys);
	free(d);
}

static int sql_err(struct lbd_desired *d, sqlite3_stmt *q)
{
	int err = xlb_errmsg_set(-EIO, "reading desired state: %s",
				 sqlite3_errmsg(d->db));

	sqlite3_reset(q);
	return err;
}

int lbd_desired_keys(struct lbd_desired *d, char ***keys, size_t *n)
{
	char **k = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(d->keys)) == SQLITE_ROW) {
		if (cnt == cap) {
			char **nk;

			cap = cap ? cap * 2 : 256;
			nk = realloc(k, cap * sizeof(*k));
			if (!nk)
				break;
			k = nk;
		}
		k[cnt] = strdup((const char *)sqlite3_column_text(d->keys, 0));
		if (!k[cnt])
			break;
		cnt++;
	}
	sqlite3_reset(d->keys);
	*keys = k;
	*n = cnt;
	if (rc != SQLITE_DONE) /* ENOMEM or an SQL error: caller frees */
		return rc == SQLITE_ROW ? -ENOMEM : sql_err(d, d->keys);
	return 0;
}

/* "vip proto port" -> job fields.  The text comes from the database's
 * own log or rows, so a shape it cannot have is an internal error. */
static int split_key(struct lbd_job *job)
{
	char vip[sizeof(job->vip)], proto[sizeof(job->proto)];
	int port;

	if (sscanf(job->text, "%53s %7s %d", vip, proto, &port) != 3)
		return xlb_errmsg_set(-EINVAL, "service key \"%s\" is not "
				      "\"vip proto port\"", job->text);
	memcpy(job->vip, vip, sizeof(vip));
	memcpy(job->proto, proto, sizeof(proto));
	job->port = port;
	return 0;
}

static void bind_key(sqlite3_stmt *q, const struct lbd_job *job)
{
	sqlite3_bind_text(q, 1, job->vip, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, job->proto, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, job->port);
}

static enum lbd_admin admin_of(const char *s)
{
	if (s && !strcmp(s, "drain"))
		return LBD_ADMIN_DRAIN;
	if (s && !strcmp(s, "maint"))
		return LBD_ADMIN_MAINT;
	return LBD_ADMIN_ACTIVE;
}

/* The row's health: its address parsed here only to look it up;
 * validate.c still judges the spelling. */
static bool row_down(const struct lbd_hmem *hm, const struct lbd_row *r)
{
	struct lbd_hkey k = { .port = r->be.port, .check = r->check };

	if (!r->check || xlb_addr_parse(r->address, &k.addr, &k.family))
		return false;
	return lbd_hmem_down(hm, &k);
}

static void read_row(sqlite3_stmt *q, struct lbd_hmem *hm, struct lbd_row *r)
{
	const char *addr = (const char *)sqlite3_column_text(q, 0);

	memset(r, 0, sizeof(*r));
	snprintf(r->address, sizeof(r->address), "%s", addr ? addr : "");
	r->be.port = (__u16)sqlite3_column_int(q, 1);
	r->weight = (uint32_t)sqlite3_column_int64(q, 2);
	r->admin = admin_of((const char *)sqlite3_column_text(q, 3));
	r->check = lbd_hmem_check(hm, (const char *)sqlite3_column_text(q, 4));
	r->health_down = row_down(hm, r);
}

static int read_rows(struct lbd_desired *d, struct lbd_hmem *hm,
		     struct lbd_job *job, const char *check)
{
	size_t cap = 0;
	int rc;

	bind_key(d->rows, job);
	sqlite3_bind_text(d->rows, 4, check, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(d->rows)) == SQLITE_ROW) {
		if (job->nrows == cap) {
			struct lbd_row *r;

			cap = cap ? cap * 2 : 8;
			r = realloc(job->rows, cap * sizeof(*r));
			if (!r) {
				sqlite3_reset(d->rows);
				return -ENOMEM;
			}
			job->rows = r;
		}
		read_row(d->rows, hm, &job->rows[job->nrows++]);
	}
	if (rc != SQLITE_DONE)
		return sql_err(d, d->rows);
	sqlite3_reset(d->rows);
	return 0;
}

int lbd_desired_read(struct lbd_desired *d, struct lbd_hmem *hm,
		     struct lbd_job *job)
{
	const char *hash, *check;
	int rc, err = split_key(job);

	if (err)
		return err;
	bind_key(d->svc, job);
	rc = sqlite3_step(d->svc);
	if (rc == SQLITE_DONE) {
		job->present = false;
		sqlite3_reset(d->svc);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return sql_err(d, d->svc);
	job->present = true;
	job->ring_size = (uint32_t)sqlite3_column_int64(d->svc, 0);
	hash = (const char *)sqlite3_column_text(d->svc, 1);
	job->flags = hash && !strcmp(hash, "src") ? XLB_SVC_F_HASH_SRC : 0;
	check = (const char *)sqlite3_column_text(d->svc, 2);
	job->panic_thr = sqlite3_column_type(d->svc, 3) == SQLITE_NULL ? -1 :
			 sqlite3_column_int(d->svc, 3);
	err = read_rows(d, hm, job, check);
	sqlite3_reset(d->svc);
	return err;
}

static void job_key_text(const struct lbd_svc *s, struct lbd_job *job)
{
	char vip[XLB_ADDR_STRLEN];

	xlb_addr_format(&s->key.addr, s->key.family, vip, sizeof(vip));
	snprintf(job->text, sizeof(job->text), "%s %s %u", vip,
		 xlb_proto_name(s->key.proto), ntohs(s->key.port));
}

int lbd_job_from_cache(const struct lbd_state *st, const struct lbd_hmem *hm,
		       uint32_t svc_id, struct lbd_job *job)
{
	const struct lbd_svc *s = &st->svc[svc_id];

	memset(job, 0, sizeof(*job));
	job_key_text(s, job);
	job->rows = calloc(s->nrows ? s->nrows : 1, sizeof(*job->rows));
	if (!job->rows)
		return -ENOMEM;
	job->present = job->cached = true;
	job->key = s->key;
	job->svc_id = svc_id;
	job->ring_size = s->want_ring;
	job->flags = s->flags;
	job->panic_thr = s->panic_thr;
	job->nrows = s->nrows;
	for (size_t i = 0; i < s->nrows; i++) {
		const struct lbd_crow *c = &s->rows[i];
		struct lbd_row *r = &job->rows[i];
		struct lbd_hkey k = { .addr = c->be.addr, .port = c->be.port,
				      .family = c->be.family,
				      .check = c->check };

		r->be = c->be;
		r->weight = c->weight;
		r->admin = (enum lbd_admin)c->admin;
		r->check = c->check;
		r->id = c->id;
		r->health_down = c->check && lbd_hmem_down(hm, &k);
	}
	return 0;
}

void lbd_job_clear(struct lbd_job *job)
{
	free(job->bes);
	free(job->rows);
	free(job->table);
	memset(job, 0, sizeof(*job));
}
