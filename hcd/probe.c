// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * probe.c - a probe's start, steps and end, dispatched by check type.
 */
#include <errno.h>
#include <unistd.h>

#include "probe.h"

int hcd_probe_done(struct hcd_probe *p, bool ok, int reason)
{
	p->ok = ok;
	p->reason = (uint8_t)reason;
	return HCD_STEP_DONE;
}

int hcd_errno_reason(int err)
{
	switch (err < 0 ? -err : err) {
	case ECONNREFUSED:
	case ECONNRESET:
	case EPIPE:
		return XLB_HR_REFUSED;
	case ETIMEDOUT:
		return XLB_HR_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EADDRNOTAVAIL:
	case EPROTO:
		return XLB_HR_UNREACHABLE;
	default:
		return XLB_HR_INTERNAL;
	}
}

int hcd_probe_start(struct hcd_probe *p, struct hcd_wctx *w)
{
	switch (p->t->params->type) {
	case HCD_TCP:
		return hcd_tcp_start(p, w);
	case HCD_HTTP:
	case HCD_HTTPS:
		return hcd_http_start(p, w);
	case HCD_ICMP:
		return hcd_icmp_start(p, w);
	case HCD_UDP:
		return hcd_udp_start(p, w);
	}
	return hcd_probe_done(p, false, XLB_HR_INTERNAL);
}

int hcd_probe_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev)
{
	switch (p->t->params->type) {
	case HCD_TCP:
		return hcd_tcp_step(p, w, ev);
	case HCD_HTTP:
	case HCD_HTTPS:
		return hcd_http_step(p, w, ev);
	case HCD_ICMP:
		return hcd_icmp_step(p, w, ev);
	case HCD_UDP:
		return hcd_udp_step(p, w, ev);
	}
	return hcd_probe_done(p, false, XLB_HR_INTERNAL);
}

void hcd_probe_release(struct hcd_probe *p)
{
	enum hcd_type type = p->t->params->type;

	if (p->ssl)
		hcd_tls_free(p);
	if (p->fd < 0)
		return;
	if (type == HCD_TCP || type == HCD_HTTP || type == HCD_HTTPS) {
		hcd_tcp_end(p);
		return;
	}
	close(p->fd);
	p->fd = -1;
}

void hcd_probe_drop_spare(struct hcd_probe *p)
{
	if (p->spare >= 0)
		close(p->spare); /* disconnected: nothing left to reset */
	p->spare = -1;
}
