// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp_robustness.c - the XDP program never transmits a wrong packet.
 *
 * Every truncation (each length from 0 to full) of several valid packets,
 * and a set of malformed headers, must come out as XDP_PASS with the frame
 * untouched, or XDP_DROP, or XDP_TX of exactly what a correct treatment of
 * that input is: a truncation that only shortens Ethernet padding is still
 * a valid packet and must be forwarded; one that cuts into the IP packet is
 * malformed and must not be transmitted.  The kernel refuses inputs shorter
 * than an Ethernet header (-EINVAL), which is asserted too.  Needs root and
 * BPF.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pkt.h"
#include "xdp_case.h"

/* What a valid input of a case becomes. */
enum outcome { ENCAP, ECHO_REPLY };

/* A valid packet, the flow hash its encapsulation carries, and an optional
 * packet that must go first (the first fragment of a later fragment). */
struct rcase {
	struct pkt in;
	struct pkt prime;
	__u32 hash;
	enum outcome outcome;
};

/* Every case's map state: TCP/UDP services on both VIPs, one backend per
 * family, so the backend of a valid input is known. */
static void services(struct xt *t)
{
	xt_service(t, XE_VIP4, IPPROTO_TCP, 80, SVC, 0);
	xt_service(t, XE_VIP4, IPPROTO_UDP, 53, SVC2, 0);
	xt_service(t, XE_VIP6, IPPROTO_TCP, 80, SVC6, 0);
	xt_service(t, XE_VIP6, IPPROTO_UDP, 53, SVC_OTHER, 0);
	xt_backend(t, BE_A, "198.51.100.201", SVC, XLB_BE_ACTIVE);
	xt_backend(t, BE_B, "198.51.100.202", SVC2, XLB_BE_ACTIVE);
	xt_backend(t, BE_6A, "2001:db8:b::1", SVC6, XLB_BE_ACTIVE);
	xt_backend(t, BE_6B, "2001:db8:b::2", SVC_OTHER, XLB_BE_ACTIVE);
	xt_table_all(t, SVC, BE_A);
	xt_table_all(t, SVC2, BE_B);
	xt_table_all(t, SVC6, BE_6A);
	xt_table_all(t, SVC_OTHER, BE_6B);
	t->cfg.flags = XLB_CFG_F_ECHO_REPLY;
	xt_write_config(t);
}

/* The backend the case's service tables send a valid input to. */
static __u32 backend_for(const struct pkt *in, __u8 proto)
{
	if (in->family == 4)
		return proto == IPPROTO_TCP ? BE_A : BE_B;
	return proto == IPPROTO_TCP ? BE_6A : BE_6B;
}

/* The quoted packet's protocol for an ICMP error, else the packet's. */
static __u8 flow_proto(const struct pkt *in)
{
	__u8 t = in->data[in->l4];
	bool icmp = in->l4_proto == IPPROTO_ICMP ||
		    in->l4_proto == IPPROTO_ICMPV6;

	if (icmp && t != 8 && t != 128) /* an error: quote after 8 bytes */
		return in->data[in->l4 + 8 + (in->family == 4 ? 9 : 6)];
	return in->l4_proto;
}

/* The correct output for c->in cut to len bytes (len >= its IP end). */
static void expected(struct xt *t, const struct rcase *c, size_t len,
		     struct pkt *want)
{
	struct pkt in = c->in;

	in.len = len;
	if (c->outcome == ECHO_REPLY)
		pkt_expect_echo_reply(want, &in, XE_TTL);
	else
		xe_encap(want, &in, &t->cfg,
			 &t->be[backend_for(&in, flow_proto(&c->in))],
			 c->hash);
}

static const char *action_name(__u32 a)
{
	static const char *const n[] = { "ABORTED", "DROP", "PASS", "TX",
					  "REDIRECT" };

	return a < 5 ? n[a] : "?";
}

/* Runs in (len bytes) and checks the outcome is safe; valid says whether
 * the input is a valid packet, whose correct output is want. */
