// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_msg.c - lib/xlb_msg: every message type survives a round trip
 * (batches up to the size limit), the bytes on the wire are the documented
 * ones, and every malformed shape is rejected with the errno the header
 * promises and counted under its reason, leaving the caller's structs
 * untouched.
 *
 * Malformed frames come from a small writer here that knows the format on
 * its own (struct raw), not from the encoder under test.  Frames are
 * decoded from heap copies of exactly their size, so a read past the end
 * is an AddressSanitizer error in the sanitizer build.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xlb_errmsg.h"
#include "xlb_msg.h"

#define GUARD 0xa5
#define RAW_MAX 4096

/* ---- a writer independent of the encoder -------------------------------- */

struct raw {
	__u8 b[RAW_MAX];
	size_t n;
};

static void raw_le(struct raw *r, __u64 v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		r->b[r->n++] = (__u8)(v >> (8 * i));
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

/* A header whose length field raw_finish() fills in. */
static void raw_header(struct raw *r, __u8 type, __u64 seq)
{
	r->n = 0;
	raw_bytes(r, "XLBM", 4);
	raw_le(r, 1, 1);
	raw_le(r, type, 1);
	raw_le(r, 0, 2);
	raw_le(r, 0, 4);
	raw_le(r, seq, 8);
}

static void raw_finish(struct raw *r)
{
	__u64 len = r->n - 20;
	int i;

	for (i = 0; i < 4; i++)
		r->b[8 + i] = (__u8)(len >> (8 * i));
}

/* The fields of one HEALTH entry as they go on the wire. */
struct hf {
	__u8 family;
	__u8 addr[16];
	__u16 port;
	__u8 state, reason;
	__u32 latency;
	__u8 nlen;
	char name[256];
};

static struct hf hf_default(void)
{
	struct hf f;

	memset(&f, 0, sizeof(f));
	f.family = XLB_FAM_V4;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.7", f.addr), 1);
	f.port = 8080;
	f.state = XLB_HEALTH_UP;
	f.reason = XLB_HR_OK;
	f.latency = 1234;
	strcpy(f.name, "http");
	f.nlen = 4;
	return f;
}

static void raw_health_entry(struct raw *r, const struct hf *f)
{
	raw_le(r, f->family, 1);
	raw_bytes(r, f->addr, 16);
	raw_le(r, f->port, 2);
	raw_le(r, f->state, 1);
	raw_le(r, f->reason, 1);
	raw_le(r, f->latency, 4);
	raw_le(r, f->nlen, 1);
	raw_bytes(r, f->name, f->nlen);
}

/* A HEALTH delta of n copies of *f, count as written. */
static void raw_health(struct raw *r, const struct hf *f, unsigned int n)
{
	unsigned int i;

	raw_header(r, XLB_MSG_HEALTH, 7);
	raw_le(r, 0, 1);
	raw_le(r, n, 4);
	for (i = 0; i < n; i++)
		raw_health_entry(r, f);
	raw_finish(r);
}

static void raw_vips(struct raw *r, __u8 family, const __u8 addr[16],
		     __u8 ready, unsigned int n)
{
	unsigned int i;

	raw_header(r, XLB_MSG_VIP_READY, 7);
	raw_le(r, 1, 1);
	raw_le(r, n, 4);
	for (i = 0; i < n; i++) {
		raw_le(r, family, 1);
		raw_bytes(r, addr, 16);
		raw_le(r, ready, 1);
	}
	raw_finish(r);
}

static void raw_revision(struct raw *r)
{
	raw_header(r, XLB_MSG_REVISION, 7);
	raw_le(r, 99, 8);
	raw_finish(r);
}

/* ---- decoding with guards ----------------------------------------------- */

/* A struct xlb_msg between guard bytes: decode must write only inside. */
struct guarded_msg {
	__u8 before[64];
	struct xlb_msg m;
	__u8 after[64];
};

struct guarded_tr {
	__u8 before[64];
	struct xlb_health_tr tr;
	__u8 after[64];
};

static void assert_all(const void *p, size_t n, __u8 v)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			fail_msg("byte %zu of %zu is 0x%02x, not 0x%02x", i, n,
				 b[i], v);
}

static void assert_guards(const void *before, const void *after, size_t n)
{
	assert_all(before, n, GUARD);
	assert_all(after, n, GUARD);
}

/* Decodes a heap copy of exactly len bytes. */
static int decode_copy(const void *frame, size_t len, struct xlb_msg *m,
		       struct xlb_msg_stats *st)
{
	__u8 *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, frame, len);
	err = xlb_msg_decode(copy, len, m, st);
	free(copy);
	return err;
}

