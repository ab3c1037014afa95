// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_ring_switch.c - a service's Maglev table is switched as a whole: while
 * one thread switches it back and forth between two tables with
 * xlb_dpmap_ring_switch() (the call lbd uses), every packet sent through the
 * XDP program meanwhile is balanced by exactly one of the two tables.
 *
 * The tables are built so that a mix would show:
 *   - table A: M = 65537, slot i (0-based) holds backend 1 + i % 31;
 *   - table B: M = 13, slot i holds backend 32 + i (one backend per slot).
 * The two backend sets are disjoint, so the outer destination of each frame
 * says which table's slot was read, and the test demands it be the slot
 * that same table picks, 1 + hash % M.  A packet that read M from A and a
 * slot from B would mostly index past B's end (a drop, XLB_R_NO_BACKEND) or
 * get the wrong one of B's 13 backends; M from B with a slot of A reads
 * A's slot hash % 13, a wrong backend for 30 hashes in 31.
 *
 * Every packet is a new flow (its own client address and port), so each one
 * consults the table.  The test also demands that both tables were seen,
 * that the packets saw the table change many times and that many switches
 * happened while they ran: otherwise nothing raced and the result proves
 * nothing.
 * Needs root and BPF.
 */
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pkt.h"
#include "xdp_case.h"
#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"
#include "bpf/xlb_kern.skel.h"

#define M_A      65537U /* XLB_MAX_RING: the largest table lbd may switch in */
#define M_B      13U
#define N_A      31U    /* table A's backends: ids 1..31 */
#define FIRST_B  32U    /* table B's backends: ids 32..44 */
#define PORT     443

#define RUN_SECONDS  2.0
/* Clients 203.0.113.128/25, source ports from 1024: one (address, port) per
 * packet, so never a repeated flow (see flow_packet). */
#define CLIENT_BASE  0xcb007180U /* 203.0.113.128 */
#define CLIENT_HOSTS 128U
#define MAX_PACKETS  (1U << 22)
/* Below these the run did not race enough to prove anything. */
#define MIN_SWITCHES 20
#define MIN_FLIPS    10

_Static_assert(M_A <= XLB_MAX_RING, "table A is a size lbd may switch in");
_Static_assert(1024 + (MAX_PACKETS - 1) / CLIENT_HOSTS <= 65535,
	       "every packet a distinct (address, port)");
_Static_assert(FIRST_B > N_A && FIRST_B + M_B <= XF_BACKENDS,
	       "disjoint backend sets within the fixture's ids");

static __u32 ring_a[M_A], ring_b[M_B], readback[M_A];

/* Backend entry id -> outer destination 198.51.100.128 + id, and back. */
#define BE_BASE 0xc6336480U /* 198.51.100.128 */
_Static_assert(FIRST_B + M_B - 1 <= 127, "backend ids fit 198.51.100.129+");

static __be32 be_addr(__u32 id)
{
	return htonl(BE_BASE | id);
}

static __u32 be_of_addr(__be32 a)
{
	__u32 h = ntohl(a);

	return (h & 0xffffff80U) == BE_BASE ? (h & 0x7fU) : 0;
}

/* Both tables and every backend they name, all in service SVC. */
static void install_backends(struct xt *t)
{
	char addr[INET_ADDRSTRLEN];
	__u32 i;

	for (i = 0; i < M_A; i++)
		ring_a[i] = 1 + i % N_A;
	for (i = 0; i < M_B; i++)
		ring_b[i] = FIRST_B + i;
	for (i = 1; i < FIRST_B + M_B; i++) {
		struct in_addr a = { .s_addr = be_addr(i) };

		inet_ntop(AF_INET, &a, addr, sizeof(addr));
		xt_backend(t, i, addr, SVC, XLB_BE_ACTIVE);
	}
	xt_service(t, XE_VIP4, IPPROTO_TCP, PORT, SVC, 0);
}

/* The fixture's maps, as lib/xlb_dpmap.h addresses them (borrowed fds;
 * a field added later stays zero rather than garbage). */
