// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcp.c - sockets that leave the way the check says (source address with
 * IP_BIND_ADDRESS_NO_PORT, so a bound source does not pin an ephemeral
 * port before connect picks one per destination; or SO_BINDTODEVICE),
 * and the TCP connect check: up when the handshake completes.
 *
 * A TCP probe ends with a reset (no TIME_WAIT anywhere).  A socket that
 * was not bound ends by a connect to AF_UNSPEC instead of a close: the
 * kernel sends the same reset, gives the port back and leaves the socket
 * as new, still in the worker's epoll set, so the probe struct's next TCP
 * probe connects it again.  That spares a socket(), an epoll_ctl(), a
 * setsockopt() and a close() per probe, and the kernel's allocating and
 * freeing of the socket, file and epoll entry.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

socklen_t hcd_sockaddr(uint8_t family, const union xlb_addr *a,
		       uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == XLB_FAM_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->b, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->b, 16);
	return sizeof(*sin6);
}

static bool short_of_resources(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
}

/* Nothing to bind: a kept socket may serve, and may be kept. */
static bool unbound(const struct hcd_probe *p)
{
	const struct hcd_params *c = p->t->params;

	return !c->ifname[0] &&
	       (!c->src_family || c->src_family != p->t->family);
}

/* The struct's kept socket when it fits this probe, else -1 (and it is
 * closed). */
static int take_spare(struct hcd_probe *p, int type)
{
	int fd = p->spare;

	p->spare = -1;
	if (fd >= 0 && type == SOCK_STREAM &&
	    p->spare_family == p->t->family && unbound(p))
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static int bind_source(struct hcd_probe *p, int fd, int type)
{
	const struct hcd_params *c = p->t->params;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (c->ifname[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
				       c->ifname, strlen(c->ifname) + 1))
		return -errno;
	/* A source of the other family is for the check's other targets. */
	if (!c->src_family || c->src_family != p->t->family)
		return 0;
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
	len = hcd_sockaddr(c->src_family, &c->src, 0, &ss);
	return bind(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
}

/*
 * A check that speaks first (HTTP, HTTPS) needs no bare ACK for the
 * server's SYN-ACK: in delayed-ACK ("ping-pong") mode before connect, the
 * kernel holds that ACK back and it leaves with the request, and the ACK
 * of the answer waits too, so the reset at close ends the exchange: 7
 * segments instead of 9, each a send and a receive on a loopback.  Plain
 * TCP checks keep the full handshake (the server must see it complete).
 */
static void ack_with_request(struct hcd_probe *p, int fd)
{
	enum hcd_type t = p->t->params->type;
	int zero = 0;

	if (t == HCD_HTTP || t == HCD_HTTPS)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
}

int hcd_sock_open(struct hcd_probe *p, struct hcd_wctx *w, int type,
		  int proto)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET |
				  EPOLLRDHUP, .data.ptr = p };
	int fd = take_spare(p, type), err;
	bool kept = fd >= 0;

	if (!kept)
		fd = socket(p->t->family == XLB_FAM_V4 ? AF_INET : AF_INET6,
			    type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	p->fd = fd;
	err = bind_source(p, fd, type);
	if (err) /* a source that is not ours: the check cannot leave */
		return hcd_probe_done(p, false, XLB_HR_UNREACHABLE);
	if (type == SOCK_STREAM)
		ack_with_request(p, fd);
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6) {
		len = hcd_sockaddr(p->t->family, &p->t->addr, p->t->port, &ss);
		if (connect(fd, (struct sockaddr *)&ss, len) &&
		    errno != EINPROGRESS) {
			err = errno;
			if (short_of_resources(err) || (err == EADDRNOTAVAIL &&
			    !p->t->params->src_family))
				return -err; /* no port or memory now: queue */
			return hcd_probe_done(p, false, hcd_errno_reason(err));
		}
	}
	if (!kept && epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return HCD_STEP_WAIT;
}

void hcd_sock_recverr(struct hcd_probe *p)
{
	int one = 1;

	if (p->t->family == XLB_FAM_V4)
		setsockopt(p->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
			   sizeof(one));
}

int hcd_tcp_start(struct hcd_probe *p, struct hcd_wctx *w)
{
	return hcd_sock_open(p, w, SOCK_STREAM, 0);
}

int hcd_tcp_connected(struct hcd_probe *p, uint32_t ev)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* Writable without an error: connected, no need to ask. */
	if ((ev & EPOLLOUT) && !(ev & (EPOLLERR | EPOLLHUP)))
		return 0;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	if (err)
		return -err;
	if (ev & (EPOLLERR | EPOLLHUP))
		return -ECONNRESET;
	return ev & EPOLLOUT ? 0 : -EINPROGRESS;
}

int hcd_tcp_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev)
{
	int err = hcd_tcp_connected(p, ev);

	(void)w;
	if (err == -EINPROGRESS)
		return HCD_STEP_WAIT;
	if (err)
		return hcd_probe_done(p, false, hcd_errno_reason(err));
	return hcd_probe_done(p, true, XLB_HR_OK);
}

void hcd_tcp_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

void hcd_tcp_end(struct hcd_probe *p)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	/* The disconnect leaves ECONNRESET pending and wakes the epoll set;
	 * the next connect clears the error before the socket can report
	 * anything, and the worker ignores a wake-up of a socket kept
	 * between probes. */
	if (p->spare < 0 && unbound(p) && !connect(p->fd, &sa, sizeof(sa))) {
		p->spare = p->fd;
		p->spare_family = p->t->family;
	} else {
		hcd_tcp_close(p->fd);
	}
	p->fd = -1;
}
