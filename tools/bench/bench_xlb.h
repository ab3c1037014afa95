/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench_xlb.h - what the XDP benchmarks share: the datapath state they load
 * into a freshly loaded object (one IPv4 and one IPv6 TCP service, four
 * backends each, a real Maglev table), the test frames, and pinning to one
 * CPU.  Each benchmark is a single file, so the helpers live here as static
 * inline functions.  They return 0 or a negative errno; the lib/ calls leave
 * the detail in xlb_errmsg(), which bench_fail() prints.
 */
#ifndef XLB_BENCH_XLB_H
#define XLB_BENCH_XLB_H

#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "xlb_abi.h"
#include "xlb_addr.h"
#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_maglev.h"

/* Documentation ranges only. */
#define BENCH_VIP4       "203.0.113.10"
#define BENCH_VIP6       "2001:db8::10"
#define BENCH_NON_VIP4   "203.0.113.200"
#define BENCH_CLIENT4    "192.0.2.50"      /* the established IPv4 flow */
#define BENCH_NEW4       "198.51.100.0"    /* new flows: every .x and port */
#define BENCH_CLIENT6    "2001:db8:c::1"
#define BENCH_LB_SRC4    "192.0.2.1"
#define BENCH_LB_SRC6    "2001:db8:1::1"
#define BENCH_PORT       80
#define BENCH_SPORT      40000
#define BENCH_SVC4       1
#define BENCH_SVC6       2
#define BENCH_NBACKENDS  4                 /* per service */
#define BENCH_RING       XLB_DEF_RING
#define BENCH_PAYLOAD    10                /* IPv4 frame: 64 bytes */
#define BENCH_FRAME_MAX  128

/* A flow mask that gives 2^24 distinct clients: the low octet of the
 * IPv4 source and the whole source port (see xlb_bench.c, xdp_trivial.c). */
#define BENCH_FLOW_MASK  0xffffffU

struct bench_frame {
	__u8 b[BENCH_FRAME_MAX];
	__u32 len;
};

/* Prints a failed step; returns err so callers can `return bench_fail()`. */
static inline int bench_fail(const char *prog, const char *what, int err)
{
	const char *detail = xlb_errmsg();

	fprintf(stderr, "%s: %s: %s%s%s\n", prog, what, strerror(-err),
		*detail ? ": " : "", detail);
	return err;
}

/* Runs the whole benchmark on the CPU it started on: a test run stays on
 * one CPU anyway, the per-CPU flow counters rely on it, and the veth
 * NAPI work then lands on the same CPU as the generator. */
static inline int bench_pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return cpu;
}

static inline int bench_map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

/* The datapath maps of a loaded object (xlb_kern or xlb_bench), borrowed. */
static inline int bench_dpmaps(struct bpf_object *obj, struct xlb_dpmaps *m)
{
	struct bpf_map *maglev = bpf_object__find_map_by_name(obj,
							      XLB_MAP_MAGLEV);
	struct bpf_map *bes = bpf_object__find_map_by_name(obj,
							   XLB_MAP_BACKENDS);

	if (!maglev || !bes)
		return -ENOENT;
	m->config = bench_map_fd(obj, XLB_MAP_CONFIG);
	m->vip_filter = bench_map_fd(obj, XLB_MAP_VIP_FILTER);
	m->services = bench_map_fd(obj, XLB_MAP_SERVICES);
	m->maglev = bpf_map__fd(maglev);
	m->backends = bpf_map__fd(bes);
	m->conntrack = bench_map_fd(obj, XLB_MAP_CONNTRACK);
	m->frags = bench_map_fd(obj, XLB_MAP_FRAGS);
	m->stats = bench_map_fd(obj, XLB_MAP_STATS);
	m->svc_stats = bench_map_fd(obj, XLB_MAP_SVC_STATS);
	m->be_stats = bench_map_fd(obj, XLB_MAP_BE_STATS);
	m->max_svc_id = bpf_map__max_entries(maglev) - 1;
	m->max_be_id = bpf_map__max_entries(bes) - 1;
	m->owned = 0;
	m->pin_dir[0] = '\0'; /* not pinned: tables are not either */
	return 0;
}

static inline int bench_addr(const char *s, union xlb_addr *a, __u8 *fam)
{
	memset(a, 0, sizeof(*a));
	return xlb_addr_parse(s, a, fam);
}

/* Backend i (0-based) of a service: 192.0.2.11.. or 2001:db8:2::11.. */
static inline int bench_backend_addr(__u8 family, int i, union xlb_addr *a)
{
	char s[XLB_ADDR_STRLEN];
	__u8 fam;

	if (family == XLB_FAM_V4)
		snprintf(s, sizeof(s), "192.0.2.%d", 11 + i);
	else
		snprintf(s, sizeof(s), "2001:db8:2::%d", 11 + i);
	return bench_addr(s, a, &fam);
}

/* A TCP service on vip:BENCH_PORT with its backends (ids first..) and the
 * Maglev table lbd would build for them. */
