// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_msg_encode.c - frames into a caller's growable buffer.  Each entry
 * goes through the decoder's field checks before it is written, so a
 * sender cannot build a frame its receivers would reject, and the buffer
 * holds a complete frame after every successful call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlb_errmsg.h"
#include "xlb_msg_internal.h"

/* Buffers start small: most frames are a request or a short delta. */
#define BUF_MIN 256

void xlb_msg_buf_init(struct xlb_msg_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void xlb_msg_buf_fini(struct xlb_msg_buf *b)
{
	free(b->data);
	xlb_msg_buf_init(b);
}

/* Makes room for need bytes, keeping the content. */
static int buf_reserve(struct xlb_msg_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : BUF_MIN;
	__u8 *p;

	if (need <= b->cap)
		return 0;
	if (need > XLB_MSG_FRAME_MAX)
		return xlb_errmsg_set(-EMSGSIZE,
				      "a frame of %zu bytes exceeds the maximum %u",
				      need, XLB_MSG_FRAME_MAX);
	while (cap < need)
		cap *= 2;
	if (cap > XLB_MSG_FRAME_MAX)
		cap = XLB_MSG_FRAME_MAX;
	p = realloc(b->data, cap);
	if (!p)
		return xlb_errmsg_set(-ENOMEM, "no memory for a %zu-byte frame",
				      cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int xlb_msg_buf_set(struct xlb_msg_buf *b, const void *data, size_t len)
{
	int err = buf_reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->data, data, len);
	b->len = len;
	return 0;
}

/* Writes a header for a body of body_len bytes; *body is where it goes. */
static int frame_begin(struct xlb_msg_buf *b, __u8 type, __u64 seq,
		       size_t body_len, __u8 **body)
{
	int err = buf_reserve(b, XLB_MSG_HDR_LEN + body_len);

	if (err)
		return err;
	memcpy(b->data, XLB_MSG_MAGIC, 4);
	b->data[OFF_VERSION] = XLB_MSG_VERSION;
	b->data[OFF_TYPE] = type;
	put_u16(b->data + OFF_FLAGS, 0);
	put_u32(b->data + OFF_LEN, (__u32)body_len);
	put_u64(b->data + OFF_SEQ, seq);
	b->len = XLB_MSG_HDR_LEN + body_len;
	*body = b->data + XLB_MSG_HDR_LEN;
	return 0;
}

static int batch_begin(struct xlb_msg_buf *b, __u8 type, __u64 seq,
		       bool snapshot)
{
	__u8 *body;
	int err = frame_begin(b, type, seq, XLB_MSG_BATCH_HEAD, &body);

	if (err)
		return err;
	body[OFF_KIND] = snapshot ? KIND_SNAPSHOT : KIND_DELTA;
	put_u32(body + OFF_COUNT, 0);
	return 0;
}

int xlb_msg_health_begin(struct xlb_msg_buf *b, __u64 seq, bool snapshot)
{
	return batch_begin(b, XLB_MSG_HEALTH, seq, snapshot);
}

int xlb_msg_vips_begin(struct xlb_msg_buf *b, __u64 seq, bool snapshot)
{
	return batch_begin(b, XLB_MSG_VIP_READY, seq, snapshot);
}

/* The position of the next entry of the type batch begun in b. */
static int batch_index(const struct xlb_msg_buf *b, __u8 type, __u32 *idx)
{
	if (!b->data || b->len < XLB_MSG_HDR_LEN + XLB_MSG_BATCH_HEAD ||
	    b->data[OFF_TYPE] != type)
		return xlb_errmsg_set(-EINVAL,
				      "no %s batch begun in this buffer",
				      xlb_msg_type_name(type));
	*idx = get_u32(b->data + XLB_MSG_HDR_LEN + OFF_COUNT);
	return 0;
}

/* Room for one more entry of entry_len bytes within XLB_MSG_MAX. */
static int batch_room(struct xlb_msg_buf *b, __u8 type, size_t entry_len,
		      __u32 idx)
{
	if (b->len - XLB_MSG_HDR_LEN + entry_len > XLB_MSG_MAX)
		return xlb_errmsg_set(-EMSGSIZE,
				      "%s entry %u would take the body past %u bytes",
				      xlb_msg_type_name(type), idx,
				      XLB_MSG_MAX);
	return buf_reserve(b, b->len + entry_len);
}

/* Counts the entry just written at the end of the frame. */
static void batch_commit(struct xlb_msg_buf *b, size_t entry_len, __u32 idx)
{
	b->len += entry_len;
	put_u32(b->data + OFF_LEN, (__u32)(b->len - XLB_MSG_HDR_LEN));
	put_u32(b->data + XLB_MSG_HDR_LEN + OFF_COUNT, idx + 1);
}

int xlb_msg_health_add(struct xlb_msg_buf *b, const struct xlb_health_tr *tr)
{
	size_t nlen = strnlen(tr->check, sizeof(tr->check));
	size_t elen = XLB_MSG_HEALTH_FIXED + nlen;
	enum xlb_msg_reject why;
	__u32 idx;
	__u8 *p;
	int err;

	err = batch_index(b, XLB_MSG_HEALTH, &idx);
	if (!err)
		err = xlb_msg_check_addr(tr->family, tr->addr.b,
					 XLB_MSG_HEALTH, idx, &why);
	if (!err)
		err = xlb_msg_check_health(tr->state, tr->reason,
					   (const __u8 *)tr->check, nlen, idx,
					   &why);
	if (!err)
		err = batch_room(b, XLB_MSG_HEALTH, elen, idx);
	if (err)
		return err;
	p = b->data + b->len;
	p[HE_FAMILY] = tr->family;
	memcpy(p + HE_ADDR, tr->addr.b, 16);
	put_u16(p + HE_PORT, tr->port);
	p[HE_STATE] = tr->state;
	p[HE_REASON] = tr->reason;
	put_u32(p + HE_LATENCY, tr->latency_us);
	p[HE_NAMELEN] = (__u8)nlen;
	memcpy(p + HE_NAME, tr->check, nlen);
	batch_commit(b, elen, idx);
	return 0;
}

int xlb_msg_vips_add(struct xlb_msg_buf *b, const struct xlb_vip_ready *v)
{
	enum xlb_msg_reject why;
	__u32 idx;
	__u8 *p;
	int err;

	err = batch_index(b, XLB_MSG_VIP_READY, &idx);
	if (!err)
		err = xlb_msg_check_addr(v->family, v->addr.b,
					 XLB_MSG_VIP_READY, idx, &why);
	if (!err)
		err = xlb_msg_check_ready(v->ready, idx, &why);
	if (!err)
		err = batch_room(b, XLB_MSG_VIP_READY, XLB_MSG_VIP_ENTRY, idx);
	if (err)
		return err;
	p = b->data + b->len;
	p[VE_FAMILY] = v->family;
	memcpy(p + VE_ADDR, v->addr.b, 16);
	p[VE_READY] = v->ready;
	batch_commit(b, XLB_MSG_VIP_ENTRY, idx);
	return 0;
}

int xlb_msg_revision_encode(struct xlb_msg_buf *b, __u64 seq, __u64 revision)
{
	__u8 *body;
	int err = frame_begin(b, XLB_MSG_REVISION, seq, 8, &body);

	if (!err)
		put_u64(body, revision);
	return err;
}

int xlb_msg_status_encode(struct xlb_msg_buf *b, __u64 seq,
			  const struct xlb_msg_status *st)
{
	__u8 *body;
	int err = frame_begin(b, XLB_MSG_STATUS, seq, XLB_MSG_STATUS_LEN,
			      &body);

	if (err)
		return err;
	put_u64(body, st->applied_revision);
	put_u32(body + 8, st->services);
	put_u32(body + 12, st->backends);
	put_u32(body + 16, st->backends_up);
	put_u32(body + 20, st->vips);
	put_u32(body + 24, st->vips_ready);
	put_u64(body + 28, st->rejected);
	put_u32(body + 36, st->hcd);
	put_u32(body + 40, st->panic);
	return 0;
}

static bool is_request(unsigned int type)
{
	return type == XLB_MSG_STATUS_REQ ||
	       type == XLB_MSG_SNAPSHOT_HEALTH_REQ ||
	       type == XLB_MSG_SNAPSHOT_VIPS_REQ || type == XLB_MSG_SYNC_REQ;
}

int xlb_msg_request_encode(struct xlb_msg_buf *b, __u64 seq, __u8 type)
{
	__u8 *body;

	if (!is_request(type))
		return xlb_errmsg_set(-EINVAL,
				      "message type %u (%s) is not a request",
				      type, xlb_msg_type_name(type));
	return frame_begin(b, type, seq, 0, &body);
}

int xlb_msg_error_encode(struct xlb_msg_buf *b, __u64 seq, __u32 code,
			 const char *text)
{
	size_t i, len = text ? strnlen(text, XLB_MSG_TEXT_MAX) : 0;
	__u8 *body;
	int err;

	if (code == 0)
		return xlb_errmsg_set(-EINVAL, "error reply with code 0");
	err = frame_begin(b, XLB_MSG_ERROR, seq, ERR_HEAD + len, &body);
	if (err)
		return err;
	put_u32(body, code);
	body[4] = (__u8)len;
	/* The receiver takes printable ASCII only; a '?' keeps the rest of
	 * the sentence readable. */
	for (i = 0; i < len; i++)
		body[ERR_HEAD + i] = text[i] >= 0x20 && text[i] <= 0x7e ?
					     (__u8)text[i] : '?';
	return 0;
}

