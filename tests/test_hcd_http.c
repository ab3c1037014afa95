// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_hcd_http.c - hcd's streaming HTTP response parser
 * (hcd/http_parse.c): the same verdict whatever the reads' sizes (every
 * split point of every response, and byte by byte); bad status lines
 * rejected; status line and headers over their limits refused without
 * buffering them; a server that never finishes its head (slowloris) never
 * gets a verdict; the expected body text found across reads, within
 * Content-Length, or until the connection closes; and the request hcd
 * sends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../hcd/hcd.h"

static struct hcd_interns *in;

static const struct hcd_params *params(const char *method,
				       const char *status, const char *body)
{
	const struct hcd_params *p;
	struct hcd_check_row r = {
		.name = "t", .type = "http", .method = method, .path = "/hc",
		.expect_status = status, .expect_body = body,
		.interval_ms = 1000, .timeout_ms = 500, .rise = 1, .fall = 1,
	};

	assert_int_equal(hcd_params_intern(in, &r, &p), 0);
	return p;
}

/* Verdict of a whole response fed in pieces of `step` bytes (0: all at
 * once), with eof after it if `close`: the rc, and the reason if DONE. */
static int verdict(const struct hcd_params *p, const char *resp, size_t len,
		   size_t step, bool close, int *reason)
{
	struct hcd_http h;
	int rc = HCD_HTTP_MORE;

	hcd_http_init(&h, p);
	for (size_t off = 0; off < len && rc == HCD_HTTP_MORE;) {
		size_t n = step && len - off > step ? step : len - off;

		rc = hcd_http_feed(&h, resp + off, n);
		off += n;
	}
	if (rc == HCD_HTTP_MORE && close)
		rc = hcd_http_eof(&h);
	*reason = rc == HCD_HTTP_DONE ? hcd_http_reason(&h, p) : -1;
	return rc;
}

/* The same verdict for one piece, byte by byte, and every split in two. */
static void expect(const struct hcd_params *p, const char *resp, bool close,
		   int want_rc, int want_reason)
{
	size_t len = strlen(resp);
	int reason, rc = verdict(p, resp, len, 0, close, &reason);

	if (rc != want_rc || (rc == HCD_HTTP_DONE && reason != want_reason))
		fail_msg("\"%s\": rc %d reason %d, want %d %d", resp, rc,
			 reason, want_rc, want_reason);
	rc = verdict(p, resp, len, 1, close, &reason);
	assert_int_equal(rc, want_rc);
	for (size_t cut = 1; cut < len; cut++) {
		struct hcd_http h;
		int r2;

		hcd_http_init(&h, p);
		rc = hcd_http_feed(&h, resp, cut);
		if (rc == HCD_HTTP_MORE)
			rc = hcd_http_feed(&h, resp + cut, len - cut);
		if (rc == HCD_HTTP_MORE && close)
			rc = hcd_http_eof(&h);
		r2 = rc == HCD_HTTP_DONE ? hcd_http_reason(&h, p) : -1;
		if (rc != want_rc || (rc == HCD_HTTP_DONE && r2 != want_reason))
			fail_msg("\"%s\" cut at %zu: rc %d reason %d", resp, cut,
				 rc, r2);
	}
}

static void test_status_ranges(void **state)
{
	const struct hcd_params *dflt = params(NULL, NULL, NULL);
	const struct hcd_params *only204 = params(NULL, "204", NULL);

	(void)state;
	expect(dflt, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false,
	       HCD_HTTP_DONE, XLB_HR_OK);
	expect(dflt, "HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n", false,
	       HCD_HTTP_DONE, XLB_HR_OK);
	expect(dflt, "HTTP/1.1 399 Odd\r\n\r\n", false, HCD_HTTP_DONE,
	       XLB_HR_OK);
	/* Outside the range: the status line alone decides. */
	expect(dflt, "HTTP/1.1 500 Internal Server Error\r\n", false,
	       HCD_HTTP_DONE, XLB_HR_BAD_STATUS);
	expect(dflt, "HTTP/1.1 404 Not Found\r\nX: y\r\n\r\n", false,
	       HCD_HTTP_DONE, XLB_HR_BAD_STATUS);
	expect(only204, "HTTP/1.1 204 No Content\r\n\r\n", false,
	       HCD_HTTP_DONE, XLB_HR_OK);
	expect(only204, "HTTP/1.1 200 OK\r\n\r\n", false, HCD_HTTP_DONE,
	       XLB_HR_BAD_STATUS);
	/* No reason phrase, bare LF line ends. */
	expect(dflt, "HTTP/1.1 200\nA: b\n\n", false, HCD_HTTP_DONE,
	       XLB_HR_OK);
}

