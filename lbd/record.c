// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * record.c - what the datapath now holds, told to the database in one
 * transaction: the applied revision, each VIP's readiness (vip_state) and
 * the changes that could not be applied (reject).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* The statements of one lbd_record() call, prepared when first needed. */
struct rec {
	sqlite3 *db;
	sqlite3_stmt *up, *del, *rej;
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

	vip->changed = false;
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
	if (!err) {
		vip->changed = vip->recorded != want;
		vip->recorded = want;
	}
	return err;
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

	for (size_t i = 0; i < st->nvips && !err; i++)
		err = record_vip(&rc, &st->vips[i]);
	for (size_t i = 0; i < rj->n && !err; i++)
		err = record_reject(&rc, rev, &rj->r[i]);
	sqlite3_finalize(rc.up);
	sqlite3_finalize(rc.del);
	sqlite3_finalize(rc.rej);
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
		/* What is in vip_state is unknown again. */
		for (size_t i = 0; i < st->nvips; i++)
			st->vips[i].recorded = -1;
		return err;
	}
	return xlb_db_exec(db, "COMMIT");
}
