// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp.c - the XDP program (bpf/xlb_kern.c) run with BPF_PROG_TEST_RUN
 * on packets built from plain structs: one test per behaviour of
 * bpf/README.md, each asserting the XDP action, the whole output frame and
 * the counters and map entries the packet leaves behind.
 *
 * Every test loads a fresh copy of the program and writes exactly the map
 * state it needs.  Needs root and BPF; without them every test fails.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include "xdp_case.h"

/* ==== parsing and passing ================================================= */

/* The web service of xt_web4 with all its table on one backend, at an MTU. */
static void web4_mtu(struct xt *t, __u32 be, __u16 mtu)
{
	xt_web4(t, 0);
	xt_table_all(t, SVC, be);
	t->cfg.mtu = mtu;
	xt_write_config(t);
}

/* A service whose whole table is one active backend. */
static void one_backend(struct xt *t, const char *vip, __u8 proto, __u16 port,
			__u32 svc, __u32 be, const char *addr)
{
	xt_service(t, vip, proto, port, svc, 0);
	xt_backend(t, be, addr, svc, XLB_BE_ACTIVE);
	xt_table_all(t, svc, be);
}

static void test_non_ip_frame_passes_untouched(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt in;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_ARP);
	pkt_pattern(&in, 28, 1);
	run_untouched(t, &in);
	assert_reasons(&t->f, { XLB_R_PASSED, 1 });
}

/* Two 802.1Q tags: the EtherType after the one tag parsed is not IP. */
static void test_second_vlan_tag_passes_untouched(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct pkt in;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	eth.vlan = true;
	eth.vlan_tci = 100;
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_8021Q);
	pkt_bytes(&in, "\x00\xc8\x08\x00", 4); /* inner tag: VID 200, IPv4 */
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40000, 80);
	pkt_pattern(&in, 32, 0);
	pkt_done(&in);
	run_untouched(t, &in);
	assert_reasons(&t->f, { XLB_R_PASSED, 1 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void test_ipv4_to_non_vip_passes_untouched(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&in, XE_CLIENT4, 40000, XE_OTHER4, 80, 64);
	run_untouched(t, &in);
	assert_reasons(&t->f, { XLB_R_PASSED, 1 });
	assert_svc(t, SVC, 0, 0, 0, 0);
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void test_ipv6_to_non_vip_passes_untouched(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	one_backend(t, XE_VIP6, IPPROTO_UDP, 53, SVC6, BE_6A, "2001:db8:b::1");
	xt_udp(&in, XE_CLIENT6, 5353, XE_OTHER6, 53, 40);
	run_untouched(t, &in);
	assert_reasons(&t->f, { XLB_R_PASSED, 1 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

/* lbd may leave stale filter bits: such an address is looked up and, not
 * being a service, passed. */
static void test_stale_filter_bit_passes_untouched(void **state)
{
	struct xt *t = *state;
	union xlb_addr other = xt_addr(XE_OTHER4);
	struct pkt in;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	assert_int_equal(xf_set_filter_bit(&t->f, &other, XLB_FAM_V4), 0);
	xt_tcp(&in, XE_CLIENT4, 40000, XE_OTHER4, 80, 64);
	run_untouched(t, &in);
	assert_reasons(&t->f, { XLB_R_NO_SERVICE, 1 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

/* Step 1: malformed IPv4 headers are passed and counted as parse errors. */
static void test_malformed_ipv4_passes_as_parse_error(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);

	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 64);
	in.data[in.l3] = 0x44; /* IHL 4 */
	run_untouched(t, &in);

	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 64);
	in.data[in.l3 + 2] = 0;  /* total length 19 < header */
	in.data[in.l3 + 3] = 19;
	run_untouched(t, &in);

	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 64);
	in.data[in.l3 + 3] += 1; /* total length one past the frame */
	run_untouched(t, &in);

	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 64);
	in.data[in.l3] = 0x65;   /* IP version 6 in an IPv4 frame */
	run_untouched(t, &in);

	/* The TCP header cut by the total length, padding behind it. */
	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 0);
	in.data[in.l3 + 3] = 20 + 10;
	run_untouched(t, &in);

	assert_reasons(&t->f, { XLB_R_PARSE_ERR, 5 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void test_malformed_ipv6_passes_as_parse_error(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	one_backend(t, XE_VIP6, IPPROTO_UDP, 53, SVC6, BE_6A, "2001:db8:b::1");

	xt_udp(&in, XE_CLIENT6, 5353, XE_VIP6, 53, 40);
	in.data[in.l3 + 5] += 1; /* payload length one past the frame */
	run_untouched(t, &in);

	xt_udp(&in, XE_CLIENT6, 5353, XE_VIP6, 53, 40);
	in.data[in.l3] = 0x40;   /* IP version 4 in an IPv6 frame */
	run_untouched(t, &in);

	/* The UDP header cut by the payload length, bytes behind it. */
	xt_udp(&in, XE_CLIENT6, 5353, XE_VIP6, 53, 40);
	in.data[in.l3 + 4] = 0;
	in.data[in.l3 + 5] = 6;
	run_untouched(t, &in);

	/* A hop-by-hop header running past the payload length (but not past
	 * the frame) in front of a protocol that is no service's. */
	xt_ip_hdr(&in, XE_CLIENT6, XE_VIP6, PKT_NH_HOPOPTS);
	pkt_bytes(&in, "\x2f\x01\x01\x0c", 4); /* next: GRE; 16 bytes */
	pkt_pattern(&in, 4, 0);
	pkt_done(&in);              /* payload length 8 */
	pkt_pad(&in, 8);
	memset(in.data + in.l3 + 44, 0, 4);
	run_untouched(t, &in);

	assert_reasons(&t->f, { XLB_R_PARSE_ERR, 4 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

/* ==== encapsulation ======================================================= */

static void test_ipv4_in_ipv4_copies_tos_and_df(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_B);
	ip.tos = 0xb9; /* DSCP 46 + ECN CE: both copied */
	ip.ttl = 3;    /* the outer TTL is config.ttl, not this */
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40000, 80);
	pkt_pattern(&in, 100, 9);
	pkt_done(&in);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_B, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_ct(t, &k, BE_B, h);
	assert_int_equal(xf_ct_count(&t->f), 1);
	assert_svc(t, SVC, 1, in.len, 1, 0);
	assert_be(t, BE_B, 1, in.len);
	assert_be(t, BE_A, 0, 0);
}

static void test_ipv4_in_ipv4_without_df_has_no_df(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	ip.frag = 0;
	ip.tos = 0x02; /* ECN ECT(0) only */
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40001, 80);
	pkt_pattern(&in, 10, 1);
	pkt_done(&in);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_A, h);
	assert_int_equal(t->out[14 + 6] & 0x40, 0); /* outer DF clear */
	assert_ct(t, &k, BE_A, h);
}

/* The outer source is src_v4 | (hash & mask): different flows, different
 * addresses, all inside the configured prefix (192.0.2.128/25): of 16 flows
 * at least 12 get a source of their own among the prefix's 128. */
static void test_outer_ipv4_source_per_flow_within_prefix(void **state)
{
	struct xt *t = *state;
	const __u32 base = ntohl(pkt_v4(XE_SRC4_BASE));
	__u32 seen[16], i, j, distinct = 0;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_C);
	for (i = 0; i < 16; i++) {
		struct xlb_flow_key k;
		struct pkt in;
		__u32 h, src;

		xt_tcp(&in, XE_CLIENT4, (__u16)(41000 + i), XE_VIP4, 80, 20);
		h = xt_flow(&in, &k, 0);
		run_fwd(t, &in, BE_C, h);
		assert_ct(t, &k, BE_C, h);
		memcpy(&src, t->out + 14 + 12, 4);
		src = ntohl(src);
		assert_int_equal(src & ~XE_SRC4_HOSTMASK, base);
		assert_int_equal(src & XE_SRC4_HOSTMASK, h & XE_SRC4_HOSTMASK);
		for (j = 0; j < distinct && seen[j] != src; j++)
			;
		if (j == distinct)
			seen[distinct++] = src;
	}
	assert_in_range(distinct, 12, 16);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 16 });
}

static void test_vlan_tag_kept_on_encapsulation(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_D);
	eth.vlan = true;
	eth.vlan_tci = 0xa064; /* PCP 5, VID 100 */
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40002, 80);
	pkt_pattern(&in, 64, 2);
	pkt_done(&in);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_D, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_ct(t, &k, BE_D, h);
	assert_svc(t, SVC, 1, in.len, 1, 0);
	assert_be(t, BE_D, 1, in.len);
}

