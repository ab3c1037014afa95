// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xdp_distribution.c - 100,000 distinct flows through one service land
 * on its weighted backends in proportion to each backend's share of the
 * Maglev table slots, within 2 % of that share.
 *
 * The table is one this test installs (weights 3:4:5:6 over M = 16381
 * slots, spread by a fixed shuffle), and the expected shares are counted
 * from that very table, so the test checks the datapath's hash-and-slot
 * lookup, not how lbd builds tables.  Each flow's backend is read from the
 * outer destination of the frame the program sends, and the per-CPU
 * backend counters must agree.  Needs root and BPF.
 */
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkt.h"
#include "xdp_case.h"

#define FLOWS   100000
#define RING_M  16381 /* prime, the default ring size */
#define N_BE    4
#define TOLERANCE 0.02

static const __u32 weights[N_BE] = { 3, 4, 5, 6 };
static const char *const be_addr[N_BE] = { "198.51.100.211",
					   "198.51.100.212",
					   "198.51.100.213",
					   "198.51.100.214" };

/* Clients: 203.0.113.128/25, the source port telling apart flows that
 * share an address (see flow_packet). */
#define CLIENT_BASE  0xcb007180U /* 203.0.113.128 */
#define CLIENT_HOSTS 128U
_Static_assert(1024 + (FLOWS - 1) / CLIENT_HOSTS <= 65535,
	       "every flow a distinct (address, port)");

/* A small fixed PRNG (xorshift32): the same table and flows every run. */
static __u32 next_rand(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Slots in proportion to the weights, then shuffled so that neighbouring
 * slots belong to different backends, as in a Maglev table. */
static void weighted_ring(__u32 *ring)
{
	__u32 total = 0, filled = 0, seed = 0x2545f491, i, b;

	for (b = 0; b < N_BE; b++)
		total += weights[b];
	for (b = 0; b < N_BE; b++) {
		__u32 n = b + 1 < N_BE ? RING_M * weights[b] / total
				       : RING_M - filled;

		for (i = 0; i < n; i++)
			ring[filled++] = b + 1;
	}
	for (i = RING_M - 1; i > 0; i--) {
		__u32 j = next_rand(&seed) % (i + 1), tmp = ring[i];

		ring[i] = ring[j];
		ring[j] = tmp;
	}
}

/* Which backend an encapsulated frame is addressed to (0: none). */
static __u32 outer_backend(const __u8 *frame, __u32 len)
{
	__u32 dst, b;

	if (len < 14 + 20)
		return 0;
	memcpy(&dst, frame + 14 + 16, 4);
	for (b = 0; b < N_BE; b++)
		if (dst == pkt_v4(be_addr[b]))
			return b + 1;
	return 0;
}

/* Flow i: client 203.0.113.128 + i % 128, source port 1024 + i / 128, so
 * no two flows share (address, port). */
static void flow_packet(struct pkt *p, __u32 i)
{
	char src[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(CLIENT_BASE + i % CLIENT_HOSTS) };

	inet_ntop(AF_INET, &a, src, sizeof(src));
	xt_tcp(p, src, (__u16)(1024 + i / CLIENT_HOSTS), XE_VIP4, 443, 0);
}

static void test_flows_spread_in_proportion_to_table_slots(void **state)
{
	struct xt *t = *state;
	static __u32 ring[RING_M];
	__u64 slots[N_BE + 1] = { 0 }, seen[N_BE + 1] = { 0 };
	__u32 i, b;

	xt_service(t, XE_VIP4, IPPROTO_TCP, 443, SVC, 0);
	for (b = 0; b < N_BE; b++)
		xt_backend(t, b + 1, be_addr[b], SVC, XLB_BE_ACTIVE);
	weighted_ring(ring);
	for (i = 0; i < RING_M; i++)
		slots[ring[i]]++;
	assert_int_equal(xf_set_maglev(&t->f, SVC, ring, RING_M), 0);

	for (i = 0; i < FLOWS; i++) {
		struct pkt p;

		flow_packet(&p, i);
		run(t, &p, XDP_TX);
		b = outer_backend(t->out, t->out_len);
		assert_true(b >= 1 && b <= N_BE);
		seen[b]++;
	}

	for (b = 1; b <= N_BE; b++) {
		double want = (double)slots[b] / RING_M;
		double got = (double)seen[b] / FLOWS;
		struct xlb_be_stats s;

		printf("backend %u: weight %u, %5.2f %% of slots, "
		       "%5.2f %% of flows\n", b, weights[b - 1], 100 * want,
		       100 * got);
		if (got < want * (1 - TOLERANCE) ||
		    got > want * (1 + TOLERANCE))
			fail_msg("backend %u: %.4f of flows for %.4f of slots",
				 b, got, want);
		assert_int_equal(xf_be_stats(&t->f, b, &s), 0);
		assert_int_equal(s.packets, seen[b]);
	}
	assert_svc(t, SVC, FLOWS, FLOWS * (14 + 20 + 20), FLOWS, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_flows_spread_in_proportion_to_table_slots,
			xt_setup, xt_teardown),
	};

	return cmocka_run_group_tests_name("xdp_distribution", tests, NULL,
					   NULL);
}
