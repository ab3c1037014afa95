/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_icmp.h - the ICMP the node speaks itself: echo replies for VIPs,
 * "fragmentation needed" / "packet too big" when encapsulation would exceed
 * the MTU, and reading the flow an ICMP error quotes so the error can follow
 * that flow to its backend (path-MTU discovery through DSR).
 */
#ifndef XLB_ICMP_H
#define XLB_ICMP_H

#define XLB_ICMP_ECHOREPLY      0
#define XLB_ICMP_DEST_UNREACH   3
#define XLB_ICMP_FRAG_NEEDED    4 /* code of XLB_ICMP_DEST_UNREACH */
#define XLB_ICMP_ECHO           8
#define XLB_ICMP_TIME_EXCEEDED  11
#define XLB_ICMP6_DEST_UNREACH  1
#define XLB_ICMP6_PKT_TOOBIG    2
#define XLB_ICMP6_TIME_EXCEED   3
#define XLB_ICMP6_ECHO_REQUEST  128
#define XLB_ICMP6_ECHO_REPLY    129

#define XLB_ICMP_HLEN  8
/* How much of the offending packet a too-big reply quotes: fixed sizes keep
 * the checksum a constant-size bpf_csum_diff.  68 bytes cover an IPv4
 * header with options plus 8 bytes of L4; 256 bytes cover IPv6 with
 * extension headers.  Too-big packets are always longer than both. */
#define XLB_ICMP4_QUOTE 68
#define XLB_ICMP6_QUOTE 256

/* An ICMP/ICMPv6 type that reports trouble with a packet we forwarded. */
static __always_inline int xlb_icmp_is_error(__u8 family, __u8 type)
{
	if (family == XLB_FAM_V4)
		return type == XLB_ICMP_DEST_UNREACH ||
		       type == XLB_ICMP_TIME_EXCEEDED;
	return type == XLB_ICMP6_DEST_UNREACH || type == XLB_ICMP6_PKT_TOOBIG ||
	       type == XLB_ICMP6_TIME_EXCEED;
}

static __always_inline void xlb_swap_macs(struct ethhdr *eth)
{
	__u8 tmp[XLB_ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, XLB_ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, XLB_ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, XLB_ETH_ALEN);
}

/* Turn an echo request into its reply in place.  Swapping the addresses
 * leaves both checksums valid (the sums are commutative); only the TTL and
 * the type word change. */
static __always_inline int xlb_echo_reply(void *data, void *end,
					  const struct xlb_pkt *pkt,
					  const struct xlb_config *cfg)
{
	__u32 l3 = pkt->l3_off, l4 = pkt->l4_off;
	__u8 *icmp;
	__u16 old;

	if (l3 > XLB_ETH_HLEN + XLB_VLAN_HLEN || l4 > XLB_MAX_L4_OFF)
		return -1;
	icmp = data + l4;
	if ((void *)icmp + XLB_ICMP_HLEN > end ||
	    data + sizeof(struct ethhdr) > end)
		return -1;
	xlb_swap_macs(data);
	/* Words are composed from their bytes, never re-read through a cast
	 * after a byte store (the compiler may assume the two don't alias). */
	old = xlb_word16(icmp[0], icmp[1]);
	if (pkt->flow.family == XLB_FAM_V4) {
		struct iphdr *iph = data + l3;

		if ((void *)(iph + 1) > end)
			return -1;
		iph->saddr = pkt->flow.dst.v4;
		iph->daddr = pkt->flow.src.v4;
		xlb_csum_replace16(&iph->check,
				   xlb_word16(iph->ttl, iph->protocol),
				   xlb_word16(cfg->ttl, iph->protocol));
		iph->ttl = cfg->ttl;
		icmp[0] = XLB_ICMP_ECHOREPLY;
	} else {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(&ip6->saddr, &pkt->flow.dst, sizeof(ip6->saddr));
		__builtin_memcpy(&ip6->daddr, &pkt->flow.src, sizeof(ip6->daddr));
		ip6->hop_limit = cfg->ttl;
		icmp[0] = XLB_ICMP6_ECHO_REPLY;
	}
	xlb_csum_replace16((__u16 *)(icmp + 2), old,
			   xlb_word16(icmp[0], icmp[1]));
	return 0;
}