static inline int bench_add_service(const struct xlb_dpmaps *m,
				    const char *vip, __u32 svc_id,
				    __u32 first_be)
{
	struct xlb_maglev_backend mb[BENCH_NBACKENDS];
	static __u32 slots[BENCH_RING]; /* 64 KiB: not on the stack */
	struct xlb_service svc = { .id = svc_id };
	struct xlb_vip_key key = { .proto = IPPROTO_TCP };
	struct xlb_backend be;
	int i, err;

	err = bench_addr(vip, &key.addr, &key.family);
	if (!err)
		err = xlb_dpmap_vip_add(m, &key.addr, key.family);
	key.port = htons(BENCH_PORT);
	if (!err)
		err = xlb_dpmap_service_put(m, &key, &svc);
	for (i = 0; !err && i < BENCH_NBACKENDS; i++) {
		memset(&be, 0, sizeof(be));
		be.family = key.family;
		be.svc_id = svc_id;
		be.state = XLB_BE_ACTIVE;
		err = bench_backend_addr(key.family, i, &be.addr);
		if (!err)
			err = xlb_dpmap_backend_put(m, first_be + i, &be);
		memset(&mb[i], 0, sizeof(mb[i]));
		mb[i].addr = be.addr;
		mb[i].family = be.family;
		mb[i].port = BENCH_PORT;
		mb[i].weight = 1;
		mb[i].id = first_be + i;
	}
	if (!err)
		err = xlb_maglev_build(mb, BENCH_NBACKENDS, BENCH_RING, slots);
	if (!err)
		err = xlb_dpmap_ring_switch(m, svc_id, slots, BENCH_RING);
	return err;
}

/* The node's config: our MAC, the next hop's, MTU 1500, fixed sources. */
static inline int bench_set_config(const struct xlb_dpmaps *m,
				   const __u8 lb_mac[6], const __u8 nh_mac[6])
{
	struct xlb_config cfg;
	union xlb_addr a;
	__u8 fam;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.src_mac, lb_mac, 6);
	memcpy(cfg.nh_mac, nh_mac, 6);
	cfg.mtu = 1500;
	cfg.ttl = 64;
	err = bench_addr(BENCH_LB_SRC4, &a, &fam);
	cfg.src_v4 = a.v4;
	if (!err)
		err = bench_addr(BENCH_LB_SRC6, &cfg.src_v6, &fam);
	if (!err)
		err = xlb_dpmap_config_set(m, &cfg);
	return err;
}

static inline int bench_populate(const struct xlb_dpmaps *m,
				 const __u8 lb_mac[6], const __u8 nh_mac[6])
{
	int err = bench_set_config(m, lb_mac, nh_mac);

	if (!err)
		err = bench_add_service(m, BENCH_VIP4, BENCH_SVC4, 1);
	if (!err)
		err = bench_add_service(m, BENCH_VIP6, BENCH_SVC6,
					1 + BENCH_NBACKENDS);
	return err;
}

static inline __u16 bench_ip4_csum(const void *hdr, size_t len)
{
	const __u8 *p = hdr;
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

static inline void bench_put_tcp(__u8 *p, __u16 sport)
{
	struct tcphdr tcp;

	memset(&tcp, 0, sizeof(tcp));
	tcp.source = htons(sport);
	tcp.dest = htons(BENCH_PORT);
	tcp.doff = sizeof(tcp) / 4;
	tcp.ack = 1;
	tcp.window = htons(512);
	memcpy(p, &tcp, sizeof(tcp));
	memset(p + sizeof(tcp), 0xab, BENCH_PAYLOAD);
}

/*
 * An established-looking TCP segment src:BENCH_SPORT -> dst:BENCH_PORT
 * with BENCH_PAYLOAD bytes (IPv4: a 64-byte frame).  The datapath never
 * reads L4 checksums, so the TCP checksum is left zero.
 */
static inline int bench_frame_tcp(struct bench_frame *f, const char *src,
				  const char *dst, const __u8 smac[6],
				  const __u8 dmac[6])
{
	__u16 l4len = sizeof(struct tcphdr) + BENCH_PAYLOAD;
	union xlb_addr s, d;
	__u8 sf, df, *p = f->b;
	struct ether_header eth;
	int err;

	err = bench_addr(src, &s, &sf);
	if (!err)
		err = bench_addr(dst, &d, &df);
	if (err || sf != df)
		return err ? err : -EINVAL;
	memset(f, 0, sizeof(*f));
	memcpy(eth.ether_dhost, dmac, 6);
	memcpy(eth.ether_shost, smac, 6);
	eth.ether_type = htons(sf == XLB_FAM_V4 ? ETHERTYPE_IP
						: ETHERTYPE_IPV6);
	memcpy(p, &eth, sizeof(eth));
	p += sizeof(eth);
	if (sf == XLB_FAM_V4) {
		struct iphdr ip = {
			.version = 4, .ihl = 5, .ttl = 64,
			.protocol = IPPROTO_TCP, .frag_off = htons(IP_DF),
			.tot_len = htons(sizeof(ip) + l4len),
			.saddr = s.v4, .daddr = d.v4,
		};

		ip.check = bench_ip4_csum(&ip, sizeof(ip));
		memcpy(p, &ip, sizeof(ip));
		p += sizeof(ip);
	} else {
		struct ip6_hdr ip6;

		memset(&ip6, 0, sizeof(ip6));
		ip6.ip6_flow = htonl(6U << 28);
		ip6.ip6_plen = htons(l4len);
		ip6.ip6_nxt = IPPROTO_TCP;
		ip6.ip6_hlim = 64;
		memcpy(&ip6.ip6_src, s.b, 16);
		memcpy(&ip6.ip6_dst, d.b, 16);
		memcpy(p, &ip6, sizeof(ip6));
		p += sizeof(ip6);
	}
	bench_put_tcp(p, BENCH_SPORT);
	f->len = (__u32)(p + l4len - f->b);
	return 0;
}

/* Reason counters and one service's counters, summed over CPUs. */
struct bench_counts {
	__u64 reason[XLB_R_MAX];
	struct xlb_svc_stats svc;
};

static inline int bench_read_counts(const struct xlb_dpmaps *m, __u32 svc_id,
				    struct bench_counts *c)
{
	int err = xlb_dpmap_reasons(m, c->reason);

	if (!err)
		err = xlb_dpmap_svc_stats(m, svc_id, 1, &c->svc);
	return err;
}

#endif /* XLB_BENCH_XLB_H */
