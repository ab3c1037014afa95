// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_bgpd_bird.c - bgpd-bridge's BIRD side without BIRD: the control
 * socket's replies parsed whole, byte by byte and split at every offset
 * (the outcome must not depend on how reads cut the stream), every reply
 * code `configure` can end with, malformed and overlong lines; the
 * include files rendered for IPv4 and IPv6 (the same bytes whatever the
 * order the VIPs came in) and replaced atomically with mode 0640 and the
 * folder's group; and bird_ctl_command over a real Unix socket whose
 * server sends its replies in small pieces.  The real BIRD is in
 * tests/lab/test_bgpd_bridge.sh.
 *
 * bgpd-bridge's files are compiled in: they are a program's, not libxlb's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "../bgpd-bridge/bird_ctl.c"
#include "../bgpd-bridge/bird_render.c"
#include "../bgpd-bridge/bird_reply.c"
#include "../bgpd-bridge/vipset.c"

/* ---- replies ---------------------------------------------------------------- */

/* Feeds text cut at offset `split` (0: whole); returns the bytes used. */
static long feed_split(struct bird_reply *r, const char *text, size_t split)
{
	size_t n = strlen(text);
	long a, b;

	bird_reply_init(r);
	if (!split || split >= n)
		return bird_reply_feed(r, text, n);
	a = bird_reply_feed(r, text, split);
	if (a < 0 || r->done)
		return a;
	b = bird_reply_feed(r, text + split, n - split);
	return b < 0 ? b : a + b;
}

static long feed_bytewise(struct bird_reply *r, const char *text)
{
	long used = 0;

	bird_reply_init(r);
	for (size_t i = 0; text[i] && !r->done; i++) {
		long n = bird_reply_feed(r, text + i, 1);

		if (n < 0)
			return n;
		used += n;
	}
	return used;
}

static const char reconfigured[] =
	"0002-Reading configuration from /etc/bird/bird.conf\n"
	"0003 Reconfigured\n";

static void test_greeting(void **state)
{
	struct bird_reply r;

	(void)state;
	assert_int_equal(feed_split(&r, "0001 BIRD 2.0.12 ready.\n", 0), 24);
	assert_true(r.done);
	assert_int_equal(r.final, 1);
	assert_string_equal(r.text, "BIRD 2.0.12 ready.");
	assert_int_equal(r.err_code, 0);
}

static void test_configure_ok_at_every_split(void **state)
{
	size_t n = strlen(reconfigured);
	struct bird_reply r;

	(void)state;
	for (size_t split = 0; split < n; split++) {
		assert_int_equal(feed_split(&r, reconfigured, split), (long)n);
		assert_true(r.done);
		assert_int_equal(r.final, 3);
		assert_string_equal(r.text, "Reconfigured");
		assert_int_equal(bird_reply_configure_result(&r), 0);
	}
	assert_int_equal(feed_bytewise(&r, reconfigured), (long)n);
	assert_int_equal(bird_reply_configure_result(&r), 0);
}

static void test_configure_error_keeps_bird_text(void **state)
{
	static const char text[] =
		"0002-Reading configuration from bird.conf\n"
		"8002 /run/xlb/bird/vips4.conf:2:34 syntax error, unexpected "
		"GARBAGE\n";
	struct bird_reply r;

	(void)state;
	for (size_t split = 0; split < sizeof(text) - 1; split += 7) {
		feed_split(&r, text, split);
		assert_true(r.done);
		assert_int_equal(r.err_code, 8002);
		assert_int_equal(bird_reply_configure_result(&r), -EINVAL);
		assert_non_null(strstr(xlb_errmsg(), "keeps the previous one"));
		assert_non_null(strstr(xlb_errmsg(), "vips4.conf:2:34 syntax "
				       "error, unexpected GARBAGE"));
	}
}

/* Every code `configure` ends with, and what each means to the bridge. */
static void test_configure_codes(void **state)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
		{ "0004 Reconfiguration in progress\n", 0 },
		{ "0005 Reconfiguration already in progress, queueing new "
		  "config\n", 0 },
		{ "0017 Reconfiguration already in progress, removing queued "
		  "config\n", 0 },
		{ "0019 Nothing to do\n", 0 },
		{ "0006 Reconfiguration ignored, shutting down\n", -ESHUTDOWN },
		{ "0016 Access restricted\n", -EACCES },
		{ "8007 Access denied\n", -EACCES },
		{ "9001 syntax error, unexpected CF_SYM_UNDEFINED\n", -EPROTO },
		{ "0000 \n", -EPROTO },
		{ "8003 No protocols match\n", -EPROTO },
	};
	struct bird_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		feed_split(&r, cases[i].text, 0);
		assert_true(r.done);
		assert_int_equal(bird_reply_configure_result(&r),
				 cases[i].want);
	}
}

