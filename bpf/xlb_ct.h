/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_ct.h - the connection table's layout rules, shared by the datapath
 * and userspace (which reads it for lbsh and xlbctl, and writes it in
 * tests).  Include after xlb_abi.h and xlb_hash.h.
 *
 * The table is an array of sets of XLB_CT_WAYS entries, each set one
 * 256-byte value.  A flow lives in set xlb_ct_hash() & mask, in any way
 * whose tag is xlb_ct_tag(); its entry carries a check word over the tag
 * and the value, so a reader that races a writer (no locks: XDP on every
 * CPU reads and writes sets) sees a mismatch and treats it as a miss,
 * never a mix of two flows.
 */
#ifndef XLB_CT_H
#define XLB_CT_H

/* The set hash: jhash's final mix over the folded addresses, the ports
 * and the protocol.  Every input bit must reach the low bits (the set
 * index): a multiply-only mix carries bits only upwards, so a client
 * address's last octet (the high byte of its little-endian word) and the
 * source port cancelled out, and 256 clients of a /24 with the same 4,096
 * ports filled 4,096 sets of a million-flow table.  Both families fold the
 * same way (an IPv4 address's unused words are zero).  Seeded apart from
 * the Maglev flow hash, which must be the same on every node; this one
 * only spreads sets. */
#define XLB_CT_SEED 0x6b43a9b5U

XLB_INLINE __u32 xlb_ct_hash(const struct xlb_flow_key *fk)
{
	__u32 a = fk->src.v6[0] ^ fk->src.v6[1] ^ fk->src.v6[2] ^ fk->src.v6[3];
	__u32 b = fk->dst.v6[0] ^ fk->dst.v6[1] ^ fk->dst.v6[2] ^ fk->dst.v6[3];
	__u32 ports = ((__u32)fk->sport << 16) | fk->dport;

	return xlb_jhash_3words(a, b, ports, XLB_CT_SEED ^ fk->proto);
}

/* The tag from the bits the set index does not use; never 0 (empty). */
XLB_INLINE __u32 xlb_ct_tag(__u32 h)
{
	return ((h >> 16) | (h << 16)) | 1;
}

/* The check word of an entry with this tag and value.  Each field goes
 * through its own odd multiplier (a bijection), so a value any field of
 * which came from another write changes the word; only a 2^-32 coincidence
 * could let a torn entry through.  Cheap, because every hit computes it. */
XLB_INLINE __u32 xlb_ct_check(__u32 tag, const struct xlb_flow *fl)
{
	return tag ^ (fl->backend_id * 0x9E3779B1U) ^
	       (fl->svc_id * 0x85EBCA6BU) ^ (fl->hash * 0xC2B2AE35U);
}

XLB_INLINE int xlb_ct_key_eq(const struct xlb_flow_key *x,
			     const struct xlb_flow_key *y)
{
	const __u32 *a = (const __u32 *)x, *b = (const __u32 *)y;
	__u32 diff = 0;
	int i;

#ifdef __bpf__
#pragma unroll
#endif
	for (i = 0; i < (int)(sizeof(*x) / 4); i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

#endif /* XLB_CT_H */
