// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * hc_responder - many distinct loopback HTTP targets for health-check
 * benchmarks: one listening socket per (address, port) target, each
 * answering any request with `HTTP/1.1 200 OK` and a short body, then
 * closing (the responder closes first, so TIME_WAIT stays on its side and
 * the prober's ephemeral ports are free again at once).  A connection that
 * sends nothing and closes (a TCP connect check) is counted and closed.
 *
 *   hc_responder --targets N [--base 127.1.0.1] [--ports 8000-8099]
 *                [--per-proc N] [--procs P] [--delay-ms D [--delay-every K]]
 *                [--nice N] [--list FILE]
 *
 * Target i is address base + i / nports, port lo + i % nports; every
 * address must lie in 127.0.0.0/8.  A process may hold at most 20,000
 * descriptors on this machine kind and the hard limit cannot be raised,
 * so the targets are split over worker processes of at most --per-proc
 * listeners each (default 8,000: the rest of the descriptors are headroom
 * for connections being answered).  TCP_DEFER_ACCEPT hands a connection
 * over only once its request (or FIN) is there, so it is answered within
 * the same wake-up and holds a descriptor for microseconds.
 *
 * --nice N (-20..19; below 0 needs root) sets the workers' priority: a
 * benchmark's responder stands for backends on other machines, so it
 * should not be what a busy machine starves first.
 *
 * --delay-ms D holds every K-th target's answer (--delay-every, default
 * every target) for D ms after the request: a slow server, to see a
 * prober's real timeouts.
 *
 * The parent writes the target list ("ADDRESS PORT" per line, written to a
 * temporary name and renamed, so a reader never sees half of it) once
 * every worker listens, then prints one "ready" line on stdout.  SIGUSR1
 * prints the counters on stderr; SIGTERM/SIGINT stops the workers and
 * prints them a last time.  Workers die with the parent (PDEATHSIG).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64
#define BACKLOG 512
#define REQ_MAX 2048       /* a request longer than this is answered as is */
#define FD_RESERVE 64      /* descriptors never handed to connections */
#define ACCEPT_BATCH 64    /* per listener per wake-up: fairness */

static const char response[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 3\r\n"
	"Connection: close\r\n"
	"\r\n"
	"ok\n";

struct options {
	unsigned int targets;
	uint32_t base;            /* host order */
	unsigned int port_lo, port_hi;
	unsigned int per_proc;
	unsigned int procs;
	unsigned int delay_ms;
	unsigned int delay_every;
	int nice;
	bool set_nice;
	const char *list;
};

/* One worker's counters, in memory shared with the parent; each field is
 * written by its worker only. */
struct counters {
	unsigned long accepted;
	unsigned long answered;   /* a request read, 200 written */
	unsigned long no_request; /* closed by the peer before any byte */
	unsigned long errors;     /* read/write failed (peer gone) */
	unsigned long fd_full;    /* accept hit the descriptor limit */
};

/* A connection being read or held back (--delay-ms). */
struct conn {
	size_t len;
	bool in_epoll;
	bool delayed;
	double due_ms;
	char buf[REQ_MAX];
};

struct worker {
	const struct options *o;
	unsigned int first, count;  /* its slice of the targets */
	int ep;
	struct counters *c;
	struct conn **conns;        /* by descriptor */
	int nfd;                    /* size of conns: the descriptor limit */
	int open;                   /* connections open */
	int *paused;                /* listeners paused on EMFILE */
	int npaused;
	int *delayq;                /* FIFO of held descriptors (same delay) */
	int dq_head, dq_len;
};

enum { TAG_LISTEN = 1, TAG_CONN = 2 };

static volatile sig_atomic_t stop, want_stats, child_died;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else if (sig == SIGCHLD)
		child_died = 1;
	else
		stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void count(unsigned long *field)
{
	__atomic_store_n(field, __atomic_load_n(field, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static uint64_t tag(int kind, int fd, unsigned int target)
{
	return (uint64_t)kind << 62 | (uint64_t)(unsigned int)fd << 32 |
	       target;
}

static void target_of(const struct options *o, unsigned int i,
		      struct sockaddr_in *sa)
{
	unsigned int nports = o->port_hi - o->port_lo + 1;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(o->base + i / nports);
	sa->sin_port = htons((uint16_t)(o->port_lo + i % nports));
}

/* ---- a worker: its listeners and connections ------------------------------ */

static int listen_target(struct worker *w, unsigned int i)
{
	struct sockaddr_in sa;
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1, defer = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char a[INET_ADDRSTRLEN];

	target_of(w->o, i, &sa);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, BACKLOG))
		goto fail;
	ev.data.u64 = tag(TAG_LISTEN, fd, i);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "hc_responder: target %s:%u: %s\n",
		inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a)),
		ntohs(sa.sin_port), strerror(errno));
	return -1;
}

