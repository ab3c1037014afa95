// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_bus.c - lib/xlb_bus with real nng sockets over ipc:// in a folder
 * the test creates with mkdtemp and removes: pub/sub delivery of a HEALTH
 * batch, a late subscriber catching up through a snapshot by request,
 * malformed frames counted and dropped while the receiver goes on, bad
 * requests answered with an ERROR reply, socket file modes, endpoint
 * names, timeouts and the poll descriptor.
 *
 * pub/sub delivers only once a subscriber is connected, and connecting
 * happens in the background, so a test publishes empty HEALTH deltas
 * (heartbeats) until its subscriber hears one before it publishes what it
 * checks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "xlb_bus.h"
#include "xlb_errmsg.h"
#include "xlb_msg.h"

#define WAIT_MS 5000  /* for what must happen: generous, never reached */
#define NBE     64    /* backends in the health model */
#define MAX_OPEN 8

/* ---- fixture: a temporary runtime folder and the sockets in it ---------- */

struct fixture {
	char tmp[64];     /* mkdtemp'd */
	char rundir[96];  /* tmp/run, created by the first listener */
	struct xlb_bus open[MAX_OPEN];
	int nopen;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->tmp, "/tmp/xlb-test-bus.XXXXXX");
	if (!mkdtemp(fx->tmp)) {
		free(fx);
		return -1;
	}
	snprintf(fx->rundir, sizeof(fx->rundir), "%s/run", fx->tmp);
	*state = fx;
	return 0;
}

/* Closes what is still open; the folder must then be empty: closing a
 * listener removed its socket file. */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	int i, bad = 0;

	for (i = 0; i < fx->nopen; i++)
		bad |= xlb_bus_close(fx->open[i]) != 0;
	if (rmdir(fx->rundir) && errno != ENOENT)
		bad = 1;
	bad |= rmdir(fx->tmp) != 0;
	free(fx);
	return bad ? -1 : 0;
}

typedef int (*open_fn)(struct xlb_bus *, const char *, const char *);

static struct xlb_bus fx_open(struct fixture *fx, open_fn fn, const char *name)
{
	struct xlb_bus b;

	assert_true(fx->nopen < MAX_OPEN);
	if (fn(&b, fx->rundir, name))
		fail_msg("opening %s: %s", name, xlb_errmsg());
	fx->open[fx->nopen++] = b;
	return b;
}

static void fx_close(struct fixture *fx, struct xlb_bus b)
{
	int i;

	for (i = 0; i < fx->nopen; i++)
		if (fx->open[i].id == b.id)
			break;
	assert_true(i < fx->nopen);
	fx->open[i] = fx->open[--fx->nopen];
	assert_int_equal(xlb_bus_close(b), 0);
}

static void fx_path(const struct fixture *fx, const char *name, char *buf,
		    size_t len)
{
	assert_true(xlb_bus_path(fx->rundir, name, buf, len) > 0);
}

/* ---- the health side of hcd, as a model --------------------------------- */

/* Backend i: documentation addresses, a check per backend. */
static void be_make(struct xlb_health_tr *t, unsigned int i)
{
	memset(t, 0, sizeof(*t));
	t->family = i % 2 ? XLB_FAM_V6 : XLB_FAM_V4;
	if (t->family == XLB_FAM_V6) {
		assert_int_equal(inet_pton(AF_INET6, "2001:db8::", t->addr.b),
				 1);
		t->addr.b[15] = (__u8)i;
	} else {
		assert_int_equal(inet_pton(AF_INET, "192.0.2.0", t->addr.b), 1);
		t->addr.b[3] = (__u8)i;
	}
	t->port = 80;
	t->state = XLB_HEALTH_UP;
	t->reason = XLB_HR_OK;
	t->latency_us = 100 + i;
	snprintf(t->check, sizeof(t->check), "http-%u", i);
}

/*
 * What hcd holds: every backend's state, the last sequence number it
 * published, its publisher and its replier.  The replier runs on a thread
 * (cmocka asserts only on the main one: the thread records, main checks).
 */
