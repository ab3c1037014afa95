// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_ct_hash.c - bpf/xlb_ct.h's set hash spreads the flows a real VIP
 * sees: many clients of one prefix, each with many source ports, to one
 * address and port.  Every input bit must reach the index; a hash that
 * lets a client's address bits and its source port cancel out caps the
 * distinct sets per VIP and piles flows into a few of them.
 */
#include <arpa/inet.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/types.h>

#include "xlb_abi.h"
#include "xlb_hash.h"
#include "xlb_ct.h"

#define SETS (1u << 18) /* the default 1,048,576-flow table: 4 ways */

/* Client `client` of the prefix, source port `sport`, to the VIP. */
static void flow(struct xlb_flow_key *k, int v6, unsigned int client,
		 unsigned int sport)
{
	memset(k, 0, sizeof(*k));
	k->proto = 6;
	k->dport = htons(443);
	k->sport = htons((uint16_t)sport);
	if (v6) {
		k->family = XLB_FAM_V6;
		k->src.v6[0] = htonl(0x20010db8);
		k->src.v6[3] = htonl(client);
		k->dst.v6[0] = htonl(0x20010db8);
		k->dst.v6[3] = htonl(0x10);
	} else {
		k->family = XLB_FAM_V4;
		k->src.v6[0] = htonl(0xc6336400 | (client & 0xff));
		k->dst.v6[0] = htonl(0xcb00710a);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* 256 clients x 4,096 source ports: distinct hashes, and how the flows
 * fill SETS sets against a Poisson spread (mean 4 per set). */
static void spread(int v6)
{
	const unsigned int clients = 256, ports = 4096;
	const size_t n = (size_t)clients * ports;
	uint32_t *h = malloc(n * sizeof(*h));
	uint16_t *load = calloc(SETS, sizeof(*load));
	size_t i, distinct = 1, empty = 0, over = 0, max = 0;
	struct xlb_flow_key k;
	double mean = (double)n / SETS;

	assert_non_null(h);
	assert_non_null(load);
	for (i = 0; i < n; i++) {
		flow(&k, v6, (unsigned int)(i / ports),
		     1024 + (unsigned int)(i % ports));
		h[i] = xlb_ct_hash(&k);
		load[h[i] & (SETS - 1)]++;
	}
	qsort(h, n, sizeof(*h), cmp_u32);
	for (i = 1; i < n; i++)
		distinct += h[i] != h[i - 1];
	for (i = 0; i < SETS; i++) {
		empty += load[i] == 0;
		over += load[i] > 16;
		max = load[i] > max ? load[i] : max;
	}
	/* 2^20 random 32-bit values collide ~128 times. */
	print_message("%s: %zu flows, %zu distinct hashes, %zu empty sets "
		      "(Poisson %.0f), %zu sets over 16 (Poisson 0.2), fullest %zu\n",
		      v6 ? "IPv6" : "IPv4", n, distinct, empty,
		      SETS * exp(-mean), over, max);
	assert_true(distinct > n - 1024);
	assert_true(fabs((double)empty - SETS * exp(-mean)) <
		    0.1 * SETS * exp(-mean));
	/* The inputs are fixed, so this never flickers: chance allows a
	 * handful of sets past 16 flows, not thousands, and none past 24. */
	assert_true(over <= 8);
	assert_true(max <= 24);
	free(h);
	free(load);
}

static void test_spread_v4(void **state)
{
	(void)state;
	spread(0);
}

static void test_spread_v6(void **state)
{
	(void)state;
	spread(1);
}

/* The tag is taken from other bits than the index: flows of one set must
 * not share tags more than chance says. */
static void test_tags_within_a_set(void **state)
{
	struct xlb_flow_key k;
	uint32_t tags[64];
	unsigned int n = 0, p, i, j, same = 0;

	(void)state;
	for (p = 0; p < (1u << 22) && n < 64; p++) {
		uint32_t h;

		flow(&k, 0, p >> 16, p & 0xffff);
		h = xlb_ct_hash(&k);
		if ((h & (SETS - 1)) == 12345)
			tags[n++] = xlb_ct_tag(h);
	}
	assert_true(n >= 8);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			same += tags[i] == tags[j];
	assert_int_equal(same, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_v4),
		cmocka_unit_test(test_spread_v6),
		cmocka_unit_test(test_tags_within_a_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
