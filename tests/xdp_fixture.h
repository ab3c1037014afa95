/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdp_fixture.h - the XDP program loaded from its skeleton with small maps,
 * not pinned and not attached, plus raw libbpf helpers that write the map
 * state a test needs and run one packet through BPF_PROG_TEST_RUN.
 *
 * The fixture talks to the maps with plain bpf_map_* calls and the layouts
 * of bpf/xlb_abi.h only, so it does not depend on the lib/ code it helps
 * test.  Every function returns 0 or a negative errno.
 */
#ifndef XLB_TESTS_XDP_FIXTURE_H
#define XLB_TESTS_XDP_FIXTURE_H

#include <linux/types.h>
#include <sched.h>
#include <stdint.h>

#include "xlb_abi.h"

/* Map sizes the fixture loads with: small, so a load is quick. */
#define XF_SERVICES  32   /* service ids 1..XF_SERVICES-1 */
#define XF_BACKENDS  64   /* backend entry ids 1..XF_BACKENDS-1 */
#define XF_CONNTRACK 4096 /* flows: 1024 sets */
#define XF_FRAGS     256

/* Room for the largest output a test packet can become. */
#define XF_OUT_MAX 8192

struct xlb_kern;

struct xf {
	struct xlb_kern *skel;
	int prog_fd;
	int ncpus;
	cpu_set_t cpus; /* the thread's CPUs at open, restored at close */
};

/* Opens and loads a fresh copy of the program and its maps. */
int xf_open(struct xf *f);
void xf_close(struct xf *f);

int xf_set_config(struct xf *f, const struct xlb_config *cfg);

/* The VIP marker (addr, proto 0, port 0) and the VIP filter bit. */
int xf_add_vip(struct xf *f, const union xlb_addr *vip, __u8 family);
/* Sets only the VIP filter bit (a stale bit lbd may leave behind). */
int xf_set_filter_bit(struct xf *f, const union xlb_addr *addr, __u8 family);
/* A service (vip, proto, port; port in host order) with its VIP marker. */
int xf_add_service(struct xf *f, const union xlb_addr *vip, __u8 family,
		   __u8 proto, __u16 port, __u32 id, __u32 flags);
/* Deletes a service's key (not the VIP marker). */
int xf_del_service(struct xf *f, const union xlb_addr *vip, __u8 family,
		   __u8 proto, __u16 port);
int xf_set_backend(struct xf *f, __u32 id, const struct xlb_backend *be);
int xf_set_backend_state(struct xf *f, __u32 id, __u8 state);
/* Installs a Maglev table: a new inner array [m, slots[0..m-1]] swapped
 * into xlb_maglev[svc_id] with one update. */
int xf_set_maglev(struct xf *f, __u32 svc_id, const __u32 *slots, __u32 m);

/*
 * Runs one packet.  *out_len is the output length and *action the XDP
 * action; out must hold XF_OUT_MAX bytes.  Returns the syscall's result:
 * the kernel refuses inputs shorter than an Ethernet header (-EINVAL).
 */
int xf_run(struct xf *f, const void *in, __u32 in_len, void *out,
	   __u32 *out_len, __u32 *action);

/* Per-CPU counters, summed over CPUs. */
__u64 xf_reason(struct xf *f, enum xlb_reason r);
int xf_svc_stats(struct xf *f, __u32 id, struct xlb_svc_stats *sum);
int xf_be_stats(struct xf *f, __u32 id, struct xlb_be_stats *sum);
/* One CPU's share of a reason counter. */
__u64 xf_reason_on_cpu(struct xf *f, enum xlb_reason r, int cpu);
/* Runs the calling thread (and so BPF_PROG_TEST_RUN) on one CPU until
 * xf_close(). */
int xf_pin_cpu(int cpu);
/* Zeroes every reason, service and backend counter. */
int xf_reset_counters(struct xf *f);

int xf_ct_lookup(struct xf *f, const struct xlb_flow_key *k,
		 struct xlb_flow *v);
int xf_ct_count(struct xf *f);
/* The connection-table set of a flow; returns its way, -1, or -errno. */
int xf_ct_set(struct xf *f, const struct xlb_flow_key *k, __u32 *idx,
	      struct xlb_ct_set *set);
int xf_ct_write_set(struct xf *f, __u32 idx, const struct xlb_ct_set *set);
int xf_frag_lookup(struct xf *f, const struct xlb_frag_key *k,
		   struct xlb_frag *v);
int xf_frag_count(struct xf *f);
/* The only entry of xlb_frags (-ENOENT if none, -E2BIG if several). */
int xf_frag_only(struct xf *f, struct xlb_frag_key *k, struct xlb_frag *v);

#endif /* XLB_TESTS_XDP_FIXTURE_H */
