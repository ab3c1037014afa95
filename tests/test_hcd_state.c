// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_hcd_state.c - hcd's rise/fall state machine (hcd/state.c): a
 * verdict needs `rise` successes or `fall` failures in a row, from the
 * start as after each change; a broken run starts counting again; and a
 * key checked through several targets combines their verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../hcd/hcd.h"

/* Feeds a string of results ('+' ok, '-' failed); returns the verdicts
 * after each as a string of 'u', 'U' (up), 'D' (down). */
static void run(struct hcd_rf *s, const char *results, unsigned int rise,
		unsigned int fall, char *verdicts, int *changes)
{
	static const char name[] = { 'u', 'U', 'D' };
	size_t i;

	*changes = 0;
	for (i = 0; results[i]; i++) {
		*changes += hcd_rf_feed(s, results[i] == '+', rise, fall);
		verdicts[i] = name[s->verdict];
	}
	verdicts[i] = 0;
}

static void check(const char *results, unsigned int rise, unsigned int fall,
		  const char *want, int want_changes)
{
	struct hcd_rf s = { 0 };
	char got[64];
	int changes;

	run(&s, results, rise, fall, got, &changes);
	if (strcmp(got, want) || changes != want_changes)
		fail_msg("results %s rise %u fall %u: verdicts %s (%d changes),"
			 " want %s (%d)", results, rise, fall, got, changes,
			 want, want_changes);
}

static void test_undecided_until_rise_or_fall(void **state)
{
	(void)state;
	check("++", 2, 3, "uU", 1);
	check("---", 2, 3, "uuD", 1);
	check("+-+-+-", 2, 3, "uuuuuu", 0); /* never settles */
	check("+", 1, 1, "U", 1);
	check("-", 1, 1, "D", 1);
}

static void test_fall_needs_consecutive_failures(void **state)
{
	(void)state;
	check("++--+---", 2, 3, "uUUUUUUD", 2);
	check("++-+-+-+", 2, 2, "uUUUUUUU", 1);
	check("++---", 2, 3, "uUUUD", 2);
}

static void test_rise_needs_consecutive_successes(void **state)
{
	(void)state;
	check("---+-++", 2, 3, "uuDDDDU", 2);
	check("---+-+-+++", 3, 3, "uuDDDDDDDU", 2);
}

static void test_flap_every_probe_with_one_one(void **state)
{
	(void)state;
	check("+-+-", 1, 1, "UDUD", 4);
}

static void test_counters_saturate(void **state)
{
	struct hcd_rf s = { 0 };

	(void)state;
	for (int i = 0; i < 1000; i++)
		hcd_rf_feed(&s, true, 100, 100);
	assert_int_equal(s.verdict, HCD_UP);
	assert_int_equal(s.oks, 255);
	/* 99 failures do not take it down with fall 100; the 100th does. */
	for (int i = 0; i < 99; i++)
		assert_false(hcd_rf_feed(&s, false, 100, 100));
	assert_int_equal(s.verdict, HCD_UP);
	assert_true(hcd_rf_feed(&s, false, 100, 100));
	assert_int_equal(s.verdict, HCD_DOWN);
}

static void test_combine(void **state)
{
	(void)state;
	assert_int_equal(hcd_verdict_combine(HCD_UP, HCD_UP), HCD_UP);
	assert_int_equal(hcd_verdict_combine(HCD_UP, HCD_DOWN), HCD_DOWN);
	assert_int_equal(hcd_verdict_combine(HCD_DOWN, HCD_UP), HCD_DOWN);
	assert_int_equal(hcd_verdict_combine(HCD_UNKNOWN, HCD_UP), HCD_UNKNOWN);
	assert_int_equal(hcd_verdict_combine(HCD_UP, HCD_UNKNOWN), HCD_UNKNOWN);
	assert_int_equal(hcd_verdict_combine(HCD_UNKNOWN, HCD_DOWN), HCD_DOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undecided_until_rise_or_fall),
		cmocka_unit_test(test_fall_needs_consecutive_failures),
		cmocka_unit_test(test_rise_needs_consecutive_successes),
		cmocka_unit_test(test_flap_every_probe_with_one_one),
		cmocka_unit_test(test_counters_saturate),
		cmocka_unit_test(test_combine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