static void dpmaps_of(const struct xf *f, struct xlb_dpmaps *m)
{
	const struct xlb_kern *s = f->skel;

	*m = (struct xlb_dpmaps){
		.config = bpf_map__fd(s->maps.xlb_config),
		.vip_filter = bpf_map__fd(s->maps.xlb_vip_filter),
		.services = bpf_map__fd(s->maps.xlb_services),
		.maglev = bpf_map__fd(s->maps.xlb_maglev),
		.backends = bpf_map__fd(s->maps.xlb_backends),
		.conntrack = bpf_map__fd(s->maps.xlb_conntrack),
		.frags = bpf_map__fd(s->maps.xlb_frags),
		.stats = bpf_map__fd(s->maps.xlb_stats),
		.svc_stats = bpf_map__fd(s->maps.xlb_svc_stats),
		.be_stats = bpf_map__fd(s->maps.xlb_be_stats),
		.max_svc_id = XF_SERVICES - 1,
		.max_be_id = XF_BACKENDS - 1,
		.owned = 0,
	};
}

/* ---- the switching thread --------------------------------------------- */

struct switcher {
	const struct xlb_dpmaps *m;
	atomic_bool stop;
	atomic_ulong switches; /* completed; odd: table B is in force */
	int err;
	char msg[256];
};

/* Alternates B, A, B, ... as fast as the kernel allows.  No cmocka asserts
 * here: a failure is recorded and reported by the main thread once this
 * thread has been joined. */
static void *switch_loop(void *arg)
{
	struct switcher *sw = arg;
	unsigned long n = 0;

	while (!atomic_load(&sw->stop)) {
		int to_b = !(n & 1);

		sw->err = xlb_dpmap_ring_switch(sw->m, SVC,
						to_b ? ring_b : ring_a,
						to_b ? M_B : M_A);
		if (sw->err) {
			snprintf(sw->msg, sizeof(sw->msg), "%s", xlb_errmsg());
			break;
		}
		atomic_store(&sw->switches, ++n);
	}
	return NULL;
}

/* ---- the packets ------------------------------------------------------ */

struct tally {
	__u32 packets;
	__u64 seen[2];  /* packets balanced by table A, by table B */
	__u64 flips;    /* consecutive packets that saw different tables */
	int last;       /* table of the previous packet, -1 before the first */
	char why[256];  /* the first wrong packet, "" if none */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Packet i: TCP without payload from client 203.0.113.128 + i % 128, source
 * port 1024 + i / 128. */
static void flow_packet(struct pkt *p, const struct pkt_ipv4 *tmpl, __u32 i)
{
	struct pkt_eth eth = xe_eth_in();
	struct pkt_ipv4 ip = *tmpl;

	ip.src = htonl(CLIENT_BASE + i % CLIENT_HOSTS);
	pkt_init(p);
	pkt_eth(p, &eth, PKT_ETH_P_IP);
	pkt_ipv4(p, &ip);
	pkt_tcp(p, (__u16)(1024 + i / CLIENT_HOSTS), PORT);
	pkt_done(p);
}

/* Which table balanced the frame: 0 (A), 1 (B), or -1 with why set. */
static int judge(struct xt *t, __u32 i, __u32 hash, struct tally *ty)
{
	__u32 want_a = ring_a[hash % M_A], want_b = ring_b[hash % M_B], be;
	__be32 dst;

	if (t->action != XDP_TX) {
		snprintf(ty->why, sizeof(ty->why), "packet %u (hash %#x): XDP "
			 "action %u, not XDP_TX (no backend: M and slot from "
			 "different tables?)", i, hash, t->action);
		return -1;
	}
	if (t->out_len < 14 + 20) {
		snprintf(ty->why, sizeof(ty->why), "packet %u: %u-byte output",
			 i, t->out_len);
		return -1;
	}
	memcpy(&dst, t->out + 14 + 16, sizeof(dst));
	be = be_of_addr(dst);
	if (be == want_a)
		return 0;
	if (be == want_b)
		return 1;
	snprintf(ty->why, sizeof(ty->why), "packet %u (hash %#x): backend %u, "
		 "but table A picks %u and table B picks %u", i, hash, be,
		 want_a, want_b);
	return -1;
}

/* One new flow through the program; 0, or -1 with ty->why set. */
static int one_packet(struct xt *t, const struct pkt_ipv4 *tmpl, __u32 i,
		      struct tally *ty)
{
	struct xlb_flow_key k;
	struct pkt p;
	__u32 hash;
	int err, table;

