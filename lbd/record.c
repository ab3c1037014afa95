// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * record.c - what the datapath now holds, told to the database in one
 * transaction: the applied revision, each VIP's readiness (vip_state),
 * the services in panic (service_panic) and the changes that could not be
 * applied (reject).  A health pass writes vip_state and service_panic in
 * the transaction of its reports instead (health.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lbd.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* `since` moves only when readiness does. */
#define VIP_UPSERT_SQL \
	"INSERT INTO vip_state (vip, ready, reason, since) " \
	"VALUES (?1, ?2, ?3, " NOW_SQL ") " \
	"ON CONFLICT (vip) DO UPDATE SET ready = excluded.ready, " \
	"reason = excluded.reason, since = excluded.since " \
	"WHERE ready != excluded.ready"
#define VIP_DELETE_SQL "DELETE FROM vip_state WHERE vip = ?1"
/* The same rejection again (a restart's full pass) is not logged twice. */
#define REJECT_SQL \
	"INSERT INTO reject (rev, tbl, key, field, value, reason, at) " \
	"SELECT ?1, ?2, ?3, ?4, ?5, ?6, " NOW_SQL " WHERE NOT EXISTS (" \
	"SELECT 1 FROM reject WHERE tbl = ?2 AND key = ?3 AND field = ?4 " \
	"AND value IS ?5 AND reason = ?6)"

#define PANIC_PUT_SQL \
	"INSERT INTO service_panic (vip, proto, port, backends, down, " \
	"threshold, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " NOW_SQL ") " \
	"ON CONFLICT (vip, proto, port) DO UPDATE SET " \
	"backends = excluded.backends, down = excluded.down, " \
	"threshold = excluded.threshold"
#define PANIC_DEL_SQL \
	"DELETE FROM service_panic WHERE vip = ?1 AND proto = ?2 AND port = ?3"

/* The statements of one call, prepared when first needed. */
struct rec {
	sqlite3 *db;
	sqlite3_stmt *up, *del, *rej, *pput, *pdel;
};

static int run(sqlite3 *db, const char *sql, sqlite3_stmt **q)
{
	if (*q) {
		sqlite3_reset(*q);
		sqlite3_clear_bindings(*q);
		return 0;
	}
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
			       NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EIO, "record: %s", sqlite3_errmsg(db));
	return 0;
}

static int step(sqlite3 *db, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return xlb_errmsg_set(-EIO, "record: %s", sqlite3_errmsg(db));
	return 0;
}

