/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdp_expect.h - the datapath tests' shared scenario (addresses, the node's
 * config) and the spec's rules for what the XDP program outputs, built with
 * pkt.h from plain structs.  Used by test_xdp*.c.
 *
 * The flow hash comes from bpf/xlb_hash.h: the spec makes it visible (outer
 * source, IPv6 flow label, connection table), and every test that predicts
 * it also checks the connection table holds the same value.
 */
#ifndef XLB_TESTS_XDP_EXPECT_H
#define XLB_TESTS_XDP_EXPECT_H

#include <linux/types.h>
#include <stddef.h>

#include "pkt.h"
#include "xlb_abi.h"
#include "xdp_fixture.h"

/* Documentation prefixes only (RFC 5737, RFC 3849), each address with one
 * role: 192.0.2.0/24 the node's side (router .1, per-flow outer sources
 * 192.0.2.128/25); 198.51.100.0/24 clients (.7, .200) and backends (.129 to
 * .172 and .201 to .214); 203.0.113.0/24 VIPs (.10, not a VIP .99) and the
 * bulk clients of the many-flow tests (203.0.113.128/25, port varying).
 * IPv6: 2001:db8:c::/48 clients, 2001:db8:f::/48 VIPs, 2001:db8:1::/48 the
 * router, 2001:db8:b::/48 backends, 2001:db8:ff::/112 outer sources. */
#define XE_CLIENT4 "198.51.100.7"
#define XE_VIP4    "203.0.113.10"
#define XE_OTHER4  "203.0.113.99" /* not a VIP */
#define XE_ROUTER4 "192.0.2.1"
#define XE_CLIENT6 "2001:db8:c::7"
#define XE_VIP6    "2001:db8:f::10"
#define XE_OTHER6  "2001:db8:f::99"
#define XE_ROUTER6 "2001:db8:1::1"

/* The per-flow outer IPv4 sources: XE_SRC4_BASE | (hash & XE_SRC4_HOSTMASK),
 * 192.0.2.128/25 (clear of XE_ROUTER4). */
#define XE_SRC4_BASE     "192.0.2.128"
#define XE_SRC4_HOSTMASK 0x0000007fU

#define XE_TTL 37   /* config.ttl: unlike any TTL a test packet carries */
#define XE_MTU 1500

extern const __u8 xe_client_mac[6];
extern const __u8 xe_lb_mac[6];
extern const __u8 xe_nh_mac[6];

union xlb_addr xe_addr4(const char *s);
union xlb_addr xe_addr6(const char *s);

/* The node: LB MAC, next hop, MTU 1500, TTL 37, per-flow outer sources
 * from 192.0.2.128/25 and 2001:db8:ff::/112. */
void xe_default_config(struct xlb_config *cfg);

/* The Ethernet header of a client's frame to the node. */
struct pkt_eth xe_eth_in(void);

/* The client -> VIP flow of a built TCP/UDP packet (ports read from the
 * packet's own L4 header), in map layout. */
void xe_flow_key(const struct pkt *p, struct xlb_flow_key *k);
__u32 xe_hash(const struct xlb_flow_key *k, int src_only);
/* The flow an ICMP error's quote belongs to: (quoted dst, quoted src,
 * quoted dport, quoted sport). */
void xe_quoted_flow_key(const struct pkt *quoted, struct xlb_flow_key *k);

/* The frame the program sends for in to backend be, flow hash hash. */
void xe_encap(struct pkt *out, const struct pkt *in,
	      const struct xlb_config *cfg, const struct xlb_backend *be,
	      __u32 hash);

/* Asserts a frame byte for byte (hex dump of both on failure). */
void xe_assert_frame(const __u8 *got, size_t got_len, const struct pkt *want,
		     const char *file, int line);
#define assert_frame(got, got_len, want) \
	xe_assert_frame(got, got_len, want, __FILE__, __LINE__)

/* Asserts the reason counters are exactly these, every other one 0. */
struct xe_count {
	enum xlb_reason reason;
	__u64 n;
};
void xe_assert_reasons(struct xf *f, const struct xe_count *c, size_t n,
		       const char *file, int line);
#define assert_reasons(f, ...)                                                 \
	do {                                                                   \
		const struct xe_count c_[] = { __VA_ARGS__ };                  \
		xe_assert_reasons(f, c_, sizeof(c_) / sizeof(c_[0]),           \
				  __FILE__, __LINE__);                         \
	} while (0)

const char *xe_reason_name(enum xlb_reason r);

#endif /* XLB_TESTS_XDP_EXPECT_H */
