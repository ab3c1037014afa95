// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_lbd_bus.c - lbd's messages, with the real build/lbd on a real
 * database and pinned maps (tests/lbd_fixture) and real nng sockets in the
 * test's temporary folder.  The test plays hcd (publisher on `health`,
 * replier on `hcd-ctl`) and lbd's subscribers (`lbd`, `lbd-ctl`).
 *
 * What is checked: a report down and up (entries, tables, backend_health,
 * vip_state, VIP_READY, REVISION), a burst applied in one pass, malformed
 * frames counted, SNAPSHOT_VIPS against vip_state, SYNC, a restart that
 * keeps health, a sequence gap answered by a snapshot from hcd-ctl (and a
 * snapshot older than a report refused), sockets held by another process,
 * a restarted hcd that flaps nothing, a silent hcd whose last word stays,
 * the panic threshold (a service's and the node's), systemd notifications,
 * and the time from a HEALTH batch of 2,000 backends to lbd's REVISION
 * (printed, not asserted).
 *
 * pub/sub delivers only once connected, in the background: the test sends
 * empty HEALTH deltas (heartbeats) until lbd logs that it hears hcd, and
 * pings a one-backend service with an UPDATE until its subscriber hears
 * lbd's REVISION, before it publishes or listens for what it checks.
 *
 * Needs root and BPF; fails (never skips) without them.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "lbd_fixture.h"
#include "xlb_addr.h"
#include "xlb_bus.h"
#include "xlb_errmsg.h"
#include "xlb_msg.h"

#define WAIT_MS 5000 /* for what must happen: generous, never reached */

#define VIP_A "203.0.113.10"
#define VIP_B "203.0.113.20"
#define VIP_C "203.0.113.30"
#define PING  "192.0.2.200"

/* B1 serves three services through check hc, and one of VIP_C through
 * another check; VIP_B has B1 alone. */
#define BASE_SQL \
	"BEGIN;" \
	"INSERT INTO health_check (name, type) VALUES ('hc', 'tcp'), " \
	"  ('other', 'tcp');" \
	"INSERT INTO service (vip, proto, port, ring_size, health_check) " \
	"VALUES ('" VIP_A "', 'tcp', 80, 251, 'hc'), " \
	"  ('" VIP_A "', 'tcp', 443, 101, 'hc'), " \
	"  ('" VIP_B "', 'tcp', 80, 97, 'hc'), " \
	"  ('" VIP_C "', 'tcp', 80, 97, 'other');" \
	"INSERT INTO backend (vip, proto, port, address) VALUES " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.1'), " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.2'), " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.3'), " \
	"  ('" VIP_A "', 'tcp', 443, '198.51.100.1'), " \
	"  ('" VIP_A "', 'tcp', 443, '198.51.100.2'), " \
	"  ('" VIP_B "', 'tcp', 80, '198.51.100.1'), " \
	"  ('" VIP_C "', 'tcp', 80, '198.51.100.1');" \
	"COMMIT"

#define B1 "198.51.100.1"
#define B2 "198.51.100.2"
#define B3 "198.51.100.3"

static const struct lf_be web[] = {
	{ B1, 0, 1 }, { B2, 0, 1 }, { B3, 0, 1 },
};

/* ---- fixture: lbd's fixture plus the test's sockets ---------------------- */

struct tb {
	struct lf *lf;
	struct xlb_bus hcd, hcd_ctl, sub, ctl; /* 0: not open */
	uint64_t hcd_seq;
	struct xlb_msg_buf tx, rx;
	struct xlb_msg_seq lbd_seq;
	int pinged;
};

static int setup(void **state)
{
	struct tb *tb = calloc(1, sizeof(*tb));
	void *lf = NULL;

	if (!tb)
		return -1;
	*state = tb;
	if (lf_setup(&lf)) {
		tb->lf = lf;
		return -1;
	}
	tb->lf = lf;
	tb->hcd_seq = xlb_msg_seq_first();
	return 0;
}

static int teardown(void **state)
{
	struct tb *tb = *state;
	struct xlb_bus *all[] = { &tb->hcd, &tb->hcd_ctl, &tb->sub, &tb->ctl };
	void *lf = tb->lf;
	int err = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->id && xlb_bus_close(*all[i]))
			err = -1;
	xlb_msg_buf_fini(&tb->tx);
	xlb_msg_buf_fini(&tb->rx);
	if (lf && lf_teardown(&lf))
		err = -1;
	free(tb);
	return err;
}

static void bus_ok(int err, const char *what)
{
	if (err)
		fail_msg("%s: %s", what, xlb_errmsg());
}

/* ---- the test as hcd ------------------------------------------------------- */

struct tr {
	const char *addr;
	uint16_t port;
	const char *check;
	int up;
};

static void health_frame(struct tb *tb, uint64_t seq, bool snapshot,
			 const struct tr *trs, size_t n)
{
	bus_ok(xlb_msg_health_begin(&tb->tx, seq, snapshot), "health begin");
	for (size_t i = 0; i < n; i++) {
		struct xlb_health_tr tr = {
			.state = trs[i].up ? XLB_HEALTH_UP : XLB_HEALTH_DOWN,
			.reason = trs[i].up ? XLB_HR_OK : XLB_HR_TIMEOUT,
			.port = trs[i].port, .latency_us = 1234 };

		assert_int_equal(xlb_addr_parse(trs[i].addr, &tr.addr,
						&tr.family), 0);
		snprintf(tr.check, sizeof(tr.check), "%s", trs[i].check);
		bus_ok(xlb_msg_health_add(&tb->tx, &tr), "health add");
	}
}

