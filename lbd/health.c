// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * health.c - HEALTH from hcd: transitions gathered while they arrive in a
 * burst, written to backend_health in one transaction, then applied in one
 * pass over the services whose backend moved between down and not down.
 *
 * backend_health carries no revision triggers (it is runtime state, not
 * configuration), so the services to recompute come from the touched
 * backends themselves, through backend_by_address.  A backend row takes
 * the health of its own check, else its service's (desired.c): a report
 * reaches exactly the services whose rows use that check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lbd.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"

/* After a failed write or pass, try again this much later. */
#define RETRY_MS 1000

#define OLD_SQL \
	"SELECT status FROM backend_health WHERE address = ?1 " \
	"AND backend_port = ?2 AND health_check = ?3"
/* `since` moves only when the status does. */
#define PUT_SQL \
	"INSERT INTO backend_health (address, backend_port, health_check, " \
	"status, reason, latency_us, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) " \
	"ON CONFLICT (address, backend_port, health_check) DO UPDATE SET " \
	"status = excluded.status, reason = excluded.reason, " \
	"latency_us = excluded.latency_us, since = CASE WHEN status = " \
	"excluded.status THEN since ELSE excluded.since END"
#define USERS_SQL \
	"SELECT b.vip || ' ' || b.proto || ' ' || b.port FROM backend b " \
	"JOIN service s ON s.vip = b.vip AND s.proto = b.proto " \
	"AND s.port = b.port WHERE b.address = ?1 AND b.backend_port = ?2 " \
	"AND coalesce(b.health_check, s.health_check) = ?3"

static void now_text(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(buf + n, len - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

static int grow(struct lbd_health *h, size_t more)
{
	struct lbd_htr *tr;
	size_t cap = h->cap ? h->cap : 256;

	if (h->n + more <= h->cap)
		return 0;
	while (cap < h->n + more)
		cap *= 2;
	tr = realloc(h->tr, cap * sizeof(*tr));
	if (!tr)
		return -ENOMEM;
	h->tr = tr;
	h->cap = cap;
	return 0;
}

int lbd_health_take(struct lbd_health *h, const struct xlb_msg *msg)
{
	struct xlb_msg_iter it;
	char since[32];
	double now = lbd_now_ms();
	int err = xlb_msg_iter_init(&it, msg);

	if (!err && !msg->batch.count) /* a heartbeat: nothing to apply */
		return 0;
	if (!err)
		err = grow(h, msg->batch.count);
	if (err)
		return err;
	now_text(since, sizeof(since));
	while (!(err = xlb_msg_health_next(&it, &h->tr[h->n].tr))) {
		memcpy(h->tr[h->n].since, since, sizeof(since));
		h->tr[h->n].order = (uint32_t)h->n;
		h->n++;
	}
	if (err != -ENOENT)
		return err;
	if (!h->frames++)
		h->first_ms = now;
	h->last_ms = now;
	return 0;
}

double lbd_health_due(const struct lbd_health *h)
{
	double quiet, max;

	if (h->nretry)
		return h->retry_at;
	if (!h->n)
		return 0;
	quiet = h->last_ms + LBD_HEALTH_QUIET_MS;
	max = h->first_ms + LBD_HEALTH_MAX_MS;
	return quiet < max ? quiet : max;
}

/* Orders by backend and check, then arrival. */
static int tr_cmp(const void *pa, const void *pb)
{
	const struct lbd_htr *a = pa, *b = pb;
	int c;

	if (a->tr.family != b->tr.family)
		return a->tr.family < b->tr.family ? -1 : 1;
	c = memcmp(&a->tr.addr, &b->tr.addr, sizeof(a->tr.addr));
	if (!c && a->tr.port != b->tr.port)
		c = a->tr.port < b->tr.port ? -1 : 1;
	if (!c)
		c = strcmp(a->tr.check, b->tr.check);
	if (!c && a->order != b->order)
		c = a->order < b->order ? -1 : 1;
	return c;
}

/* Keeps the last transition of each (backend, check); returns the count. */
static size_t last_words(struct lbd_htr *tr, size_t n)
{
	size_t out = 0;

	qsort(tr, n, sizeof(*tr), tr_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && tr[i].tr.family == tr[i + 1].tr.family &&
		    !memcmp(&tr[i].tr.addr, &tr[i + 1].tr.addr,
			    sizeof(tr[i].tr.addr)) &&
		    tr[i].tr.port == tr[i + 1].tr.port &&
		    !strcmp(tr[i].tr.check, tr[i + 1].tr.check))
			continue;
		tr[out++] = tr[i];
	}
	return out;
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **q)
{
	if (*q)
		return 0;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
			       NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EIO, "health: %s", sqlite3_errmsg(db));
	return 0;
}

static void bind_key(sqlite3_stmt *q, const char *addr,
		     const struct xlb_health_tr *tr)
{
	sqlite3_bind_text(q, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, tr->port);
	sqlite3_bind_text(q, 3, tr->check, -1, SQLITE_STATIC);
}

static int sql_fail(sqlite3 *db, sqlite3_stmt *q)
{
	int err = xlb_errmsg_set(-EIO, "backend_health: %s",
				 sqlite3_errmsg(db));

	sqlite3_reset(q);
	return err;
}

