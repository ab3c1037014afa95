/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_hash.h - the flow hash and the VIP filter bit, shared by the datapath
 * and userspace.  Every node of a fleet must pick the same backend for the
 * same flow, and lbsh/tests must be able to predict that pick, so the hash is
 * fixed (Bob Jenkins' lookup3 "jhash", no per-boot seed) and defined here for
 * both compilers.  Include after xlb_abi.h.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#ifdef __bpf__
#define XLB_INLINE static __always_inline
#else
#define XLB_INLINE static inline
#endif

#define XLB_JHASH_INITVAL 0xdeadbeefU

XLB_INLINE __u32 xlb_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

#define xlb_jhash_mix(a, b, c)                                                 \
	do {                                                                   \
		a -= c; a ^= xlb_rol32(c, 4);  c += b;                         \
		b -= a; b ^= xlb_rol32(a, 6);  a += c;                         \
		c -= b; c ^= xlb_rol32(b, 8);  b += a;                         \
		a -= c; a ^= xlb_rol32(c, 16); c += b;                         \
		b -= a; b ^= xlb_rol32(a, 19); a += c;                         \
		c -= b; c ^= xlb_rol32(b, 4);  b += a;                         \
	} while (0)

#define xlb_jhash_final(a, b, c)                                               \
	do {                                                                   \
		c ^= b; c -= xlb_rol32(b, 14);                                 \
		a ^= c; a -= xlb_rol32(c, 11);                                 \
		b ^= a; b -= xlb_rol32(a, 25);                                 \
		c ^= b; c -= xlb_rol32(b, 16);                                 \
		a ^= c; a -= xlb_rol32(c, 4);                                  \
		b ^= a; b -= xlb_rol32(a, 14);                                 \
		c ^= b; c -= xlb_rol32(b, 24);                                 \
	} while (0)

XLB_INLINE __u32 xlb_jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	initval += XLB_JHASH_INITVAL + (3 << 2);
	a += initval;
	b += initval;
	c += initval;
	xlb_jhash_final(a, b, c);
	return c;
}

/* jhash2 specialised to the 4 words of an IPv6 address. */
XLB_INLINE __u32 xlb_jhash_addr6(const __be32 w[4], __u32 initval)
{
	__u32 a, b, c;

	a = b = c = XLB_JHASH_INITVAL + (4 << 2) + initval;
	a += w[0];
	b += w[1];
	c += w[2];
	xlb_jhash_mix(a, b, c);
	a += w[3];
	xlb_jhash_final(a, b, c);
	return c;
}

/*
 * The flow hash that indexes a service's Maglev table.  Ports are combined as
 * they sit in the packet (network order), so the value is the same on every
 * host.  With src_only (session affinity) only the client address and the
 * protocol count.
 */
XLB_INLINE __u32 xlb_flow_hash(const union xlb_addr *src,
			       const union xlb_addr *dst, __be16 sport,
			       __be16 dport, __u8 proto, __u8 family,
			       int src_only)
{
	__u32 s, d, ports;

	if (family == XLB_FAM_V6) {
		s = xlb_jhash_addr6(src->v6, 0);
		d = src_only ? 0 : xlb_jhash_addr6(dst->v6, 0);
	} else {
		s = src->v4;
		d = src_only ? 0 : dst->v4;
	}
	ports = src_only ? 0 : ((__u32)sport << 16) | dport;
	return xlb_jhash_3words(s, d, ports, proto);
}

/* VIP filter: which bit of xlb_vip_filter an address sets. */
XLB_INLINE __u32 xlb_vip_bit(const union xlb_addr *a, __u8 family)
{
	__u32 x = a->v4;

	if (family == XLB_FAM_V6)
		x = a->v6[0] ^ a->v6[1] ^ a->v6[2] ^ a->v6[3];
	return (x * 0x9E3779B1U) >> 12; /* top 20 bits */
}

#endif /* XLB_HASH_H */
