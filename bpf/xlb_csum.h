/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_csum.h - Internet checksum helpers (RFC 1071, RFC 1624).  All values
 * are 16-bit words exactly as they sit in the packet: the one's complement
 * sum does not care about byte order as long as it is consistent.
 */
#ifndef XLB_CSUM_H
#define XLB_CSUM_H

static __always_inline __u16 xlb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Header checksum of an option-less IPv4 header whose check field is 0. */
static __always_inline __u16 xlb_ip4_hdr_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += w[i];
	return xlb_csum_fold(sum);
}

/* The 16-bit word that bytes hi, lo form as they sit in the packet. */
static __always_inline __u16 xlb_word16(__u8 hi, __u8 lo)
{
	return bpf_htons(((__u16)hi << 8) | lo);
}

/* RFC 1624 eqn. 3: update a checksum for one 16-bit word changing. */
static __always_inline void xlb_csum_replace16(__u16 *csum, __u16 old,
					       __u16 new)
{
	__u32 sum = (__u16)~*csum;

	sum += (__u16)~old;
	sum += new;
	*csum = xlb_csum_fold(sum);
}

#endif /* XLB_CSUM_H */