static void hcd_publish(struct tb *tb, const struct tr *trs, size_t n)
{
	health_frame(tb, tb->hcd_seq++, false, trs, n);
	bus_ok(xlb_bus_send(tb->hcd, tb->tx.data, tb->tx.len, WAIT_MS),
	       "publishing HEALTH");
}

static void raw_publish(struct tb *tb, const void *frame, size_t len)
{
	bus_ok(xlb_bus_send(tb->hcd, frame, len, WAIT_MS), "publishing");
}

static void hcd_open(struct tb *tb)
{
	bus_ok(xlb_bus_pub_open(&tb->hcd, tb->lf->dir, XLB_BUS_HEALTH),
	       "health publisher");
}

/* Heartbeats until lbd says it hears hcd. */
static void hcd_connect(struct tb *tb)
{
	double end = lf_ms() + WAIT_MS;

	while (lf_ms() < end) {
		hcd_publish(tb, NULL, 0);
		if (lf_log_wait(tb->lf, "hearing hcd", 20))
			return;
	}
	fail_msg("lbd never heard the health publisher");
}

/* Receives lbd's SNAPSHOT_HEALTH request on hcd-ctl. */
static void hcd_ctl_request(struct tb *tb)
{
	struct xlb_msg req;

	if (xlb_bus_recv(tb->hcd_ctl, &tb->rx, WAIT_MS)) {
		lf_log_wait(tb->lf, "never there", 0); /* prints the log */
		fail_msg("no SNAPSHOT_HEALTH request");
	}
	bus_ok(xlb_msg_decode(tb->rx.data, tb->rx.len, &req, NULL), "decode");
	assert_int_equal(req.type, XLB_MSG_SNAPSHOT_HEALTH_REQ);
}

static void hcd_ctl_snapshot(struct tb *tb, uint64_t seq,
			     const struct tr *trs, size_t n)
{
	health_frame(tb, seq, true, trs, n);
	bus_ok(xlb_bus_send(tb->hcd_ctl, tb->tx.data, tb->tx.len, WAIT_MS),
	       "snapshot reply");
}

/* ---- the test as lbd's subscribers ----------------------------------------- */

/* The next message of type on sub within ms into *msg (rx), 0 if none;
 * other types are skipped. */
static int sub_next(struct tb *tb, int type, int ms, struct xlb_msg *msg)
{
	double end = lf_ms() + ms;

	while (lf_ms() < end) {
		int left = (int)(end - lf_ms()) + 1;

		if (xlb_bus_recv(tb->sub, &tb->rx, left))
			continue;
		bus_ok(xlb_msg_decode(tb->rx.data, tb->rx.len, msg, NULL),
		       "lbd published a bad frame");
		xlb_msg_seq_check(&tb->lbd_seq, msg->seq, NULL);
		if (msg->type == type)
			return 1;
	}
	return 0;
}

/* Subscribes to lbd and pings until a REVISION comes through. */
static void sub_connect(struct tb *tb)
{
	struct xlb_msg msg;
	double end = lf_ms() + WAIT_MS;

	bus_ok(xlb_bus_sub_open(&tb->sub, tb->lf->dir, XLB_BUS_LBD),
	       "subscriber");
	while (lf_ms() < end) {
		lf_sql(tb->lf, "UPDATE service SET comment = '%d' WHERE vip = "
		       "'" PING "'", ++tb->pinged);
		if (sub_next(tb, XLB_MSG_REVISION, 100, &msg))
			return;
	}
	fail_msg("the subscriber never heard lbd");
}

static void request(struct tb *tb, int type, struct xlb_msg *reply)
{
	if (!tb->ctl.id)
		bus_ok(xlb_bus_req_open(&tb->ctl, tb->lf->dir, XLB_BUS_LBD_CTL),
		       "requester");
	bus_ok(xlb_msg_request_encode(&tb->tx, 1, (__u8)type), "request");
	bus_ok(xlb_bus_request(tb->ctl, &tb->tx, &tb->rx, WAIT_MS),
	       "lbd-ctl request");
	bus_ok(xlb_msg_decode(tb->rx.data, tb->rx.len, reply, NULL),
	       "lbd-ctl reply");
}

static struct xlb_msg_status status(struct tb *tb)
{
	struct xlb_msg msg;

	request(tb, XLB_MSG_STATUS_REQ, &msg);
	assert_int_equal(msg.type, XLB_MSG_STATUS);
	return msg.status;
}

/* ---- what lbd wrote ---------------------------------------------------------- */

static void assert_entry(struct lf *t, const char *vip, uint16_t port,
			 const char *addr, uint8_t state)
{
	uint32_t svc = lf_svc_id(t, vip, "tcp", port, NULL);
	struct xlb_backend be;

	if (!svc || !lf_entry(t, svc, addr, 0, &be))
		fail_msg("no entry %s in %s %u", addr, vip, port);
	if (be.state != state)
		fail_msg("%s in %s %u: state %u, not %u", addr, vip, port,
			 be.state, state);
}

static void wait_entry(struct lf *t, const char *vip, uint16_t port,
		       const char *addr, uint8_t state)
{
	uint32_t svc = lf_svc_id(t, vip, "tcp", port, NULL);
	double end = lf_ms() + WAIT_MS;
	struct xlb_backend be = { 0 };

	while (lf_ms() < end) {
		if (lf_entry(t, svc, addr, 0, &be) && be.state == state)
			return;
		usleep(2000);
	}
	fail_msg("%s in %s %u: state %u, not %u", addr, vip, port, be.state,
		 state);
}

