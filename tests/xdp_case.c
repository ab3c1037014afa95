// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_case.c - state and vocabulary of one datapath test (xdp_case.h).
 */
#include "xdp_case.h"

#include <linux/bpf.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

int xt_setup(void **state)
{
	struct xt *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -1;
	err = xf_open(&t->f);
	if (err) {
		fprintf(stderr, "loading the XDP program failed: %s "
			"(the datapath tests need root and BPF)\n",
			strerror(-err));
		free(t);
		return -1;
	}
	xe_default_config(&t->cfg);
	err = xf_set_config(&t->f, &t->cfg);
	if (err) {
		fprintf(stderr, "writing xlb_config: %s\n", strerror(-err));
		xf_close(&t->f);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int xt_teardown(void **state)
{
	struct xt *t = *state;

	xf_close(&t->f);
	free(t);
	return 0;
}

/* ---- map state ---------------------------------------------------------- */

int xt_is_v6(const char *addr)
{
	return strchr(addr, ':') != NULL;
}

union xlb_addr xt_addr(const char *s)
{
	return xt_is_v6(s) ? xe_addr6(s) : xe_addr4(s);
}

__u8 xt_fam(const char *s)
{
	return xt_is_v6(s) ? XLB_FAM_V6 : XLB_FAM_V4;
}

void xt_write_config(struct xt *t)
{
	assert_int_equal(xf_set_config(&t->f, &t->cfg), 0);
}

void xt_service(struct xt *t, const char *vip, __u8 proto, __u16 port,
		__u32 id, __u32 flags)
{
	union xlb_addr a = xt_addr(vip);

	assert_int_equal(xf_add_service(&t->f, &a, xt_fam(vip), proto, port,
					id, flags), 0);
}

void xt_backend(struct xt *t, __u32 id, const char *addr, __u32 svc,
		__u8 state)
{
	struct xlb_backend *be = &t->be[id];

	memset(be, 0, sizeof(*be));
	be->addr = xt_addr(addr);
	be->family = xt_fam(addr);
	be->svc_id = svc;
	be->state = state;
	assert_int_equal(xf_set_backend(&t->f, id, be), 0);
}

void xt_set_state(struct xt *t, __u32 id, __u8 state)
{
	t->be[id].state = state;
	assert_int_equal(xf_set_backend(&t->f, id, &t->be[id]), 0);
}

void xt_set_backend_svc(struct xt *t, __u32 id, __u32 svc)
{
	t->be[id].svc_id = svc;
	assert_int_equal(xf_set_backend(&t->f, id, &t->be[id]), 0);
}

void xt_table(struct xt *t, __u32 svc, const __u32 *slots, __u32 m)
{
	assert_true(m <= XT_RING_MAX);
	if (m)
		memcpy(t->ring[svc], slots, m * sizeof(*slots));
	t->m[svc] = m;
	assert_int_equal(xf_set_maglev(&t->f, svc, slots, m), 0);
}

void xt_table_all(struct xt *t, __u32 svc, __u32 be)
{
	__u32 slots[7] = { be, be, be, be, be, be, be };

	xt_table(t, svc, slots, 7);
}

void xt_table_abcd(struct xt *t, __u32 svc)
{
	static const __u32 slots[13] = { BE_A, BE_B, BE_C, BE_D, BE_A, BE_B,
					 BE_C, BE_D, BE_A, BE_B, BE_C, BE_D,
					 BE_A };

	xt_table(t, svc, slots, 13);
}

__u32 xt_pick(const struct xt *t, __u32 svc, __u32 hash)
{
	assert_true(t->m[svc] > 0);
	return t->ring[svc][hash % t->m[svc]]; /* ring[i] is slot 1 + i */
}

void xt_web4(struct xt *t, __u32 flags)
{
	xt_service(t, XE_VIP4, IPPROTO_TCP, 80, SVC, flags);
	xt_backend(t, BE_A, "198.51.100.201", SVC, XLB_BE_ACTIVE);
	xt_backend(t, BE_B, "198.51.100.202", SVC, XLB_BE_ACTIVE);
	xt_backend(t, BE_C, "198.51.100.203", SVC, XLB_BE_ACTIVE);
	xt_backend(t, BE_D, "198.51.100.204", SVC, XLB_BE_ACTIVE);
}

void xt_reset_counters(struct xt *t)
{
	assert_int_equal(xf_reset_counters(&t->f), 0);
}

/* ---- packets ------------------------------------------------------------ */

struct pkt_ipv4 xt_ip4(const char *src, const char *dst, __u8 proto)
{
	struct pkt_ipv4 ip = {
		.src = pkt_v4(src),
		.dst = pkt_v4(dst),
		.ttl = 64,
		.proto = proto,
		.id = 0x4242,
		.frag = PKT_IP_DF,
	};

	return ip;
}

struct pkt_ipv6 xt_ip6(const char *src, const char *dst)
{
	struct pkt_ipv6 ip = {
		.src = pkt_v6(src),
		.dst = pkt_v6(dst),
		.hop_limit = 64,
	};

	return ip;
}

void xt_ip_hdr(struct pkt *p, const char *src, const char *dst, __u8 proto)
{
	struct pkt_eth eth = xe_eth_in();

	pkt_init(p);
	if (xt_is_v6(src)) {
		struct pkt_ipv6 ip = xt_ip6(src, dst);

		pkt_eth(p, &eth, PKT_ETH_P_IPV6);
		pkt_ipv6(p, &ip, proto);
	} else {
		struct pkt_ipv4 ip = xt_ip4(src, dst, proto);

		pkt_eth(p, &eth, PKT_ETH_P_IP);
		pkt_ipv4(p, &ip);
	}
}

void xt_l4(struct pkt *p, __u8 proto, const char *src, __u16 sport,
	   const char *dst, __u16 dport, size_t payload)
{
	xt_ip_hdr(p, src, dst, proto);
	if (proto == IPPROTO_TCP)
		pkt_tcp(p, sport, dport);
	else
		pkt_udp(p, sport, dport);
	pkt_pattern(p, payload, (__u8)sport);
	pkt_done(p);
}

void xt_tcp(struct pkt *p, const char *src, __u16 sport, const char *dst,
	    __u16 dport, size_t payload)
{
	xt_l4(p, IPPROTO_TCP, src, sport, dst, dport, payload);
}

void xt_udp(struct pkt *p, const char *src, __u16 sport, const char *dst,
	    __u16 dport, size_t payload)
{
	xt_l4(p, IPPROTO_UDP, src, sport, dst, dport, payload);
}

__u32 xt_flow(const struct pkt *p, struct xlb_flow_key *k, int src_only)
{
	xe_flow_key(p, k);
	return xe_hash(k, src_only);
}

/* ---- running and asserting ---------------------------------------------- */

static const char *action_name(__u32 a)
{
	static const char *const n[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
					 "XDP_TX", "XDP_REDIRECT" };

	return a < 5 ? n[a] : "?";
}

void xt_run_(struct xt *t, const struct pkt *in, __u32 action,
	     const char *file, int line)
{
	int err = xf_run(&t->f, in->data, (__u32)in->len, t->out, &t->out_len,
			 &t->action);

	if (err) {
		print_error("BPF_PROG_TEST_RUN: %s\n", strerror(-err));
		_fail(file, line);
	}
	if (t->action != action) {
		print_error("XDP action %s, want %s\n",
			    action_name(t->action), action_name(action));
		_fail(file, line);
	}
}

void xt_run_untouched_(struct xt *t, const struct pkt *in, const char *file,
		       int line)
{
	xt_run_(t, in, XDP_PASS, file, line);
	xe_assert_frame(t->out, t->out_len, in, file, line);
}

void xt_run_want_(struct xt *t, const struct pkt *in, const struct pkt *want,
		  const char *file, int line)
{
	xt_run_(t, in, XDP_TX, file, line);
	xe_assert_frame(t->out, t->out_len, want, file, line);
}

void xt_run_fwd_(struct xt *t, const struct pkt *in, __u32 be, __u32 hash,
		 const char *file, int line)
{
	struct pkt want;

	xe_encap(&want, in, &t->cfg, &t->be[be], hash);
	xt_run_want_(t, in, &want, file, line);
}

void xt_ct_(struct xt *t, const struct xlb_flow_key *k, __u32 be,
	    __u32 hash, const char *file, int line)
{
	struct xlb_flow v;

	_assert_int_equal(xf_ct_lookup(&t->f, k, &v), 0, file, line);
	_assert_int_equal(v.backend_id, be, file, line);
	_assert_int_equal(v.hash, hash, file, line);
	_assert_int_equal(v.svc_id, t->be[be].svc_id, file, line);
}

/* Compares named counters; prints every mismatch, then fails once. */
static void counters_equal(const char *what, __u32 id, const char *const *names,
			   const __u64 *got, const __u64 *want, size_t n,
			   const char *file, int line)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (got[i] == want[i])
			continue;
		print_error("%s %u %s: got %llu, want %llu\n", what, id,
			    names[i], (unsigned long long)got[i],
			    (unsigned long long)want[i]);
		bad = 1;
	}
	if (bad)
		_fail(file, line);
}

void xt_svc_(struct xt *t, __u32 id, __u64 packets, __u64 bytes,
	     __u64 new_flows, __u64 drops, const char *file, int line)
{
	static const char *const names[] = { "packets", "bytes", "new_flows",
					     "drops" };
	const __u64 want[] = { packets, bytes, new_flows, drops };
	struct xlb_svc_stats s;

	_assert_int_equal(xf_svc_stats(&t->f, id, &s), 0, file, line);
	counters_equal("service", id, names,
		       (const __u64[]){ s.packets, s.bytes, s.new_flows,
					s.drops }, want, 4, file, line);
}

void xt_be_(struct xt *t, __u32 id, __u64 packets, __u64 bytes,
	    const char *file, int line)
{
	static const char *const names[] = { "packets", "bytes" };
	const __u64 want[] = { packets, bytes };
	struct xlb_be_stats s;

	_assert_int_equal(xf_be_stats(&t->f, id, &s), 0, file, line);
	counters_equal("backend", id, names,
		       (const __u64[]){ s.packets, s.bytes }, want, 2, file,
		       line);
}
