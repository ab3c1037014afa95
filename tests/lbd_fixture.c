// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lbd_fixture.c - see lbd_fixture.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lbd_fixture.h"
#include "xlb_addr.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"
#include "xlb_maglev.h"

static char lbd_path[PATH_MAX];
static int lf_counter;

double lf_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int lf_init(const char *argv0)
{
	char self[PATH_MAX];

	snprintf(self, sizeof(self), "%s", argv0);
	snprintf(lbd_path, sizeof(lbd_path), "%s/../lbd", dirname(self));
	if (access(lbd_path, X_OK)) {
		fprintf(stderr, "%s: %s not built\n", argv0, lbd_path);
		return -1;
	}
	if (geteuid() != 0)
		fprintf(stderr, "%s: needs root (BPF); failing\n", argv0);
	return 0;
}

/* A node with small tables, so that every test loads fast. */
#define NODE_SQL \
	"INSERT INTO node (id, interface, next_hop_mac, src4, max_services, " \
	"max_backends, max_flows) VALUES (1, 'lo', '02:00:5e:00:53:01', " \
	"'192.0.2.1', 4096, 65536, 1024)"

int lf_setup(void **state)
{
	struct lf *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	*state = t;
	snprintf(t->dir, sizeof(t->dir), "/tmp/xlbt_lbd_XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->db, sizeof(t->db), "%s/xlb.db", t->dir);
	snprintf(t->log, sizeof(t->log), "%s/lbd.log", t->dir);
	snprintf(t->pin_dir, sizeof(t->pin_dir), "/sys/fs/bpf/xlbt_lbd_%d_%d",
		 (int)getpid(), ++lf_counter);
	if (xlb_db_open(t->db, &t->sql)) {
		fprintf(stderr, "lf_setup: %s\n", xlb_errmsg());
		return -1;
	}
	return xlb_db_exec(t->sql, NODE_SQL) ? -1 : 0;
}

static void kill_bg(struct lf *t)
{
	if (!t->bg)
		return;
	kill(t->bg, SIGKILL);
	waitpid(t->bg, NULL, 0);
	t->bg = 0;
}

int lf_teardown(void **state)
{
	struct lf *t = *state;
	char cmd[128];
	int err = 0;

	kill_bg(t);
	if (t->ifname[0]) { /* the peer goes with it */
		snprintf(cmd, sizeof(cmd), "ip link del %s", t->ifname);
		if (system(cmd))
			err = -1;
	}
	if (t->have_maps)
		xlb_dpmaps_close(&t->m);
	xlb_db_close(t->sql);
	if (xlb_dp_unpin(t->pin_dir))
		err = -1;
	if (err)
		fprintf(stderr, "lf_teardown: cleanup failed: %s\n",
			xlb_errmsg());
	if (t->dir[0] && strncmp(t->dir, "/tmp/xlbt_lbd_", 14) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		if (system(cmd))
			err = -1;
	}
	free(t);
	return err ? -1 : 0;
}

void lf_sql(struct lf *t, const char *fmt, ...)
{
	char *sql;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&sql, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (xlb_db_exec(t->sql, sql))
		fail_msg("SQL failed: %s: %s", xlb_errmsg(), sql);
	free(sql);
}

long long lf_int(struct lf *t, const char *fmt, ...)
{
	sqlite3_stmt *q;
	long long v = -1;
	char *sql;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(sqlite3_prepare_v2(t->sql, sql, -1, &q, NULL),
			 SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	free(sql);
	return v;
}

int lf_cli(struct lf *t, const char *sql)
{
	char cmd[256];
	FILE *p;
	int rc;

	snprintf(cmd, sizeof(cmd), "sqlite3 -bail '%s'", t->db);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(".timeout 5000\n", p);
	fputs(sql, p);
	fputs(";\n", p);
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Runs lbd with mode_args; returns its exit status, the map writes it
 * reported in *writes. */
static int run_once(struct lf *t, const char *mode_args,
		    unsigned long long *writes)
{
	char cmd[PATH_MAX + 512];
	size_t n;
	FILE *p;
	int rc;
	char *w;

	snprintf(cmd, sizeof(cmd), "%s --db %s --pin-dir %s %s 2>>%s",
		 lbd_path, t->db, t->pin_dir, mode_args, t->log);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(t->out, 1, sizeof(t->out) - 1, p);
	t->out[n] = '\0';
	rc = pclose(p);
	rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	w = strstr(t->out, " writes ");
	if ((rc != 0 && rc != 3) || !w) {
		static char log[1 << 16];

		lf_log_read(t, log, sizeof(log));
		fail_msg("lbd %s failed (%d): %s\n%s", mode_args, rc, t->out,
			 log);
	}
	*writes = strtoull(w + 8, NULL, 10);
	print_message("lbd %s: %s", mode_args, t->out);
	return rc;
}

unsigned long long lf_once(struct lf *t)
{
	unsigned long long writes;

	assert_int_equal(run_once(t, "--no-attach --once", &writes), 0);
	return writes;
}

int lf_check(struct lf *t, unsigned long long *writes)
{
	return run_once(t, "--check", writes);
}

static void start(struct lf *t, int attach)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		char quiet[16];

		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		snprintf(quiet, sizeof(quiet), "%d", t->hcd_quiet_ms);
		/* Its sockets in the test's folder, never the node's. */
		execl(lbd_path, "lbd", "--db", t->db, "--pin-dir", t->pin_dir,
		      "--rundir", t->dir, attach ? "-v" : "--no-attach",
		      t->hcd_quiet_ms ? "--hcd-quiet" : (char *)NULL, quiet,
		      (char *)NULL);
		_exit(127);
	}
	t->bg = pid;
	if (!lf_log_wait(t, "following", 10000))
		fail_msg("lbd did not start");
}

void lf_start(struct lf *t)
{
	start(t, 0);
}

void lf_start_attached(struct lf *t)
{
	start(t, 1);
}

int lf_detach(struct lf *t)
{
	char cmd[PATH_MAX + 512];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s detach --db %s --pin-dir %s 2>>%s",
		 lbd_path, t->db, t->pin_dir, t->log);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void lf_stop(struct lf *t)
{
	int status;

	assert_true(t->bg > 0);
	kill(t->bg, SIGTERM);
	assert_int_equal(waitpid(t->bg, &status, 0), t->bg);
	t->bg = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

void lf_log_read(struct lf *t, char *buf, size_t len)
{
	FILE *f = fopen(t->log, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

int lf_log_wait(struct lf *t, const char *needle, int ms)
{
	static char buf[1 << 16];
	double end = lf_ms() + ms;

	do {
		lf_log_read(t, buf, sizeof(buf));
		if (strstr(buf, needle))
			return 1;
		usleep(2000);
	} while (lf_ms() < end);
	print_message("log:\n%s", buf);
	return 0;
}

const struct xlb_dpmaps *lf_maps(struct lf *t)
{
	if (!t->have_maps) {
		if (xlb_dpmaps_open_pinned(t->pin_dir, &t->m))
			fail_msg("maps: %s", xlb_errmsg());
		t->have_maps = 1;
	}
	return &t->m;
}

uint32_t lf_svc_id(struct lf *t, const char *vip, const char *proto,
		   uint16_t port, uint32_t *flags)
{
	struct xlb_vip_key k = { 0 };
	struct xlb_service s;

	assert_int_equal(xlb_addr_parse(vip, &k.addr, &k.family), 0);
	assert_int_equal(xlb_proto_parse(proto, &k.proto), 0);
	k.port = htons(port);
	if (xlb_dpmap_service_get(lf_maps(t), &k, &s))
		return 0;
	if (flags)
		*flags = s.flags;
	return s.id;
}

size_t lf_entries(struct lf *t, uint32_t svc_id, uint32_t *ids,
		  struct xlb_backend *bes, size_t cap)
{
	const struct xlb_dpmaps *m = lf_maps(t);
	struct xlb_backend *all = calloc(m->max_be_id, sizeof(*all));
	size_t n = 0;

	assert_non_null(all);
	assert_int_equal(xlb_dpmap_backends_read(m, 1, m->max_be_id, all), 0);
	for (uint32_t i = 0; i < m->max_be_id; i++) {
		if (all[i].svc_id != svc_id || all[i].state == XLB_BE_REMOVED)
			continue;
		if (n < cap) {
			if (ids)
				ids[n] = i + 1;
			if (bes)
				bes[n] = all[i];
		}
		n++;
	}
	free(all);
	return n;
}

uint32_t lf_entry(struct lf *t, uint32_t svc_id, const char *addr,
		  uint16_t port, struct xlb_backend *be)
{
	uint32_t ids[256];
	struct xlb_backend bes[256];
	union xlb_addr a;
	__u8 fam;
	size_t n = lf_entries(t, svc_id, ids, bes, 256);

	assert_int_equal(xlb_addr_parse(addr, &a, &fam), 0);
	for (size_t i = 0; i < n && i < 256; i++) {
		if (bes[i].family != fam || bes[i].port != port ||
		    memcmp(&bes[i].addr, &a, sizeof(a)))
			continue;
		if (be)
			*be = bes[i];
		return ids[i];
	}
	return 0;
}

uint32_t lf_table(struct lf *t, uint32_t svc_id, uint32_t **slots)
{
	uint32_t m = 0;

	*slots = malloc(XLB_MAX_RING * sizeof(**slots));
	assert_non_null(*slots);
	if (xlb_dpmap_ring_read(lf_maps(t), svc_id, *slots, XLB_MAX_RING, &m))
		return 0;
	return m;
}

void lf_assert_table(struct lf *t, uint32_t svc_id,
		     const struct lf_be *usable, size_t n, uint32_t m)
{
	struct xlb_maglev_backend bes[64];
	uint32_t *want = malloc(m * sizeof(*want)), *got;

	assert_non_null(want);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		struct xlb_backend be;
		uint32_t id = lf_entry(t, svc_id, usable[i].addr,
				       usable[i].port, &be);

		if (!id)
			fail_msg("no entry for %s", usable[i].addr);
		bes[i] = (struct xlb_maglev_backend){ .addr = be.addr,
			.family = be.family, .port = be.port,
			.weight = usable[i].weight, .id = id };
	}
	assert_int_equal(xlb_maglev_build(bes, n, m, want), 0);
	assert_int_equal(lf_table(t, svc_id, &got), m);
	assert_memory_equal(got, want, m * sizeof(*want));
	free(got);
	free(want);
}

static int count_fn(const struct xlb_vip_key *key,
		    const struct xlb_service *svc, void *arg)
{
	size_t *c = arg;

	(void)svc;
	c[key->proto ? 0 : 1]++;
	return 0;
}

void lf_count_services(struct lf *t, size_t *services, size_t *markers)
{
	size_t c[2] = { 0, 0 };

	assert_int_equal(xlb_dpmap_service_walk(lf_maps(t), count_fn, c), 0);
	*services = c[0];
	*markers = c[1];
}
