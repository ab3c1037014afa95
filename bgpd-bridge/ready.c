// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ready.c - which VIPs lbd says are ready, from its `lbd` publisher
 * (VIP_READY deltas after each pass, REVISION) and its `lbd-ctl` replier
 * (SNAPSHOT_VIPS, STATUS).
 *
 * pub/sub loses messages when a side is not connected, so the set is only
 * trusted once a snapshot arrived, and every sign of loss asks for
 * another: a first message, a sequence gap, a restarted lbd, and a STATUS
 * reply (asked every second, which also tells whether lbd is alive)
 * whose sequence number is ahead of the last message heard.  Requests
 * never block the loop: they are sent without waiting and their replies
 * read when the socket polls readable.
 *
 * Nothing here withdraws on its own: while lbd is silent the last known
 * set stays, and the datapath check alone decides (loop.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

#define PROBE_MS   1000 /* STATUS request, and retry of a failed one */
#define REPLY_MS   1000 /* a request unanswered by then: lbd is away */
#define DRAIN_MAX  256  /* published frames read in one turn */
#define LOG_PER_S  5    /* lines about rejected messages a second */
#define DIAL_MS    50   /* retry while the socket is being dialled */
#define DIAL_TRIES 20

static double log_window;
static unsigned int log_lines;

static void log_reject(const char *where, const char *why)
{
	double now = xlb_now_ms();

	if (now >= log_window + 1000) {
		log_window = now;
		log_lines = 0;
	}
	if (log_lines++ < LOG_PER_S)
		xlb_log(XLB_LOG_WARN, "%s: message rejected: %s", where, why);
}

int ready_open(struct bgpd_ready *r, const char *rundir)
{
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->rundir, sizeof(r->rundir), "%s",
		 rundir ? rundir : XLB_BUS_RUNDIR);
	vipset_init(&r->ready);
	r->my_seq = xlb_msg_seq_first();
	r->want_snap = true;
	err = xlb_bus_sub_open(&r->sub, r->rundir, XLB_BUS_LBD);
	if (!err)
		err = xlb_bus_req_open(&r->req, r->rundir, XLB_BUS_LBD_CTL);
	if (err)
		ready_close(r);
	return err;
}

void ready_close(struct bgpd_ready *r)
{
	if (r->sub.id)
		xlb_bus_close(r->sub);
	if (r->req.id)
		xlb_bus_close(r->req);
	r->sub.id = r->req.id = 0;
	xlb_msg_buf_fini(&r->in);
	xlb_msg_buf_fini(&r->out);
	vipset_free(&r->ready);
}

int ready_pollfds(struct bgpd_ready *r, int *fds)
{
	int n = 0, fd;

	if (r->sub.id && !xlb_bus_fd(r->sub, &fd))
		fds[n++] = fd;
	if (r->in_flight && r->req.id && !xlb_bus_fd(r->req, &fd))
		fds[n++] = fd;
	return n;
}

__u64 ready_rejected(const struct bgpd_ready *r)
{
	__u64 n = r->refused;

	for (int i = 0; i < XLB_MSG_R_MAX; i++)
		n += r->stats.rejected[i];
	return n;
}

/* ---- the set ------------------------------------------------------------- */

bool ready_apply(struct bgpd_vipset *set, const struct xlb_msg *msg)
{
	struct xlb_msg_iter it;
	struct xlb_vip_ready v;
	bool changed = false;

	if (xlb_msg_iter_init(&it, msg))
		return false;
	if (msg->batch.snapshot) {
		struct bgpd_vipset next;

		vipset_init(&next);
		while (!xlb_msg_vips_next(&it, &v))
			if (v.ready && vipset_add(&next, &v.addr, v.family) < 0)
				break; /* out of memory: keep the old set */
		if (it.left) {
			vipset_free(&next);
			return false;
		}
		changed = !vipset_equal(&next, set);
		vipset_free(set);
		*set = next;
		return changed;
	}
	while (!xlb_msg_vips_next(&it, &v)) {
		int r = v.ready ? vipset_add(set, &v.addr, v.family) :
				  vipset_del(set, &v.addr, v.family);

		changed |= r > 0;
	}
	return changed;
}

/* ---- lbd alive or not ------------------------------------------------------ */

