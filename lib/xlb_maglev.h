/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_maglev.h - weighted Maglev lookup tables (Eisenbud et al., NSDI 2016).
 *
 * Every node of a fleet must build the same table from the same backends, so
 * a table depends only on the set of (family, address, port, weight) of the
 * backends with weight > 0: never on the order of the rows, never on their
 * ids, never on a random seed.  The id of each backend is only the value
 * written into the slots it owns.
 *
 * Weights: in every round each backend earns credit equal to its weight and
 * takes one slot of its preference list per max_weight of credit, so slot
 * counts are proportional to weights; with equal weights this is exactly the
 * paper's algorithm.  Within a round heavier backends go first, then
 * (family, addr, port) order.
 *
 * No global state: threads may build tables concurrently, each with its own
 * scratch.  A build is O(m log m) expected; m = 65537 with 1,000 backends
 * takes well under a millisecond (tools/bench/bench_maglev).
 */
#ifndef XLB_MAGLEV_H
#define XLB_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

#include "xlb_abi.h"

struct xlb_maglev_backend {
	union xlb_addr addr; /* network order; IPv4 uses only addr.v4 */
	__u8 family;         /* XLB_FAM_V4 or XLB_FAM_V6 */
	__u16 port;          /* host order */
	__u32 weight;        /* 0: not in the table */
	__u32 id;            /* value written into the table */
};

/*
 * Fills table[0..m-1] with the ids of bes[0..n-1].
 * Returns 0, or -EINVAL (m not prime, m > XLB_MAX_RING, an unknown family,
 * two rows with the same (family, addr, port), NULL pointers), -ENOENT (no
 * backend with weight > 0) or -ENOMEM.  On error the table is untouched.
 */
int xlb_maglev_build(const struct xlb_maglev_backend *bes, size_t n, __u32 m,
		     __u32 *table);

/* 1 if m is prime, else 0. */
int xlb_is_prime(__u32 m);

/*
 * A backend's preference list for a table of size m (prime, >= 2): slot
 * (offset + j * skip) % m is its j-th choice.  Exposed so tests and tools can
 * predict a table independently of the builder.
 */
void xlb_maglev_perm(const struct xlb_maglev_backend *be, __u32 m,
		     __u32 *offset, __u32 *skip);

/*
 * Reusable working memory for callers that build many tables in a row (one
 * per thread: a scratch is not shared).  It grows to the largest n and m seen
 * and is owned by the caller until xlb_maglev_scratch_free().
 */
struct xlb_maglev_scratch;

struct xlb_maglev_scratch *xlb_maglev_scratch_new(void);
void xlb_maglev_scratch_free(struct xlb_maglev_scratch *s);

/* xlb_maglev_build() using s instead of allocating. */
int xlb_maglev_build_with(struct xlb_maglev_scratch *s,
			  const struct xlb_maglev_backend *bes, size_t n,
			  __u32 m, __u32 *table);

#endif /* XLB_MAGLEV_H */