static __u64 sum(const __u64 *v, int n)
{
	__u64 s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* frame[0..len) is rejected with err, counted once under why alone, and
 * the output struct is not touched at all. */
static void expect_reject_n(const void *frame, size_t len, int err,
			    enum xlb_msg_reject why)
{
	struct xlb_msg_stats st;
	struct guarded_msg g;

	memset(&st, 0, sizeof(st));
	memset(&g, GUARD, sizeof(g));
	xlb_errmsg_clear();
	assert_int_equal(decode_copy(frame, len, &g.m, &st), err);
	assert_all(&g, sizeof(g), GUARD);
	assert_int_equal(st.rejected[why], 1);
	assert_int_equal(sum(st.rejected, XLB_MSG_R_MAX), 1);
	assert_int_equal(sum(st.accepted, XLB_MSG_TYPE_MAX), 0);
	assert_true(xlb_errmsg()[0] != '\0');
}

static void expect_reject(const struct raw *r, int err, enum xlb_msg_reject why)
{
	expect_reject_n(r->b, r->n, err, why);
}

static void expect_accept(const struct raw *r)
{
	struct xlb_msg_stats st;
	struct xlb_msg m;

	memset(&st, 0, sizeof(st));
	assert_int_equal(decode_copy(r->b, r->n, &m, &st), 0);
	assert_int_equal(sum(st.accepted, XLB_MSG_TYPE_MAX), 1);
}

/* ---- round trips -------------------------------------------------------- */

/* Entry i of a test batch: both families, every state and reason, names
 * of nlen bytes cycling through all of printable ASCII. */
static void tr_make(struct xlb_health_tr *t, unsigned int i, size_t nlen)
{
	size_t k;

	memset(t, 0, sizeof(*t));
	if (i % 2) {
		t->family = XLB_FAM_V6;
		assert_int_equal(inet_pton(AF_INET6, "2001:db8::", t->addr.b),
				 1);
		t->addr.b[14] = (__u8)(i >> 8);
		t->addr.b[15] = (__u8)i;
	} else {
		t->family = XLB_FAM_V4;
		assert_int_equal(inet_pton(AF_INET, "203.0.113.0", t->addr.b),
				 1);
		t->addr.b[3] = (__u8)i;
	}
	t->port = (__u16)(1 + i * 7);
	t->state = i % 3 ? XLB_HEALTH_UP : XLB_HEALTH_DOWN;
	t->reason = (__u8)(i % XLB_HR_MAX);
	t->latency_us = 0xfffff000U + i;
	for (k = 0; k < nlen; k++)
		t->check[k] = (char)(0x20 + (i + k) % 95);
}

static void assert_tr_equal(const struct xlb_health_tr *a,
			    const struct xlb_health_tr *b)
{
	assert_int_equal(a->family, b->family);
	assert_memory_equal(a->addr.b, b->addr.b, 16);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->reason, b->reason);
	assert_int_equal(a->latency_us, b->latency_us);
	assert_string_equal(a->check, b->check);
}

/* Decodes b (kept alive: the batch points into it) and checks entries
 * 0..n-1 against tr_make(i, name_len(i)). */
static void health_check_batch(const struct xlb_msg_buf *b, __u64 seq,
			       bool snapshot, unsigned int n,
			       size_t (*name_len)(unsigned int))
{
	struct xlb_msg_stats st;
	struct guarded_tr g;
	struct xlb_health_tr want;
	struct xlb_msg_iter it;
	struct xlb_msg m;
	unsigned int i;

	memset(&st, 0, sizeof(st));
	memset(&g, GUARD, sizeof(g));
	assert_int_equal(xlb_msg_decode(b->data, b->len, &m, &st), 0);
	assert_int_equal(st.accepted[XLB_MSG_HEALTH], 1);
	assert_int_equal(m.type, XLB_MSG_HEALTH);
	assert_true(m.seq == seq);
	assert_int_equal(m.batch.snapshot, snapshot);
	assert_int_equal(m.batch.count, n);
	assert_int_equal(xlb_msg_iter_init(&it, &m), 0);
	for (i = 0; i < n; i++) {
		tr_make(&want, i, name_len(i));
		assert_int_equal(xlb_msg_health_next(&it, &g.tr), 0);
		assert_tr_equal(&g.tr, &want);
		assert_guards(g.before, g.after, sizeof(g.before));
	}
	assert_int_equal(xlb_msg_health_next(&it, &g.tr), -ENOENT);
	assert_int_equal(xlb_msg_health_next(&it, &g.tr), -ENOENT);
}

static size_t name_len_varied(unsigned int i)
{
	return 1 + i % XLB_MSG_CHECK_MAX;
}