static void check_safe(struct xt *t, const __u8 *in, size_t len, bool valid,
		       const struct pkt *want, const char *what)
{
	int err = xf_run(&t->f, in, (__u32)len, t->out, &t->out_len,
			 &t->action);

	if (len < 14) {
		if (err != -EINVAL)
			fail_msg("%s, %zu bytes: BPF_PROG_TEST_RUN gave %d, "
				 "want -EINVAL", what, len, err);
		return;
	}
	if (err)
		fail_msg("%s, %zu bytes: BPF_PROG_TEST_RUN: %s", what, len,
			 strerror(-err));
	if (valid && t->action != XDP_TX)
		fail_msg("%s, %zu bytes: valid packet not forwarded (XDP_%s)",
			 what, len, action_name(t->action));
	if (t->action == XDP_DROP)
		return;
	if (t->action == XDP_PASS) {
		if (t->out_len != len || memcmp(t->out, in, len))
			fail_msg("%s, %zu bytes: passed but modified", what,
				 len);
		return;
	}
	if (t->action != XDP_TX)
		fail_msg("%s, %zu bytes: XDP_%s", what, len,
			 action_name(t->action));
	if (!valid)
		fail_msg("%s, %zu bytes: malformed input transmitted", what,
			 len);
	if (t->out_len != want->len || memcmp(t->out, want->data, want->len)) {
		pkt_hexdiff(stderr, t->out, t->out_len, want->data, want->len);
		fail_msg("%s, %zu bytes: transmitted a wrong packet", what,
			 len);
	}
}

/* Every length from 0 to full; the full packet itself must be sent. */
static void check_truncations(struct xt *t, const struct rcase *c,
			      const char *what)
{
	struct pkt want;
	size_t len;

	if (c->prime.len)
		run(t, &c->prime, XDP_TX);
	for (len = 0; len <= c->in.len; len++) {
		bool valid = len >= c->in.ip_end;

		if (valid)
			expected(t, c, len, &want);
		check_safe(t, c->in.data, len, valid, &want, what);
	}
	run(t, &c->in, XDP_TX); /* the untruncated input is forwarded */
}

/* ---- valid packets ------------------------------------------------------ */

static void flow_case(struct rcase *c, __u8 proto, const char *src,
		      const char *dst, size_t payload)
{
	struct xlb_flow_key k;

	memset(c, 0, sizeof(*c));
	xt_l4(&c->in, proto, src, 40000, dst, proto == IPPROTO_TCP ? 80 : 53,
	      payload);
	c->hash = xt_flow(&c->in, &k, 0);
}

static void test_truncated_ipv4_tcp(void **state)
{
	struct rcase c;

	services(*state);
	flow_case(&c, IPPROTO_TCP, XE_CLIENT4, XE_VIP4, 20);
	check_truncations(*state, &c, "IPv4 TCP");
}

/* Cuts inside the padding leave a valid packet that must be forwarded. */
static void test_truncated_padded_ipv4_tcp(void **state)
{
	struct rcase c;

	services(*state);
	flow_case(&c, IPPROTO_TCP, XE_CLIENT4, XE_VIP4, 0);
	pkt_pad(&c.in, 6);
	check_truncations(*state, &c, "padded IPv4 TCP");
}

static void test_truncated_ipv6_udp(void **state)
{
	struct rcase c;

	services(*state);
	flow_case(&c, IPPROTO_UDP, XE_CLIENT6, XE_VIP6, 24);
	check_truncations(*state, &c, "IPv6 UDP");
}

static void test_truncated_vlan_ipv4_udp(void **state)
{
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_UDP);
	struct xlb_flow_key k;
	struct rcase c;

	services(*state);
	memset(&c, 0, sizeof(c));
	eth.vlan = true;
	eth.vlan_tci = 42;
	pkt_init(&c.in);
	pkt_eth(&c.in, &eth, PKT_ETH_P_IP);
	pkt_ipv4(&c.in, &ip);
	pkt_udp(&c.in, 40000, 53);
	pkt_pattern(&c.in, 16, 1);
	pkt_done(&c.in);
	c.hash = xt_flow(&c.in, &k, 0);
	check_truncations(*state, &c, "VLAN IPv4 UDP");
}

