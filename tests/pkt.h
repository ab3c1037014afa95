/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * pkt.h - a packet builder for the datapath tests.
 *
 * A packet is described with plain structs (Ethernet, IPv4, IPv6, L4) and
 * serialised byte by byte here, with this file's own RFC 1071 checksum, so
 * the bytes a test expects never come from the headers or helpers of the
 * code under test.  Layers are appended outermost first; pkt_done() then
 * fills every length and checksum.  An ICMP error quoting a packet is built
 * from a second struct pkt copied in with pkt_quote().
 *
 * The pkt_expect_* builders produce what the spec (bpf/README.md) says the
 * XDP program must output, from the input packet and plain header structs.
 */
#ifndef XLB_TESTS_PKT_H
#define XLB_TESTS_PKT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PKT_MAX 4096

#define PKT_ETH_P_IP   0x0800
#define PKT_ETH_P_IPV6 0x86dd
#define PKT_ETH_P_ARP  0x0806
#define PKT_ETH_P_8021Q 0x8100

/* IPv4 flags and fragment offset field, host order. */
#define PKT_IP_DF 0x4000
#define PKT_IP_MF 0x2000

/* IPv6 next-header values used by the tests. */
#define PKT_NH_HOPOPTS 0
#define PKT_NH_DSTOPTS 60
#define PKT_NH_FRAG    44

struct pkt_eth {
	uint8_t dst[6];
	uint8_t src[6];
	bool vlan;         /* one 802.1Q tag after the MACs */
	uint16_t vlan_tci; /* host order */
};

struct pkt_ipv4 {
	uint32_t src; /* network order, as on the wire */
	uint32_t dst;
	uint8_t tos;
	uint8_t ttl;
	uint8_t proto;
	uint16_t id;   /* host order */
	uint16_t frag; /* host order: PKT_IP_DF | PKT_IP_MF | offset/8 */
	uint8_t opts_len; /* multiple of 4, at most 40 */
	uint8_t opts[40];
};

/* An IPv6 extension header between the fixed header and the upper layer:
 * hop-by-hop or destination options, filled with padding options. */
struct pkt_ipv6_ext {
	uint8_t type; /* PKT_NH_HOPOPTS or PKT_NH_DSTOPTS */
	uint16_t len; /* bytes, a multiple of 8 */
};

struct pkt_ipv6 {
	struct in6_addr src;
	struct in6_addr dst;
	uint8_t tclass;
	uint32_t flow_label; /* 20 bits */
	uint8_t hop_limit;
	uint8_t n_ext;
	struct pkt_ipv6_ext ext[4];
};

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;          /* bytes written, including trailing padding */
	struct pkt_eth eth;  /* as built */
	size_t l3;           /* offset of the IP header, 0 if none */
	int family;          /* 4 or 6 once an IP header is built, else 0 */
	struct pkt_ipv4 ip4; /* as built (family 4) */
	struct pkt_ipv6 ip6; /* as built (family 6) */
	size_t nh_off;       /* IPv6: the next-header byte naming the L4 */
	size_t l4;           /* offset of the upper-layer header, 0 if none */
	uint8_t l4_proto;
	size_t ip_end;       /* end of the IP packet; padding may follow */
};

/* Addresses from text; abort on a typo (tests are the only callers). */
uint32_t pkt_v4(const char *s);
struct in6_addr pkt_v6(const char *s);

/* RFC 1071 Internet checksum over buf, starting from a partial sum. */
uint32_t pkt_sum(const void *buf, size_t len, uint32_t sum);
uint16_t pkt_fold(uint32_t sum);

/* Building, outermost layer first. */
void pkt_init(struct pkt *p);
void pkt_eth(struct pkt *p, const struct pkt_eth *e, uint16_t ethertype);
void pkt_ipv4(struct pkt *p, const struct pkt_ipv4 *ip);
void pkt_ipv6(struct pkt *p, const struct pkt_ipv6 *ip, uint8_t next);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
/* ICMP or ICMPv6 (by the packet's family); rest = the 4 bytes after the
 * checksum (echo id/seq, unused+MTU, ...) in host order. */
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint32_t rest);
void pkt_bytes(struct pkt *p, const void *buf, size_t len);
/* n payload bytes of a recognisable pattern starting at seed. */
void pkt_pattern(struct pkt *p, size_t n, uint8_t seed);
/* The first n bytes of q's IP packet (all of it if shorter). */
void pkt_quote(struct pkt *p, const struct pkt *q, size_t n);
/* Fills IP lengths, the IPv4 header checksum and the L4 length/checksum. */
void pkt_done(struct pkt *p);
/* Ethernet padding after the IP packet (call after pkt_done). */
void pkt_pad(struct pkt *p, size_t n);

/* Length of the IP packet (header + payload), without padding. */
size_t pkt_ip_len(const struct pkt *p);

/* Fragments of a finished packet: payload bytes [off, off+len) of what
 * follows the IP header (IPv4) or the fixed + extension headers (IPv6). */
void pkt_fragment4(struct pkt *out, const struct pkt *whole, size_t off,
		   size_t len, bool more);
void pkt_fragment6(struct pkt *out, const struct pkt *whole, size_t off,
		   size_t len, bool more, uint32_t id);

/*
 * Expected outputs.  The inner packet and whatever followed it in the frame
 * are copied unchanged after the new headers.
 */
void pkt_expect_encap4(struct pkt *out, const struct pkt *in,
		       const struct pkt_eth *eth, const struct pkt_ipv4 *outer);
void pkt_expect_encap6(struct pkt *out, const struct pkt *in,
		       const struct pkt_eth *eth, const struct pkt_ipv6 *outer);
/* ICMP "fragmentation needed" from in's destination to its source. */
void pkt_expect_frag_needed(struct pkt *out, const struct pkt *in,
			    uint8_t ttl, uint16_t mtu);
/* ICMPv6 "packet too big" from in's destination to its source. */
void pkt_expect_too_big(struct pkt *out, const struct pkt *in,
			uint8_t hop_limit, uint32_t mtu);
/* Echo reply to the echo request in, TTL / hop limit set to ttl. */
void pkt_expect_echo_reply(struct pkt *out, const struct pkt *in, uint8_t ttl);

/* in's Ethernet header with the MACs swapped (replies to the sender). */
struct pkt_eth pkt_eth_reply(const struct pkt *in);

/* Prints both frames in hex, marking the first difference. */
void pkt_hexdiff(FILE *f, const uint8_t *got, size_t got_len,
		 const uint8_t *want, size_t want_len);

#endif /* XLB_TESTS_PKT_H */
