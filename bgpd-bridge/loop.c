// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * loop.c - the one loop: lbd's sockets, the datapath check every
 * ATTACH_POLL_MS, the coalescing timer, retries and the resync tick, in
 * one poll().  Every path that could change what is announced ends in
 * reconcile(), which computes the one desired set:
 *
 *   datapath not attached           -> nothing
 *   attached, lbd's set not known   -> leave the daemon as it is
 *   attached, set known             -> the VIPs lbd says are ready
 *
 * so "lbd gone" needs no case of its own: its last set stays known and
 * the datapath check alone can take it away.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "bgpd.h"
#include "xlb_errmsg.h"
#include "xlb_notify.h"

#define ATTACH_POLL_MS 200   /* detach -> withdrawal within this much */
#define RETRY_MIN_MS   1000  /* a failed apply, tried again, doubling */
#define RETRY_MAX_MS   30000
#define DIFF_LOG_MAX   16    /* announce/withdraw lines per change */

/* systemd's watchdog, pinged from the loop and between the exchanges of
 * a long apply (FRR's batches, a slow BIRD configure), so a big change is
 * not taken for a hang. */
static double next_watchdog_ms;

int bgpd_bridge_open(struct bgpd_bridge *br, const struct bgpd_opts *o)
{
	br->o = o;
	br->attached = -1;
	br->retry_ms = RETRY_MIN_MS;
	coalesce_init(&br->co, o->coalesce_ms);
	vipset_init(&br->want);
	vipset_init(&br->applied);
	return ready_open(&br->ready, o->rundir);
}

void bgpd_bridge_close(struct bgpd_bridge *br)
{
	ready_close(&br->ready);
	if (br->backend)
		br->backend->free(br->backend);
	br->backend = NULL;
	vipset_free(&br->want);
	vipset_free(&br->applied);
}

/* ---- the datapath --------------------------------------------------------- */

static void look_at_datapath(struct bgpd_bridge *br, double now)
{
	char ifname[sizeof(br->ifname)] = "";
	int n;

	if (now < br->next_attach_ms)
		return;
	br->next_attach_ms = now + ATTACH_POLL_MS;
	n = datapath_attached(br->o->pin_dir, ifname, sizeof(ifname));
	if (n < 0) { /* cannot tell: nothing changes */
		if (n != br->dp_err)
			xlb_log(XLB_LOG_WARN, "datapath: %s", xlb_errmsg());
		br->dp_err = n;
		return;
	}
	br->dp_err = 0;
	if (br->attached == (n > 0))
		return;
	if (n > 0)
		xlb_log(XLB_LOG_INFO, "datapath attached (%s under %s)", ifname,
			 br->o->pin_dir);
	else
		xlb_log(XLB_LOG_INFO, "datapath not attached (no XDP link under "
			 "%s): nothing is announced", br->o->pin_dir);
	snprintf(br->ifname, sizeof(br->ifname), "%s", ifname);
	br->attached = n > 0;
	coalesce_note(&br->co, now);
}

/* ---- reconcile --------------------------------------------------------------- */

/* NULL: leave the daemon as it is. */
static const struct bgpd_vipset *desired(struct bgpd_bridge *br)
{
	if (br->attached < 0)
		return NULL;
	vipset_clear(&br->want);
	if (!br->attached)
		return &br->want;
	if (!br->ready.known)
		return NULL;
	if (vipset_copy(&br->want, &br->ready.ready))
		return NULL; /* out of memory: try at the next change */
	return &br->want;
}

/* What a successful apply changed, for the operator. */
static void log_diff(const struct bgpd_vipset *from,
		     const struct bgpd_vipset *to, const char *verb)
{
	char prefix[XLB_PREFIX_STRLEN];
	size_t lines = 0, more = 0;

	for (size_t i = 0; i < to->n; i++) {
		if (vipset_has(from, &to->v[i].addr, to->v[i].family))
			continue;
		if (lines++ >= DIFF_LOG_MAX) {
			more++;
			continue;
		}
		vipset_prefix(&to->v[i], prefix, sizeof(prefix));
		xlb_log(XLB_LOG_INFO, "%s %s", verb, prefix);
	}
	if (more)
		xlb_log(XLB_LOG_INFO, "%s %zu more", verb, more);
}