/* The tag stays in front of an IPv6 outer header, its EtherType 0x86dd. */
static void test_vlan_tag_kept_for_ipv6_backend(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_CLIENT6, XE_VIP6);
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	one_backend(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, BE_6A, "2001:db8:b::1");
	eth.vlan = true;
	eth.vlan_tci = 0x0fff;
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IPV6);
	pkt_ipv6(&in, &ip, IPPROTO_TCP);
	pkt_tcp(&in, 40002, 80);
	pkt_pattern(&in, 40, 2);
	pkt_done(&in);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_6A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_ct(t, &k, BE_6A, h);
}

/* Ethernet padding after a short IP packet stays as trailing bytes and
 * counts in the frame's bytes, not in the outer length. */
static void test_ethernet_padding_kept_after_inner_packet(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&in, XE_CLIENT4, 40003, XE_VIP4, 80, 0); /* 54-byte frame */
	pkt_pad(&in, 6);                                /* padded to 60 */
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_A, h);
	assert_svc(t, SVC, 1, 60, 1, 0);
	assert_be(t, BE_A, 1, 60);
}

static void test_ipv6_in_ipv6_copies_traffic_class_sets_flow_label(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_CLIENT6, XE_VIP6);
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	one_backend(t, XE_VIP6, IPPROTO_UDP, 53, SVC6, BE_6A, "2001:db8:b::1");
	ip.tclass = 0xb9;
	ip.flow_label = 0x12345; /* the outer label is the flow hash's */
	ip.hop_limit = 5;
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IPV6);
	pkt_ipv6(&in, &ip, IPPROTO_UDP);
	pkt_udp(&in, 5353, 53);
	pkt_pattern(&in, 80, 3);
	pkt_done(&in);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_6A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_ct(t, &k, BE_6A, h);
	assert_svc(t, SVC6, 1, in.len, 1, 0);
	assert_be(t, BE_6A, 1, in.len);
}

static void test_ipv4_in_ipv6_for_ipv6_backend(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	one_backend(t, XE_VIP4, IPPROTO_TCP, 443, SVC2, BE_6B, "2001:db8:b::2");
	ip.tos = 0x28;
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40004, 443);
	pkt_pattern(&in, 120, 4);
	pkt_done(&in);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_6B, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_ct(t, &k, BE_6B, h);
	assert_svc(t, SVC2, 1, in.len, 1, 0);
	assert_be(t, BE_6B, 1, in.len);
}

/* The ports (and so hash, backend and connection key) come from after the
 * options: the table spreads flows, so reading them at offset 20 shows. */
static void test_ipv4_with_options_uses_ports_after_options(void **state)
{
	static const __u8 opts[8] = { 0x94, 0x04, 0x00, 0x00, /* router alert */
				      0x01, 0x01, 0x01, 0x00 };
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	__u16 sport;

	xt_web4(t, 0);
	xt_table_abcd(t, SVC);
	ip.opts_len = sizeof(opts);
	memcpy(ip.opts, opts, sizeof(opts));
	for (sport = 42000; sport < 42008; sport++) {
		struct xlb_flow_key k;
		struct pkt in;
		__u32 h, be;

		pkt_init(&in);
		pkt_eth(&in, &eth, PKT_ETH_P_IP);
		pkt_ipv4(&in, &ip);
		pkt_tcp(&in, sport, 80);
		pkt_pattern(&in, 50, 5);
		pkt_done(&in);
		h = xt_flow(&in, &k, 0);
		be = xt_pick(t, SVC, h);

		run_fwd(t, &in, be, h);
		assert_ct(t, &k, be, h);
	}
	assert_reasons(&t->f, { XLB_R_FORWARDED, 8 });
}

static void test_ipv6_extension_headers_before_tcp(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_CLIENT6, XE_VIP6);
	__u16 sport;

	xt_service(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, 0);
	xt_backend(t, BE_A, "2001:db8:b::a", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_B, "2001:db8:b::b", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_C, "2001:db8:b::c", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_D, "2001:db8:b::d", SVC6, XLB_BE_ACTIVE);
	xt_table_abcd(t, SVC6);
	ip.n_ext = 2;
	ip.ext[0] = (struct pkt_ipv6_ext){ PKT_NH_HOPOPTS, 8 };
	ip.ext[1] = (struct pkt_ipv6_ext){ PKT_NH_DSTOPTS, 16 };
	for (sport = 43000; sport < 43008; sport++) {
		struct xlb_flow_key k;
		struct pkt in;
		__u32 h, be;

		pkt_init(&in);
		pkt_eth(&in, &eth, PKT_ETH_P_IPV6);
		pkt_ipv6(&in, &ip, IPPROTO_TCP);
		pkt_tcp(&in, sport, 80);
		pkt_pattern(&in, 30, 6);
		pkt_done(&in);
		h = xt_flow(&in, &k, 0);
		be = xt_pick(t, SVC6, h);

		run_fwd(t, &in, be, h);
		assert_ct(t, &k, be, h);
	}
	assert_reasons(&t->f, { XLB_R_FORWARDED, 8 });
}

/* ==== services ============================================================ */

static void test_all_ports_fallback_service(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	one_backend(t, XE_VIP4, IPPROTO_UDP, 0, SVC_FALLBACK, BE_B, "198.51.100.202");
	xt_udp(&in, XE_CLIENT4, 6000, XE_VIP4, 9999, 40);
	h = xt_flow(&in, &k, 0);

	run_fwd(t, &in, BE_B, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_ct(t, &k, BE_B, h); /* the key keeps the real port, 9999 */
	assert_svc(t, SVC_FALLBACK, 1, in.len, 1, 0);
}

static void test_port_service_preferred_over_fallback(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt in;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	one_backend(t, XE_VIP4, IPPROTO_TCP, 0, SVC_FALLBACK, BE_6A, "2001:db8:b::1");

	xt_tcp(&in, XE_CLIENT4, 40005, XE_VIP4, 80, 10);
	h = xt_flow(&in, &k, 0);
	run_fwd(t, &in, BE_A, h);

	xt_tcp(&in, XE_CLIENT4, 40005, XE_VIP4, 81, 10);
	h = xt_flow(&in, &k, 0);
	run_fwd(t, &in, BE_6A, h);

	assert_svc(t, SVC, 1, in.len, 1, 0);
	assert_svc(t, SVC_FALLBACK, 1, in.len, 1, 0);
}

static void test_vip_without_service_for_port_passes(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);

	xt_tcp(&in, XE_CLIENT4, 40006, XE_VIP4, 81, 10);  /* other port */
	run_untouched(t, &in);
	xt_udp(&in, XE_CLIENT4, 40006, XE_VIP4, 80, 10);  /* other proto */
	run_untouched(t, &in);
	xt_ip_hdr(&in, XE_CLIENT4, XE_VIP4, IPPROTO_GRE); /* neither */
	pkt_pattern(&in, 24, 7);
	pkt_done(&in);
	run_untouched(t, &in);

	assert_reasons(&t->f, { XLB_R_NO_SERVICE, 3 });
	assert_svc(t, SVC, 0, 0, 0, 0);
	assert_int_equal(xf_ct_count(&t->f), 0);
}