static void test_health_roundtrip(void **state)
{
	struct xlb_msg_buf b = { 0 };
	struct xlb_health_tr t;
	unsigned int i;

	(void)state;
	assert_int_equal(xlb_msg_health_begin(&b, 0x0102030405060708ULL, false),
			 0);
	for (i = 0; i < 200; i++) {
		tr_make(&t, i, name_len_varied(i));
		assert_int_equal(xlb_msg_health_add(&b, &t), 0);
	}
	health_check_batch(&b, 0x0102030405060708ULL, false, 200,
			   name_len_varied);
	/* A buffer is reused: a new batch replaces the old one. */
	assert_int_equal(xlb_msg_health_begin(&b, 9, true), 0);
	health_check_batch(&b, 9, true, 0, name_len_varied);
	xlb_msg_buf_fini(&b);
	assert_null(b.data);
}

/*
 * 11,781 entries with 63-byte names fill the body to 1,048,514 bytes;
 * the next such entry does not fit (-EMSGSIZE, frame unchanged), one with
 * a 36-byte name fills it to exactly XLB_MSG_MAX, and then nothing fits.
 */
static size_t name_len_limit(unsigned int i)
{
	return i < 11781 ? XLB_MSG_CHECK_MAX : 36;
}

static void test_health_at_size_limit(void **state)
{
	struct xlb_msg_buf b = { 0 };
	struct xlb_health_tr t;
	unsigned int i;
	size_t len;

	(void)state;
	assert_int_equal(xlb_msg_health_begin(&b, 1, true), 0);
	for (i = 0; i < 11781; i++) {
		tr_make(&t, i, XLB_MSG_CHECK_MAX);
		assert_int_equal(xlb_msg_health_add(&b, &t), 0);
	}
	len = b.len;
	tr_make(&t, i, XLB_MSG_CHECK_MAX);
	assert_int_equal(xlb_msg_health_add(&b, &t), -EMSGSIZE);
	assert_int_equal(b.len, len);
	tr_make(&t, i, 36);
	assert_int_equal(xlb_msg_health_add(&b, &t), 0);
	assert_int_equal(b.len, XLB_MSG_FRAME_MAX);
	tr_make(&t, i + 1, 1);
	assert_int_equal(xlb_msg_health_add(&b, &t), -EMSGSIZE);
	health_check_batch(&b, 1, true, 11782, name_len_limit);
	xlb_msg_buf_fini(&b);
}

static void vip_make(struct xlb_vip_ready *v, unsigned int i)
{
	memset(v, 0, sizeof(*v));
	v->family = i % 3 ? XLB_FAM_V6 : XLB_FAM_V4;
	if (v->family == XLB_FAM_V6) {
		assert_int_equal(inet_pton(AF_INET6, "2001:db8:100::",
					   v->addr.b),
				 1);
		v->addr.b[13] = (__u8)(i >> 16);
		v->addr.b[14] = (__u8)(i >> 8);
		v->addr.b[15] = (__u8)i;
	} else {
		assert_int_equal(inet_pton(AF_INET, "198.51.100.0", v->addr.b),
				 1);
		v->addr.b[3] = (__u8)i;
	}
	v->ready = i % 2;
}

