// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats.c - the counters every worker adds to (atomics: no lock on the
 * probe path) and the one line SIGUSR1 and exit print.
 */
#include <stdio.h>

#include "hcd.h"

void hcd_stats_max(atomic_uint_fast64_t *a, uint64_t v)
{
	uint_fast64_t cur = atomic_load(a);

	while (v > cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

void hcd_stats_line(const struct hcd_stats *s, char *buf, size_t len)
{
	snprintf(buf, len, "hcd stats: checks=%llu probes=%llu up=%llu "
		 "down=%llu timeouts=%llu inflight=%llu inflight_max=%llu "
		 "cap=%llu late_ms_max=%llu",
		 (unsigned long long)atomic_load(&s->checks),
		 (unsigned long long)atomic_load(&s->probes),
		 (unsigned long long)atomic_load(&s->up),
		 (unsigned long long)atomic_load(&s->down),
		 (unsigned long long)atomic_load(&s->timeouts),
		 (unsigned long long)atomic_load(&s->inflight),
		 (unsigned long long)atomic_load(&s->inflight_max),
		 (unsigned long long)s->cap,
		 (unsigned long long)(atomic_load(&s->late_us_max) / 1000));
}