/* ==== backend selection =================================================== */

/* XLB_SVC_F_HASH_SRC: the hash covers the client address only, so every
 * source port lands on one backend even though the table spreads flows. */
static void test_hash_src_same_backend_for_all_source_ports(void **state)
{
	struct xt *t = *state;
	__u32 want_be = 0, i;

	xt_web4(t, XLB_SVC_F_HASH_SRC);
	xt_table_abcd(t, SVC);
	for (i = 0; i < 16; i++) {
		struct xlb_flow_key k;
		struct pkt in;
		__u32 h, be;

		xt_tcp(&in, XE_CLIENT4, (__u16)(50000 + 977 * i), XE_VIP4, 80,
		       16);
		h = xt_flow(&in, &k, 1);
		be = xt_pick(t, SVC, h);
		if (i == 0)
			want_be = be;
		assert_int_equal(be, want_be);
		run_fwd(t, &in, be, h);
		assert_ct(t, &k, be, h);
	}
	assert_reasons(&t->f, { XLB_R_FORWARDED, 16 });
	assert_svc(t, SVC, 16, 16 * (14 + 20 + 20 + 16), 16, 0);
}

/* The same ports without the flag spread over the table: what makes the
 * test above mean something. */
static void test_without_hash_src_source_ports_spread(void **state)
{
	struct xt *t = *state;
	unsigned int seen = 0, i;

	xt_web4(t, 0);
	xt_table_abcd(t, SVC);
	for (i = 0; i < 16; i++) {
		struct xlb_flow_key k;
		struct pkt in;
		__u32 h, be;

		xt_tcp(&in, XE_CLIENT4, (__u16)(50000 + 977 * i), XE_VIP4, 80,
		       16);
		h = xt_flow(&in, &k, 0);
		be = xt_pick(t, SVC, h);
		run_fwd(t, &in, be, h);
		assert_ct(t, &k, be, h);
		seen |= 1U << be;
	}
	assert_true(__builtin_popcount(seen) >= 2);
}

/* Established flow on A; the table switches to B: the flow stays on A
 * (connection table), a new flow follows the new table. */
static void test_conntrack_keeps_flow_across_table_change(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key kx, ky;
	struct pkt x, y;
	__u32 hx, hy;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40010, XE_VIP4, 80, 64);
	xt_tcp(&y, XE_CLIENT4, 40011, XE_VIP4, 80, 64);
	hx = xt_flow(&x, &kx, 0);
	hy = xt_flow(&y, &ky, 0);

	run_fwd(t, &x, BE_A, hx);
	xt_table_all(t, SVC, BE_B);
	run_fwd(t, &x, BE_A, hx);
	run_fwd(t, &y, BE_B, hy);

	assert_reasons(&t->f, { XLB_R_FORWARDED, 3 }, { XLB_R_CT_HIT, 1 });
	assert_ct(t, &kx, BE_A, hx);
	assert_ct(t, &ky, BE_B, hy);
	assert_svc(t, SVC, 3, 3 * x.len, 2, 0);
	assert_be(t, BE_A, 2, 2 * x.len);
	assert_be(t, BE_B, 1, y.len);
}

/* The connection table is shared by all CPUs: a flow whose next packet
 * arrives on another CPU (RSS change, veth) after the table switched stays
 * on its backend. */
static void test_conntrack_keeps_flow_across_cpus(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt x;
	__u32 h;

	assert_true(t->f.ncpus >= 2);
	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40015, XE_VIP4, 80, 64);
	h = xt_flow(&x, &k, 0);

	assert_int_equal(xf_pin_cpu(0), 0);
	run_fwd(t, &x, BE_A, h);
	xt_table_all(t, SVC, BE_B);
	assert_int_equal(xf_pin_cpu(1), 0);
	run_fwd(t, &x, BE_A, h);

	assert_reasons(&t->f, { XLB_R_FORWARDED, 2 }, { XLB_R_CT_HIT, 1 });
	assert_ct(t, &k, BE_A, h);
	assert_svc(t, SVC, 2, 2 * x.len, 1, 0);
}

/* Client ports whose flows to the VIP land in one connection-table set. */
static int same_set_ports(struct xt *t, __u16 *ports, int n, __u32 *set_idx)
{
	struct xlb_flow_key k;
	struct xlb_ct_set set;
	struct pkt x;
	__u32 idx, want = 0;
	int found = 0;
	__u16 p;

	for (p = 41000; p < 60000 && found < n; p++) {
		xt_tcp(&x, XE_CLIENT4, p, XE_VIP4, 80, 64);
		xt_flow(&x, &k, 0);
		xf_ct_set(&t->f, &k, &idx, &set);
		if (found && idx != want)
			continue;
		want = idx;
		ports[found++] = p;
	}
	*set_idx = want;
	return found;
}

/*
 * A full set replaces by CLOCK: the first newcomer finds every way
 * referenced, clears them and takes the hand's way (the oldest flow); the
 * next takes the first way not used since, so flows that sent packets in
 * between stay and the least recently used one goes.
 */
static void test_conntrack_full_set_replaces_least_recently_used(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k[6];
	struct xlb_flow v;
	struct pkt x[6];
	__u16 ports[6];
	__u32 idx;
	int i;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	assert_int_equal(same_set_ports(t, ports, 6, &idx), 6);
	for (i = 0; i < 6; i++) {
		xt_tcp(&x[i], XE_CLIENT4, ports[i], XE_VIP4, 80, 64);
		xt_flow(&x[i], &k[i], 0);
	}
	for (i = 0; i < 4; i++)
		run_fwd(t, &x[i], BE_A, xt_flow(&x[i], &k[i], 0));
	run_fwd(t, &x[4], BE_A, xt_flow(&x[4], &k[4], 0)); /* evicts 0 */
	run_fwd(t, &x[2], BE_A, xt_flow(&x[2], &k[2], 0)); /* 2, 3 used */
	run_fwd(t, &x[3], BE_A, xt_flow(&x[3], &k[3], 0));
	run_fwd(t, &x[5], BE_A, xt_flow(&x[5], &k[5], 0)); /* evicts 1 */

	assert_int_equal(xf_ct_lookup(&t->f, &k[0], &v), -ENOENT);
	assert_int_equal(xf_ct_lookup(&t->f, &k[1], &v), -ENOENT);
	for (i = 2; i < 6; i++)
		assert_int_equal(xf_ct_lookup(&t->f, &k[i], &v), 0);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 8 }, { XLB_R_CT_HIT, 2 });
}

/*
 * An entry whose check word does not match its value (what a reader sees
 * when two CPUs write one way at once) is never used: the packet is
 * balanced by the table again and the entry rewritten whole.
 */
static void test_conntrack_torn_entry_is_a_miss(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct xlb_ct_set set;
	struct pkt x;
	__u32 idx, h;
	int way;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40019, XE_VIP4, 80, 64);
	h = xt_flow(&x, &k, 0);
	run_fwd(t, &x, BE_A, h);

	way = xf_ct_set(&t->f, &k, &idx, &set);
	assert_true(way >= 0);
	set.way[way].flow.backend_id = BE_B; /* value of another write */
	assert_int_equal(xf_ct_write_set(&t->f, idx, &set), 0);
	xt_reset_counters(t);

	run_fwd(t, &x, BE_A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
	assert_svc(t, SVC, 1, x.len, 1, 0);
	assert_ct(t, &k, BE_A, h);
}