struct hcd_model {
	pthread_mutex_t lock;
	struct xlb_health_tr be[NBE];
	__u64 seq;
	struct xlb_bus pub, rep;
	int serve;                   /* requests to answer */
	int served;
	struct xlb_msg_stats rep_stats;
};

static void hcd_init(struct hcd_model *h, struct xlb_bus pub,
		     struct xlb_bus rep)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	for (i = 0; i < NBE; i++)
		be_make(&h->be[i], i);
	h->seq = xlb_msg_seq_first();
	h->pub = pub;
	h->rep = rep;
}

/* Publishes backend i going down (or, with i < 0, an empty delta). */
static void hcd_publish(struct hcd_model *h, int i)
{
	struct xlb_msg_buf b = { 0 };

	pthread_mutex_lock(&h->lock);
	assert_int_equal(xlb_msg_health_begin(&b, ++h->seq, false), 0);
	if (i >= 0) {
		h->be[i].state = XLB_HEALTH_DOWN;
		h->be[i].reason = XLB_HR_REFUSED;
		assert_int_equal(xlb_msg_health_add(&b, &h->be[i]), 0);
	}
	pthread_mutex_unlock(&h->lock);
	assert_int_equal(xlb_bus_send(h->pub, b.data, b.len, WAIT_MS), 0);
	xlb_msg_buf_fini(&b);
}

/* The replier's answer to one request: a snapshot, or an ERROR naming
 * what was wrong. */
static void hcd_answer(struct hcd_model *h, const struct xlb_msg_buf *in,
		       struct xlb_msg_buf *out)
{
	struct xlb_msg m;
	unsigned int i;
	int err;

	pthread_mutex_lock(&h->lock);
	err = xlb_msg_decode(in->data, in->len, &m, &h->rep_stats);
	if (err)
		xlb_msg_error_encode(out, h->seq, (__u32)-err, xlb_errmsg());
	else if (m.type != XLB_MSG_SNAPSHOT_HEALTH_REQ)
		xlb_msg_error_encode(out, h->seq, EOPNOTSUPP,
				     "hcd answers snapshot_health_req only");
	else if (!xlb_msg_health_begin(out, h->seq, true))
		for (i = 0; i < NBE; i++)
			xlb_msg_health_add(out, &h->be[i]);
	pthread_mutex_unlock(&h->lock);
}

static void *hcd_replier(void *arg)
{
	struct xlb_msg_buf in = { 0 }, out = { 0 };
	struct hcd_model *h = arg;

	for (; h->served < h->serve; h->served++) {
		if (xlb_bus_recv(h->rep, &in, WAIT_MS))
			break;
		hcd_answer(h, &in, &out);
		if (xlb_bus_send(h->rep, out.data, out.len, WAIT_MS))
			break;
	}
	xlb_msg_buf_fini(&in);
	xlb_msg_buf_fini(&out);
	return NULL;
}

/* ---- the receiving side ------------------------------------------------- */

/* Publishes heartbeats until sub hears one; returns its sequence number. */
static __u64 wait_joined(struct hcd_model *h, struct xlb_bus sub,
			 struct xlb_msg_buf *buf)
{
	struct xlb_msg m;
	int i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		hcd_publish(h, -1);
		if (xlb_bus_recv(sub, buf, 10) == 0) {
			assert_int_equal(xlb_msg_decode(buf->data, buf->len,
							&m, NULL),
					 0);
			return m.seq;
		}
	}
	fail_msg("subscriber not connected after %d ms", WAIT_MS);
	return 0;
}

static int be_find(const struct xlb_health_tr *be,
		   const struct xlb_health_tr *t)
{
	int i;

	for (i = 0; i < NBE; i++)
		if (be[i].family == t->family && be[i].port == t->port &&
		    !memcmp(be[i].addr.b, t->addr.b, 16) &&
		    !strcmp(be[i].check, t->check))
			return i;
	return -1;
}

