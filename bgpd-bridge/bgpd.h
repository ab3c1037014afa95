/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bgpd.h - bgpd-bridge: lbd's VIP readiness turned into the routes a real
 * BGP daemon (BIRD 2 or FRR) announces.
 *
 * What is announced is always one set, computed in one place (loop.c):
 *
 *   desired = VIPs lbd says are ready   if the datapath is attached
 *           = nothing                   if it is not
 *
 * and, until the first snapshot from lbd arrives, "leave the daemon as it
 * is" while attached: a bridge that restarts while lbd is away does not
 * withdraw what a previous run announced.
 *
 *   ready.c     lbd's `lbd` publisher and `lbd-ctl` replier: deltas,
 *               snapshots, sequence numbers, a STATUS probe every second
 *   coalesce.c  when a burst of changes is over (pure, tested alone)
 *   datapath.c  whether a pinned XDP link under the pin folder is attached
 *   vipset.c    sorted set of VIP addresses (render and diff walk it)
 *   bird*.c     BIRD: include files written atomically, `configure` over
 *               the control socket (bird_reply.c parses its replies)
 *   frr*.c      FRR: bgpd's running configuration read and changed with
 *               vtysh, only `network` statements carrying our route-map
 *   loop.c      the one poll loop; main.c the options and the process's life
 */
#ifndef BGPD_H
#define BGPD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "xlb_abi.h"
#include "xlb_addr.h"
#include "xlb_bus.h"
#include "xlb_log.h"
#include "xlb_msg.h"

/* ---- vipset.c: a sorted set of VIPs (address + family) -------------------- */
struct bgpd_vip {
	union xlb_addr addr;
	__u8 family; /* XLB_FAM_V4 / XLB_FAM_V6 */
};

struct bgpd_vipset {
	struct bgpd_vip *v; /* sorted by family, then address bytes */
	size_t n, cap;
};

void vipset_init(struct bgpd_vipset *s);
void vipset_free(struct bgpd_vipset *s);
void vipset_clear(struct bgpd_vipset *s);
/* 1 added, 0 already there, -ENOMEM. */
int vipset_add(struct bgpd_vipset *s, const union xlb_addr *addr, __u8 fam);
/* 1 removed, 0 was not there. */
int vipset_del(struct bgpd_vipset *s, const union xlb_addr *addr, __u8 fam);
bool vipset_has(const struct bgpd_vipset *s, const union xlb_addr *addr,
		__u8 fam);
bool vipset_equal(const struct bgpd_vipset *a, const struct bgpd_vipset *b);
int vipset_copy(struct bgpd_vipset *dst, const struct bgpd_vipset *src);
size_t vipset_count(const struct bgpd_vipset *s, __u8 fam);
/* "203.0.113.10/32" or "2001:db8::10/128". */
int vipset_prefix(const struct bgpd_vip *v, char *buf, size_t len);

/* ---- coalesce.c: a burst's end -------------------------------------------- */
/*
 * Changes noted while a burst lasts are applied together: once quiet_ms
 * pass without another, and at the latest max_ms after the first, so a
 * steady trickle still reaches the daemon.
 */
struct bgpd_coalesce {
	unsigned int quiet_ms, max_ms;
	double first, last; /* 0: nothing pending */
};

void coalesce_init(struct bgpd_coalesce *c, unsigned int quiet_ms);
void coalesce_note(struct bgpd_coalesce *c, double now);
bool coalesce_pending(const struct bgpd_coalesce *c);
/* When the pending burst is due (0 if nothing pending). */
double coalesce_due(const struct bgpd_coalesce *c);
/* true once due at now: the caller applies, then calls coalesce_done. */
bool coalesce_ready(const struct bgpd_coalesce *c, double now);
void coalesce_done(struct bgpd_coalesce *c);

/* ---- datapath.c: is the XDP program attached? ------------------------------ */
/*
 * Counts the XDP links pinned as link_<ifname> under pin_dir that are
 * still attached to an interface (a link whose interface went away stays
 * pinned but has ifindex 0).  A missing pin folder is 0 links.  ifname
 * (may be NULL) receives the first attached link's pin name.
 */
int datapath_attached(const char *pin_dir, char *ifname, size_t len);

