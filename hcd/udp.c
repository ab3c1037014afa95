// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * udp.c - the UDP check: send the check's payload on a connected socket,
 * up when a datagram comes back (holding expect_body if the check names
 * one).  IP_RECVERR puts the ICMP errors the kernel receives for the
 * socket on its error queue: port unreachable is "refused" (nothing
 * listens), others "unreachable"; a silent target times out.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/errqueue.h>

#include "probe.h"

int hcd_udp_start(struct hcd_probe *p, struct hcd_wctx *w)
{
	const struct hcd_params *c = p->t->params;
	int rc = hcd_sock_open(p, w, SOCK_DGRAM, 0);

	if (rc != HCD_STEP_WAIT)
		return rc;
	hcd_sock_recverr(p);
	if (send(p->fd, c->send ? (const void *)c->send : "", c->send_len,
		 MSG_NOSIGNAL) < 0)
		return hcd_probe_done(p, false, hcd_errno_reason(errno));
	return HCD_STEP_WAIT;
}

/* The reason an ICMP error on the queue gives. */
static int queued_error(struct hcd_probe *p)
{
	char cbuf[512];
	struct msghdr m = { .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	if (recvmsg(p->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		const struct sock_extended_err *e =
			(const struct sock_extended_err *)CMSG_DATA(cm);

		if (!((cm->cmsg_level == IPPROTO_IP &&
		       cm->cmsg_type == IP_RECVERR) ||
		      (cm->cmsg_level == IPPROTO_IPV6 &&
		       cm->cmsg_type == IPV6_RECVERR)))
			continue;
		if ((e->ee_origin == SO_EE_ORIGIN_ICMP &&
		     e->ee_type == ICMP_DEST_UNREACH &&
		     e->ee_code == ICMP_PORT_UNREACH) ||
		    (e->ee_origin == SO_EE_ORIGIN_ICMP6 &&
		     e->ee_type == ICMP6_DST_UNREACH &&
		     e->ee_code == ICMP6_DST_UNREACH_NOPORT))
			return XLB_HR_REFUSED;
		return XLB_HR_UNREACHABLE;
	}
	return XLB_HR_UNREACHABLE;
}

static bool holds(const struct hcd_params *c, const char *b, long n)
{
	return !c->body_len ||
	       memmem(b, (size_t)n, c->expect_body, c->body_len) != NULL;
}

int hcd_udp_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev)
{
	long n;

	if (ev & EPOLLERR) {
		int reason = queued_error(p);

		if (reason >= 0)
			return hcd_probe_done(p, false, reason);
	}
	n = recv(p->fd, w->rbuf, w->rbuf_len, MSG_DONTWAIT);
	if (n >= 0)
		return holds(p->t->params, w->rbuf, n)
			? hcd_probe_done(p, true, XLB_HR_OK)
			: hcd_probe_done(p, false, XLB_HR_BAD_BODY);
	if (errno == EAGAIN)
		return HCD_STEP_WAIT;
	return hcd_probe_done(p, false, hcd_errno_reason(errno));
}
