// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * health.c - HEALTH from hcd: transitions gathered while they arrive in a
 * burst, taken into the health in memory (hmem.c), applied in one pass
 * over the services whose backend moved between down and not down, and
 * only then written to backend_health, with vip_state and service_panic,
 * in one transaction LBD_PERSIST_MS later (or when lbd-ctl's SYNC or
 * SIGTERM asks): the tables are switched and VIP readiness is published
 * before any SQL is written, and the shell still sees what lbd applied
 * a few milliseconds later.
 *
 * The services to recompute come from the rows each service was last
 * applied from (lbd_svc.rows): a row takes the health of its own check,
 * else its service's, so a report reaches exactly the services whose rows
 * use that check, and the pass reads nothing from the database.
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

/* `since` moves only when the status does. */
#define PUT_SQL \
	"INSERT INTO backend_health (address, backend_port, health_check, " \
	"status, reason, latency_us, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) " \
	"ON CONFLICT (address, backend_port, health_check) DO UPDATE SET " \
	"status = excluded.status, reason = excluded.reason, " \
	"latency_us = excluded.latency_us, since = CASE WHEN status = " \
	"excluded.status THEN since ELSE excluded.since END"
/* However busy hcd is, the database is at most this much behind. */
#define PERSIST_MAX_MS 500

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
	double now = xlb_now_ms();
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

static int sql_fail(sqlite3 *db, sqlite3_stmt *q)
{
	int err = xlb_errmsg_set(-EIO, "backend_health: %s",
				 sqlite3_errmsg(db));

	sqlite3_reset(q);
	return err;
}

