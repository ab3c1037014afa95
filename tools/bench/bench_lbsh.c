// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_lbsh.c - lbsh's live_conntrack on a connection table of 1,000,000
 * flows: a full scan (count(*)), a lookup by VIP (WHERE vip = ..., one VIP
 * of eight), the same VIP's rows printed as CSV, and a LIMIT that stops
 * early; wall time and peak RSS (VmHWM via wait4's ru_maxrss) of each
 * lbsh process; and the VIP's rows printed as an aligned table (batches
 * of 1,000 rows, so that too stays flat).
 *
 * Baselines in the same run: the library's own walk of the same table
 * without SQLite (xlb_dpmap_conntrack_walk counting, in a child process
 * as well), and lbsh running `SELECT 1` (its floor: SQLite, the schema,
 * the maps untouched).  The table is 64 MiB of sets in the kernel; a scan
 * that streams adds a few hundred KiB to lbsh's floor, one that loaded
 * the table would add tens of MiB.  Needs root and BPF.
 *
 *   bench_lbsh [FLOWS]   (default 1000000)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_util.h"
#include "xlb_db.h"
#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"
#include "xlb_ct.h"
#include "xlb_loader.h"

#define CT_FLOWS  (1U << 20) /* table capacity: 262,144 sets of 4 */
#define NVIPS     8
#define NBACKENDS 16

static char pin_dir[64], tmp_dir[64], db_path[96], lbsh_path[PATH_MAX];

static void cleanup(void)
{
	char cmd[128];

	if (pin_dir[0])
		xlb_dp_unpin(pin_dir);
	if (tmp_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
		if (system(cmd))
			fprintf(stderr, "bench_lbsh: could not remove %s\n",
				tmp_dir);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	exit(130); /* runs cleanup() */
}

static union xlb_addr v4(__u32 host)
{
	union xlb_addr a = { 0 };

	a.v4 = htonl(host);
	return a;
}

/* 203.0.113.1..8 tcp, all ports, as services 1..8; 16 backends. */
static int fill_services(const struct xlb_dpmaps *m)
{
	int err = 0;

	for (__u32 i = 1; i <= NVIPS && !err; i++) {
		struct xlb_vip_key k = { .addr = v4(0xcb007100 + i),
					 .port = 0,
					 .proto = IPPROTO_TCP,
					 .family = XLB_FAM_V4 };
		struct xlb_service s = { .id = i };

		err = xlb_dpmap_service_put(m, &k, &s);
	}
	for (__u32 i = 1; i <= NBACKENDS && !err; i++) {
		struct xlb_backend be = { .addr = v4(0xc6336400 + i),
					  .svc_id = 1 + (i - 1) % NVIPS,
					  .family = XLB_FAM_V4,
					  .state = XLB_BE_ACTIVE };

		err = xlb_dpmap_backend_put(m, i, &be);
	}
	return err;
}

/*
 * Flow i: 192.0.2.(i & 255):(40000 + i >> 22) -> one of the 8 VIPs, tcp,
 * port 1 + (i >> 8 & 16383) (their all-ports services): unique for i below
 * 2^24.  The ports vary because the table's hash folds the source port
 * onto the bits of the client's last octet: with one destination port, a
 * single /24 of clients would reach too few sets to fill the table.
 */
static void flow_of(__u32 i, struct xlb_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = v4(0xc0000200 + (i & 255));
	k->dst = v4(0xcb007100 + 1 + (i * 2654435761U >> 7) % NVIPS);
	k->sport = htons((__u16)(40000 + (i >> 22)));
	k->dport = htons((__u16)(1 + (i >> 8 & 16383)));
	k->proto = IPPROTO_TCP;
	k->family = XLB_FAM_V4;
}

/* Places flows into their sets in memory, then writes every set with
 * batch updates; returns the flows placed (a full set skips a flow). */
static long fill_conntrack(const struct xlb_dpmaps *m, __u32 want)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 nsets = CT_FLOWS / XLB_CT_WAYS, placed = 0, i;
	struct xlb_ct_set *sets = calloc(nsets, sizeof(*sets));
	__u32 *keys = malloc(nsets * sizeof(*keys));
	long rc = -ENOMEM;

	if (!sets || !keys)
		goto out;
	for (i = 0; placed < want && i < 16U << 20; i++) {
		struct xlb_flow_key k;
		__u32 h, s, w;

		flow_of(i, &k);
		h = xlb_ct_hash(&k);
		s = h & (nsets - 1);
		for (w = 0; w < XLB_CT_WAYS && sets[s].tag[w]; w++)
			;
		if (w == XLB_CT_WAYS)
			continue;
		sets[s].tag[w] = xlb_ct_tag(h);
		sets[s].way[w].key = k;
		sets[s].way[w].flow = (struct xlb_flow){
			.backend_id = 1 + i % NBACKENDS, .hash = h,
			.svc_id = 1 + i % NVIPS };
		sets[s].way[w].flow.check = xlb_ct_check(sets[s].tag[w],
							 &sets[s].way[w].flow);
		placed++;
	}
	for (i = 0; i < nsets; i++)
		keys[i] = i;
	for (i = 0; i < nsets; i += 4096) {
		__u32 n = nsets - i < 4096 ? nsets - i : 4096;

		if (bpf_map_update_batch(m->conntrack, keys + i, sets + i, &n,
					 &bo)) {
			rc = -errno;
			goto out;
		}
	}
	rc = placed;
out:
	free(sets);
	free(keys);
	return rc;
}

