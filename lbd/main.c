// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - lbd's life: parse options, open the database and the datapath,
 * reconcile everything once against what the maps hold, then follow the
 * database until SIGTERM/SIGINT (SIGUSR1 logs a status line).  Leaving
 * never detaches: the datapath goes on forwarding with the state last
 * applied.  Following, it also hears hcd and answers on its sockets in
 * the runtime folder (bus.c), and tells systemd (lib/xlb_notify.h): READY=1
 * after the first pass, WATCHDOG=1 from the loop, STOPPING=1 on SIGTERM,
 * after the health it applied is written to the database.
 *
 *   lbd --db FILE [--pin-dir DIR] [--rundir DIR] [--no-attach]
 *       [--hcd-quiet MS] [--once | --check] [-v]
 *   lbd detach --db FILE [--pin-dir DIR]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "lbd.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_notify.h"

struct options {
	const char *db;
	const char *pin_dir;
	const char *rundir;
	bool no_attach;
	bool once;
	bool check;
	bool detach;
	int verbose;
	int hcd_quiet_ms;
};

static struct lbd_signals signals;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		signals.status = 1;
	else
		signals.stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: lbd --db FILE [--pin-dir DIR] [--rundir DIR] "
		"[--no-attach] [--once | --check] [-v]\n"
		"       lbd detach --db FILE [--pin-dir DIR]\n"
		"  --once       reconcile once, print what was written, exit\n"
		"  --check      count what a reconcile would write, write "
		"nothing;\n"
		"               exit 0 when the maps match the database, 3 "
		"if not\n"
		"  --no-attach  keep the maps up to date, attach nothing\n"
		"  --rundir     the sockets' folder (default " XLB_BUS_RUNDIR
		")\n"
		"  --hcd-quiet  ms without a message from hcd before lbd "
		"says it is silent\n"
		"               (default 10000); the last known health "
		"stays either way\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "hcd-quiet", required_argument, NULL, 'q' },
		{ "no-attach", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "check", no_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	if (argc > 1 && !strcmp(argv[1], "detach")) {
		o->detach = true;
		argv++, argc--;
	}
	while ((c = getopt_long(argc, argv, "v", longs, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'p': o->pin_dir = optarg; break;
		case 'r': o->rundir = optarg; break;
		case 'q': o->hcd_quiet_ms = atoi(optarg);
			if (o->hcd_quiet_ms <= 0) {
				fprintf(stderr, "lbd: --hcd-quiet \"%s\" is not "
					"a number of ms above 0\n", optarg);
				return -1;
			}
			break;
		case 'n': o->no_attach = true; break;
		case '1': o->once = true; break;
		case 'c': o->check = true; break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc || !o->db) {
		fprintf(stderr, "lbd: %s\n", optind < argc ?
			"unexpected argument" : "--db FILE is required");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Fails with the library's sentence. */
static int fail(const char *what)
{
	xlb_log(XLB_LOG_ERR, "%s: %s", what, xlb_errmsg());
	return 1;
}

/* A check reads the pinned maps and loads nothing. */
static int open_pinned(struct lbd *l, const struct options *o)
{
	if (xlb_dpmaps_open_pinned(o->pin_dir, &l->pinned))
		return fail("datapath");
	if (lbd_state_load(&l->st, &l->pinned, l->pool))
		return fail("reading the maps");
	l->st.dry = true;
	return 0;
}

static int open_datapath(struct lbd *l, const struct options *o)
{
	struct xlb_dp_opts dopts = { .pin_dir = o->pin_dir,
				     .sizes = l->node.sizes };
	struct xlb_dpmaps m;
	enum xlb_xdp_mode got;

	if (xlb_dp_open(&dopts, &l->dp))
		return fail("datapath");
	if (!o->no_attach) {
		if (xlb_dp_attach(l->dp, l->node.ifname, l->node.mode, &got))
			return fail("attach");
		xlb_log(XLB_LOG_INFO, "attached to %s (%s)", l->node.ifname,
			xlb_xdp_mode_name(got));
	}
	xlb_dpmaps_from_dp(l->dp, &m);
	if (lbd_state_load(&l->st, &m, l->pool))
		return fail("reading the maps");
	lbd_state_repin(&l->st);
	return 0;
}

static int open_state(struct lbd *l, const struct options *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	/* The calling thread works too: one worker less than cores. */
	if (lbd_pool_new(cpus > 1 ? (unsigned int)(cpus > 4 ? 3 : cpus - 1) : 0,
			 &l->pool)) {
		xlb_log(XLB_LOG_ERR, "out of memory");
		return 1;
	}
	if (xlb_db_open(o->db, &l->db))
		return fail(o->db);
	if (lbd_node_read(l->db, &l->node))
		return fail(o->db);
	if (o->check ? open_pinned(l, o) : open_datapath(l, o))
		return 1;
	if (lbd_desired_open(l->db, &l->desired))
		return fail("database");
	/* The health last applied: a restart changes nothing hcd did not. */
	if (lbd_hmem_load(&l->health, l->db))
		return fail("backend_health");
	return 0;
}

/* Returns 1 on error; in a check, 3 when something would be written. */
static int first_pass(struct lbd *l, const struct options *o)
{
	struct lbd_pass_stats ps;

	if (xlb_db_revision_last(l->db, &l->applied_rev))
		return fail("database");
	if (l->st.nspare)
		xlb_log(XLB_LOG_INFO, "%zu spare tables kept for new services",
			l->st.nspare);
	if (lbd_reconcile_full(l, l->applied_rev, &ps))
		return fail("reconcile");
	xlb_log(XLB_LOG_INFO, "%s at revision %lld: %zu services, %llu map "
		"writes%s, %zu rejects, %.1f ms, %zu tables built",
		o->check ? "check" : "full pass", (long long)l->applied_rev,
		ps.services, (unsigned long long)ps.writes,
		o->check ? " needed" : "", ps.rejects, ps.ms, ps.tables);
	if (o->once || o->check)
		printf("revision %lld services %zu writes %llu rejects %zu "
		       "ms %.1f tables %zu\n", (long long)l->applied_rev,
		       ps.services, (unsigned long long)ps.writes, ps.rejects,
		       ps.ms, ps.tables);
	return o->check && ps.writes ? 3 : 0;
}

static void close_state(struct lbd *l)
{
	lbd_bus_close(l->bus);
	lbd_hmem_free(&l->health);
	lbd_pool_free(l->pool);
	lbd_desired_close(l->desired);
	lbd_state_free(&l->st);
	xlb_dpmaps_close(&l->pinned); /* only the check's are owned */
	xlb_dp_close(l->dp); /* pins and links stay: forwarding goes on */
	xlb_db_close(l->db);
}

static void notify(const char *state)
{
	if (xlb_notify(state))
		xlb_log(XLB_LOG_WARN, "systemd: %s", xlb_errmsg());
}

/* Health heard but not yet applied or written goes in before leaving: a
 * restart then starts from it. */
static void finish_health(struct lbd *l)
{
	if (!l->bus)
		return;
	if (lbd_health_flush(l) || lbd_health_persist(l))
		xlb_log(XLB_LOG_ERR, "health at exit: %s", xlb_errmsg());
}

/* Each table switched in one kernel wait holds an fd until then: the soft
 * open-file limit up to the hard one (systemd's soft default is 1,024). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		xlb_log(XLB_LOG_WARN, "open-file limit: %s", strerror(errno));
}

static void handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static int detach(const struct options *o)
{
	struct lbd l = { 0 };
	int err;

	if (xlb_db_open(o->db, &l.db))
		return fail(o->db);
	if (lbd_node_read(l.db, &l.node)) {
		xlb_db_close(l.db);
		return fail(o->db);
	}
	err = xlb_dp_detach(o->pin_dir, l.node.ifname);
	xlb_db_close(l.db);
	if (err)
		return fail("detach");
	xlb_log(XLB_LOG_INFO, "detached from %s", l.node.ifname);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct lbd l = { 0 };
	int rc;

	if (parse_options(argc, argv, &o))
		return 2;
	xlb_log_setup("lbd", o.verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	if (o.detach)
		return detach(&o);
	handle_signals();
	raise_nofile();
	/* Before the first pass, which publishes every VIP's readiness. */
	l.want_bus = !o.once && !o.check;
	l.rundir = o.rundir;
	l.hcd_quiet_ms = o.hcd_quiet_ms;
	lbd_bus_ensure(&l);
	rc = open_state(&l, &o);
	if (!rc)
		rc = first_pass(&l, &o);
	if (!rc && !o.once && !o.check) {
		xlb_log(XLB_LOG_INFO, "following %s", o.db);
		notify("READY=1");
		rc = lbd_loop(&l, &signals);
		notify("STOPPING=1");
		finish_health(&l);
		xlb_log(XLB_LOG_INFO, "stopping; the datapath keeps forwarding");
	}
	close_state(&l);
	return rc;
}
