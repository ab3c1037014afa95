// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_hcd_bus.c - the real hcd (BUILD/hcd beside BUILD/tests) against
 * real servers on loopback, its checks in a real database file, heard
 * over real nng by a subscriber as lbd hears it.
 *
 * The servers (one thread here): HTTP answering 200, HTTP answering 500,
 * a slow one answering after the timeout, a half-open one that never
 * accepts (its queue full, SYNs go unanswered), a refusing port, an HTTPS one with a
 * self-signed certificate made here (SNI recorded), a UDP echo and a
 * closed UDP port; plus ICMP echo to 127.0.0.1.  Asserted: every key is
 * reported with the right state and reason, keyed as lbd matches it;
 * sequence numbers follow each other; a snapshot on hcd-ctl lists every
 * decided key; a server stopped is reported down within interval x fall
 * + timeout and back up after `rise` successes; a check changed in the
 * database is reloaded (and only it); a restarted hcd reports nothing
 * before `rise` results; SIGUSR1 and exit print the statistics line;
 * started as root with --user, it runs as that user in every thread,
 * the workers with CAP_NET_RAW alone, no thread with more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <dirent.h>
#include <poll.h>
#include <pwd.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "xlb_addr.h"
#include "xlb_bus.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_msg.h"

#define INTERVAL 200
#define TIMEOUT  100
#define RISE     2
#define FALL     2
#define SLOW_MS  300 /* the slow server's delay: past TIMEOUT */
/* Checks whose timing is not measured get more room: this one thread
 * serves every server, and the machine may be busy. */
#define SLOW_IV  400
#define SLOW_TO  300

static char hcd_path[512];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- servers ----------------------------------------------------------- */

enum kind { K_OK, K_500, K_SLOW, K_HALF, K_TLS, K_UDP, K_NKINDS };

struct servers {
	int fd[K_NKINDS];
	uint16_t port[K_NKINDS];
	uint16_t refused_tcp, refused_udp;
	atomic_int ok_enabled;  /* K_OK listens while set */
	atomic_int stop;
	pthread_t th;
	SSL_CTX *tls;
	char sni[64];
	int slow[64];         /* accepted, answered SLOW_MS later */
	double slow_at[64];
	int nslow;
};

static int listen_on(int type, uint16_t port, uint16_t *got)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 0)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		close(fd);
		return -1;
	}
	if (got)
		*got = ntohs(a.sin_port);
	return fd;
}

/* A port nothing listens on: bound once to learn a free one, closed. */
static uint16_t free_port(int type)
{
	uint16_t port = 0;
	int fd = listen_on(type, 0, &port);

	close(fd);
	return port;
}

static void answer(int c, const char *status)
{
	char buf[2048], out[256];
	struct timeval tv = { .tv_sec = 1 };
	int n;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(c, buf, sizeof(buf), 0) <= 0)
		return;
	n = snprintf(out, sizeof(out), "HTTP/1.1 %s\r\nContent-Length: 3\r\n"
		     "Connection: close\r\n\r\nok\n", status);
	if (send(c, out, (size_t)n, MSG_NOSIGNAL) < 0)
		return;
}

static void answer_tls(struct servers *s, int c)
{
	struct timeval tv = { .tv_sec = 1 };
	SSL *ssl = SSL_new(s->tls);
	char buf[2048];
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsecure\n";

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) == 1) {
		const char *sni = SSL_get_servername(ssl,
						     TLSEXT_NAMETYPE_host_name);

		if (sni)
			snprintf(s->sni, sizeof(s->sni), "%s", sni);
		if (SSL_read(ssl, buf, sizeof(buf)) > 0)
			SSL_write(ssl, resp, (int)strlen(resp));
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
}

