// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_schema - what the schema's checks and revision log cost a write.
 *
 * One backend shared by 2,000 services, the case of Cilium #44511 (seed
 * 000: 756 us and 552 KB per insert of such a backend once rows were
 * flat).  Three operations, each one transaction:
 *   insert rows   - the backend joins all 2,000 services, one INSERT per
 *                   row (a script's or lbsh's way);
 *   insert select - the same in one INSERT ... SELECT FROM service;
 *   state         - its state flips (active <-> drain): one UPDATE of
 *                   2,000 rows through backend_by_address.
 * The baseline, in the same run and alternating with it op by op, is the
 * same file layout (xlb_db_open, then every trigger dropped): the same
 * tables and index without the validation and log triggers.  Figures are
 * medians of OPS ops; growth is the main file's size after a checkpoint,
 * averaged per op.  Files live in a fresh folder under /tmp, on whatever
 * disk that is (synchronous=NORMAL: commits do not wait for it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"

#define SERVICES 2000
#define OPS 15
#define CILIUM_US 756.1 /* Benchmark_UpsertBackends_SharedBackendManyServices */
#define CILIUM_KB 552.2 /* its B/op, allocated memory (not a file) */

enum { OP_ROWS, OP_SELECT, OP_STATE, NOPS };

struct bench_db {
	const char *name;
	char path[96];
	sqlite3 *db;
	sqlite3_stmt *st[NOPS];
	double us[NOPS][OPS], svc_us;
	long long growth[NOPS]; /* bytes, summed over OPS */
};

/* Each op's statement; ?1 and ?2 as the op binds them. */
static const char *const op_sql[NOPS] = {
	[OP_ROWS] = "INSERT INTO backend (vip, proto, port, address)"
		    " VALUES ('203.0.113.10', 'tcp', ?1, ?2)",
	[OP_SELECT] = "INSERT INTO backend (vip, proto, port, address)"
		      " SELECT vip, proto, port, ?2 FROM service",
	[OP_STATE] = "UPDATE backend SET state = ?1"
		     " WHERE address = ?2 AND backend_port = 0",
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench_schema: %s: %s: %s\n", what, strerror(-err),
		xlb_errmsg());
	return err;
}

/* The main file's size once the WAL is folded into it and emptied. */
static int file_size(struct bench_db *b, long long *size)
{
	struct stat st;
	int err = xlb_db_exec(b->db, "PRAGMA wal_checkpoint(TRUNCATE)");

	if (err)
		return err;
	if (stat(b->path, &st))
		return xlb_errmsg_set(-errno, "stat %s", b->path);
	*size = (long long)st.st_size;
	return 0;
}

/* Steps a prepared write to its end and resets it for the next one;
 * adds the rows it wrote (not its triggers') to *rows. */
static int step_done(struct bench_db *b, sqlite3_stmt *st, int *rows)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return xlb_errmsg_set(-EIO, "%s: %s", b->name,
				      sqlite3_errmsg(b->db));
	*rows += sqlite3_changes(b->db);
	return 0;
}

static int prepare(struct bench_db *b, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EINVAL, "%s: %s", b->name,
				      sqlite3_errmsg(b->db));
	return 0;
}

