// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * http.c - the HTTP and HTTPS checks: connect, (TLS handshake), send the
 * request, read the response through the streaming parser until it gives
 * a verdict.  Each step goes as far as the socket allows and returns; the
 * socket is edge-triggered, so a step reads until it would block.
 */
#include <errno.h>
#include <sys/socket.h>

#include "probe.h"

#define REQUEST_MAX 2048

int hcd_http_start(struct hcd_probe *p, struct hcd_wctx *w)
{
	hcd_http_init(&p->http, p->t->params);
	p->phase = HCD_PH_CONNECT;
	return hcd_sock_open(p, w, SOCK_STREAM, 0);
}

static bool tls(const struct hcd_probe *p)
{
	return p->t->params->type == HCD_HTTPS;
}

static int connected(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev)
{
	int err = hcd_tcp_connected(p, ev);

	if (err == -EINPROGRESS)
		return HCD_STEP_WAIT;
	if (err)
		return hcd_probe_done(p, false, hcd_errno_reason(err));
	if (!tls(p)) {
		p->phase = HCD_PH_SEND;
		return -EAGAIN; /* go on */
	}
	if (hcd_tls_begin(p, w))
		return hcd_probe_done(p, false, XLB_HR_INTERNAL);
	p->phase = HCD_PH_TLS;
	return -EAGAIN;
}

static int send_request(struct hcd_probe *p, uint32_t ev)
{
	const struct hcd_target *t = p->t;
	char req[REQUEST_MAX];
	int len = hcd_http_request(t->params, &t->addr, t->family, t->port,
				   req, sizeof(req));

	if (len < 0)
		return hcd_probe_done(p, false, XLB_HR_INTERNAL);
	while (p->sent < len) {
		long n = tls(p) ? hcd_tls_write(p, req + p->sent,
						(size_t)len - p->sent)
				: send(p->fd, req + p->sent,
				       (size_t)len - p->sent, MSG_NOSIGNAL);

		if (n < 0 && !tls(p))
			n = -errno;
		if (n == -EAGAIN)
			return HCD_STEP_WAIT;
		if (n <= 0)
			return hcd_probe_done(p, false, tls(p) && n != -ECONNRESET
					      ? XLB_HR_TLS : XLB_HR_REFUSED);
		p->sent = (uint16_t)(p->sent + n);
	}
	p->phase = HCD_PH_RECV;
	/* The answer comes with the next edge; a read now would only say
	 * EAGAIN, unless the server spoke before it was asked. */
	if (!tls(p) && !(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
		return HCD_STEP_WAIT;
	return -EAGAIN;
}

static int judge(struct hcd_probe *p, int rc)
{
	if (rc == HCD_HTTP_DONE) {
		int reason = hcd_http_reason(&p->http, p->t->params);

		return hcd_probe_done(p, reason == XLB_HR_OK, reason);
	}
	/* Not HTTP, or a head past the limits: the service is not sane. */
	return hcd_probe_done(p, false, XLB_HR_BAD_STATUS);
}

static int receive(struct hcd_probe *p, struct hcd_wctx *w)
{
	for (;;) {
		long n = tls(p) ? hcd_tls_read(p, w->rbuf, w->rbuf_len)
				: recv(p->fd, w->rbuf, w->rbuf_len, 0);
		int rc;

		if (n < 0 && !tls(p))
			n = -errno;
		if (n == -EAGAIN)
			return HCD_STEP_WAIT;
		if (n == 0) {
			if (!p->http.head_bytes)
				return hcd_probe_done(p, false, XLB_HR_REFUSED);
			return judge(p, hcd_http_eof(&p->http));
		}
		if (n < 0)
			return hcd_probe_done(p, false, tls(p) &&
					      n != -ECONNRESET ? XLB_HR_TLS :
					      XLB_HR_REFUSED);
		rc = hcd_http_feed(&p->http, w->rbuf, (size_t)n);
		if (rc != HCD_HTTP_MORE)
			return judge(p, rc);
	}
}

int hcd_http_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev)
{
	int rc = -EAGAIN;

	while (rc == -EAGAIN) {
		switch (p->phase) {
		case HCD_PH_CONNECT:
			rc = connected(p, w, ev);
			break;
		case HCD_PH_TLS:
			rc = hcd_tls_handshake(p);
			if (rc == 2) {
				p->phase = HCD_PH_SEND;
				rc = -EAGAIN;
			}
			break;
		case HCD_PH_SEND:
			rc = send_request(p, ev);
			break;
		default:
			rc = receive(p, w);
			break;
		}
	}
	return rc;
}
