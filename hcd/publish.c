// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * publish.c - hcd's side of the bus: HEALTH deltas on `health`, each
 * transition once, many to a frame, with sequence numbers from
 * xlb_msg_seq_first(); an empty delta every HEARTBEAT_US when nothing
 * else went out, so a subscriber tells a quiet hcd from a gone one; and
 * on `hcd-ctl`, SNAPSHOT_HEALTH_REQ answered with every decided key's
 * state, carrying the sequence number of the last delta it includes.
 *
 * Keys not yet decided (just started, or a check just changed) are not
 * in snapshots: lbd keeps what it had for them until hcd knows.  A
 * snapshot is one frame (xlb_msg.h): when the keys do not fit, the down
 * ones go first and the rest are left out, logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcd.h"
#include "xlb_bus.h"
#include "xlb_errmsg.h"

#define HEARTBEAT_US 1000000
#define SEND_MS      100
#define LOG_PER_S    5

struct slot {
	struct xlb_health_tr tr;
	bool used;
};

struct hcd_pub {
	struct xlb_bus pub, ctl;
	struct xlb_msg_buf out, in;
	uint64_t seq;      /* the next one to use */
	uint64_t last_us;  /* when something last went out */
	struct slot *slots;
	size_t nslots, used;
	struct xlb_msg_stats stats;
	uint64_t log_window;
	unsigned int log_lines;
};

static struct hcd_key key_of(const struct xlb_health_tr *tr)
{
	struct hcd_key k;

	memset(&k, 0, sizeof(k));
	k.addr = tr->addr;
	k.family = tr->family;
	k.port = tr->port;
	snprintf(k.check, sizeof(k.check), "%s", tr->check);
	return k;
}

static bool same_key(const struct xlb_health_tr *a,
		     const struct xlb_health_tr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr)) &&
	       !strcmp(a->check, b->check);
}

static struct slot *slot_find(struct slot *v, size_t n,
			      const struct xlb_health_tr *tr)
{
	struct hcd_key k = key_of(tr);
	size_t i = hcd_key_hash(&k) & (n - 1);

	while (v[i].used && !same_key(&v[i].tr, tr))
		i = (i + 1) & (n - 1);
	return &v[i];
}

static int slots_grow(struct hcd_pub *p, size_t want)
{
	size_t n = p->nslots ? p->nslots : 1024;
	struct slot *v;

	if (want * 2 <= p->nslots)
		return 0;
	while (want * 2 > n)
		n *= 2;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->nslots; i++)
		if (p->slots[i].used)
			*slot_find(v, n, &p->slots[i].tr) = p->slots[i];
	free(p->slots);
	p->slots = v;
	p->nslots = n;
	return 0;
}

int hcd_pub_open(const char *rundir, struct hcd_pub **out)
{
	struct hcd_pub *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->seq = xlb_msg_seq_first();
	err = xlb_bus_pub_open(&p->pub, rundir, XLB_BUS_HEALTH);
	if (!err)
		err = xlb_bus_rep_open(&p->ctl, rundir, XLB_BUS_HCD_CTL);
	if (!err)
		err = slots_grow(p, 1);
	if (err) {
		hcd_pub_close(p);
		return err;
	}
	*out = p;
	return 0;
}

void hcd_pub_close(struct hcd_pub *p)
{
	if (!p)
		return;
	if (p->ctl.id)
		xlb_bus_close(p->ctl);
	if (p->pub.id)
		xlb_bus_close(p->pub);
	xlb_msg_buf_fini(&p->out);
	xlb_msg_buf_fini(&p->in);
	free(p->slots);
	free(p);
}

static void send_out(struct hcd_pub *p)
{
	if (xlb_bus_send(p->pub, p->out.data, p->out.len, SEND_MS))
		xlb_log(XLB_LOG_WARN, "publishing: %s", xlb_errmsg());
	p->last_us = hcd_now_us();
}

static void remember(struct hcd_pub *p, const struct xlb_health_tr *tr)
{
	struct slot *s;

	if (slots_grow(p, p->used + 1)) {
		xlb_log(XLB_LOG_ERR, "out of memory: a state left out of "
			"snapshots");
		return;
	}
	s = slot_find(p->slots, p->nslots, tr);
	if (!s->used)
		p->used++;
	s->used = true;
	s->tr = *tr;
}

