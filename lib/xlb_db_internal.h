/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_db_internal.h - what the xlb_db*.c files share: the schema files
 * compiled into libxlb and the helpers that turn SQLite results into
 * xlb's 0 / -errno convention.
 */
#ifndef XLB_DB_INTERNAL_H
#define XLB_DB_INTERNAL_H

#include <stdint.h>

#include <sqlite3.h>

/*
 * The Makefile turns each schema/NNN_name.sql into one entry of
 * xlb_db_migrations (BUILD/gen/xlb_db_schema.c), ordered by NNN.
 */
struct xlb_db_migration {
	unsigned int version; /* NNN: the PRAGMA user_version it leads to */
	const char *name;     /* "001_init.sql", for messages */
	const char *sql;      /* the whole file, NUL-terminated */
};

extern const struct xlb_db_migration xlb_db_migrations[];
extern const unsigned int xlb_db_nmigrations;

/*
 * Records "<what>: <sentence>" (or the sentence alone when what is NULL)
 * for SQLite result rc and returns the matching negative errno.  msg is
 * SQLite's message; NULL takes sqlite3_errmsg(db).
 */
int xlb_db_fail(sqlite3 *db, int rc, const char *msg, const char *what);

/*
 * Reads the file's schema version into *have (may be NULL) and refuses,
 * with -ENOTSUP, one newer than this build knows.
 */
int xlb_db_check_version(sqlite3 *db, unsigned int *have);

/* Runs a query of one integer column; *v is 0 when it returns no row. */
int xlb_db_query_int(sqlite3 *db, const char *sql, int64_t *v);

#endif /* XLB_DB_INTERNAL_H */
