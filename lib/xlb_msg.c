// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_msg.c - the decoder of every xlb message (layout in xlb_msg.h), the
 * field checks it shares with the encoder, and names for logs.  A frame
 * is checked completely before it is accepted; iterating over an accepted
 * batch then reads entries into caller structs without allocating.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xlb_errmsg.h"
#include "xlb_msg_internal.h"

/* ---- names -------------------------------------------------------------- */

static const char *const type_names[XLB_MSG_TYPE_MAX] = {
	[XLB_MSG_HEALTH] = "health",
	[XLB_MSG_VIP_READY] = "vip_ready",
	[XLB_MSG_REVISION] = "revision",
	[XLB_MSG_STATUS_REQ] = "status_req",
	[XLB_MSG_STATUS] = "status",
	[XLB_MSG_SNAPSHOT_HEALTH_REQ] = "snapshot_health_req",
	[XLB_MSG_SNAPSHOT_VIPS_REQ] = "snapshot_vips_req",
	[XLB_MSG_SYNC_REQ] = "sync_req",
	[XLB_MSG_ERROR] = "error",
};

static const char *const reason_names[XLB_HR_MAX] = {
	[XLB_HR_OK] = "ok",
	[XLB_HR_TIMEOUT] = "timeout",
	[XLB_HR_REFUSED] = "refused",
	[XLB_HR_BAD_STATUS] = "bad_status",
	[XLB_HR_BAD_BODY] = "bad_body",
	[XLB_HR_TLS] = "tls",
	[XLB_HR_UNREACHABLE] = "unreachable",
	[XLB_HR_INTERNAL] = "internal",
};

static const char *const reject_names[XLB_MSG_R_MAX] = {
	[XLB_MSG_R_SHORT] = "short",
	[XLB_MSG_R_MAGIC] = "magic",
	[XLB_MSG_R_VERSION] = "version",
	[XLB_MSG_R_TYPE] = "type",
	[XLB_MSG_R_FLAGS] = "flags",
	[XLB_MSG_R_TOO_BIG] = "too_big",
	[XLB_MSG_R_LENGTH] = "length",
	[XLB_MSG_R_BODY] = "body",
	[XLB_MSG_R_COUNT] = "count",
	[XLB_MSG_R_FAMILY] = "family",
	[XLB_MSG_R_ADDR_PAD] = "addr_pad",
	[XLB_MSG_R_STATE] = "state",
	[XLB_MSG_R_REASON] = "reason",
	[XLB_MSG_R_NAME] = "name",
	[XLB_MSG_R_VALUE] = "value",
};

/* The errno of each rejection, as listed in xlb_msg.h. */
static const int reject_errno[XLB_MSG_R_MAX] = {
	[XLB_MSG_R_SHORT] = EBADMSG,
	[XLB_MSG_R_MAGIC] = EPROTO,
	[XLB_MSG_R_VERSION] = EPROTONOSUPPORT,
	[XLB_MSG_R_TYPE] = ENOMSG,
	[XLB_MSG_R_FLAGS] = EINVAL,
	[XLB_MSG_R_TOO_BIG] = EMSGSIZE,
	[XLB_MSG_R_LENGTH] = EBADMSG,
	[XLB_MSG_R_BODY] = EBADMSG,
	[XLB_MSG_R_COUNT] = EBADMSG,
	[XLB_MSG_R_FAMILY] = EAFNOSUPPORT,
	[XLB_MSG_R_ADDR_PAD] = EINVAL,
	[XLB_MSG_R_STATE] = EINVAL,
	[XLB_MSG_R_REASON] = EINVAL,
	[XLB_MSG_R_NAME] = EINVAL,
	[XLB_MSG_R_VALUE] = EINVAL,
};

static const char *name_of(const char *const *names, unsigned int n,
			   unsigned int i)
{
	return i < n && names[i] ? names[i] : "?";
}

const char *xlb_msg_type_name(unsigned int type)
{
	return name_of(type_names, XLB_MSG_TYPE_MAX, type);
}

const char *xlb_health_reason_name(unsigned int reason)
{
	return name_of(reason_names, XLB_HR_MAX, reason);
}