static void conn_close(struct worker *w, int fd)
{
	free(w->conns[fd]);
	w->conns[fd] = NULL;
	close(fd); /* also leaves the epoll set */
	w->open--;
}

static void conn_answer(struct worker *w, int fd)
{
	if (write(fd, response, sizeof(response) - 1) ==
	    (ssize_t)sizeof(response) - 1)
		count(&w->c->answered);
	else
		count(&w->c->errors);
	conn_close(w, fd);
}

/* A complete request: answered now, or queued until its delay is over. */
static void conn_ready(struct worker *w, int fd, unsigned int target)
{
	struct conn *c = w->conns[fd];

	if (!w->o->delay_ms || target % w->o->delay_every) {
		conn_answer(w, fd);
		return;
	}
	if (c->in_epoll)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
	c->in_epoll = false;
	c->delayed = true;
	c->due_ms = now_ms() + w->o->delay_ms;
	w->delayq[(w->dq_head + w->dq_len++) % w->nfd] = fd;
}

/* Reads what is there; a request is complete at its blank line (or when
 * the peer stops sending after some bytes). */
static void conn_read(struct worker *w, int fd, unsigned int target)
{
	struct conn *c = w->conns[fd];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	for (;;) {
		ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - c->len);

		if (n > 0) {
			c->len += (size_t)n;
			if (memmem(c->buf, c->len, "\r\n\r\n", 4) ||
			    c->len == sizeof(c->buf))
				return conn_ready(w, fd, target);
			continue;
		}
		if (n == 0 && c->len)
			return conn_ready(w, fd, target);
		if (n == 0) {
			count(&w->c->no_request);
			return conn_close(w, fd);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			count(&w->c->errors);
			return conn_close(w, fd);
		}
		break;
	}
	if (c->in_epoll)
		return;
	ev.data.u64 = tag(TAG_CONN, fd, target);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev)) {
		count(&w->c->errors);
		return conn_close(w, fd);
	}
	c->in_epoll = true;
}

static void listener_pause(struct worker *w, int lfd)
{
	struct epoll_event ev = { .events = 0 };

	ev.data.u64 = 0;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, lfd, &ev);
	w->paused[w->npaused++] = lfd;
}

/* Paused listeners listen again once half the connections' share of the
 * descriptors is free. */
static void listeners_resume(struct worker *w, unsigned int *paused_target)
{
	int room = w->nfd - (int)w->count - FD_RESERVE;

	while (w->npaused && w->open < room / 2) {
		int lfd = w->paused[--w->npaused];
		struct epoll_event ev = { .events = EPOLLIN };

		ev.data.u64 = tag(TAG_LISTEN, lfd, paused_target[lfd]);
		epoll_ctl(w->ep, EPOLL_CTL_MOD, lfd, &ev);
	}
}

static void listener_accept(struct worker *w, int lfd, unsigned int target,
			    unsigned int *paused_target)
{
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		int fd;

		if (w->open + (int)w->count + FD_RESERVE >= w->nfd) {
			errno = EMFILE;
			fd = -1;
		} else {
			fd = accept4(lfd, NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC);
		}
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			count(&w->c->fd_full);
			paused_target[lfd] = target;
			return listener_pause(w, lfd);
		}
		if (fd < 0)
			return; /* EAGAIN, or the peer already gone */
		if (fd >= w->nfd || !(w->conns[fd] = calloc(1, sizeof(struct conn)))) {
			close(fd);
			count(&w->c->errors);
			continue;
		}
		w->open++;
		count(&w->c->accepted);
		conn_read(w, fd, target);
	}
}