static void accept_one(struct servers *s, enum kind k)
{
	int c = accept4(s->fd[k], NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	if (k == K_SLOW) {
		if (s->nslow == 64) {
			close(c);
			return;
		}
		s->slow_at[s->nslow] = now_ms() + SLOW_MS;
		s->slow[s->nslow++] = c;
		return;
	}
	if (k == K_TLS)
		answer_tls(s, c);
	else
		answer(c, k == K_OK ? "200 OK" : "500 Internal Server Error");
	close(c);
}

static void echo(struct servers *s)
{
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	char buf[512];
	ssize_t n = recvfrom(s->fd[K_UDP], buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &len);

	if (n >= 0)
		sendto(s->fd[K_UDP], "pong", 4, 0, (struct sockaddr *)&from, len);
}

/* K_OK follows ok_enabled: closed to refuse, bound again on its port. */
static void ok_follow(struct servers *s)
{
	int want = atomic_load(&s->ok_enabled);

	if (!want && s->fd[K_OK] >= 0) {
		close(s->fd[K_OK]);
		s->fd[K_OK] = -1;
	} else if (want && s->fd[K_OK] < 0) {
		s->fd[K_OK] = listen_on(SOCK_STREAM, s->port[K_OK], NULL);
	}
}

/* The slow server's answers that are due. */
static void slow_answers(struct servers *s)
{
	for (int i = 0; i < s->nslow;) {
		if (now_ms() < s->slow_at[i]) {
			i++;
			continue;
		}
		answer(s->slow[i], "200 OK");
		close(s->slow[i]);
		s->slow[i] = s->slow[--s->nslow];
		s->slow_at[i] = s->slow_at[s->nslow];
	}
}

static void *serve(void *arg)
{
	struct servers *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p[K_NKINDS];
		int map[K_NKINDS], n = 0;

		ok_follow(s);
		slow_answers(s);
		for (int k = 0; k < K_NKINDS; k++)
			if (k != K_HALF && s->fd[k] >= 0) {
				p[n] = (struct pollfd){ .fd = s->fd[k],
							.events = POLLIN };
				map[n++] = k;
			}
		if (poll(p, (nfds_t)n, 20) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if (map[i] == K_UDP)
				echo(s);
			else
				accept_one(s, (enum kind)map[i]);
		}
	}
	return NULL;
}

