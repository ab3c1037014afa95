// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * log.c - one line per event on stderr: time, level, text (as lbd's), and
 * the monotonic clock every schedule is kept in.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "hcd.h"

static enum hcd_level max_level = HCD_INFO;

static const char *const level_name[] = { "error", "warn", "info", "debug" };

void hcd_log_level(enum hcd_level max)
{
	max_level = max;
}

void hcd_log(enum hcd_level level, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: lines of concurrent threads do not mix. */
	fprintf(stderr, "%02d:%02d:%02d.%03ld hcd %s: %s\n", tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_name[level],
		line);
}

uint64_t hcd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