/* Applies a decoded HEALTH batch to lbd's view; returns its entries. */
static unsigned int lbd_apply(struct xlb_health_tr *view,
			      const struct xlb_msg *m)
{
	struct xlb_health_tr t;
	struct xlb_msg_iter it;
	unsigned int n = 0;
	int i;

	assert_int_equal(xlb_msg_iter_init(&it, m), 0);
	while (xlb_msg_health_next(&it, &t) == 0) {
		i = be_find(view, &t);
		assert_true(i >= 0);
		view[i] = t;
		n++;
	}
	return n;
}

static void assert_views_equal(const struct xlb_health_tr *a,
			       const struct xlb_health_tr *b)
{
	int i;

	for (i = 0; i < NBE; i++) {
		assert_int_equal(a[i].state, b[i].state);
		assert_int_equal(a[i].reason, b[i].reason);
		assert_int_equal(a[i].latency_us, b[i].latency_us);
	}
}

/* ---- tests -------------------------------------------------------------- */

static void test_pub_sub_health_batch(void **state)
{
	struct fixture *fx = *state;
	struct xlb_msg_buf b = { 0 }, in = { 0 };
	struct xlb_health_tr t, got;
	struct xlb_msg_stats st;
	struct hcd_model h;
	struct xlb_msg_iter it;
	struct xlb_msg m;
	struct xlb_bus sub;
	unsigned int i;

	memset(&st, 0, sizeof(st));
	hcd_init(&h, fx_open(fx, xlb_bus_pub_open, XLB_BUS_HEALTH),
		 (struct xlb_bus){ 0 });
	sub = fx_open(fx, xlb_bus_sub_open, XLB_BUS_HEALTH);
	wait_joined(&h, sub, &in);

	/* 2,000 transitions in one delta. */
	assert_int_equal(xlb_msg_health_begin(&b, ++h.seq, false), 0);
	for (i = 0; i < 2000; i++) {
		be_make(&t, i % NBE);
		t.latency_us = i;
		assert_int_equal(xlb_msg_health_add(&b, &t), 0);
	}
	assert_int_equal(xlb_bus_send(h.pub, b.data, b.len, WAIT_MS), 0);

	/* Heartbeats still queued are filtered by type and count. */
	do {
		assert_int_equal(xlb_bus_recv(sub, &in, WAIT_MS), 0);
		assert_int_equal(xlb_msg_decode(in.data, in.len, &m, &st), 0);
		assert_int_equal(m.type, XLB_MSG_HEALTH);
	} while (m.batch.count == 0);
	assert_true(m.seq == h.seq);
	assert_false(m.batch.snapshot);
	assert_int_equal(m.batch.count, 2000);
	assert_int_equal(xlb_msg_iter_init(&it, &m), 0);
	for (i = 0; i < 2000; i++) {
		be_make(&t, i % NBE);
		assert_int_equal(xlb_msg_health_next(&it, &got), 0);
		assert_memory_equal(got.addr.b, t.addr.b, 16);
		assert_string_equal(got.check, t.check);
		assert_int_equal(got.latency_us, i);
	}
	assert_int_equal(xlb_msg_health_next(&it, &got), -ENOENT);
	xlb_msg_buf_fini(&b);
	xlb_msg_buf_fini(&in);
}

/*
 * DESIGN.md's pattern: lbd subscribes late, misses transitions, asks hcd
 * for a snapshot, skips the deltas the snapshot already covers and applies
 * the ones after it, ending with hcd's exact view.
 */
