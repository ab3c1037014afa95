// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_expect.c - the datapath tests' scenario and the spec's output rules
 * (bpf/README.md, "Encapsulation, byte by byte").
 */
#include "xdp_expect.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xlb_hash.h"

const __u8 xe_client_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xc1 };
const __u8 xe_lb_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const __u8 xe_nh_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };

union xlb_addr xe_addr4(const char *s)
{
	union xlb_addr a;

	memset(&a, 0, sizeof(a));
	a.v4 = pkt_v4(s);
	return a;
}

union xlb_addr xe_addr6(const char *s)
{
	union xlb_addr a;
	struct in6_addr in = pkt_v6(s);

	memcpy(a.b, &in, 16);
	return a;
}

void xe_default_config(struct xlb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->src_mac, xe_lb_mac, 6);
	memcpy(cfg->nh_mac, xe_nh_mac, 6);
	cfg->mtu = XE_MTU;
	cfg->ttl = XE_TTL;
	cfg->src_v4 = pkt_v4(XE_SRC4_BASE);
	cfg->src_v4_mask = htonl(XE_SRC4_HOSTMASK);
	cfg->src_v6 = xe_addr6("2001:db8:ff::");
	cfg->src_v6_mask = htonl(0x0000ffff);
}

struct pkt_eth xe_eth_in(void)
{
	struct pkt_eth e = { .vlan = false };

	memcpy(e.dst, xe_lb_mac, 6);
	memcpy(e.src, xe_client_mac, 6);
	return e;
}

/* Fills a key from addresses and the two port fields as on the wire. */
static void key_from(struct xlb_flow_key *k, int family, const __u8 *src,
		     const __u8 *dst, const __u8 *ports, __u8 proto)
{
	size_t alen = family == 4 ? 4 : 16;

	memset(k, 0, sizeof(*k));
	memcpy(k->src.b, src, alen);
	memcpy(k->dst.b, dst, alen);
	memcpy(&k->sport, ports, 2);
	memcpy(&k->dport, ports + 2, 2);
	k->proto = proto;
	k->family = family == 4 ? XLB_FAM_V4 : XLB_FAM_V6;
}

void xe_flow_key(const struct pkt *p, struct xlb_flow_key *k)
{
	const __u8 *ip = p->data + p->l3;

	if (p->family == 4)
		key_from(k, 4, ip + 12, ip + 16, p->data + p->l4, p->l4_proto);
	else
		key_from(k, 6, ip + 8, ip + 24, p->data + p->l4, p->l4_proto);
}

void xe_quoted_flow_key(const struct pkt *q, struct xlb_flow_key *k)
{
	const __u8 *ip = q->data + q->l3;
	const __u8 *l4 = q->data + q->l4;
	__u8 ports[4] = { l4[2], l4[3], l4[0], l4[1] }; /* swapped */

	if (q->family == 4)
		key_from(k, 4, ip + 16, ip + 12, ports, q->l4_proto);
	else
		key_from(k, 6, ip + 24, ip + 8, ports, q->l4_proto);
}

__u32 xe_hash(const struct xlb_flow_key *k, int src_only)
{
	return xlb_flow_hash(&k->src, &k->dst, k->sport, k->dport, k->proto,
			     k->family, src_only);
}

/* Ethernet of a forwarded frame: towards the next hop, VLAN tag kept. */
static struct pkt_eth encap_eth(const struct pkt *in,
				const struct xlb_config *cfg)
{
	struct pkt_eth e = in->eth;

	memcpy(e.dst, cfg->nh_mac, 6);
	memcpy(e.src, cfg->src_mac, 6);
	return e;
}

