// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pkt.c - the test packet builder: plain structs in, wire bytes out.
 * Every field is written byte by byte in network order and every checksum
 * is computed here (RFC 1071), so nothing depends on the datapath's headers.
 */
#include "pkt.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define PKT_PROTO_ICMP   1
#define PKT_PROTO_TCP    6
#define PKT_PROTO_UDP    17
#define PKT_PROTO_IPIP   4
#define PKT_PROTO_IPV6   41
#define PKT_PROTO_ICMPV6 58

uint32_t pkt_v4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

struct in6_addr pkt_v6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1)
		abort();
	return a;
}

/* ---- checksums (RFC 1071) ------------------------------------------- */

uint32_t pkt_sum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8; /* odd byte, zero padded */
	return sum;
}

uint16_t pkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- raw writes ----------------------------------------------------- */

static uint8_t *room(struct pkt *p, size_t n)
{
	uint8_t *at = p->data + p->len;

	assert(p->len + n <= PKT_MAX);
	memset(at, 0, n);
	p->len += n;
	return at;
}

static void put16(uint8_t *at, uint16_t v)
{
	at[0] = v >> 8;
	at[1] = v & 0xff;
}

static void put32(uint8_t *at, uint32_t v)
{
	put16(at, v >> 16);
	put16(at + 2, v & 0xffff);
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

void pkt_bytes(struct pkt *p, const void *buf, size_t len)
{
	memcpy(room(p, len), buf, len);
}

void pkt_pattern(struct pkt *p, size_t n, uint8_t seed)
{
	uint8_t *at = room(p, n);
	size_t i;

	for (i = 0; i < n; i++)
		at[i] = (uint8_t)(seed + i * 7);
}

/* ---- layers ----------------------------------------------------------- */

void pkt_eth(struct pkt *p, const struct pkt_eth *e, uint16_t ethertype)
{
	uint8_t *at = room(p, e->vlan ? 18 : 14);

	p->eth = *e;
	memcpy(at, e->dst, 6);
	memcpy(at + 6, e->src, 6);
	if (e->vlan) {
		put16(at + 12, PKT_ETH_P_8021Q);
		put16(at + 14, e->vlan_tci);
		at += 4;
	}
	put16(at + 12, ethertype);
}

void pkt_ipv4(struct pkt *p, const struct pkt_ipv4 *ip)
{
	size_t hl = 20 + ip->opts_len;
	uint8_t *at;

	assert(ip->opts_len % 4 == 0 && ip->opts_len <= 40);
	p->l3 = p->len;
	p->family = 4;
	p->ip4 = *ip;
	at = room(p, hl);
	at[0] = 0x40 | (uint8_t)(hl / 4);
	at[1] = ip->tos;
	/* total length and checksum: pkt_done() */
	put16(at + 4, ip->id);
	put16(at + 6, ip->frag);
	at[8] = ip->ttl;
	at[9] = ip->proto;
	memcpy(at + 12, &ip->src, 4);
	memcpy(at + 16, &ip->dst, 4);
	memcpy(at + 20, ip->opts, ip->opts_len);
}

/* An options extension header padded with Pad1/PadN (RFC 8200 4.2). */
static void ipv6_opts_ext(struct pkt *p, const struct pkt_ipv6_ext *x,
			  uint8_t next)
{
	uint8_t *at;

	assert(x->len >= 8 && x->len % 8 == 0 && x->len <= 256);
	assert(x->type == PKT_NH_HOPOPTS || x->type == PKT_NH_DSTOPTS);
	at = room(p, x->len);
	at[0] = next;
	at[1] = (uint8_t)(x->len / 8 - 1);
	at[2] = 1;                          /* PadN */
	at[3] = (uint8_t)(x->len - 4);      /* zero bytes that follow */
}

void pkt_ipv6(struct pkt *p, const struct pkt_ipv6 *ip, uint8_t next)
{
	uint8_t *at;
	int i;

	p->l3 = p->len;
	p->family = 6;
	p->ip6 = *ip;
	at = room(p, 40);
	put32(at, 6U << 28 | (uint32_t)ip->tclass << 20 |
			  (ip->flow_label & 0xfffff));
	/* payload length: pkt_done() */
	at[6] = ip->n_ext ? ip->ext[0].type : next;
	at[7] = ip->hop_limit;
	memcpy(at + 8, &ip->src, 16);
	memcpy(at + 24, &ip->dst, 16);
	p->nh_off = p->l3 + 6;
	for (i = 0; i < ip->n_ext; i++) {
		p->nh_off = p->len;
		ipv6_opts_ext(p, &ip->ext[i],
			      i + 1 < ip->n_ext ? ip->ext[i + 1].type : next);
	}
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *at;

	p->l4 = p->len;
	p->l4_proto = PKT_PROTO_TCP;
	at = room(p, 20);
	put16(at, sport);
	put16(at + 2, dport);
	put32(at + 4, 0x11223344);  /* seq */
	put32(at + 8, 0x55667788);  /* ack */
	at[12] = 5 << 4;            /* data offset: no options */
	at[13] = 0x18;              /* PSH|ACK */
	put16(at + 14, 0xfaf0);     /* window */
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *at;

	p->l4 = p->len;
	p->l4_proto = PKT_PROTO_UDP;
	at = room(p, 8);
	put16(at, sport);
	put16(at + 2, dport);
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint32_t rest)
{
	uint8_t *at;

	assert(p->family == 4 || p->family == 6);
	p->l4 = p->len;
	p->l4_proto = p->family == 4 ? PKT_PROTO_ICMP : PKT_PROTO_ICMPV6;
	at = room(p, 8);
	at[0] = type;
	at[1] = code;
	put32(at + 4, rest);
}

void pkt_quote(struct pkt *p, const struct pkt *q, size_t n)
{
	size_t have = pkt_ip_len(q);

	pkt_bytes(p, q->data + q->l3, n < have ? n : have);
}

size_t pkt_ip_len(const struct pkt *p)
{
	return p->ip_end - p->l3;
}

/* ---- lengths and checksums -------------------------------------------- */

/* Pseudo-header sum (RFC 768/793 for IPv4, RFC 8200 8.1 for IPv6). */
static uint32_t pseudo_sum(const struct pkt *p, uint32_t l4_len)
{
	const uint8_t *ip = p->data + p->l3;
	uint32_t sum;

	if (p->family == 4) {
		sum = pkt_sum(ip + 12, 8, 0);
		return sum + p->l4_proto + l4_len;
	}
	sum = pkt_sum(ip + 8, 32, 0);
	return sum + (l4_len >> 16) + (l4_len & 0xffff) + p->l4_proto;
}

static void fill_l4(struct pkt *p, size_t end)
{
	uint8_t *l4 = p->data + p->l4;
	uint32_t len = (uint32_t)(end - p->l4);
	size_t csum_at;
	uint16_t csum;

	switch (p->l4_proto) {
	case PKT_PROTO_TCP:
		csum_at = 16;
		break;
	case PKT_PROTO_UDP:
		put16(l4 + 4, (uint16_t)len);
		csum_at = 6;
		break;
	default: /* ICMP, ICMPv6 */
		csum_at = 2;
		break;
	}
	put16(l4 + csum_at, 0);
	csum = pkt_fold(pkt_sum(l4, len, p->l4_proto == PKT_PROTO_ICMP ?
					 0 : pseudo_sum(p, len)));
	if (csum == 0 && p->l4_proto == PKT_PROTO_UDP)
		csum = 0xffff; /* 0 means "no checksum" for UDP */
	put16(l4 + csum_at, csum);
}

static void fill_ipv4(struct pkt *p, size_t end)
{
	uint8_t *ip = p->data + p->l3;
	size_t hl = (size_t)(ip[0] & 0xf) * 4;

	put16(ip + 2, (uint16_t)(end - p->l3));
	put16(ip + 10, 0);
	put16(ip + 10, pkt_fold(pkt_sum(ip, hl, 0)));
}

/* Lengths and checksums for an IP packet ending at end. */
static void finish(struct pkt *p, size_t end)
{
	p->ip_end = end;
	if (p->l4)
		fill_l4(p, end);
	if (p->family == 4)
		fill_ipv4(p, end);
	else if (p->family == 6)
		put16(p->data + p->l3 + 4, (uint16_t)(end - p->l3 - 40));
}

void pkt_done(struct pkt *p)
{
	finish(p, p->len);
}

void pkt_pad(struct pkt *p, size_t n)
{
	room(p, n); /* zero bytes, as a NIC pads short frames */
}

/* ---- fragments -------------------------------------------------------- */

void pkt_fragment4(struct pkt *out, const struct pkt *whole, size_t off,
		   size_t len, bool more)
{
	size_t hl = 20 + whole->ip4.opts_len;
	size_t body = whole->l3 + hl;

	assert(whole->family == 4 && off % 8 == 0);
	assert(body + off + len <= whole->ip_end);
	pkt_init(out);
	pkt_bytes(out, whole->data, body);
	out->eth = whole->eth;
	out->l3 = whole->l3;
	out->family = 4;
	out->ip4 = whole->ip4;
	out->ip4.frag = (uint16_t)((whole->ip4.frag & PKT_IP_DF) |
				   (more ? PKT_IP_MF : 0) | off / 8);
	put16(out->data + out->l3 + 6, out->ip4.frag);
	pkt_bytes(out, whole->data + body + off, len);
	out->l4 = off == 0 ? whole->l4 : 0;
	out->l4_proto = whole->l4_proto;
	out->ip_end = out->len;
	fill_ipv4(out, out->len);
}

void pkt_fragment6(struct pkt *out, const struct pkt *whole, size_t off,
		   size_t len, bool more, uint32_t id)
{
	uint8_t *fh;

	assert(whole->family == 6 && whole->l4 && off % 8 == 0);
	assert(whole->l4 + off + len <= whole->ip_end);
	pkt_init(out);
	pkt_bytes(out, whole->data, whole->l4); /* unfragmentable part */
	out->eth = whole->eth;
	out->l3 = whole->l3;
	out->family = 6;
	out->ip6 = whole->ip6;
	out->data[whole->nh_off] = PKT_NH_FRAG;
	out->nh_off = out->len;
	fh = room(out, 8);
	fh[0] = whole->l4_proto;
	put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
	put32(fh + 4, id);
	out->l4 = off == 0 ? out->len : 0;
	out->l4_proto = whole->l4_proto;
	pkt_bytes(out, whole->data + whole->l4 + off, len);
	out->ip_end = out->len;
	put16(out->data + out->l3 + 4, (uint16_t)(out->len - out->l3 - 40));
}

/* ---- expected outputs --------------------------------------------------- */

/* The inner IP packet, and then the frame's trailing bytes, after out's
 * outer header; out's length fields count the inner IP packet only. */
static void append_inner(struct pkt *out, const struct pkt *in)
{
	pkt_bytes(out, in->data + in->l3, pkt_ip_len(in));
	finish(out, out->len);
	pkt_bytes(out, in->data + in->ip_end, in->len - in->ip_end);
}

void pkt_expect_encap4(struct pkt *out, const struct pkt *in,
		       const struct pkt_eth *eth, const struct pkt_ipv4 *outer)
{
	struct pkt_ipv4 o = *outer;

	o.proto = PKT_PROTO_IPIP;
	o.opts_len = 0;
	pkt_init(out);
	pkt_eth(out, eth, PKT_ETH_P_IP);
	pkt_ipv4(out, &o);
	append_inner(out, in);
}

void pkt_expect_encap6(struct pkt *out, const struct pkt *in,
		       const struct pkt_eth *eth, const struct pkt_ipv6 *outer)
{
	struct pkt_ipv6 o = *outer;

	o.n_ext = 0;
	pkt_init(out);
	pkt_eth(out, eth, PKT_ETH_P_IPV6);
	pkt_ipv6(out, &o, in->family == 4 ? PKT_PROTO_IPIP : PKT_PROTO_IPV6);
	append_inner(out, in);
}

struct pkt_eth pkt_eth_reply(const struct pkt *in)
{
	struct pkt_eth e = in->eth;

	memcpy(e.dst, in->eth.src, 6);
	memcpy(e.src, in->eth.dst, 6);
	return e;
}

void pkt_expect_frag_needed(struct pkt *out, const struct pkt *in,
			    uint8_t ttl, uint16_t mtu)
{
	struct pkt_eth eth = pkt_eth_reply(in);
	struct pkt_ipv4 ip = {
		.src = in->ip4.dst,
		.dst = in->ip4.src,
		.ttl = ttl,
		.proto = PKT_PROTO_ICMP,
	};

	pkt_init(out);
	pkt_eth(out, &eth, PKT_ETH_P_IP);
	pkt_ipv4(out, &ip);
	pkt_icmp(out, 3, 4, mtu); /* unused 16 bits, then next-hop MTU */
	pkt_quote(out, in, 68);
	pkt_done(out);
}

void pkt_expect_too_big(struct pkt *out, const struct pkt *in,
			uint8_t hop_limit, uint32_t mtu)
{
	struct pkt_eth eth = pkt_eth_reply(in);
	struct pkt_ipv6 ip = {
		.src = in->ip6.dst,
		.dst = in->ip6.src,
		.hop_limit = hop_limit,
	};

	pkt_init(out);
	pkt_eth(out, &eth, PKT_ETH_P_IPV6);
	pkt_ipv6(out, &ip, PKT_PROTO_ICMPV6);
	pkt_icmp(out, 2, 0, mtu);
	pkt_quote(out, in, 256);
	pkt_done(out);
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

void pkt_expect_echo_reply(struct pkt *out, const struct pkt *in, uint8_t ttl)
{
	uint8_t *ip;

	*out = *in;
	ip = out->data + out->l3;
	out->eth = pkt_eth_reply(in);
	swap_bytes(out->data, out->data + 6, 6);
	if (out->family == 4) {
		swap_bytes(ip + 12, ip + 16, 4);
		ip[8] = ttl;
		out->data[out->l4] = 0;   /* echo reply */
	} else {
		swap_bytes(ip + 8, ip + 24, 16);
		ip[7] = ttl;
		out->data[out->l4] = 129; /* echo reply */
	}
	finish(out, out->ip_end); /* checksums recomputed from scratch */
}

/* ---- diagnostics -------------------------------------------------------- */

static void hexrow(FILE *f, const uint8_t *b, size_t len, size_t off)
{
	size_t i;

	for (i = off; i < off + 16; i++) {
		if (i < len)
			fprintf(f, "%02x", b[i]);
		else
			fprintf(f, "  ");
		if (i % 2)
			fputc(' ', f);
	}
}

void pkt_hexdiff(FILE *f, const uint8_t *got, size_t got_len,
		 const uint8_t *want, size_t want_len)
{
	size_t max = got_len > want_len ? got_len : want_len;
	size_t off, i;
	size_t first = max;

	for (i = 0; i < max; i++) {
		if (i >= got_len || i >= want_len || got[i] != want[i]) {
			first = i;
			break;
		}
	}
	fprintf(f, "frame: got %zu bytes, want %zu; first difference at %zu\n",
		got_len, want_len, first);
	fprintf(f, "  off   got%37swant\n", "");
	for (off = 0; off < max; off += 16) {
		int differs = 0;

		for (i = off; i < off + 16 && i < max; i++)
			differs |= i >= got_len || i >= want_len ||
				   got[i] != want[i];
		fprintf(f, "%c %04zx  ", differs ? '*' : ' ', off);
		hexrow(f, got, got_len, off);
		fprintf(f, "| ");
		hexrow(f, want, want_len, off);
		fputc('\n', f);
	}
}
