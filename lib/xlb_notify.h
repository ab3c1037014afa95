/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_notify.h - tell systemd how a daemon is doing (Type=notify units),
 * speaking sd_notify's datagram protocol directly so the daemons do not
 * link libsystemd.
 *
 * Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op returning 0,
 * so a daemon calls these unconditionally:
 *
 *   xlb_notify("READY=1");                  once serving
 *   if (now >= next_ping) xlb_notify("WATCHDOG=1");
 *   xlb_notify("STOPPING=1");               on SIGTERM
 *   xlb_notify("STATUS=applied revision 42"); any time
 *
 * xlb_notify_watchdog_ms() gives the interval to ping at: half of the
 * unit's WatchdogSec (systemd's advice), or 0 when no watchdog is asked
 * for or it is meant for another process ($WATCHDOG_PID).
 */
#ifndef XLB_NOTIFY_H
#define XLB_NOTIFY_H

/* Sends state ("READY=1", lines separated by '\n').  0, or a negative
 * errno with xlb_errmsg() set; a daemon logs a failure and goes on. */
int xlb_notify(const char *state);

/* Half the watchdog timeout in milliseconds, 0 if there is none. */
unsigned long xlb_notify_watchdog_ms(void);

#endif /* XLB_NOTIFY_H */