static int count_in_log(struct lf *t, const char *needle)
{
	static char log[1 << 20];
	int n = 0;

	lf_log_read(t, log, sizeof(log));
	for (char *p = log; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Waits until the log holds needle count times. */
static void wait_count(struct lf *t, const char *needle, int count)
{
	double end = lf_ms() + WAIT_MS;

	while (count_in_log(t, needle) < count && lf_ms() < end)
		usleep(2000);
	if (count_in_log(t, needle) != count)
		fail_msg("\"%s\" %d times in the log, not %d", needle,
			 count_in_log(t, needle), count);
}

static void base(struct tb *tb)
{
	assert_int_equal(lf_cli(tb->lf, BASE_SQL), 0);
	lf_sql(tb->lf, "INSERT INTO service (vip, proto, port, ring_size) "
	       "VALUES ('" PING "', 'tcp', 9, 2);"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" PING "', 'tcp', 9, '198.51.100.99')");
	hcd_open(tb);
	lf_start(tb->lf);
	hcd_connect(tb);
}

/* ---- the tests ------------------------------------------------------------------ */

/* Down: B1 leaves the tables of the three services checked by hc (not the
 * one checked by another check), its entries DOWN, backend_health says
 * so, VIP_B (B1 alone) is not ready and subscribers hear it; up: all back,
 * tables as before. */
static void test_down_and_up(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	struct xlb_vip_ready v;
	struct xlb_msg_iter it;
	struct xlb_msg msg;
	uint32_t a80, vc;

	base(tb);
	sub_connect(tb);
	a80 = lf_svc_id(t, VIP_A, "tcp", 80, NULL);
	vc = lf_svc_id(t, VIP_C, "tcp", 80, NULL);

	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 } }, 1);
	assert_true(sub_next(tb, XLB_MSG_VIP_READY, WAIT_MS, &msg));
	assert_int_equal(msg.batch.count, 1);
	assert_int_equal(xlb_msg_iter_init(&it, &msg), 0);
	assert_int_equal(xlb_msg_vips_next(&it, &v), 0);
	assert_int_equal(v.addr.v4, inet_addr(VIP_B));
	assert_int_equal(v.ready, 0);
	assert_true(sub_next(tb, XLB_MSG_REVISION, WAIT_MS, &msg));
	wait_count(t, "health pass: 1 reports in 1 messages, 1 backends "
		   "moved, 3 services", 1);
	/* The maps first, the database right after. */
	wait_count(t, "reports written in", 1);

	assert_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	assert_entry(t, VIP_A, 443, B1, XLB_BE_DOWN);
	assert_entry(t, VIP_B, 80, B1, XLB_BE_DOWN);
	assert_entry(t, VIP_C, 80, B1, XLB_BE_ACTIVE);
	lf_assert_table(t, a80, &web[1], 2, 251);
	lf_assert_table(t, vc, web, 1, 97);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM backend_health WHERE "
				"address = '" B1 "' AND backend_port = 0 AND "
				"health_check = 'hc' AND status = 'down' AND "
				"reason = 'timeout' AND latency_us = 1234"), 1);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_B "'"), 0);

	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 1 } }, 1);
	assert_true(sub_next(tb, XLB_MSG_VIP_READY, WAIT_MS, &msg));
	assert_int_equal(xlb_msg_iter_init(&it, &msg), 0);
	assert_int_equal(xlb_msg_vips_next(&it, &v), 0);
	assert_int_equal(v.addr.v4, inet_addr(VIP_B));
	assert_int_equal(v.ready, 1);
	assert_true(sub_next(tb, XLB_MSG_REVISION, WAIT_MS, &msg));
	assert_entry(t, VIP_A, 80, B1, XLB_BE_ACTIVE);
	assert_entry(t, VIP_B, 80, B1, XLB_BE_ACTIVE);
	lf_assert_table(t, a80, web, 3, 251);
	wait_count(t, "reports written in", 2);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_B "'"), 1);
	/* The same report again moves nothing: no pass. */
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 1 } }, 1);
	assert_false(sub_next(tb, XLB_MSG_REVISION, 300, &msg));
	assert_int_equal(count_in_log(t, "health pass:"), 2);
	lf_stop(t);
}

#define MANY 200

/* A burst of reports for two backends every one of 200 services shares,
 * in ten messages: written once, applied in one pass, one REVISION. */
