/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_conntrack.h - the connection table as the datapath uses it.
 *
 * Why not a kernel LRU hash: on this path every LRU insert takes two
 * IRQ-saving locks and walks the LRU lists (measured: about 450 ns, most of
 * a new flow's cost), and every lookup is three kernel calls.  A set-
 * associative array costs an inlined array read, four tag compares and,
 * for a new flow, a few stores.  Replacement inside a set is CLOCK (second
 * chance), the usual approximation of least-recently-used.  There are no
 * locks: writers invalidate a way's tag, write the entry, then publish the
 * tag; readers verify the entry's check word, so a race is a miss (the
 * packet is balanced again and the entry rewritten), never a wrong flow.
 * Layout rules shared with userspace are in xlb_ct.h.
 */
#ifndef XLB_CONNTRACK_H
#define XLB_CONNTRACK_H

#include "xlb_ct.h"

#define xlb_barrier() asm volatile("" ::: "memory")

/* Where a flow is, or is to be written, in the table. */
struct xlb_ct_pos {
	struct xlb_ct_set *set;
	__u32 tag;
	int way; /* the way holding the flow's key, or -1 */
};

/* Finds the flow; returns 1 with its value in *out when found intact. */
static __always_inline int xlb_ct_find(const struct xlb_flow_key *fk,
				       struct xlb_ct_pos *pos,
				       struct xlb_flow *out)
{
	__u32 h = xlb_ct_hash(fk), idx = h & xlb_ct_mask;
	struct xlb_ct_set *set;
	int i;

	set = bpf_map_lookup_elem(&xlb_conntrack, &idx);
	pos->set = set;
	pos->tag = xlb_ct_tag(h);
	pos->way = -1;
	if (!set)
		return 0;
#pragma unroll
	for (i = 0; i < XLB_CT_WAYS; i++) {
		if (set->tag[i] != pos->tag ||
		    !xlb_ct_key_eq(&set->way[i].key, fk))
			continue;
		pos->way = i;
		*out = set->way[i].flow;
		if (out->check != xlb_ct_check(pos->tag, out))
			return 0; /* torn by a concurrent writer */
		if (!set->ref[i])
			set->ref[i] = 1;
		return 1;
	}
	return 0;
}

/* The way a new flow takes: an empty one, else the first the clock hand
 * finds unreferenced (clearing reference bits as it passes). */
static __always_inline int xlb_ct_victim(struct xlb_ct_set *set)
{
	int i, k, hand = set->hand;

#pragma unroll
	for (i = 0; i < XLB_CT_WAYS; i++)
		if (!set->tag[i])
			return i;
#pragma unroll
	for (k = 0; k < 2 * XLB_CT_WAYS; k++) {
		i = (hand + k) & (XLB_CT_WAYS - 1);
		if (!set->ref[i]) {
			set->hand = (i + 1) & (XLB_CT_WAYS - 1);
			return i;
		}
		set->ref[i] = 0;
	}
	return hand & (XLB_CT_WAYS - 1);
}

/* Writes the flow where xlb_ct_find() left pos (its own way, or a victim). */
static __always_inline void xlb_ct_store(const struct xlb_ct_pos *pos,
					 const struct xlb_flow_key *fk,
					 struct xlb_flow *fl)
{
	struct xlb_ct_set *set = pos->set;
	int i;

	if (!set)
		return;
	i = pos->way >= 0 ? pos->way : xlb_ct_victim(set);
	i &= XLB_CT_WAYS - 1;
	fl->check = xlb_ct_check(pos->tag, fl);
	set->tag[i] = 0;
	xlb_barrier();
	set->way[i].key = *fk;
	set->way[i].flow = *fl;
	xlb_barrier();
	set->tag[i] = pos->tag;
	set->ref[i] = 1;
}

#endif /* XLB_CONNTRACK_H */