static void encap4(struct pkt *out, const struct pkt *in,
		   const struct xlb_config *cfg, const struct xlb_backend *be,
		   __u32 hash)
{
	struct pkt_eth eth = encap_eth(in, cfg);
	struct pkt_ipv4 o = {
		.src = cfg->src_v4 | (htonl(hash) & cfg->src_v4_mask),
		.dst = be->addr.v4,
		.tos = in->ip4.tos,
		.ttl = cfg->ttl,
		.id = 0,
		.frag = in->ip4.frag & PKT_IP_DF,
	};

	pkt_expect_encap4(out, in, &eth, &o);
}

static void encap6(struct pkt *out, const struct pkt *in,
		   const struct xlb_config *cfg, const struct xlb_backend *be,
		   __u32 hash)
{
	struct pkt_eth eth = encap_eth(in, cfg);
	struct pkt_ipv6 o = {
		.tclass = in->family == 4 ? in->ip4.tos : in->ip6.tclass,
		.flow_label = hash & 0xfffff,
		.hop_limit = cfg->ttl,
	};
	union xlb_addr src = cfg->src_v6;

	src.v6[3] |= htonl(hash) & cfg->src_v6_mask;
	memcpy(&o.src, src.b, 16);
	memcpy(&o.dst, be->addr.b, 16);
	pkt_expect_encap6(out, in, &eth, &o);
}

void xe_encap(struct pkt *out, const struct pkt *in,
	      const struct xlb_config *cfg, const struct xlb_backend *be,
	      __u32 hash)
{
	if (be->family == XLB_FAM_V4)
		encap4(out, in, cfg, be, hash);
	else
		encap6(out, in, cfg, be, hash);
}

void xe_assert_frame(const __u8 *got, size_t got_len, const struct pkt *want,
		     const char *file, int line)
{
	if (got_len == want->len && !memcmp(got, want->data, got_len))
		return;
	pkt_hexdiff(stderr, got, got_len, want->data, want->len);
	_fail(file, line);
}

static const char *const reason_names[XLB_R_MAX] = {
	[XLB_R_PASSED] = "PASSED",
	[XLB_R_PARSE_ERR] = "PARSE_ERR",
	[XLB_R_FORWARDED] = "FORWARDED",
	[XLB_R_NO_SERVICE] = "NO_SERVICE",
	[XLB_R_NO_BACKEND] = "NO_BACKEND",
	[XLB_R_CT_HIT] = "CT_HIT",
	[XLB_R_CT_RESCHED] = "CT_RESCHED",
	[XLB_R_MTU_REPLY] = "MTU_REPLY",
	[XLB_R_MTU_DROP] = "MTU_DROP",
	[XLB_R_ICMP_ROUTED] = "ICMP_ROUTED",
	[XLB_R_ICMP_ECHO] = "ICMP_ECHO",
	[XLB_R_ICMP_UNMATCHED] = "ICMP_UNMATCHED",
	[XLB_R_FRAG_FIRST] = "FRAG_FIRST",
	[XLB_R_FRAG_TRACKED] = "FRAG_TRACKED",
	[XLB_R_FRAG_UNTRACKED] = "FRAG_UNTRACKED",
	[XLB_R_FAMILY_MISMATCH] = "FAMILY_MISMATCH",
	[XLB_R_ENCAP_FAIL] = "ENCAP_FAIL",
};

const char *xe_reason_name(enum xlb_reason r)
{
	return r < XLB_R_MAX && reason_names[r] ? reason_names[r] : "?";
}

void xe_assert_reasons(struct xf *f, const struct xe_count *c, size_t n,
		       const char *file, int line)
{
	__u64 want[XLB_R_MAX] = { 0 };
	int r, bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		want[c[i].reason] += c[i].n;
	for (r = 0; r < XLB_R_MAX; r++) {
		__u64 got = xf_reason(f, r);

		if (got == want[r])
			continue;
		fprintf(stderr, "reason %s: got %llu, want %llu\n",
			xe_reason_name(r), (unsigned long long)got,
			(unsigned long long)want[r]);
		bad = 1;
	}
	if (bad)
		_fail(file, line);
}