static void test_bad_status_lines(void **state)
{
	const struct hcd_params *p = params(NULL, NULL, NULL);
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTPS/1.1 200 OK\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/1.x 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"HTTP/1.1 600 High\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 O\rK\r\n\r\n",
		"HTTP/1.1 200 OK\x01\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
		"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(p, bad[i], false, HCD_HTTP_BAD, 0);
	/* Closed before the head ended: no verdict but bad. */
	expect(p, "HTTP/1.1 200 OK\r\nA: b\r\n", true, HCD_HTTP_BAD, 0);
	expect(p, "HTTP/1.1 20", true, HCD_HTTP_BAD, 0);
}

static void test_oversized_head(void **state)
{
	const struct hcd_params *p = params(NULL, NULL, NULL);
	size_t big = HCD_HTTP_HEAD_MAX + 100;
	char *resp = malloc(big + 64);
	struct hcd_http h;
	int rc;

	(void)state;
	assert_non_null(resp);
	/* A status line longer than its limit. */
	strcpy(resp, "HTTP/1.1 200 ");
	memset(resp + 13, 'A', HCD_HTTP_LINE_MAX);
	strcpy(resp + 13 + HCD_HTTP_LINE_MAX, "\r\n\r\n");
	hcd_http_init(&h, p);
	assert_int_equal(hcd_http_feed(&h, resp, strlen(resp)),
			 HCD_HTTP_TOO_BIG);
	/* Headers past the head's limit, fed 1,000 bytes at a time: refused
	 * at the limit, whatever comes after. */
	strcpy(resp, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(resp + strlen(resp), 'b', big);
	resp[big] = 0;
	hcd_http_init(&h, p);
	rc = HCD_HTTP_MORE;
	for (size_t off = 0; off < big && rc == HCD_HTTP_MORE; off += 1000)
		rc = hcd_http_feed(&h, resp + off,
				   big - off < 1000 ? big - off : 1000);
	assert_int_equal(rc, HCD_HTTP_TOO_BIG);
	assert_true(h.head_bytes <= HCD_HTTP_HEAD_MAX + 1);
	/* Just under the limit is fine. */
	strcpy(resp, "HTTP/1.1 200 OK\r\nX-Big: ");
	size_t n = strlen(resp);
	memset(resp + n, 'b', HCD_HTTP_HEAD_MAX - n - 4);
	strcpy(resp + HCD_HTTP_HEAD_MAX - 4, "\r\n\r\n");
	hcd_http_init(&h, p);
	assert_int_equal(hcd_http_feed(&h, resp, HCD_HTTP_HEAD_MAX),
			 HCD_HTTP_DONE);
	free(resp);
}

/* A slowloris server: sends the head a byte at a time and never the
 * blank line.  The parser holds a fixed state and never says done, so
 * only the probe's timeout ends it. */
static void test_slowloris_never_finishes(void **state)
{
	const struct hcd_params *p = params(NULL, NULL, NULL);
	const char *start = "HTTP/1.1 200 OK\r\n";
	struct hcd_http h;
	size_t before;

	(void)state;
	hcd_http_init(&h, p);
	assert_int_equal(hcd_http_feed(&h, start, strlen(start)),
			 HCD_HTTP_MORE);
	before = sizeof(h);
	for (int i = 0; i < 4000; i++) { /* "X-a: b\r\n" forever */
		char hdr[32];
		int n = snprintf(hdr, sizeof(hdr), "X-%d: b\r\n", i % 10);

		for (int k = 0; k < n; k++)
			if (hcd_http_feed(&h, &hdr[k], 1) != HCD_HTTP_MORE)
				goto limit;
	}
	fail_msg("16 kB of headers and no verdict: the limit must stop it");
limit:
	assert_true(h.head_bytes > HCD_HTTP_HEAD_MAX);
	assert_int_equal(sizeof(h), before);
	/* A server that stops mid-head and keeps the connection open: no
	 * verdict at all (MORE), so the timeout decides. */
	hcd_http_init(&h, p);
	assert_int_equal(hcd_http_feed(&h, "HTTP/1.1 200 OK\r\nA", 18),
			 HCD_HTTP_MORE);
}

static void test_body_text(void **state)
{
	const struct hcd_params *p = params(NULL, NULL, "healthy: yes");

	(void)state;
	expect(p, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nall healthy: yes...",
	       false, HCD_HTTP_DONE, XLB_HR_OK);
	/* Found early: the verdict needs no more bytes. */
	expect(p, "HTTP/1.1 200 OK\r\n\r\nhealthy: yes and more to come",
	       false, HCD_HTTP_DONE, XLB_HR_OK);
	/* A near miss that the KMP fallback must recover from. */
	expect(p, "HTTP/1.1 200 OK\r\n\r\nhealthy: yhealthy: yes", false,
	       HCD_HTTP_DONE, XLB_HR_OK);
	/* Not within Content-Length (the text follows it). */
	expect(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhellohealthy: yes",
	       false, HCD_HTTP_DONE, XLB_HR_BAD_BODY);
	/* No length: the body ends with the connection. */
	expect(p, "HTTP/1.1 200 OK\r\n\r\nnot it", true, HCD_HTTP_DONE,
	       XLB_HR_BAD_BODY);
	expect(p, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false,
	       HCD_HTTP_DONE, XLB_HR_BAD_BODY);
	/* A bad status is that, whatever the body. */
	expect(p, "HTTP/1.1 503 Busy\r\n\r\nhealthy: yes", false,
	       HCD_HTTP_DONE, XLB_HR_BAD_STATUS);
	/* Case-insensitive Content-Length. */
	expect(p, "HTTP/1.1 200 OK\r\ncontent-LENGTH: 3\r\n\r\nabchealthy: yes",
	       false, HCD_HTTP_DONE, XLB_HR_BAD_BODY);
	/* A header merely starting like Content-Length is another one. */
	expect(p, "HTTP/1.1 200 OK\r\nContent-Lengthy: 3\r\n\r\nabchealthy: yes",
	       false, HCD_HTTP_DONE, XLB_HR_OK);
}

static void test_head_request_has_no_body(void **state)
{
	const struct hcd_params *p = params("HEAD", NULL, "x");

	(void)state;
	expect(p, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false,
	       HCD_HTTP_DONE, XLB_HR_BAD_BODY);
}

static void test_request(void **state)
{
	struct hcd_check_row r = {
		.name = "r", .type = "http", .method = "HEAD", .path = "/a?b=c",
		.host = "api.example", .interval_ms = 1000, .timeout_ms = 100,
	};
	const struct hcd_params *p = params(NULL, NULL, NULL), *ph;
	union xlb_addr a;
	__u8 fam;
	char buf[512];

	(void)state;
	assert_int_equal(xlb_addr_parse("2001:db8::1", &a, &fam), 0);
	assert_true(hcd_http_request(p, &a, fam, 8080, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "GET /hc HTTP/1.1\r\nHost: [2001:db8::1]:8080"
			    "\r\nUser-Agent: xlb-hcd\r\nAccept: */*\r\n"
			    "Connection: close\r\n\r\n");
	assert_int_equal(xlb_addr_parse("192.0.2.1", &a, &fam), 0);
	assert_true(hcd_http_request(p, &a, fam, 80, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\r\nHost: 192.0.2.1\r\n"));
	assert_int_equal(hcd_params_intern(in, &r, &ph), 0);
	assert_true(hcd_http_request(ph, &a, fam, 80, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HEAD /a?b=c HTTP/1.1\r\nHost: api.example\r\n"));
	assert_int_equal(hcd_http_request(ph, &a, fam, 80, buf, 20),
			 -ENAMETOOLONG);
}

static void test_params_rejected(void **state)
{
	struct hcd_check_row r = {
		.name = "bad", .type = "http", .path = "/a b",
		.interval_ms = 1000, .timeout_ms = 100,
	};
	const struct hcd_params *p;

	(void)state;
	assert_int_equal(hcd_params_intern(in, &r, &p), -EINVAL);
	r.path = "/";
	r.expect_status = "299-200";
	assert_int_equal(hcd_params_intern(in, &r, &p), -EINVAL);
	r.expect_status = NULL;
	r.source = "not an interface!";
	assert_int_equal(hcd_params_intern(in, &r, &p), -EINVAL);
	r.source = "eth0";
	assert_int_equal(hcd_params_intern(in, &r, &p), 0);
	assert_string_equal(p->ifname, "eth0");
	r.source = "192.0.2.7";
	assert_int_equal(hcd_params_intern(in, &r, &p), 0);
	assert_int_equal(p->src_family, 4);
}

static int setup(void **state)
{
	(void)state;
	return hcd_interns_new(&in);
}

static int teardown(void **state)
{
	(void)state;
	hcd_interns_free(in);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_ranges),
		cmocka_unit_test(test_bad_status_lines),
		cmocka_unit_test(test_oversized_head),
		cmocka_unit_test(test_slowloris_never_finishes),
		cmocka_unit_test(test_body_text),
		cmocka_unit_test(test_head_request_has_no_body),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_params_rejected),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