/* Drops every trigger: the baseline's tables are the schema's, bare. */
static int strip_triggers(sqlite3 *db)
{
	sqlite3_stmt *st;
	char *sql = NULL;
	int err;

	/* One DROP per trigger, built by SQLite itself. */
	if (sqlite3_prepare_v2(db,
		"SELECT group_concat('DROP TRIGGER \"' || name || '\";', '')"
		" FROM sqlite_schema WHERE type = 'trigger'", -1, &st,
		NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EINVAL, "%s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		sql = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!sql)
		return xlb_errmsg_set(-ENOMEM, "no triggers to drop");
	err = xlb_db_exec(db, sql);
	free(sql);
	return err;
}

static int add_services(struct bench_db *b)
{
	sqlite3_stmt *st;
	long long size;
	double t0;
	int port, rows = 0, err;

	/* Fold the migration's WAL into the file first: the automatic
	 * checkpoint (and its fsync) would otherwise land in this commit. */
	err = file_size(b, &size);
	if (!err)
		err = prepare(b, "INSERT INTO service (vip, proto, port)"
			      " VALUES ('203.0.113.10', 'tcp', ?)", &st);
	if (err)
		return err;
	t0 = bench_now_us();
	err = xlb_db_exec(b->db, "BEGIN");
	for (port = 1; !err && port <= SERVICES; port++) {
		sqlite3_bind_int(st, 1, port);
		err = step_done(b, st, &rows);
	}
	if (!err)
		err = xlb_db_exec(b->db, "COMMIT");
	b->svc_us = (bench_now_us() - t0) / SERVICES;
	sqlite3_finalize(st);
	return err;
}

static int open_one(struct bench_db *b, const char *dir, const char *name,
		    int bare)
{
	int i, err;

	b->name = name;
	snprintf(b->path, sizeof(b->path), "%s/%s.db", dir, name);
	err = xlb_db_open(b->path, &b->db);
	if (!err && bare)
		err = strip_triggers(b->db);
	if (!err)
		err = add_services(b);
	for (i = 0; !err && i < NOPS; i++)
		err = prepare(b, op_sql[i], &b->st[i]);
	return err;
}

/* Insert op i, row by row: backend 198.51.100.(i+1) joins every service. */
static int insert_rows(struct bench_db *b, int i, int *rows)
{
	sqlite3_stmt *st = b->st[OP_ROWS];
	char addr[32];
	int port, err;

	snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
	err = xlb_db_exec(b->db, "BEGIN");
	for (port = 1; !err && port <= SERVICES; port++) {
		sqlite3_bind_int(st, 1, port);
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
		err = step_done(b, st, rows);
	}
	return err ? err : xlb_db_exec(b->db, "COMMIT");
}

/* Insert op i, one statement: backend 198.51.100.(101+i). */
static int insert_select(struct bench_db *b, int i, int *rows)
{
	char addr[32];

	snprintf(addr, sizeof(addr), "198.51.100.%d", 101 + i);
	sqlite3_bind_text(b->st[OP_SELECT], 2, addr, -1, SQLITE_TRANSIENT);
	return step_done(b, b->st[OP_SELECT], rows);
}

/* State op i: backend 198.51.100.1 flips, one statement. */
static int state_flip(struct bench_db *b, int i, int *rows)
{
	sqlite3_bind_text(b->st[OP_STATE], 1, i % 2 ? "active" : "drain", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(b->st[OP_STATE], 2, "198.51.100.1", -1,
			  SQLITE_STATIC);
	return step_done(b, b->st[OP_STATE], rows);
}

static int (*const op_fn[NOPS])(struct bench_db *, int, int *) = {
	[OP_ROWS] = insert_rows,
	[OP_SELECT] = insert_select,
	[OP_STATE] = state_flip,
};

/* Times op k's i-th run and the file growth it caused. */
static int run_op(struct bench_db *b, int k, int i)
{
	long long s0, s1;
	int rows = 0, err;
	double t0;

	err = file_size(b, &s0);
	if (err)
		return err;
	t0 = bench_now_us();
	err = op_fn[k](b, i, &rows);
	b->us[k][i] = bench_now_us() - t0;
	if (!err && rows != SERVICES)
		err = xlb_errmsg_set(-EIO, "%s: op %d wrote %d rows, not %d",
				     b->name, k, rows, SERVICES);
	if (!err)
		err = file_size(b, &s1);
	if (!err)
		b->growth[k] += s1 - s0;
	return err;
}

/* Runs op k on both databases, OPS times, alternating which goes first. */
static int run_ops(struct bench_db *b, int k)
{
	int i, err = 0;

	for (i = 0; !err && i < OPS; i++) {
		err = run_op(&b[i % 2], k, i);
		if (!err)
			err = run_op(&b[1 - i % 2], k, i);
	}
	return err;
}

static void print_row(const char *what, double with, double bare,
		      const char *unit)
{
	printf("  %-28s %9.1f %s %9.1f %s", what, with, unit, bare, unit);
	if (bare > 0)
		printf(" %7.2fx\n", with / bare);
	else
		printf(" %8s\n", "-");
}

static void report_op(struct bench_db *b, int k, const char *what)
{
	double with = bench_median(b[0].us[k], OPS), bare = bench_median(b[1].us[k], OPS);

	print_row(what, with, bare, "us");
	print_row("  per row", with / SERVICES, bare / SERVICES, "us");
	print_row("  file growth per op", b[0].growth[k] / 1024.0 / OPS,
		  b[1].growth[k] / 1024.0 / OPS, "KB");
}

static void report(struct bench_db *b)
{
	printf("bench_schema: one backend shared by %d services; SQLite %s,"
	       " WAL, synchronous=NORMAL\n", SERVICES, sqlite3_libversion());
	printf("  median of %d ops (growth: main file after a checkpoint,"
	       " mean per op)\n", OPS);
	printf("  %-28s %12s %12s %8s\n", "", "xlb schema", "no triggers",
	       "ratio");
	print_row("service insert, per row", b[0].svc_us, b[1].svc_us, "us");
	report_op(b, OP_ROWS, "backend insert, 2000 INSERTs");
	report_op(b, OP_SELECT, "backend insert, 1 INSERT");
	report_op(b, OP_STATE, "state change, 1 UPDATE");
	printf("  seed 000 (Cilium #44511, in-memory Go tables): %.0f us and"
	       " %.0f KB\n  allocated per shared-backend insert; xlb schema:"
	       " %.1fx and %.1fx its time\n", CILIUM_US, CILIUM_KB,
	       bench_median(b[0].us[OP_ROWS], OPS) / CILIUM_US,
	       bench_median(b[0].us[OP_SELECT], OPS) / CILIUM_US);
}

static void close_one(struct bench_db *b)
{
	char p[128];
	int k;

	if (!b->path[0])
		return;
	for (k = 0; k < NOPS; k++)
		sqlite3_finalize(b->st[k]);
	xlb_db_close(b->db);
	unlink(b->path);
	snprintf(p, sizeof(p), "%s-wal", b->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", b->path);
	unlink(p);
}

int main(void)
{
	char dir[] = "/tmp/xlb-bench-schema-XXXXXX";
	struct bench_db b[2];
	int k, err;

	memset(b, 0, sizeof(b));
	if (!mkdtemp(dir)) {
		perror("bench_schema: mkdtemp");
		return 1;
	}
	err = open_one(&b[0], dir, "xlb", 0);
	if (!err)
		err = open_one(&b[1], dir, "bare", 1);
	for (k = 0; !err && k < NOPS; k++)
		err = run_ops(b, k);
	if (err)
		fail("run", err);
	else
		report(b);
	close_one(&b[0]);
	close_one(&b[1]);
	rmdir(dir);
	return err ? 1 : 0;
}
