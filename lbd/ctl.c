// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ctl.c - requests on `lbd-ctl`: STATUS (what is applied, counts, messages
 * rejected, what lbd makes of hcd, services in panic), SNAPSHOT_VIPS (every VIP with its readiness, for a subscriber
 * that joined late), SYNC (apply everything written so far, then the
 * applied revision).  Anything else is answered with an ERROR: a requester
 * is never left waiting for a reply that will not come.
 *
 * A reply carries the sequence number of the last message published on
 * `lbd`, so a snapshot tells its reader which deltas it already covers.
 */
#include <errno.h>
#include <string.h>

#include "lbd.h"
#include "xlb_errmsg.h"

#define REPLY_MS  1000
#define SERVE_MAX 16

static uint64_t last_seq(const struct lbd_bus *b)
{
	return b->seq - 1;
}

static int status(struct lbd *l)
{
	const struct lbd_state *st = &l->st;
	struct xlb_msg_status s = { .applied_revision = (__u64)l->applied_rev,
				    .rejected = lbd_bus_rejected(l->bus),
				    .hcd = lbd_bus_hcd_state(l->bus),
				    .panic = (__u32)st->npanic };

	for (uint32_t id = 1; id <= st->m.max_svc_id; id++) {
		const struct lbd_svc *svc = &st->svc[id];

		s.services += svc->live;
		s.backends += (__u32)svc->nbe;
		for (size_t i = 0; i < svc->nbe; i++)
			s.backends_up += st->be[svc->be[i]].state ==
					 XLB_BE_ACTIVE;
	}
	for (size_t i = 0; i < st->nvips; i++) {
		s.vips += st->vips[i].nsvc > 0;
		s.vips_ready += st->vips[i].nsvc > 0 && st->vips[i].nready > 0;
	}
	return xlb_msg_status_encode(&l->bus->out, last_seq(l->bus), &s);
}

/* The VIPs vip_state holds: those with services. */
static int snapshot_vips(struct lbd *l)
{
	const struct lbd_state *st = &l->st;
	struct xlb_msg_buf *out = &l->bus->out;
	int err = xlb_msg_vips_begin(out, last_seq(l->bus), true);

	for (size_t i = 0; i < st->nvips && !err; i++) {
		const struct lbd_vip *vip = &st->vips[i];
		struct xlb_vip_ready v = { .addr = vip->addr,
					   .family = vip->family,
					   .ready = vip->nready > 0 };

		if (vip->nsvc)
			err = xlb_msg_vips_add(out, &v);
	}
	if (err == -EMSGSIZE)
		return xlb_errmsg_set(-EMSGSIZE, "more VIPs than one snapshot "
				      "holds");
	return err;
}

/* Health waiting in the batch, then every revision logged so far; the
 * database holds all of it when the reply goes. */
static int sync_all(struct lbd *l)
{
	int err = lbd_health_flush(l);

	if (!err)
		err = lbd_catch_up(l);
	if (!err)
		err = lbd_health_persist(l);
	if (err)
		return err;
	return xlb_msg_revision_encode(&l->bus->out, last_seq(l->bus),
				       (__u64)l->applied_rev);
}

static int answer(struct lbd *l, const struct xlb_msg *req)
{
	switch (req->type) {
	case XLB_MSG_STATUS_REQ:
		return status(l);
	case XLB_MSG_SNAPSHOT_VIPS_REQ:
		return snapshot_vips(l);
	case XLB_MSG_SYNC_REQ:
		return sync_all(l);
	default:
		l->bus->refused++;
		lbd_bus_log_reject(l->bus, "lbd-ctl", xlb_msg_type_name(
					   req->type));
		return xlb_errmsg_set(-EOPNOTSUPP, "lbd-ctl does not answer "
				      "%s messages",
				      xlb_msg_type_name(req->type));
	}
}

static void serve_one(struct lbd *l)
{
	struct lbd_bus *b = l->bus;
	struct xlb_msg req;
	int err = xlb_msg_decode(b->in.data, b->in.len, &req, &b->stats);

	if (err)
		lbd_bus_log_reject(b, "lbd-ctl", xlb_errmsg());
	else
		err = answer(l, &req);
	if (err && xlb_msg_error_encode(&b->out, last_seq(b), (__u32)-err,
					xlb_errmsg())) {
		xlb_log(XLB_LOG_ERR, "lbd-ctl: %s", xlb_errmsg());
		return;
	}
	if (xlb_bus_send(b->ctl, b->out.data, b->out.len, REPLY_MS))
		xlb_log(XLB_LOG_WARN, "lbd-ctl: %s", xlb_errmsg());
}

/* A few a turn: requests do not starve health. */
void lbd_ctl_serve(struct lbd *l)
{
	for (int i = 0; i < SERVE_MAX; i++) {
		if (xlb_bus_recv(l->bus->ctl, &l->bus->in, 0))
			return;
		serve_one(l);
	}
}