/*
 * A backend set down while the table still gives it the flow (lbd has not
 * rebuilt the table yet, or keeps the last table of a service whose
 * backends are all down): the flow stays, and is neither counted as
 * rescheduled nor rewritten on every packet.
 */
static void test_down_backend_still_in_table_keeps_flow(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt x;
	int i;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40018, XE_VIP4, 80, 64);
	h = xt_flow(&x, &k, 0);
	run_fwd(t, &x, BE_A, h);
	xt_set_state(t, BE_A, XLB_BE_DOWN);
	for (i = 0; i < 3; i++)
		run_fwd(t, &x, BE_A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 4 }, { XLB_R_CT_HIT, 0 });
	assert_svc(t, SVC, 4, 4 * x.len, 1, 0);
	assert_ct(t, &k, BE_A, h);
}

/* The flow's backend entry becomes unusable; the table no longer has it. */
static void check_rescheduled(struct xt *t, void (*change)(struct xt *t))
{
	struct xlb_flow_key k;
	struct pkt x;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40020, XE_VIP4, 80, 64);
	h = xt_flow(&x, &k, 0);
	run_fwd(t, &x, BE_A, h);

	change(t);
	xt_table_all(t, SVC, BE_B);
	run_fwd(t, &x, BE_B, h);

	assert_reasons(&t->f, { XLB_R_FORWARDED, 2 }, { XLB_R_CT_RESCHED, 1 });
	assert_ct(t, &k, BE_B, h);
	assert_int_equal(xf_ct_count(&t->f), 1);
	assert_svc(t, SVC, 2, 2 * x.len, 2, 0);
	assert_be(t, BE_A, 1, x.len);
	assert_be(t, BE_B, 1, x.len);
}

static void set_a_down(struct xt *t)
{
	xt_set_state(t, BE_A, XLB_BE_DOWN);
}

static void set_a_removed(struct xt *t)
{
	xt_set_state(t, BE_A, XLB_BE_REMOVED);
}

/* Entry A reused for another service while the flow still names it. */
static void reuse_a(struct xt *t)
{
	xt_set_backend_svc(t, BE_A, SVC_OTHER);
}

static void test_down_backend_flow_rescheduled(void **state)
{
	check_rescheduled(*state, set_a_down);
}

static void test_removed_backend_flow_rescheduled(void **state)
{
	check_rescheduled(*state, set_a_removed);
}

static void test_reused_backend_entry_flow_rescheduled(void **state)
{
	check_rescheduled(*state, reuse_a);
}

/* lbd removes a service by marking its entries REMOVED and deleting its
 * key: an established flow of it then passes like any port without one. */
static void test_removed_service_established_flow_passes(void **state)
{
	struct xt *t = *state;
	union xlb_addr vip = xt_addr(XE_VIP4);
	struct xlb_flow_key k;
	struct pkt x;
	__u32 id;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40025, XE_VIP4, 80, 64);
	run_fwd(t, &x, BE_A, xt_flow(&x, &k, 0));

	for (id = BE_A; id <= BE_D; id++)
		xt_set_state(t, id, XLB_BE_REMOVED);
	assert_int_equal(xf_del_service(&t->f, &vip, XLB_FAM_V4, IPPROTO_TCP,
					80), 0);
	xt_reset_counters(t);

	/* Not rescheduled (there is no service to reschedule it in). */
	run_untouched(t, &x);
	assert_reasons(&t->f, { XLB_R_NO_SERVICE, 1 });
	assert_svc(t, SVC, 0, 0, 0, 0);
	assert_be(t, BE_A, 0, 0);
}

static void test_drain_backend_keeps_flow(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt x;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40030, XE_VIP4, 80, 64);
	h = xt_flow(&x, &k, 0);
	run_fwd(t, &x, BE_A, h);

	xt_set_state(t, BE_A, XLB_BE_DRAIN);
	xt_table_all(t, SVC, BE_B);
	run_fwd(t, &x, BE_A, h);

	assert_reasons(&t->f, { XLB_R_FORWARDED, 2 }, { XLB_R_CT_HIT, 1 });
	assert_ct(t, &k, BE_A, h);
	assert_svc(t, SVC, 2, 2 * x.len, 1, 0);
	assert_be(t, BE_A, 2, 2 * x.len);
}

static void check_no_backend(struct xt *t)
{
	struct pkt x;

	xt_tcp(&x, XE_CLIENT4, 40040, XE_VIP4, 80, 64);
	run(t, &x, XDP_DROP);
	assert_reasons(&t->f, { XLB_R_NO_BACKEND, 1 });
	assert_svc(t, SVC, 1, x.len, 0, 1);
	assert_be(t, BE_A, 0, 0);
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void test_no_table_drops_and_counts(void **state)
{
	struct xt *t = *state;

	xt_web4(t, 0);
	check_no_backend(t);
}

static void test_empty_table_drops_and_counts(void **state)
{
	struct xt *t = *state;

	xt_web4(t, 0);
	xt_table(t, SVC, NULL, 0); /* M = 0 */
	check_no_backend(t);
}

static void test_removed_slot_backend_drops_and_counts(void **state)
{
	struct xt *t = *state;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_set_state(t, BE_A, XLB_BE_REMOVED);
	check_no_backend(t);
}

static void test_ipv6_packet_for_ipv4_backend_dropped(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	one_backend(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, BE_A, "198.51.100.201");
	xt_tcp(&in, XE_CLIENT6, 40050, XE_VIP6, 80, 20);
	run(t, &in, XDP_DROP);
	assert_reasons(&t->f, { XLB_R_FAMILY_MISMATCH, 1 });
	assert_svc(t, SVC6, 1, in.len, 1, 1);
	assert_be(t, BE_A, 0, 0);
}

/* ==== MTU ================================================================= */

/* A TCP packet from the client whose IP packet is ip_len bytes. */
static void sized(struct pkt *p, const char *src, const char *dst,
		  size_t ip_len)
{
	size_t hdr = xt_is_v6(src) ? 40 + 20 : 20 + 20;

	xt_tcp(p, src, 40060, dst, 80, ip_len - hdr);
}

static void test_mtu_exact_fit_forwarded(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt in;

	web4_mtu(t, BE_A, 1000);
	sized(&in, XE_CLIENT4, XE_VIP4, 980); /* 980 + 20 = 1000 */
	run_fwd(t, &in, BE_A, xt_flow(&in, &k, 0));
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 });
}

static void test_mtu_ipv4_df_gets_frag_needed(void **state)
{
	struct xt *t = *state;
	struct pkt in, want;

	web4_mtu(t, BE_A, 1000);
	sized(&in, XE_CLIENT4, XE_VIP4, 981);
	pkt_expect_frag_needed(&want, &in, XE_TTL, 1000 - 20);

	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_MTU_REPLY, 1 });
	assert_svc(t, SVC, 1, in.len, 1, 1); /* picked (step 6), too big */
	assert_be(t, BE_A, 0, 0);
}

static void test_mtu_ipv4_df_ipv6_backend_next_hop_mtu_minus_40(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt in, want;

	one_backend(t, XE_VIP4, IPPROTO_TCP, 80, SVC, BE_6A, "2001:db8:b::1");
	t->cfg.mtu = 1000;
	xt_write_config(t);

	sized(&in, XE_CLIENT4, XE_VIP4, 960); /* 960 + 40 fits */
	run_fwd(t, &in, BE_6A, xt_flow(&in, &k, 0));

	sized(&in, XE_CLIENT4, XE_VIP4, 961);
	pkt_expect_frag_needed(&want, &in, XE_TTL, 1000 - 40);
	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 }, { XLB_R_MTU_REPLY, 1 },
		       { XLB_R_CT_HIT, 1 });
	assert_svc(t, SVC, 2, 14 + 960 + in.len, 1, 1);
}