static void test_truncated_ipv6_ext_headers_tcp(void **state)
{
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_CLIENT6, XE_VIP6);
	struct xlb_flow_key k;
	struct rcase c;

	services(*state);
	memset(&c, 0, sizeof(c));
	ip.n_ext = 2;
	ip.ext[0] = (struct pkt_ipv6_ext){ PKT_NH_HOPOPTS, 8 };
	ip.ext[1] = (struct pkt_ipv6_ext){ PKT_NH_DSTOPTS, 24 };
	pkt_init(&c.in);
	pkt_eth(&c.in, &eth, PKT_ETH_P_IPV6);
	pkt_ipv6(&c.in, &ip, IPPROTO_TCP);
	pkt_tcp(&c.in, 40000, 80);
	pkt_pattern(&c.in, 8, 2);
	pkt_done(&c.in);
	c.hash = xt_flow(&c.in, &k, 0);
	check_truncations(*state, &c, "IPv6 extension headers TCP");
}

/* An ICMP error from a router quoting the backend's answer of a flow. */
static void icmp_error_case(struct rcase *c, const char *vip,
			    const char *client, __u8 type, __u8 code)
{
	struct pkt_eth eth = xe_eth_in();
	struct xlb_flow_key k;
	struct pkt q;

	memset(c, 0, sizeof(*c));
	xt_tcp(&q, vip, 80, client, 40000, 12);
	xe_quoted_flow_key(&q, &k);
	c->hash = xe_hash(&k, 0);
	pkt_init(&c->in);
	if (q.family == 4) {
		struct pkt_ipv4 ip = xt_ip4(XE_ROUTER4, vip, IPPROTO_ICMP);

		pkt_eth(&c->in, &eth, PKT_ETH_P_IP);
		pkt_ipv4(&c->in, &ip);
	} else {
		struct pkt_ipv6 ip = xt_ip6(XE_ROUTER6, vip);

		pkt_eth(&c->in, &eth, PKT_ETH_P_IPV6);
		pkt_ipv6(&c->in, &ip, IPPROTO_ICMPV6);
	}
	pkt_icmp(&c->in, type, code, type == 2 ? 1280 : 0);
	pkt_quote(&c->in, &q, 1000);
	pkt_done(&c->in);
}

static void test_truncated_icmp_error(void **state)
{
	struct rcase c;

	services(*state);
	icmp_error_case(&c, XE_VIP4, XE_CLIENT4, 3, 4);
	check_truncations(*state, &c, "ICMP frag needed");
}

static void test_truncated_icmpv6_error(void **state)
{
	struct rcase c;

	services(*state);
	icmp_error_case(&c, XE_VIP6, XE_CLIENT6, 2, 0);
	check_truncations(*state, &c, "ICMPv6 packet too big");
}

static void test_truncated_echo_request(void **state)
{
	struct rcase c;

	services(*state);
	memset(&c, 0, sizeof(c));
	c.outcome = ECHO_REPLY;
	xt_ip_hdr(&c.in, XE_CLIENT6, XE_VIP6, IPPROTO_ICMPV6);
	pkt_icmp(&c.in, 128, 0, 0x00010002);
	pkt_pattern(&c.in, 16, 3);
	pkt_done(&c.in);
	check_truncations(*state, &c, "ICMPv6 echo request");
}

/* Fragments of a UDP datagram client:40000 -> vip:53. */
static void fragment_case(struct rcase *c, const char *vip, bool later)
{
	struct pkt whole, first, rest;
	struct xlb_flow_key k;
	size_t split = 64;

	memset(c, 0, sizeof(*c));
	if (xt_is_v6(vip)) {
		xt_udp(&whole, XE_CLIENT6, 40000, vip, 53, 100);
		pkt_fragment6(&first, &whole, 0, split, true, 77);
		pkt_fragment6(&rest, &whole, split, 8 + 100 - split, false,
			      77);
	} else {
		struct pkt_eth eth = xe_eth_in();
		struct pkt_ipv4 ip = xt_ip4(XE_CLIENT4, vip, IPPROTO_UDP);

		ip.frag = 0;
		pkt_init(&whole);
		pkt_eth(&whole, &eth, PKT_ETH_P_IP);
		pkt_ipv4(&whole, &ip);
		pkt_udp(&whole, 40000, 53);
		pkt_pattern(&whole, 100, 4);
		pkt_done(&whole);
		pkt_fragment4(&first, &whole, 0, split, true);
		pkt_fragment4(&rest, &whole, split, 8 + 100 - split, false);
	}
	c->hash = xt_flow(&first, &k, 0);
	if (later) {
		c->prime = first;
		c->in = rest;
	} else {
		c->in = first;
	}
}

