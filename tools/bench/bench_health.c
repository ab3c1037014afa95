// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_health - mass health changes end to end: one HEALTH batch published
 * on `health` in lbd's runtime folder, as hcd would, until lbd's REVISION
 * on `lbd`, which lbd publishes once every table of the pass is switched
 * in the maps and the pass is recorded.  The real build/lbd runs in the
 * background (--no-attach) on a real database and real pinned maps.
 *
 * Two sizes, 100 and 1,000 VIPs x 2 ports x 10 backends (2,000 and 20,000
 * backends, each backend its own address, all services checked by one
 * check), each at M 13,313 and at the default M 16,381.  Per run, four
 * batches, timed each:
 *   all down   every backend DOWN: lbd marks the entries DOWN and keeps
 *              each service's last table (a service with no usable
 *              backend keeps it, by design), so no table is switched;
 *   all up     every backend back: the tables come out as the ones kept,
 *              so none is switched either;
 *   5/10 down  backends 5..9 of every service: every table recomputed
 *              and switched (what LINE's figures imply);
 *   5/10 up    the same five back: every table recomputed and switched.
 * The figure includes lbd's coalescing: it applies a burst once 5 ms pass
 * without another HEALTH message, so 5 ms of each figure is that wait.
 * Beside it, from lbd's "health pass" line: the pass, services, map
 * writes and the tables built where lbd counts them ("-" where it does
 * not say); from its "backend_health:" line, the write of the reports to
 * the database, which lbd makes after the REVISION (not in the figure).
 *
 * The baseline, in the same run right after each batch, is the same frame
 * decoded and written to backend_health of a second database holding the
 * same rows, without lbd: the previous status read and the report upserted
 * per backend, one transaction, as lbd writes it (less its sort and the
 * listing of the services to recompute).  The ratio is what recomputing,
 * switching and recording add to the bare write of the reports.
 *
 * Beside each median: the figures of LINE's Maglev batch processing
 * (seed 002), which recompute every table in both directions, and the
 * targets for 20,000 backends (up in 100 ms, down in 50 ms).
 *
 * Needs root (BPF) and build/lbd beside build/bench.  Databases, the log
 * and lbd's sockets live in a temp folder; the pins in a folder of its
 * own; both are removed on every path, also on SIGINT/SIGTERM; lbd dies
 * with the benchmark (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_lbd_proc.h"
#include "bench_util.h"
#include "xlb_addr.h"
#include "xlb_bus.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"
#include "xlb_msg.h"

#ifndef RUNS
#define RUNS 5        /* runs per size and M; medians of these */
#endif
#define NBE 10        /* backends per service */
#define HALF 5        /* of them going down in the 5/10 cases */
#define WAIT_MS 60000 /* for lbd: never reached unless something is wrong */
#define SLICE_MS 100  /* waits are cut into these, to notice signals */
#define CHECK "hc"

/* A flow table of 1,024 entries: loading stays quick. */
#define NODE_SQL \
	"INSERT INTO node (id, interface, next_hop_mac, src4, max_flows)" \
	" VALUES (1, 'lo', '02:00:5e:00:53:01', '192.0.2.1', 1024);" \
	"INSERT INTO health_check (name, type) VALUES ('" CHECK "', 'tcp')"
/* VIP v is 100.64.(v / 250).(v % 250 + 1), ports 80 and 443. */
#define SVC_SQL \
	"WITH RECURSIVE v(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM v" \
	" WHERE n < %d) INSERT INTO service (vip, proto, port, ring_size," \
	" health_check) SELECT printf('100.64.%%d.%%d', n / 250, n %% 250" \
	" + 1), 'tcp', p, %d, '" CHECK "' FROM v, (SELECT 80 AS p UNION ALL" \
	" SELECT 443)"
/* Backend i = (v * 2 + port index) * NBE + k, at be_addr(i). */
#define BE_SQL \
	"WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b" \
	" WHERE i < %d) INSERT INTO backend (vip, proto, port, address)" \
	" SELECT printf('100.64.%%d.%%d', i / 20 / 250, i / 20 %% 250 + 1)," \
	" 'tcp', CASE WHEN i / 10 %% 2 THEN 443 ELSE 80 END," \
	" printf('10.1.%%d.%%d', i / 250, i %% 250 + 1) FROM b"
/* A change lbd applies to one service: proves the subscriber hears it. */
#define PING_SQL \
	"UPDATE service SET comment = '%d' WHERE vip = '100.64.0.1'" \
	" AND port = 80"
#define RING_SQL "UPDATE service SET ring_size = %d"
/* lbd's own write of a report (lbd/health.c). */
#define OLD_SQL \
	"SELECT status FROM backend_health WHERE address = ?1 " \
	"AND backend_port = ?2 AND health_check = ?3"
#define PUT_SQL \
	"INSERT INTO backend_health (address, backend_port, health_check, " \
	"status, reason, latency_us, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " \
	"strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT (address, " \
	"backend_port, health_check) DO UPDATE SET status = excluded.status, " \
	"reason = excluded.reason, latency_us = excluded.latency_us, " \
	"since = CASE WHEN status = excluded.status THEN since " \
	"ELSE excluded.since END"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One size: LINE's figures beside it. */
struct size {
	int vips;
	const char *name;
	double line_up, line_down; /* ms */
	int targets;               /* the 100 / 50 ms targets apply */
};

static const struct size sizes[] = {
	{ 100, "2,000", 108, 27.6, 0 },
	{ 1000, "20,000", 895, 267, 1 },
};
static const int rings[] = { 13313, 16381 };

enum { ALL_DOWN, ALL_UP, HALF_DOWN, HALF_UP, NCASES };
static const char *const case_names[NCASES] = {
	"all down (tables kept)", "all up", "5/10 down (switched)",
	"5/10 up (switched)",
};

struct sample {
	double e2e, base;      /* ms: HEALTH -> REVISION; baseline */
	double pass, write;    /* ms, from lbd's "health pass" line */
	double services, writes, tables;
};

struct bench {
	char dir[64];
	char lbd_path[PATH_MAX];
	char db[160], alone_db[160];
	struct bench_lbd lbd;  /* the real lbd in the background */
	long log_off;          /* where the next "health pass" is looked for */
	sqlite3 *x, *alone;    /* lbd's database; the baseline's */
	sqlite3_stmt *old, *put;
	struct xlb_bus hcd, sub;
	struct xlb_msg_buf tx, rx;
	__u64 seq;
	int pings;
	int nbe;               /* backends of the current size */
	unsigned char *down;   /* per backend: 1 when reported down */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench_health: %s: %s: %s\n", what, strerror(-err),
		xlb_errmsg());
	return err;
}

static int stop_check(void)
{
	return interrupted ? xlb_errmsg_set(-EINTR, "interrupted") : 0;
}

/* ---- lbd's log ----------------------------------------------------------- */

/* The "health pass" line of the batch just applied (logged right after
 * the REVISION is published, so it may lag it by a moment). */
static int pass_line(struct bench *b, struct sample *s)
{
	double end = bench_now_us() + 2e6;
	char line[1024];
	const char *p;

	while (!bench_log_find(b->lbd.log, b->log_off, "health pass: ", line,
			       sizeof(line), &b->log_off)) {
		if (bench_now_us() > end || interrupted)
			return xlb_errmsg_set(-EIO, "no health pass in %s",
					      b->lbd.log);
		usleep(500);
	}
	p = strstr(line, "backends moved, ");
	if (!p || sscanf(p, "backends moved, %lf services, %lf map writes, "
			 "%lf ms", &s->services, &s->writes, &s->pass) != 3)
		return xlb_errmsg_set(-EIO, "unexpected line: %s", line);
	/* Tables built: only where lbd counts them (-1: not said). */
	p = strstr(p, " ms, ");
	if (!p || sscanf(p, " ms, %lf tables built", &s->tables) != 1)
		s->tables = -1;
	/* Written after the pass (and the REVISION): its own line. */
	while (!bench_log_find(b->lbd.log, b->log_off, "backend_health: ",
			       line, sizeof(line), &b->log_off)) {
		if (bench_now_us() > end || interrupted)
			return xlb_errmsg_set(-EIO, "no backend_health line in "
					      "%s", b->lbd.log);
		usleep(500);
	}
	p = strstr(line, "reports written in ");
	if (!p || sscanf(p, "reports written in %lf", &s->write) != 1)
		return xlb_errmsg_set(-EIO, "unexpected line: %s", line);
	return 0;
}

/* ---- lbd in the background ----------------------------------------------- */

/* ---- the sockets: the benchmark as hcd and as lbd's subscriber ----------- */

static int lbd_alive(struct bench *b)
{
	if (b->lbd.pid <= 0)
		return xlb_errmsg_set(-EIO, "lbd not running (%s)", b->lbd.log);
	if (waitpid(b->lbd.pid, NULL, WNOHANG) != b->lbd.pid)
		return 0;
	b->lbd.pid = 0;
	return xlb_errmsg_set(-EIO, "lbd exited (%s)", b->lbd.log);
}

static int publish(struct bench *b)
{
	return xlb_bus_send(b->hcd, b->tx.data, b->tx.len, 1000);
}

/* Empty HEALTH deltas until lbd logs that it hears hcd: pub/sub delivers
 * only once connected. */
static int hcd_connect(struct bench *b)
{
	double end = bench_now_us() + WAIT_MS * 1e3;
	int err = 0;

	while (!err && !bench_log_find(b->lbd.log, 0, "hearing hcd", NULL,
				       0, NULL)) {
		err = xlb_msg_health_begin(&b->tx, b->seq++, false);
		if (!err)
			err = publish(b);
		if (!err)
			err = stop_check() ? -EINTR : lbd_alive(b);
		if (!err && bench_now_us() > end)
			err = xlb_errmsg_set(-ETIMEDOUT, "lbd never heard hcd");
		usleep(20000);
	}
	return err;
}

/* Waits for a REVISION of at least rev from lbd; other types skipped. */
static int wait_revision(struct bench *b, __u64 rev, int ms)
{
	double end = bench_now_us() + ms * 1e3;
	struct xlb_msg msg;
	int err;

	while (bench_now_us() < end) {
		err = stop_check() ? -EINTR : lbd_alive(b);
		if (err)
			return err;
		if (xlb_bus_recv(b->sub, &b->rx, SLICE_MS))
			continue;
		err = xlb_msg_decode(b->rx.data, b->rx.len, &msg, NULL);
		if (err)
			return err;
		if (msg.type == XLB_MSG_REVISION && msg.revision >= rev)
			return 0;
	}
	return xlb_errmsg_set(-ETIMEDOUT, "no REVISION >= %llu in %d ms",
			      (unsigned long long)rev, ms);
}

/* Drops what lbd published before: the next REVISION is the one awaited. */
static void sub_drain(struct bench *b)
{
	while (!xlb_bus_recv(b->sub, &b->rx, 0))
		;
}

/* sql (one transaction) on lbd's database, then lbd's REVISION of it. */
static int apply_sql(struct bench *b, const char *sql, int ms)
{
	int64_t rev = 0;
	int err;

	sub_drain(b);
	err = xlb_db_exec(b->x, sql);
	if (!err)
		err = xlb_db_revision_last(b->x, &rev);
	return err ? err : wait_revision(b, (__u64)rev, ms);
}

/* Pings one service until the subscriber hears lbd's REVISION. */
static int sub_connect(struct bench *b)
{
	char sql[160];
	int err = xlb_bus_sub_open(&b->sub, b->lbd.rundir, XLB_BUS_LBD);

	for (int i = 0; !err && i < 100; i++) {
		snprintf(sql, sizeof(sql), PING_SQL, ++b->pings);
		err = apply_sql(b, sql, SLICE_MS);
		if (err != -ETIMEDOUT)
			return err;
		err = 0;
	}
	return err ? err : xlb_errmsg_set(-ETIMEDOUT, "lbd never heard");
}

/* ---- the databases ------------------------------------------------------- */

static int db_build(sqlite3 *db, int vips, int ring)
{
	char sql[1024];
	int err = xlb_db_exec(db, "BEGIN");

	if (!err)
		err = xlb_db_exec(db, NODE_SQL);
	snprintf(sql, sizeof(sql), SVC_SQL, vips - 1, ring);
	if (!err)
		err = xlb_db_exec(db, sql);
	snprintf(sql, sizeof(sql), BE_SQL, vips * 2 * NBE - 1);
	if (!err)
		err = xlb_db_exec(db, sql);
	if (!err)
		return xlb_db_exec(db, "COMMIT");
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **q)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
			       NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EIO, "%s", sqlite3_errmsg(db));
	return 0;
}