/* Answers held connections whose delay is over; returns the epoll wait. */
static int delay_due(struct worker *w)
{
	while (w->dq_len) {
		int fd = w->delayq[w->dq_head];
		double left = w->conns[fd]->due_ms - now_ms();

		if (left > 0)
			return (int)left + 1;
		w->dq_head = (w->dq_head + 1) % w->nfd;
		w->dq_len--;
		conn_answer(w, fd);
	}
	return -1;
}

static void worker_loop(struct worker *w)
{
	struct epoll_event evs[512];
	unsigned int *paused_target = calloc((size_t)w->nfd, sizeof(unsigned int));

	if (!paused_target)
		return;
	while (!stop) {
		int n = epoll_wait(w->ep, evs, 512, delay_due(w));

		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			int fd = (int)(d >> 32 & 0x3fffffff);
			unsigned int target = (unsigned int)d;

			if (d >> 62 == TAG_LISTEN)
				listener_accept(w, fd, target, paused_target);
			else if (d >> 62 == TAG_CONN && w->conns[fd] &&
				 !w->conns[fd]->delayed)
				conn_read(w, fd, target);
		}
		listeners_resume(w, paused_target);
	}
	free(paused_target);
}

static void worker_free(struct worker *w)
{
	for (int fd = 0; fd < w->nfd; fd++)
		if (w->conns[fd])
			conn_close(w, fd);
	free(w->conns);
	free(w->paused);
	free(w->delayq);
	close(w->ep);
}

static int worker_run(const struct options *o, unsigned int first,
		      unsigned int cnt, struct counters *c, int ready_fd)
{
	struct rlimit rl;
	struct worker w = { .o = o, .first = first, .count = cnt, .c = c };

	if (o->set_nice && setpriority(PRIO_PROCESS, 0, o->nice)) {
		fprintf(stderr, "hc_responder: --nice %d: %s\n", o->nice,
			strerror(errno));
		return 1;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	w.nfd = (int)rl.rlim_cur;
	w.conns = calloc((size_t)w.nfd, sizeof(*w.conns));
	w.paused = calloc((size_t)w.nfd, sizeof(int));
	w.delayq = calloc((size_t)w.nfd, sizeof(int));
	w.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!w.conns || !w.paused || !w.delayq || w.ep < 0) {
		fprintf(stderr, "hc_responder: worker: %s\n", strerror(errno));
		return 1;
	}
	for (unsigned int i = first; i < first + cnt; i++)
		if (listen_target(&w, i))
			return 1;
	if (write(ready_fd, "r", 1) != 1)
		return 1;
	close(ready_fd);
	worker_loop(&w);
	worker_free(&w);
	return 0;
}