/* The quote is 68 bytes: a 60-byte header with options and 8 bytes more. */
static void test_frag_needed_quotes_header_with_options(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct pkt in, want;

	web4_mtu(t, BE_A, 1000);
	ip.opts_len = 40;
	memset(ip.opts, 0x01, 39); /* NOPs, then end of options */
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40061, 80);
	pkt_pattern(&in, 1200 - 80, 8);
	pkt_done(&in);
	pkt_expect_frag_needed(&want, &in, XE_TTL, 1000 - 20);

	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_MTU_REPLY, 1 });
}

static void test_mtu_reply_keeps_vlan_tag(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct pkt in, want;

	web4_mtu(t, BE_A, 1000);
	eth.vlan = true;
	eth.vlan_tci = 0x0123;
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40062, 80);
	pkt_pattern(&in, 1100, 9);
	pkt_done(&in);
	pkt_expect_frag_needed(&want, &in, XE_TTL, 1000 - 20);

	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_MTU_REPLY, 1 });
}

static void test_mtu_ipv4_without_df_dropped(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	struct pkt in;

	web4_mtu(t, BE_A, 1000);
	ip.frag = 0;
	pkt_init(&in);
	pkt_eth(&in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&in, &ip);
	pkt_tcp(&in, 40063, 80);
	pkt_pattern(&in, 981 - 40, 10);
	pkt_done(&in);

	run(t, &in, XDP_DROP);
	assert_reasons(&t->f, { XLB_R_MTU_DROP, 1 });
	assert_svc(t, SVC, 1, in.len, 1, 1);
	assert_be(t, BE_A, 0, 0);
}

static void test_mtu_ipv6_gets_packet_too_big(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt in, want;

	one_backend(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, BE_6A, "2001:db8:b::1");
	t->cfg.mtu = 1000;
	xt_write_config(t);

	sized(&in, XE_CLIENT6, XE_VIP6, 960); /* 960 + 40 fits */
	run_fwd(t, &in, BE_6A, xt_flow(&in, &k, 0));

	sized(&in, XE_CLIENT6, XE_VIP6, 961);
	pkt_expect_too_big(&want, &in, XE_TTL, 1000 - 40);
	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 }, { XLB_R_MTU_REPLY, 1 },
		       { XLB_R_CT_HIT, 1 });
	assert_svc(t, SVC6, 2, 14 + 960 + in.len, 1, 1);
	assert_be(t, BE_6A, 1, 14 + 960);
}

/* ==== ICMP ================================================================ */

/* A backend's answer VIP:vport -> client:cport, as an ICMP error quotes it. */
static void answer(struct pkt *q, __u8 proto, const char *vip, __u16 vport,
		   const char *client, __u16 cport)
{
	xt_l4(q, proto, vip, vport, client, cport, 32);
}

/* An ICMP / ICMPv6 error from a router to the quoted packet's source
 * (the VIP), or to "to" when given, quoting q. */
static void icmp_error_to(struct pkt *p, const char *to, __u8 type,
			  __u8 code, __u32 rest, const struct pkt *q,
			  size_t quote)
{
	struct pkt_eth eth = xe_eth_in();

	pkt_init(p);
	if (q->family == 4) {
		struct pkt_ipv4 ip = xt_ip4(XE_ROUTER4, "0.0.0.0",
					    IPPROTO_ICMP);

		memcpy(&ip.dst, q->data + q->l3 + 12, 4);
		if (to)
			ip.dst = pkt_v4(to);
		ip.tos = 0xc0; /* network control, as routers send */
		ip.ttl = 250;
		ip.frag = 0;
		pkt_eth(p, &eth, PKT_ETH_P_IP);
		pkt_ipv4(p, &ip);
	} else {
		struct pkt_ipv6 ip = xt_ip6(XE_ROUTER6, "::");

		memcpy(&ip.dst, q->data + q->l3 + 8, 16);
		if (to)
			ip.dst = pkt_v6(to);
		ip.tclass = 0xc0;
		ip.hop_limit = 250;
		pkt_eth(p, &eth, PKT_ETH_P_IPV6);
		pkt_ipv6(p, &ip, IPPROTO_ICMPV6);
	}
	pkt_icmp(p, type, code, rest);
	pkt_quote(p, q, quote);
	pkt_done(p);
}

static void icmp_error(struct pkt *p, __u8 type, __u8 code, __u32 rest,
		       const struct pkt *q, size_t quote)
{
	icmp_error_to(p, NULL, type, code, rest, q, quote);
}

/* The flow is established on A, the table then moves it to B: the error
 * follows the connection table to A, with the flow's hash. */
static void test_icmp_dest_unreachable_follows_conntrack(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k, kq;
	struct pkt x, q, err;
	__u32 h;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	xt_tcp(&x, XE_CLIENT4, 40070, XE_VIP4, 80, 64);
	h = xt_flow(&x, &k, 0);
	run_fwd(t, &x, BE_A, h);
	xt_table_all(t, SVC, BE_B);
	xt_reset_counters(t);

	answer(&q, IPPROTO_TCP, XE_VIP4, 80, XE_CLIENT4, 40070);
	xe_quoted_flow_key(&q, &kq);
	assert_memory_equal(&kq, &k, sizeof(k)); /* the builder agrees */
	icmp_error(&err, 3, 1, 0, &q, 28); /* host unreachable, 8 bytes */

	run_fwd(t, &err, BE_A, h);
	assert_reasons(&t->f, { XLB_R_ICMP_ROUTED, 1 }, { XLB_R_CT_HIT, 1 });
	assert_svc(t, SVC, 1, err.len, 0, 0);
	assert_be(t, BE_A, 1, err.len);
	assert_int_equal(xf_ct_count(&t->f), 1);
	assert_ct(t, &k, BE_A, h);
}

