// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * prober.c - the minimal prober of bench_hcd: about the least a prober
 * does for LINE's shape (N concurrent HTTP GETs, one event loop per
 * process): non-blocking connects in batches of 256 between the answers,
 * the GET written when the connection is up, the answer read to its end,
 * its status line checked (2xx/3xx is up), a plain close.  No scheduling,
 * no state machine, no results to publish: its CPU is mostly the kernel's
 * cost of the loopback exchanges, so hcd's ratio to it is roughly what
 * hcd's own machinery adds.  Not a strict lower bound: a checker that
 * closes or batches differently can beat it.
 *
 *   prober --targets FILE [--timeout-ms 3000] [--procs P]
 *
 * FILE holds "ADDRESS PORT [http PATH | tcp]" per line (IPv4).  In flight
 * are capped below RLIMIT_NOFILE (raised to the hard limit); the rest wait,
 * their timeout starting when they start.  --procs P splits the checks
 * over P processes (every P-th), started together once all have read the
 * file: beside a checker with P threads.  Prints
 *   prober.c: probes=N up=U down=D timeouts=T wall_ms=W cpu_ms=C procs=P
 * wall (start to the last process done) and CPU (user + system, summed)
 * cover the probing only.
 *
 * Not part of the build: bench_hcd.sh compiles it into its temp folder
 * with the project's warning flags.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FD_RESERVE 64
#define START_BATCH 256
#define MAX_EVENTS 1024

struct check {
	struct sockaddr_in sa;
	bool tcp;
	char path[128];
};

struct slot {                  /* a probe in flight, by descriptor */
	int check;             /* -1: free */
	bool sent;
	double deadline;
	size_t len;
	char buf[64];          /* the start of the answer: the status line */
};

struct run {
	struct check *checks;
	int n, next, inflight, cap;
	int up, down, timeouts;
	double timeout_ms;
	int ep;
	struct slot *slots;
	int nslots;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* The checks of process `part` of `parts`: every parts-th line. */
static int load(const char *file, int part, int parts, struct check **out)
{
	FILE *f = fopen(file, "r");
	char line[256], addr[64], kind[8], path[128];
	int n = 0, cap = 0;
	struct check *v = NULL;

	if (!f)
		return -1;
	for (int lineno = 0; fgets(line, sizeof(line), f); lineno++) {
		unsigned int port;
		int k = sscanf(line, "%63s %u %7s %127s", addr, &port, kind, path);

		if (k < 2 || lineno % parts != part)
			continue;
		if (n == cap) {
			struct check *w = realloc(v, sizeof(*v) * (cap = cap ? cap * 2 : 4096));

			if (!w)
				break;
			v = w;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].sa.sin_family = AF_INET;
		v[n].sa.sin_port = htons((unsigned short)port);
		if (inet_pton(AF_INET, addr, &v[n].sa.sin_addr) != 1) {
			fprintf(stderr, "prober.c: %s: \"%s\" is not an IPv4 address\n", file, addr);
			break;
		}
		v[n].tcp = k >= 3 && !strcmp(kind, "tcp");
		snprintf(v[n].path, sizeof(v[n].path), "%s", k >= 4 ? path : "/");
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

static void finish(struct run *r, int fd, int result)
{
	r->slots[fd].check = -1;
	close(fd);
	r->inflight--;
	if (result > 0)
		r->up++;
	else if (result == 0)
		r->down++;
	else
		r->timeouts++;
}

/* Starts at most START_BATCH probes: connects are interleaved with the
 * answers to earlier ones, so no answer waits behind thousands of
 * connects and each timeout starts when its connect does. */
static void start_some(struct run *r)
{
	for (int k = 0; k < START_BATCH && r->next < r->n &&
			r->inflight < r->cap; k++) {
		struct check *c = &r->checks[r->next++];
		struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0 || fd >= r->nslots) {
			if (fd >= 0)
				close(fd);
			r->down++;
			continue;
		}
		r->inflight++;
		r->slots[fd] = (struct slot){ .check = (int)(c - r->checks),
					      .deadline = now_ms() + r->timeout_ms };
		if ((connect(fd, (struct sockaddr *)&c->sa, sizeof(c->sa)) &&
		     errno != EINPROGRESS) ||
		    (ev.data.fd = fd, epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev)))
			finish(r, fd, 0);
	}
}

static void on_event(struct run *r, int fd, unsigned int events)
{
	struct slot *s = &r->slots[fd];
	struct check *c = &r->checks[s->check];
	char req[256], sink[512];
	int err = 0, n;
	socklen_t len = sizeof(err);

	if (!s->sent) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
			return finish(r, fd, 0);
		if (!(events & EPOLLOUT))
			return;
		if (c->tcp)
			return finish(r, fd, 1);
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
			     "Connection: close\r\n\r\n", c->path);
		if (write(fd, req, (size_t)n) != n)
			return finish(r, fd, 0);
		s->sent = true;
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev);
		return;
	}
	for (;;) {
		ssize_t got = read(fd, s->len < sizeof(s->buf) ? s->buf + s->len : sink,
				   s->len < sizeof(s->buf) ? sizeof(s->buf) - s->len : sizeof(sink));

		if (got > 0) {
			if (s->len < sizeof(s->buf))
				s->len += (size_t)got;
			continue;
		}
		if (got < 0 && errno == EAGAIN)
			return;
		break;
	}
	finish(r, fd, s->len >= 12 && !memcmp(s->buf, "HTTP/1.", 7) &&
			      (s->buf[9] == '2' || s->buf[9] == '3'));
}