static int put(sqlite3 *db, sqlite3_stmt *q, const struct lbd_htr *h)
{
	char addr[XLB_ADDR_STRLEN];

	xlb_addr_format(&h->tr.addr, h->tr.family, addr, sizeof(addr));
	sqlite3_bind_text(q, 1, addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 2, h->tr.port);
	sqlite3_bind_text(q, 3, h->tr.check, -1, SQLITE_STATIC);
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

/* ---- into memory ------------------------------------------------------------ */

static int hkey_cmp(const void *pa, const void *pb)
{
	const struct lbd_hkey *a = pa, *b = pb;
	int c;

	if (a->check != b->check)
		return a->check < b->check ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	c = memcmp(&a->addr, &b->addr, sizeof(a->addr));
	return c;
}

/* The reports queued for backend_health, which outlive the batch. */
static int queue_done(struct lbd_health *h, const struct lbd_htr *tr,
		      size_t n)
{
	if (h->ndone + n > h->capdone) {
		size_t cap = h->capdone ? h->capdone : 256;
		struct lbd_htr *d;

		while (cap < h->ndone + n)
			cap *= 2;
		d = realloc(h->done, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		h->done = d;
		h->capdone = cap;
	}
	memcpy(h->done + h->ndone, tr, n * sizeof(*tr));
	h->ndone += n;
	return 0;
}

/* Takes tr[0..n-1] into memory; the keys that moved between down and
 * not down into *moved (sorted), their count returned (or -errno). */
static long take_in(struct lbd *l, const struct lbd_htr *tr, size_t n,
		    struct lbd_hkey **moved)
{
	struct lbd_hkey *mv = malloc((n ? n : 1) * sizeof(*mv));
	size_t k = 0;

	if (!mv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct lbd_hkey key = { .addr = tr[i].tr.addr,
					.family = tr[i].tr.family,
					.port = tr[i].tr.port };
		bool down = tr[i].tr.state == XLB_HEALTH_DOWN;
		int was;

		key.check = lbd_hmem_check(&l->health, tr[i].tr.check);
		was = key.check ? lbd_hmem_set(&l->health, &key, down) : -ENOMEM;
		if (was < 0) {
			free(mv);
			return xlb_errmsg_set(was, "health: out of memory");
		}
		if (was != down)
			mv[k++] = key;
	}
	qsort(mv, k, sizeof(*mv), hkey_cmp);
	*moved = mv;
	return (long)k;
}

/* The live services with a row on a moved (backend, check). */
static int users(const struct lbd_state *st, const struct lbd_hkey *mv,
		 size_t nmv, uint32_t **ids, size_t *n)
{
	uint32_t *out = NULL;
	size_t cnt = 0, cap = 0;

	for (uint32_t id = 1; id <= st->m.max_svc_id; id++) {
		const struct lbd_svc *s = &st->svc[id];

		if (!s->live)
			continue;
		for (size_t i = 0; i < s->nrows; i++) {
			const struct lbd_crow *r = &s->rows[i];
			struct lbd_hkey k = { .addr = r->be.addr,
					      .family = r->be.family,
					      .port = r->be.port,
					      .check = r->check };

			if (!r->check ||
			    !bsearch(&k, mv, nmv, sizeof(*mv), hkey_cmp))
				continue;
			if (cnt == cap) {
				uint32_t *o;

				cap = cap ? cap * 2 : 256;
				o = realloc(out, cap * sizeof(*o));
				if (!o) {
					free(out);
					return -ENOMEM;
				}
				out = o;
			}
			out[cnt++] = id;
			break;
		}
	}
	*ids = out;
	*n = cnt;
	return 0;
}

/* ---- applied ------------------------------------------------------------------ */

static void persist_soon(struct lbd_health *h)
{
	if (!h->persist_at)
		h->persist_at = xlb_now_ms() + LBD_PERSIST_MS;
}

/* One pass over the services listed; kept for a retry when it fails. */
static int apply(struct lbd *l, uint32_t *ids, size_t n, size_t reports,
		 unsigned int frames, size_t moved, double take_ms)
{
	struct lbd_health *h = &l->bus->hb;
	struct lbd_pass_stats ps;
	int err = lbd_reconcile_cached(l, ids, n, &ps);

	if (err) {
		h->retry = ids;
		h->nretry = n;
		h->retry_at = xlb_now_ms() + RETRY_MS;
		return err;
	}
	xlb_log(XLB_LOG_INFO, "health pass: %zu reports in %u messages, %zu "
		"backends moved, %zu services, %llu map writes, %.1f ms, %zu "
		"tables built (taken in %.1f ms before)", reports, frames,
		moved, ps.services, (unsigned long long)ps.writes, ps.ms,
		ps.tables, take_ms);
	free(ids);
	return 0;
}

int lbd_health_flush(struct lbd *l)
{
	struct lbd_health *h = &l->bus->hb;
	struct lbd_hkey *mv = NULL;
	unsigned int frames = h->frames;
	uint32_t *ids = NULL;
	size_t n, nids = 0;
	double t0;
	long moved;
	int err;

	if (h->nretry) { /* taken before: only the pass is missing */
		ids = h->retry;
		n = h->nretry;
		h->retry = NULL;
		h->nretry = 0;
		err = apply(l, ids, n, 0, 0, 0, 0);
		if (err)
			return err;
	}
	if (!h->n)
		return 0;
	t0 = xlb_now_ms();
	n = last_words(h->tr, h->n);
	moved = take_in(l, h->tr, n, &mv);
	if (moved < 0)
		return (int)moved; /* the batch stays */
	err = queue_done(h, h->tr, n);
	h->n = 0;
	h->frames = 0;
	persist_soon(h);
	if (err)
		xlb_log(XLB_LOG_ERR, "health: out of memory: %zu reports will not "
			"reach backend_health", n);
	err = moved ? users(&l->st, mv, (size_t)moved, &ids, &nids) : 0;
	free(mv);
	if (err)
		return xlb_errmsg_set(err, "health: out of memory");
	if (!nids) {
		xlb_log(XLB_LOG_DEBUG, "health: %zu reports, %ld moved, no service "
			"changes", n, moved);
		free(ids);
		return 0;
	}
	return apply(l, ids, nids, n, frames, (size_t)moved,
		     xlb_now_ms() - t0);
}

/* ---- then written -------------------------------------------------------------- */

static int persist_all(struct lbd *l, struct lbd_health *h)
{
	int err = prep(l->db, PUT_SQL, &h->put);

	if (!err)
		err = xlb_db_exec(l->db, "BEGIN IMMEDIATE");
	if (err)
		return err;
	for (size_t i = 0; i < h->ndone && !err; i++)
		err = put(l->db, h->put, &h->done[i]);
	if (!err)
		err = lbd_record_runtime(l->db, &l->st);
	if (!err)
		err = xlb_db_exec(l->db, "COMMIT");
	if (err && !sqlite3_get_autocommit(l->db)) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		lbd_record_forget(&l->st);
	}
	return err;
}

int lbd_health_persist(struct lbd *l)
{
	struct lbd_health *h = l->bus ? &l->bus->hb : NULL;
	double t0 = xlb_now_ms();
	size_t n;
	int err;

	if (!h || !h->persist_at)
		return 0;
	n = h->ndone;
	err = persist_all(l, h);
	if (err) {
		h->persist_at = xlb_now_ms() + RETRY_MS;
		return err;
	}
	h->ndone = 0;
	h->persist_at = 0;
	xlb_log(XLB_LOG_INFO, "backend_health: %zu reports written in %.1f ms "
		"(with vip_state, service_panic)", n, xlb_now_ms() - t0);
	return 0;
}

bool lbd_health_persist_due(const struct lbd_health *h, double now)
{
	if (!h->persist_at || now < h->persist_at)
		return false;
	/* A batch about to be applied goes first, unless the database has
	 * been waiting too long already. */
	return !h->n || now >= h->persist_at + PERSIST_MAX_MS;
}

void lbd_health_free(struct lbd_health *h)
{
	sqlite3_finalize(h->put);
	free(h->retry);
	free(h->tr);
	free(h->done);
	memset(h, 0, sizeof(*h));
}
