// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_bgpd_ready.c - bgpd-bridge's view of lbd's readiness (ready.c) over
 * real nng sockets in a folder the test makes: the test publishes on `lbd`
 * and answers on `lbd-ctl` the way lib/xlb_msg says lbd does, with a truth
 * it controls, and checks that the bridge's set follows it — a snapshot at
 * start, deltas, a sequence gap and a STATUS reply ahead of what was heard
 * each bringing a new snapshot, a stale delta skipped, malformed frames
 * counted and dropped, and the last set kept when lbd goes away.  The real
 * lbd is in tests/lab/test_bgpd_bridge.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../bgpd-bridge/ready.c"
#include "../bgpd-bridge/vipset.c"

#define WAIT_MS 5000 /* for what must happen: generous, never reached */

/* ---- the lbd side -------------------------------------------------------------- */

struct lbd_side {
	char tmp[64], rundir[96];
	struct xlb_bus pub, rep;
	struct xlb_msg_buf in, out;
	__u64 seq;                 /* the last sequence number published */
	struct bgpd_vipset truth;  /* VIPs ready */
	struct bgpd_vipset all;    /* VIPs known (ready or not) */
	unsigned int snapshots, statuses; /* requests answered */
	struct bgpd_ready r;       /* the bridge's side */
};

static void vip(const char *text, union xlb_addr *a, __u8 *fam)
{
	assert_int_equal(xlb_addr_parse(text, a, fam), 0);
}

static void set_ready(struct lbd_side *l, const char *text, bool ready)
{
	union xlb_addr a;
	__u8 fam;

	vip(text, &a, &fam);
	vipset_add(&l->all, &a, fam);
	if (ready)
		vipset_add(&l->truth, &a, fam);
	else
		vipset_del(&l->truth, &a, fam);
}

static void publish(struct lbd_side *l)
{
	assert_int_equal(xlb_bus_send(l->pub, l->out.data, l->out.len, 100), 0);
}

/* A VIP_READY delta of one VIP, sequence number seq; the truth follows. */
static void publish_delta(struct lbd_side *l, __u64 seq, const char *text,
			  bool ready)
{
	struct xlb_vip_ready v = { .ready = ready };

	vip(text, &v.addr, &v.family);
	set_ready(l, text, ready);
	assert_int_equal(xlb_msg_vips_begin(&l->out, seq, false), 0);
	assert_int_equal(xlb_msg_vips_add(&l->out, &v), 0);
	publish(l);
	if (seq > l->seq)
		l->seq = seq;
}

static void answer(struct lbd_side *l)
{
	struct xlb_msg req;

	assert_int_equal(xlb_msg_decode(l->in.data, l->in.len, &req, NULL), 0);
	if (req.type == XLB_MSG_SNAPSHOT_VIPS_REQ) {
		assert_int_equal(xlb_msg_vips_begin(&l->out, l->seq, true), 0);
		for (size_t i = 0; i < l->all.n; i++) {
			struct xlb_vip_ready v = {
				.addr = l->all.v[i].addr,
				.family = l->all.v[i].family,
				.ready = vipset_has(&l->truth, &l->all.v[i].addr,
						    l->all.v[i].family),
			};

			assert_int_equal(xlb_msg_vips_add(&l->out, &v), 0);
		}
		l->snapshots++;
	} else {
		struct xlb_msg_status st = { .vips = (__u32)l->all.n };

		assert_int_equal(req.type, XLB_MSG_STATUS_REQ);
		assert_int_equal(xlb_msg_status_encode(&l->out, l->seq, &st), 0);
		l->statuses++;
	}
	assert_int_equal(xlb_bus_send(l->rep, l->out.data, l->out.len, 100), 0);
}

/* Both sides' turns for ms milliseconds, or until done() says so. */
static void pump(struct lbd_side *l, int ms, bool (*done)(struct lbd_side *))
{
	double end = xlb_now_ms() + ms;

	while (xlb_now_ms() < end) {
		ready_work(&l->r, xlb_now_ms());
		if (l->rep.id && !xlb_bus_recv(l->rep, &l->in, 0))
			answer(l);
		if (done && done(l))
			return;
		usleep(2000);
	}
}