struct result {
	double ms;
	double rss_mb;
	char out[256];
};

static void wait_child(pid_t pid, int fd, double t0, struct result *r)
{
	struct rusage ru;
	size_t n = 0;
	ssize_t k;
	int status;

	while (n + 1 < sizeof(r->out) &&
	       (k = read(fd, r->out + n, sizeof(r->out) - n - 1)) > 0)
		n += (size_t)k;
	r->out[n] = '\0';
	close(fd);
	wait4(pid, &status, 0, &ru);
	r->ms = (bench_now_us() - t0) / 1e3;
	r->rss_mb = ru.ru_maxrss / 1024.0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "bench_lbsh: child failed: %s\n", r->out);
}

static int count_flow(const struct xlb_flow_key *k, const struct xlb_flow *f,
		      void *arg)
{
	(void)k;
	(void)f;
	++*(long *)arg;
	return 0;
}

/* Forks a child whose standard output is a pipe: the pid (0 in the
 * child), and the parent's end of the pipe in *fd. */
static pid_t spawn(int *fd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		exit(1);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/* The baseline: the library's walk, no SQLite, in its own process. */
static void run_walk(struct result *r)
{
	double t0 = bench_now_us();
	int fd;
	pid_t pid = spawn(&fd);

	if (pid == 0) {
		struct xlb_dpmaps m;
		long n = 0;

		if (xlb_dpmaps_open_pinned(pin_dir, &m) ||
		    xlb_dpmap_conntrack_walk(&m, count_flow, &n))
			_exit(1);
		printf("%ld\n", n);
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid, fd, t0, r);
}

static void run_lbsh(const char *sql, const char *mode, bool discard,
		     struct result *r)
{
	double t0 = bench_now_us();
	int fd;
	pid_t pid = spawn(&fd);

	if (pid == 0) {
		if (discard && freopen("/dev/null", "w", stdout) == NULL)
			_exit(1);
		execl(lbsh_path, "lbsh", "--db", db_path, "--pin-dir", pin_dir,
		      "--rundir", tmp_dir, mode, "-c", sql, (char *)NULL);
		_exit(127);
	}
	wait_child(pid, fd, t0, r);
}

/* The median of 3 runs by time; RSS from the same run. */
static void best_of(void (*fn)(struct result *), struct result *r)
{
	struct result x[3];
	double t[3];

	for (int i = 0; i < 3; i++) {
		fn(&x[i]);
		t[i] = x[i].ms;
	}
	double med = bench_median(t, 3);

	for (int i = 0; i < 3; i++)
		if (x[i].ms == med)
			*r = x[i];
}

static const char *q_sql;
static const char *q_mode;
static bool q_discard;

static void run_q(struct result *r)
{
	run_lbsh(q_sql, q_mode, q_discard, r);
}

static void lbsh_case(const char *sql, const char *mode, bool discard,
		      struct result *r)
{
	q_sql = sql;
	q_mode = mode;
	q_discard = discard;
	best_of(run_q, r);
}

static int setup(int argc, char **argv, long *flows)
{
	struct xlb_dp_opts o = { .pin_dir = pin_dir,
				 .sizes = { 64, 1024, CT_FLOWS, 64 } };
	char self[PATH_MAX];
	struct xlb_dpmaps m;
	struct xlb_dp *dp;
	sqlite3 *db;
	long want = argc > 1 ? atol(argv[1]) : 1000000;

	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(lbsh_path, sizeof(lbsh_path), "%s/../lbsh", dirname(self));
	if (access(lbsh_path, X_OK) || want < 1 || want > CT_FLOWS) {
		fprintf(stderr, "bench_lbsh: %s not built, or FLOWS not "
			"1..%u\n", lbsh_path, CT_FLOWS);
		return -1;
	}
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/xlbb_lbsh_%d",
		 (int)getpid());
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/xlbb_lbsh_XXXXXX");
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/xlb.db", tmp_dir);
	if (xlb_db_open(db_path, &db))
		return -1;
	xlb_db_close(db);
	if (xlb_dp_open(&o, &dp))
		return -1;
	xlb_dpmaps_from_dp(dp, &m);
	*flows = fill_services(&m) ? -1 : fill_conntrack(&m, (__u32)want);
	xlb_dp_close(dp);
	return *flows < 0 ? -1 : 0;
}