static void vips_check_batch(const struct xlb_msg_buf *b, bool snapshot,
			     unsigned int n)
{
	struct xlb_vip_ready v, want;
	struct xlb_msg_iter it;
	struct xlb_health_tr tr;
	struct xlb_msg m;
	unsigned int i;

	assert_int_equal(xlb_msg_decode(b->data, b->len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_VIP_READY);
	assert_int_equal(m.batch.snapshot, snapshot);
	assert_int_equal(m.batch.count, n);
	assert_int_equal(xlb_msg_iter_init(&it, &m), 0);
	/* The iterator knows the batch type. */
	assert_int_equal(xlb_msg_health_next(&it, &tr), -EINVAL);
	for (i = 0; i < n; i++) {
		vip_make(&want, i);
		assert_int_equal(xlb_msg_vips_next(&it, &v), 0);
		assert_int_equal(v.family, want.family);
		assert_memory_equal(v.addr.b, want.addr.b, 16);
		assert_int_equal(v.ready, want.ready);
	}
	assert_int_equal(xlb_msg_vips_next(&it, &v), -ENOENT);
}

static void test_vips_roundtrip_and_limit(void **state)
{
	const unsigned int most = (XLB_MSG_MAX - 5) / 18; /* 58,253 */
	struct xlb_msg_buf b = { 0 };
	struct xlb_vip_ready v;
	unsigned int i;

	(void)state;
	assert_int_equal(xlb_msg_vips_begin(&b, 5, false), 0);
	for (i = 0; i < 3; i++) {
		vip_make(&v, i);
		assert_int_equal(xlb_msg_vips_add(&b, &v), 0);
	}
	vips_check_batch(&b, false, 3);

	assert_int_equal(xlb_msg_vips_begin(&b, 6, true), 0);
	for (i = 0; i < most; i++) {
		vip_make(&v, i);
		assert_int_equal(xlb_msg_vips_add(&b, &v), 0);
	}
	assert_int_equal(xlb_msg_vips_add(&b, &v), -EMSGSIZE);
	assert_int_equal(b.len, 20 + 5 + (size_t)most * 18);
	vips_check_batch(&b, true, most);
	xlb_msg_buf_fini(&b);
}

static void test_scalar_roundtrips(void **state)
{
	const struct xlb_msg_status st = {
		.applied_revision = 0x1122334455667788ULL,
		.services = 0x01020304, .backends = 0x05060708,
		.backends_up = 0x090a0b0c, .vips = 0x0d0e0f10,
		.vips_ready = 0x11121314, .rejected = 0x8877665544332211ULL,
		.hcd = XLB_HCD_RESTARTED, .panic = 0x15161718,
	};
	struct xlb_msg_buf b = { 0 };
	struct xlb_msg m;

	(void)state;
	assert_int_equal(xlb_msg_revision_encode(&b, 3, 0xfedcba9876543210ULL),
			 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_REVISION);
	assert_true(m.revision == 0xfedcba9876543210ULL);
	assert_int_equal(xlb_msg_iter_init(&(struct xlb_msg_iter){ 0 }, &m),
			 -EINVAL);

	assert_int_equal(xlb_msg_status_encode(&b, 4, &st), 0);
	assert_int_equal(b.len, 20 + XLB_MSG_STATUS_LEN);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_STATUS);
	assert_true(m.seq == 4);
	assert_true(m.status.applied_revision == st.applied_revision);
	assert_int_equal(m.status.services, st.services);
	assert_int_equal(m.status.backends, st.backends);
	assert_int_equal(m.status.backends_up, st.backends_up);
	assert_int_equal(m.status.vips, st.vips);
	assert_int_equal(m.status.vips_ready, st.vips_ready);
	assert_true(m.status.rejected == st.rejected);
	assert_int_equal(m.status.hcd, st.hcd);
	assert_int_equal(m.status.panic, st.panic);
	/* An hcd state no lbd sends is refused. */
	b.data[20 + 36] = XLB_HCD_MAX;
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), -EINVAL);
	xlb_msg_buf_fini(&b);
}

static void test_request_roundtrips(void **state)
{
	const __u8 reqs[] = { XLB_MSG_STATUS_REQ, XLB_MSG_SNAPSHOT_HEALTH_REQ,
			      XLB_MSG_SNAPSHOT_VIPS_REQ, XLB_MSG_SYNC_REQ };
	struct xlb_msg_buf b = { 0 };
	struct xlb_msg m;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(reqs); i++) {
		assert_int_equal(xlb_msg_request_encode(&b, i, reqs[i]), 0);
		assert_int_equal(b.len, 20);
		assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), 0);
		assert_int_equal(m.type, reqs[i]);
	}
	/* Only requests are built this way; the frame stays as it was. */
	assert_int_equal(xlb_msg_request_encode(&b, 1, XLB_MSG_HEALTH),
			 -EINVAL);
	assert_int_equal(xlb_msg_request_encode(&b, 1, XLB_MSG_TYPE_MAX),
			 -EINVAL);
	assert_int_equal(b.data[5], XLB_MSG_SYNC_REQ);
	xlb_msg_buf_fini(&b);
}

static void test_error_roundtrip(void **state)
{
	struct xlb_msg_buf b = { 0 };
	char text[400];
	struct xlb_msg m;

	(void)state;
	assert_int_equal(xlb_msg_error_encode(&b, 8, ENOMSG,
					      "unknown request type 3"),
			 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), 0);
	assert_int_equal(m.type, XLB_MSG_ERROR);
	assert_int_equal(m.error.code, ENOMSG);
	assert_string_equal(m.error.text, "unknown request type 3");

	/* Any text goes: cut to 255 bytes, unprintable bytes become '?'. */
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[0] = '\n';
	text[1] = (char)0xc3;
	assert_int_equal(xlb_msg_error_encode(&b, 9, EINVAL, text), 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), 0);
	assert_int_equal(strlen(m.error.text), XLB_MSG_TEXT_MAX);
	assert_memory_equal(m.error.text, "??xxx", 5);

	assert_int_equal(xlb_msg_error_encode(&b, 9, EINVAL, NULL), 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, NULL), 0);
	assert_string_equal(m.error.text, "");
	assert_int_equal(xlb_msg_error_encode(&b, 9, 0, "x"), -EINVAL);
	xlb_msg_buf_fini(&b);
}

