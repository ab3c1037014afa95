// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_bgpd_coalesce.c - bgpd-bridge's coalescing: a burst of readiness
 * changes is applied once, when quiet_ms pass without another change, and
 * never later than 4 * quiet_ms after its first change, so a steady
 * trickle cannot hold announcements back.  Time is simulated: the
 * functions take it as an argument.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../bgpd-bridge/coalesce.c"

/* Runs changes at the given times (ms, ascending) through a coalescer
 * checked every millisecond until end; records when each apply happened. */
static size_t simulate(unsigned int quiet, const double *changes, size_t n,
		       double end, double *applies, size_t max)
{
	struct bgpd_coalesce c;
	size_t k = 0, napplies = 0;

	coalesce_init(&c, quiet);
	for (double now = 1000; now <= end; now += 1) {
		while (k < n && changes[k] <= now)
			coalesce_note(&c, changes[k++]);
		if (coalesce_ready(&c, now)) {
			if (napplies < max)
				applies[napplies] = now;
			napplies++;
			coalesce_done(&c);
		}
	}
	return napplies;
}

static void test_one_change(void **state)
{
	struct bgpd_coalesce c;

	(void)state;
	coalesce_init(&c, 20);
	assert_false(coalesce_pending(&c));
	assert_true(coalesce_due(&c) == 0);
	coalesce_note(&c, 1000);
	assert_true(coalesce_pending(&c));
	assert_true(coalesce_due(&c) == 1020);
	assert_false(coalesce_ready(&c, 1019));
	assert_true(coalesce_ready(&c, 1020));
	coalesce_done(&c);
	assert_false(coalesce_pending(&c));
	assert_false(coalesce_ready(&c, 5000));
}

/* Ten changes in 9 ms: one apply, quiet_ms after the last. */
static void test_burst_is_one_apply(void **state)
{
	double changes[10], applies[4];

	(void)state;
	for (int i = 0; i < 10; i++)
		changes[i] = 1000 + i;
	assert_int_equal(simulate(20, changes, 10, 2000, applies, 4), 1);
	assert_true(applies[0] == 1029);
}

/* Two bursts further apart than quiet_ms: two applies. */
static void test_two_bursts(void **state)
{
	const double changes[] = { 1000, 1002, 1004, 1100, 1101 };
	double applies[4];

	(void)state;
	assert_int_equal(simulate(20, changes, 5, 2000, applies, 4), 2);
	assert_true(applies[0] == 1024);
	assert_true(applies[1] == 1121);
}

/* A change every 10 ms for a second: never quiet for 20 ms, yet every
 * change is applied at most 80 ms (4 * quiet) after it happened. */
static void test_trickle_is_capped(void **state)
{
	double changes[100], applies[64];
	size_t n, a = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		changes[i] = 1000 + 10 * i;
	n = simulate(20, changes, 100, 2100, applies, 64);
	assert_true(n >= 10 && n <= 14); /* not 100, not 1 */
	assert_true(applies[0] == 1080);
	for (int i = 0; i < 100; i++) {
		while (a < n && applies[a] < changes[i])
			a++;
		assert_true(a < n);
		assert_true(applies[a] - changes[i] <= 80);
	}
}

/* The first change after an apply starts a new burst with its own cap. */
static void test_cap_counts_from_first_change(void **state)
{
	struct bgpd_coalesce c;

	(void)state;
	coalesce_init(&c, 20);
	coalesce_note(&c, 1000);
	coalesce_note(&c, 1015);
	coalesce_note(&c, 1030);
	coalesce_note(&c, 1045);
	coalesce_note(&c, 1060);
	coalesce_note(&c, 1075);
	assert_true(coalesce_due(&c) == 1080); /* the cap, not 1095 */
	coalesce_done(&c);
	coalesce_note(&c, 1081);
	assert_true(coalesce_due(&c) == 1101);
}

/* 0 ms: every change is applied at once. */
static void test_zero_applies_at_once(void **state)
{
	const double changes[] = { 1000, 1001, 1002 };
	double applies[4];

	(void)state;
	assert_int_equal(simulate(0, changes, 3, 1100, applies, 4), 3);
	assert_true(applies[0] == 1000 && applies[2] == 1002);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_change),
		cmocka_unit_test(test_burst_is_one_apply),
		cmocka_unit_test(test_two_bursts),
		cmocka_unit_test(test_trickle_is_capped),
		cmocka_unit_test(test_cap_counts_from_first_change),
		cmocka_unit_test(test_zero_applies_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