static void test_burst_one_pass(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	static const struct tr burst[] = {
		{ "198.51.100.7", 0, "hc", 0 }, { "198.51.100.6", 0, "hc", 0 },
		{ "198.51.100.6", 0, "hc", 1 }, { "198.51.100.7", 0, "hc", 1 },
		{ "198.51.100.7", 0, "hc", 0 }, { "198.51.100.6", 0, "hc", 0 },
		{ "198.51.100.6", 0, "hc", 1 }, { "198.51.100.5", 0, "hc", 0 },
		{ "198.51.100.5", 0, "hc", 1 }, { "198.51.100.7", 0, "hc", 0 },
	};
	struct xlb_msg_buf frames[10] = { 0 };
	struct xlb_msg_status s;
	struct xlb_msg msg;
	uint32_t id;

	lf_sql(t, "BEGIN");
	lf_sql(t, "INSERT INTO health_check (name, type) VALUES ('hc', 'tcp')");
	for (int i = 0; i < MANY; i++) {
		lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size, "
		       "health_check) VALUES ('" VIP_A "', 'tcp', %d, 251, "
		       "'hc')", 1000 + i);
		lf_sql(t, "INSERT INTO backend (vip, proto, port, address) "
		       "VALUES ('" VIP_A "', 'tcp', %d, '198.51.100.7'), "
		       "('" VIP_A "', 'tcp', %d, '198.51.100.6'), "
		       "('" VIP_A "', 'tcp', %d, '198.51.100.%d')",
		       1000 + i, 1000 + i, 1000 + i, 10 + i % 100);
	}
	lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size) "
	       "VALUES ('" PING "', 'tcp', 9, 2);"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" PING "', 'tcp', 9, '198.51.100.99')");
	lf_sql(t, "COMMIT");
	hcd_open(tb);
	lf_start(t);
	hcd_connect(tb);
	sub_connect(tb);

	/* Encoded first, then sent back to back: a burst. */
	for (size_t i = 0; i < 10; i++) {
		health_frame(tb, tb->hcd_seq++, false, &burst[i], 1);
		bus_ok(xlb_msg_buf_set(&frames[i], tb->tx.data, tb->tx.len),
		       "copy");
	}
	for (size_t i = 0; i < 10; i++)
		raw_publish(tb, frames[i].data, frames[i].len);
	for (size_t i = 0; i < 10; i++)
		xlb_msg_buf_fini(&frames[i]);

	assert_true(sub_next(tb, XLB_MSG_REVISION, WAIT_MS, &msg));
	wait_count(t, "health pass:", 1);
	wait_count(t, "health pass: 3 reports in 10 messages, 1 backends "
		   "moved, 200 services", 1);
	assert_false(sub_next(tb, XLB_MSG_REVISION, 300, &msg));
	s = status(tb);
	assert_int_equal(s.services, MANY + 1);
	assert_int_equal(s.backends, 3 * MANY + 1);
	assert_int_equal(s.backends_up, 2 * MANY + 1);
	for (int i = 0; i < MANY; i += 39) {
		char own[20];

		snprintf(own, sizeof(own), "198.51.100.%d", 10 + i % 100);
		assert_entry(t, VIP_A, (uint16_t)(1000 + i), "198.51.100.7",
			     XLB_BE_DOWN);
		id = lf_svc_id(t, VIP_A, "tcp", (uint16_t)(1000 + i), NULL);
		lf_assert_table(t, id, (struct lf_be[]){
			{ "198.51.100.6", 0, 1 }, { own, 0, 1 } }, 2, 251);
	}
	lf_stop(t);
}

/* Malformed frames on the health socket are counted (STATUS) and dropped;
 * the next valid batch applies; a bad request gets an ERROR. */
static void test_malformed_counted(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	uint8_t junk[64] = "XLBM";
	struct xlb_msg msg;

	base(tb);
	assert_int_equal(status(tb).rejected, 0);
	raw_publish(tb, "XLB", 3);                 /* short */
	raw_publish(tb, "ABCDEFGHIJKLMNOPQRSTUVWX", 24); /* magic */
	junk[4] = 99;                              /* version */
	raw_publish(tb, junk, 20);
	/* A HEALTH entry with family 7. */
	health_frame(tb, tb->hcd_seq, false,
		     (struct tr[]){ { B2, 0, "hc", 0 } }, 1);
	memcpy(junk, tb->tx.data, tb->tx.len);
	junk[XLB_MSG_HDR_LEN + XLB_MSG_BATCH_HEAD] = 7;
	raw_publish(tb, junk, tb->tx.len);
	/* Well formed, but not for this socket. */
	bus_ok(xlb_msg_revision_encode(&tb->tx, tb->hcd_seq, 5), "encode");
	raw_publish(tb, tb->tx.data, tb->tx.len);

	hcd_publish(tb, (struct tr[]){ { B2, 0, "hc", 0 } }, 1);
	wait_count(t, "health pass:", 1);
	assert_entry(t, VIP_A, 80, B2, XLB_BE_DOWN);
	assert_entry(t, VIP_A, 80, B1, XLB_BE_ACTIVE);
	assert_int_equal(status(tb).rejected, 5);
	assert_true(count_in_log(t, "message rejected") >= 5);

	/* Not a request lbd-ctl answers, then no frame at all. */
	request(tb, XLB_MSG_SNAPSHOT_HEALTH_REQ, &msg);
	assert_int_equal(msg.type, XLB_MSG_ERROR);
	assert_int_equal(msg.error.code, EOPNOTSUPP);
	tb->tx.len = 3;
	bus_ok(xlb_bus_request(tb->ctl, &tb->tx, &tb->rx, WAIT_MS), "request");
	bus_ok(xlb_msg_decode(tb->rx.data, tb->rx.len, &msg, NULL), "reply");
	assert_int_equal(msg.type, XLB_MSG_ERROR);
	assert_int_equal(msg.error.code, EBADMSG);
	assert_int_equal(status(tb).rejected, 7);
	lf_stop(t);
}

/* A late subscriber's SNAPSHOT_VIPS is vip_state; the next REVISION after
 * a database write follows it in sequence and names that write. */