static void test_late_subscriber_gets_snapshot(void **state)
{
	struct fixture *fx = *state;
	struct xlb_msg_buf q = { 0 }, in = { 0 };
	struct xlb_health_tr view[NBE];
	struct xlb_msg_seq seq = { 0 };
	struct xlb_msg_stats st;
	struct hcd_model h;
	struct xlb_bus sub, req;
	struct xlb_msg m;
	pthread_t thr;
	__u64 first;
	int i, ev;

	memset(&st, 0, sizeof(st));
	hcd_init(&h, fx_open(fx, xlb_bus_pub_open, XLB_BUS_HEALTH),
		 fx_open(fx, xlb_bus_rep_open, XLB_BUS_HCD_CTL));
	h.serve = 1;
	assert_int_equal(pthread_create(&thr, NULL, hcd_replier, &h), 0);
	hcd_publish(&h, 3); /* nobody hears these */
	hcd_publish(&h, 5);

	/* lbd starts: it knows its backends, not their state. */
	for (i = 0; i < NBE; i++) {
		be_make(&view[i], i);
		view[i].state = XLB_HEALTH_DOWN;
		view[i].reason = XLB_HR_INTERNAL;
	}
	sub = fx_open(fx, xlb_bus_sub_open, XLB_BUS_HEALTH);
	req = fx_open(fx, xlb_bus_req_open, XLB_BUS_HCD_CTL);
	first = wait_joined(&h, sub, &in);
	assert_int_equal(xlb_msg_seq_check(&seq, first, &st), XLB_SEQ_FIRST);

	assert_int_equal(xlb_msg_request_encode(&q, 1,
						XLB_MSG_SNAPSHOT_HEALTH_REQ),
			 0);
	assert_int_equal(xlb_bus_request(req, &q, &in, WAIT_MS), 0);
	assert_int_equal(xlb_msg_decode(in.data, in.len, &m, &st), 0);
	assert_int_equal(m.type, XLB_MSG_HEALTH);
	assert_true(m.batch.snapshot);
	assert_true(m.seq == h.seq);
	assert_int_equal(lbd_apply(view, &m), NBE);
	xlb_msg_seq_reset(&seq, m.seq);

	hcd_publish(&h, 7);
	do { /* heartbeats queued before the snapshot are stale */
		assert_int_equal(xlb_bus_recv(sub, &in, WAIT_MS), 0);
		assert_int_equal(xlb_msg_decode(in.data, in.len, &m, &st), 0);
		ev = xlb_msg_seq_check(&seq, m.seq, &st);
	} while (ev == XLB_SEQ_STALE);
	assert_int_equal(ev, XLB_SEQ_NEXT);
	assert_int_equal(lbd_apply(view, &m), 1);

	assert_int_equal(pthread_join(thr, NULL), 0);
	assert_int_equal(h.served, 1);
	assert_views_equal(view, h.be);
	assert_int_equal(view[3].state, XLB_HEALTH_DOWN);
	assert_int_equal(view[4].state, XLB_HEALTH_UP);
	assert_int_equal(view[7].reason, XLB_HR_REFUSED);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(h.rep_stats.accepted[XLB_MSG_SNAPSHOT_HEALTH_REQ], 1);
	xlb_msg_buf_fini(&q);
	xlb_msg_buf_fini(&in);
}

static void test_malformed_frames_counted_and_dropped(void **state)
{
	struct fixture *fx = *state;
	struct xlb_msg_buf b = { 0 }, in = { 0 };
	struct xlb_health_tr t;
	struct xlb_msg_stats st;
	struct hcd_model h;
	struct xlb_bus sub;
	struct xlb_msg m;
	int err, dropped = 0;

	memset(&st, 0, sizeof(st));
	hcd_init(&h, fx_open(fx, xlb_bus_pub_open, XLB_BUS_HEALTH),
		 (struct xlb_bus){ 0 });
	sub = fx_open(fx, xlb_bus_sub_open, XLB_BUS_HEALTH);
	wait_joined(&h, sub, &in);

	assert_int_equal(xlb_bus_send(h.pub, "hello", 5, WAIT_MS), 0);
	assert_int_equal(xlb_bus_send(h.pub, NULL, 0, WAIT_MS), 0);
	/* A valid frame, then the same with a bad state and a bad magic. */
	be_make(&t, 1);
	assert_int_equal(xlb_msg_health_begin(&b, ++h.seq, false), 0);
	assert_int_equal(xlb_msg_health_add(&b, &t), 0);
	b.data[20 + 5 + 19] = 9;
	assert_int_equal(xlb_bus_send(h.pub, b.data, b.len, WAIT_MS), 0);
	b.data[20 + 5 + 19] = XLB_HEALTH_UP;
	b.data[0] = 'Y';
	assert_int_equal(xlb_bus_send(h.pub, b.data, b.len, WAIT_MS), 0);
	b.data[0] = 'X';
	assert_int_equal(xlb_bus_send(h.pub, b.data, b.len, WAIT_MS), 0);

	/* The receiver's loop: reject, count, go on. */
	for (;;) {
		assert_int_equal(xlb_bus_recv(sub, &in, WAIT_MS), 0);
		err = xlb_msg_decode(in.data, in.len, &m, &st);
		if (err) {
			dropped++;
			continue;
		}
		if (m.batch.count == 1) /* not a heartbeat */
			break;
	}
	assert_true(m.seq == h.seq);
	assert_int_equal(dropped, 4);
	assert_int_equal(st.rejected[XLB_MSG_R_SHORT], 2);
	assert_int_equal(st.rejected[XLB_MSG_R_STATE], 1);
	assert_int_equal(st.rejected[XLB_MSG_R_MAGIC], 1);
	xlb_msg_buf_fini(&b);
	xlb_msg_buf_fini(&in);
}

