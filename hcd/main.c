// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - hcd's life: parse options, open the database read-only, load
 * the checks, raise the open-file limit and choose the in-flight cap,
 * open the sockets, give up root, start the workers, then follow the
 * database and publish what the workers report until SIGTERM/SIGINT
 * (SIGUSR1 prints the statistics line).
 *
 *   hcd --db FILE [--rundir DIR] [--threads N] [--max-inflight N]
 *       [--user NAME] [--once] [-v]
 *
 * --once probes every distinct target once, all at once (no jitter; only
 * the in-flight cap holds some back), waits for every result, prints one
 * line and exits; it publishes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "hcd.h"
#include "xlb_bus.h"
#include "xlb_errmsg.h"
#include "xlb_notify.h"

#define POLL_MS 100 /* how often data_version is looked at */

struct options {
	const char *db;
	const char *rundir;
	const char *user;
	unsigned int threads;
	uint64_t max_inflight;
	bool once;
	int verbose;
};

struct hcd {
	struct options o;
	sqlite3 *db;
	struct hcd_interns *interns;
	struct hcd_specs specs;
	struct hcd_stats stats;
	struct hcd_outbox out;
	struct hcd_pool pool;
	struct hcd_pub *pub;
	struct hcd_watch watch;
	int sigfd;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hcd --db FILE [--rundir DIR] [--threads N] "
		"[--max-inflight N] [--user NAME] [--once] [-v]\n"
		"  --rundir        the sockets' folder (default "
		XLB_BUS_RUNDIR ")\n"
		"  --threads       event-loop threads (default: CPUs)\n"
		"  --max-inflight  probes in flight at most (default: what "
		"the open-file limit allows)\n"
		"  --user          as root: run as NAME, keeping only "
		"CAP_NET_RAW\n"
		"  --once          probe every target once, print one line, "
		"exit\n");
}