static void test_truncated_ipv4_first_fragment(void **state)
{
	struct rcase c;

	services(*state);
	fragment_case(&c, XE_VIP4, false);
	check_truncations(*state, &c, "IPv4 first fragment");
}

static void test_truncated_ipv4_later_fragment(void **state)
{
	struct rcase c;

	services(*state);
	fragment_case(&c, XE_VIP4, true);
	check_truncations(*state, &c, "IPv4 later fragment");
}

static void test_truncated_ipv6_later_fragment(void **state)
{
	struct rcase c;

	services(*state);
	fragment_case(&c, XE_VIP6, true);
	check_truncations(*state, &c, "IPv6 later fragment");
}

/* ---- malformed headers -------------------------------------------------- */

/* A malformed input is never transmitted. */
static void check_malformed(struct xt *t, const struct pkt *in,
			    const char *what)
{
	check_safe(t, in->data, in->len, false, NULL, what);
}

static void put16(struct pkt *p, size_t at, __u16 v)
{
	p->data[at] = v >> 8;
	p->data[at + 1] = v & 0xff;
}

static void test_malformed_ipv4_ihl(void **state)
{
	struct xt *t = *state;
	struct pkt in;
	__u8 ihl;

	services(t);
	for (ihl = 0; ihl < 5; ihl++) { /* shorter than a header */
		xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 20);
		in.data[in.l3] = 0x40 | ihl;
		check_malformed(t, &in, "IPv4 IHL < 5");
	}
	for (ihl = 6; ihl < 16; ihl++) { /* longer than the packet */
		xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 0);
		in.data[in.l3] = 0x40 | ihl;
		put16(&in, in.l3 + 2, 20 + 4 * (ihl - 5) - 4);
		check_malformed(t, &in, "IPv4 header past total length");
		xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 0);
		in.data[in.l3] = 0x40 | ihl;
		in.len = in.l3 + 4 * ihl - 1;
		put16(&in, in.l3 + 2, (__u16)(in.len - in.l3));
		check_malformed(t, &in, "IPv4 header past the frame");
	}
}

static void test_malformed_ipv4_total_length(void **state)
{
	static const __u16 bad[] = { 0, 1, 19 };
	struct xt *t = *state;
	struct pkt in;
	size_t i;

	services(t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 20);
		put16(&in, in.l3 + 2, bad[i]);
		check_malformed(t, &in, "IPv4 total length < header");
	}
	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 20);
	put16(&in, in.l3 + 2, (__u16)(in.len - in.l3 + 1));
	check_malformed(t, &in, "IPv4 total length past the frame");
	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 20);
	put16(&in, in.l3 + 2, 0xffff);
	check_malformed(t, &in, "IPv4 total length 65535");
}

static void test_malformed_ip_version(void **state)
{
	struct xt *t = *state;
	struct pkt in;
	__u8 v;

	services(t);
	for (v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 20);
		in.data[in.l3] = (__u8)(v << 4 | 5);
		check_malformed(t, &in, "IPv4 frame, other version");
	}
	for (v = 0; v < 16; v++) {
		if (v == 6)
			continue;
		xt_tcp(&in, XE_CLIENT6, 40000, XE_VIP6, 80, 20);
		in.data[in.l3] = (__u8)(v << 4);
		check_malformed(t, &in, "IPv6 frame, other version");
	}
}

static void test_malformed_ipv6_payload_length(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	services(t);
	xt_udp(&in, XE_CLIENT6, 40000, XE_VIP6, 53, 24);
	put16(&in, in.l3 + 4, (__u16)(in.len - in.l3 - 40 + 1));
	check_malformed(t, &in, "IPv6 payload length past the frame");
	xt_udp(&in, XE_CLIENT6, 40000, XE_VIP6, 53, 24);
	put16(&in, in.l3 + 4, 0xffff);
	check_malformed(t, &in, "IPv6 payload length 65535");
}

/* The L4 header cut by the IP length, with bytes behind it in the frame:
 * the ports would be read from beyond the packet. */