/* The documented bytes, written out by hand. */
static void test_wire_bytes(void **state)
{
	static const __u8 revision[] = {
		'X', 'L', 'B', 'M', 1, XLB_MSG_REVISION, 0, 0, /* */
		8, 0, 0, 0,					/* len */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* seq */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* revision */
	};
	struct xlb_msg_buf b = { 0 };
	struct xlb_health_tr t;
	struct hf f = hf_default();
	struct raw r;

	(void)state;
	assert_int_equal(xlb_msg_revision_encode(&b, 0x0102030405060708ULL,
						 0x1112131415161718ULL),
			 0);
	assert_int_equal(b.len, sizeof(revision));
	assert_memory_equal(b.data, revision, sizeof(revision));

	/* One HEALTH entry, against the independent writer. */
	memset(&t, 0, sizeof(t));
	t.family = f.family;
	memcpy(t.addr.b, f.addr, 16);
	t.port = f.port;
	t.state = f.state;
	t.reason = f.reason;
	t.latency_us = f.latency;
	strcpy(t.check, f.name);
	assert_int_equal(xlb_msg_health_begin(&b, 7, false), 0);
	assert_int_equal(xlb_msg_health_add(&b, &t), 0);
	raw_health(&r, &f, 1);
	assert_int_equal(b.len, r.n);
	assert_int_equal(r.n, 20 + 5 + 26 + 4);
	assert_memory_equal(b.data, r.b, r.n);
	xlb_msg_buf_fini(&b);
}

/* ---- malformed frames --------------------------------------------------- */

static void test_reject_truncated_header(void **state)
{
	struct raw r;
	size_t len;

	(void)state;
	raw_revision(&r);
	expect_accept(&r);
	for (len = 0; len < XLB_MSG_HDR_LEN; len++)
		expect_reject_n(r.b, len, -EBADMSG, XLB_MSG_R_SHORT);
}

static void test_reject_bad_magic(void **state)
{
	struct raw r;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		raw_revision(&r);
		r.b[i] ^= 0x20; /* "xLBM", "XlBM", ... */
		expect_reject(&r, -EPROTO, XLB_MSG_R_MAGIC);
	}
}

static void test_reject_bad_version(void **state)
{
	const __u8 versions[] = { 0, 2, 255 };
	struct raw r;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(versions); i++) {
		raw_revision(&r);
		r.b[4] = versions[i];
		expect_reject(&r, -EPROTONOSUPPORT, XLB_MSG_R_VERSION);
	}
}

static void test_reject_unknown_type(void **state)
{
	const __u8 types[] = { 0, XLB_MSG_TYPE_MAX, 255 };
	struct raw r;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		raw_revision(&r);
		r.b[5] = types[i];
		expect_reject(&r, -ENOMSG, XLB_MSG_R_TYPE);
	}
}

static void test_reject_flags(void **state)
{
	struct raw r;

	(void)state;
	raw_revision(&r);
	r.b[6] = 0x01;
	expect_reject(&r, -EINVAL, XLB_MSG_R_FLAGS);
	raw_revision(&r);
	r.b[7] = 0x80;
	expect_reject(&r, -EINVAL, XLB_MSG_R_FLAGS);
}

static void test_reject_length_mismatch(void **state)
{
	struct raw r;

	(void)state;
	raw_revision(&r);
	r.b[8]++; /* says 9, 8 follow */
	expect_reject(&r, -EBADMSG, XLB_MSG_R_LENGTH);
	raw_revision(&r);
	r.b[8]--; /* says 7, 8 follow */
	expect_reject(&r, -EBADMSG, XLB_MSG_R_LENGTH);
	raw_revision(&r);
	r.b[r.n++] = 0; /* a trailing byte the length does not cover */
	expect_reject(&r, -EBADMSG, XLB_MSG_R_LENGTH);
	raw_revision(&r);
	expect_reject_n(r.b, r.n - 1, -EBADMSG, XLB_MSG_R_LENGTH);
}

static void test_reject_length_over_max(void **state)
{
	const __u32 lens[] = { XLB_MSG_MAX + 1, 0xffffffffU };
	struct raw r;
	unsigned int i;
	int k;

	(void)state;
	for (i = 0; i < 2; i++) {
		raw_revision(&r);
		for (k = 0; k < 4; k++)
			r.b[8 + k] = (__u8)(lens[i] >> (8 * k));
		expect_reject(&r, -EMSGSIZE, XLB_MSG_R_TOO_BIG);
	}
}