static void lbd_heard(struct bgpd_ready *r)
{
	if (!r->lbd_up)
		xlb_log(XLB_LOG_INFO, "lbd answers on %s/%s.ipc", r->rundir,
			 XLB_BUS_LBD_CTL);
	r->lbd_up = true;
	r->lbd_said = true;
}

static void lbd_away(struct bgpd_ready *r, const char *why)
{
	if (r->lbd_up || !r->lbd_said)
		xlb_log(XLB_LOG_WARN, "lbd %s; keeping the announcements while "
			 "the datapath is attached", why);
	r->lbd_up = false;
	r->lbd_said = true;
}

/* ---- requests ---------------------------------------------------------------- */

static void want_snapshot(struct bgpd_ready *r)
{
	if (r->in_flight == XLB_MSG_SNAPSHOT_VIPS_REQ)
		r->snap_again = true;
	else
		r->want_snap = true;
}

/* Whether lbd's request socket is there (a file in the runtime folder). */
static bool ctl_exists(const struct bgpd_ready *r)
{
	char path[512];
	struct stat st;

	return xlb_bus_path(r->rundir, XLB_BUS_LBD_CTL, path,
			    sizeof(path)) > 0 && !stat(path, &st);
}

/* Not sent: while lbd's socket exists the dial is likely still under way
 * (nng connects in the background), so try again soon and stay quiet. */
static void send_failed(struct bgpd_ready *r, int err, double now)
{
	bool exists = ctl_exists(r);

	if (err != -ETIMEDOUT && err != -EAGAIN) {
		lbd_away(r, xlb_errmsg());
		return;
	}
	r->send_fails++;
	if (exists && r->send_fails < DIAL_TRIES)
		r->next_probe_ms = now + DIAL_MS;
	if (!exists || r->send_fails >= DIAL_TRIES)
		lbd_away(r, exists ? "does not answer" : "is not there");
}

/* true when sent; the reply is read by recv_reply. */
static bool send_request(struct bgpd_ready *r, __u8 type, double now)
{
	int err = xlb_msg_request_encode(&r->out, r->my_seq++, type);

	if (!err)
		err = xlb_bus_send(r->req, r->out.data, r->out.len, 0);
	if (err) {
		send_failed(r, err, now);
		return false;
	}
	r->send_fails = 0;
	r->in_flight = type;
	r->sent_ms = now;
	return true;
}

static void send_due(struct bgpd_ready *r, double now)
{
	if (r->in_flight && now - r->sent_ms > REPLY_MS) {
		r->in_flight = 0; /* the next request abandons it */
		lbd_away(r, "does not answer");
	}
	if (r->in_flight || now < r->next_probe_ms)
		return;
	r->next_probe_ms = now + PROBE_MS;
	if (r->want_snap) {
		if (send_request(r, XLB_MSG_SNAPSHOT_VIPS_REQ, now))
			r->want_snap = false;
	} else {
		send_request(r, XLB_MSG_STATUS_REQ, now);
	}
}

double ready_due(const struct bgpd_ready *r)
{
	if (r->in_flight)
		return r->sent_ms + REPLY_MS + 1;
	return r->next_probe_ms;
}

/* ---- replies ------------------------------------------------------------------ */

/* A snapshot older than a change already taken would undo it: ask again.
 * Older only than REVISIONs, it still says everything. */
static bool take_snapshot(struct bgpd_ready *r, const struct xlb_msg *msg)
{
	const struct xlb_msg_seq *s = &r->seq;
	bool older = s->known && msg->seq < s->last &&
		     s->last - msg->seq < XLB_MSG_SEQ_WINDOW;
	bool changed;

	if (older && msg->seq < r->changed_seq) {
		xlb_log(XLB_LOG_INFO, "snapshot older than the last change; "
			 "asking again");
		want_snapshot(r);
		return false;
	}
	if (!older)
		xlb_msg_seq_reset(&r->seq, msg->seq);
	changed = ready_apply(&r->ready, msg) || !r->known;
	if (!r->known || changed)
		xlb_log(XLB_LOG_INFO, "snapshot from lbd: %zu VIPs ready of %u",
			 r->ready.n, msg->batch.count);
	r->known = true;
	return changed;
}

/* STATUS carries lbd's last published sequence number: ahead of what we
 * heard means deltas were lost. */