const char *xlb_msg_reject_name(unsigned int reason)
{
	return name_of(reject_names, XLB_MSG_R_MAX, reason);
}

/* ---- field checks, shared by encoder and decoder ------------------------ */

/* Records why (for the receiver's counters) and the sentence; returns the
 * reason's errno. */
__attribute__((format(printf, 3, 4)))
static int reject(enum xlb_msg_reject *why, enum xlb_msg_reject r,
		  const char *fmt, ...)
{
	char text[256];
	va_list ap;

	*why = r;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return xlb_errmsg_set(-reject_errno[r], "%s", text);
}

int xlb_msg_check_addr(__u8 family, const __u8 *a, __u8 type, __u32 idx,
		       enum xlb_msg_reject *why)
{
	int i;

	if (family == XLB_FAM_V6)
		return 0;
	if (family != XLB_FAM_V4)
		return reject(why, XLB_MSG_R_FAMILY,
			      "%s entry %u: family %u is neither %d (IPv4) nor %d (IPv6)",
			      xlb_msg_type_name(type), idx, family, XLB_FAM_V4,
			      XLB_FAM_V6);
	for (i = 4; i < 16; i++)
		if (a[i])
			return reject(why, XLB_MSG_R_ADDR_PAD,
				      "%s entry %u: IPv4 address byte %d is 0x%02x, not 0",
				      xlb_msg_type_name(type), idx, i, a[i]);
	return 0;
}

static int name_check(const __u8 *name, size_t len, __u32 idx,
		      enum xlb_msg_reject *why)
{
	size_t i;

	if (len == 0 || len > XLB_MSG_CHECK_MAX)
		return reject(why, XLB_MSG_R_NAME,
			      "health entry %u: check name of %zu bytes, not 1..%d",
			      idx, len, XLB_MSG_CHECK_MAX);
	for (i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return reject(why, XLB_MSG_R_NAME,
				      "health entry %u: check name byte %zu is 0x%02x, not printable ASCII",
				      idx, i, name[i]);
	return 0;
}

int xlb_msg_check_health(__u8 state, __u8 reason, const __u8 *name,
			 size_t len, __u32 idx, enum xlb_msg_reject *why)
{
	if (state != XLB_HEALTH_DOWN && state != XLB_HEALTH_UP)
		return reject(why, XLB_MSG_R_STATE,
			      "health entry %u: state %u is neither down (0) nor up (1)",
			      idx, state);
	if (reason >= XLB_HR_MAX)
		return reject(why, XLB_MSG_R_REASON,
			      "health entry %u: reason code %u is not 0..%d",
			      idx, reason, XLB_HR_MAX - 1);
	return name_check(name, len, idx, why);
}

int xlb_msg_check_ready(__u8 ready, __u32 idx, enum xlb_msg_reject *why)
{
	if (ready > 1)
		return reject(why, XLB_MSG_R_VALUE,
			      "vip_ready entry %u: ready %u is neither 0 nor 1",
			      idx, ready);
	return 0;
}

/* ---- decoding ----------------------------------------------------------- */

/* Header checks in the order a reader needs them: enough bytes, ours, a
 * version we speak, then the fields that version defines. */
static int header_decode(const __u8 *f, size_t len, struct xlb_msg *m,
			 enum xlb_msg_reject *why)
{
	__u32 body_len;
	__u16 flags;

