// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * log.c - one line per event on stderr: time, level, text, as lbd and hcd
 * write them.  systemd's journal adds its own time stamp; ours keeps
 * milliseconds for tests and foreground runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "bgpd.h"

static enum bgpd_level max_level = BGPD_INFO;

static const char *const level_name[] = { "error", "warn", "info", "debug" };

void bgpd_log_level(enum bgpd_level max)
{
	max_level = max;
}

void bgpd_log(enum bgpd_level level, const char *fmt, ...)
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
	fprintf(stderr, "%02d:%02d:%02d.%03ld bgpd-bridge %s: %s\n", tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_name[level],
		line);
}

double bgpd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
