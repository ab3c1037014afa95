// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bus.c - lbd's sockets in the runtime folder: HEALTH from hcd's `health`
 * publisher in, VIP_READY and REVISION out on `lbd` after every recorded
 * pass, requests on `lbd-ctl` (ctl.c).  Every frame is decoded before it
 * is used; a bad one is counted, logged (a few lines a second at most)
 * and dropped, and lbd goes on.
 *
 * hcd's sequence numbers tell lbd when it missed reports or hcd restarted;
 * it then asks `hcd-ctl` for a snapshot, without waiting for the answer
 * in the loop: when hcd-ctl is not there or does not answer in time, the
 * next batch brings what changed.  Nothing here ever marks a backend down
 * on its own: a silent hcd leaves the last known health in force, and a
 * restarted one changes only what it reports (a snapshot or a delta names
 * the backends it has results for; the others keep their last known
 * health).  Both are logged and shown in STATUS (ctl.c).
 *
 * A publisher numbers its messages from the wall clock in nanoseconds
 * (lib/xlb_msg.h), so a restarted hcd shows as a jump forward of about the
 * nanoseconds it was away: far more than any loss (XLB_MSG_SEQ_WINDOW).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lbd.h"
#include "xlb_errmsg.h"

#define SEND_MS       100   /* a publisher's send does not wait anyway */
#define SNAP_WAIT_MS  2000  /* for hcd-ctl to take and answer a request */
#define HCD_SILENT_MS 10000 /* default: then "keeping the last known health" */
#define LOG_PER_S     5     /* reject lines a second */
#define BUS_RETRY_MS  5000  /* sockets another process holds */
#define DRAIN_MAX     256   /* frames read from a socket in one turn */

int lbd_bus_open(const char *rundir, struct lbd_bus **out)
{
	struct lbd_bus *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	snprintf(b->rundir, sizeof(b->rundir), "%s",
		 rundir ? rundir : XLB_BUS_RUNDIR);
	b->seq = xlb_msg_seq_first();
	/* Serving sockets first: what another process holds fails here. */
	err = xlb_bus_pub_open(&b->pub, b->rundir, XLB_BUS_LBD);
	if (!err)
		err = xlb_bus_rep_open(&b->ctl, b->rundir, XLB_BUS_LBD_CTL);
	if (!err)
		err = xlb_bus_sub_open(&b->health, b->rundir, XLB_BUS_HEALTH);
	if (err) {
		lbd_bus_close(b);
		return err;
	}
	*out = b;
	return 0;
}

void lbd_bus_ensure(struct lbd *l)
{
	int err;

	if (l->bus || !l->want_bus || xlb_now_ms() < l->bus_retry_at)
		return;
	err = lbd_bus_open(l->rundir, &l->bus);
	if (!err) {
		xlb_log(XLB_LOG_INFO, "sockets open in %s", l->bus->rundir);
		l->bus_err = 0;
		return;
	}
	l->bus_retry_at = xlb_now_ms() + BUS_RETRY_MS;
	if (err != l->bus_err)
		xlb_log(XLB_LOG_ERR, "sockets: %s; applying the database without "
			"them, trying again every %d s", xlb_errmsg(),
			BUS_RETRY_MS / 1000);
	l->bus_err = err;
}

void lbd_bus_close(struct lbd_bus *b)
{
	if (!b)
		return;
	if (b->health.id)
		xlb_bus_close(b->health);
	if (b->ctl.id)
		xlb_bus_close(b->ctl);
	if (b->pub.id)
		xlb_bus_close(b->pub);
	if (b->hcd.id)
		xlb_bus_close(b->hcd);
	lbd_health_free(&b->hb);
	xlb_msg_buf_fini(&b->in);
	xlb_msg_buf_fini(&b->out);
	free(b);
}

uint64_t lbd_bus_rejected(const struct lbd_bus *b)
{
	uint64_t n = b->refused;

	for (int i = 0; i < XLB_MSG_R_MAX; i++)
		n += b->stats.rejected[i];
	return n;
}