	if (len < XLB_MSG_HDR_LEN)
		return reject(why, XLB_MSG_R_SHORT,
			      "frame of %zu bytes is shorter than a %d-byte header",
			      len, XLB_MSG_HDR_LEN);
	if (memcmp(f, XLB_MSG_MAGIC, 4))
		return reject(why, XLB_MSG_R_MAGIC,
			      "magic %02x%02x%02x%02x is not \"%s\"", f[0],
			      f[1], f[2], f[3], XLB_MSG_MAGIC);
	if (f[OFF_VERSION] != XLB_MSG_VERSION)
		return reject(why, XLB_MSG_R_VERSION,
			      "version %u, this side speaks %d",
			      f[OFF_VERSION], XLB_MSG_VERSION);
	m->type = f[OFF_TYPE];
	if (m->type == 0 || m->type >= XLB_MSG_TYPE_MAX)
		return reject(why, XLB_MSG_R_TYPE, "unknown message type %u",
			      m->type);
	flags = get_u16(f + OFF_FLAGS);
	if (flags)
		return reject(why, XLB_MSG_R_FLAGS,
			      "%s: flags 0x%04x, must be 0",
			      xlb_msg_type_name(m->type), flags);
	body_len = get_u32(f + OFF_LEN);
	if (body_len > XLB_MSG_MAX)
		return reject(why, XLB_MSG_R_TOO_BIG,
			      "%s: length %u exceeds the maximum %u",
			      xlb_msg_type_name(m->type), body_len,
			      XLB_MSG_MAX);
	if (body_len != len - XLB_MSG_HDR_LEN)
		return reject(why, XLB_MSG_R_LENGTH,
			      "%s: length %u but %zu bytes follow the header",
			      xlb_msg_type_name(m->type), body_len,
			      len - XLB_MSG_HDR_LEN);
	m->seq = get_u64(f + OFF_SEQ);
	return 0;
}

static int body_size_check(const struct xlb_msg *m, size_t n, size_t want,
			   enum xlb_msg_reject *why)
{
	if (n != want)
		return reject(why, XLB_MSG_R_BODY,
			      "%s: body of %zu bytes, must be %zu",
			      xlb_msg_type_name(m->type), n, want);
	return 0;
}

/* Kind and count; entries are checked by the caller. */
static int batch_head(const __u8 *b, size_t n, struct xlb_msg *m,
		      enum xlb_msg_reject *why)
{
	if (n < XLB_MSG_BATCH_HEAD)
		return reject(why, XLB_MSG_R_BODY,
			      "%s: body of %zu bytes, shorter than its %d-byte head",
			      xlb_msg_type_name(m->type), n,
			      XLB_MSG_BATCH_HEAD);
	if (b[OFF_KIND] != KIND_DELTA && b[OFF_KIND] != KIND_SNAPSHOT)
		return reject(why, XLB_MSG_R_VALUE,
			      "%s: batch kind %u is neither delta (0) nor snapshot (1)",
			      xlb_msg_type_name(m->type), b[OFF_KIND]);
	m->batch.snapshot = b[OFF_KIND] == KIND_SNAPSHOT;
	m->batch.count = get_u32(b + OFF_COUNT);
	m->batch.entries = b + XLB_MSG_BATCH_HEAD;
	m->batch.len = n - XLB_MSG_BATCH_HEAD;
	return 0;
}

/* Checks the HEALTH entry at p (before end); returns its length. */
static int health_entry_check(const __u8 *p, const __u8 *end, __u32 idx,
			      enum xlb_msg_reject *why)
{
	size_t left = (size_t)(end - p), nlen;
	int err;

	nlen = left >= XLB_MSG_HEALTH_FIXED ? p[HE_NAMELEN] : 0;
	if (left < XLB_MSG_HEALTH_FIXED + nlen)
		return reject(why, XLB_MSG_R_COUNT,
			      "health entry %u runs past the end of the body",
			      idx);
	err = xlb_msg_check_addr(p[HE_FAMILY], p + HE_ADDR, XLB_MSG_HEALTH,
				 idx, why);
	if (!err)
		err = xlb_msg_check_health(p[HE_STATE], p[HE_REASON],
					   p + HE_NAME, nlen, idx, why);
	return err ? err : (int)(XLB_MSG_HEALTH_FIXED + nlen);
}

static void health_entry_copy(const __u8 *p, struct xlb_health_tr *tr)
{
	size_t nlen = p[HE_NAMELEN];

	tr->family = p[HE_FAMILY];
	memcpy(tr->addr.b, p + HE_ADDR, 16);
	tr->port = get_u16(p + HE_PORT);
	tr->state = p[HE_STATE];
	tr->reason = p[HE_REASON];
	tr->latency_us = get_u32(p + HE_LATENCY);
	memcpy(tr->check, p + HE_NAME, nlen);
	tr->check[nlen] = '\0';
}

static int health_decode(const __u8 *b, size_t n, struct xlb_msg *m,
			 enum xlb_msg_reject *why)
{
	const __u8 *p, *end = b + n;
	int err, len = 0;
	__u32 i;

