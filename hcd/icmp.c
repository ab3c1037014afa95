// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * icmp.c - ICMP and ICMPv6 echo.  Ping sockets (SOCK_DGRAM, IPPROTO_ICMP)
 * first: they need no privilege where net.ipv4.ping_group_range allows
 * the group, and the kernel hands each socket only its own replies.
 * Where they are refused, a raw socket (CAP_NET_RAW), connected to the
 * target so that only its packets arrive, with the ICMP type filter
 * letting through echo replies only.  One socket per probe, like every
 * other check: the in-flight cap counts them alike.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/errqueue.h>

#include "probe.h"

#define PAYLOAD 16
#define ICMP_FILTER_OPT 1 /* linux/icmp.h's ICMP_FILTER */

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void filter_replies(struct hcd_probe *p)
{
	if (p->t->family == XLB_FAM_V4) {
		uint32_t mask = ~(1U << ICMP_ECHOREPLY);

		setsockopt(p->fd, SOL_RAW, ICMP_FILTER_OPT, &mask,
			   sizeof(mask));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
}

static int open_socket(struct hcd_probe *p, struct hcd_wctx *w)
{
	bool v4 = p->t->family == XLB_FAM_V4;
	int proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int rc = -EACCES;

	if (!w->ping_raw) {
		rc = hcd_sock_open(p, w, SOCK_DGRAM, proto);
		if (rc == -EACCES || rc == -EPERM || rc == -EPROTONOSUPPORT) {
			w->ping_raw = 1;
			xlb_log(XLB_LOG_INFO, "ping sockets refused (%s); ICMP "
				"checks use raw sockets", strerror(-rc));
		}
	}
	if (w->ping_raw) {
		rc = hcd_sock_open(p, w, SOCK_RAW, proto);
		if (rc == HCD_STEP_WAIT)
			filter_replies(p);
	}
	return rc;
}

static void build(struct hcd_probe *p, uint8_t *pkt)
{
	bool v4 = p->t->family == XLB_FAM_V4;
	uint64_t token = p->start_us;

	memset(pkt, 0, 8 + PAYLOAD);
	pkt[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	memcpy(pkt + 4, &p->ping_id, 2);
	memcpy(pkt + 6, &p->ping_seq, 2);
	memcpy(pkt + 8, &token, sizeof(token));
	memcpy(pkt + 16, "xlb-hcd!", 8);
	if (v4) { /* ICMPv6's checksum is the kernel's (pseudo-header) */
		uint16_t c = csum(pkt, 8 + PAYLOAD);

		memcpy(pkt + 2, &c, 2);
	}
}

int hcd_icmp_start(struct hcd_probe *p, struct hcd_wctx *w)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t pkt[8 + PAYLOAD];
	int rc = open_socket(p, w);

	if (rc != HCD_STEP_WAIT)
		return rc;
	hcd_sock_recverr(p);
	len = hcd_sockaddr(p->t->family, &p->t->addr, 0, &ss);
	if (connect(p->fd, (struct sockaddr *)&ss, len))
		return hcd_probe_done(p, false, hcd_errno_reason(errno));
	p->ping_seq = htons(++w->ping_seq);
	p->ping_id = (uint16_t)(p->start_us ^ (uintptr_t)p);
	build(p, pkt);
	if (send(p->fd, pkt, sizeof(pkt), MSG_NOSIGNAL) < 0)
		return hcd_probe_done(p, false, hcd_errno_reason(errno));
	return HCD_STEP_WAIT;
}

/* An echo reply to this probe?  Raw IPv4 sockets see the IP header. */
static bool is_reply(struct hcd_probe *p, struct hcd_wctx *w,
		     const uint8_t *b, long n)
{
	bool v4 = p->t->family == XLB_FAM_V4;

	if (v4 && w->ping_raw) {
		long ihl = n > 0 ? (b[0] & 0x0f) * 4 : 0;

		if (n < ihl + 8)
			return false;
		b += ihl;
		n -= ihl;
	}
	if (n < 8 || b[0] != (v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return false;
	/* A ping socket's identifier is its own; only raw ones keep ours. */
	if (w->ping_raw && memcmp(b + 4, &p->ping_id, 2))
		return false;
	return !memcmp(b + 6, &p->ping_seq, 2);
}

int hcd_icmp_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev)
{
	uint8_t b[2048];
	long n;

	if (ev & EPOLLERR) { /* unreachable, from the error queue */
		char cbuf[512];
		struct msghdr m = { .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };

		if (recvmsg(p->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
			return hcd_probe_done(p, false, XLB_HR_UNREACHABLE);
	}
	while ((n = recv(p->fd, b, sizeof(b), MSG_DONTWAIT)) >= 0)
		if (is_reply(p, w, b, n))
			return hcd_probe_done(p, true, XLB_HR_OK);
	if (errno == EAGAIN)
		return HCD_STEP_WAIT;
	return hcd_probe_done(p, false, hcd_errno_reason(errno));
}