static void test_reject_body_size(void **state)
{
	struct raw r;

	(void)state;
	raw_header(&r, XLB_MSG_REVISION, 1);
	raw_le(&r, 1, 7);
	raw_finish(&r);
	expect_reject(&r, -EBADMSG, XLB_MSG_R_BODY);
	raw_header(&r, XLB_MSG_SYNC_REQ, 1);
	raw_le(&r, 0, 1);
	raw_finish(&r);
	expect_reject(&r, -EBADMSG, XLB_MSG_R_BODY);
	raw_header(&r, XLB_MSG_STATUS, 1);
	raw_le(&r, 0, 8);
	raw_finish(&r);
	expect_reject(&r, -EBADMSG, XLB_MSG_R_BODY);
	raw_header(&r, XLB_MSG_HEALTH, 1); /* shorter than kind + count */
	raw_le(&r, 0, 4);
	raw_finish(&r);
	expect_reject(&r, -EBADMSG, XLB_MSG_R_BODY);
	raw_header(&r, XLB_MSG_ERROR, 1); /* text length 3, 2 bytes */
	raw_le(&r, EINVAL, 4);
	raw_le(&r, 3, 1);
	raw_bytes(&r, "ab", 2);
	raw_finish(&r);
	expect_reject(&r, -EBADMSG, XLB_MSG_R_BODY);
}

static void set_count(struct raw *r, __u32 count)
{
	int k;

	for (k = 0; k < 4; k++)
		r->b[21 + k] = (__u8)(count >> (8 * k));
}

static void test_reject_count_mismatch(void **state)
{
	const __u32 counts[] = { 0, 2, 4, 1000, 0xffffffffU };
	struct hf f = hf_default();
	__u8 v4[16] = { 192, 0, 2, 1 };
	struct raw r;
	unsigned int i;

	(void)state;
	raw_health(&r, &f, 3);
	expect_accept(&r);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		raw_health(&r, &f, 3);
		set_count(&r, counts[i]);
		expect_reject(&r, -EBADMSG, XLB_MSG_R_COUNT);
	}
	/* The last entry cut short, its name running past the body. */
	raw_health(&r, &f, 3);
	r.n -= 1;
	raw_finish(&r);
	expect_reject(&r, -EBADMSG, XLB_MSG_R_COUNT);

	raw_vips(&r, XLB_FAM_V4, v4, 1, 3);
	expect_accept(&r);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		raw_vips(&r, XLB_FAM_V4, v4, 1, 3);
		set_count(&r, counts[i]);
		expect_reject(&r, -EBADMSG, XLB_MSG_R_COUNT);
	}
}

static void test_reject_bad_family(void **state)
{
	const __u8 fams[] = { 0, 2, 10, 255 }; /* AF_INET, AF_INET6 too */
	struct hf f;
	struct raw r;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(fams); i++) {
		f = hf_default();
		f.family = fams[i];
		raw_health(&r, &f, 2);
		expect_reject(&r, -EAFNOSUPPORT, XLB_MSG_R_FAMILY);
		raw_vips(&r, fams[i], f.addr, 1, 2);
		expect_reject(&r, -EAFNOSUPPORT, XLB_MSG_R_FAMILY);
	}
}

static void test_reject_ipv4_padding(void **state)
{
	struct hf f;
	struct raw r;
	int i;

	(void)state;
	for (i = 4; i < 16; i++) {
		f = hf_default();
		f.addr[i] = 1;
		raw_health(&r, &f, 1);
		expect_reject(&r, -EINVAL, XLB_MSG_R_ADDR_PAD);
		raw_vips(&r, XLB_FAM_V4, f.addr, 0, 1);
		expect_reject(&r, -EINVAL, XLB_MSG_R_ADDR_PAD);
		/* The same bytes are a fine IPv6 address. */
		f.family = XLB_FAM_V6;
		raw_health(&r, &f, 1);
		expect_accept(&r);
	}
}

static void test_reject_bad_state(void **state)
{
	struct hf f = hf_default();
	struct raw r;

	(void)state;
	f.state = 2;
	raw_health(&r, &f, 1);
	expect_reject(&r, -EINVAL, XLB_MSG_R_STATE);
	assert_non_null(strstr(xlb_errmsg(), "state 2"));
	f.state = 255;
	raw_health(&r, &f, 1);
	expect_reject(&r, -EINVAL, XLB_MSG_R_STATE);
}

static void test_reject_bad_reason(void **state)
{
	struct hf f = hf_default();
	struct raw r;

	(void)state;
	f.reason = XLB_HR_INTERNAL;
	raw_health(&r, &f, 1);
	expect_accept(&r);
	f.reason = XLB_HR_MAX;
	raw_health(&r, &f, 1);
	expect_reject(&r, -EINVAL, XLB_MSG_R_REASON);
	f.reason = 255;
	raw_health(&r, &f, 1);
	expect_reject(&r, -EINVAL, XLB_MSG_R_REASON);
}

static void name_reject(const char *name, size_t nlen)
{
	struct hf f = hf_default();
	struct raw r;

	memcpy(f.name, name, nlen);
	f.nlen = (__u8)nlen;
	raw_health(&r, &f, 2);
	expect_reject(&r, -EINVAL, XLB_MSG_R_NAME);
}

