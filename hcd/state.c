// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * state.c - the rise/fall state machine: a backend is declared up after
 * `rise` consecutive successes and down after `fall` consecutive failures,
 * so one lost probe does not move traffic, and one lucky answer does not
 * bring back a backend that keeps failing.
 */
#include "hcd.h"

static uint8_t bump(uint8_t n)
{
	return n < UINT8_MAX ? n + 1 : n;
}

bool hcd_rf_feed(struct hcd_rf *s, bool ok, unsigned int rise,
		 unsigned int fall)
{
	uint8_t before = s->verdict;

	if (ok) {
		s->fails = 0;
		s->oks = bump(s->oks);
		if (s->verdict != HCD_UP && s->oks >= rise)
			s->verdict = HCD_UP;
	} else {
		s->oks = 0;
		s->fails = bump(s->fails);
		if (s->verdict != HCD_DOWN && s->fails >= fall)
			s->verdict = HCD_DOWN;
	}
	return s->verdict != before;
}

enum hcd_verdict hcd_verdict_combine(enum hcd_verdict a, enum hcd_verdict b)
{
	if (a == HCD_DOWN || b == HCD_DOWN)
		return HCD_DOWN;
	if (a == HCD_UNKNOWN || b == HCD_UNKNOWN)
		return HCD_UNKNOWN;
	return HCD_UP;
}