	err = batch_head(b, n, m, why);
	if (err)
		return err;
	/* Rejects a count no body could hold before walking any entry (an
	 * entry takes at least its fixed part, even with a bad empty name). */
	if (m->batch.count > m->batch.len / XLB_MSG_HEALTH_FIXED)
		return reject(why, XLB_MSG_R_COUNT,
			      "health: count %u cannot fit in %zu bytes",
			      m->batch.count, m->batch.len);
	p = m->batch.entries;
	for (i = 0; i < m->batch.count; i++, p += len) {
		len = health_entry_check(p, end, i, why);
		if (len < 0)
			return len;
	}
	if (p != end)
		return reject(why, XLB_MSG_R_COUNT,
			      "health: %zu bytes follow the last of %u entries",
			      (size_t)(end - p), m->batch.count);
	return 0;
}

static int vip_entry_check(const __u8 *p, __u32 idx, enum xlb_msg_reject *why)
{
	int err;

	err = xlb_msg_check_addr(p[VE_FAMILY], p + VE_ADDR, XLB_MSG_VIP_READY,
				 idx, why);
	return err ? err : xlb_msg_check_ready(p[VE_READY], idx, why);
}

static void vip_entry_copy(const __u8 *p, struct xlb_vip_ready *v)
{
	v->family = p[VE_FAMILY];
	memcpy(v->addr.b, p + VE_ADDR, 16);
	v->ready = p[VE_READY];
}

static int vips_decode(const __u8 *b, size_t n, struct xlb_msg *m,
		       enum xlb_msg_reject *why)
{
	const __u8 *p;
	__u32 i;
	int err;

	err = batch_head(b, n, m, why);
	if (err)
		return err;
	if ((__u64)m->batch.count * XLB_MSG_VIP_ENTRY != m->batch.len)
		return reject(why, XLB_MSG_R_COUNT,
			      "vip_ready: count %u but %zu bytes of %d-byte entries",
			      m->batch.count, m->batch.len, XLB_MSG_VIP_ENTRY);
	p = m->batch.entries;
	for (i = 0; i < m->batch.count; i++, p += XLB_MSG_VIP_ENTRY) {
		err = vip_entry_check(p, i, why);
		if (err)
			return err;
	}
	return 0;
}

static void status_read(const __u8 *b, struct xlb_msg_status *st)
{
	st->applied_revision = get_u64(b);
	st->services = get_u32(b + 8);
	st->backends = get_u32(b + 12);
	st->backends_up = get_u32(b + 16);
	st->vips = get_u32(b + 20);
	st->vips_ready = get_u32(b + 24);
	st->rejected = get_u64(b + 28);
	st->hcd = get_u32(b + 36);
	st->panic = get_u32(b + 40);
}

static int error_decode(const __u8 *b, size_t n, struct xlb_msg *m,
			enum xlb_msg_reject *why)
{
	size_t i, tlen;

	tlen = n >= ERR_HEAD ? b[4] : 0;
	if (n != ERR_HEAD + tlen)
		return reject(why, XLB_MSG_R_BODY,
			      "error: body of %zu bytes does not hold its text",
			      n);
	m->error.code = get_u32(b);
	if (m->error.code == 0)
		return reject(why, XLB_MSG_R_VALUE, "error: code 0");
	for (i = 0; i < tlen; i++)
		if (b[ERR_HEAD + i] < 0x20 || b[ERR_HEAD + i] > 0x7e)
			return reject(why, XLB_MSG_R_VALUE,
				      "error: text byte %zu is 0x%02x, not printable ASCII",
				      i, b[ERR_HEAD + i]);
	memcpy(m->error.text, b + ERR_HEAD, tlen);
	m->error.text[tlen] = '\0';
	return 0;
}

static int body_decode(const __u8 *b, size_t n, struct xlb_msg *m,
		       enum xlb_msg_reject *why)
{
	int err;