int hcd_pub_reports(struct hcd_pub *p, const struct hcd_report *r, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		remember(p, &r[i].tr);
		if (i == 0)
			err = xlb_msg_health_begin(&p->out, p->seq++, false);
		if (!err)
			err = xlb_msg_health_add(&p->out, &r[i].tr);
		if (err == -EMSGSIZE) { /* full: send it, go on in another */
			send_out(p);
			err = xlb_msg_health_begin(&p->out, p->seq++, false);
			if (!err)
				err = xlb_msg_health_add(&p->out, &r[i].tr);
		}
	}
	if (err)
		return err;
	if (n)
		send_out(p);
	return 0;
}

void hcd_pub_heartbeat(struct hcd_pub *p, uint64_t now_us)
{
	if (p->last_us && now_us - p->last_us < HEARTBEAT_US)
		return;
	if (xlb_msg_health_begin(&p->out, p->seq++, false))
		xlb_log(XLB_LOG_ERR, "heartbeat: %s", xlb_errmsg());
	else
		send_out(p);
}

int hcd_pub_retain(struct hcd_pub *p, const struct hcd_specs *specs)
{
	struct slot *keep = calloc(p->nslots, sizeof(*keep));
	size_t kept = 0;

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < specs->n; i++) {
		struct xlb_health_tr tr;
		struct slot *s, *d;

		memset(&tr, 0, sizeof(tr));
		tr.addr = specs->v[i].key.addr;
		tr.family = specs->v[i].key.family;
		tr.port = specs->v[i].key.port;
		memcpy(tr.check, specs->v[i].key.check, sizeof(tr.check));
		s = slot_find(p->slots, p->nslots, &tr);
		if (!s->used)
			continue;
		d = slot_find(keep, p->nslots, &tr);
		if (!d->used)
			kept++;
		*d = *s;
	}
	free(p->slots);
	p->slots = keep;
	p->used = kept;
	return 0;
}

static int snapshot_add(struct hcd_pub *p, uint8_t state, size_t *added)
{
	for (size_t i = 0; i < p->nslots; i++) {
		int err;

		if (!p->slots[i].used || p->slots[i].tr.state != state)
			continue;
		err = xlb_msg_health_add(&p->out, &p->slots[i].tr);
		if (err)
			return err;
		(*added)++;
	}
	return 0;
}

static void snapshot(struct hcd_pub *p)
{
	size_t added = 0;
	int err = xlb_msg_health_begin(&p->out, p->seq - 1, true);

	if (!err)
		err = snapshot_add(p, XLB_HEALTH_DOWN, &added);
	if (!err)
		err = snapshot_add(p, XLB_HEALTH_UP, &added);
	if (err == -EMSGSIZE)
		xlb_log(XLB_LOG_WARN, "snapshot: %zu of %zu states fit one frame "
			"(down ones first); the rest are left out", added,
			p->used);
	else if (err)
		err = xlb_msg_error_encode(&p->out, p->seq - 1, ENOMEM,
					   "hcd: out of memory");
	if (xlb_bus_send(p->ctl, p->out.data, p->out.len, SEND_MS))
		xlb_log(XLB_LOG_WARN, "hcd-ctl reply: %s", xlb_errmsg());
	else
		xlb_log(XLB_LOG_DEBUG, "snapshot of %zu states sent", added);
}

static void refuse(struct hcd_pub *p, const char *why)
{
	uint64_t now = hcd_now_us();

	if (now - p->log_window >= 1000000) {
		p->log_window = now;
		p->log_lines = 0;
	}
	if (p->log_lines++ < LOG_PER_S)
		xlb_log(XLB_LOG_WARN, "hcd-ctl: request rejected: %s", why);
	if (!xlb_msg_error_encode(&p->out, p->seq - 1, EOPNOTSUPP, why))
		xlb_bus_send(p->ctl, p->out.data, p->out.len, SEND_MS);
}

void hcd_pub_serve(struct hcd_pub *p)
{
	for (int i = 0; i < 16; i++) {
		struct xlb_msg msg;
		int err;

		if (xlb_bus_recv(p->ctl, &p->in, 0))
			return;
		err = xlb_msg_decode(p->in.data, p->in.len, &msg, &p->stats);
		if (err)
			refuse(p, xlb_errmsg());
		else if (msg.type != XLB_MSG_SNAPSHOT_HEALTH_REQ)
			refuse(p, "hcd-ctl answers SNAPSHOT_HEALTH_REQ only");
		else
			snapshot(p);
	}
}

int hcd_pub_fd(struct hcd_pub *p)
{
	int fd = -1;

	return xlb_bus_fd(p->ctl, &fd) ? -1 : fd;
}