void lbd_bus_log_reject(struct lbd_bus *b, const char *where,
			const char *why)
{
	double now = xlb_now_ms();

	if (now >= b->log_window + 1000) {
		if (b->log_dropped)
			xlb_log(XLB_LOG_WARN, "%llu more rejected messages not "
				"logged", (unsigned long long)b->log_dropped);
		b->log_window = now;
		b->log_lines = 0;
		b->log_dropped = 0;
	}
	if (b->log_lines++ < LOG_PER_S)
		xlb_log(XLB_LOG_WARN, "%s: message rejected: %s", where, why);
	else
		b->log_dropped++;
}

static void add_fd(struct xlb_bus s, struct pollfd *fds, int *n)
{
	int fd;

	if (s.id && !xlb_bus_fd(s, &fd))
		fds[(*n)++] = (struct pollfd){ .fd = fd, .events = POLLIN };
}

int lbd_bus_pollfds(struct lbd_bus *b, struct pollfd *fds)
{
	int n = 0;

	add_fd(b->health, fds, &n);
	add_fd(b->ctl, fds, &n);
	if (b->snap_sent)
		add_fd(b->hcd, fds, &n);
	return n;
}

double lbd_bus_due(const struct lbd_bus *b)
{
	double due = lbd_health_due(&b->hb), p = b->hb.persist_at;

	return p && (!due || p < due) ? p : due;
}

/* ---- out: VIP_READY and REVISION ------------------------------------------ */

static void publish_frame(struct lbd_bus *b)
{
	if (xlb_bus_send(b->pub, b->out.data, b->out.len, SEND_MS))
		xlb_log(XLB_LOG_WARN, "publishing: %s", xlb_errmsg());
}

static int vip_want(const struct lbd_vip *vip)
{
	return vip->nsvc ? vip->nready > 0 : -2;
}

/* VIP_READY deltas of the VIPs whose readiness changed ("gone": 0). */
static int publish_vips(struct lbd_bus *b, const struct lbd_state *st)
{
	size_t sent = 0;
	int err = 0;

	for (size_t i = 0; i < st->nvips && !err; i++) {
		const struct lbd_vip *vip = &st->vips[i];
		struct xlb_vip_ready v = { .addr = vip->addr,
					   .family = vip->family,
					   .ready = vip_want(vip) == 1 };

		if (vip_want(vip) == vip->published)
			continue;
		if (!sent++)
			err = xlb_msg_vips_begin(&b->out, b->seq++, false);
		if (!err)
			err = xlb_msg_vips_add(&b->out, &v);
		if (err == -EMSGSIZE) { /* full: send it, go on in another */
			publish_frame(b);
			err = xlb_msg_vips_begin(&b->out, b->seq++, false);
			if (!err)
				err = xlb_msg_vips_add(&b->out, &v);
		}
	}
	if (!err && sent)
		publish_frame(b);
	return err;
}

static void log_vips(const struct lbd_state *st, int64_t rev)
{
	for (size_t i = 0; i < st->nvips; i++) {
		const struct lbd_vip *vip = &st->vips[i];
		char text[XLB_ADDR_STRLEN];
		int want = vip_want(vip);

		if (want == vip->published)
			continue;
		xlb_addr_format(&vip->addr, vip->family, text, sizeof(text));
		xlb_log(XLB_LOG_INFO, "vip %s %s (revision %lld)", text,
			want == 1 ? "ready" : want == 0 ? "not ready" : "gone",
			(long long)rev);
	}
}

/* What was published (or, without sockets, logged) is what lbd holds. */
static void mark_published(struct lbd_state *st)
{
	for (size_t i = 0; i < st->nvips; i++)
		st->vips[i].published = vip_want(&st->vips[i]);
}

void lbd_publish(struct lbd *l, int64_t rev)
{
	struct lbd_bus *b = l->bus;
	int err;

	log_vips(&l->st, rev);
	if (!b) {
		mark_published(&l->st);
		return;
	}
	err = publish_vips(b, &l->st);
	mark_published(&l->st);
	if (!err)
		err = xlb_msg_revision_encode(&b->out, b->seq++, (__u64)rev);
	if (err) {
		xlb_log(XLB_LOG_ERR, "publishing: %s", xlb_errmsg());
		return;
	}
	publish_frame(b);
}

/* ---- in: HEALTH from hcd ---------------------------------------------------- */

/* A request in flight may be answered before the loss it must cover:
 * then another follows its reply. */