/* Cut the packet to L2 + `quote` bytes of its IP packet and grow the head by
 * `grow`; then write the reply's L2 header (MACs swapped, tag kept).
 * Returns the new data pointer's L3 offset checks to the caller via ctx. */
static __always_inline int xlb_reply_l2(struct xdp_md *ctx, __u32 l3_off,
					__u32 quote, __u32 grow,
					__be16 proto)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 old[2 * XLB_ETH_ALEN + XLB_VLAN_HLEN];
	struct ethhdr *eth;
	int len = end - data;

	if (l3_off > XLB_ETH_HLEN + XLB_VLAN_HLEN)
		return -1;
	if (bpf_xdp_adjust_tail(ctx, (int)(l3_off + quote) - len))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + grow + sizeof(old) > end)
		return -1;
	/* The old L2 header is overwritten by the new IP header: save it. */
	__builtin_memcpy(old, data + grow, sizeof(old));
	eth = data;
	__builtin_memcpy(eth->h_dest, old + XLB_ETH_ALEN, XLB_ETH_ALEN);
	__builtin_memcpy(eth->h_source, old, XLB_ETH_ALEN);
	if (l3_off > XLB_ETH_HLEN) {
		__builtin_memcpy(data + 12, old + 12, XLB_VLAN_HLEN);
		*(__be16 *)(data + 16) = proto;
	} else {
		eth->h_proto = proto;
	}
	return 0;
}

/* IPv4 "fragmentation needed" from the VIP to the client, quoting the
 * first XLB_ICMP4_QUOTE bytes of the packet that did not fit. */
static __always_inline int xlb_reply_too_big4(struct xdp_md *ctx,
					      const struct xlb_pkt *pkt,
					      const struct xlb_config *cfg,
					      __u16 mtu)
{
	__u32 l3 = pkt->l3_off;
	struct icmphdr *ic;
	struct iphdr *iph;
	void *data, *end;
	__s64 sum;

	if (xlb_reply_l2(ctx, l3, XLB_ICMP4_QUOTE, XLB_IP4_HLEN + XLB_ICMP_HLEN,
			 bpf_htons(XLB_ETH_P_IP)))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (l3 > XLB_ETH_HLEN + XLB_VLAN_HLEN)
		return -1;
	iph = data + l3;
	ic = (void *)(iph + 1);
	if ((void *)ic + XLB_ICMP_HLEN + XLB_ICMP4_QUOTE > end)
		return -1;
	*(__u8 *)iph = 0x45;
	iph->tos = 0;
	iph->tot_len = bpf_htons(XLB_IP4_HLEN + XLB_ICMP_HLEN + XLB_ICMP4_QUOTE);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = cfg->ttl;
	iph->protocol = XLB_IPPROTO_ICMP;
	iph->check = 0;
	iph->saddr = pkt->flow.dst.v4;
	iph->daddr = pkt->flow.src.v4;
	iph->check = xlb_ip4_hdr_csum(iph);

	ic->type = XLB_ICMP_DEST_UNREACH;
	ic->code = XLB_ICMP_FRAG_NEEDED;
	ic->checksum = 0;
	ic->un.frag.__unused = 0;
	ic->un.frag.mtu = bpf_htons(mtu);
	sum = bpf_csum_diff(NULL, 0, (void *)ic,
			    XLB_ICMP_HLEN + XLB_ICMP4_QUOTE, 0);
	ic->checksum = xlb_csum_fold((__u32)sum);
	return 0;
}

/* The IPv6 pseudo-header that ICMPv6's checksum covers. */
struct xlb_ip6_pseudo {
	union xlb_addr src;
	union xlb_addr dst;
	__be32 len;
	__be32 nexthdr; /* 3 zero bytes, then the next header */
};

