/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdp_case.h - one datapath test's state and vocabulary: a fresh program
 * (cmocka setup/teardown), the map state the test wrote (so it can predict
 * the backend a table picks), client packets with the usual fields, and
 * assertions that report the caller's line.
 */
#ifndef XLB_TESTS_XDP_CASE_H
#define XLB_TESTS_XDP_CASE_H

#include <linux/types.h>
#include <stddef.h>

#include "pkt.h"
#include "xdp_expect.h"
#include "xdp_fixture.h"

#define XT_RING_MAX 64

/* Service ids and backend entry ids the tests use. */
enum { SVC = 1, SVC2, SVC6, SVC_FALLBACK, SVC_OTHER };
enum { BE_A = 1, BE_B, BE_C, BE_D, BE_6A, BE_6B };

struct xt {
	struct xf f;
	struct xlb_config cfg;                 /* as written */
	struct xlb_backend be[XF_BACKENDS];    /* as written */
	__u32 ring[XF_SERVICES][XT_RING_MAX];  /* tables as installed */
	__u32 m[XF_SERVICES];
	__u8 out[XF_OUT_MAX];                  /* the last run's output */
	__u32 out_len;
	__u32 action;
};

/* cmocka setup/teardown: a freshly loaded program with the default config
 * (fails the test, loudly, without root/BPF). */
int xt_setup(void **state);
int xt_teardown(void **state);

/* ---- map state (each asserts success) ---- */
int xt_is_v6(const char *addr);
union xlb_addr xt_addr(const char *s);
__u8 xt_fam(const char *s);
void xt_write_config(struct xt *t); /* after changing t->cfg */
void xt_service(struct xt *t, const char *vip, __u8 proto, __u16 port,
		__u32 id, __u32 flags);
void xt_backend(struct xt *t, __u32 id, const char *addr, __u32 svc,
		__u8 state);
void xt_set_state(struct xt *t, __u32 id, __u8 state);
void xt_set_backend_svc(struct xt *t, __u32 id, __u32 svc);
void xt_table(struct xt *t, __u32 svc, const __u32 *slots, __u32 m);
void xt_table_all(struct xt *t, __u32 svc, __u32 be); /* 7 slots, one be */
void xt_table_abcd(struct xt *t, __u32 svc);          /* A..D over 13 */
/* The backend the spec's lookup picks: slot 1 + hash % M. */
__u32 xt_pick(const struct xt *t, __u32 svc, __u32 hash);
/* (VIP4, TCP, 80) = SVC with IPv4 backends A..D (no table). */
void xt_web4(struct xt *t, __u32 flags);
void xt_reset_counters(struct xt *t);

/* ---- packets from the client (MAC client -> node) ---- */
struct pkt_ipv4 xt_ip4(const char *src, const char *dst, __u8 proto);
struct pkt_ipv6 xt_ip6(const char *src, const char *dst);
/* pkt_init + Ethernet + IP header with the usual fields (IPv4: TTL 64,
 * id 0x4242, DF; IPv6: hop limit 64); the family follows src. */
void xt_ip_hdr(struct pkt *p, const char *src, const char *dst, __u8 proto);
/* A finished TCP or UDP packet with payload bytes of payload. */
void xt_l4(struct pkt *p, __u8 proto, const char *src, __u16 sport,
	   const char *dst, __u16 dport, size_t payload);
void xt_tcp(struct pkt *p, const char *src, __u16 sport, const char *dst,
	    __u16 dport, size_t payload);
void xt_udp(struct pkt *p, const char *src, __u16 sport, const char *dst,
	    __u16 dport, size_t payload);
/* The client -> VIP flow of p and its flow hash. */
__u32 xt_flow(const struct pkt *p, struct xlb_flow_key *k, int src_only);

/* ---- running and asserting (failures name the caller's line) ---- */
void xt_run_(struct xt *t, const struct pkt *in, __u32 action,
	     const char *file, int line);
void xt_run_untouched_(struct xt *t, const struct pkt *in, const char *file,
		       int line);
void xt_run_fwd_(struct xt *t, const struct pkt *in, __u32 be, __u32 hash,
		 const char *file, int line);
void xt_run_want_(struct xt *t, const struct pkt *in, const struct pkt *want,
		  const char *file, int line);
void xt_ct_(struct xt *t, const struct xlb_flow_key *k, __u32 be,
	    __u32 hash, const char *file, int line);
void xt_svc_(struct xt *t, __u32 id, __u64 packets, __u64 bytes,
	     __u64 new_flows, __u64 drops, const char *file, int line);
void xt_be_(struct xt *t, __u32 id, __u64 packets, __u64 bytes,
	    const char *file, int line);

/* Runs in; asserts the XDP action. */
#define run(t, in, action) xt_run_(t, in, action, __FILE__, __LINE__)
/* Runs in; asserts XDP_PASS with the frame unchanged. */
#define run_untouched(t, in) xt_run_untouched_(t, in, __FILE__, __LINE__)
/* Runs in; asserts XDP_TX of in encapsulated to be with flow hash hash. */
#define run_fwd(t, in, be, hash) \
	xt_run_fwd_(t, in, be, hash, __FILE__, __LINE__)
/* Runs in; asserts XDP_TX of exactly want. */
#define run_want(t, in, want) xt_run_want_(t, in, want, __FILE__, __LINE__)
/* The connection table maps k to (be, hash) and names be's service. */
#define assert_ct(t, k, be, hash) xt_ct_(t, k, be, hash, __FILE__, __LINE__)
#define assert_svc(t, id, pk, by, nf, dr) \
	xt_svc_(t, id, pk, by, nf, dr, __FILE__, __LINE__)
#define assert_be(t, id, pk, by) xt_be_(t, id, pk, by, __FILE__, __LINE__)

#endif /* XLB_TESTS_XDP_CASE_H */
