// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_db_migrate.c - forward schema migrations.
 *
 * PRAGMA user_version is the number of the last schema file applied.  Each
 * newer file runs in one transaction that also sets the version, so a file
 * is either wholly applied and counted or not at all.  There are no
 * downgrades: a file newer than this build is refused untouched.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "xlb_db.h"
#include "xlb_db_internal.h"
#include "xlb_errmsg.h"

unsigned int xlb_db_schema_version(void)
{
	return xlb_db_nmigrations ?
		xlb_db_migrations[xlb_db_nmigrations - 1].version : 0;
}

int xlb_db_check_version(sqlite3 *db, unsigned int *have)
{
	unsigned int v;
	int err = xlb_db_user_version(db, &v);

	if (err)
		return err;
	if (v > xlb_db_schema_version())
		return xlb_errmsg_set(-ENOTSUP,
			"database schema version %u is newer than this xlb (knows up to %u): upgrade xlb",
			v, xlb_db_schema_version());
	if (have)
		*have = v;
	return 0;
}

static int exec_or_fail(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : xlb_db_fail(db, rc, NULL, what);
}

/* Runs m's file and sets the version inside the caller's transaction. */
static int apply_file(sqlite3 *db, const struct xlb_db_migration *m)
{
	char what[96], set[48];
	int err;

	snprintf(what, sizeof(what), "schema %s", m->name);
	err = exec_or_fail(db, m->sql, what);
	if (err)
		return err;
	snprintf(set, sizeof(set), "PRAGMA user_version = %u", m->version);
	return exec_or_fail(db, set, what);
}

/*
 * Applies m unless the file has it.  The version is read again under the
 * write lock (BEGIN IMMEDIATE): two daemons starting on a new file both
 * see version 0, and the second must find the first one's work done.
 */
static int apply_one(sqlite3 *db, const struct xlb_db_migration *m,
		     bool *applied)
{
	unsigned int have;
	int err;

	*applied = false;
	err = exec_or_fail(db, "BEGIN IMMEDIATE", "schema migration");
	if (err)
		return err;
	err = xlb_db_check_version(db, &have);
	if (!err && have < m->version) {
		err = apply_file(db, m);
		*applied = !err;
	}
	if (!err && *applied)
		return exec_or_fail(db, "COMMIT", "schema migration");
	/* Nothing to keep: the version was there already, or a step failed
	 * (its message is recorded; the rollback's result adds nothing). */
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

int xlb_db_migrate(sqlite3 *db, unsigned int *applied)
{
	unsigned int i, have, n = 0;
	bool done;
	int err;

	if (applied)
		*applied = 0;
	/* Most opens find the file current: no write lock for them. */
	err = xlb_db_check_version(db, &have);
	if (err || have == xlb_db_schema_version())
		return err;
	for (i = 0; i < xlb_db_nmigrations; i++) {
		const struct xlb_db_migration *m = &xlb_db_migrations[i];

		if (i > 0 && m->version <= xlb_db_migrations[i - 1].version)
			return xlb_errmsg_set(-EINVAL,
				"schema %s: version %u does not follow %u",
				m->name, m->version,
				xlb_db_migrations[i - 1].version);
		if (m->version <= have)
			continue;
		err = apply_one(db, m, &done);
		if (err)
			return err;
		n += done;
	}
	if (applied)
		*applied = n;
	return 0;
}