/* Both databases, with the same rows, in one transaction each. */
static int dbs_open(struct bench *b, int vips, int ring)
{
	int err = xlb_db_open(b->db, &b->x);

	if (!err)
		err = db_build(b->x, vips, ring);
	if (!err)
		err = xlb_db_open(b->alone_db, &b->alone);
	if (!err)
		err = db_build(b->alone, vips, ring);
	if (!err)
		err = prep(b->alone, OLD_SQL, &b->old);
	return err ? err : prep(b->alone, PUT_SQL, &b->put);
}

static void dbs_close(struct bench *b)
{
	sqlite3_finalize(b->old);
	sqlite3_finalize(b->put);
	b->old = b->put = NULL;
	xlb_db_close(b->x);
	xlb_db_close(b->alone);
	b->x = b->alone = NULL;
}

/* ---- the baseline: decode, write to backend_health ----------------------- */

static int sql_step(sqlite3 *db, sqlite3_stmt *q, int want)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != want && rc != SQLITE_DONE)
		return xlb_errmsg_set(-EIO, "%s", sqlite3_errmsg(db));
	return 0;
}

static int base_one(struct bench *b, const struct xlb_health_tr *tr)
{
	char addr[XLB_ADDR_STRLEN];
	sqlite3_stmt *q[2] = { b->old, b->put };
	int err = 0;

	xlb_addr_format(&tr->addr, tr->family, addr, sizeof(addr));
	for (int k = 0; k < 2; k++) {
		sqlite3_bind_text(q[k], 1, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(q[k], 2, tr->port);
		sqlite3_bind_text(q[k], 3, tr->check, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_text(b->put, 4, tr->state ? "up" : "down", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(b->put, 5, xlb_health_reason_name(tr->reason), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(b->put, 6, tr->latency_us);
	err = sql_step(b->alone, b->old, SQLITE_ROW);
	return err ? err : sql_step(b->alone, b->put, SQLITE_DONE);
}

/* The frame in b->tx decoded and written in one transaction; ms taken. */
static int baseline(struct bench *b, double *ms)
{
	double t0 = bench_now_us();
	struct xlb_health_tr tr;
	struct xlb_msg_iter it;
	struct xlb_msg msg;
	int err = xlb_msg_decode(b->tx.data, b->tx.len, &msg, NULL);

	if (!err)
		err = xlb_msg_iter_init(&it, &msg);
	if (!err)
		err = xlb_db_exec(b->alone, "BEGIN IMMEDIATE");
	while (!err && !(err = xlb_msg_health_next(&it, &tr)))
		err = base_one(b, &tr);
	if (err == -ENOENT)
		err = xlb_db_exec(b->alone, "COMMIT");
	else
		sqlite3_exec(b->alone, "ROLLBACK", NULL, NULL, NULL);
	*ms = (bench_now_us() - t0) / 1e3;
	return err;
}

/* ---- one batch ----------------------------------------------------------- */

static void be_addr(int i, struct xlb_health_tr *tr)
{
	char text[32];

	snprintf(text, sizeof(text), "10.1.%d.%d", i / 250, i % 250 + 1);
	xlb_addr_parse(text, &tr->addr, &tr->family);
}

/* The HEALTH frame of a case into b->tx: the backends it moves. */
static int frame(struct bench *b, int c)
{
	int up = c == ALL_UP || c == HALF_UP;
	int err = xlb_msg_health_begin(&b->tx, b->seq++, false);

	for (int i = 0; !err && i < b->nbe; i++) {
		struct xlb_health_tr tr = {
			.state = up ? XLB_HEALTH_UP : XLB_HEALTH_DOWN,
			.reason = up ? XLB_HR_OK : XLB_HR_TIMEOUT,
			.latency_us = 1000, .check = CHECK };

		if ((c == HALF_DOWN || c == HALF_UP) && i % NBE < HALF)
			continue;
		be_addr(i, &tr);
		err = xlb_msg_health_add(&b->tx, &tr);
	}
	return err;
}

static int run_case(struct bench *b, int c, struct sample *s)
{
	double t0;
	int err = frame(b, c);

	sub_drain(b);
	t0 = bench_now_us();
	if (!err)
		err = publish(b);
	if (!err)
		err = wait_revision(b, 0, WAIT_MS);
	s->e2e = (bench_now_us() - t0) / 1e3;
	if (!err)
		err = pass_line(b, s);
	return err ? err : baseline(b, &s->base);
}

/* ---- report -------------------------------------------------------------- */

static double med(struct sample s[RUNS], size_t off)
{
	double v[RUNS];

	for (int r = 0; r < RUNS; r++)
		v[r] = *(const double *)((const char *)&s[r] + off);
	return bench_median(v, RUNS);
}
#define MED(s, f) med(s, offsetof(struct sample, f))

/* Where the median stands against LINE and, for 20,000, the target. */
static void verdict(const struct size *z, int c, double e2e, char *buf,
		    size_t len)
{
	int up = c == ALL_UP || c == HALF_UP;
	double line = up ? z->line_up : z->line_down;
	double target = up ? 100 : 50;
	int n = snprintf(buf, len, "LINE %5.1f ms: %s", line,
			 e2e <= line ? "below" : "ABOVE");

	if (z->targets)
		snprintf(buf + n, len - n, "; target %3.0f ms: %s", target,
			 e2e <= target ? "at or below" : "ABOVE");
}

/* Reports in a case's batch: every backend, or five of each ten. */
static int reports(const struct size *z, int c)
{
	int nbe = z->vips * 2 * NBE;

	return c < HALF_DOWN ? nbe : nbe / NBE * (NBE - HALF);
}

static void print_row(const struct size *z, int c, struct sample s[RUNS])
{
	double e2e = MED(s, e2e), base = MED(s, base);
	double tables = MED(s, tables);
	char t[16] = "-", v[96];

	if (tables >= 0) /* counted only by an lbd that says so */
		snprintf(t, sizeof(t), "%.0f", tables);
	verdict(z, c, e2e, v, sizeof(v));
	printf("    %-22s %7d %8.1f ms %6.1f ms %5.1fx %6.1f ms %6.1f ms"
	       " %5.0f %6s %6.0f  %s\n", case_names[c], reports(z, c), e2e,
	       base, e2e / base, MED(s, pass), MED(s, write),
	       MED(s, services), t, MED(s, writes), v);
}

static void print_block(const struct size *z, int ring,
			struct sample s[NCASES][RUNS])
{
	printf("  %s backends (%d VIPs x 2 ports x %d), M %d, median of %d:"
	       "\n", z->name, z->vips, NBE, ring, RUNS);
	printf("    %-22s %7s %11s %9s %6s %9s %9s %5s %6s %6s  %s\n",
	       "batch", "reports", "HEALTH->REV", "baseline", "ratio",
	       "lbd pass", "lbd write", "svcs", "tables", "writes",
	       "LINE / target");
	for (int c = 0; c < NCASES; c++)
		print_row(z, c, s[c]);
}

/* ---- a size -------------------------------------------------------------- */

static int run_ring(struct bench *b, const struct size *z, int ring)
{
	struct sample s[NCASES][RUNS];
	char sql[64];
	int err = 0;

	snprintf(sql, sizeof(sql), RING_SQL, ring);
	if (ring != rings[0]) /* every table recomputed to the new size */
		err = apply_sql(b, sql, WAIT_MS);
	for (int r = 0; !err && r < RUNS; r++)
		for (int c = 0; !err && c < NCASES; c++)
			err = run_case(b, c, &s[c][r]);
	if (!err)
		print_block(z, ring, s);
	return err;
}

static void paths(struct bench *b, const struct size *z)
{
	snprintf(b->lbd.pin, sizeof(b->lbd.pin),
		 "/sys/fs/bpf/xlb_bench_health_%d_%d",
		 (int)getpid(), z->vips);
	snprintf(b->lbd.log, sizeof(b->lbd.log), "%s/lbd-%d.log", b->dir, z->vips);
	snprintf(b->lbd.rundir, sizeof(b->lbd.rundir), "%s/run-%d", b->dir, z->vips);
	snprintf(b->db, sizeof(b->db), "%s/xlb-%d.db", b->dir, z->vips);
	snprintf(b->alone_db, sizeof(b->alone_db), "%s/alone-%d.db", b->dir,
		 z->vips);
	b->nbe = z->vips * 2 * NBE;
	b->log_off = 0;
}

/* hcd's publisher first, so lbd finds it at once. */
static int size_start(struct bench *b, const struct size *z)
{
	double t0 = bench_now_us();
	int err;

	paths(b, z);
	err = dbs_open(b, z->vips, rings[0]);
	if (!err)
		err = xlb_bus_pub_open(&b->hcd, b->lbd.rundir, XLB_BUS_HEALTH);
	if (!err)
		err = bench_lbd_start(&b->lbd, b->lbd_path, b->db, 0,
				      &interrupted);
	if (!err)
		err = hcd_connect(b);
	if (!err)
		err = sub_connect(b);
	if (!err)
		printf("  %s backends: databases built, lbd started and"
		       " connected in %.2f s\n", z->name,
		       (bench_now_us() - t0) / 1e6);
	return err;
}

/* lbd stopped, its pins removed, the sockets and databases closed. */
static int size_stop(struct bench *b)
{
	int err = bench_lbd_stop(&b->lbd);

	if (b->sub.id)
		xlb_bus_close(b->sub);
	if (b->hcd.id)
		xlb_bus_close(b->hcd);
	b->sub.id = b->hcd.id = 0;
	dbs_close(b);
	return err;
}

static int run_size(struct bench *b, const struct size *z)
{
	int err = size_start(b, z);

	for (size_t m = 0; !err && m < sizeof(rings) / sizeof(rings[0]); m++)
		err = run_ring(b, z, rings[m]);
	if (err)
		fail(z->name, err);
	if (size_stop(b))
		err = -EIO;
	return err;
}

/* ---- main ---------------------------------------------------------------- */

static int find_lbd(struct bench *b, const char *argv0)
{
	char self[PATH_MAX];

	snprintf(self, sizeof(self), "%s", argv0);
	snprintf(b->lbd_path, sizeof(b->lbd_path), "%s/../lbd", dirname(self));
	if (access(b->lbd_path, X_OK))
		return xlb_errmsg_set(-ENOENT, "%s not built", b->lbd_path);
	if (geteuid() != 0)
		return xlb_errmsg_set(-EPERM, "needs root (BPF maps)");
	return 0;
}

static int cleanup(struct bench *b)
{
	char cmd[128];
	int err = size_stop(b);

	xlb_msg_buf_fini(&b->tx);
	xlb_msg_buf_fini(&b->rx);
	if (!strncmp(b->dir, "/tmp/xlb-bench-health-", 22)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
		if (system(cmd)) {
			fprintf(stderr, "bench_health: could not remove %s\n",
				b->dir);
			err = -EIO;
		}
	}
	return err;
}

static void handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void print_intro(void)
{
	printf("bench_health: one HEALTH batch published on `health` ->"
	       " lbd's REVISION on `lbd`\n  (every table switched in the"
	       " maps, VIP_READY out); real lbd (--no-attach).\n"
	       "  Includes lbd's 5 ms wait for the burst to end.  Baseline,"
	       " same run, after each\n  batch: the same frame decoded and"
	       " written to backend_health (read + upsert per\n  report, one"
	       " transaction) in a copy of the database, no lbd.  lbd pass /"
	       " write:\n  lbd's own log (it writes backend_health after the"
	       " REVISION).  LINE (seed 002): 2,000 up 108 ms,"
	       " down 27.6 ms; 20,000 up\n  895 ms, down 267 ms.  Targets,"
	       " 20,000: up <= 100 ms, down <= 50 ms.\n");
}

int main(int argc, char **argv)
{
	struct bench b = { .seq = 0 };
	int err;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	handle_signals();
	err = find_lbd(&b, argv[0]);
	if (err)
		return fail("cannot run", err), 1;
	snprintf(b.dir, sizeof(b.dir), "/tmp/xlb-bench-health-XXXXXX");
	if (!mkdtemp(b.dir))
		return perror("bench_health: mkdtemp"), 1;
	b.seq = xlb_msg_seq_first();
	print_intro();
	for (size_t k = 0; !err && k < sizeof(sizes) / sizeof(sizes[0]); k++)
		err = run_size(&b, &sizes[k]);
	if (cleanup(&b))
		err = -EIO;
	return err ? 1 : 0;
}
