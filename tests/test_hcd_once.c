// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_hcd_once.c - `hcd --once` (BUILD/hcd) against 200 HTTP servers on
 * loopback, plus IPv6 ones (TCP on ::1, ICMPv6 echo to ::1, a closed UDP
 * port on ::1): its one line on stdout counts every distinct target once
 * (each server is named by two services), and the in-flight cap holds:
 * with --max-inflight 5, and with an open-file limit of 64 (hcd picks a
 * cap below it and logs it), every probe still succeeds, none times out,
 * and no more than the cap were ever in flight.  With one probe in flight
 * at a time, every probe's socket is the one the last probe ended with
 * (hcd keeps it, disconnected): HTTP targets answering and refusing in
 * turn still each get their own verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "xlb_db.h"
#include "xlb_errmsg.h"

#define NSERVERS 200
#define NCLOSED 20

static char hcd_path[512];

struct fx {
	char dir[64], db[96];
	sqlite3 *w;
	int fd[NSERVERS + 1];  /* 200 on 127.0.0.1, one on ::1 */
	uint16_t port[NSERVERS + 1];
	uint16_t closed6;      /* a UDP port nothing listens on, ::1 */
	uint16_t closed[NCLOSED]; /* TCP ports nothing listens on, 127.0.0.1 */
	atomic_int stop;
	pthread_t th;
	char out[512], err[8192];
};

