// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_db.c - opening the state file, and SQLite results as -errno. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xlb_db.h"
#include "xlb_db_internal.h"
#include "xlb_errmsg.h"

/* The errno closest to an SQLite primary result code. */
static int db_errno(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		/* The failing open(2)'s errno says more (ENOENT, EACCES). */
		if (db && sqlite3_system_errno(db) > 0)
			return -sqlite3_system_errno(db);
		return -EIO;
	case SQLITE_ERROR:
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int xlb_db_fail(sqlite3 *db, int rc, const char *msg, const char *what)
{
	char text[400];

	if (!msg)
		msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	xlb_db_error_text(msg, text, sizeof(text));
	if (what)
		return xlb_errmsg_set(db_errno(db, rc), "%s: %s", what, text);
	return xlb_errmsg_set(db_errno(db, rc), "%s", text);
}

int xlb_db_query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return xlb_db_fail(db, rc, NULL, sql);
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = xlb_db_fail(db, rc, NULL, sql);
	sqlite3_finalize(st);
	return err;
}

int xlb_db_user_version(sqlite3 *db, unsigned int *version)
{
	int64_t v;
	int err = xlb_db_query_int(db, "PRAGMA user_version", &v);

	if (err)
		return err;
	/* The header holds a signed 32-bit value; below 0 is no version of
	 * ours, so it reads as newer than any and is refused. */
	*version = v < 0 ? (unsigned int)-1 : (unsigned int)v;
	return 0;
}

int xlb_db_exec(sqlite3 *db, const char *sql)
{
	int outside = sqlite3_get_autocommit(db);
	char *msg = NULL;
	int rc, err;

	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return 0;
	/* Record the failure first: the rollback would replace the message. */
	err = xlb_db_fail(db, rc, msg, NULL);
	sqlite3_free(msg);
	if (outside && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* Steps a pragma that answers with the value it took: SQLITE_ROW with
 * the answer copied into got, or SQLite's error. */
static int pragma_step(sqlite3 *db, const char *sql, char *got, size_t len)
{
	const unsigned char *v;
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	snprintf(got, len, "%s", v ? (const char *)v : "nothing");
	sqlite3_finalize(st);
	return rc;
}

/*
 * Switching a file to WAL needs it to itself, and SQLite does not wait
 * for that (no busy handler: two such waiters could deadlock).  Daemons
 * starting together on a new file do meet here, so retry for as long as
 * any statement would wait.  A file already in WAL answers at once.
 */
static int set_wal(sqlite3 *db)
{
	static const char sql[] = "PRAGMA journal_mode = WAL";
	const struct timespec pause = { 0, 10 * 1000 * 1000 };
	char got[16];
	int rc, waited_ms = 0;

	while (((rc = pragma_step(db, sql, got, sizeof(got))) & 0xff) ==
	       SQLITE_BUSY && waited_ms < XLB_DB_BUSY_MS) {
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	if (rc != SQLITE_ROW)
		return xlb_db_fail(db, rc, NULL, sql);
	if (strcmp(got, "wal"))
		return xlb_errmsg_set(-ENOTSUP, "%s: the database answered %s",
				      sql, got);
	return 0;
}

/*
 * WAL: lbd reads while lbsh or an import writes, neither blocking the
 * other.  synchronous=NORMAL: a commit survives a crash of the process;
 * a power cut may lose the last commits but leaves the file consistent.
 * temp_store=MEMORY: every write that fires the schema's checks keeps a
 * statement journal (to undo just that statement), which otherwise is a
 * temporary file created per statement: 5 times slower row by row.
 * recursive_triggers stays off (the default): with it on, an INSERT OR
 * REPLACE of a service would fire its delete triggers and drop its
 * backend rows.
 */
static int db_configure(sqlite3 *db)
{
	int rc, err;

	err = set_wal(db);
	if (err)
		return err;
	rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL;"
			  "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return xlb_db_fail(db, rc, NULL, "PRAGMA synchronous, temp_store");
	return 0;
}

/* Prefixes the recorded failure with the file it concerns. */
static int fail_in(int err, const char *path)
{
	char detail[400];

	snprintf(detail, sizeof(detail), "%s", xlb_errmsg());
	return xlb_errmsg_set(err, "%s: %s", path, detail);
}

int xlb_db_open(const char *path, sqlite3 **dbp)
{
	sqlite3 *db = NULL;
	int rc, err;

	*dbp = NULL;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		err = xlb_db_fail(db, rc, NULL, path);
		sqlite3_close(db);
		return err;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, XLB_DB_BUSY_MS);
	/* Refuse a file written by a newer xlb before anything touches it
	 * (switching to WAL would already rewrite its header). */
	err = xlb_db_check_version(db, NULL);
	if (!err)
		err = db_configure(db);
	if (!err)
		err = xlb_db_migrate(db, NULL);
	if (err) {
		sqlite3_close(db);
		return fail_in(err, path);
	}
	*dbp = db;
	return 0;
}

void xlb_db_close(sqlite3 *db)
{
	/* Every statement is finalized where it was prepared, so close
	 * cannot fail with SQLITE_BUSY. */
	sqlite3_close(db);
}