/* 1 when the backend was down before this report, else 0. */
static int was_down(sqlite3 *db, sqlite3_stmt *q, const char *addr,
		    const struct xlb_health_tr *tr)
{
	int rc, down = 0;

	bind_key(q, addr, tr);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(q, 0);

		down = s && !strcmp(s, "down");
	} else if (rc != SQLITE_DONE) {
		return sql_fail(db, q);
	}
	sqlite3_reset(q);
	return down;
}

static int put(sqlite3 *db, sqlite3_stmt *q, const char *addr,
	       const struct lbd_htr *h)
{
	bind_key(q, addr, &h->tr);
	sqlite3_bind_text(q, 4, h->tr.state == XLB_HEALTH_DOWN ? "down" : "up",
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, xlb_health_reason_name(h->tr.reason), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, h->tr.latency_us);
	sqlite3_bind_text(q, 7, h->since, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return sql_fail(db, q);
	sqlite3_reset(q);
	return 0;
}

struct keys {
	char **k;
	size_t n, cap;
};

static int keys_add(struct keys *ks, const char *text)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		char **k = realloc(ks->k, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		ks->k = k;
		ks->cap = cap;
	}
	ks->k[ks->n] = strdup(text);
	return ks->k[ks->n] ? (ks->n++, 0) : -ENOMEM;
}

static void keys_free(char **k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i]);
	free(k);
}

/* The services whose rows of (backend, check) take this report. */
static int users(sqlite3 *db, sqlite3_stmt *q, const char *addr,
		 const struct xlb_health_tr *tr, struct keys *ks)
{
	int rc = SQLITE_DONE, err = 0;

	bind_key(q, addr, tr);
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = keys_add(ks, (const char *)sqlite3_column_text(q, 0));
	if (!err && rc != SQLITE_DONE)
		return sql_fail(db, q);
	sqlite3_reset(q);
	return err;
}

static int write_one(struct lbd_health *h, sqlite3 *db,
		     const struct lbd_htr *tr, struct keys *ks, size_t *moved)
{
	char addr[XLB_ADDR_STRLEN];
	int down;

	xlb_addr_format(&tr->tr.addr, tr->tr.family, addr, sizeof(addr));
	down = was_down(db, h->old, addr, &tr->tr);
	if (down < 0)
		return down;
	if (put(db, h->put, addr, tr))
		return -EIO;
	if (down == (tr->tr.state == XLB_HEALTH_DOWN))
		return 0;
	(*moved)++;
	return users(db, h->users, addr, &tr->tr, ks);
}

/* One transaction: every report written, the services to apply listed. */
static int write_all(struct lbd_health *h, sqlite3 *db, size_t n,
		     struct keys *ks, size_t *moved)
{
	int err = prep(db, OLD_SQL, &h->old);

	if (!err)
		err = prep(db, PUT_SQL, &h->put);
	if (!err)
		err = prep(db, USERS_SQL, &h->users);
	if (!err)
		err = xlb_db_exec(db, "BEGIN IMMEDIATE");
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = write_one(h, db, &h->tr[i], ks, moved);
	if (!err)
		err = xlb_db_exec(db, "COMMIT");
	if (err && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* One pass over the services listed; kept for a retry when it fails. */
static int apply(struct lbd *l, char **keys, size_t n, size_t reports,
		 unsigned int frames, size_t moved, double write_ms)
{
	struct lbd_health *h = &l->bus->hb;
	struct lbd_pass_stats ps;
	int err;

	n = lbd_keys_unique(keys, n);
	err = lbd_reconcile_keys(l, keys, n, l->applied_rev, &ps);
	if (err) {
		h->retry = keys;
		h->nretry = n;
		h->retry_at = lbd_now_ms() + RETRY_MS;
		return err;
	}
	lbd_log(LBD_INFO, "health pass: %zu reports in %u messages, %zu "
		"backends moved, %zu services, %llu map writes, %.1f ms, %zu "
		"tables built (written to backend_health in %.1f ms before)",
		reports, frames, moved, ps.services,
		(unsigned long long)ps.writes, ps.ms, ps.tables, write_ms);
	keys_free(keys, n);
	return 0;
}

int lbd_health_flush(struct lbd *l)
{
	struct lbd_health *h = &l->bus->hb;
	struct keys ks = { 0 };
	size_t n, moved = 0;
	unsigned int frames = h->frames;
	double t0;
	int err;

	if (h->nretry) { /* written before: only the pass is missing */
		char **keys = h->retry;

		n = h->nretry;
		h->retry = NULL;
		h->nretry = 0;
		err = apply(l, keys, n, 0, 0, 0, 0);
		if (err)
			return err;
	}
	if (!h->n)
		return 0;
	t0 = lbd_now_ms();
	n = last_words(h->tr, h->n);
	err = write_all(h, l->db, n, &ks, &moved);
	if (err) { /* the batch stays; later reports join it */
		h->n = n;
		h->last_ms = h->first_ms = lbd_now_ms() + RETRY_MS;
		keys_free(ks.k, ks.n);
		return err;
	}
	h->n = 0;
	h->frames = 0;
	if (!ks.n) {
		lbd_log(LBD_DEBUG, "health: %zu reports, no backend moved", n);
		free(ks.k);
		return 0;
	}
	return apply(l, ks.k, ks.n, n, frames, moved, lbd_now_ms() - t0);
}

void lbd_health_free(struct lbd_health *h)
{
	sqlite3_finalize(h->old);
	sqlite3_finalize(h->put);
	sqlite3_finalize(h->users);
	keys_free(h->retry, h->nretry);
	free(h->tr);
	memset(h, 0, sizeof(*h));
}
