/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_db.h - the desired-state database (schema/NNN_*.sql) as lbd, hcd and lbsh
 * use it.
 *
 * xlb_db_open() opens or creates the state file in WAL mode and brings its
 * schema up to the newest version this build carries; the schema files are
 * compiled in, so a program never depends on what is installed beside it.
 * Writes are checked by the schema itself (BEFORE triggers), whichever
 * client makes them, and every change of a config row appends one row to
 * the revision log, which lbd reads with xlb_db_revisions_after().
 *
 * Functions return 0 or a negative errno with xlb_errmsg() set to one
 * sentence; a write the schema rejected leaves the sentence the schema
 * raised ("backend 203.0.113.10 tcp 80 198.51.100.7 0: weight "70000" is
 * not 0..65535").  A connection is used by one thread at a time.
 */
#ifndef XLB_DB_H
#define XLB_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* How long a statement waits for another connection's write lock. */
#define XLB_DB_BUSY_MS 5000

/*
 * Opens path, creating it if missing, and applies the migrations it lacks.
 * A file whose schema is newer than this build knows is refused with
 * -ENOTSUP and left exactly as it was.  On success *db is the caller's, to
 * be closed with xlb_db_close(); on failure *db is NULL.
 */
int xlb_db_open(const char *path, sqlite3 **db);
void xlb_db_close(sqlite3 *db);

/*
 * Applies, in order and each in its own transaction, the migrations newer
 * than the file's PRAGMA user_version; *applied (may be NULL) counts them.
 * xlb_db_open() calls it; it is safe while other processes open the same
 * file (each migration re-reads the version under the write lock).
 */
int xlb_db_migrate(sqlite3 *db, unsigned int *applied);

/* The newest schema version this build carries (schema/NNN_*.sql). */
unsigned int xlb_db_schema_version(void);

/* The file's PRAGMA user_version. */
int xlb_db_user_version(sqlite3 *db, unsigned int *version);

/*
 * Runs one or more SQL statements as a unit: if the connection was outside
 * a transaction and a statement fails, any transaction the text opened is
 * rolled back, so a batch "BEGIN; ...; COMMIT;" takes effect entirely or
 * not at all.  A caller already inside a transaction keeps it.
 */
int xlb_db_exec(sqlite3 *db, const char *sql);

/*
 * The sentence to show for an SQLite error message: the text a schema check
 * raised through json_extract() ("JSON path error near '...'", quotes
 * un-doubled), else msg as it is.  Writes at most len bytes, NUL included
 * (len > 0), and returns buf.
 */
const char *xlb_db_error_text(const char *msg, char *buf, size_t len);

/* One change of a config row, as the schema's triggers logged it. */
struct xlb_db_rev {
	int64_t rev;     /* increasing, never reused */
	const char *tbl; /* "node", "health_check", "service", "backend" */
	const char *op;  /* "insert", "update", "delete" */
	const char *key; /* the row's key as users type it */
};

/*
 * Calls fn, in revision order, for every logged change after revision
 * `after`.  The strings are valid only during the call.  fn returning
 * non-zero stops the walk and that value is returned.  The walk reads one
 * snapshot: changes committed meanwhile wait for the next call.
 */
typedef int (*xlb_db_rev_fn)(const struct xlb_db_rev *rev, void *arg);
int xlb_db_revisions_after(sqlite3 *db, int64_t after, xlb_db_rev_fn fn,
			   void *arg);

/* The newest logged revision, 0 when the log is empty. */
int xlb_db_revision_last(sqlite3 *db, int64_t *rev);

/* The revision lbd last put into the datapath (0 before the first). */
int xlb_db_applied_get(sqlite3 *db, int64_t *rev);
int xlb_db_applied_set(sqlite3 *db, int64_t rev);

/*
 * PRAGMA data_version: changes when another connection commits to the file
 * (not on this connection's own writes).  Polling it is one page read, so a
 * daemon can look for new revisions only when it moved.
 */
int xlb_db_data_version(sqlite3 *db, int64_t *version);

#endif /* XLB_DB_H */