static int number(const char *opt, const char *s, unsigned long long max,
		  unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *v < 1 || *v > max) {
		fprintf(stderr, "hcd: %s \"%s\" is not a number of 1..%llu\n",
			opt, s, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-inflight", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "once", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long long v;
	int c;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->threads = cpus > 0 ? (unsigned int)cpus : 1;
	while ((c = getopt_long(argc, argv, "v", longs, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'r': o->rundir = optarg; break;
		case 'u': o->user = optarg; break;
		case '1': o->once = true; break;
		case 'v': o->verbose++; break;
		case 't':
			if (number("--threads", optarg, 64, &v))
				return -EINVAL;
			o->threads = (unsigned int)v;
			break;
		case 'm':
			if (number("--max-inflight", optarg, 10000000, &v))
				return -EINVAL;
			o->max_inflight = v;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (!o->db || optind < argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int load(struct hcd *h)
{
	struct hcd_specs s;
	int err = hcd_config_load(h->db, h->interns, &s);

	if (err)
		return err;
	hcd_specs_free(&h->specs);
	h->specs = s;
	xlb_log(XLB_LOG_INFO, "%zu checks (backend, check) on %zu targets and "
		"keys pairs", s.keys, s.n);
	return 0;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int run_once(struct hcd *h, uint64_t cap)
{
	struct hcd_pool_opts po = { .threads = h->o.threads, .cap = cap,
				    .once = true };
	uint64_t t0 = hcd_now_us();
	double c0 = cpu_ms();
	int err = hcd_pool_start(&h->pool, &po, &h->stats, NULL);

	if (!err)
		err = hcd_pool_assign(&h->pool, h->specs.v, h->specs.n);
	if (err) {
		xlb_log(XLB_LOG_ERR, "starting the workers: %s", strerror(-err));
		hcd_pool_stop(&h->pool);
		return err;
	}
	hcd_pool_wait(&h->pool);
	printf("hcd once: probes=%llu up=%llu down=%llu timeouts=%llu "
	       "wall_ms=%llu cpu_ms=%llu\n",
	       (unsigned long long)atomic_load(&h->stats.probes),
	       (unsigned long long)atomic_load(&h->stats.up),
	       (unsigned long long)atomic_load(&h->stats.down),
	       (unsigned long long)atomic_load(&h->stats.timeouts),
	       (unsigned long long)((hcd_now_us() - t0) / 1000),
	       (unsigned long long)(cpu_ms() - c0));
	fflush(stdout);
	hcd_pool_stop(&h->pool);
	return 0;
}

/* ---- following ------------------------------------------------------------- */

static void print_stats(struct hcd *h)
{
	char line[512];

	hcd_stats_line(&h->stats, line, sizeof(line));
	fprintf(stderr, "%s\n", line);
}

static void drain_outbox(struct hcd *h)
{
	struct hcd_report *v;
	size_t n;
	uint64_t junk;

	if (read(h->out.efd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		xlb_log(XLB_LOG_WARN, "outbox: %s", strerror(errno));
	pthread_mutex_lock(&h->out.lock);
	v = h->out.v;
	n = h->out.n;
	h->out.v = NULL;
	h->out.n = h->out.cap = 0;
	pthread_mutex_unlock(&h->out.lock);
	for (size_t i = 0; i < n; i++) {
		char a[XLB_ADDR_STRLEN];

		xlb_addr_format(&v[i].tr.addr, v[i].tr.family, a, sizeof(a));
		xlb_log(XLB_LOG_INFO, "%s %u %s: %s (%s, %u us)", a, v[i].tr.port,
			v[i].tr.check, v[i].tr.state ? "up" : "down",
			xlb_health_reason_name(v[i].tr.reason),
			v[i].tr.latency_us);
	}
	if (n && hcd_pub_reports(h->pub, v, n))
		xlb_log(XLB_LOG_ERR, "publishing: %s", xlb_errmsg());
	free(v);
}

static void reload(struct hcd *h)
{
	int err = load(h);

	if (!err)
		err = hcd_pool_assign(&h->pool, h->specs.v, h->specs.n);
	if (!err)
		err = hcd_pub_retain(h->pub, &h->specs);
	if (err)
		xlb_log(XLB_LOG_ERR, "reload: %s; the checks in force stay",
			xlb_errmsg());
}

/* true: stop. */
static bool on_signal(struct hcd *h)
{
	struct signalfd_siginfo si;

	while (read(h->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			print_stats(h);
			continue;
		}
		xlb_log(XLB_LOG_INFO, "%s: stopping", strsignal((int)si.ssi_signo));
		return true;
	}
	return false;
}

static void follow(struct hcd *h)
{
	unsigned long wd_ms = xlb_notify_watchdog_ms();
	uint64_t next_poll = 0, next_wd = 0;
	struct pollfd fds[3] = {
		{ .fd = h->sigfd, .events = POLLIN },
		{ .fd = h->out.efd, .events = POLLIN },
		{ .fd = hcd_pub_fd(h->pub), .events = POLLIN },
	};

	xlb_notify("READY=1");
	xlb_log(XLB_LOG_INFO, "following %s", h->o.db);
	for (;;) {
		uint64_t now;
		int rc;

		rc = poll(fds, 3, POLL_MS);
		if (rc < 0 && errno != EINTR)
			xlb_log(XLB_LOG_WARN, "poll: %s", strerror(errno));
		if (fds[0].revents && on_signal(h))
			break;
		if (fds[1].revents)
			drain_outbox(h);
		if (fds[2].revents)
			hcd_pub_serve(h->pub);
		now = hcd_now_us();
		if (now >= next_poll) {
			next_poll = now + POLL_MS * 1000;
			rc = hcd_watch_poll(&h->watch, h->db);
			if (rc < 0)
				xlb_log(XLB_LOG_WARN, "following: %s", xlb_errmsg());
			else if (rc > 0)
				reload(h);
		}
		hcd_pub_heartbeat(h->pub, now);
		if (wd_ms && now >= next_wd) {
			xlb_notify("WATCHDOG=1");
			next_wd = now + wd_ms * 1000;
		}
	}
	xlb_notify("STOPPING=1");
}

static int serve(struct hcd *h, uint64_t cap)
{
	struct hcd_pool_opts po = { .threads = h->o.threads, .cap = cap };
	int err = hcd_watch_init(&h->watch, h->db);

	if (!err)
		err = hcd_pub_open(h->o.rundir, &h->pub);
	if (!err)
		err = hcd_drop_privileges(h->o.user);
	if (!err)
		err = hcd_pool_start(&h->pool, &po, &h->stats, &h->out);
	if (!err)
		err = hcd_drop_main_caps(h->o.user);
	if (err) {
		xlb_log(XLB_LOG_ERR, "%s", *xlb_errmsg() ? xlb_errmsg()
						       : strerror(-err));
		hcd_pool_stop(&h->pool);
		return err;
	}
	err = hcd_pool_assign(&h->pool, h->specs.v, h->specs.n);
	if (err)
		xlb_log(XLB_LOG_ERR, "starting the checks: %s", strerror(-err));
	else
		follow(h);
	hcd_pool_stop(&h->pool);
	drain_outbox(h);
	return err;
}

/* Signals arrive through a descriptor in the main loop; the workers
 * inherit the mask and never see them. */
static int signals_block(struct hcd *h)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -errno;
	h->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return h->sigfd < 0 ? -errno : 0;
}

static int outbox_init(struct hcd_outbox *o)
{
	pthread_mutex_init(&o->lock, NULL);
	o->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return o->efd < 0 ? -errno : 0;
}

static int start(struct hcd *h, uint64_t *cap)
{
	int err = hcd_no_new_privs(h->o.user);

	if (err)
		return err;
	err = signals_block(h);

	if (!err)
		err = outbox_init(&h->out);
	if (!err)
		err = hcd_interns_new(&h->interns);
	if (err)
		return xlb_errmsg_set(err, "%s", strerror(-err));
	err = hcd_db_open(h->o.db, &h->db);
	if (!err)
		err = load(h);
	if (err)
		return err;
	*cap = hcd_fd_cap(h->o.max_inflight, h->o.threads);
	return 0;
}

static void finish(struct hcd *h)
{
	hcd_pub_close(h->pub);
	hcd_specs_free(&h->specs);
	hcd_interns_free(h->interns);
	sqlite3_close(h->db);
	free(h->out.v);
	if (h->out.efd > 0)
		close(h->out.efd);
	if (h->sigfd > 0)
		close(h->sigfd);
}

int main(int argc, char **argv)
{
	static struct hcd h;
	uint64_t cap = 0;
	int err;

	if (parse_options(argc, argv, &h.o))
		return 2;
	xlb_log_setup("hcd", h.o.verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	err = start(&h, &cap);
	if (err) {
		xlb_log(XLB_LOG_ERR, "%s", xlb_errmsg());
		finish(&h);
		return 1;
	}
	err = h.o.once ? run_once(&h, cap) : serve(&h, cap);
	print_stats(&h);
	finish(&h);
	return err ? 1 : 0;
}
