/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_parse.h - header parsing into struct xlb_pkt.  Every read is bounds
 * checked against data_end; anything truncated or inconsistent is a parse
 * error, which the caller passes to the kernel untouched.
 */
#ifndef XLB_PARSE_H
#define XLB_PARSE_H

#define XLB_ETH_ALEN       6
#define XLB_ETH_HLEN       14
#define XLB_VLAN_HLEN      4
#define XLB_ETH_P_IP       0x0800
#define XLB_ETH_P_IPV6     0x86DD
#define XLB_ETH_P_8021Q    0x8100

#define XLB_IPPROTO_ICMP   1
#define XLB_IPPROTO_IPIP   4
#define XLB_IPPROTO_TCP    6
#define XLB_IPPROTO_UDP    17
#define XLB_IPPROTO_IPV6   41
#define XLB_IPPROTO_ICMPV6 58

#define XLB_NEXTHDR_HOP    0
#define XLB_NEXTHDR_ROUTE  43
#define XLB_NEXTHDR_FRAG   44
#define XLB_NEXTHDR_DEST   60
#define XLB_MAX_EXT_HDRS   4
/* Bound on header offsets, so the verifier can prove packet accesses. */
#define XLB_MAX_L4_OFF     512

#define XLB_IP_DF          0x4000
#define XLB_IP_MF          0x2000
#define XLB_IP_OFFMASK     0x1fff

enum xlb_parse_rc {
	XLB_PARSE_OK = 0,
	XLB_PARSE_NOT_IP,
	XLB_PARSE_ERR,
};

enum xlb_frag_kind {
	XLB_FRAG_NONE = 0,
	XLB_FRAG_FIRST,  /* carries the L4 header; more fragments follow */
	XLB_FRAG_LATER,  /* no L4 header */
};

/* What the program knows about a packet after parsing. */
struct xlb_pkt {
	struct xlb_flow_key flow; /* ports filled by xlb_parse_ports() */
	__u32 l3_off;    /* IP header: 14, or 18 behind an 802.1Q tag */
	__u32 l4_off;    /* first byte after the IP header chain */
	__u32 ip_len;    /* IP packet length according to its header */
	__u32 frame_len; /* bytes received, Ethernet padding included */
	__u32 frag_id;   /* IPv4 id or IPv6 fragment id, host order */
	__u8 tos;        /* IPv4 TOS / IPv6 traffic class: DSCP and ECN */
	__u8 df;         /* may not be fragmented (always for IPv6) */
	__u8 frag;       /* enum xlb_frag_kind */
	__u8 frag_proto; /* what every fragment names as its payload: the
			  * IPv4 protocol, or the IPv6 fragment header's
			  * next header (the same in first and later) */
};

struct xlb_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Ethernet and at most one 802.1Q tag; returns the EtherType behind them. */
static __always_inline int xlb_parse_eth(void *data, void *end,
					 struct xlb_pkt *pkt, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct xlb_vlan_hdr *vh;

	if ((void *)(eth + 1) > end)
		return XLB_PARSE_ERR;
	pkt->l3_off = XLB_ETH_HLEN;
	*proto = eth->h_proto;
	if (eth->h_proto != bpf_htons(XLB_ETH_P_8021Q))
		return XLB_PARSE_OK;
	vh = data + XLB_ETH_HLEN;
	if ((void *)(vh + 1) > end)
		return XLB_PARSE_ERR;
	pkt->l3_off = XLB_ETH_HLEN + XLB_VLAN_HLEN;
	*proto = vh->proto;
	return XLB_PARSE_OK;
}

static __always_inline int xlb_parse_ipv4(void *data, void *end,
					  struct xlb_pkt *pkt)
{
	struct iphdr *iph = data + pkt->l3_off;
	__u32 hlen, frag_off;

	if ((void *)(iph + 1) > end)
		return XLB_PARSE_ERR;
	if (iph->version != 4 || iph->ihl < 5)
		return XLB_PARSE_ERR;
	hlen = iph->ihl * 4;
	pkt->ip_len = bpf_ntohs(iph->tot_len);
	if (pkt->ip_len < hlen || (void *)iph + pkt->ip_len > end)
		return XLB_PARSE_ERR;

	pkt->flow.family = XLB_FAM_V4;
	pkt->flow.proto = iph->protocol;
	pkt->flow.src.v4 = iph->saddr;
	pkt->flow.dst.v4 = iph->daddr;
	pkt->tos = iph->tos;
	pkt->l4_off = pkt->l3_off + hlen;

	frag_off = bpf_ntohs(iph->frag_off);
	pkt->df = !!(frag_off & XLB_IP_DF);
	pkt->frag_id = bpf_ntohs(iph->id);
	pkt->frag_proto = iph->protocol;
	if (frag_off & XLB_IP_OFFMASK)
		pkt->frag = XLB_FRAG_LATER;
	else if (frag_off & XLB_IP_MF)
		pkt->frag = XLB_FRAG_FIRST;
	return XLB_PARSE_OK;
}

