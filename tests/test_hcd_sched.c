// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_hcd_sched.c - hcd's scheduling (hcd/sched.c): the timer heap
 * always yields the earliest target through any mix of pushes, moves and
 * removals; first starts spread evenly over the interval (no herd when
 * 10,000 checks start together); later starts keep their phase, and a
 * start that fell behind skips the missed points instead of bunching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../hcd/hcd.h"

#define N 5000

static void test_heap_order(void **state)
{
	struct hcd_target *t = calloc(N, sizeof(*t));
	struct hcd_heap h = { 0 };
	uint64_t rng = 42, last = 0;
	size_t in = 0;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < N; i++) {
		t[i].heap_idx = UINT32_MAX;
		assert_int_equal(hcd_heap_push(&h, &t[i], hcd_rand(&rng) % 100000),
				 0);
		in++;
	}
	/* Move half, remove a fifth (a removed target leaves for good). */
	for (int i = 0; i < N; i += 2)
		hcd_heap_update(&h, &t[i], hcd_rand(&rng) % 100000);
	for (int i = 0; i < N; i += 5) {
		hcd_heap_remove(&h, &t[i]);
		assert_int_equal(t[i].heap_idx, UINT32_MAX);
		in--;
	}
	hcd_heap_remove(&h, &t[0]); /* twice: nothing happens */
	assert_int_equal(h.n, in);
	while (h.n) {
		struct hcd_target *top = hcd_heap_top(&h);

		assert_true(top->heap_at >= last);
		assert_true((top - t) % 5 != 0);
		last = top->heap_at;
		hcd_heap_remove(&h, top);
	}
	assert_null(hcd_heap_top(&h));
	hcd_heap_free(&h);
	free(t);
}

static void test_first_starts_spread(void **state)
{
	const uint32_t interval_ms = 5000;
	const uint64_t now = 1000000;
	unsigned int bins[10] = { 0 };
	uint64_t rng = 7;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t at = hcd_sched_first(now, interval_ms, &rng);

		assert_true(at >= now && at < now + interval_ms * 1000ULL);
		bins[(at - now) / (interval_ms * 100ULL)]++;
	}
	/* Every tenth of the interval gets 1,000 +- 15 %. */
	for (int b = 0; b < 10; b++)
		if (bins[b] < 850 || bins[b] > 1150)
			fail_msg("tenth %d of the interval holds %u of 10000 "
				 "first starts", b, bins[b]);
}

static void test_next_keeps_phase(void **state)
{
	(void)state;
	/* On time or a little late: one interval after the due time. */
	assert_int_equal(hcd_sched_next(10000000, 10000000, 2000), 12000000);
	assert_int_equal(hcd_sched_next(10000000, 10300000, 2000), 12000000);
	/* 5.5 intervals behind: the next point of the phase ahead of now,
	 * not five starts at once. */
	assert_int_equal(hcd_sched_next(10000000, 21000000, 2000), 22000000);
	assert_int_equal(hcd_sched_next(10000000, 22000000, 2000), 24000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_order),
		cmocka_unit_test(test_first_starts_spread),
		cmocka_unit_test(test_next_keeps_phase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
