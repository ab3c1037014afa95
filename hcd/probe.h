/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * probe.h - one probe in flight, and the per-type steps a worker drives
 * it through.  A probe lives from its start to its result in one worker;
 * its socket is registered edge-triggered for input and output once, so
 * each step just goes as far as the socket lets it and returns.  The
 * worker keeps ended probe structs for its next probes, and a struct may
 * keep its TCP socket too, disconnected but still registered (tcp.c).
 */
#ifndef HCD_PROBE_H
#define HCD_PROBE_H

#include <sys/epoll.h>
#include <sys/socket.h>

#include "hcd.h"

/* What a worker lends its probes. */
struct hcd_wctx {
	int ep;
	void *tls[2];       /* SSL_CTX: [0] no verification, [1] verified */
	char *rbuf;         /* scratch for reads */
	size_t rbuf_len;
	uint16_t ping_seq;
	int ping_raw;       /* 1: ping sockets refused, use raw */
};

enum hcd_phase {
	HCD_PH_CONNECT = 0,
	HCD_PH_TLS,
	HCD_PH_SEND,
	HCD_PH_RECV,
};

struct hcd_probe {
	struct hcd_target *t;
	int fd;                /* the probe's socket; -1 between probes */
	int spare;             /* a disconnected TCP socket kept, or -1 */
	uint8_t spare_family;
	uint8_t phase;
	bool ok;
	uint8_t reason;        /* enum xlb_health_reason */
	uint16_t sent;         /* request bytes sent */
	uint16_t ping_id, ping_seq;
	uint64_t start_us, deadline_us;
	void *ssl;             /* SSL */
	struct hcd_http http;
	struct hcd_probe *free_next;
};

/* A step's result: keep waiting for the socket, or the probe is done
 * (p->ok and p->reason set).  A start may also return a negative errno:
 * -EMFILE/-ENFILE/-ENOBUFS/-ENOMEM mean "no resources now, queue it". */
enum { HCD_STEP_WAIT = 0, HCD_STEP_DONE = 1 };

int hcd_probe_done(struct hcd_probe *p, bool ok, int reason);
/* errno of a failed connect or send, as a reason. */
int hcd_errno_reason(int err);

/* tcp.c: an address as a sockaddr; its length. */
struct sockaddr_storage;
socklen_t hcd_sockaddr(uint8_t family, const union xlb_addr *a,
		       uint16_t port, struct sockaddr_storage *ss);
/* A non-blocking socket bound as the check says, connecting. */
int hcd_sock_open(struct hcd_probe *p, struct hcd_wctx *w, int type,
		  int proto);
/* ICMP errors for the socket on its error queue (IP_RECVERR). */
void hcd_sock_recverr(struct hcd_probe *p);
int hcd_tcp_start(struct hcd_probe *p, struct hcd_wctx *w);
int hcd_tcp_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev);
/* 0 once connected, -EINPROGRESS, or another negative errno. */
int hcd_tcp_connected(struct hcd_probe *p, uint32_t ev);
/* Closes a finished TCP probe with a reset: a checker doing 28,000
 * connections a second must not leave them in TIME_WAIT. */
void hcd_tcp_close(int fd);
/* Ends a TCP probe's connection with a reset; an unbound socket is kept
 * as p->spare for the struct's next probe, any other closed. */
void hcd_tcp_end(struct hcd_probe *p);

/* http.c (and https through tls.c) */
int hcd_http_start(struct hcd_probe *p, struct hcd_wctx *w);
int hcd_http_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev);

/* tls.c */
void hcd_tls_fini(struct hcd_wctx *w);
int hcd_tls_begin(struct hcd_probe *p, struct hcd_wctx *w);
/* HCD_STEP_WAIT, HCD_STEP_DONE (failed: p->reason set) or 2: ready. */
int hcd_tls_handshake(struct hcd_probe *p);
/* Like send/recv: bytes, 0 at EOF, -EAGAIN, or another negative errno. */
long hcd_tls_write(struct hcd_probe *p, const void *buf, size_t len);
long hcd_tls_read(struct hcd_probe *p, void *buf, size_t len);
void hcd_tls_free(struct hcd_probe *p);

/* icmp.c */
int hcd_icmp_start(struct hcd_probe *p, struct hcd_wctx *w);
int hcd_icmp_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev);

/* udp.c */
int hcd_udp_start(struct hcd_probe *p, struct hcd_wctx *w);
int hcd_udp_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev);

/* probe.c: dispatch by type */
int hcd_probe_start(struct hcd_probe *p, struct hcd_wctx *w);
int hcd_probe_step(struct hcd_probe *p, struct hcd_wctx *w, uint32_t ev);
/* Releases what the probe holds (socket, TLS); a TCP socket may stay as
 * p->spare. */
void hcd_probe_release(struct hcd_probe *p);
/* Closes the kept socket, if any. */
void hcd_probe_drop_spare(struct hcd_probe *p);

#endif /* HCD_PROBE_H */