static void want_snapshot(struct lbd_bus *b)
{
	if (b->snap_sent)
		b->snap_again = true;
	else if (!b->snap_since)
		b->snap_since = xlb_now_ms();
}

static void hcd_restarted(struct lbd_bus *b)
{
	xlb_log(XLB_LOG_WARN, "health: hcd restarted; keeping the last known "
		"health of every backend until hcd reports it");
	b->restarted = true;
	want_snapshot(b);
}

/* What the sequence number says; false: already covered, skip. */
static bool seq_ok(struct lbd_bus *b, const struct xlb_msg *msg)
{
	__u64 last = b->hcd_seq.last;
	int ev = xlb_msg_seq_check(&b->hcd_seq, msg->seq, &b->stats);

	/* Beyond any loss: a new publisher (see the top of the file). */
	if (ev == XLB_SEQ_GAP && msg->seq - last > XLB_MSG_SEQ_WINDOW)
		ev = XLB_SEQ_RESTART;
	switch (ev) {
	case XLB_SEQ_STALE:
		return false;
	case XLB_SEQ_FIRST:
		xlb_log(XLB_LOG_INFO, "health: hearing hcd (sequence %llu)",
			(unsigned long long)msg->seq);
		want_snapshot(b);
		break;
	case XLB_SEQ_GAP:
		xlb_log(XLB_LOG_WARN, "health: %llu messages from hcd lost; "
			"asking for a snapshot",
			(unsigned long long)(msg->seq - last - 1));
		want_snapshot(b);
		break;
	case XLB_SEQ_RESTART:
		hcd_restarted(b);
		break;
	}
	return true;
}

static void take_health(struct lbd_bus *b, const struct xlb_msg *msg,
			const char *where)
{
	int err = lbd_health_take(&b->hb, msg);

	if (err) /* decoded whole, so only memory can fail here */
		xlb_log(XLB_LOG_ERR, "%s: %s", where, xlb_errmsg());
}

static void on_health(struct lbd_bus *b)
{
	struct xlb_msg msg;
	int err = xlb_msg_decode(b->in.data, b->in.len, &msg, &b->stats);

	if (!err && msg.type != XLB_MSG_HEALTH) {
		b->refused++;
		err = xlb_errmsg_set(-ENOMSG, "a %s message on the health "
				     "socket", xlb_msg_type_name(msg.type));
	}
	if (err) {
		lbd_bus_log_reject(b, "health", xlb_errmsg());
		return;
	}
	if (b->silent)
		xlb_log(XLB_LOG_INFO, "health: hcd heard again");
	b->silent = false;
	b->heard_ms = xlb_now_ms();
	if (!seq_ok(b, &msg))
		return;
	take_health(b, &msg, "health");
	if (msg.batch.count) {
		b->hcd_changed = msg.seq;
		b->restarted = false; /* it has results again */
	}
}

/* At most DRAIN_MAX a turn: a flood still lets a due batch through. */
static void drain_health(struct lbd_bus *b)
{
	for (int i = 0; i < DRAIN_MAX; i++) {
		if (xlb_bus_recv(b->health, &b->in, 0))
			return;
		on_health(b);
	}
}

/* ---- SNAPSHOT_HEALTH from hcd-ctl, never waited for ----------------------- */

static void snap_done(struct lbd_bus *b)
{
	b->snap_sent = false;
	b->snap_since = b->snap_again ? xlb_now_ms() : 0;
	b->snap_again = false;
}

static void snap_give_up(struct lbd_bus *b, const char *why)
{
	xlb_log(XLB_LOG_INFO, "health: %s; waiting for the next batch", why);
	b->snap_again = false;
	snap_done(b);
}

static void snap_send(struct lbd_bus *b)
{
	char path[256];
	struct stat sb;
	int err;

	if (xlb_bus_path(b->rundir, XLB_BUS_HCD_CTL, path, sizeof(path)) < 0 ||
	    stat(path, &sb)) {
		snap_give_up(b, "no hcd-ctl to ask for a snapshot");
		return;
	}
	if (!b->hcd.id && xlb_bus_req_open(&b->hcd, b->rundir,
					  XLB_BUS_HCD_CTL)) {
		snap_give_up(b, xlb_errmsg());
		return;
	}
	err = xlb_msg_request_encode(&b->out, b->seq - 1,
				     XLB_MSG_SNAPSHOT_HEALTH_REQ);
	/* 0 ms: not connected yet is tried again at the next turn. */
	if (!err)
		err = xlb_bus_send(b->hcd, b->out.data, b->out.len, 0);
	if (!err) {
		b->snap_sent = true;
		b->snap_since = xlb_now_ms();
	} else if (err != -ETIMEDOUT && err != -EAGAIN) {
		snap_give_up(b, xlb_errmsg());
	}
}