	switch (m->type) {
	case XLB_MSG_HEALTH:
		return health_decode(b, n, m, why);
	case XLB_MSG_VIP_READY:
		return vips_decode(b, n, m, why);
	case XLB_MSG_REVISION:
		err = body_size_check(m, n, 8, why);
		if (!err)
			m->revision = get_u64(b);
		return err;
	case XLB_MSG_STATUS:
		err = body_size_check(m, n, XLB_MSG_STATUS_LEN, why);
		if (!err && get_u32(b + 36) >= XLB_HCD_MAX)
			return reject(why, XLB_MSG_R_VALUE, "status: hcd state "
				      "%u is not 0..%d", get_u32(b + 36),
				      XLB_HCD_MAX - 1);
		if (!err)
			status_read(b, &m->status);
		return err;
	case XLB_MSG_ERROR:
		return error_decode(b, n, m, why);
	default: /* the requests: header_decode let no other type through */
		return body_size_check(m, n, 0, why);
	}
}

int xlb_msg_decode(const void *frame, size_t len, struct xlb_msg *msg,
		   struct xlb_msg_stats *stats)
{
	enum xlb_msg_reject why = XLB_MSG_R_SHORT;
	const __u8 *f = frame;
	struct xlb_msg m;
	int err;

	if (!msg || (!frame && len))
		return xlb_errmsg_set(-EINVAL, "xlb_msg_decode: NULL argument");
	memset(&m, 0, sizeof(m));
	err = header_decode(f, len, &m, &why);
	if (!err)
		err = body_decode(f + XLB_MSG_HDR_LEN, len - XLB_MSG_HDR_LEN,
				  &m, &why);
	if (err) {
		if (stats)
			stats->rejected[why]++;
		return err;
	}
	if (stats)
		stats->accepted[m.type]++;
	*msg = m;
	return 0;
}

/* ---- batch iteration ---------------------------------------------------- */

int xlb_msg_iter_init(struct xlb_msg_iter *it, const struct xlb_msg *msg)
{
	if (msg->type != XLB_MSG_HEALTH && msg->type != XLB_MSG_VIP_READY)
		return xlb_errmsg_set(-EINVAL, "a %s message is not a batch",
				      xlb_msg_type_name(msg->type));
	it->p = msg->batch.entries;
	it->end = msg->batch.entries + msg->batch.len;
	it->left = msg->batch.count;
	it->next = 0;
	it->type = msg->type;
	return 0;
}

/*
 * The batch was validated by xlb_msg_decode(), yet every entry is checked
 * again as it is read: the frame may have been reused since (a receive
 * into the same buffer), and reading it must stay within bounds whatever
 * it holds.
 */
int xlb_msg_health_next(struct xlb_msg_iter *it, struct xlb_health_tr *tr)
{
	enum xlb_msg_reject why;
	int len;

	if (it->type != XLB_MSG_HEALTH)
		return xlb_errmsg_set(-EINVAL, "not iterating a health batch");
	if (it->left == 0)
		return -ENOENT;
	len = health_entry_check(it->p, it->end, it->next, &why);
	if (len < 0)
		return len;
	health_entry_copy(it->p, tr);
	it->p += len;
	it->left--;
	it->next++;
	return 0;
}

int xlb_msg_vips_next(struct xlb_msg_iter *it, struct xlb_vip_ready *v)
{
	enum xlb_msg_reject why;
	int err;

	if (it->type != XLB_MSG_VIP_READY)
		return xlb_errmsg_set(-EINVAL,
				      "not iterating a vip_ready batch");
	if (it->left == 0)
		return -ENOENT;
	if (it->end - it->p < XLB_MSG_VIP_ENTRY)
		return xlb_errmsg_set(-EBADMSG,
				      "vip_ready entry %u runs past the end of the body",
				      it->next);
	err = vip_entry_check(it->p, it->next, &why);
	if (err)
		return err;
	vip_entry_copy(it->p, v);
	it->p += XLB_MSG_VIP_ENTRY;
	it->left--;
	it->next++;
	return 0;
}