static void test_reject_check_name(void **state)
{
	char name[256];
	struct hf f = hf_default();
	struct raw r;

	(void)state;
	memset(name, 'a', sizeof(name));
	f.nlen = XLB_MSG_CHECK_MAX;
	memcpy(f.name, name, f.nlen);
	raw_health(&r, &f, 1);
	expect_accept(&r);
	name_reject("", 0);
	name_reject(name, XLB_MSG_CHECK_MAX + 1);
	name_reject(name, 255);
	name_reject("tcp\0x", 5);
	name_reject("tcp\x1f", 4);
	name_reject("tcp\x7f", 4);
	name_reject("t\xc3\xa9", 3);
}

static void test_reject_other_values(void **state)
{
	__u8 v4[16] = { 192, 0, 2, 1 };
	struct hf f = hf_default();
	struct raw r;

	(void)state;
	raw_health(&r, &f, 1);
	r.b[20] = 2; /* batch kind */
	expect_reject(&r, -EINVAL, XLB_MSG_R_VALUE);
	raw_vips(&r, XLB_FAM_V4, v4, 2, 1); /* ready */
	expect_reject(&r, -EINVAL, XLB_MSG_R_VALUE);
	raw_header(&r, XLB_MSG_ERROR, 1); /* code 0 */
	raw_le(&r, 0, 4);
	raw_le(&r, 0, 1);
	raw_finish(&r);
	expect_reject(&r, -EINVAL, XLB_MSG_R_VALUE);
	raw_header(&r, XLB_MSG_ERROR, 1); /* text not printable */
	raw_le(&r, EINVAL, 4);
	raw_le(&r, 2, 1);
	raw_bytes(&r, "a\n", 2);
	raw_finish(&r);
	expect_reject(&r, -EINVAL, XLB_MSG_R_VALUE);
}

/* The encoder refuses, with the decoder's errno, every entry the decoder
 * would reject, and leaves the frame as it was. */
static void test_encoder_refuses_bad_entries(void **state)
{
	struct xlb_msg_buf b = { 0 };
	struct xlb_health_tr t, ok;
	struct xlb_vip_ready v;
	size_t len;

	(void)state;
	tr_make(&ok, 0, name_len_varied(0));
	assert_int_equal(xlb_msg_health_add(&b, &ok), -EINVAL); /* no batch */
	assert_int_equal(xlb_msg_vips_begin(&b, 1, false), 0);
	assert_int_equal(xlb_msg_health_add(&b, &ok), -EINVAL); /* other type */
	assert_int_equal(xlb_msg_health_begin(&b, 1, false), 0);
	assert_int_equal(xlb_msg_health_add(&b, &ok), 0);
	len = b.len;

	t = ok, t.family = 0;
	assert_int_equal(xlb_msg_health_add(&b, &t), -EAFNOSUPPORT);
	t = ok, t.addr.b[15] = 1;
	assert_int_equal(xlb_msg_health_add(&b, &t), -EINVAL);
	t = ok, t.state = 2;
	assert_int_equal(xlb_msg_health_add(&b, &t), -EINVAL);
	t = ok, t.reason = XLB_HR_MAX;
	assert_int_equal(xlb_msg_health_add(&b, &t), -EINVAL);
	t = ok, t.check[0] = '\0';
	assert_int_equal(xlb_msg_health_add(&b, &t), -EINVAL);
	t = ok, t.check[1] = '\t';
	assert_int_equal(xlb_msg_health_add(&b, &t), -EINVAL);
	t = ok, memset(t.check, 'a', sizeof(t.check)); /* no terminator */
	assert_int_equal(xlb_msg_health_add(&b, &t), -EINVAL);
	assert_int_equal(b.len, len);
	health_check_batch(&b, 1, false, 1, name_len_varied);

	assert_int_equal(xlb_msg_vips_begin(&b, 1, false), 0);
	vip_make(&v, 0);
	v.ready = 2;
	assert_int_equal(xlb_msg_vips_add(&b, &v), -EINVAL);
	v.ready = 1, v.family = 5;
	assert_int_equal(xlb_msg_vips_add(&b, &v), -EAFNOSUPPORT);
	assert_int_equal(b.len, 25);
	xlb_msg_buf_fini(&b);
}

/* A receiver's counters over a mixed stream. */
static void test_stats_count_by_type_and_reason(void **state)
{
	struct xlb_msg_buf b = { 0 };
	struct xlb_msg_stats st;
	struct xlb_msg m;
	struct raw r;
	int i;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 3; i++) {
		assert_int_equal(xlb_msg_revision_encode(&b, i, i), 0);
		assert_int_equal(xlb_msg_decode(b.data, b.len, &m, &st), 0);
	}
	assert_int_equal(xlb_msg_health_begin(&b, 1, false), 0);
	assert_int_equal(xlb_msg_decode(b.data, b.len, &m, &st), 0);
	raw_revision(&r);
	r.b[0] = 'Y';
	assert_int_equal(xlb_msg_decode(r.b, r.n, &m, &st), -EPROTO);
	assert_int_equal(xlb_msg_decode(r.b, 3, &m, &st), -EBADMSG);
	assert_int_equal(st.accepted[XLB_MSG_REVISION], 3);
	assert_int_equal(st.accepted[XLB_MSG_HEALTH], 1);
	assert_int_equal(st.rejected[XLB_MSG_R_MAGIC], 1);
	assert_int_equal(st.rejected[XLB_MSG_R_SHORT], 1);
	assert_int_equal(sum(st.rejected, XLB_MSG_R_MAX), 2);
	xlb_msg_buf_fini(&b);
}