static void snap_reply(struct lbd_bus *b)
{
	struct xlb_msg msg;
	bool older;
	int err = xlb_msg_decode(b->in.data, b->in.len, &msg, &b->stats);

	snap_done(b);
	if (!err && msg.type == XLB_MSG_ERROR) {
		snap_give_up(b, "hcd-ctl refused the snapshot request");
		xlb_log(XLB_LOG_INFO, "hcd-ctl: %s", msg.error.text);
		return;
	}
	if (!err && (msg.type != XLB_MSG_HEALTH || !msg.batch.snapshot)) {
		b->refused++;
		err = xlb_errmsg_set(-ENOMSG, "a %s message in reply to "
				     "SNAPSHOT_HEALTH",
				     xlb_msg_type_name(msg.type));
	}
	if (err) {
		lbd_bus_log_reject(b, "hcd-ctl", xlb_errmsg());
		return;
	}
	older = b->hcd_seq.known && msg.seq < b->hcd_seq.last &&
		b->hcd_seq.last - msg.seq < XLB_MSG_SEQ_WINDOW;
	/* Older than a report already taken: it would undo it.  Older than
	 * heartbeats only: it still says everything. */
	if (older && msg.seq < b->hcd_changed) {
		xlb_log(XLB_LOG_INFO, "health: snapshot older than the last "
			"report; asking again");
		want_snapshot(b);
		return;
	}
	xlb_log(XLB_LOG_INFO, "health: snapshot of %u backends from hcd",
		msg.batch.count);
	if (msg.batch.count)
		b->restarted = false;
	if (!older)
		xlb_msg_seq_reset(&b->hcd_seq, msg.seq);
	take_health(b, &msg, "hcd-ctl");
}

static void snapshot_step(struct lbd_bus *b)
{
	if (!b->snap_since)
		return;
	if (b->snap_sent && !xlb_bus_recv(b->hcd, &b->in, 0)) {
		snap_reply(b);
		return;
	}
	if (xlb_now_ms() - b->snap_since > SNAP_WAIT_MS) {
		snap_give_up(b, "hcd-ctl did not answer");
		return;
	}
	if (!b->snap_sent)
		snap_send(b);
}

static void silence_check(struct lbd *l)
{
	struct lbd_bus *b = l->bus;
	int quiet = l->hcd_quiet_ms > 0 ? l->hcd_quiet_ms : HCD_SILENT_MS;

	if (!b->heard_ms || b->silent || xlb_now_ms() - b->heard_ms < quiet)
		return;
	b->silent = true;
	xlb_log(XLB_LOG_WARN, "health: nothing from hcd for %.1f s; keeping the "
		"last known health of every backend, readiness as it is",
		quiet / 1000.0);
}

enum xlb_hcd_state lbd_bus_hcd_state(const struct lbd_bus *b)
{
	if (!b->heard_ms)
		return XLB_HCD_UNHEARD;
	if (b->silent)
		return XLB_HCD_SILENT;
	return b->restarted ? XLB_HCD_RESTARTED : XLB_HCD_LIVE;
}

void lbd_bus_work(struct lbd *l)
{
	struct lbd_bus *b = l->bus;
	double due;

	drain_health(b);
	snapshot_step(b);
	lbd_ctl_serve(l);
	due = lbd_health_due(&b->hb);
	if (due && xlb_now_ms() >= due && lbd_health_flush(l))
		xlb_log(XLB_LOG_ERR, "health: %s (retrying)", xlb_errmsg());
	if (lbd_health_persist_due(&b->hb, xlb_now_ms()) &&
	    lbd_health_persist(l))
		xlb_log(XLB_LOG_ERR, "backend_health: %s (retrying)",
			xlb_errmsg());
	silence_check(l);
}