	flow_packet(&p, tmpl, i);
	hash = xt_flow(&p, &k, 0); /* xlb_flow_hash, as the datapath */
	err = xf_run(&t->f, p.data, (__u32)p.len, t->out, &t->out_len,
		     &t->action);
	if (err) {
		snprintf(ty->why, sizeof(ty->why), "BPF_PROG_TEST_RUN: %s",
			 strerror(-err));
		return -1;
	}
	table = judge(t, i, hash, ty);
	if (table < 0)
		return -1;
	ty->seen[table]++;
	ty->flips += ty->last >= 0 && ty->last != table;
	ty->last = table;
	return 0;
}

/* Packets one by one until the time is up or one is wrong. */
static void send_packets(struct xt *t, struct tally *ty)
{
	struct pkt_ipv4 tmpl = xt_ip4(XE_CLIENT4, XE_VIP4, IPPROTO_TCP);
	double end = now() + RUN_SECONDS;

	ty->last = -1;
	for (ty->packets = 0; ty->packets < MAX_PACKETS; ty->packets++) {
		if (!(ty->packets & 255) && now() >= end)
			break;
		if (one_packet(t, &tmpl, ty->packets, ty))
			break;
	}
}

/* ---- the test --------------------------------------------------------- */

static void test_packets_never_see_a_mix_of_two_tables(void **state)
{
	struct xt *t = *state;
	struct switcher sw = { .err = 0 };
	struct tally ty = { .packets = 0 };
	struct xlb_dpmaps m;
	unsigned long before, during;
	pthread_t th;
	__u32 size;
	int last_b;

	install_backends(t);
	dpmaps_of(&t->f, &m);
	sw.m = &m;
	if (xlb_dpmap_ring_switch(&m, SVC, ring_a, M_A))
		fail_msg("installing table A: %s", xlb_errmsg());
	assert_int_equal(pthread_create(&th, NULL, switch_loop, &sw), 0);
	before = atomic_load(&sw.switches);
	send_packets(t, &ty);
	during = atomic_load(&sw.switches) - before;
	atomic_store(&sw.stop, 1);
	assert_int_equal(pthread_join(th, NULL), 0);

	printf("%u packets, %lu switches while they ran, table A seen %llu "
	       "times, table B %llu, %llu changes seen\n", ty.packets, during,
	       (unsigned long long)ty.seen[0], (unsigned long long)ty.seen[1],
	       (unsigned long long)ty.flips);
	if (sw.err)
		fail_msg("switching tables: %s", sw.msg);
	if (ty.why[0])
		fail_msg("%s", ty.why);

	/* Every packet a new flow, forwarded; nothing else counted. */
	assert_reasons(&t->f, { XLB_R_FORWARDED, ty.packets });
	assert_svc(t, SVC, ty.packets, (__u64)ty.packets * (14 + 20 + 20),
		   ty.packets, 0);

	/* The run raced: both tables served, many switches under traffic. */
	if (!ty.seen[0] || !ty.seen[1] || ty.flips < MIN_FLIPS)
		fail_msg("packets saw the table change %llu times (want %d, "
			 "both tables): no race", (unsigned long long)ty.flips,
			 MIN_FLIPS);
	if (during < MIN_SWITCHES)
		fail_msg("%lu switches under traffic, want %d: no race",
			 during, MIN_SWITCHES);

	/* The last switch is the table in force, whole. */
	last_b = atomic_load(&sw.switches) & 1;
	assert_int_equal(xlb_dpmap_ring_read(&m, SVC, readback, M_A, &size),
			 0);
	assert_int_equal(size, last_b ? M_B : M_A);
	assert_memory_equal(readback, last_b ? ring_b : ring_a,
			    size * sizeof(__u32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_packets_never_see_a_mix_of_two_tables, xt_setup,
			xt_teardown),
	};

	return cmocka_run_group_tests_name("ring_switch", tests, NULL, NULL);
}