/* ---- ready.c: lbd's readiness ---------------------------------------------- */
struct bgpd_ready {
	char rundir[256];
	struct xlb_bus sub;  /* `lbd`: VIP_READY deltas, REVISION */
	struct xlb_bus req;  /* `lbd-ctl`: SNAPSHOT_VIPS, STATUS */
	struct xlb_msg_buf in, out;
	struct xlb_msg_stats stats;
	struct xlb_msg_seq seq;
	__u64 my_seq;        /* our requests' sequence numbers */
	__u64 changed_seq;   /* last delta that changed something */
	struct bgpd_vipset ready; /* VIPs lbd says are ready */
	bool known;          /* a snapshot has been taken */
	bool want_snap, snap_again;
	__u8 in_flight;      /* request type awaiting a reply, 0: none */
	double sent_ms, next_probe_ms;
	unsigned int send_fails; /* requests not sent in a row */
	bool lbd_up;         /* answered the last request */
	bool lbd_said;       /* lbd_up was logged at least once */
	__u64 refused;       /* well-formed but unexpected messages */
};

int ready_open(struct bgpd_ready *r, const char *rundir);
void ready_close(struct bgpd_ready *r);
/* Descriptors to poll for reading (at most 2); returns how many. */
int ready_pollfds(struct bgpd_ready *r, int *fds);
/* Reads what arrived, sends what is due; returns true when the ready set
 * (or known) changed. */
bool ready_work(struct bgpd_ready *r, double now);
/* The next time ready_work has something to send or give up on. */
double ready_due(const struct bgpd_ready *r);
/* A decoded VIP_READY applied to the set: a snapshot replaces it.  Returns
 * true when the set changed.  (Exposed for the tests.) */
bool ready_apply(struct bgpd_vipset *set, const struct xlb_msg *msg);
__u64 ready_rejected(const struct bgpd_ready *r);

/* ---- the BGP daemon ---------------------------------------------------------- */
/*
 * A backend brings its daemon to announce exactly `want` among the routes
 * it manages, and nothing else of ours.  apply is called after every
 * coalesced change and at every resync tick (force: the daemon may have
 * restarted and lost what it was told); it returns 0 or a negative errno
 * with xlb_errmsg() set, and is retried later.
 */
struct bgpd_backend {
	const char *name;
	int (*start)(struct bgpd_backend *b); /* before the first apply */
	int (*apply)(struct bgpd_backend *b, const struct bgpd_vipset *want,
		     bool force);
	void (*free)(struct bgpd_backend *b);
	void *priv;
};

struct bird_opts {
	const char *socket;      /* BIRD's control socket */
	const char *include_dir; /* where vips4.conf / vips6.conf go */
};

struct frr_opts {
	const char *vtysh;      /* the vtysh program */
	const char *vty_socket; /* NULL: vtysh's default */
	const char *route_map;  /* the tag on our network statements */
	unsigned long asn;
};

int bird_backend_new(const struct bird_opts *o, struct bgpd_backend **out);
int frr_backend_new(const struct frr_opts *o, struct bgpd_backend **out);

/* ---- bird_reply.c: the control socket's replies ------------------------- */
/*
 * BIRD answers a command with lines "DDDD-text" (more follow), "DDDD text"
 * (the last), " text" (continuation of the previous code) and "+text"
 * (spontaneous, not part of the reply).  The first digit tells the kind:
 * 0 done, 1 and 2 table lines, 8 run-time error, 9 parse error.  The
 * parser takes bytes as they come, in any split, and says when the reply
 * is complete.
 */
#define BIRD_LINE_MAX 1024 /* longer lines are cut, not refused */

struct bird_reply {
	char line[BIRD_LINE_MAX]; /* the line being read */
	size_t len;
	bool cut;      /* the line was longer than line[] */
	int code;      /* the last coded line's code, -1 before one */
	bool done;     /* the final line ("DDDD ") was read */
	int final;     /* its code */
	char text[BIRD_LINE_MAX]; /* the final line's text (or an error's) */
	int err_code;  /* the first 8xxx/9xxx code seen, 0 if none */
	bool bad;      /* a line that is none of the shapes above */
};

void bird_reply_init(struct bird_reply *r);
/* Feeds n bytes; returns how many were used (less than n once the reply
 * is done: the rest belongs to the next one), or -EPROTO on a malformed
 * line (xlb_errmsg says which). */
