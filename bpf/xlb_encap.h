/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_encap.h - IP-in-IP encapsulation for direct server return.  The inner
 * packet is never modified: the backend decapsulates it and answers the
 * client from the VIP itself.
 */
#ifndef XLB_ENCAP_H
#define XLB_ENCAP_H

#define XLB_IP4_HLEN sizeof(struct iphdr)
#define XLB_IP6_HLEN sizeof(struct ipv6hdr)

/* Grow the head by `grow` bytes and write the Ethernet header (and the
 * original 802.1Q tag) in front of the room left for the outer IP header.
 * The old L2 header sits `grow` bytes further on and is read before the
 * outer header overwrites it. */
static __always_inline int xlb_push_l2(struct xdp_md *ctx, __u32 l3_off,
				       __u32 grow, __be16 outer_proto,
				       const struct xlb_config *cfg)
{
	void *data, *end;
	struct ethhdr *eth;

	if (bpf_xdp_adjust_head(ctx, -(int)grow))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	/* Constant bound: the verifier tracks it for every fixed offset below
	 * (the IP header behind L2 makes any valid packet longer). */
	if (data + grow + XLB_ETH_HLEN + XLB_VLAN_HLEN > end)
		return -1;
	eth = data;
	if (l3_off > XLB_ETH_HLEN) {
		/* TPID and TCI of the tag, then the outer EtherType. */
		__builtin_memcpy(data + 12, data + grow + 12, XLB_VLAN_HLEN);
		*(__be16 *)(data + 16) = outer_proto;
	} else {
		eth->h_proto = outer_proto;
	}
	__builtin_memcpy(eth->h_dest, cfg->nh_mac, XLB_ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->src_mac, XLB_ETH_ALEN);
	return 0;
}

/* IPv4 packet to an IPv4 backend: outer IPv4, protocol 4. */
static __always_inline int xlb_encap_ip4(struct xdp_md *ctx,
					 const struct xlb_pkt *pkt,
					 const struct xlb_backend *be,
					 const struct xlb_config *cfg, __u32 hash)
{
	__u32 l3_off = pkt->l3_off;
	struct iphdr *o;
	void *end;

	if (l3_off > XLB_ETH_HLEN + XLB_VLAN_HLEN)
		return -1;
	if (xlb_push_l2(ctx, l3_off, XLB_IP4_HLEN, bpf_htons(XLB_ETH_P_IP), cfg))
		return -1;
	o = (void *)(long)ctx->data + l3_off;
	end = (void *)(long)ctx->data_end;
	if ((void *)(o + 1) > end)
		return -1;
	*(__u8 *)o = 0x45; /* version 4, IHL 5 */
	o->tos = pkt->tos;
	o->tot_len = bpf_htons(pkt->ip_len + XLB_IP4_HLEN);
	o->id = 0;
	o->frag_off = pkt->df ? bpf_htons(XLB_IP_DF) : 0;
	o->ttl = cfg->ttl;
	o->protocol = XLB_IPPROTO_IPIP;
	o->check = 0;
	o->saddr = cfg->src_v4 | (bpf_htonl(hash) & cfg->src_v4_mask);
	o->daddr = be->addr.v4;
	o->check = xlb_ip4_hdr_csum(o);
	return 0;
}

/* IPv4 or IPv6 packet to an IPv6 backend: outer IPv6, next header 4 or 41.
 * The flow label carries the flow hash so the backend's NIC can spread
 * flows over its queues without parsing the inner packet. */
static __always_inline int xlb_encap_ip6(struct xdp_md *ctx,
					 const struct xlb_pkt *pkt,
					 const struct xlb_backend *be,
					 const struct xlb_config *cfg, __u32 hash)
{
	__u32 l3_off = pkt->l3_off;
	struct ipv6hdr *o;
	void *end;
	__u32 first;

	if (l3_off > XLB_ETH_HLEN + XLB_VLAN_HLEN)
		return -1;
	if (xlb_push_l2(ctx, l3_off, XLB_IP6_HLEN, bpf_htons(XLB_ETH_P_IPV6),
			cfg))
		return -1;
	o = (void *)(long)ctx->data + l3_off;
	end = (void *)(long)ctx->data_end;
	if ((void *)(o + 1) > end)
		return -1;
	first = (6U << 28) | ((__u32)pkt->tos << 20) | (hash & 0xfffff);
	*(__be32 *)o = bpf_htonl(first);
	o->payload_len = bpf_htons(pkt->ip_len);
	o->nexthdr = pkt->flow.family == XLB_FAM_V4 ? XLB_IPPROTO_IPIP
						     : XLB_IPPROTO_IPV6;
	o->hop_limit = cfg->ttl;
	__builtin_memcpy(&o->saddr, &cfg->src_v6, sizeof(o->saddr));
	o->saddr.in6_u.u6_addr32[3] |= bpf_htonl(hash) & cfg->src_v6_mask;
	__builtin_memcpy(&o->daddr, &be->addr, sizeof(o->daddr));
	return 0;
}

/* Outer header size for a backend. */
static __always_inline __u32 xlb_encap_overhead(const struct xlb_backend *be)
{
	return be->family == XLB_FAM_V6 ? XLB_IP6_HLEN : XLB_IP4_HLEN;
}

#endif /* XLB_ENCAP_H */
