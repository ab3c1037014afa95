/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_dpmap_scan.h - the connection table read one flow at a time.
 *
 * xlb_dpmap_conntrack_walk() drives a callback to the end; a reader that
 * is itself driven from outside (lbsh's virtual table, asked for the next
 * row by SQLite) needs a cursor instead.  A scan holds one batch of sets
 * (XLB_CT_SCAN_BATCH x 256 bytes) and the kernel's batch cursor, so its
 * memory does not grow with the table: a scan of millions of flows stays
 * in a few hundred KiB.  Flows added or replaced during a scan may or may
 * not be seen, as in the walk.  Functions return 0 or a negative errno
 * with xlb_errmsg() set.
 */
#ifndef XLB_DPMAP_SCAN_H
#define XLB_DPMAP_SCAN_H

#include <stdbool.h>

#include "xlb_dpmap.h"

#define XLB_CT_SCAN_BATCH 1024U

struct xlb_ct_scan {
	int fd;                  /* the conntrack map (borrowed) */
	struct xlb_ct_set *sets; /* the batch in hand */
	__u32 count;             /* sets in the batch */
	__u32 set, way;          /* the next way to look at */
	__u32 cursor;            /* the kernel's batch cursor */
	bool started, last;      /* a batch was read / it was the last */
	unsigned long long sets_read; /* every set read so far */
};

/* Starts a scan of m's connection table (m must stay open meanwhile). */
int xlb_ct_scan_open(struct xlb_ct_scan *s, const struct xlb_dpmaps *m);

/* The next intact flow: 1 with *key and *flow set, 0 at the end, or
 * -errno. */
int xlb_ct_scan_next(struct xlb_ct_scan *s, struct xlb_flow_key *key,
		     struct xlb_flow *flow);

/* Frees the batch; safe on a zeroed or already closed scan. */
void xlb_ct_scan_close(struct xlb_ct_scan *s);

#endif /* XLB_DPMAP_SCAN_H */