static void test_malformed_l4_header_cut_by_ip_length(void **state)
{
	struct xt *t = *state;
	struct pkt in;

	services(t);
	xt_tcp(&in, XE_CLIENT4, 40000, XE_VIP4, 80, 0);
	pkt_pad(&in, 20);
	put16(&in, in.l3 + 2, 20 + 4);
	check_malformed(t, &in, "IPv4 TCP header cut by total length");
	xt_tcp(&in, XE_CLIENT6, 40000, XE_VIP6, 80, 0);
	pkt_pad(&in, 20);
	put16(&in, in.l3 + 4, 12);
	check_malformed(t, &in, "IPv6 TCP header cut by payload length");
	xt_udp(&in, XE_CLIENT6, 40000, XE_VIP6, 53, 0);
	pkt_pad(&in, 20);
	put16(&in, in.l3 + 4, 4);
	check_malformed(t, &in, "IPv6 UDP header cut by payload length");
}

/* An extension header whose length runs past the end of the packet. */
static void test_malformed_ipv6_ext_header_past_end(void **state)
{
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv6 ip = xt_ip6(XE_CLIENT6, XE_VIP6);
	struct xt *t = *state;
	__u8 second;

	services(t);
	ip.n_ext = 2;
	ip.ext[0] = (struct pkt_ipv6_ext){ PKT_NH_HOPOPTS, 8 };
	ip.ext[1] = (struct pkt_ipv6_ext){ PKT_NH_DSTOPTS, 8 };
	for (second = 0; second < 2; second++) {
		__u8 hlen[] = { 3, 4, 16, 255 };
		size_t i;

		for (i = 0; i < sizeof(hlen); i++) {
			struct pkt in;
			size_t at;

			pkt_init(&in);
			pkt_eth(&in, &eth, PKT_ETH_P_IPV6);
			pkt_ipv6(&in, &ip, IPPROTO_TCP);
			pkt_tcp(&in, 40000, 80);
			pkt_done(&in);
			at = in.l3 + 40 + 8 * second + 1;
			in.data[at] = hlen[i]; /* (hlen + 1) * 8 bytes */
			check_malformed(t, &in, "IPv6 extension past the end");
		}
	}
}

/* ICMP errors whose quote is unusable are never sent to a backend. */
static void test_malformed_icmp_quote(void **state)
{
	struct xt *t = *state;
	struct rcase c;
	size_t q;

	services(t);
	icmp_error_case(&c, XE_VIP4, XE_CLIENT4, 3, 4);
	q = c.in.l4 + 8;
	c.in.data[q] = 0x43; /* quoted IHL 3 */
	check_malformed(t, &c.in, "ICMP quote with IHL 3");

	icmp_error_case(&c, XE_VIP4, XE_CLIENT4, 3, 4);
	c.in.len = q + 20 + 2; /* quote ends inside the ports */
	put16(&c.in, c.in.l3 + 2, (__u16)(c.in.len - c.in.l3));
	check_malformed(t, &c.in, "ICMP quote without ports");

	icmp_error_case(&c, XE_VIP6, XE_CLIENT6, 2, 0);
	q = c.in.l4 + 8;
	c.in.len = q + 40 + 2;
	put16(&c.in, c.in.l3 + 4, (__u16)(c.in.len - c.in.l3 - 40));
	check_malformed(t, &c.in, "ICMPv6 quote without ports");
}

#define T(name) cmocka_unit_test_setup_teardown(name, xt_setup, xt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_truncated_ipv4_tcp),
		T(test_truncated_padded_ipv4_tcp),
		T(test_truncated_ipv6_udp),
		T(test_truncated_vlan_ipv4_udp),
		T(test_truncated_ipv6_ext_headers_tcp),
		T(test_truncated_icmp_error),
		T(test_truncated_icmpv6_error),
		T(test_truncated_echo_request),
		T(test_truncated_ipv4_first_fragment),
		T(test_truncated_ipv4_later_fragment),
		T(test_truncated_ipv6_later_fragment),
		T(test_malformed_ipv4_ihl),
		T(test_malformed_ipv4_total_length),
		T(test_malformed_ip_version),
		T(test_malformed_ipv6_payload_length),
		T(test_malformed_l4_header_cut_by_ip_length),
		T(test_malformed_ipv6_ext_header_past_end),
		T(test_malformed_icmp_quote),
	};

	return cmocka_run_group_tests_name("xdp_robustness", tests, NULL,
					   NULL);
}