/* ICMPv6 "packet too big" from the VIP to the client. */
static __always_inline int xlb_reply_too_big6(struct xdp_md *ctx,
					      const struct xlb_pkt *pkt,
					      const struct xlb_config *cfg,
					      __u32 mtu)
{
	struct xlb_ip6_pseudo ph = {};
	__u32 l3 = pkt->l3_off;
	struct icmp6hdr *ic;
	struct ipv6hdr *ip6;
	void *data, *end;
	__s64 sum;

	if (xlb_reply_l2(ctx, l3, XLB_ICMP6_QUOTE, XLB_IP6_HLEN + XLB_ICMP_HLEN,
			 bpf_htons(XLB_ETH_P_IPV6)))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (l3 > XLB_ETH_HLEN + XLB_VLAN_HLEN)
		return -1;
	ip6 = data + l3;
	ic = (void *)(ip6 + 1);
	if ((void *)ic + XLB_ICMP_HLEN + XLB_ICMP6_QUOTE > end)
		return -1;
	*(__be32 *)ip6 = bpf_htonl(6U << 28);
	ip6->payload_len = bpf_htons(XLB_ICMP_HLEN + XLB_ICMP6_QUOTE);
	ip6->nexthdr = XLB_IPPROTO_ICMPV6;
	ip6->hop_limit = cfg->ttl;
	__builtin_memcpy(&ip6->saddr, &pkt->flow.dst, sizeof(ip6->saddr));
	__builtin_memcpy(&ip6->daddr, &pkt->flow.src, sizeof(ip6->daddr));

	ic->icmp6_type = XLB_ICMP6_PKT_TOOBIG;
	ic->icmp6_code = 0;
	ic->icmp6_cksum = 0;
	ic->icmp6_dataun.un_data32[0] = bpf_htonl(mtu);

	ph.src = pkt->flow.dst;
	ph.dst = pkt->flow.src;
	ph.len = bpf_htonl(XLB_ICMP_HLEN + XLB_ICMP6_QUOTE);
	ph.nexthdr = bpf_htonl(XLB_IPPROTO_ICMPV6);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(NULL, 0, (void *)ic, XLB_ICMP_HLEN + XLB_ICMP6_QUOTE,
			    (__u32)sum);
	ic->icmp6_cksum = xlb_csum_fold((__u32)sum);
	return 0;
}

/*
 * The client flow an ICMP error quotes.  The quoted packet is a backend's
 * answer (VIP -> client), so source and destination are swapped back to
 * the client -> VIP direction the connection table and the hash use.
 */
static __always_inline int xlb_icmp_quoted_flow(void *data, void *end,
						const struct xlb_pkt *pkt,
						struct xlb_flow_key *fk)
{
	__u32 off = pkt->l4_off + XLB_ICMP_HLEN;
	__be16 *ports;
	__u8 proto;

	if (off > XLB_MAX_L4_OFF)
		return -1;
	if (pkt->flow.family == XLB_FAM_V4) {
		struct iphdr *in = data + off;

		if ((void *)(in + 1) > end || in->version != 4 || in->ihl < 5)
			return -1;
		proto = in->protocol;
		fk->src.v4 = in->daddr;
		fk->dst.v4 = in->saddr;
		off += in->ihl * 4;
	} else {
		struct ipv6hdr *in = data + off;

		if ((void *)(in + 1) > end || in->version != 6)
			return -1;
		proto = in->nexthdr;
		__builtin_memcpy(&fk->src, &in->daddr, sizeof(fk->src));
		__builtin_memcpy(&fk->dst, &in->saddr, sizeof(fk->dst));
		off += sizeof(*in);
	}
	if (proto != XLB_IPPROTO_TCP && proto != XLB_IPPROTO_UDP)
		return -1;
	if (off > XLB_MAX_L4_OFF + 64)
		return -1;
	ports = data + off;
	if ((void *)(ports + 2) > end)
		return -1;
	fk->sport = ports[1];
	fk->dport = ports[0];
	fk->proto = proto;
	fk->family = pkt->flow.family;
	return 0;
}

#endif /* XLB_ICMP_H */