long bird_reply_feed(struct bird_reply *r, const char *p, size_t n);
/* The outcome of a completed `configure`: 0 accepted (0003, 0004, 0005,
 * 0019), -EINVAL a configuration error (8002, text in xlb_errmsg),
 * -ESHUTDOWN (0006), -EPROTO anything else. */
int bird_reply_configure_result(const struct bird_reply *r);

/* ---- bird_ctl.c: one command over the control socket -------------------- */
/* Connects, reads the greeting (0001), sends cmd, reads the reply into r,
 * all within timeout_ms. */
int bird_ctl_command(const char *socket, const char *cmd,
		     struct bird_reply *r, int timeout_ms);

/* ---- bird_render.c: the include files ------------------------------------ */
#define BIRD_FILE_V4 "vips4.conf"
#define BIRD_FILE_V6 "vips6.conf"
/* The include file's text for one family: a comment, then one
 * "route PREFIX blackhole;" line per VIP.  *out is malloc'ed, the
 * caller's to free. */
int bird_render(const struct bgpd_vipset *s, __u8 fam, char **out);
/* Writes text to dir/name through a temporary file in dir and rename(2):
 * readers see the old file or the new one, never a part.  Mode 0640, group
 * of dir (BIRD run with -u/-g reads it through its group). */
int bird_write_atomic(const char *dir, const char *name, const char *text);

/* ---- frr_conf.c: what bgpd's running configuration says ------------------ */
/* The networks of `router bgp asn` (the default VRF) carrying route-map
 * rm, into *out.  -ESRCH when there is no such `router bgp`. */
int frr_conf_networks(const char *conf, unsigned long asn, const char *rm,
		      struct bgpd_vipset *out);
/* One network statement to add or remove. */
struct frr_change {
	const struct bgpd_vip *vip;
	bool add;
};
/* The vtysh lines (one per line, from "configure terminal" to "end")
 * that make the n changes under `router bgp asn`, grouped by family in
 * address-family blocks; changes must come family by family.  *out is
 * malloc'ed. */
int frr_conf_script(const struct frr_change *c, size_t n, unsigned long asn,
		    const char *rm, char **out);

/* ---- frr_exec.c: running vtysh ----------------------------------------- */
/* Runs argv, collects stdout and stderr together into *out (malloc'ed,
 * NUL-terminated); kills it after timeout_ms.  Returns the exit status
 * (0..255), or a negative errno. */
int frr_exec(char *const argv[], int timeout_ms, char **out);

/* ---- loop.c: the bridge ---------------------------------------------------- */
struct bgpd_opts {
	const char *rundir;  /* NULL: XLB_BUS_RUNDIR */
	const char *pin_dir;
	struct bird_opts bird;
	struct frr_opts frr;
	bool frr_mode, frr_vtysh_set, frr_rm_set;
	bool keep_routes;
	unsigned int coalesce_ms, resync_s;
	int verbose;
};

struct bgpd_bridge {
	const struct bgpd_opts *o;
	struct bgpd_backend *backend;
	struct bgpd_ready ready;
	struct bgpd_coalesce co;
	int attached;            /* 1 yes, 0 no, -1 before the first look */
	char ifname[64];         /* the first attached link's pin name */
	struct bgpd_vipset want; /* scratch: the desired set */
	struct bgpd_vipset applied; /* what the daemon was last brought to */
	double retry_at;         /* a failed apply is tried again then */
	unsigned int retry_ms;
	int last_err;            /* logged once until it changes */
	int dp_err;              /* the datapath check's, likewise */
	double next_attach_ms, next_resync_ms;
};

int bgpd_bridge_open(struct bgpd_bridge *br, const struct bgpd_opts *o);
/* Until *stop is set (by a signal handler). */
void bgpd_bridge_run(struct bgpd_bridge *br, volatile sig_atomic_t *stop);
/* Pings systemd's watchdog when due (backends call it between the
 * exchanges of a long apply). */
void bgpd_alive(void);
/* Withdraws everything unless --keep-routes. */
void bgpd_bridge_stop(struct bgpd_bridge *br);
void bgpd_bridge_close(struct bgpd_bridge *br);

#endif /* BGPD_H */