static void test_snapshot_and_revision(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	struct xlb_vip_ready v;
	struct xlb_msg_iter it;
	struct xlb_msg msg;
	char addr[XLB_ADDR_STRLEN];
	uint64_t last;
	int n = 0;

	base(tb);
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 } }, 1);
	wait_count(t, "health pass:", 1);
	wait_count(t, "reports written in", 1);
	bus_ok(xlb_bus_sub_open(&tb->sub, t->dir, XLB_BUS_LBD), "subscriber");

	request(tb, XLB_MSG_SNAPSHOT_VIPS_REQ, &msg);
	assert_int_equal(msg.type, XLB_MSG_VIP_READY);
	assert_true(msg.batch.snapshot);
	assert_int_equal(msg.batch.count,
			 lf_int(t, "SELECT count(*) FROM vip_state"));
	assert_int_equal(xlb_msg_iter_init(&it, &msg), 0);
	while (!xlb_msg_vips_next(&it, &v)) {
		xlb_addr_format(&v.addr, v.family, addr, sizeof(addr));
		assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE "
					"vip = '%s'", addr), v.ready);
		n++;
	}
	assert_int_equal(n, 4);
	xlb_msg_seq_reset(&tb->lbd_seq, msg.seq);

	/* Wait until the subscriber is connected, then the next message
	 * after the snapshot is the next in sequence. */
	sub_connect(tb);
	assert_true(tb->lbd_seq.last > msg.seq);
	last = tb->lbd_seq.last;
	lf_sql(t, "UPDATE backend SET weight = 3 WHERE address = '" B3 "'");
	assert_true(sub_next(tb, XLB_MSG_REVISION, WAIT_MS, &msg));
	assert_int_equal(msg.revision,
			 lf_int(t, "SELECT max(rev) FROM revision"));
	assert_int_equal(msg.seq, last + 1);
	lf_stop(t);
}

/* SYNC right after a write: the reply's revision covers it and the maps
 * already hold it. */
static void test_sync(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	struct xlb_msg msg;
	long long rev;
	uint32_t a80 = 0;

	base(tb);
	a80 = lf_svc_id(t, VIP_A, "tcp", 80, NULL);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(lf_cli(t, i % 2 ?
			"DELETE FROM backend WHERE address = '198.51.100.4'" :
			"INSERT INTO backend (vip, proto, port, address) "
			"VALUES ('" VIP_A "', 'tcp', 80, '198.51.100.4')"), 0);
		rev = lf_int(t, "SELECT max(rev) FROM revision");
		request(tb, XLB_MSG_SYNC_REQ, &msg);
		assert_int_equal(msg.type, XLB_MSG_REVISION);
		assert_true((long long)msg.revision >= rev);
		assert_int_equal(lf_entry(t, a80, "198.51.100.4", 0, NULL) != 0,
				 i % 2 == 0);
	}
	assert_int_equal(status(tb).applied_revision, rev);
	lf_stop(t);
}

/* lbd restarted keeps what backend_health says: no flap, 0 writes. */
static void test_restart_keeps_health(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	uint32_t a80, *before, *after, m;

	base(tb);
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 } }, 1);
	wait_count(t, "health pass:", 1);
	a80 = lf_svc_id(t, VIP_A, "tcp", 80, NULL);
	m = lf_table(t, a80, &before);
	lf_stop(t);
	assert_int_equal(truncate(t->log, 0), 0);

	lf_start(t); /* hcd says nothing now */
	assert_true(lf_log_wait(t, "5 services, 0 map writes", 1000));
	assert_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	assert_int_equal(lf_table(t, a80, &after), m);
	assert_memory_equal(before, after, m * sizeof(*before));
	/* 8 entries, the 3 of B1 under hc down. */
	assert_int_equal(status(tb).backends_up, 5);
	free(before);
	free(after);
	lf_stop(t);
}

/* Messages lost (a sequence gap): lbd asks hcd-ctl for a snapshot without
 * stopping, and applies it. */
static void test_gap_asks_snapshot(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	uint64_t before;

	bus_ok(xlb_bus_rep_open(&tb->hcd_ctl, t->dir, XLB_BUS_HCD_CTL),
	       "hcd-ctl");
	base(tb);
	/* The first message heard asks for one too: answer it. */
	hcd_ctl_request(tb);
	hcd_ctl_snapshot(tb, tb->hcd_seq - 1, NULL, 0);
	assert_true(lf_log_wait(t, "snapshot of 0 backends", WAIT_MS));

	tb->hcd_seq += 10; /* ten lost */
	hcd_publish(tb, (struct tr[]){ { B3, 0, "hc", 0 } }, 1);
	hcd_ctl_request(tb);
	assert_true(lf_log_wait(t, "10 messages from hcd lost", 1000));
	/* B1 goes down while hcd is slow to answer; its snapshot, taken
	 * before, must not bring B1 back: lbd asks again. */
	before = tb->hcd_seq - 1;
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 } }, 1);
	wait_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	hcd_ctl_snapshot(tb, before, (struct tr[]){ { B1, 0, "hc", 1 },
		{ B2, 0, "hc", 0 }, { B3, 0, "hc", 0 } }, 3);
	hcd_ctl_request(tb);
	assert_true(lf_log_wait(t, "snapshot older than the last report",
				1000));
	hcd_ctl_snapshot(tb, tb->hcd_seq - 1, (struct tr[]){
		{ B1, 0, "hc", 0 }, { B2, 0, "hc", 0 }, { B3, 0, "hc", 0 } },
		3);
	assert_true(lf_log_wait(t, "snapshot of 3 backends", WAIT_MS));
	wait_entry(t, VIP_A, 80, B2, XLB_BE_DOWN);
	assert_entry(t, VIP_A, 80, B3, XLB_BE_DOWN);
	assert_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	assert_int_equal(count_in_log(t, "snapshot of 3 backends"), 1);
	lf_stop(t);
}

/* lbd's sockets held by another process: lbd says so, still applies the
 * database, and takes them once they are free. */