static void take_status(struct bgpd_ready *r, const struct xlb_msg *msg)
{
	const struct xlb_msg_seq *s = &r->seq;

	if (!s->known || msg->seq > s->last ||
	    s->last - msg->seq >= XLB_MSG_SEQ_WINDOW) {
		xlb_log(XLB_LOG_DEBUG, "lbd at sequence %llu, heard %llu: "
			 "asking for a snapshot",
			 (unsigned long long)msg->seq,
			 (unsigned long long)s->last);
		want_snapshot(r);
	}
}

static bool on_reply(struct bgpd_ready *r, __u8 asked, double now)
{
	struct xlb_msg msg;
	int err = xlb_msg_decode(r->in.data, r->in.len, &msg, &r->stats);
	bool snap = asked == XLB_MSG_SNAPSHOT_VIPS_REQ;

	if (err) {
		log_reject("lbd-ctl", xlb_errmsg());
		if (snap)
			want_snapshot(r);
		return false;
	}
	lbd_heard(r);
	if (msg.type == XLB_MSG_ERROR) {
		xlb_log(XLB_LOG_WARN, "lbd-ctl: %s: %s", xlb_msg_type_name(asked),
			 msg.error.text);
		if (snap)
			want_snapshot(r);
		r->next_probe_ms = now + PROBE_MS;
		return false;
	}
	if (snap && msg.type == XLB_MSG_VIP_READY && msg.batch.snapshot) {
		bool changed = take_snapshot(r, &msg);

		if (r->snap_again) {
			r->snap_again = false;
			want_snapshot(r);
			r->next_probe_ms = now;
		}
		return changed;
	}
	if (!snap && msg.type == XLB_MSG_STATUS) {
		take_status(r, &msg);
		if (r->want_snap)
			r->next_probe_ms = now;
		return false;
	}
	r->refused++;
	log_reject("lbd-ctl", "a reply of the wrong type");
	if (snap)
		want_snapshot(r);
	return false;
}

static bool recv_reply(struct bgpd_ready *r, double now)
{
	__u8 asked = r->in_flight;

	if (!asked || xlb_bus_recv(r->req, &r->in, 0))
		return false;
	r->in_flight = 0;
	return on_reply(r, asked, now);
}

/* ---- published messages ---------------------------------------------------- */

static bool seq_ok(struct bgpd_ready *r, const struct xlb_msg *msg)
{
	__u64 last = r->seq.last;

	switch (xlb_msg_seq_check(&r->seq, msg->seq, &r->stats)) {
	case XLB_SEQ_STALE:
		return false;
	case XLB_SEQ_FIRST:
		want_snapshot(r);
		break;
	case XLB_SEQ_GAP:
		xlb_log(XLB_LOG_INFO, "%llu messages from lbd lost; asking for "
			 "a snapshot", (unsigned long long)(msg->seq - last - 1));
		want_snapshot(r);
		break;
	case XLB_SEQ_RESTART:
		xlb_log(XLB_LOG_INFO, "lbd restarted; asking for a snapshot");
		want_snapshot(r);
		break;
	}
	return true;
}

static bool on_published(struct bgpd_ready *r)
{
	struct xlb_msg msg;
	int err = xlb_msg_decode(r->in.data, r->in.len, &msg, &r->stats);

	if (!err && msg.type != XLB_MSG_VIP_READY &&
	    msg.type != XLB_MSG_REVISION) {
		r->refused++;
		err = xlb_errmsg_set(-ENOMSG, "a %s message on the lbd socket",
				     xlb_msg_type_name(msg.type));
	}
	if (err) {
		log_reject("lbd", xlb_errmsg());
		return false;
	}
	lbd_heard(r);
	if (!seq_ok(r, &msg) || msg.type != XLB_MSG_VIP_READY)
		return false;
	if (!ready_apply(&r->ready, &msg))
		return false;
	r->changed_seq = msg.seq;
	return true;
}

bool ready_work(struct bgpd_ready *r, double now)
{
	bool changed = false;
	bool snap_wanted = r->want_snap;

	for (int i = 0; i < DRAIN_MAX; i++) {
		if (xlb_bus_recv(r->sub, &r->in, 0))
			break;
		changed |= on_published(r);
	}
	changed |= recv_reply(r, now);
	if (r->want_snap && !snap_wanted)
		r->next_probe_ms = now; /* a loss: ask at once */
	send_due(r, now);
	return changed;
}