/* A replier answers a bad request with an ERROR and keeps serving. */
static void test_bad_request_gets_error_reply(void **state)
{
	struct fixture *fx = *state;
	const char *http = "GET / HTTP/1.1\r\nHost: lbd\r\n\r\n";
	struct xlb_msg_buf q = { 0 }, in = { 0 };
	struct hcd_model h;
	struct xlb_bus req;
	struct xlb_msg m;
	pthread_t thr;

	hcd_init(&h, (struct xlb_bus){ 0 },
		 fx_open(fx, xlb_bus_rep_open, XLB_BUS_HCD_CTL));
	h.serve = 3;
	assert_int_equal(pthread_create(&thr, NULL, hcd_replier, &h), 0);
	req = fx_open(fx, xlb_bus_req_open, XLB_BUS_HCD_CTL);

	assert_int_equal(xlb_msg_buf_set(&q, http, strlen(http)), 0);
	assert_int_equal(xlb_bus_request(req, &q, &in, WAIT_MS), 0);
	assert_int_equal(xlb_msg_decode(in.data, in.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_ERROR);
	assert_int_equal(m.error.code, EPROTO);
	assert_non_null(strstr(m.error.text, "magic"));

	assert_int_equal(xlb_msg_revision_encode(&q, 2, 1), 0);
	assert_int_equal(xlb_bus_request(req, &q, &in, WAIT_MS), 0);
	assert_int_equal(xlb_msg_decode(in.data, in.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_ERROR);
	assert_int_equal(m.error.code, EOPNOTSUPP);

	assert_int_equal(xlb_msg_request_encode(&q, 3,
						XLB_MSG_SNAPSHOT_HEALTH_REQ),
			 0);
	assert_int_equal(xlb_bus_request(req, &q, &in, WAIT_MS), 0);
	assert_int_equal(xlb_msg_decode(in.data, in.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_HEALTH);
	assert_int_equal(m.batch.count, NBE);

	assert_int_equal(pthread_join(thr, NULL), 0);
	assert_int_equal(h.served, 3);
	assert_int_equal(h.rep_stats.rejected[XLB_MSG_R_MAGIC], 1);
	assert_int_equal(h.rep_stats.accepted[XLB_MSG_REVISION], 1);
	xlb_msg_buf_fini(&q);
	xlb_msg_buf_fini(&in);
}

/* A replier that answers each request with a REVISION carrying the
 * request's sequence number, the first one only after delay_ms. */
struct echo {
	struct xlb_bus rep;
	int serve, served, delay_ms;
};

static void *echo_replier(void *arg)
{
	struct xlb_msg_buf in = { 0 }, out = { 0 };
	struct echo *e = arg;
	struct xlb_msg m;

	for (; e->served < e->serve; e->served++) {
		if (xlb_bus_recv(e->rep, &in, WAIT_MS) ||
		    xlb_msg_decode(in.data, in.len, &m, NULL))
			break;
		if (e->served == 0)
			usleep((useconds_t)e->delay_ms * 1000);
		xlb_msg_revision_encode(&out, 1, m.seq);
		if (xlb_bus_send(e->rep, out.data, out.len, WAIT_MS))
			break;
	}
	xlb_msg_buf_fini(&in);
	xlb_msg_buf_fini(&out);
	return NULL;
}

/* lbsh gives up on a busy lbd and asks again: the late answer to the
 * first question must not be taken for the answer to the second. */
static void test_late_reply_discarded(void **state)
{
	struct fixture *fx = *state;
	struct xlb_msg_buf q = { 0 }, in = { 0 };
	struct echo e = { .serve = 2, .delay_ms = 300 };
	struct xlb_bus req;
	struct xlb_msg m;
	pthread_t thr;

	e.rep = fx_open(fx, xlb_bus_rep_open, XLB_BUS_LBD_CTL);
	req = fx_open(fx, xlb_bus_req_open, XLB_BUS_LBD_CTL);
	assert_int_equal(pthread_create(&thr, NULL, echo_replier, &e), 0);
	assert_int_equal(xlb_msg_request_encode(&q, 1, XLB_MSG_STATUS_REQ), 0);
	assert_int_equal(xlb_bus_request(req, &q, &in, 100), -ETIMEDOUT);
	assert_int_equal(xlb_msg_request_encode(&q, 2, XLB_MSG_SYNC_REQ), 0);
	assert_int_equal(xlb_bus_request(req, &q, &in, WAIT_MS), 0);
	assert_int_equal(xlb_msg_decode(in.data, in.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_REVISION);
	assert_true(m.revision == 2);
	assert_int_equal(pthread_join(thr, NULL), 0);
	assert_int_equal(e.served, 2);
	xlb_msg_buf_fini(&q);
	xlb_msg_buf_fini(&in);
}

static void assert_mode(const char *path, mode_t type, mode_t mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_mode & 07777, mode);
}

/* 0660 whatever the umask: umask 0 would otherwise leave 0777. */
static void test_socket_file_mode(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	mode_t old = umask(0);

	fx_open(fx, xlb_bus_pub_open, XLB_BUS_LBD);
	fx_open(fx, xlb_bus_rep_open, XLB_BUS_LBD_CTL);
	umask(old);
	fx_path(fx, XLB_BUS_LBD, path, sizeof(path));
	assert_mode(path, S_IFSOCK, 0660);
	fx_path(fx, XLB_BUS_LBD_CTL, path, sizeof(path));
	assert_mode(path, S_IFSOCK, 0660);
	assert_mode(fx->rundir, S_IFDIR, 0750);
}

/* A live listener keeps its name; a dead one's file is replaced; closing
 * removes the file. */
static void test_endpoint_in_use_stale_and_removed(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct xlb_bus pub, other;
	char path[128];
	int fd;

	pub = fx_open(fx, xlb_bus_pub_open, "ep");
	assert_int_equal(xlb_bus_pub_open(&other, fx->rundir, "ep"),
			 -EADDRINUSE);
	assert_int_equal(xlb_bus_rep_open(&other, fx->rundir, "ep"),
			 -EADDRINUSE);
	assert_non_null(strstr(xlb_errmsg(), "ep.ipc"));
	fx_path(fx, "ep", path, sizeof(path));
	fx_close(fx, pub);
	assert_int_equal(access(path, F_OK), -1);

	/* What a crashed listener leaves behind: a file nobody listens on. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(access(path, F_OK), 0);
	fx_open(fx, xlb_bus_pub_open, "ep");
	assert_mode(path, S_IFSOCK, 0660);
}

static void test_names_and_paths(void **state)
{
	struct fixture *fx = *state;
	char path[256], longdir[200];
	const char *bad[] = { "", "a/b", "-x", "a.b", "a b",
			      "123456789012345678901234567890123" };
	struct xlb_bus b;
	unsigned int i;
	int fd;

	assert_int_equal(xlb_bus_path(NULL, "lbd", path, sizeof(path)), 16);
	assert_string_equal(path, "/run/xlb/lbd.ipc");
	assert_int_equal(xlb_bus_path("/r", "a_B-9", path, sizeof(path)), 12);
	assert_string_equal(path, "/r/a_B-9.ipc");
	assert_int_equal(xlb_bus_path("/r", "lbd", path, 9), -ENAMETOOLONG);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(xlb_bus_pub_open(&b, fx->rundir, bad[i]),
				 -EINVAL);
	assert_int_equal(xlb_bus_sub_open(&b, fx->rundir, NULL), -EINVAL);
	assert_int_equal(xlb_bus_pub_open(&b, "", "lbd"), -EINVAL);

	/* A socket address holds 107 bytes of path. */
	memset(longdir, 'd', sizeof(longdir));
	memcpy(longdir, fx->tmp, strlen(fx->tmp));
	longdir[strlen(fx->tmp)] = '/';
	longdir[107 - strlen("/x.ipc")] = '\0';
	assert_int_equal(xlb_bus_path(longdir, "x", path, sizeof(path)), 107);
	longdir[107 - strlen("/x.ipc")] = 'd';
	longdir[108 - strlen("/x.ipc")] = '\0';
	assert_int_equal(xlb_bus_sub_open(&b, longdir, "x"), -ENAMETOOLONG);

	/* The runtime folder must be a folder. */
	snprintf(path, sizeof(path), "%s/file", fx->tmp);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(xlb_bus_pub_open(&b, path, "x"), -ENOTDIR);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(xlb_bus_close((struct xlb_bus){ 0 }), -EBADF);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_timeouts(void **state)
{
	struct fixture *fx = *state;
	struct xlb_msg_buf q = { 0 }, in = { 0 };
	struct xlb_bus sub, req, pub;
	struct timespec t0;

	/* Dialers start before anyone listens. */
	sub = fx_open(fx, xlb_bus_sub_open, "quiet");
	req = fx_open(fx, xlb_bus_req_open, "nobody");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(xlb_bus_recv(sub, &in, 0), -ETIMEDOUT);
	assert_true(ms_since(&t0) < 50);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(xlb_bus_recv(sub, &in, 100), -ETIMEDOUT);
	assert_true(ms_since(&t0) >= 90);
	assert_true(ms_since(&t0) < 2000);

	assert_int_equal(xlb_msg_request_encode(&q, 1, XLB_MSG_STATUS_REQ), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(xlb_bus_request(req, &q, &in, 150), -ETIMEDOUT);
	assert_true(ms_since(&t0) >= 140);
	assert_true(ms_since(&t0) < 2000);

	/* A publisher does not wait for subscribers. */
	pub = fx_open(fx, xlb_bus_pub_open, "alone");
	assert_int_equal(xlb_bus_send(pub, q.data, q.len, 0), 0);
	xlb_msg_buf_fini(&q);
	xlb_msg_buf_fini(&in);
}

/* The descriptor an event loop polls. */
static void test_poll_descriptor(void **state)
{
	struct fixture *fx = *state;
	struct xlb_msg_buf in = { 0 };
	struct hcd_model h;
	struct pollfd p = { .events = POLLIN };
	struct xlb_bus sub;

	hcd_init(&h, fx_open(fx, xlb_bus_pub_open, XLB_BUS_HEALTH),
		 (struct xlb_bus){ 0 });
	sub = fx_open(fx, xlb_bus_sub_open, XLB_BUS_HEALTH);
	assert_int_equal(xlb_bus_fd(sub, &p.fd), 0);
	wait_joined(&h, sub, &in);
	while (xlb_bus_recv(sub, &in, 0) == 0)
		; /* drain the heartbeats */
	assert_int_equal(poll(&p, 1, 0), 0);
	hcd_publish(&h, 1);
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	assert_true(p.revents & POLLIN);
	assert_int_equal(xlb_bus_recv(sub, &in, 0), 0);
	xlb_msg_buf_fini(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_pub_sub_health_batch),
		T(test_late_subscriber_gets_snapshot),
		T(test_malformed_frames_counted_and_dropped),
		T(test_bad_request_gets_error_reply),
		T(test_late_reply_discarded),
		T(test_socket_file_mode),
		T(test_endpoint_in_use_stale_and_removed),
		T(test_names_and_paths),
		T(test_timeouts),
		T(test_poll_descriptor),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