static void line(const char *what, const struct result *r,
		 const struct result *base, const struct result *floor)
{
	printf("%-34s %9.1f ms %7.1f MB RSS (+%5.1f MB over lbsh SELECT 1)"
	       "  time x%.2f of the walk   -> %s", what, r->ms, r->rss_mb,
	       r->rss_mb - floor->rss_mb, r->ms / base->ms,
	       r->out[0] ? r->out : "(rows to /dev/null)\n");
}

int main(int argc, char **argv)
{
	struct result walk, floor, scan, vip, vip_rows, limit, table;
	long flows;

	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (geteuid() != 0) {
		fprintf(stderr, "bench_lbsh: needs root (BPF)\n");
		return 1;
	}
	if (setup(argc, argv, &flows)) {
		fprintf(stderr, "bench_lbsh: setup: %s\n", xlb_errmsg());
		return 1;
	}
	printf("connection table: %ld flows in %u sets (%u MiB of sets), "
	       "%d VIPs\n", flows, CT_FLOWS / XLB_CT_WAYS,
	       CT_FLOWS / XLB_CT_WAYS * 256 >> 20, NVIPS);
	best_of(run_walk, &walk);
	lbsh_case("SELECT 1", "-list", false, &floor);
	lbsh_case("SELECT count(*) FROM live_conntrack", "-list", false, &scan);
	lbsh_case("SELECT count(*) FROM live_conntrack WHERE vip = "
		  "'203.0.113.3'", "-list", false, &vip);
	lbsh_case("SELECT * FROM live_conntrack WHERE vip = '203.0.113.3'",
		  "-csv", true, &vip_rows);
	lbsh_case("SELECT * FROM live_conntrack WHERE vip = '203.0.113.3' "
		  "LIMIT 10", "-csv", true, &limit);
	lbsh_case("SELECT * FROM live_conntrack WHERE vip = '203.0.113.3'",
		  "-table", true, &table);
	line("baseline: lib walk, no SQLite", &walk, &walk, &floor);
	line("baseline: lbsh SELECT 1", &floor, &walk, &floor);
	line("lbsh full scan count(*)", &scan, &walk, &floor);
	line("lbsh WHERE vip = (count)", &vip, &walk, &floor);
	line("lbsh WHERE vip = (rows as CSV)", &vip_rows, &walk, &floor);
	line("lbsh WHERE vip = LIMIT 10", &limit, &walk, &floor);
	line("lbsh WHERE vip = (rows as a table)", &table, &walk, &floor);
	printf("full scan: %.2f M flows/s through SQLite, %.2f M flows/s "
	       "raw; lbsh's scan used %.1f MB above its floor for a "
	       "%u MiB table\n", flows / scan.ms / 1e3, flows / walk.ms / 1e3,
	       scan.rss_mb - floor.rss_mb, CT_FLOWS / XLB_CT_WAYS * 256 >> 20);
	return atol(scan.out) == flows && atol(walk.out) == flows ? 0 : 1;
}
