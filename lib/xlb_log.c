// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_log.c - stderr lines with time, program and level (see xlb_log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "xlb_log.h"

static const char *log_prog = "xlb";
static enum xlb_log_level log_max = XLB_LOG_INFO;

static const char *const level_name[] = { "error", "warn", "info", "debug" };

void xlb_log_setup(const char *prog, enum xlb_log_level max)
{
	log_prog = prog;
	log_max = max;
}

int xlb_log_enabled(enum xlb_log_level level)
{
	return level <= log_max;
}

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char line[1024];
	va_list ap;

	if (level > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line: lines of concurrent threads do not mix. */
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s: %s\n", tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_prog,
		level_name[level], line);
}

double xlb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