/* ---- the parent ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: hc_responder --targets N [--base 127.1.0.1] "
		"[--ports 8000-8099]\n"
		"         [--per-proc N] [--procs P] [--delay-ms D "
		"[--delay-every K]]\n"
		"         [--nice N] [--list FILE]\n"
		"  target i: address base + i / nports, port lo + i %% nports "
		"(127.0.0.0/8 only)\n");
}

static int parse_uint(const char *name, const char *s, unsigned int lo,
		      unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "hc_responder: %s \"%s\" is not %u..%u\n",
			name, s, lo, hi);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int parse_nice(const char *s, struct options *o)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < -20 || v > 19) {
		fprintf(stderr, "hc_responder: --nice \"%s\" is not -20..19\n", s);
		return -1;
	}
	o->nice = (int)v;
	o->set_nice = true;
	return 0;
}

static int parse_ports(const char *s, struct options *o)
{
	char lo[16], *dash = strchr(s, '-');

	if (!dash || (size_t)(dash - s) >= sizeof(lo)) {
		fprintf(stderr, "hc_responder: --ports \"%s\" is not LO-HI\n", s);
		return -1;
	}
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = 0;
	if (parse_uint("--ports low", lo, 1, 65535, &o->port_lo) ||
	    parse_uint("--ports high", dash + 1, o->port_lo, 65535, &o->port_hi))
		return -1;
	return 0;
}

static int parse_base(const char *s, struct options *o)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
		fprintf(stderr, "hc_responder: --base \"%s\" is not an address "
			"in 127.0.0.0/8\n", s);
		return -1;
	}
	o->base = ntohl(a.s_addr);
	return 0;
}

static int check_options(struct options *o)
{
	unsigned int nports = o->port_hi - o->port_lo + 1;
	uint64_t last = (uint64_t)o->base + (o->targets - 1) / nports;
	unsigned int need = (o->targets + o->per_proc - 1) / o->per_proc;

	if (!o->targets) {
		fprintf(stderr, "hc_responder: --targets is required\n");
		return -1;
	}
	if (last >> 24 != 127) {
		fprintf(stderr, "hc_responder: --targets %u from --base over %u "
			"ports leaves 127.0.0.0/8\n", o->targets, nports);
		return -1;
	}
	if (o->procs < need)
		o->procs = need;
	if (o->procs > MAX_PROCS || o->procs > o->targets) {
		fprintf(stderr, "hc_responder: --procs %u is not 1..%u (and at "
			"most --targets)\n", o->procs, MAX_PROCS);
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{ "targets", required_argument, NULL, 't' },
		{ "base", required_argument, NULL, 'b' },
		{ "ports", required_argument, NULL, 'p' },
		{ "per-proc", required_argument, NULL, 'P' },
		{ "procs", required_argument, NULL, 'n' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "delay-every", required_argument, NULL, 'e' },
		{ "list", required_argument, NULL, 'l' },
		{ "nice", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch, err = 0;

	*o = (struct options){ .port_lo = 8000, .port_hi = 8099,
			       .per_proc = 8000, .procs = 1, .delay_every = 1,
			       .base = 0x7f010001 };
	while (!err && (ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (ch) {
		case 't': err = parse_uint("--targets", optarg, 1, 1u << 24, &o->targets); break;
		case 'b': err = parse_base(optarg, o); break;
		case 'p': err = parse_ports(optarg, o); break;
		case 'P': err = parse_uint("--per-proc", optarg, 1, 9000, &o->per_proc); break;
		case 'n': err = parse_uint("--procs", optarg, 1, MAX_PROCS, &o->procs); break;
		case 'd': err = parse_uint("--delay-ms", optarg, 0, 600000, &o->delay_ms); break;
		case 'e': err = parse_uint("--delay-every", optarg, 1, 1u << 24, &o->delay_every); break;
		case 'l': o->list = optarg; break;
		case 'N': err = parse_nice(optarg, o); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "hc_responder: unexpected argument \"%s\"\n",
			argv[optind]);
		err = -1;
	}
	return err ? -1 : check_options(o);
}

static int write_list(const struct options *o)
{
	char tmp[4096], a[INET_ADDRSTRLEN];
	struct sockaddr_in sa;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", o->list);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	for (unsigned int i = 0; i < o->targets; i++) {
		target_of(o, i, &sa);
		fprintf(f, "%s %u\n", inet_ntop(AF_INET, &sa.sin_addr, a,
						sizeof(a)), ntohs(sa.sin_port));
	}
	if (fclose(f) || rename(tmp, o->list))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "hc_responder: --list %s: %s\n", o->list,
		strerror(errno));
	return -1;
}

static void print_stats(const struct options *o, const struct counters *c)
{
	unsigned long t[5] = { 0 };

	for (unsigned int p = 0; p < o->procs; p++) {
		t[0] += __atomic_load_n(&c[p].accepted, __ATOMIC_RELAXED);
		t[1] += __atomic_load_n(&c[p].answered, __ATOMIC_RELAXED);
		t[2] += __atomic_load_n(&c[p].no_request, __ATOMIC_RELAXED);
		t[3] += __atomic_load_n(&c[p].errors, __ATOMIC_RELAXED);
		t[4] += __atomic_load_n(&c[p].fd_full, __ATOMIC_RELAXED);
	}
	fprintf(stderr, "hc_responder stats: targets=%u procs=%u accepted=%lu "
		"answered=%lu no_request=%lu errors=%lu fd_full=%lu\n",
		o->targets, o->procs, t[0], t[1], t[2], t[3], t[4]);
}

/* Workers inherit the handlers: SIGTERM stops their loop too. */
static void handle_signals(sigset_t *set)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGCHLD };

	sigemptyset(&sa.sa_mask);
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(set, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
}

