// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * loop.c - the one loop: watch PRAGMA data_version (one page read, moves
 * when any other connection commits), read the revisions after the applied
 * one, and reconcile the services they name in one pass.  A node or health
 * check change may touch everything: a full pass.  Between two looks at
 * the database, lbd waits in poll() on its sockets (bus.c), so a message
 * is handled when it arrives, not at the next tick.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lbd.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_notify.h"

/* After a failed pass, try again this much later (not at every poll). */
#define RETRY_MS 1000

struct changes {
	char **keys;
	size_t n, cap;
	bool full;
	int64_t last;
};

/* "vip proto port ..." -> "vip proto port". */
static char *service_of(const char *key)
{
	const char *p = key;

	for (int spaces = 0; *p; p++)
		if (*p == ' ' && ++spaces == 3)
			break;
	return strndup(key, (size_t)(p - key));
}

static int collect(const struct xlb_db_rev *rev, void *arg)
{
	struct changes *c = arg;

	c->last = rev->rev;
	if (strcmp(rev->tbl, "service") && strcmp(rev->tbl, "backend")) {
		c->full = true; /* node or health_check */
		return 0;
	}
	if (c->full)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **k = realloc(c->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		c->keys = k;
		c->cap = cap;
	}
	c->keys[c->n] = service_of(rev->key);
	if (!c->keys[c->n])
		return -ENOMEM;
	c->n++;
	return 0;
}

static void log_pass(const char *what, int64_t rev,
		     const struct lbd_pass_stats *ps)
{
	xlb_log(XLB_LOG_INFO, "%s revision %lld: %zu services, %llu map writes, "
		"%zu rejects, %.1f ms, %zu tables built (%zu into spares)",
		what, (long long)rev, ps->services,
		(unsigned long long)ps->writes, ps->rejects, ps->ms,
		ps->tables, ps->spares);
}

int lbd_catch_up(struct lbd *l)
{
	struct changes c = { .last = l->applied_rev };
	struct lbd_pass_stats ps;
	int err = xlb_db_revisions_after(l->db, l->applied_rev, collect, &c);

	if (!err && c.last != l->applied_rev) {
		c.n = lbd_keys_unique(c.keys, c.n);
		if (c.full)
			err = lbd_reconcile_full(l, c.last, &ps);
		else
			err = lbd_reconcile_keys(l, c.keys, c.n, c.last, &ps);
		if (!err) {
			l->applied_rev = c.last;
			log_pass("applied", c.last, &ps);
		}
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.keys[i]);
	free(c.keys);
	return err;
}

void lbd_log_status(const struct lbd *l)
{
	const struct lbd_state *st = &l->st;
	size_t svcs = 0, entries = 0, vips = 0, ready = 0;

	for (uint32_t id = 1; id <= st->m.max_svc_id; id++) {
		svcs += st->svc[id].live;
		entries += st->svc[id].nbe;
	}
	for (size_t i = 0; i < st->nvips; i++) {
		vips += st->vips[i].nsvc > 0;
		ready += st->vips[i].nready > 0;
	}
	static const char *const hcd[XLB_HCD_MAX] = {
		[XLB_HCD_UNHEARD] = "not heard yet",
		[XLB_HCD_LIVE] = "live",
		[XLB_HCD_SILENT] = "silent (last known health kept)",
		[XLB_HCD_RESTARTED] = "restarted (last known health kept)",
	};

	xlb_log(XLB_LOG_INFO, "status: revision %lld, %zu services, %zu backend "
		"entries, %zu VIPs (%zu ready), %llu map writes since start, "
		"%llu messages rejected, %zu services in panic, hcd %s",
		(long long)l->applied_rev, svcs, entries, vips, ready,
		(unsigned long long)st->writes,
		(unsigned long long)(l->bus ? lbd_bus_rejected(l->bus) : 0),
		st->npanic, hcd[l->bus ? lbd_bus_hcd_state(l->bus) : 0]);
}

/* Whether the database moved (or a failed pass is due again): then
 * applies what is new. */
static void poll_db(struct lbd *l, int64_t *seen, double *retry_at)
{
	int64_t dv;
	int err = xlb_db_data_version(l->db, &dv);

	if (!err && (dv != *seen || (*retry_at && xlb_now_ms() >= *retry_at))) {
		*seen = dv;
		err = lbd_catch_up(l);
		*retry_at = err ? xlb_now_ms() + RETRY_MS : 0;
	}
	if (err)
		xlb_log(XLB_LOG_ERR, "%s (retrying)", xlb_errmsg());
}

/* Until the next database poll, the bus's or the watchdog's deadline. */
static int wait_ms(const struct lbd *l, double next_db, double ping_at)
{
	double now = xlb_now_ms(), until = next_db, due;

	due = l->bus ? lbd_bus_due(l->bus) : 0;
	if (due && due < until)
		until = due;
	if (ping_at && ping_at < until)
		until = ping_at;
	return until > now ? (int)(until - now) + 1 : 0;
}

/* WATCHDOG=1 every xlb_notify_watchdog_ms(): the loop turns. */
static void watchdog(double *ping_at)
{
	unsigned long every = xlb_notify_watchdog_ms();

	if (!every || xlb_now_ms() < *ping_at)
		return;
	if (xlb_notify("WATCHDOG=1"))
		xlb_log(XLB_LOG_WARN, "systemd: %s", xlb_errmsg());
	*ping_at = xlb_now_ms() + (double)every;
}

struct idle {
	uint64_t writes;  /* st->writes when last looked at */
	double since;     /* ... and since when it has not moved */
	int err;          /* last failure, logged once */
};

/* Quiet for a while: spare tables for the next new services (a kernel
 * wait on a helper thread now, none when they come). */
static void idle_work(struct lbd *l, struct idle *id)
{
	double now = xlb_now_ms();
	int err;

	if (l->st.writes != id->writes) {
		id->writes = l->st.writes;
		id->since = now;
	}
	if (now - id->since < LBD_SPARE_IDLE_MS ||
	    (l->bus && lbd_bus_due(l->bus)))
		return;
	err = lbd_spares_step(&l->st);
	if (err && err != id->err)
		xlb_log(XLB_LOG_WARN, "spare tables: %s", xlb_errmsg());
	if (err) /* not again at every turn */
		id->since = now + 10000;
	id->err = err;
}

int lbd_loop(struct lbd *l, struct lbd_signals *sig)
{
	int64_t seen = -1;
	struct idle idle = { .since = xlb_now_ms() };
	double retry_at = 0, next_db = 0, ping_at = 0;
	struct pollfd fds[3];

	while (!sig->stop) {
		int n;

		watchdog(&ping_at);
		if (xlb_now_ms() >= next_db) {
			poll_db(l, &seen, &retry_at);
			next_db = xlb_now_ms() + LBD_POLL_MS;
		}
		if (sig->status) {
			sig->status = 0;
			lbd_log_status(l);
		}
		lbd_bus_ensure(l);
		n = l->bus ? lbd_bus_pollfds(l->bus, fds) : 0;
		/* A signal cuts the wait short: the loop checks. */
		if (poll(fds, (nfds_t)n, wait_ms(l, next_db, ping_at)) < 0 &&
		    errno != EINTR) {
			xlb_log(XLB_LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if (l->bus)
			lbd_bus_work(l);
		idle_work(l, &idle);
	}
	return 0;
}
