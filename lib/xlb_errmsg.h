/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_errmsg.h - the detail behind a failed library call.
 *
 * Library functions return a negative errno; an errno alone cannot say which
 * field or map was wrong.  Before returning an error they record one line
 * here ("services=70000 exceeds the maximum 65536"), which the caller may
 * print.  The text is per thread and stays valid until the next failure in
 * the same thread.
 */
#ifndef XLB_ERRMSG_H
#define XLB_ERRMSG_H

/* The detail of the last failure in this thread, "" if none was recorded. */
const char *xlb_errmsg(void);

/* Records the detail and returns err unchanged, so a failure path reads
 * `return xlb_errmsg_set(-EINVAL, "...", ...);`. */
int xlb_errmsg_set(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forgets the recorded detail (callers that retry after an error). */
void xlb_errmsg_clear(void);

#endif /* XLB_ERRMSG_H */
