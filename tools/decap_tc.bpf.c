// SPDX-License-Identifier: GPL-2.0-only
/*
 * decap_tc.bpf.c - tc ingress program for xlb backends: strips the outer
 * header xlb's XDP program put in front of a client's packet, so the stack
 * delivers the inner packet to the VIP held on `lo` and the backend answers
 * the client directly (direct server return).
 *
 * Handles exactly what xlb sends: IPv4-in-IPv4 (protocol 4), IPv6-in-IPv6
 * (next header 41) and IPv4-in-IPv6 (next header 4).  Every other packet is
 * left untouched.  A backend receives encapsulated packets only from load
 * balancers, so any such packet on the interface is taken as ours: the
 * outer destination is not checked.
 *
 *   tc qdisc add dev IF clsact
 *   tc filter add dev IF ingress bpf direct-action obj decap_tc.bpf.o sec tc
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* uapi #defines that vmlinux.h (types and enums only) does not carry. */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPV4_MF_OFFSET 0x3fff /* "more fragments" flag and offset bits */

/* Counters the lab reads to check that every forwarded packet arrived. */
enum decap_counter {
	DECAP_4IN4 = 0,
	DECAP_6IN6,
	DECAP_4IN6,
	DECAP_FAILED, /* bpf_skb_adjust_room refused: packet dropped */
	DECAP_MAX
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&decap_stats, &counter);

	if (v)
		*v += 1;
}

/*
 * Removes hdr_len bytes after the Ethernet header.  flags carry the
 * BPF_F_ADJ_ROOM_DECAP_L3_* bit when the inner family differs, so the
 * kernel updates skb->protocol.  A packet that looked like ours but cannot
 * be decapsulated is dropped: handed on, the stack could only discard it
 * after wasting work on the outer header.
 */
static __always_inline int strip_outer(struct __sk_buff *skb, __u32 hdr_len,
				       __u64 flags, __u32 counter)
{
	if (bpf_skb_adjust_room(skb, -(__s32)hdr_len, BPF_ADJ_ROOM_MAC, flags)) {
		count(DECAP_FAILED);
		return TC_ACT_SHOT;
	}
	count(counter);
	return TC_ACT_OK;
}

static __always_inline int decap_v4(struct __sk_buff *skb, struct iphdr *ip)
{
	__u32 hdr_len = ip->ihl * 4;

	if (ip->protocol != IPPROTO_IPIP || hdr_len < sizeof(*ip))
		return TC_ACT_OK;
	/* An outer fragment needs reassembly first: leave it to the stack. */
	if (ip->frag_off & bpf_htons(IPV4_MF_OFFSET))
		return TC_ACT_OK;
	return strip_outer(skb, hdr_len, 0, DECAP_4IN4);
}

static __always_inline int decap_v6(struct __sk_buff *skb, struct ipv6hdr *ip6)
{
	__be16 ether_ip = bpf_htons(ETH_P_IP);
	int ret;

	if (ip6->nexthdr == IPPROTO_IPV6)
		return strip_outer(skb, sizeof(*ip6), 0, DECAP_6IN6);
	if (ip6->nexthdr != IPPROTO_IPIP)
		return TC_ACT_OK;
	ret = strip_outer(skb, sizeof(*ip6), BPF_F_ADJ_ROOM_DECAP_L3_IPV4,
			  DECAP_4IN6);
	if (ret != TC_ACT_OK)
		return ret;
	/* The helper fixes skb->protocol but not the bytes on the wire that
	 * packet sockets (tcpdump) show: make the EtherType say IPv4 too. */
	bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &ether_ip,
			    sizeof(ether_ip), 0);
	return TC_ACT_OK;
}

SEC("tc")
int xlb_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return TC_ACT_OK;
		return decap_v4(skb, ip);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_OK;
		return decap_v6(skb, ip6);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