static int listen_any(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) ||
	    listen(fd, 64) || getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
			: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void *serve(void *arg)
{
	struct fx *f = arg;
	struct pollfd p[NSERVERS + 1];
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

	for (int i = 0; i <= NSERVERS; i++)
		p[i] = (struct pollfd){ .fd = f->fd[i], .events = POLLIN };
	while (!atomic_load(&f->stop)) {
		if (poll(p, NSERVERS + 1, 20) <= 0)
			continue;
		for (int i = 0; i <= NSERVERS; i++) {
			char buf[1024];
			struct timeval tv = { .tv_sec = 1 };
			int c;

			if (!(p[i].revents & POLLIN))
				continue;
			c = accept4(f->fd[i], NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			if (i < NSERVERS && recv(c, buf, sizeof(buf), 0) > 0)
				send(c, resp, sizeof(resp) - 1, MSG_NOSIGNAL);
			close(c);
		}
	}
	return NULL;
}

static void sql(struct fx *f, const char *fmt, ...)
{
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (xlb_db_exec(f->w, q))
		fail_msg("%s: %s", q, xlb_errmsg());
}

/* A TCP port on 127.0.0.1 nothing listens on: bound, released. */
static int closed_port(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	     getsockname(fd, (struct sockaddr *)&a, &len) ? -1 : 0;
	*port = ntohs(a.sin_port);
	close(fd);
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_hcd_once.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/xlb.db", f->dir);
	if (xlb_db_open(f->db, &f->w))
		return -1;
	for (int i = 0; i < NSERVERS; i++)
		if ((f->fd[i] = listen_any(AF_INET, &f->port[i])) < 0)
			return -1;
	if ((f->fd[NSERVERS] = listen_any(AF_INET6, &f->port[NSERVERS])) < 0)
		return -1;
	/* A closed UDP port on ::1: bound once, released. */
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	{
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_addr = in6addr_loopback };
		socklen_t len = sizeof(a);

		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(fd, (struct sockaddr *)&a, &len))
			return -1;
		f->closed6 = ntohs(a.sin6_port);
		close(fd);
	}
	for (int i = 0; i < NCLOSED; i++)
		if (closed_port(&f->closed[i]))
			return -1;
	if (pthread_create(&f->th, NULL, serve, f))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	atomic_store(&f->stop, 1);
	pthread_join(f->th, NULL);
	for (int i = 0; i <= NSERVERS; i++)
		close(f->fd[i]);
	xlb_db_close(f->w);
	snprintf(p, sizeof(p), "%s/xlb.db", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/xlb.db-wal", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/xlb.db-shm", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void configure(struct fx *f)
{
	sql(f, "INSERT INTO health_check (name, type, timeout_ms) VALUES "
	       "('web', 'http', 2000), ('tcp', 'tcp', 2000), "
	       "('ping', 'icmp', 2000)");
	sql(f, "INSERT INTO health_check (name, type, timeout_ms, send) VALUES "
	       "('udp', 'udp', 2000, X'00')");
	sql(f, "INSERT INTO service (vip, proto, port, health_check) VALUES "
	       "('203.0.113.1', 'tcp', 80, 'web'), ('203.0.113.2', 'tcp', 80, "
	       "'web'), ('2001:db8::1', 'tcp', 80, NULL)");
	sql(f, "BEGIN");
	for (int i = 0; i < NSERVERS; i++)
		for (int s = 1; s <= 2; s++)
			sql(f, "INSERT INTO backend (vip, proto, port, address, "
			    "backend_port) VALUES ('203.0.113.%d', 'tcp', 80, "
			    "'127.0.0.1', %u)", s, f->port[i]);
	sql(f, "INSERT INTO backend (vip, proto, port, address, backend_port, "
	       "health_check) VALUES ('2001:db8::1', 'tcp', 80, '::1', %u, "
	       "'tcp'), ('2001:db8::1', 'tcp', 80, '::1', 0, 'ping'), "
	       "('2001:db8::1', 'tcp', 80, '::1', %u, 'udp')",
	    f->port[NSERVERS], f->closed6);
	sql(f, "COMMIT");
}

/* Runs hcd --once with the arguments and open-file limit given (0: as
 * is); its stdout and stderr in f->out, f->err; its exit status. */
static int once(struct fx *f, rlim_t nofile, const char *arg1,
		const char *arg2)
{
	int out[2], err[2], st;
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit rl = { nofile, nofile };

		dup2(out[1], 1);
		dup2(err[1], 2);
		if (nofile && setrlimit(RLIMIT_NOFILE, &rl))
			_exit(126);
		execl(hcd_path, "hcd", "--db", f->db, "--once", arg1, arg2,
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while ((n = read(err[0], f->err + got, sizeof(f->err) - 1 - got)) > 0)
		got += (size_t)n;
	f->err[got] = 0;
	n = read(out[0], f->out, sizeof(f->out) - 1);
	f->out[n > 0 ? n : 0] = 0;
	close(out[0]);
	close(err[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned long field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	if (!p)
		fail_msg("no %s in \"%s\"", name, text);
	return strtoul(p + strlen(name), NULL, 10);
}

static void expect_all_done(struct fx *f)
{
	unsigned long probes = field(f->out, " probes="), up = field(f->out, " up=");

	assert_int_equal(strncmp(f->out, "hcd once: probes=", 17), 0);
	assert_non_null(strstr(f->out, " wall_ms="));
	assert_non_null(strstr(f->out, " cpu_ms="));
	assert_int_equal(strchr(f->out, '\n') - f->out + 1, strlen(f->out));
	/* 200 web targets named by two services each: 200 probes; then
	 * TCP and ICMPv6 to ::1 up, the closed UDP port down. */
	assert_int_equal(probes, NSERVERS + 3);
	assert_int_equal(up, NSERVERS + 2);
	assert_int_equal(field(f->out, " down="), 1);
	assert_int_equal(field(f->out, " timeouts="), 0);
}

static void test_every_target_once(void **state)
{
	struct fx *f = *state;

	configure(f);
	assert_int_equal(once(f, 0, "--threads", "2"), 0);
	expect_all_done(f);
	assert_int_equal(field(f->err, "hcd stats: checks="), NSERVERS + 3);
}

static void test_max_inflight(void **state)
{
	struct fx *f = *state;

	configure(f);
	assert_int_equal(once(f, 0, "--max-inflight", "5"), 0);
	expect_all_done(f);
	assert_true(field(f->err, " inflight_max=") <= 5);
	assert_true(field(f->err, " cap=") <= 5);
}

static void test_open_file_limit(void **state)
{
	struct fx *f = *state;
	unsigned long cap;

	configure(f);
	assert_int_equal(once(f, 64, "--threads", "2"), 0);
	expect_all_done(f);
	cap = field(f->err, " cap=");
	assert_true(cap > 0 && cap < 64);
	assert_true(field(f->err, " inflight_max=") <= cap);
	assert_non_null(strstr(f->err, "in-flight cap "));
	assert_non_null(strstr(f->err, "open-file limit 64"));
}

static void test_kept_sockets(void **state)
{
	struct fx *f = *state;

	configure(f);
	sql(f, "BEGIN");
	for (int i = 0; i < NCLOSED; i++)
		sql(f, "INSERT INTO backend (vip, proto, port, address, "
		    "backend_port) VALUES ('203.0.113.1', 'tcp', 80, "
		    "'127.0.0.1', %u)", f->closed[i]);
	sql(f, "COMMIT");
	assert_int_equal(once(f, 0, "--max-inflight", "1"), 0);
	assert_int_equal(field(f->out, " probes="), NSERVERS + 3 + NCLOSED);
	assert_int_equal(field(f->out, " up="), NSERVERS + 2);
	assert_int_equal(field(f->out, " down="), 1 + NCLOSED);
	assert_int_equal(field(f->out, " timeouts="), 0);
	/* one a worker: its socket goes from each probe to the next */
	assert_true(field(f->err, " cap=") <= 2);
	assert_true(field(f->err, " inflight_max=") <= 2);
}

static void test_bad_database(void **state)
{
	struct fx *f = *state;
	char path[96];

	snprintf(path, sizeof(path), "%s/none.db", f->dir);
	memcpy(f->db, path, sizeof(path));
	assert_int_equal(once(f, 0, "-v", NULL), 1);
	assert_non_null(strstr(f->err, "none.db"));
	assert_int_equal(access(path, F_OK), -1); /* never created */
	snprintf(f->db, sizeof(f->db), "%s/xlb.db", f->dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_target_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_max_inflight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_file_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kept_sockets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_database, setup,
						teardown),
	};
	char *slash;

	(void)argc;
	snprintf(hcd_path, sizeof(hcd_path), "%s", argv[0]);
	slash = strrchr(hcd_path, '/');
	snprintf(slash ? slash + 1 : hcd_path,
		 sizeof(hcd_path) - (size_t)(slash ? slash + 1 - hcd_path : 0),
		 "../hcd");
	if (access(hcd_path, X_OK)) {
		fprintf(stderr, "%s: %s not built\n", argv[0], hcd_path);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