/* No connection entry: Maglev picks, and nothing is inserted. */
static void test_icmp_frag_needed_routed_by_maglev(void **state)
{
	struct xt *t = *state;
	__u16 cport;

	xt_web4(t, 0);
	xt_table_abcd(t, SVC);
	for (cport = 40080; cport < 40088; cport++) {
		struct xlb_flow_key k;
		struct pkt q, err;
		__u32 h;

		answer(&q, IPPROTO_TCP, XE_VIP4, 80, XE_CLIENT4, cport);
		xe_quoted_flow_key(&q, &k);
		h = xe_hash(&k, 0);
		icmp_error(&err, 3, 4, 1400, &q, 548);
		run_fwd(t, &err, xt_pick(t, SVC, h), h);
	}
	assert_reasons(&t->f, { XLB_R_ICMP_ROUTED, 8 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void test_icmp_time_exceeded_routed(void **state)
{
	struct xt *t = *state;
	struct xlb_flow_key k;
	struct pkt q, err;
	__u32 h;

	one_backend(t, XE_VIP4, IPPROTO_UDP, 53, SVC2, BE_C, "198.51.100.203");
	answer(&q, IPPROTO_UDP, XE_VIP4, 53, XE_CLIENT4, 5353);
	xe_quoted_flow_key(&q, &k);
	h = xe_hash(&k, 0);
	icmp_error(&err, 11, 0, 0, &q, 60);

	run_fwd(t, &err, BE_C, h);
	assert_reasons(&t->f, { XLB_R_ICMP_ROUTED, 1 });
	assert_svc(t, SVC2, 1, err.len, 0, 0);
	assert_be(t, BE_C, 1, err.len);
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void check_icmp6_routed(struct xt *t, __u8 type, __u8 code,
			       __u32 rest)
{
	__u16 cport;

	xt_service(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, 0);
	xt_backend(t, BE_A, "2001:db8:b::a", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_B, "2001:db8:b::b", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_C, "2001:db8:b::c", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_D, "2001:db8:b::d", SVC6, XLB_BE_ACTIVE);
	xt_table_abcd(t, SVC6);
	for (cport = 40090; cport < 40098; cport++) {
		struct xlb_flow_key k;
		struct pkt q, err;
		__u32 h;

		answer(&q, IPPROTO_TCP, XE_VIP6, 80, XE_CLIENT6, cport);
		xe_quoted_flow_key(&q, &k);
		h = xe_hash(&k, 0);
		icmp_error(&err, type, code, rest, &q, 1000);
		run_fwd(t, &err, xt_pick(t, SVC6, h), h);
	}
	assert_reasons(&t->f, { XLB_R_ICMP_ROUTED, 8 });
	assert_int_equal(xf_ct_count(&t->f), 0);
}

static void test_icmpv6_packet_too_big_routed(void **state)
{
	check_icmp6_routed(*state, 2, 0, 1280);
}

static void test_icmpv6_dest_unreachable_routed(void **state)
{
	check_icmp6_routed(*state, 1, 4, 0);
}

static void test_icmpv6_time_exceeded_routed(void **state)
{
	check_icmp6_routed(*state, 3, 0, 0);
}

/* An error is never answered with an error: too big once encapsulated,
 * it is dropped. */
static void test_icmp_error_too_big_for_mtu_dropped(void **state)
{
	struct xt *t = *state;
	struct pkt q, err;

	web4_mtu(t, BE_A, 1000);
	xt_tcp(&q, XE_VIP4, 80, XE_CLIENT4, 40130, 1000);
	icmp_error(&err, 3, 4, 1400, &q, 1040); /* 20 + 8 + 1040 + 20 > 1000 */

	run(t, &err, XDP_DROP);
	assert_reasons(&t->f, { XLB_R_MTU_DROP, 1 });
	assert_svc(t, SVC, 1, err.len, 0, 1);
	assert_be(t, BE_A, 0, 0);
	assert_int_equal(xf_ct_count(&t->f), 0);
}

/* An error quoting a packet whose source is not a VIP is not ours. */
static void test_icmp_error_quoting_non_vip_passes(void **state)
{
	struct xt *t = *state;
	struct pkt q, err;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	answer(&q, IPPROTO_TCP, XE_OTHER4, 80, XE_CLIENT4, 40100);
	icmp_error_to(&err, XE_VIP4, 3, 1, 0, &q, 28);

	run_untouched(t, &err);
	assert_reasons(&t->f, { XLB_R_ICMP_UNMATCHED, 1 });
}

/* An ICMPv6 quote must have TCP/UDP right after the fixed header. */
static void test_icmpv6_error_quoting_extension_headers_passes(void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_VIP6, XE_CLIENT6);
	struct pkt q, err;

	one_backend(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, BE_6A, "2001:db8:b::1");
	ip.n_ext = 1;
	ip.ext[0] = (struct pkt_ipv6_ext){ PKT_NH_DSTOPTS, 8 };
	pkt_init(&q);
	pkt_eth(&q, &eth, PKT_ETH_P_IPV6);
	pkt_ipv6(&q, &ip, IPPROTO_TCP);
	pkt_tcp(&q, 80, 40110);
	pkt_pattern(&q, 32, 14);
	pkt_done(&q);
	icmp_error(&err, 2, 0, 1280, &q, 1000);

	run_untouched(t, &err);
	assert_reasons(&t->f, { XLB_R_ICMP_UNMATCHED, 1 });
	assert_be(t, BE_6A, 0, 0);
}

/* The quoted flow's VIP has no service for its port: not ours either. */
static void test_icmp_error_for_port_without_service_passes(void **state)
{
	struct xt *t = *state;
	struct pkt q, err;

	xt_web4(t, 0);
	xt_table_all(t, SVC, BE_A);
	answer(&q, IPPROTO_TCP, XE_VIP4, 8443, XE_CLIENT4, 40120);
	icmp_error(&err, 3, 4, 1400, &q, 28);

	run_untouched(t, &err);
	assert_reasons(&t->f, { XLB_R_ICMP_UNMATCHED, 1 });
}

static void test_icmp_echo_to_vip_answered(void **state)
{
	struct xt *t = *state;
	struct pkt in, want;

	xt_web4(t, 0);
	t->cfg.flags = XLB_CFG_F_ECHO_REPLY;
	xt_write_config(t);
	xt_ip_hdr(&in, XE_CLIENT4, XE_VIP4, IPPROTO_ICMP);
	pkt_icmp(&in, 8, 0, 0x1234 << 16 | 7);
	pkt_pattern(&in, 56, 11);
	pkt_done(&in);
	pkt_expect_echo_reply(&want, &in, XE_TTL);

	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_ICMP_ECHO, 1 });
}

static void test_icmpv6_echo_to_vip_answered(void **state)
{
	struct xt *t = *state;
	struct pkt in, want;

	xt_service(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, 0);
	t->cfg.flags = XLB_CFG_F_ECHO_REPLY;
	xt_write_config(t);
	xt_ip_hdr(&in, XE_CLIENT6, XE_VIP6, IPPROTO_ICMPV6);
	pkt_icmp(&in, 128, 0, 0x4321 << 16 | 9);
	pkt_pattern(&in, 56, 12);
	pkt_done(&in);
	pkt_expect_echo_reply(&want, &in, XE_TTL);

	run_want(t, &in, &want);
	assert_reasons(&t->f, { XLB_R_ICMP_ECHO, 1 });
}

static void test_icmp_echo_passes_when_disabled(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	xt_web4(t, 0);
	xt_service(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, 0);
	xt_ip_hdr(&in, XE_CLIENT4, XE_VIP4, IPPROTO_ICMP);
	pkt_icmp(&in, 8, 0, 0x1234 << 16 | 7);
	pkt_pattern(&in, 56, 11);
	pkt_done(&in);
	run_untouched(t, &in);

	xt_ip_hdr(&in, XE_CLIENT6, XE_VIP6, IPPROTO_ICMPV6);
	pkt_icmp(&in, 128, 0, 0x4321 << 16 | 9);
	pkt_pattern(&in, 56, 12);
	pkt_done(&in);
	run_untouched(t, &in);

	assert_int_equal(xf_reason(&t->f, XLB_R_ICMP_ECHO), 0);
}

/* ==== fragments =========================================================== */

#define FRAG_DATA   1200 /* UDP payload of the fragmented datagram */
#define FRAG_SPLIT  512  /* the first fragment's share (8-byte multiple) */
#define FRAG6_ID    0xabcdef01

/* A UDP datagram client:5353 -> dst:53 cut in two (IPv4 id 0x4242). */
static void fragments(struct pkt *first, struct pkt *later, const char *dst)
{
	struct pkt whole;
	size_t rest = 8 + FRAG_DATA - FRAG_SPLIT;

	if (xt_is_v6(dst)) {
		xt_udp(&whole, XE_CLIENT6, 5353, dst, 53, FRAG_DATA);
		pkt_fragment6(first, &whole, 0, FRAG_SPLIT, true, FRAG6_ID);
		pkt_fragment6(later, &whole, FRAG_SPLIT, rest, false, FRAG6_ID);
	} else {
		struct pkt_eth eth = xe_eth_in();
		struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, dst, IPPROTO_UDP);

		ip.frag = 0; /* may be fragmented */
		pkt_init(&whole);
		pkt_eth(&whole, &eth, PKT_ETH_P_IP);
		pkt_ipv4(&whole, &ip);
		pkt_udp(&whole, 5353, 53);
		pkt_pattern(&whole, FRAG_DATA, 13);
		pkt_done(&whole);
		pkt_fragment4(first, &whole, 0, FRAG_SPLIT, true);
		pkt_fragment4(later, &whole, FRAG_SPLIT, rest, false);
	}
}