static int record_vip(struct rec *rc, struct lbd_vip *vip)
{
	sqlite3 *db = rc->db;
	char text[XLB_ADDR_STRLEN];
	int want = vip->nsvc ? vip->nready > 0 : -2, err;

	if (want == vip->recorded)
		return 0;
	xlb_addr_format(&vip->addr, vip->family, text, sizeof(text));
	err = run(db, want == -2 ? VIP_DELETE_SQL : VIP_UPSERT_SQL,
		  want == -2 ? &rc->del : &rc->up);
	if (err)
		return err;
	if (want == -2) {
		sqlite3_bind_text(rc->del, 1, text, -1, SQLITE_TRANSIENT);
		err = step(db, rc->del);
	} else {
		sqlite3_bind_text(rc->up, 1, text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(rc->up, 2, want);
		if (!want)
			sqlite3_bind_text(rc->up, 3, "no usable backend", -1,
					  SQLITE_STATIC);
		err = step(db, rc->up);
	}
	if (!err)
		vip->recorded = want;
	return err;
}

/* (vip, proto, port) bound as service_panic's key. */
static void bind_svc(sqlite3_stmt *q, const struct xlb_vip_key *k)
{
	char vip[XLB_ADDR_STRLEN];

	xlb_addr_format(&k->addr, k->family, vip, sizeof(vip));
	sqlite3_bind_text(q, 1, vip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, xlb_proto_name(k->proto), -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, ntohs(k->port));
}

static int panic_del(struct rec *rc, const struct xlb_vip_key *k)
{
	int err = run(rc->db, PANIC_DEL_SQL, &rc->pdel);

	if (err)
		return err;
	bind_svc(rc->pdel, k);
	return step(rc->db, rc->pdel);
}

/* A service entering panic gets its row; one in panic has its counts
 * kept current (since stays); one leaving loses it. */
static int record_panic(struct rec *rc, struct lbd_svc *s)
{
	int err;

	if (!s->panic) {
		err = s->panic_recorded ? panic_del(rc, &s->key) : 0;
		if (!err)
			s->panic_recorded = false;
		return err;
	}
	err = run(rc->db, PANIC_PUT_SQL, &rc->pput);
	if (err)
		return err;
	bind_svc(rc->pput, &s->key);
	sqlite3_bind_int(rc->pput, 4, (int)s->panic_total);
	sqlite3_bind_int(rc->pput, 5, (int)s->panic_down);
	sqlite3_bind_int(rc->pput, 6, (int)s->panic_at);
	err = step(rc->db, rc->pput);
	if (!err)
		s->panic_recorded = true;
	return err;
}

static int record_panics(struct rec *rc, struct lbd_state *st)
{
	int err = 0;

	/* Rows of a previous run: lbd knows only its own. */
	if (!st->panic_synced)
		err = xlb_db_exec(rc->db, "DELETE FROM service_panic");
	for (size_t i = 0; i < st->npanic_gone && !err; i++)
		err = panic_del(rc, &st->panic_gone[i]);
	if (!err)
		st->npanic_gone = 0;
	for (uint32_t id = 1; id <= st->m.max_svc_id && !err; id++) {
		struct lbd_svc *s = &st->svc[id];

		if (s->live && (s->panic || s->panic_recorded))
			err = record_panic(rc, s);
	}
	if (!err)
		st->panic_synced = true;
	return err;
}

int lbd_panic_gone(struct lbd_state *st, const struct xlb_vip_key *key)
{
	struct xlb_vip_key *k = realloc(st->panic_gone, (st->npanic_gone + 1) *
					sizeof(*k));

	if (!k)
		return -ENOMEM;
	st->panic_gone = k;
	st->panic_gone[st->npanic_gone++] = *key;
	return 0;
}

static void rec_done(struct rec *rc)
{
	sqlite3_finalize(rc->up);
	sqlite3_finalize(rc->del);
	sqlite3_finalize(rc->rej);
	sqlite3_finalize(rc->pput);
	sqlite3_finalize(rc->pdel);
}

static int record_state(struct rec *rc, struct lbd_state *st)
{
	int err = 0;

	for (size_t i = 0; i < st->nvips && !err; i++)
		err = record_vip(rc, &st->vips[i]);
	return err ? err : record_panics(rc, st);
}

int lbd_record_runtime(sqlite3 *db, struct lbd_state *st)
{
	struct rec rc = { .db = db };
	int err = record_state(&rc, st);

	rec_done(&rc);
	return err;
}

void lbd_record_forget(struct lbd_state *st)
{
	for (size_t i = 0; i < st->nvips; i++)
		st->vips[i].recorded = -1;
	st->panic_synced = false;
	for (uint32_t id = 1; id <= st->m.max_svc_id; id++)
		st->svc[id].panic_recorded = false;
}

static int record_reject(struct rec *rc, int64_t rev,
			 const struct lbd_reject *r)
{
	int err = run(rc->db, REJECT_SQL, &rc->rej);
	sqlite3_stmt *q = rc->rej;

	if (err)
		return err;
	sqlite3_bind_int64(q, 1, rev);
	sqlite3_bind_text(q, 2, r->tbl, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, r->field, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, r->value, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, r->reason, -1, SQLITE_STATIC);
	return step(rc->db, q);
}

static int record_all(sqlite3 *db, struct lbd_state *st, int64_t rev,
		      const struct lbd_rejects *rj)
{
	struct rec rc = { .db = db };
	int err = xlb_db_applied_set(db, rev);

	if (!err)
		err = record_state(&rc, st);
	for (size_t i = 0; i < rj->n && !err; i++)
		err = record_reject(&rc, rev, &rj->r[i]);
	rec_done(&rc);
	return err;
}

int lbd_record(sqlite3 *db, struct lbd_state *st, int64_t rev,
	       const struct lbd_rejects *rj)
{
	int err = xlb_db_exec(db, "BEGIN IMMEDIATE");

	if (err)
		return err;
	err = record_all(db, st, rev, rj);
	if (err) {
		xlb_db_exec(db, "ROLLBACK");
		lbd_record_forget(st);
		return err;
	}
	return xlb_db_exec(db, "COMMIT");
}