static void applied(struct bgpd_bridge *br, const struct bgpd_vipset *set)
{
	char status[96];

	log_diff(&br->applied, set, "announcing");
	log_diff(set, &br->applied, "withdrawing");
	if (vipset_copy(&br->applied, set))
		vipset_clear(&br->applied); /* only the log's diff suffers */
	if (br->last_err)
		xlb_log(XLB_LOG_INFO, "%s took the set again",
			 br->backend->name);
	br->last_err = 0;
	br->retry_at = 0;
	br->retry_ms = RETRY_MIN_MS;
	snprintf(status, sizeof(status), "STATUS=announcing %zu VIPs through "
		 "%s", set->n, br->backend->name);
	xlb_notify(status);
}

static void failed(struct bgpd_bridge *br, int err, double now)
{
	if (err != br->last_err || br->retry_ms >= RETRY_MAX_MS)
		xlb_log(XLB_LOG_ERR, "%s: %s (trying again in %u s)",
			 br->backend->name, xlb_errmsg(), br->retry_ms / 1000);
	br->last_err = err;
	br->retry_at = now + br->retry_ms;
	br->retry_ms = br->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
							 br->retry_ms * 2;
}

static void reconcile(struct bgpd_bridge *br, double now, bool force)
{
	const struct bgpd_vipset *set = desired(br);
	int err;

	if (!set) {
		br->retry_at = 0; /* nothing to retry until something is known */
		return;
	}
	err = br->backend->apply(br->backend, set, force);
	if (err)
		failed(br, err, now);
	else
		applied(br, set);
}

/* ---- the loop ------------------------------------------------------------------ */

static double earliest(double a, double b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static int wait_ms(const struct bgpd_bridge *br, double now)
{
	double until = br->next_attach_ms;

	until = earliest(until, coalesce_due(&br->co));
	until = earliest(until, br->retry_at);
	until = earliest(until, br->next_resync_ms);
	until = earliest(until, ready_due(&br->ready));
	until = earliest(until, next_watchdog_ms);
	return until > now ? (int)(until - now) + 1 : 0;
}

void bgpd_alive(void)
{
	unsigned long wd = xlb_notify_watchdog_ms();
	double now = xlb_now_ms();

	if (wd && now >= next_watchdog_ms) {
		xlb_notify("WATCHDOG=1");
		next_watchdog_ms = now + wd;
	}
}

static void turn(struct bgpd_bridge *br, double now)
{
	look_at_datapath(br, now);
	if (ready_work(&br->ready, now))
		coalesce_note(&br->co, now);
	if (coalesce_ready(&br->co, now)) {
		coalesce_done(&br->co);
		reconcile(br, now, false);
	} else if (!coalesce_pending(&br->co) && br->retry_at &&
		   now >= br->retry_at) {
		reconcile(br, now, true);
	}
	if (now >= br->next_resync_ms) {
		br->next_resync_ms = now + br->o->resync_s * 1000.0;
		if (!coalesce_pending(&br->co) && !br->retry_at)
			reconcile(br, now, true);
	}
	bgpd_alive();
}

void bgpd_bridge_run(struct bgpd_bridge *br, volatile sig_atomic_t *stop)
{
	double now = xlb_now_ms();
	struct pollfd pfd[2];
	int fds[2];

	look_at_datapath(br, now);
	br->next_resync_ms = now + br->o->resync_s * 1000.0;
	xlb_log(XLB_LOG_INFO, "following lbd in %s through %s",
		 br->ready.rundir, br->backend->name);
	xlb_notify("READY=1");
	while (!*stop) {
		int n;

		turn(br, xlb_now_ms());
		n = ready_pollfds(&br->ready, fds);
		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i],
						  .events = POLLIN };
		/* A signal cuts the wait short: the loop checks. */
		if (poll(pfd, (nfds_t)n, wait_ms(br, xlb_now_ms())) < 0 &&
		    errno != EINTR) {
			xlb_log(XLB_LOG_ERR, "poll: %s", strerror(errno));
			return;
		}
	}
}

void bgpd_bridge_stop(struct bgpd_bridge *br)
{
	struct bgpd_vipset none;
	int err;

	xlb_notify("STOPPING=1");
	if (br->o->keep_routes) {
		xlb_log(XLB_LOG_INFO, "stopping; --keep-routes: %s keeps what "
			 "it announces", br->backend->name);
		return;
	}
	vipset_init(&none);
	err = br->backend->apply(br->backend, &none, true);
	if (err) {
		xlb_log(XLB_LOG_ERR, "stopping; withdrawing: %s", xlb_errmsg());
		return;
	}
	log_diff(&none, &br->applied, "withdrawing");
	xlb_log(XLB_LOG_INFO, "stopping; %s announces no VIP of ours",
		 br->backend->name);
}