static void dns_service(struct xt *t, const char *vip, __u32 svc)
{
	int v6 = xt_is_v6(vip);

	xt_service(t, vip, IPPROTO_UDP, 53, svc, 0);
	xt_backend(t, BE_A, v6 ? "2001:db8:b::a" : "198.51.100.201", svc,
		   XLB_BE_ACTIVE);
	xt_backend(t, BE_B, v6 ? "2001:db8:b::b" : "198.51.100.202", svc,
		   XLB_BE_ACTIVE);
	xt_table_all(t, svc, BE_A);
}

/* The fragment table's key for the datagram; the id in host order. */
static void frag_key(struct xlb_frag_key *fk, const char *dst, __u32 id)
{
	union xlb_addr src = xt_addr(xt_is_v6(dst) ? XE_CLIENT6 : XE_CLIENT4);

	memset(fk, 0, sizeof(*fk));
	fk->src = src;
	fk->dst = xt_addr(dst);
	fk->id = id;
	fk->proto = IPPROTO_UDP;
	fk->family = xt_fam(dst);
}

static void check_first_fragment_tracked(struct xt *t, const char *vip,
					 __u32 svc, __u32 id)
{
	struct xlb_frag_key fk, got_k;
	struct xlb_frag got;
	struct xlb_flow_key k;
	struct pkt first, later;
	__u32 h;

	dns_service(t, vip, svc);
	fragments(&first, &later, vip);
	h = xt_flow(&first, &k, 0);

	run_fwd(t, &first, BE_A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 }, { XLB_R_FRAG_FIRST, 1 });
	assert_ct(t, &k, BE_A, h);
	assert_svc(t, svc, 1, first.len, 1, 0);

	frag_key(&fk, vip, id);
	assert_int_equal(xf_frag_only(&t->f, &got_k, &got), 0);
	assert_memory_equal(&got_k, &fk, sizeof(fk));
	assert_int_equal(got.svc_id, svc);
	assert_int_equal(got.backend_id, BE_A);
	assert_int_equal(got.hash, h);
}

static void test_first_fragment_forwarded_and_tracked(void **state)
{
	check_first_fragment_tracked(*state, XE_VIP4, SVC2, 0x4242);
}

static void test_ipv6_first_fragment_forwarded_and_tracked(void **state)
{
	check_first_fragment_tracked(*state, XE_VIP6, SVC6, FRAG6_ID);
}

/* The table moves to B after the first fragment: the later one still goes
 * to A, with the first fragment's hash (it has no ports of its own). */
static void check_later_fragment_follows_first(struct xt *t, const char *vip,
					       __u32 svc)
{
	struct xlb_flow_key k;
	struct pkt first, later;
	__u32 h;

	dns_service(t, vip, svc);
	fragments(&first, &later, vip);
	h = xt_flow(&first, &k, 0);
	run_fwd(t, &first, BE_A, h);
	xt_table_all(t, svc, BE_B);

	run_fwd(t, &later, BE_A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 }, { XLB_R_FRAG_FIRST, 1 },
		       { XLB_R_FRAG_TRACKED, 1 });
	assert_svc(t, svc, 2, first.len + later.len, 1, 0);
	assert_be(t, BE_A, 2, first.len + later.len);
	assert_be(t, BE_B, 0, 0);
}

static void test_later_fragment_follows_first(void **state)
{
	check_later_fragment_follows_first(*state, XE_VIP4, SVC2);
}

static void test_ipv6_later_fragment_follows_first(void **state)
{
	check_later_fragment_follows_first(*state, XE_VIP6, SVC6);
}

/* RFC 8200: a destination-options header may sit in the fragmentable part,
 * behind the fragment header.  The later fragment still follows the first. */
static void test_ipv6_later_fragment_follows_first_with_dest_options(
	void **state)
{
	struct xt *t = *state;
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_CLIENT6, XE_VIP6);
	struct xlb_flow_key k;
	struct pkt whole, cut, first, later;
	__u32 h;

	dns_service(t, XE_VIP6, SVC6);
	ip.n_ext = 1;
	ip.ext[0] = (struct pkt_ipv6_ext){ PKT_NH_DSTOPTS, 8 };
	pkt_init(&whole);
	pkt_eth(&whole, &eth, PKT_ETH_P_IPV6);
	pkt_ipv6(&whole, &ip, IPPROTO_UDP);
	pkt_udp(&whole, 5353, 53);
	pkt_pattern(&whole, FRAG_DATA, 15);
	pkt_done(&whole);
	h = xt_flow(&whole, &k, 0);
	/* Fragment behind the fixed header: the options travel in the first
	 * fragment, after the fragment header. */
	cut = whole;
	cut.l4 = cut.l3 + 40;
	cut.nh_off = cut.l3 + 6;
	cut.l4_proto = PKT_NH_DSTOPTS;
	pkt_fragment6(&first, &cut, 0, FRAG_SPLIT, true, FRAG6_ID);
	pkt_fragment6(&later, &cut, FRAG_SPLIT, 8 + 8 + FRAG_DATA - FRAG_SPLIT,
		      false, FRAG6_ID);

	run_fwd(t, &first, BE_A, h);
	assert_ct(t, &k, BE_A, h);
	xt_table_all(t, SVC6, BE_B);
	run_fwd(t, &later, BE_A, h);
	assert_reasons(&t->f, { XLB_R_FORWARDED, 1 }, { XLB_R_FRAG_FIRST, 1 },
		       { XLB_R_FRAG_TRACKED, 1 });
}

static void check_later_fragment_untracked(struct xt *t, const char *vip,
					   __u32 svc)
{
	struct pkt first, later;

	dns_service(t, vip, svc);
	fragments(&first, &later, vip);
	run(t, &later, XDP_DROP);
	assert_reasons(&t->f, { XLB_R_FRAG_UNTRACKED, 1 });
	assert_svc(t, svc, 0, 0, 0, 0);
	assert_be(t, BE_A, 0, 0);
	assert_int_equal(xf_frag_count(&t->f), 0);
}

static void test_later_fragment_without_first_dropped(void **state)
{
	check_later_fragment_untracked(*state, XE_VIP4, SVC2);
}

static void test_ipv6_later_fragment_without_first_dropped(void **state)
{
	check_later_fragment_untracked(*state, XE_VIP6, SVC6);
}

static void check_later_fragment_not_for_vip(struct xt *t, const char *vip,
					     const char *other, __u32 svc)
{
	struct pkt first, later;

	dns_service(t, vip, svc);
	fragments(&first, &later, other);
	run_untouched(t, &later);
	assert_reasons(&t->f, { XLB_R_PASSED, 1 });
	assert_int_equal(xf_frag_count(&t->f), 0);
}

/* A stale filter bit: the marker lookup decides the address is no VIP. */
static void test_later_fragment_stale_filter_bit_passes(void **state)
{
	struct xt *t = *state;
	union xlb_addr other = xt_addr(XE_OTHER4);
	struct pkt first, later;

	dns_service(t, XE_VIP4, SVC2);
	assert_int_equal(xf_set_filter_bit(&t->f, &other, XLB_FAM_V4), 0);
	fragments(&first, &later, XE_OTHER4);
	run_untouched(t, &later);
	assert_int_equal(xf_reason(&t->f, XLB_R_FRAG_UNTRACKED), 0);
	assert_int_equal(xf_frag_count(&t->f), 0);
}

