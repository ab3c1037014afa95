// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * http_parse.c - an HTTP/1.x response, judged as it streams in, byte by
 * byte: a state of a few dozen bytes per probe whatever the server sends,
 * so 20,000 probes in flight hold no buffers.  It reads the status line
 * and every header (a response that never finishes its headers - a
 * slowloris server - never becomes up), looks for Content-Length, and
 * searches the body for the expected text with a KMP automaton, which
 * finds it across any split of the reads.  Limits: status line
 * HCD_HTTP_LINE_MAX, head HCD_HTTP_HEAD_MAX, body HCD_HTTP_BODY_MAX.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hcd.h"

enum phase {
	PH_VERSION = 0, /* "HTTP/1.x " */
	PH_CODE,        /* three digits */
	PH_REASON,      /* to the end of the line */
	PH_LINE,        /* the start of a header line, or the blank line */
	PH_NAME,
	PH_VALUE,
	PH_BODY,
	PH_DONE,
};

static const char version[] = "HTTP/1.";
static const char clen[] = "content-length";

void hcd_http_init(struct hcd_http *h, const struct hcd_params *p)
{
	memset(h, 0, sizeof(*h));
	h->p = p;
	h->head_only = !strcmp(p->method, "HEAD");
}

static bool status_ok(const struct hcd_http *h)
{
	return h->status >= h->p->status_lo && h->status <= h->p->status_hi;
}

/* The blank line: is a body still to be read? */
static int end_of_head(struct hcd_http *h)
{
	if (!h->p->body_len || !status_ok(h) || h->head_only ||
	    h->status < 200 || h->status == 204 || h->status == 304 ||
	    (h->cl_known && !h->content_length)) {
		h->phase = PH_DONE;
		return HCD_HTTP_DONE;
	}
	h->phase = PH_BODY;
	return HCD_HTTP_MORE;
}

static int body_byte(struct hcd_http *h, char c)
{
	const char *want = h->p->expect_body;

	while (h->kmp && want[h->kmp] != c)
		h->kmp = (uint32_t)h->p->body_kmp[h->kmp - 1];
	if (want[h->kmp] == c)
		h->kmp++;
	h->body_bytes++;
	if (h->kmp == h->p->body_len)
		h->body_found = true;
	if (h->body_found || h->body_bytes >= HCD_HTTP_BODY_MAX ||
	    (h->cl_known && h->body_bytes >= h->content_length)) {
		h->phase = PH_DONE;
		return HCD_HTTP_DONE;
	}
	return HCD_HTTP_MORE;
}

static int status_byte(struct hcd_http *h, char c)
{
	if (h->phase == PH_VERSION) {
		if (h->pos < 7 ? c != version[h->pos] :
		    h->pos == 7 ? (c < '0' || c > '9') : c != ' ')
			return HCD_HTTP_BAD;
		if (++h->pos == 9) {
			h->phase = PH_CODE;
			h->pos = 0;
		}
		return HCD_HTTP_MORE;
	}
	if (h->phase == PH_CODE) {
		if (h->pos == 3) {
			if (c != ' ' && c != '\r' && c != '\n')
				return HCD_HTTP_BAD;
			if (h->status < 100 || h->status > 599)
				return HCD_HTTP_BAD;
			h->phase = PH_REASON;
			if (c == ' ')
				return HCD_HTTP_MORE;
		} else {
			if (c < '0' || c > '9')
				return HCD_HTTP_BAD;
			h->status = (uint16_t)(h->status * 10 + (c - '0'));
			h->pos++;
			return HCD_HTTP_MORE;
		}
	}
	/* PH_REASON: anything printable to the end of the line. */
	if (c == '\n') {
		h->phase = PH_LINE;
		h->cr = false;
		return HCD_HTTP_MORE;
	}
	if (h->cr) /* a CR not ending the line */
		return HCD_HTTP_BAD;
	if (c == '\r') {
		h->cr = true;
		return HCD_HTTP_MORE;
	}
	if ((unsigned char)c < 0x20 && c != '\t')
		return HCD_HTTP_BAD;
	return HCD_HTTP_MORE;
}