static void test_sockets_taken(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	struct xlb_bus squatter;

	bus_ok(xlb_bus_pub_open(&squatter, t->dir, XLB_BUS_LBD), "squatter");
	tb->sub = squatter; /* closed by teardown if the test fails */
	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_start(t);
	assert_true(lf_log_wait(t, "sockets: listening on", 1000));
	lf_sql(t, "UPDATE backend SET state = 'maint' WHERE address = '" B3
	       "'");
	wait_entry(t, VIP_A, 80, B3, XLB_BE_DOWN);

	bus_ok(xlb_bus_close(squatter), "closing the squatter");
	tb->sub.id = 0;
	assert_true(lf_log_wait(t, "sockets open in", 2 * WAIT_MS));
	assert_int_equal(status(tb).services, 4);
	lf_stop(t);
}

/* A STATUS field within WAIT_MS, else the test fails. */
static void wait_hcd_state(struct tb *tb, unsigned int want)
{
	double end = lf_ms() + WAIT_MS;
	unsigned int got = 0;

	while (lf_ms() < end) {
		got = status(tb).hcd;
		if (got == want)
			return;
		usleep(10000);
	}
	fail_msg("STATUS hcd %u, not %u", got, want);
}

/* hcd restarts (a new publisher, its clock-seeded sequence far ahead) and
 * has no result yet: lbd says so, asks for a snapshot, gets an empty one,
 * and changes nothing; hcd's first results then apply as usual. */
static void test_hcd_restart_no_flap(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	uint32_t a80, *before, *after, m;
	double end;

	bus_ok(xlb_bus_rep_open(&tb->hcd_ctl, t->dir, XLB_BUS_HCD_CTL),
	       "hcd-ctl");
	base(tb);
	hcd_ctl_request(tb); /* lbd's first hearing asks for one */
	hcd_ctl_snapshot(tb, tb->hcd_seq - 1, NULL, 0);
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 } }, 1);
	wait_count(t, "health pass:", 1);
	wait_count(t, "reports written in", 1);
	assert_int_equal(status(tb).hcd, XLB_HCD_LIVE);
	a80 = lf_svc_id(t, VIP_A, "tcp", 80, NULL);
	m = lf_table(t, a80, &before);

	/* The restart: a new socket, a new clock-seeded sequence. */
	bus_ok(xlb_bus_close(tb->hcd), "closing the publisher");
	tb->hcd.id = 0;
	usleep(2000);
	tb->hcd_seq = xlb_msg_seq_first();
	hcd_open(tb);
	end = lf_ms() + WAIT_MS;
	while (!lf_log_wait(t, "hcd restarted", 20) && lf_ms() < end)
		hcd_publish(tb, NULL, 0);
	assert_true(lf_log_wait(t, "hcd restarted", 0));
	hcd_ctl_request(tb);
	hcd_ctl_snapshot(tb, tb->hcd_seq - 1, NULL, 0);
	assert_true(lf_log_wait(t, "snapshot of 0 backends", WAIT_MS));
	assert_int_equal(status(tb).hcd, XLB_HCD_RESTARTED);

	/* Nothing moved: B1 still down, the same table, VIP_B not ready. */
	assert_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	assert_entry(t, VIP_A, 80, B2, XLB_BE_ACTIVE);
	assert_int_equal(lf_table(t, a80, &after), m);
	assert_memory_equal(before, after, m * sizeof(*before));
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_B "'"), 0);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM backend_health WHERE "
				"status = 'down'"), 1);
	assert_int_equal(count_in_log(t, "health pass:"), 1);

	/* Its first results apply, and it counts as live again. */
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 1 },
		{ B2, 0, "hc", 0 } }, 2);
	wait_count(t, "health pass:", 2);
	wait_entry(t, VIP_A, 80, B2, XLB_BE_DOWN);
	assert_entry(t, VIP_A, 80, B1, XLB_BE_ACTIVE);
	assert_int_equal(status(tb).hcd, XLB_HCD_LIVE);
	free(before);
	free(after);
	lf_stop(t);
}

/* hcd goes quiet: after --hcd-quiet lbd says so (log, STATUS) and keeps
 * the last known health and readiness; heard again, it is live. */
static void test_hcd_silent_keeps_state(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	uint64_t writes;

	t->hcd_quiet_ms = 300;
	base(tb);
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 } }, 1);
	wait_count(t, "health pass:", 1);
	wait_count(t, "reports written in", 1);
	assert_int_equal(status(tb).hcd, XLB_HCD_LIVE);
	writes = status(tb).backends_up;

	assert_true(lf_log_wait(t, "nothing from hcd for 0.3 s; keeping the "
				"last known health", WAIT_MS));
	assert_int_equal(status(tb).hcd, XLB_HCD_SILENT);
	usleep(300 * 1000);
	assert_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	assert_entry(t, VIP_B, 80, B1, XLB_BE_DOWN);
	assert_int_equal(status(tb).backends_up, writes);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_B "'"), 0);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_A "'"), 1);
	assert_int_equal(count_in_log(t, "health pass:"), 1);

	hcd_publish(tb, NULL, 0);
	assert_true(lf_log_wait(t, "hcd heard again", WAIT_MS));
	wait_hcd_state(tb, XLB_HCD_LIVE);
	lf_stop(t);
}

/* Four backends with a panic threshold of 50%; VIP_B's one backend
 * follows the node's threshold. */