static void expire(struct run *r)
{
	double t = now_ms();

	for (int fd = 0; fd < r->nslots; fd++)
		if (r->slots[fd].check >= 0 && r->slots[fd].deadline <= t)
			finish(r, fd, -1);
}

struct result {
	int n, up, down, timeouts;
	double wall_ms, cpu_ms;
};

/* Probes every check once; the figures into *res. */
static int probe_all(struct run *r, struct result *res)
{
	struct epoll_event evs[MAX_EVENTS];
	double t0, c0;

	r->nslots = r->cap + FD_RESERVE;
	r->slots = malloc(sizeof(*r->slots) * (size_t)r->nslots);
	r->ep = epoll_create1(0);
	if (!r->slots || r->ep < 0)
		return -1;
	for (int i = 0; i < r->nslots; i++)
		r->slots[i].check = -1;
	t0 = now_ms();
	c0 = cpu_ms();
	start_some(r);
	while (r->inflight || r->next < r->n) {
		int more = r->next < r->n && r->inflight < r->cap;
		int n = epoll_wait(r->ep, evs, MAX_EVENTS, more ? 0 : 100);

		for (int i = 0; i < n; i++)
			if (r->slots[evs[i].data.fd].check >= 0)
				on_event(r, evs[i].data.fd, evs[i].events);
		/* Deadlines are looked at only once every answer that is
		 * there has been read: an answer that came in time is not
		 * a timeout, however late this loop reads it. */
		if (n < MAX_EVENTS)
			expire(r);
		start_some(r);
	}
	*res = (struct result){ .n = r->n, .up = r->up, .down = r->down,
				.timeouts = r->timeouts,
				.wall_ms = now_ms() - t0, .cpu_ms = cpu_ms() - c0 };
	free(r->slots);
	close(r->ep);
	return 0;
}

/* A child: reads its part, says ready, waits for the go, probes, writes
 * its result to the parent. */
static int child(const char *file, int part, int parts, double timeout_ms,
		 int cap, int to_parent, int from_parent)
{
	struct run r = { .timeout_ms = timeout_ms, .cap = cap };
	struct result res;
	char go;

	r.n = load(file, part, parts, &r.checks);
	if (r.n < 0 || write(to_parent, "r", 1) != 1 ||
	    read(from_parent, &go, 1) != 1 || probe_all(&r, &res))
		return 1;
	free(r.checks);
	return write(to_parent, &res, sizeof(res)) == sizeof(res) ? 0 : 1;
}

/* Sums the children's results; 0 when every child answered. */
static int gather(int from[], int parts, struct result *sum)
{
	for (int p = 0; p < parts; p++) {
		struct result res;

		if (read(from[p], &res, sizeof(res)) != sizeof(res))
			return -1;
		sum->n += res.n;
		sum->up += res.up;
		sum->down += res.down;
		sum->timeouts += res.timeouts;
		sum->cpu_ms += res.cpu_ms;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	double timeout_ms = 3000, t0;
	int parts = 1, up[64], go[2], rc = 0;
	struct result sum = { 0 };
	struct rlimit rl;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--targets"))
			file = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout-ms"))
			timeout_ms = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--procs"))
			parts = atoi(argv[i + 1]);
	}
	if (!file || parts < 1 || parts > 64)
		return fprintf(stderr, "usage: prober --targets FILE "
			       "[--timeout-ms MS] [--procs 1..64]\n"), 2;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (pipe(go))
		return perror("prober.c: pipe"), 1;
	for (int p = 0; p < parts; p++) {
		int fds[2];

		if (pipe(fds))
			return perror("prober.c: pipe"), 1;
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM); /* dies with the bench */
			close(fds[0]);
			close(go[1]);
			_exit(child(file, p, parts, timeout_ms,
				    (int)rl.rlim_cur - FD_RESERVE, fds[1], go[0]));
		}
		close(fds[1]);
		up[p] = fds[0];
	}
	close(go[0]);
	for (int p = 0; p < parts; p++) {
		char r;

		if (read(up[p], &r, 1) != 1)
			rc = 1;
	}
	t0 = now_ms();
	for (int p = 0; !rc && p < parts; p++)
		rc = write(go[1], "g", 1) != 1;
	close(go[1]);
	if (rc || gather(up, parts, &sum))
		rc = 1;
	while (wait(NULL) > 0)
		;
	if (rc)
		return fprintf(stderr, "prober.c: a process failed\n"), 1;
	printf("prober.c: probes=%d up=%d down=%d timeouts=%d wall_ms=%.0f "
	       "cpu_ms=%.0f procs=%d\n", sum.n, sum.up, sum.down,
	       sum.timeouts, now_ms() - t0, sum.cpu_ms, parts);
	return 0;
}