/* ---- sequence numbers and names ----------------------------------------- */

static void test_seq_tracking(void **state)
{
	struct xlb_msg_seq t = { 0 };
	struct xlb_msg_stats st;
	__u64 base = xlb_msg_seq_first();

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_true(base > 1000000000ULL * 1600000000ULL); /* after 2020 */
	assert_true(xlb_msg_seq_first() >= base);
	assert_int_equal(xlb_msg_seq_check(&t, base + 10, &st), XLB_SEQ_FIRST);
	assert_int_equal(xlb_msg_seq_check(&t, base + 11, &st), XLB_SEQ_NEXT);
	assert_int_equal(xlb_msg_seq_check(&t, base + 14, &st), XLB_SEQ_GAP);
	assert_int_equal(xlb_msg_seq_check(&t, base + 15, &st), XLB_SEQ_NEXT);
	/* A snapshot at base + 20 covers what was queued before it. */
	xlb_msg_seq_reset(&t, base + 20);
	assert_int_equal(xlb_msg_seq_check(&t, base + 16, &st), XLB_SEQ_STALE);
	assert_int_equal(xlb_msg_seq_check(&t, base + 20, &st), XLB_SEQ_STALE);
	assert_int_equal(xlb_msg_seq_check(&t, base + 21, &st), XLB_SEQ_NEXT);
	/* A publisher restarted with its clock stepped back a second. */
	assert_int_equal(xlb_msg_seq_check(&t, base - 1000000000ULL, &st),
			 XLB_SEQ_RESTART);
	assert_int_equal(xlb_msg_seq_check(&t, base - 999999999ULL, &st),
			 XLB_SEQ_NEXT);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.stale, 2);
	assert_int_equal(st.restarts, 1);
	assert_int_equal(xlb_msg_seq_check(&t, base, NULL), XLB_SEQ_GAP);
}

static void test_names(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < XLB_MSG_R_MAX; i++)
		assert_string_not_equal(xlb_msg_reject_name(i), "?");
	for (i = 1; i < XLB_MSG_TYPE_MAX; i++)
		assert_string_not_equal(xlb_msg_type_name(i), "?");
	for (i = 0; i < XLB_HR_MAX; i++)
		assert_string_not_equal(xlb_health_reason_name(i), "?");
	assert_string_equal(xlb_msg_type_name(0), "?");
	assert_string_equal(xlb_msg_type_name(XLB_MSG_TYPE_MAX), "?");
	assert_string_equal(xlb_msg_reject_name(XLB_MSG_R_MAX), "?");
	assert_string_equal(xlb_health_reason_name(XLB_HR_MAX), "?");
	assert_string_equal(xlb_health_reason_name(XLB_HR_TIMEOUT), "timeout");
	assert_string_equal(xlb_msg_type_name(XLB_MSG_VIP_READY), "vip_ready");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_roundtrip),
		cmocka_unit_test(test_health_at_size_limit),
		cmocka_unit_test(test_vips_roundtrip_and_limit),
		cmocka_unit_test(test_scalar_roundtrips),
		cmocka_unit_test(test_request_roundtrips),
		cmocka_unit_test(test_error_roundtrip),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_reject_truncated_header),
		cmocka_unit_test(test_reject_bad_magic),
		cmocka_unit_test(test_reject_bad_version),
		cmocka_unit_test(test_reject_unknown_type),
		cmocka_unit_test(test_reject_flags),
		cmocka_unit_test(test_reject_length_mismatch),
		cmocka_unit_test(test_reject_length_over_max),
		cmocka_unit_test(test_reject_body_size),
		cmocka_unit_test(test_reject_count_mismatch),
		cmocka_unit_test(test_reject_bad_family),
		cmocka_unit_test(test_reject_ipv4_padding),
		cmocka_unit_test(test_reject_bad_state),
		cmocka_unit_test(test_reject_bad_reason),
		cmocka_unit_test(test_reject_check_name),
		cmocka_unit_test(test_reject_other_values),
		cmocka_unit_test(test_encoder_refuses_bad_entries),
		cmocka_unit_test(test_stats_count_by_type_and_reason),
		cmocka_unit_test(test_seq_tracking),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