#define PANIC_SQL \
	"BEGIN;" \
	"INSERT INTO health_check (name, type) VALUES ('hc', 'tcp');" \
	"INSERT INTO service (vip, proto, port, ring_size, health_check, " \
	"  panic_threshold) VALUES ('" VIP_A "', 'tcp', 80, 251, 'hc', 50);" \
	"INSERT INTO service (vip, proto, port, ring_size, health_check) " \
	"  VALUES ('" VIP_B "', 'tcp', 80, 97, 'hc');" \
	"INSERT INTO backend (vip, proto, port, address) VALUES " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.1'), " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.2'), " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.3'), " \
	"  ('" VIP_A "', 'tcp', 80, '198.51.100.4'), " \
	"  ('" VIP_B "', 'tcp', 80, '198.51.100.5');" \
	"COMMIT"

static const struct lf_be four[] = {
	{ B1, 0, 1 }, { B2, 0, 1 }, { B3, 0, 1 }, { "198.51.100.4", 0, 1 },
};

/* Down to 50%: health as usual; over: every active backend routed to,
 * service_panic and STATUS say so, the VIP stays ready even with all
 * down; back at or below: out of panic.  A threshold out of 0..100 is
 * refused naming the field; the node's threshold applies where the
 * service has none. */
static void test_panic_threshold(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	uint32_t a80;
	char *msg = NULL;

	assert_int_equal(lf_cli(t, PANIC_SQL), 0);
	assert_int_equal(sqlite3_exec(t->sql, "UPDATE service SET "
				      "panic_threshold = 101", NULL, NULL,
				      &msg), SQLITE_ERROR);
	assert_non_null(strstr(msg, "panic_threshold \"101\" is not 0..100"));
	sqlite3_free(msg);
	lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size) "
	       "VALUES ('" PING "', 'tcp', 9, 2);"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" PING "', 'tcp', 9, '198.51.100.99')");
	hcd_open(tb);
	lf_start(t);
	hcd_connect(tb);
	a80 = lf_svc_id(t, VIP_A, "tcp", 80, NULL);

	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 0 },
		{ B2, 0, "hc", 0 } }, 2);
	wait_count(t, "health pass:", 1);
	lf_assert_table(t, a80, &four[2], 2, 251);
	assert_entry(t, VIP_A, 80, B1, XLB_BE_DOWN);
	assert_int_equal(status(tb).panic, 0);
	wait_count(t, "reports written in", 1);
	assert_int_equal(lf_int(t, "SELECT usable FROM services WHERE vip = '"
				VIP_A "' AND port = 80 AND panic = 0"), 2);

	hcd_publish(tb, (struct tr[]){ { B3, 0, "hc", 0 } }, 1);
	wait_count(t, "health pass:", 2);
	assert_true(lf_log_wait(t, "service " VIP_A " tcp 80: 3 of 4 active "
				"backends down, more than 50%: panic", 0));
	lf_assert_table(t, a80, four, 4, 251);
	assert_entry(t, VIP_A, 80, B1, XLB_BE_ACTIVE);
	assert_entry(t, VIP_A, 80, B3, XLB_BE_ACTIVE);
	assert_int_equal(status(tb).panic, 1);
	wait_count(t, "reports written in", 2);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM service_panic WHERE "
				"vip = '" VIP_A "' AND port = 80 AND backends "
				"= 4 AND down = 3 AND threshold = 50"), 1);
	/* The shell's views say what the datapath does: all four usable. */
	assert_int_equal(lf_int(t, "SELECT usable FROM services WHERE vip = '"
				VIP_A "' AND port = 80 AND panic = 1"), 4);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM backend_status WHERE "
				"vip = '" VIP_A "' AND port = 80 AND usable "
				"AND health = 'down'"), 3);

	/* All down, the node's default (100) for VIP_B: not ready; VIP_A in
	 * panic stays ready on all four. */
	hcd_publish(tb, (struct tr[]){ { "198.51.100.4", 0, "hc", 0 },
		{ "198.51.100.5", 0, "hc", 0 } }, 2);
	wait_count(t, "health pass:", 3);
	wait_count(t, "reports written in", 3);
	lf_assert_table(t, a80, four, 4, 251);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_A "'"), 1);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_B "'"), 0);
	assert_int_equal(lf_int(t, "SELECT down FROM service_panic WHERE "
				"vip = '" VIP_A "'"), 4);

	/* The node's threshold to 0: VIP_B's service panics too. */
	lf_sql(t, "UPDATE node SET panic_threshold = 0");
	assert_true(lf_log_wait(t, "service " VIP_B " tcp 80: 1 of 1 active "
				"backends down, more than 0%: panic", WAIT_MS));
	assert_int_equal(status(tb).panic, 2);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP_B "'"), 1);
	lf_sql(t, "UPDATE node SET panic_threshold = 100");
	assert_true(lf_log_wait(t, "service " VIP_B " tcp 80: out of panic",
				WAIT_MS));

	/* Three back: 1 of 4 down, out of panic, its row gone. */
	hcd_publish(tb, (struct tr[]){ { B1, 0, "hc", 1 },
		{ B2, 0, "hc", 1 }, { B3, 0, "hc", 1 } }, 3);
	assert_true(lf_log_wait(t, "service " VIP_A " tcp 80: out of panic, "
				"1 of 4", WAIT_MS));
	wait_entry(t, VIP_A, 80, "198.51.100.4", XLB_BE_DOWN);
	lf_assert_table(t, a80, four, 3, 251);
	assert_int_equal(status(tb).panic, 0);
	request(tb, XLB_MSG_SYNC_REQ, &(struct xlb_msg){ 0 });
	assert_int_equal(lf_int(t, "SELECT count(*) FROM service_panic"), 0);
	lf_stop(t);
}

/* READY=1 once following, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1
 * on SIGTERM, on the socket $NOTIFY_SOCKET names. */
static int notify_next(int fd, char *buf, size_t len, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, len - 1, 0);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return 1;
}