/* A self-signed certificate for hc.test, made here. */
static SSL_CTX *tls_server(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(c);
	assert_non_null(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"hc.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(c, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	return c;
}

static void servers_start(struct servers *s)
{
	memset(s, 0, sizeof(*s));
	for (int k = 0; k < K_NKINDS; k++) {
		s->fd[k] = listen_on(k == K_UDP ? SOCK_DGRAM : SOCK_STREAM, 0,
				     &s->port[k]);
		assert_true(s->fd[k] >= 0);
	}
	s->refused_tcp = free_port(SOCK_STREAM);
	s->refused_udp = free_port(SOCK_DGRAM);
	s->tls = tls_server();
	atomic_store(&s->ok_enabled, 1);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void servers_stop(struct servers *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	for (int k = 0; k < K_NKINDS; k++)
		if (s->fd[k] >= 0)
			close(s->fd[k]);
	for (int i = 0; i < s->nslow; i++)
		close(s->slow[i]);
	SSL_CTX_free(s->tls);
}

/* ---- the fixture: a database, hcd, a subscriber ------------------------ */

#define KEYS_MAX 16

struct seen {
	char check[64];
	uint16_t port;
	int state;   /* -1: nothing heard */
	int reason;
	int reports;
};

struct fx {
	char dir[64], db[96], rundir[96], log[96];
	sqlite3 *w;
	pid_t hcd;
	struct xlb_bus sub;
	struct xlb_msg_buf in;
	struct servers srv;
	struct seen seen[KEYS_MAX];
	int nseen;
	uint64_t last_seq;
	int seq_breaks;
};

static void sql(struct fx *f, const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (xlb_db_exec(f->w, q))
		fail_msg("%s: %s", q, xlb_errmsg());
}

static void hcd_start_as(struct fx *f, const char *user)
{
	f->hcd = fork();
	assert_true(f->hcd >= 0);
	if (!f->hcd) {
		int fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 2);
		if (user)
			execl(hcd_path, "hcd", "--db", f->db, "--rundir",
			      f->rundir, "--threads", "2", "--user", user,
			      (char *)NULL);
		else
			execl(hcd_path, "hcd", "--db", f->db, "--rundir",
			      f->rundir, "--threads", "2", (char *)NULL);
		_exit(127);
	}
}

static void hcd_start(struct fx *f)
{
	hcd_start_as(f, NULL);
}

/* SIGTERM; the exit status. */
static int hcd_stop(struct fx *f)
{
	int st = -1;

	if (f->hcd <= 0)
		return -1;
	kill(f->hcd, SIGTERM);
	waitpid(f->hcd, &st, 0);
	f->hcd = 0;
	return st;
}

static struct seen *seen_of(struct fx *f, const char *check, uint16_t port)
{
	for (int i = 0; i < f->nseen; i++)
		if (!strcmp(f->seen[i].check, check) && f->seen[i].port == port)
			return &f->seen[i];
	if (f->nseen == KEYS_MAX)
		fail_msg("more keys than the test made");
	struct seen *s = &f->seen[f->nseen++];

	snprintf(s->check, sizeof(s->check), "%s", check);
	s->port = port;
	s->state = -1;
	return s;
}

static void take(struct fx *f, const struct xlb_msg *m, bool count)
{
	struct xlb_msg_iter it;
	struct xlb_health_tr tr;
	char a[XLB_ADDR_STRLEN];

	if (count) {
		if (f->last_seq && m->seq != f->last_seq + 1)
			f->seq_breaks++;
		f->last_seq = m->seq;
	}
	assert_int_equal(xlb_msg_iter_init(&it, m), 0);
	while (!xlb_msg_health_next(&it, &tr)) {
		struct seen *s = seen_of(f, tr.check, tr.port);

		xlb_addr_format(&tr.addr, tr.family, a, sizeof(a));
		assert_string_equal(a, "127.0.0.1");
		s->state = tr.state;
		s->reason = tr.reason;
		s->reports += count;
	}
}

/* What lbd does when it first hears hcd: the subscription connects in
 * the background, so deltas published before it did are lost; a snapshot
 * from hcd-ctl gives their states (not counted as reports). */
static void baseline(struct fx *f, uint64_t first_seq)
{
	struct xlb_bus req;
	struct xlb_msg_buf q = { 0 }, r = { 0 };
	struct xlb_msg m;

	assert_int_equal(xlb_bus_req_open(&req, f->rundir, XLB_BUS_HCD_CTL), 0);
	assert_int_equal(xlb_msg_request_encode(&q, 1,
						XLB_MSG_SNAPSHOT_HEALTH_REQ), 0);
	assert_int_equal(xlb_bus_request(req, &q, &r, 2000), 0);
	assert_int_equal(xlb_msg_decode(r.data, r.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_HEALTH);
	assert_true(m.batch.snapshot);
	/* It reflects everything up to the delta just heard, at least. */
	assert_true(m.seq >= first_seq);
	take(f, &m, false);
	xlb_bus_close(req);
	xlb_msg_buf_fini(&q);
	xlb_msg_buf_fini(&r);
}

/* Reads the subscription for ms milliseconds. */
static void listen_for(struct fx *f, double ms)
{
	double end = now_ms() + ms;

	while (now_ms() < end) {
		struct xlb_msg m;

		if (xlb_bus_recv(f->sub, &f->in, 20))
			continue;
		assert_int_equal(xlb_msg_decode(f->in.data, f->in.len, &m, NULL),
				 0);
		assert_int_equal(m.type, XLB_MSG_HEALTH);
		assert_false(m.batch.snapshot);
		if (!f->last_seq)
			baseline(f, m.seq);
		take(f, &m, true);
	}
}

/* Waits until (check, port) is reported in `state`; the time it took. */
static double wait_state(struct fx *f, const char *check, uint16_t port,
			 int state, double max_ms)
{
	double t0 = now_ms();

	while (now_ms() - t0 < max_ms) {
		struct seen *s = seen_of(f, check, port);

		if (s->state == state)
			return now_ms() - t0;
		listen_for(f, 20);
	}
	fail_msg("%s %u not %s within %.0f ms (log in %s)", check, port,
		 state ? "up" : "down", max_ms, f->log);
	return -1;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_hcd_bus.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/xlb.db", f->dir);
	snprintf(f->rundir, sizeof(f->rundir), "%s/run", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/hcd.log", f->dir);
	if (xlb_db_open(f->db, &f->w))
		return -1;
	servers_start(&f->srv);
	*state = f;
	return 0;
}

static void rm(const char *dir, const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hcd_stop(f);
	if (f->sub.id)
		xlb_bus_close(f->sub);
	xlb_msg_buf_fini(&f->in);
	servers_stop(&f->srv);
	xlb_db_close(f->w);
	if (getenv("HCD_TEST_KEEP"))
		return 0;
	rm(f->dir, "xlb.db");
	rm(f->dir, "xlb.db-wal");
	rm(f->dir, "xlb.db-shm");
	rm(f->dir, "hcd.log");
	rm(f->rundir, "health.ipc");
	rm(f->rundir, "hcd-ctl.ipc");
	rmdir(f->rundir);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- the configuration ------------------------------------------------- */

static void configure(struct fx *f)
{
	struct servers *s = &f->srv;

	sql(f, "INSERT INTO health_check (name, type, interval_ms, timeout_ms, "
	       "rise, fall, expect_body, send, host, tls_verify) VALUES "
	       "('web', 'http', %d, %d, %d, %d, 'ok', NULL, NULL, 0),"
	       "('web500', 'http', %d, %d, %d, %d, NULL, NULL, NULL, 0),"
	       "('slow', 'http', %d, %d, %d, %d, NULL, NULL, NULL, 0),"
	       "('half', 'http', %d, %d, %d, %d, NULL, NULL, NULL, 0),"
	       "('halftcp', 'tcp', %d, %d, %d, %d, NULL, NULL, NULL, 0),"
	       "('refused', 'tcp', %d, %d, %d, %d, NULL, NULL, NULL, 0),"
	       "('tls', 'https', %d, %d, %d, %d, 'secure', NULL, 'hc.test', 0),"
	       "('tlsverify', 'https', %d, %d, %d, %d, NULL, NULL, 'hc.test', 1),"
	       "('udp', 'udp', %d, %d, %d, %d, 'pong', X'70696e67', NULL, 0),"
	       "('udpclosed', 'udp', %d, %d, %d, %d, NULL, X'70696e67', NULL, 0),"
	       "('ping', 'icmp', %d, %d, %d, %d, NULL, NULL, NULL, 0)",
	    INTERVAL, TIMEOUT, RISE, FALL, INTERVAL, TIMEOUT, RISE, FALL,
	    INTERVAL, TIMEOUT, RISE, FALL, INTERVAL, TIMEOUT, RISE, FALL,
	    INTERVAL, TIMEOUT, RISE, FALL, INTERVAL, TIMEOUT, RISE, FALL,
	    SLOW_IV, SLOW_TO, RISE, FALL, SLOW_IV, SLOW_TO, RISE, FALL,
	    SLOW_IV, SLOW_TO, RISE, FALL, SLOW_IV, SLOW_TO, RISE, FALL,
	    SLOW_IV, SLOW_TO, RISE, FALL);
	sql(f, "INSERT INTO service (vip, proto, port) VALUES "
	       "('203.0.113.1', 'tcp', 80), ('203.0.113.2', 'tcp', 80),"
	       "('203.0.113.3', 'tcp', 80)");
	sql(f, "INSERT INTO backend (vip, proto, port, address, backend_port, "
	       "health_check) VALUES "
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'web'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'web500'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'slow'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'half'),"
	       "('203.0.113.2', 'tcp', 80, '127.0.0.1', %u, 'halftcp'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'refused'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'tls'),"
	       "('203.0.113.2', 'tcp', 80, '127.0.0.1', %u, 'tlsverify'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'udp'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', %u, 'udpclosed'),"
	       "('203.0.113.1', 'tcp', 80, '127.0.0.1', 0, 'ping')",
	    s->port[K_OK], s->port[K_500], s->port[K_SLOW], s->port[K_HALF],
	    s->port[K_HALF], s->refused_tcp, s->port[K_TLS], s->port[K_TLS],
	    s->port[K_UDP], s->refused_udp);
	/* The same web check named by a second service: one key still. */
	sql(f, "INSERT INTO backend (vip, proto, port, address, backend_port, "
	       "health_check) VALUES ('203.0.113.3', 'tcp', 80, '127.0.0.1', "
	       "%u, 'web')", s->port[K_OK]);
}

struct expect {
	const char *check;
	enum kind port_of; /* K_NKINDS: see port */
	uint16_t port;
	int state, reason;
};

static void expect_all(struct fx *f, const struct expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t port = e[i].port_of < K_NKINDS ?
				f->srv.port[e[i].port_of] : e[i].port;
		struct seen *s;

		wait_state(f, e[i].check, port, e[i].state, 3000);
		s = seen_of(f, e[i].check, port);
		if (s->reason != e[i].reason)
			fail_msg("%s: reason %s, want %s", e[i].check,
				 xlb_health_reason_name((unsigned)s->reason),
				 xlb_health_reason_name((unsigned)e[i].reason));
	}
}

static void test_states_over_the_bus(void **state)
{
	struct fx *f = *state;
	struct servers *s = &f->srv;
	const struct expect want[] = {
		{ "web", K_OK, 0, XLB_HEALTH_UP, XLB_HR_OK },
		{ "web500", K_500, 0, XLB_HEALTH_DOWN, XLB_HR_BAD_STATUS },
		{ "slow", K_SLOW, 0, XLB_HEALTH_DOWN, XLB_HR_TIMEOUT },
		{ "half", K_HALF, 0, XLB_HEALTH_DOWN, XLB_HR_TIMEOUT },
		/* Never accepting, its queue full: SYNs go unanswered. */
		{ "halftcp", K_HALF, 0, XLB_HEALTH_DOWN, XLB_HR_TIMEOUT },
		{ "refused", K_NKINDS, s->refused_tcp, XLB_HEALTH_DOWN,
		  XLB_HR_REFUSED },
		{ "tls", K_TLS, 0, XLB_HEALTH_UP, XLB_HR_OK },
		{ "tlsverify", K_TLS, 0, XLB_HEALTH_DOWN, XLB_HR_TLS },
		{ "udp", K_UDP, 0, XLB_HEALTH_UP, XLB_HR_OK },
		{ "udpclosed", K_NKINDS, s->refused_udp, XLB_HEALTH_DOWN,
		  XLB_HR_REFUSED },
		{ "ping", K_NKINDS, 0, XLB_HEALTH_UP, XLB_HR_OK },
	};
	double ms;

	configure(f);
	assert_int_equal(xlb_bus_sub_open(&f->sub, f->rundir, XLB_BUS_HEALTH), 0);
	hcd_start(f);
	expect_all(f, want, sizeof(want) / sizeof(want[0]));
	assert_string_equal(s->sni, "hc.test");
	assert_int_equal(f->nseen, 11); /* 'web' of two services: one key */
	/* Transitions only: a steady key is reported once (or not at all
	 * here, when that was before the subscription connected). */
	listen_for(f, 3 * INTERVAL);
	for (int i = 0; i < f->nseen; i++)
		if (f->seen[i].reports > 1)
			fail_msg("%s reported %d times while steady",
				 f->seen[i].check, f->seen[i].reports);
	assert_int_equal(f->seq_breaks, 0);

	/* The web server goes away: down within interval x fall + timeout
	 * (plus one interval of phase and some slack), refused. */
	atomic_store(&s->ok_enabled, 0);
	ms = wait_state(f, "web", s->port[K_OK], XLB_HEALTH_DOWN, 3000);
	assert_true(ms <= INTERVAL * FALL + TIMEOUT + INTERVAL + 150);
	assert_int_equal(seen_of(f, "web", s->port[K_OK])->reason,
			 XLB_HR_REFUSED);
	/* Back: up after rise successes. */
	atomic_store(&s->ok_enabled, 1);
	ms = wait_state(f, "web", s->port[K_OK], XLB_HEALTH_UP, 3000);
	assert_true(ms >= INTERVAL * (RISE - 1) - 50);
	assert_true(ms <= INTERVAL * RISE + TIMEOUT + INTERVAL + 150);

	/* One check changed in the database: it is reloaded, the others
	 * keep their state (nothing else reported). */
	for (int i = 0; i < f->nseen; i++)
		f->seen[i].reports = 0;
	sql(f, "UPDATE health_check SET expect_status = '500' WHERE name = 'web500'");
	wait_state(f, "web500", s->port[K_500], XLB_HEALTH_UP, 3000);
	listen_for(f, 2 * INTERVAL);
	for (int i = 0; i < f->nseen; i++)
		if (strcmp(f->seen[i].check, "web500") && f->seen[i].reports)
			fail_msg("%s reported after web500 changed",
				 f->seen[i].check);
	assert_int_equal(f->seq_breaks, 0);
	assert_int_equal(WEXITSTATUS(hcd_stop(f)), 0);
}

static void test_snapshot_and_restart(void **state)
{
	struct fx *f = *state;
	struct xlb_bus req;
	struct xlb_msg_buf q = { 0 }, r = { 0 };
	struct xlb_msg m;
	struct xlb_msg_iter it;
	struct xlb_health_tr tr;
	char logline[4096];
	unsigned int up = 0, down = 0;
	FILE *log;
	int st;

	configure(f);
	assert_int_equal(xlb_bus_sub_open(&f->sub, f->rundir, XLB_BUS_HEALTH), 0);
	hcd_start(f);
	wait_state(f, "slow", f->srv.port[K_SLOW], XLB_HEALTH_DOWN, 3000);
	wait_state(f, "web", f->srv.port[K_OK], XLB_HEALTH_UP, 3000);
	wait_state(f, "ping", 0, XLB_HEALTH_UP, 3000);
	listen_for(f, 3 * INTERVAL);

	assert_int_equal(xlb_bus_req_open(&req, f->rundir, XLB_BUS_HCD_CTL), 0);
	assert_int_equal(xlb_msg_request_encode(&q, 1, XLB_MSG_SNAPSHOT_HEALTH_REQ), 0);
	assert_int_equal(xlb_bus_request(req, &q, &r, 2000), 0);
	assert_int_equal(xlb_msg_decode(r.data, r.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_HEALTH);
	assert_true(m.batch.snapshot);
	assert_int_equal(m.batch.count, 11);
	/* It covers what was published: its number is the last delta's or
	 * a heartbeat's after it. */
	assert_true(m.seq >= f->last_seq);
	assert_int_equal(xlb_msg_iter_init(&it, &m), 0);
	while (!xlb_msg_health_next(&it, &tr))
		tr.state == XLB_HEALTH_UP ? up++ : down++;
	assert_int_equal(up, 4);
	assert_int_equal(down, 7);
	/* A request of another type gets an ERROR. */
	assert_int_equal(xlb_msg_request_encode(&q, 2, XLB_MSG_STATUS_REQ), 0);
	assert_int_equal(xlb_bus_request(req, &q, &r, 2000), 0);
	assert_int_equal(xlb_msg_decode(r.data, r.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_ERROR);
	xlb_bus_close(req);
	xlb_msg_buf_fini(&q);
	xlb_msg_buf_fini(&r);

	/* SIGUSR1: the statistics line. */
	kill(f->hcd, SIGUSR1);
	usleep(300000);
	/* A restarted hcd says nothing before rise (up) or fall (down)
	 * results: never a down for a key that is up. */
	assert_int_equal(WEXITSTATUS(hcd_stop(f)), 0);
	for (int i = 0; i < f->nseen; i++)
		f->seen[i].reports = 0;
	hcd_start(f);
	listen_for(f, INTERVAL * (RISE + 2) + TIMEOUT);
	for (int i = 0; i < f->nseen; i++) {
		struct seen *s = &f->seen[i];
		bool should_be_up = !strcmp(s->check, "web") ||
			!strcmp(s->check, "tls") ||
			!strcmp(s->check, "udp") || !strcmp(s->check, "ping");

		if (should_be_up && s->state != XLB_HEALTH_UP)
			fail_msg("%s went down across a restart", s->check);
	}
	st = hcd_stop(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	log = fopen(f->log, "r");
	assert_non_null(log);
	st = 0;
	while (fgets(logline, sizeof(logline), log))
		if (!strncmp(logline, "hcd stats: checks=11 probes=", 28))
			st++;
	fclose(log);
	assert_int_equal(st, 3); /* SIGUSR1, and each exit */
}

/* The value of a "Name:\tvalue" line of /proc/PID/task/TID/status. */
static void task_status(pid_t pid, const char *tid, const char *name,
			char *out, size_t len)
{
	char path[128], line[256];
	size_t n = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, tid);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			snprintf(out, len, "%s", line + n + 2);
			out[strcspn(out, "\n")] = 0;
		}
	fclose(f);
}

/* Started as root with --user nobody: every thread runs as nobody with
 * CAP_NET_RAW alone, and ICMP through raw sockets still works. */
static void test_privileges_dropped(void **state)
{
	struct fx *f = *state;
	struct passwd *pw = getpwnam("nobody");
	char v[128], dir[64];
	unsigned int threads = 0, workers = 0;
	struct dirent *e;
	DIR *d;

	assert_non_null(pw);
	configure(f);
	assert_int_equal(xlb_bus_sub_open(&f->sub, f->rundir, XLB_BUS_HEALTH), 0);
	hcd_start_as(f, "nobody");
	wait_state(f, "ping", 0, XLB_HEALTH_UP, 3000);
	wait_state(f, "web", f->srv.port[K_OK], XLB_HEALTH_UP, 3000);
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)f->hcd);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool worker;

		threads++;
		task_status(f->hcd, e->d_name, "Name", v, sizeof(v));
		worker = !strncmp(v, "hcd-w", 5);
		workers += worker;
		/* Workers probe: CAP_NET_RAW (13).  Others (nng's): none. */
		task_status(f->hcd, e->d_name, "CapEff", v, sizeof(v));
		assert_string_equal(v, worker ? "0000000000002000"
					      : "0000000000000000");
		task_status(f->hcd, e->d_name, "CapPrm", v, sizeof(v));
		assert_string_equal(v, worker ? "0000000000002000"
					      : "0000000000000000");
		task_status(f->hcd, e->d_name, "NoNewPrivs", v, sizeof(v));
		assert_string_equal(v, "1");
		task_status(f->hcd, e->d_name, "Uid", v, sizeof(v));
		assert_int_equal(atoi(v), pw->pw_uid);
	}
	closedir(d);
	assert_true(threads >= 3); /* main and two workers */
	assert_int_equal(workers, 2);
	assert_int_equal(WEXITSTATUS(hcd_stop(f)), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_states_over_the_bus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_and_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_privileges_dropped, setup,
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