static void test_later_fragment_not_for_vip_passes(void **state)
{
	check_later_fragment_not_for_vip(*state, XE_VIP4, XE_OTHER4, SVC2);
}

static void test_ipv6_later_fragment_not_for_vip_passes(void **state)
{
	check_later_fragment_not_for_vip(*state, XE_VIP6, XE_OTHER6, SVC6);
}

/* ==== counters ============================================================ */

/* A mix of traffic, sent from both CPUs in turn: every per-CPU counter
 * sums to what was sent. */
static void test_counters_match_traffic(void **state)
{
	static const size_t x_sizes[3] = { 100, 600, 1000 };
	struct xt *t = *state;
	struct xlb_flow_key kx, ky;
	struct pkt p;
	__u64 bytes[XF_BACKENDS] = { 0 }, pkts[XF_BACKENDS] = { 0 };
	__u64 svc_bytes = 0, p_len_8080;
	__u32 be, i;

	xt_web4(t, 0);
	xt_table_abcd(t, SVC);
	xt_service(t, XE_VIP4, IPPROTO_TCP, 8080, SVC2, 0); /* no table */

	assert_true(t->f.ncpus >= 2); /* the machine this suite runs on */
	for (i = 0; i < 3; i++) { /* flow x: 3 packets */
		assert_int_equal(xf_pin_cpu(i % 2), 0);
		xt_tcp(&p, XE_CLIENT4, 45000, XE_VIP4, 80, x_sizes[i]);
		be = xt_pick(t, SVC, xt_flow(&p, &kx, 0));
		run(t, &p, XDP_TX);
		pkts[be]++;
		bytes[be] += p.len;
		svc_bytes += p.len;
	}
	for (i = 0; i < 2; i++) { /* flow y: 2 packets */
		assert_int_equal(xf_pin_cpu(i % 2), 0);
		xt_tcp(&p, "198.51.100.200", 45001, XE_VIP4, 80, 10 + i);
		be = xt_pick(t, SVC, xt_flow(&p, &ky, 0));
		run(t, &p, XDP_TX);
		pkts[be]++;
		bytes[be] += p.len;
		svc_bytes += p.len;
	}
	xt_tcp(&p, XE_CLIENT4, 45002, XE_VIP4, 8080, 10); /* no backend */
	p_len_8080 = p.len;
	run(t, &p, XDP_DROP);
	run(t, &p, XDP_DROP);
	xt_tcp(&p, XE_CLIENT4, 45003, XE_OTHER4, 80, 10); /* not a VIP */
	run(t, &p, XDP_PASS);
	xt_tcp(&p, XE_CLIENT4, 45004, XE_VIP4, 443, 10); /* no service */
	run(t, &p, XDP_PASS);

	assert_reasons(&t->f, { XLB_R_FORWARDED, 5 }, { XLB_R_CT_HIT, 3 },
		       { XLB_R_NO_BACKEND, 2 }, { XLB_R_PASSED, 1 },
		       { XLB_R_NO_SERVICE, 1 });
	assert_int_equal(xf_reason_on_cpu(&t->f, XLB_R_FORWARDED, 0), 3);
	assert_int_equal(xf_reason_on_cpu(&t->f, XLB_R_FORWARDED, 1), 2);
	assert_svc(t, SVC, 5, svc_bytes, 2, 0);
	assert_svc(t, SVC2, 2, 2 * p_len_8080, 0, 2);
	for (i = BE_A; i <= BE_D; i++)
		assert_be(t, i, pkts[i], bytes[i]);
}

#define T(name) cmocka_unit_test_setup_teardown(name, xt_setup, xt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_non_ip_frame_passes_untouched),
		T(test_second_vlan_tag_passes_untouched),
		T(test_ipv4_to_non_vip_passes_untouched),
		T(test_ipv6_to_non_vip_passes_untouched),
		T(test_stale_filter_bit_passes_untouched),
		T(test_malformed_ipv4_passes_as_parse_error),
		T(test_malformed_ipv6_passes_as_parse_error),
		T(test_ipv4_in_ipv4_copies_tos_and_df),
		T(test_ipv4_in_ipv4_without_df_has_no_df),
		T(test_outer_ipv4_source_per_flow_within_prefix),
		T(test_vlan_tag_kept_on_encapsulation),
		T(test_vlan_tag_kept_for_ipv6_backend),
		T(test_ethernet_padding_kept_after_inner_packet),
		T(test_ipv6_in_ipv6_copies_traffic_class_sets_flow_label),
		T(test_ipv4_in_ipv6_for_ipv6_backend),
		T(test_ipv4_with_options_uses_ports_after_options),
		T(test_ipv6_extension_headers_before_tcp),
		T(test_all_ports_fallback_service),
		T(test_port_service_preferred_over_fallback),
		T(test_vip_without_service_for_port_passes),
		T(test_hash_src_same_backend_for_all_source_ports),
		T(test_without_hash_src_source_ports_spread),
		T(test_conntrack_keeps_flow_across_table_change),
		T(test_conntrack_keeps_flow_across_cpus),
		T(test_conntrack_full_set_replaces_least_recently_used),
		T(test_conntrack_torn_entry_is_a_miss),
		T(test_down_backend_still_in_table_keeps_flow),
		T(test_down_backend_flow_rescheduled),
		T(test_removed_backend_flow_rescheduled),
		T(test_reused_backend_entry_flow_rescheduled),
		T(test_removed_service_established_flow_passes),
		T(test_drain_backend_keeps_flow),
		T(test_no_table_drops_and_counts),
		T(test_empty_table_drops_and_counts),
		T(test_removed_slot_backend_drops_and_counts),
		T(test_ipv6_packet_for_ipv4_backend_dropped),
		T(test_mtu_exact_fit_forwarded),
		T(test_mtu_ipv4_df_gets_frag_needed),
		T(test_mtu_ipv4_df_ipv6_backend_next_hop_mtu_minus_40),
		T(test_frag_needed_quotes_header_with_options),
		T(test_mtu_reply_keeps_vlan_tag),
		T(test_mtu_ipv4_without_df_dropped),
		T(test_mtu_ipv6_gets_packet_too_big),
		T(test_icmp_dest_unreachable_follows_conntrack),
		T(test_icmp_frag_needed_routed_by_maglev),
		T(test_icmp_time_exceeded_routed),
		T(test_icmpv6_packet_too_big_routed),
		T(test_icmpv6_dest_unreachable_routed),
		T(test_icmpv6_time_exceeded_routed),
		T(test_icmp_error_too_big_for_mtu_dropped),
		T(test_icmp_error_quoting_non_vip_passes),
		T(test_icmpv6_error_quoting_extension_headers_passes),
		T(test_icmp_error_for_port_without_service_passes),
		T(test_icmp_echo_to_vip_answered),
		T(test_icmpv6_echo_to_vip_answered),
		T(test_icmp_echo_passes_when_disabled),
		T(test_first_fragment_forwarded_and_tracked),
		T(test_ipv6_first_fragment_forwarded_and_tracked),
		T(test_later_fragment_follows_first),
		T(test_ipv6_later_fragment_follows_first),
		T(test_ipv6_later_fragment_follows_first_with_dest_options),
		T(test_later_fragment_without_first_dropped),
		T(test_ipv6_later_fragment_without_first_dropped),
		T(test_later_fragment_not_for_vip_passes),
		T(test_later_fragment_stale_filter_bit_passes),
		T(test_ipv6_later_fragment_not_for_vip_passes),
		T(test_counters_match_traffic),
	};

	return cmocka_run_group_tests_name("xdp", tests, NULL, NULL);
}