static int header_byte(struct hcd_http *h, char c)
{
	if (h->phase == PH_LINE) {
		if (c == '\n')
			return end_of_head(h);
		if (h->cr)
			return HCD_HTTP_BAD;
		if (c == '\r') {
			h->cr = true;
			return HCD_HTTP_MORE;
		}
		h->phase = PH_NAME;
		h->pos = 0;
		h->hdr = 1;
	}
	if (h->phase == PH_NAME) {
		if (c == ':') {
			h->hdr = h->hdr && h->pos == sizeof(clen) - 1;
			if (h->hdr) {
				h->cl_known = true;
				h->content_length = 0;
			}
			h->phase = PH_VALUE;
			return HCD_HTTP_MORE;
		}
		if ((unsigned char)c <= ' ' || c == 0x7f)
			return HCD_HTTP_BAD;
		if (h->hdr && (h->pos >= sizeof(clen) - 1 ||
			       (c | 0x20) != clen[h->pos]))
			h->hdr = 0;
		if (h->pos < UINT8_MAX)
			h->pos++;
		return HCD_HTTP_MORE;
	}
	/* PH_VALUE */
	if (c == '\n') {
		h->phase = PH_LINE;
		h->cr = false;
		return HCD_HTTP_MORE;
	}
	if (h->cr)
		return HCD_HTTP_BAD;
	if (c == '\r') {
		h->cr = true;
		return HCD_HTTP_MORE;
	}
	if (h->hdr && c >= '0' && c <= '9') {
		if (h->content_length > UINT64_MAX / 16)
			return HCD_HTTP_BAD;
		h->content_length = h->content_length * 10 + (uint64_t)(c - '0');
	} else if (h->hdr && c != ' ' && c != '\t') {
		return HCD_HTTP_BAD;
	}
	return HCD_HTTP_MORE;
}

static int feed_byte(struct hcd_http *h, char c)
{
	if (h->phase == PH_BODY)
		return body_byte(h, c);
	if (++h->head_bytes > HCD_HTTP_HEAD_MAX)
		return HCD_HTTP_TOO_BIG;
	if (h->phase <= PH_REASON) {
		if (++h->line_bytes > HCD_HTTP_LINE_MAX)
			return HCD_HTTP_TOO_BIG;
		return status_byte(h, c);
	}
	return header_byte(h, c);
}

int hcd_http_feed(struct hcd_http *h, const char *buf, size_t len)
{
	if (h->phase == PH_DONE)
		return HCD_HTTP_DONE;
	for (size_t i = 0; i < len; i++) {
		int rc = feed_byte(h, buf[i]);

		if (rc != HCD_HTTP_MORE)
			return rc;
		/* A status outside the range is the verdict already. */
		if (h->phase == PH_REASON && !status_ok(h)) {
			h->phase = PH_DONE;
			return HCD_HTTP_DONE;
		}
	}
	return HCD_HTTP_MORE;
}

int hcd_http_eof(struct hcd_http *h)
{
	if (h->phase == PH_DONE)
		return HCD_HTTP_DONE;
	/* A body without Content-Length ends with the connection. */
	if (h->phase == PH_BODY && !h->cl_known) {
		h->phase = PH_DONE;
		return HCD_HTTP_DONE;
	}
	return HCD_HTTP_BAD;
}

int hcd_http_reason(const struct hcd_http *h, const struct hcd_params *p)
{
	if (!status_ok(h))
		return XLB_HR_BAD_STATUS;
	if (p->body_len && !h->body_found)
		return XLB_HR_BAD_BODY;
	return XLB_HR_OK;
}

static bool default_port(const struct hcd_params *p, uint16_t port)
{
	return port == (p->type == HCD_HTTPS ? 443 : 80);
}

int hcd_http_request(const struct hcd_params *p, const union xlb_addr *addr,
		     uint8_t family, uint16_t port, char *buf, size_t len)
{
	char host[XLB_ADDR_STRLEN + 8];
	int n;

	if (p->host) {
		snprintf(host, sizeof(host), "%s", p->host);
	} else {
		char a[XLB_ADDR_STRLEN];

		xlb_addr_format(addr, family, a, sizeof(a));
		if (default_port(p, port))
			snprintf(host, sizeof(host), family == XLB_FAM_V6 ?
				 "[%s]" : "%s", a);
		else
			snprintf(host, sizeof(host), family == XLB_FAM_V6 ?
				 "[%s]:%u" : "%s:%u", a, port);
	}
	n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: xlb-hcd\r\nAccept: */*\r\n"
		     "Connection: close\r\n\r\n", p->method, p->path,
		     p->host ? p->host : host);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}
