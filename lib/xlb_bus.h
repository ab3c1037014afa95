/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_bus.h - the sockets xlb's processes talk over: nng pub/sub and
 * req/rep on ipc:// endpoints <rundir>/<name>.ipc in one runtime folder
 * (XLB_BUS_RUNDIR unless the caller names another, as tests do).
 *
 * The side that serves listens (publisher, replier): it creates the folder
 * if needed (mode 0750) and its socket file gets mode 0660, so the group
 * may connect and nobody else.  A socket file left by a process that died
 * is replaced; one a live process listens on is not (-EADDRINUSE).  The
 * side that uses dials (subscriber, requester), in the background: it may
 * start before its peer, and reconnects when the peer restarts.
 *
 * Frames are opaque here: lib/xlb_msg encodes and decodes them.  A
 * subscriber receives every type and filters after decoding.  pub/sub
 * drops rather than blocks: a subscriber that is slow or not yet connected
 * loses messages and learns of it from the sequence numbers (see
 * xlb_msg.h).  Frames larger than XLB_MSG_FRAME_MAX are refused by nng,
 * which drops the connection that sent them.
 *
 * A struct xlb_bus is a value (an nng socket id), copied freely; zero
 * means not open.  Calls return 0 or a negative errno with xlb_errmsg()
 * set; timeouts are in milliseconds, negative waits forever, 0 not at all
 * (-ETIMEDOUT).  Sockets may be shared by threads, but a requester has
 * one request in flight: a new one abandons the last.
 */
#ifndef XLB_BUS_H
#define XLB_BUS_H

#include <stddef.h>
#include <linux/types.h>

#include "xlb_msg.h"

#define XLB_BUS_RUNDIR "/run/xlb"
#define XLB_BUS_NAME_MAX 32 /* [A-Za-z0-9_-], not starting with '-' */

/* The endpoints of DESIGN.md's data flow. */
#define XLB_BUS_HEALTH   "health"   /* hcd publishes HEALTH */
#define XLB_BUS_HCD_CTL  "hcd-ctl"  /* hcd replies: SNAPSHOT_HEALTH_REQ */
#define XLB_BUS_LBD      "lbd"      /* lbd publishes VIP_READY, REVISION */
#define XLB_BUS_LBD_CTL  "lbd-ctl"  /* lbd replies: STATUS_REQ,
				     * SNAPSHOT_VIPS_REQ, SYNC_REQ */

struct xlb_bus {
	__u32 id;
};

/* rundir NULL means XLB_BUS_RUNDIR.  *bus is set only on success. */
int xlb_bus_pub_open(struct xlb_bus *bus, const char *rundir,
		     const char *name);
int xlb_bus_sub_open(struct xlb_bus *bus, const char *rundir,
		     const char *name);
int xlb_bus_rep_open(struct xlb_bus *bus, const char *rundir,
		     const char *name);
int xlb_bus_req_open(struct xlb_bus *bus, const char *rundir,
		     const char *name);

/* Closes the socket; a listener's socket file goes with it. */
int xlb_bus_close(struct xlb_bus bus);

/* One frame.  A publisher's send never waits for subscribers. */
int xlb_bus_send(struct xlb_bus bus, const void *frame, size_t len,
		 int timeout_ms);
/* The next frame, into a buffer the caller owns (see xlb_msg_buf). */
int xlb_bus_recv(struct xlb_bus bus, struct xlb_msg_buf *frame,
		 int timeout_ms);
/* A requester's round trip: sends req, receives the reply into reply,
 * both within timeout_ms.  After a timeout, a late reply to it is
 * discarded by nng, never taken for the reply to the next request. */
int xlb_bus_request(struct xlb_bus bus, const struct xlb_msg_buf *req,
		    struct xlb_msg_buf *reply, int timeout_ms);

/* A descriptor that polls readable while a frame waits to be received,
 * for an event loop (owned by the socket: do not read or close it). */
int xlb_bus_fd(struct xlb_bus bus, int *fd);

/* "<rundir>/<name>.ipc" into buf; returns its length, -EINVAL for a bad
 * name, -ENAMETOOLONG when it does not fit buf or a socket address. */
int xlb_bus_path(const char *rundir, const char *name, char *buf, size_t len);

#endif /* XLB_BUS_H */