/* A table: coded lines, continuations, a spontaneous line in between. */
static void test_table_reply(void **state)
{
	static const char text[] =
		"1007-Table master4:\n"
		" 203.0.113.10/32      blackhole [xlb4 02:54:25.774] * (200)\n"
		"+Spontaneous: something happened\n"
		"1008-\tType: static univ\n"
		" 203.0.113.11/32      blackhole [xlb4 02:54:25.774] * (200)\n"
		"0000 \n";
	struct bird_reply r;

	(void)state;
	assert_int_equal(feed_bytewise(&r, text), (long)strlen(text));
	assert_true(r.done);
	assert_int_equal(r.final, 0);
	assert_int_equal(r.err_code, 0);
}

/* The bytes after a reply's last line belong to the next one. */
static void test_reply_stops_at_its_end(void **state)
{
	char text[256];
	struct bird_reply r;
	long used;

	(void)state;
	snprintf(text, sizeof(text), "0001 BIRD 2.0.12 ready.\n%s",
		 reconfigured);
	bird_reply_init(&r);
	used = bird_reply_feed(&r, text, strlen(text));
	assert_int_equal(used, 24);
	assert_int_equal(r.final, 1);
	bird_reply_init(&r);
	assert_int_equal(bird_reply_feed(&r, text + used,
					 strlen(text) - (size_t)used),
			 (long)strlen(reconfigured));
	assert_int_equal(r.final, 3);
}

static void test_malformed_lines(void **state)
{
	static const char *const bad[] = {
		"hello\n",                /* no code */
		"12 short\n",             /* code too short */
		"00a3 Reconfigured\n",    /* not digits */
		"0003:Reconfigured\n",    /* neither ' ' nor '-' after it */
		" continuation first\n",  /* nothing to continue */
	};
	struct bird_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(feed_split(&r, bad[i], 0), -EPROTO);
		assert_true(r.bad);
		assert_non_null(strstr(xlb_errmsg(), "not a reply line"));
	}
}

/* A line longer than the buffer is cut, not refused, and the reply still
 * ends where BIRD ended it. */
static void test_overlong_line(void **state)
{
	size_t n = 3 * BIRD_LINE_MAX;
	char *text = malloc(n + 32);
	struct bird_reply r;

	(void)state;
	assert_non_null(text);
	memcpy(text, "8002 ", 5);
	memset(text + 5, 'x', n);
	strcpy(text + 5 + n, "\n");
	assert_int_equal(feed_split(&r, text, 700), (long)strlen(text));
	assert_true(r.done);
	assert_true(r.cut);
	assert_int_equal(bird_reply_configure_result(&r), -EINVAL);
	free(text);
}

static void test_unfinished_reply(void **state)
{
	struct bird_reply r;

	(void)state;
	feed_split(&r, "0002-Reading configuration from bird.conf\n0003 Rec",
		   0);
	assert_false(r.done);
	assert_int_equal(bird_reply_configure_result(&r), -EPROTO);
}

/* ---- include files ---------------------------------------------------------- */

static void add(struct bgpd_vipset *s, const char *text)
{
	union xlb_addr a;
	__u8 fam;

	assert_int_equal(xlb_addr_parse(text, &a, &fam), 0);
	assert_true(vipset_add(s, &a, fam) >= 0);
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0;

	for (const char *l = text; *l; l += strcspn(l, "\n") + 1) {
		n += !strncmp(l, prefix, strlen(prefix));
		if (!l[strcspn(l, "\n")])
			break;
	}
	return n;
}

static void test_render_v4_v6(void **state)
{
	struct bgpd_vipset s;
	char *v4, *v6;

	(void)state;
	vipset_init(&s);
	add(&s, "203.0.113.20");
	add(&s, "2001:db8:100::10");
	add(&s, "203.0.113.3");
	add(&s, "2001:db8::1");
	assert_int_equal(bird_render(&s, XLB_FAM_V4, &v4), 0);
	assert_int_equal(bird_render(&s, XLB_FAM_V6, &v6), 0);
	/* Comment lines, then the routes in address order. */
	assert_non_null(strstr(v4, "route 203.0.113.3/32 blackhole;\n"
			       "route 203.0.113.20/32 blackhole;\n"));
	assert_int_equal(count_lines(v4, "route "), 2);
	assert_int_equal(count_lines(v4, "#"), 2);
	assert_non_null(strstr(v6, "route 2001:db8::1/128 blackhole;\n"
			       "route 2001:db8:100::10/128 blackhole;\n"));
	assert_int_equal(count_lines(v6, "route "), 2);
	assert_null(strstr(v4, "2001:"));
	assert_null(strstr(v6, "203.0."));
	free(v4);
	free(v6);
	vipset_free(&s);
}

static void test_render_same_bytes_any_order(void **state)
{
	static const char *const vips[] = { "198.51.100.7", "203.0.113.1",
					    "192.0.2.200", "203.0.113.99" };
	struct bgpd_vipset a, b;
	char *ta, *tb;

	(void)state;
	vipset_init(&a);
	vipset_init(&b);
	for (int i = 0; i < 4; i++) {
		add(&a, vips[i]);
		add(&b, vips[3 - i]);
	}
	add(&b, vips[1]); /* twice: still once */
	assert_int_equal(bird_render(&a, XLB_FAM_V4, &ta), 0);
	assert_int_equal(bird_render(&b, XLB_FAM_V4, &tb), 0);
	assert_string_equal(ta, tb);
	assert_int_equal(count_lines(ta, "route "), 4);
	free(ta);
	free(tb);
	vipset_free(&a);
	vipset_free(&b);
}

