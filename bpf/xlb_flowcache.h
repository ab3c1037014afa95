/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_flowcache.h - the per-CPU read front of the connection table.
 *
 * A lookup in the shared LRU (xlb_conntrack) hashes a 40-byte key and walks
 * a table far bigger than the CPU caches, through three kernel calls.  A
 * flow's packets normally stay on one CPU, so a small direct-mapped per-CPU
 * array answers most established packets with one inlined array read and a
 * key compare.  The LRU stays the authority:
 *
 *  - every flow is written to both (write-through), so a flow whose next
 *    packet arrives on another CPU finds it in the LRU;
 *  - a hit is validated exactly like an LRU hit (backend entry still of the
 *    flow's service, active or draining); a stale hit reschedules the flow
 *    in both;
 *  - every XLB_FC_REFRESH + 1 hits the LRU is consulted again: that marks the
 *    flow recently used there (flows served from here must not age out of
 *    the table behind it), puts it back if it was evicted, and adopts the
 *    LRU's backend if another CPU rescheduled the flow meanwhile.
 *
 * A slot is a hint: losing it to a colliding flow only sends the next packet
 * to the LRU.
 */
#ifndef XLB_FLOWCACHE_H
#define XLB_FLOWCACHE_H

#define XLB_FC_REFRESH 63 /* mask: one LRU visit per 64 hits */

/* Slot of a flow: a cheap mix of the key; both families fold the same way
 * (an IPv4 address's unused words are zero). */
static __always_inline struct xlb_flow_slot *
xlb_fc_slot(const struct xlb_flow_key *fk)
{
	__u32 a = fk->src.v6[0] ^ fk->src.v6[1] ^ fk->src.v6[2] ^ fk->src.v6[3];
	__u32 b = fk->dst.v6[0] ^ fk->dst.v6[1] ^ fk->dst.v6[2] ^ fk->dst.v6[3];
	__u32 h = ((__u32)fk->sport << 16) | fk->dport;

	h = (h ^ a) * 0x9E3779B1U;
	h = (h ^ b ^ fk->proto) * 0x85EBCA6BU;
	h ^= h >> 15;
	h &= xlb_fc_mask;
	return bpf_map_lookup_elem(&xlb_flow_cache, &h);
}

static __always_inline int xlb_fc_match(const struct xlb_flow_slot *s,
					const struct xlb_flow_key *fk)
{
	const __u32 *x = (const __u32 *)&s->key, *y = (const __u32 *)fk;
	__u32 diff = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*fk) / 4); i++)
		diff |= x[i] ^ y[i];
	return diff == 0 && s->flow.backend_id != XLB_ID_NONE;
}

static __always_inline void xlb_fc_fill(struct xlb_flow_slot *s,
					const struct xlb_flow_key *fk,
					const struct xlb_flow *fl)
{
	s->key = *fk;
	s->flow = *fl;
	s->packets = 1;
	s->pad = 0;
}

/* A hit; every XLB_FC_REFRESH + 1 of them visit the LRU (see above). */
static __always_inline void xlb_fc_hit(struct xlb_flow_slot *s)
{
	struct xlb_flow *ct;

	s->packets += 1;
	if (s->packets & XLB_FC_REFRESH)
		return;
	ct = bpf_map_lookup_elem(&xlb_conntrack, &s->key);
	if (!ct)
		bpf_map_update_elem(&xlb_conntrack, &s->key, &s->flow, BPF_ANY);
	else if (ct->backend_id != s->flow.backend_id)
		s->flow = *ct;
}

#endif /* XLB_FLOWCACHE_H */