struct xlb_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-byte units, not counting the first 8 */
};

struct xlb_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, M flag in bit 0 */
	__be32 id;
};

/* Walks hop-by-hop, routing, destination-options and fragment headers.
 * Returns the upper-layer protocol in pkt->flow.proto and its offset in
 * pkt->l4_off; stops at a later fragment (its payload has no L4 header). */
static __always_inline int xlb_parse_ipv6_ext(void *data, void *end,
					      struct xlb_pkt *pkt, __u8 nh)
{
	__u32 off = pkt->l3_off + sizeof(struct ipv6hdr);
	struct xlb_ipv6_frag_hdr *fh;
	struct xlb_ipv6_opt_hdr *oh;
	__u16 fo;
	int i;

	for (i = 0; i < XLB_MAX_EXT_HDRS; i++) {
		if (off > XLB_MAX_L4_OFF)
			return XLB_PARSE_ERR;
		if (nh == XLB_NEXTHDR_HOP || nh == XLB_NEXTHDR_ROUTE ||
		    nh == XLB_NEXTHDR_DEST) {
			oh = data + off;
			if ((void *)(oh + 1) > end)
				return XLB_PARSE_ERR;
			nh = oh->nexthdr;
			off += (oh->hdrlen + 1) * 8;
		} else if (nh == XLB_NEXTHDR_FRAG) {
			fh = data + off;
			if ((void *)(fh + 1) > end)
				return XLB_PARSE_ERR;
			nh = fh->nexthdr;
			off += sizeof(*fh);
			fo = bpf_ntohs(fh->frag_off);
			pkt->frag_id = bpf_ntohl(fh->id);
			pkt->frag_proto = fh->nexthdr;
			if (fo & 0xfff8) {
				pkt->frag = XLB_FRAG_LATER;
				break;
			}
			if (fo & 1)
				pkt->frag = XLB_FRAG_FIRST;
		} else {
			break;
		}
	}
	if (off > pkt->l3_off + pkt->ip_len || off > XLB_MAX_L4_OFF)
		return XLB_PARSE_ERR;
	pkt->flow.proto = nh;
	pkt->l4_off = off;
	return XLB_PARSE_OK;
}

static __always_inline int xlb_parse_ipv6(void *data, void *end,
					  struct xlb_pkt *pkt)
{
	struct ipv6hdr *ip6 = data + pkt->l3_off;

	if ((void *)(ip6 + 1) > end)
		return XLB_PARSE_ERR;
	if (ip6->version != 6)
		return XLB_PARSE_ERR;
	pkt->ip_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if ((void *)ip6 + pkt->ip_len > end)
		return XLB_PARSE_ERR;

	pkt->flow.family = XLB_FAM_V6;
	__builtin_memcpy(&pkt->flow.src, &ip6->saddr, sizeof(pkt->flow.src));
	__builtin_memcpy(&pkt->flow.dst, &ip6->daddr, sizeof(pkt->flow.dst));
	pkt->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	pkt->df = 1;
	return xlb_parse_ipv6_ext(data, end, pkt, ip6->nexthdr);
}

/* L3 for the EtherType found by xlb_parse_eth(). */
static __always_inline int xlb_parse_l3(void *data, void *end,
					struct xlb_pkt *pkt, __be16 proto)
{
	if (proto == bpf_htons(XLB_ETH_P_IP))
		return xlb_parse_ipv4(data, end, pkt);
	if (proto == bpf_htons(XLB_ETH_P_IPV6))
		return xlb_parse_ipv6(data, end, pkt);
	return XLB_PARSE_NOT_IP;
}

/* Source and destination port of TCP or UDP; the whole fixed L4 header must
 * be inside both the frame and the IP packet. */
static __always_inline int xlb_parse_ports(void *data, void *end,
					   struct xlb_pkt *pkt)
{
	__u32 need = pkt->flow.proto == XLB_IPPROTO_TCP ? sizeof(struct tcphdr)
							: sizeof(struct udphdr);
	__u32 off = pkt->l4_off;
	__be16 *ports;

	if (off > XLB_MAX_L4_OFF || off + need > pkt->l3_off + pkt->ip_len)
		return XLB_PARSE_ERR;
	ports = data + off;
	if ((void *)ports + sizeof(struct udphdr) > end)
		return XLB_PARSE_ERR;
	if (need == sizeof(struct tcphdr) &&
	    (void *)ports + sizeof(struct tcphdr) > end)
		return XLB_PARSE_ERR;
	pkt->flow.sport = ports[0];
	pkt->flow.dport = ports[1];
	return XLB_PARSE_OK;
}

#endif /* XLB_PARSE_H */