static void test_render_empty(void **state)
{
	struct bgpd_vipset s;
	char *t;

	(void)state;
	vipset_init(&s);
	add(&s, "2001:db8::1");
	assert_int_equal(bird_render(&s, XLB_FAM_V4, &t), 0);
	assert_int_equal(count_lines(t, "route "), 0);
	assert_int_equal(count_lines(t, "#"), 2);
	free(t);
	vipset_free(&s);
}

static size_t dir_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_write_atomic(void **state)
{
	char dir[] = "/tmp/test_bgpd_bird.XXXXXX", path[128];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* The folder's group is the one BIRD reads through. */
	assert_int_equal(chown(dir, (uid_t)-1, 65534), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, BIRD_FILE_V4);
	assert_int_equal(bird_write_atomic(dir, BIRD_FILE_V4, "first\n"), 0);
	assert_string_equal(slurp(path), "first\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(bird_write_atomic(dir, BIRD_FILE_V4, "second\n"), 0);
	assert_string_equal(slurp(path), "second\n");
	assert_int_equal(dir_entries(dir), 1); /* no temporary file left */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	/* A folder that is not there: an error naming the file. */
	assert_int_equal(bird_write_atomic(dir, BIRD_FILE_V4, "x\n"), -ENOENT);
	assert_non_null(strstr(xlb_errmsg(), dir));
}

/* ---- the control socket, spoken to a server that sends in pieces ------------ */

struct server {
	char path[108];
	int lfd;
	const char *reply;  /* after the command */
	size_t piece;       /* bytes per write */
	char got[128];      /* the command received */
};

static void send_pieces(int fd, const char *text, size_t piece)
{
	size_t n = strlen(text);

	for (size_t off = 0; off < n; off += piece) {
		size_t len = n - off < piece ? n - off : piece;

		assert_int_equal(write(fd, text + off, len), (ssize_t)len);
		usleep(1000); /* separate reads on the other side */
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	size_t n = 0;

	if (fd < 0)
		return NULL;
	send_pieces(fd, "0001 BIRD 2.0.12 ready.\n", s->piece);
	while (n < sizeof(s->got) - 1 && read(fd, s->got + n, 1) == 1)
		if (s->got[n++] == '\n')
			break;
	s->got[n] = '\0';
	send_pieces(fd, s->reply, s->piece);
	close(fd);
	return NULL;
}

static void server_start(struct server *s, pthread_t *th)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(s->path, sizeof(s->path), "/tmp/test_bgpd_bird.%d.ctl",
		 (int)getpid());
	unlink(s->path);
	strcpy(sa.sun_path, s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	assert_int_equal(pthread_create(th, NULL, serve, s), 0);
}

static void server_stop(struct server *s, pthread_t th)
{
	pthread_join(th, NULL);
	close(s->lfd);
	unlink(s->path);
}

static void test_ctl_split_reads(void **state)
{
	static const size_t pieces[] = { 1, 3, 7, 4096 };
	struct bird_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct server s = { .reply = reconfigured,
				    .piece = pieces[i] };
		pthread_t th;

		server_start(&s, &th);
		assert_int_equal(bird_ctl_command(s.path, "configure", &r,
						  5000), 0);
		server_stop(&s, th);
		assert_string_equal(s.got, "configure\n");
		assert_int_equal(r.final, 3);
		assert_int_equal(bird_reply_configure_result(&r), 0);
	}
}

static void test_ctl_errors(void **state)
{
	struct server s = { .reply = "0002-Reading configuration\n0003 Reco",
			    .piece = 5 };
	struct bird_reply r;
	pthread_t th;

	(void)state;
	/* No socket there. */
	assert_int_equal(bird_ctl_command("/tmp/test_bgpd_bird.none.ctl",
					  "configure", &r, 500), -ENOENT);
	assert_non_null(strstr(xlb_errmsg(), "test_bgpd_bird.none.ctl"));
	/* The server closes mid-reply. */
	server_start(&s, &th);
	assert_int_equal(bird_ctl_command(s.path, "configure", &r, 5000),
			 -ECONNRESET);
	server_stop(&s, th);
	assert_non_null(strstr(xlb_errmsg(), "mid-reply"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_configure_ok_at_every_split),
		cmocka_unit_test(test_configure_error_keeps_bird_text),
		cmocka_unit_test(test_configure_codes),
		cmocka_unit_test(test_table_reply),
		cmocka_unit_test(test_reply_stops_at_its_end),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_unfinished_reply),
		cmocka_unit_test(test_render_v4_v6),
		cmocka_unit_test(test_render_same_bytes_any_order),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_ctl_split_reads),
		cmocka_unit_test(test_ctl_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
