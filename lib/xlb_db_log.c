// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_db_log.c - the revision log lbd follows, the revision it applied,
 * and noticing other connections' commits.
 */
#include <errno.h>

#include "xlb_db.h"
#include "xlb_db_internal.h"
#include "xlb_errmsg.h"

/* Steps st, calling fn per row; returns 0, fn's non-zero or -errno. */
static int walk_rows(sqlite3 *db, sqlite3_stmt *st, xlb_db_rev_fn fn,
		     void *arg)
{
	struct xlb_db_rev r;
	int rc, ret;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.rev = sqlite3_column_int64(st, 0);
		r.tbl = (const char *)sqlite3_column_text(st, 1);
		r.op = (const char *)sqlite3_column_text(st, 2);
		r.key = (const char *)sqlite3_column_text(st, 3);
		/* The columns are NOT NULL; NULL here is out of memory. */
		if (!r.tbl || !r.op || !r.key)
			return xlb_db_fail(db, SQLITE_NOMEM, "out of memory",
					   "revision log");
		ret = fn(&r, arg);
		if (ret)
			return ret;
	}
	return rc == SQLITE_DONE ? 0 : xlb_db_fail(db, rc, NULL, "revision log");
}

int xlb_db_revisions_after(sqlite3 *db, int64_t after, xlb_db_rev_fn fn,
			   void *arg)
{
	static const char sql[] =
		"SELECT rev, tbl, op, key FROM revision WHERE rev > ? ORDER BY rev";
	sqlite3_stmt *st;
	int rc, ret;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return xlb_db_fail(db, rc, NULL, "revision log");
	sqlite3_bind_int64(st, 1, after);
	ret = walk_rows(db, st, fn, arg);
	sqlite3_finalize(st);
	return ret;
}

int xlb_db_revision_last(sqlite3 *db, int64_t *rev)
{
	return xlb_db_query_int(db, "SELECT max(rev) FROM revision", rev);
}

int xlb_db_applied_get(sqlite3 *db, int64_t *rev)
{
	return xlb_db_query_int(db, "SELECT revision FROM applied WHERE id = 1",
				rev);
}

int xlb_db_applied_set(sqlite3 *db, int64_t rev)
{
	static const char sql[] =
		"INSERT INTO applied (id, revision, at)"
		" VALUES (1, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
		" ON CONFLICT (id) DO UPDATE"
		" SET revision = excluded.revision, at = excluded.at";
	sqlite3_stmt *st;
	int rc, err = 0;

	if (rev < 0)
		return xlb_errmsg_set(-EINVAL, "applied revision %lld is negative",
				      (long long)rev);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return xlb_db_fail(db, rc, NULL, "applied revision");
	sqlite3_bind_int64(st, 1, rev);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = xlb_db_fail(db, rc, NULL, "applied revision");
	sqlite3_finalize(st);
	return err;
}

int xlb_db_data_version(sqlite3 *db, int64_t *version)
{
	return xlb_db_query_int(db, "PRAGMA data_version", version);
}