static void test_notify(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), pings = 0;
	char buf[256];

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", t->dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	unsetenv("WATCHDOG_PID");
	lf_start(t);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	assert_true(notify_next(fd, buf, sizeof(buf), WAIT_MS));
	assert_string_equal(buf, "READY=1");
	for (int i = 0; i < 3; i++) {
		assert_true(notify_next(fd, buf, sizeof(buf), 1000));
		pings += !strcmp(buf, "WATCHDOG=1");
	}
	assert_int_equal(pings, 3);
	lf_stop(t);
	do
		assert_true(notify_next(fd, buf, sizeof(buf), WAIT_MS));
	while (!strcmp(buf, "WATCHDOG=1"));
	assert_string_equal(buf, "STOPPING=1");
	close(fd);
}

/* 2,000 backends of 100 VIPs x 2 ports x 10, M 13,313, down in one HEALTH
 * batch, then up: the time from publishing to lbd's REVISION. */
#define NVIP 100
#define NBE 10
#define BIG_RING 13313

/* Every step-th backend of trs to up; publishes them in one batch. */
static double big_flip(struct tb *tb, struct tr *trs, int step, int up)
{
	static struct tr sel[NVIP * 2 * NBE];
	struct xlb_msg msg;
	size_t n = 0;
	double t0;

	for (int i = 0; i < NVIP * 2 * NBE; i += step) {
		trs[i].up = up;
		sel[n++] = trs[i];
	}
	health_frame(tb, tb->hcd_seq++, false, sel, n);
	t0 = lf_ms();
	raw_publish(tb, tb->tx.data, tb->tx.len);
	assert_true(sub_next(tb, XLB_MSG_REVISION, 30000, &msg));
	return lf_ms() - t0;
}

static void test_big_batch_timing(void **state)
{
	struct tb *tb = *state;
	struct lf *t = tb->lf;
	static char addrs[NVIP * 2 * NBE][20];
	struct tr *trs = calloc(NVIP * 2 * NBE, sizeof(*trs));
	double down, up, half;
	char line[256], *p;
	static char log[1 << 20];

	assert_non_null(trs);
	lf_sql(t, "BEGIN");
	lf_sql(t, "INSERT INTO health_check (name, type) VALUES ('hc', 'tcp')");
	for (int v = 0; v < NVIP; v++)
		for (int p2 = 0; p2 < 2; p2++) {
			lf_sql(t, "INSERT INTO service (vip, proto, port, "
			       "ring_size, health_check) VALUES "
			       "('203.0.113.%d', 'tcp', %d, %d, 'hc')",
			       v + 1, p2 ? 443 : 80, BIG_RING);
			for (int b = 0; b < NBE; b++) {
				int i = (v * 2 + p2) * NBE + b;

				snprintf(addrs[i], sizeof(addrs[i]),
					 "198.18.%d.%d", v, p2 * NBE + b + 1);
				trs[i] = (struct tr){ addrs[i], 0, "hc", 0 };
				lf_sql(t, "INSERT INTO backend (vip, proto, "
				       "port, address) VALUES ('203.0.113.%d',"
				       " 'tcp', %d, '%s')", v + 1,
				       p2 ? 443 : 80, addrs[i]);
			}
		}
	lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size) "
	       "VALUES ('" PING "', 'tcp', 9, 2);"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" PING "', 'tcp', 9, '198.51.100.99')");
	lf_sql(t, "COMMIT");
	hcd_open(tb);
	lf_start(t);
	hcd_connect(tb);
	sub_connect(tb);

	down = big_flip(tb, trs, 1, 0);
	wait_count(t, "health pass:", 1);
	wait_count(t, "reports written in", 1);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM vip_state WHERE "
				"ready = 0"), NVIP);
	up = big_flip(tb, trs, 1, 1);
	wait_count(t, "health pass:", 2);
	wait_count(t, "reports written in", 2);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM vip_state WHERE "
				"ready = 1"), NVIP + 1);
	/* Half of each service down: every table recomputed and switched. */
	half = big_flip(tb, trs, 2, 0);
	wait_count(t, "health pass:", 3);
	assert_entry(t, "203.0.113.100", 443, "198.18.99.19", XLB_BE_DOWN);
	assert_entry(t, "203.0.113.100", 443, "198.18.99.20", XLB_BE_ACTIVE);
	print_message("HEALTH -> REVISION, 100 VIPs x 2 ports x 10 backends, "
		      "M 13,313: 2,000 down %.1f ms (no usable backend: "
		      "tables kept), 2,000 up %.1f ms (tables recomputed, "
		      "identical), 1,000 down %.1f ms (200 tables switched)\n",
		      down, up, half);
	lf_log_read(t, log, sizeof(log));
	for (p = log; (p = strstr(p, "health pass:")); p++) {
		snprintf(line, sizeof(line), "%s", p);
		*strchrnul(line, '\n') = '\0';
		print_message("%s\n", line);
	}
	free(trs);
	lf_stop(t);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_down_and_up),
		T(test_burst_one_pass),
		T(test_malformed_counted),
		T(test_snapshot_and_revision),
		T(test_sync),
		T(test_restart_keeps_health),
		T(test_gap_asks_snapshot),
		T(test_sockets_taken),
		T(test_hcd_restart_no_flap),
		T(test_hcd_silent_keeps_state),
		T(test_panic_threshold),
		T(test_notify),
		T(test_big_batch_timing),
	};

	if (argc > 1) /* one test by name, when looking into a failure */
		cmocka_set_test_filter(argv[1]);
	if (lf_init(argv[0]))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
