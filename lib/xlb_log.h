/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_log.h - how xlb's daemons log: one line per event on stderr,
 * "HH:MM:SS.mmm PROGRAM LEVEL: text".  systemd's journal adds its own time
 * stamp; ours keeps milliseconds for tests and foreground runs.  Each line
 * is one write, so lines of concurrent threads never mix.
 */
#ifndef XLB_LOG_H
#define XLB_LOG_H

enum xlb_log_level { XLB_LOG_ERR, XLB_LOG_WARN, XLB_LOG_INFO, XLB_LOG_DEBUG };

/* The program name in every line and the most detailed level written
 * (default "xlb" and XLB_LOG_INFO).  Call once, before threads start. */
void xlb_log_setup(const char *prog, enum xlb_log_level max);

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whether lines of this level are written (skip building costly text). */
int xlb_log_enabled(enum xlb_log_level level);

/* Milliseconds of CLOCK_MONOTONIC, for durations in log lines. */
double xlb_now_ms(void);

#endif /* XLB_LOG_H */