/* Forks the workers; each takes a contiguous slice of the targets. */
static int start_workers(const struct options *o, struct counters *c,
			 pid_t *pids, int ready[2])
{
	pid_t parent = getpid();

	for (unsigned int p = 0; p < o->procs; p++) {
		unsigned int first = (unsigned int)((uint64_t)o->targets * p / o->procs);
		unsigned int end = (unsigned int)((uint64_t)o->targets * (p + 1) / o->procs);

		pids[p] = fork();
		if (pids[p] < 0)
			return perror("hc_responder: fork"), -1;
		if (pids[p] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(1);
			close(ready[0]);
			_exit(worker_run(o, first, end - first, &c[p], ready[1]));
		}
	}
	close(ready[1]);
	return 0;
}

/* 0 once every worker said it listens; -1 when one failed (exited) first
 * or a signal asked to stop. */
static int wait_ready(const struct options *o, int fd)
{
	unsigned int got = 0;
	char b[MAX_PROCS];

	while (got < o->procs && !stop && !child_died) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, b, sizeof(b));
		if (n > 0)
			got += (unsigned int)n;
		else if (n == 0)
			break;
	}
	close(fd);
	return got == o->procs ? 0 : -1;
}

static void stop_workers(const struct options *o, const pid_t *pids)
{
	for (unsigned int p = 0; p < o->procs; p++)
		if (pids[p] > 0)
			kill(pids[p], SIGTERM);
	for (unsigned int p = 0; p < o->procs; p++)
		if (pids[p] > 0)
			waitpid(pids[p], NULL, 0);
}

static int raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static void print_ready(const struct options *o, const pid_t *pids)
{
	struct sockaddr_in first, last;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	target_of(o, 0, &first);
	target_of(o, o->targets - 1, &last);
	printf("hc_responder: ready: %u targets %s:%u .. %s:%u on %u "
	       "processes (pids", o->targets,
	       inet_ntop(AF_INET, &first.sin_addr, a, sizeof(a)),
	       ntohs(first.sin_port),
	       inet_ntop(AF_INET, &last.sin_addr, b, sizeof(b)),
	       ntohs(last.sin_port), o->procs);
	for (unsigned int p = 0; p < o->procs; p++)
		printf(" %d", (int)pids[p]);
	printf(")\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct options o;
	pid_t pids[MAX_PROCS] = { 0 };
	struct counters *c;
	sigset_t waited, old;
	int ready[2], rc = 0;

	if (parse(argc, argv, &o))
		return 2;
	handle_signals(&waited);
	if (raise_nofile())
		perror("hc_responder: RLIMIT_NOFILE");
	c = mmap(NULL, sizeof(*c) * o.procs, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED || pipe2(ready, O_CLOEXEC))
		return perror("hc_responder"), 1;
	if (start_workers(&o, c, pids, ready) || wait_ready(&o, ready[0]) ||
	    (o.list && write_list(&o))) {
		stop_workers(&o, pids);
		return 1;
	}
	print_ready(&o, pids);
	/* Signals are taken only inside sigsuspend: none is lost between
	 * the test of the flags and the wait. */
	sigprocmask(SIG_BLOCK, &waited, &old);
	while (!stop && !child_died) {
		sigsuspend(&old);
		if (want_stats) {
			want_stats = 0;
			print_stats(&o, c);
		}
	}
	if (child_died && !stop) {
		fprintf(stderr, "hc_responder: a worker died; stopping\n");
		rc = 1;
	}
	stop_workers(&o, pids);
	print_stats(&o, c);
	return rc;
}