static bool in_sync(struct lbd_side *l)
{
	return l->r.known && vipset_equal(&l->r.ready, &l->truth) &&
	       !l->r.want_snap && !l->r.in_flight;
}

static bool heard_published(struct lbd_side *l)
{
	return l->r.stats.accepted[XLB_MSG_REVISION] > 0;
}

/* REVISION frames until the bridge's subscriber hears one: pub/sub drops
 * what is sent before the subscriber is connected. */
static void connect_sub(struct lbd_side *l)
{
	double end = xlb_now_ms() + WAIT_MS;

	while (!heard_published(l) && xlb_now_ms() < end) {
		assert_int_equal(xlb_msg_revision_encode(&l->out, ++l->seq, 1),
				 0);
		publish(l);
		pump(l, 10, heard_published);
	}
	assert_true(heard_published(l));
	pump(l, WAIT_MS, in_sync);
	assert_true(in_sync(l));
}

static int setup(void **state)
{
	struct lbd_side *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	strcpy(l->tmp, "/tmp/test_bgpd_ready.XXXXXX");
	if (!mkdtemp(l->tmp))
		return -1;
	snprintf(l->rundir, sizeof(l->rundir), "%s/run", l->tmp);
	l->seq = xlb_msg_seq_first();
	if (xlb_bus_pub_open(&l->pub, l->rundir, XLB_BUS_LBD) ||
	    xlb_bus_rep_open(&l->rep, l->rundir, XLB_BUS_LBD_CTL))
		return -1;
	set_ready(l, "203.0.113.10", true);
	set_ready(l, "203.0.113.11", false);
	set_ready(l, "2001:db8:100::10", true);
	if (ready_open(&l->r, l->rundir))
		return -1;
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct lbd_side *l = *state;

	ready_close(&l->r);
	if (l->pub.id)
		xlb_bus_close(l->pub);
	if (l->rep.id)
		xlb_bus_close(l->rep);
	xlb_msg_buf_fini(&l->in);
	xlb_msg_buf_fini(&l->out);
	vipset_free(&l->truth);
	vipset_free(&l->all);
	rmdir(l->rundir);
	rmdir(l->tmp);
	free(l);
	return 0;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_snapshot_at_start(void **state)
{
	struct lbd_side *l = *state;

	assert_false(l->r.known);
	pump(l, WAIT_MS, in_sync);
	assert_true(l->r.known);
	assert_true(l->r.lbd_up);
	assert_int_equal(l->r.ready.n, 2); /* 203.0.113.11 is not ready */
	assert_true(vipset_equal(&l->r.ready, &l->truth));
	assert_true(l->snapshots >= 1);
}

static void test_deltas(void **state)
{
	struct lbd_side *l = *state;

	connect_sub(l);
	publish_delta(l, l->seq + 1, "203.0.113.10", false);
	publish_delta(l, l->seq + 1, "203.0.113.11", true);
	pump(l, WAIT_MS, in_sync);
	assert_true(in_sync(l));
	assert_int_equal(l->r.stats.gaps, 0);
	/* A delta that changes nothing is not a change. */
	publish_delta(l, l->seq + 1, "203.0.113.11", true);
	pump(l, 200, NULL);
	assert_true(in_sync(l));
}

/* Messages lost (the sequence jumps): the delta applies and a snapshot,
 * which knows what was lost, is asked for. */
static void test_gap_asks_snapshot(void **state)
{
	struct lbd_side *l = *state;
	unsigned int before;

	connect_sub(l);
	before = l->snapshots;
	set_ready(l, "2001:db8:100::10", false); /* lost: never published */
	l->seq += 2;
	publish_delta(l, l->seq + 1, "203.0.113.11", true);
	pump(l, WAIT_MS, in_sync);
	assert_true(in_sync(l));
	assert_int_equal(l->snapshots, before + 1);
	assert_true(l->r.stats.gaps >= 1);
	assert_false(vipset_has(&l->r.ready, &l->all.v[2].addr, XLB_FAM_V6));
}

/* A delta older than what the bridge heard is skipped. */
static void test_stale_delta_skipped(void **state)
{
	struct lbd_side *l = *state;
	__u64 old;

	connect_sub(l);
	old = l->seq - 1;
	publish_delta(l, old, "203.0.113.10", false);
	set_ready(l, "203.0.113.10", true); /* the truth did not change */
	pump(l, 200, NULL);
	assert_true(in_sync(l));
	assert_true(l->r.stats.stale >= 1);
}

/* Deltas lost with nothing published after them: the STATUS reply (asked
 * every second) is ahead of what was heard, and a snapshot follows. */
static void test_status_ahead_asks_snapshot(void **state)
{
	struct lbd_side *l = *state;
	unsigned int snaps, statuses;

	connect_sub(l);
	snaps = l->snapshots;
	statuses = l->statuses;
	set_ready(l, "203.0.113.11", true);
	l->seq++; /* published while the bridge was not listening */
	pump(l, WAIT_MS, in_sync);
	assert_true(in_sync(l));
	assert_true(l->statuses > statuses);
	assert_int_equal(l->snapshots, snaps + 1);
}

/* Garbage on the publisher: counted, dropped, nothing else changes. */
static void test_malformed_dropped(void **state)
{
	struct lbd_side *l = *state;
	static const char junk[] = "XLBM\x01\x02 not a frame at all";

	connect_sub(l);
	assert_int_equal(xlb_bus_send(l->pub, junk, sizeof(junk), 100), 0);
	assert_int_equal(xlb_msg_request_encode(&l->out, l->seq + 1,
						XLB_MSG_STATUS_REQ), 0);
	publish(l); /* well formed, but no message lbd publishes */
	pump(l, 300, NULL);
	assert_true(ready_rejected(&l->r) >= 2);
	assert_true(in_sync(l));
}

/* lbd gone: noticed, and the last set stays. */
static void test_lbd_gone_keeps_set(void **state)
{
	struct lbd_side *l = *state;

	pump(l, WAIT_MS, in_sync);
	assert_true(in_sync(l));
	assert_int_equal(xlb_bus_close(l->rep), 0);
	assert_int_equal(xlb_bus_close(l->pub), 0);
	l->rep.id = l->pub.id = 0;
	pump(l, 2500, NULL);
	assert_false(l->r.lbd_up);
	assert_true(l->r.known);
	assert_true(vipset_equal(&l->r.ready, &l->truth));
}

/* ready_apply alone: a snapshot replaces, a delta edits. */
static void test_apply(void **state)
{
	struct xlb_msg_buf b = { 0 };
	struct bgpd_vipset s;
	struct xlb_vip_ready v = { .ready = 1 };
	struct xlb_msg msg;

	(void)state;
	vipset_init(&s);
	vip("192.0.2.1", &v.addr, &v.family);
	assert_int_equal(xlb_msg_vips_begin(&b, 7, false), 0);
	assert_int_equal(xlb_msg_vips_add(&b, &v), 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &msg, NULL), 0);
	assert_true(ready_apply(&s, &msg));
	assert_false(ready_apply(&s, &msg)); /* again: no change */
	assert_int_equal(s.n, 1);
	vip("192.0.2.2", &v.addr, &v.family);
	assert_int_equal(xlb_msg_vips_begin(&b, 8, true), 0);
	assert_int_equal(xlb_msg_vips_add(&b, &v), 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &msg, NULL), 0);
	assert_true(ready_apply(&s, &msg));
	assert_int_equal(s.n, 1); /* 192.0.2.1 is not in the snapshot */
	assert_true(vipset_has(&s, &v.addr, v.family));
	xlb_msg_buf_fini(&b);
	vipset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot_at_start, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_asks_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_delta_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_ahead_asks_snapshot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lbd_gone_keeps_set, setup,
						teardown),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
