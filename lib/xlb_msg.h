/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_msg.h - the messages xlb's processes exchange over nng (lib/xlb_bus),
 * encoded and decoded in this one module.
 *
 * A message is one frame: a 20-byte header, then a body of the header's
 * length.  Every field is fixed width and little endian except addresses,
 * which travel as their 16 network-order bytes (union xlb_addr: IPv4 in the
 * first four, the other twelve zero).  Nothing is copied as a C struct, so
 * the layout does not depend on a compiler's padding.
 *
 *   header   off size
 *   magic      0   4  "XLBM"
 *   version    4   1  XLB_MSG_VERSION
 *   type       5   1  enum xlb_msg_type
 *   flags      6   2  0 (reserved: any bit set is rejected)
 *   len        8   4  body bytes, exactly those after the header,
 *                     at most XLB_MSG_MAX
 *   seq       12   8  see "Sequence numbers" below
 *
 *   HEALTH (hcd pub; reply to SNAPSHOT_HEALTH_REQ with kind 1)
 *     kind u8 (0 delta: transitions, 1 snapshot: every backend's state),
 *     count u32, then count entries of 27..89 bytes:
 *       family u8, addr 16, port u16, state u8, reason u8, latency_us u32,
 *       check name length u8 (1..63), check name (printable ASCII)
 *   VIP_READY (lbd pub; reply to SNAPSHOT_VIPS_REQ with kind 1)
 *     kind u8, count u32, then count entries of 18 bytes:
 *       family u8, addr 16, ready u8 (0/1)
 *   REVISION (lbd pub; also the reply to SYNC_REQ)
 *     revision u64
 *   STATUS (reply to STATUS_REQ), 44 bytes
 *     applied_revision u64, services u32, backends u32, backends_up u32,
 *     vips u32, vips_ready u32, rejected u64, hcd u32 (enum
 *     xlb_hcd_state), panic u32 (see struct xlb_msg_status)
 *   STATUS_REQ, SNAPSHOT_HEALTH_REQ, SNAPSHOT_VIPS_REQ, SYNC_REQ
 *     empty
 *   ERROR (reply to a bad request)
 *     code u32 (a positive errno, not 0), text length u8 (0..255),
 *     text (printable ASCII)
 *
 * The size bound caps a HEALTH batch at 11,781 entries with 63-byte check
 * names (38,835 with 1-byte names) and a VIP_READY batch at 58,253 entries.
 * A publisher with more changes sends several deltas; a snapshot reply is
 * one frame, so it holds at most that many.
 *
 * Sequence numbers: each publisher starts at xlb_msg_seq_first() (the
 * wall clock in nanoseconds, so a restarted publisher continues above
 * where it stopped) and adds one per message.  A reply carries the
 * sequence number of the replier's last published message: a snapshot
 * reflects everything published up to it.  A request carries the
 * requester's own count, which nobody checks.  Receivers feed every sequence
 * number to xlb_msg_seq_check(); a late subscriber asks for a snapshot,
 * then calls xlb_msg_seq_reset() with the snapshot's sequence number, so
 * the deltas it already holds are recognised as stale.
 *
 * Receiving: xlb_msg_decode() validates the whole frame before it says
 * yes, so a message is used completely or not at all.  Batches are then
 * read with an iterator into caller structs: decoding never allocates.
 * Every rejection is counted by reason in struct xlb_msg_stats and its
 * detail left in xlb_errmsg(); the receiver logs it and keeps going.
 *
 * Errors (negative errno), one per kind of fault:
 *   -EBADMSG          the frame's shape: header cut short, length field not
 *                     the bytes that follow, body size wrong for the type,
 *                     batch count not matching the body
 *   -EPROTO           not an xlb message (magic)
 *   -EPROTONOSUPPORT  another version
 *   -ENOMSG           unknown type
 *   -EMSGSIZE         length over XLB_MSG_MAX (decode); a batch entry that
 *                     would take the body over it (encode)
 *   -EAFNOSUPPORT     address family neither XLB_FAM_V4 nor XLB_FAM_V6
 *   -EINVAL           a field out of range: flags, IPv4 padding, state,
 *                     reason, check name, batch kind, ready, error text,
 *                     hcd state
 *   -ENOMEM           a buffer could not grow (encode only)
 */
#ifndef XLB_MSG_H
#define XLB_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "xlb_abi.h"

#define XLB_MSG_MAGIC     "XLBM"
#define XLB_MSG_VERSION   1
#define XLB_MSG_HDR_LEN   20
#define XLB_MSG_MAX       (1U << 20) /* body bytes */
#define XLB_MSG_FRAME_MAX (XLB_MSG_HDR_LEN + XLB_MSG_MAX)
#define XLB_MSG_CHECK_MAX 63         /* check name bytes */
#define XLB_MSG_TEXT_MAX  255        /* error text bytes */

/* Fixed sizes, for callers that size batches and for the tests. */
#define XLB_MSG_BATCH_HEAD   5  /* kind u8 + count u32 */
#define XLB_MSG_HEALTH_FIXED 26 /* a HEALTH entry without its name */
#define XLB_MSG_VIP_ENTRY    18
#define XLB_MSG_STATUS_LEN   44

enum xlb_msg_type {
	XLB_MSG_HEALTH = 1,
	XLB_MSG_VIP_READY,
	XLB_MSG_REVISION,
	XLB_MSG_STATUS_REQ,
	XLB_MSG_STATUS,
	XLB_MSG_SNAPSHOT_HEALTH_REQ,
	XLB_MSG_SNAPSHOT_VIPS_REQ,
	XLB_MSG_SYNC_REQ,
	XLB_MSG_ERROR,
	XLB_MSG_TYPE_MAX
};

enum xlb_health_state {
	XLB_HEALTH_DOWN = 0,
	XLB_HEALTH_UP = 1,
};

/* Why a check ended as it did. */
enum xlb_health_reason {
	XLB_HR_OK = 0,
	XLB_HR_TIMEOUT,
	XLB_HR_REFUSED,
	XLB_HR_BAD_STATUS,  /* HTTP status not the expected one */
	XLB_HR_BAD_BODY,    /* response body not the expected one */
	XLB_HR_TLS,         /* handshake or certificate */
	XLB_HR_UNREACHABLE, /* no route, ICMP unreachable */
	XLB_HR_INTERNAL,    /* the checker itself failed */
	XLB_HR_MAX
};

/* Why a received frame was rejected: the index into xlb_msg_stats. */
enum xlb_msg_reject {
	XLB_MSG_R_SHORT = 0, /* fewer bytes than a header */
	XLB_MSG_R_MAGIC,
	XLB_MSG_R_VERSION,
	XLB_MSG_R_TYPE,
	XLB_MSG_R_FLAGS,
	XLB_MSG_R_TOO_BIG,   /* length field over XLB_MSG_MAX */
	XLB_MSG_R_LENGTH,    /* length field != bytes after the header */
	XLB_MSG_R_BODY,      /* body size wrong for its type */
	XLB_MSG_R_COUNT,     /* batch count does not match the body */
	XLB_MSG_R_FAMILY,
	XLB_MSG_R_ADDR_PAD,  /* IPv4 address with bytes 4..15 not zero */
	XLB_MSG_R_STATE,
	XLB_MSG_R_REASON,
	XLB_MSG_R_NAME,      /* check name empty, too long or not printable */
	XLB_MSG_R_VALUE,     /* batch kind, ready, error code or text */
	XLB_MSG_R_MAX
};

/* What a receiver counts; zero it once, pass it to every decode. */
struct xlb_msg_stats {
	__u64 accepted[XLB_MSG_TYPE_MAX]; /* by type (index 0 unused) */
	__u64 rejected[XLB_MSG_R_MAX];    /* by reason */
	__u64 gaps;     /* sequence jumped forward: messages were lost */
	__u64 stale;    /* sequence at or below one already seen */
	__u64 restarts; /* sequence far below: the publisher restarted */
};

/* One HEALTH transition (or, in a snapshot, one backend's state). */
struct xlb_health_tr {
	union xlb_addr addr;
	__u8 family;     /* XLB_FAM_* */
	__u8 state;      /* enum xlb_health_state */
	__u8 reason;     /* enum xlb_health_reason */
	__u16 port;      /* host order */
	__u32 latency_us;
	char check[XLB_MSG_CHECK_MAX + 1]; /* NUL-terminated */
};

/* One VIP_READY entry. */
struct xlb_vip_ready {
	union xlb_addr addr;
	__u8 family;
	__u8 ready; /* 0 or 1 */
};

/* What lbd makes of hcd (STATUS): whatever it is, lbd keeps the last
 * known health of every backend until hcd reports it. */
enum xlb_hcd_state {
	XLB_HCD_UNHEARD = 0, /* nothing from hcd since lbd started */
	XLB_HCD_LIVE,        /* heard within the silence limit */
	XLB_HCD_SILENT,      /* nothing for longer: the last state is kept */
	XLB_HCD_RESTARTED,   /* restarted, no result reported since */
	XLB_HCD_MAX
};

/* The STATUS reply, lbd's summary for lbsh and scripts. */
struct xlb_msg_status {
	__u64 applied_revision;
	__u32 services;
	__u32 backends;    /* service-backend rows */
	__u32 backends_up;
	__u32 vips;
	__u32 vips_ready;
	__u64 rejected;    /* messages lbd rejected since it started */
	__u32 hcd;         /* enum xlb_hcd_state */
	__u32 panic;       /* services routing to all their backends because
			    * more than their panic threshold are down */
};

struct xlb_msg_error {
	__u32 code; /* positive errno */
	char text[XLB_MSG_TEXT_MAX + 1];
};

/* A HEALTH or VIP_READY batch, validated; its entries stay in the frame. */
struct xlb_msg_batch {
	bool snapshot;
	__u32 count;
	const __u8 *entries;
	size_t len;
};

/* A decoded frame.  batch points into the decoded bytes: it is valid only
 * while they are. */
struct xlb_msg {
	__u8 type; /* enum xlb_msg_type */
	__u64 seq;
	union {
		struct xlb_msg_batch batch;   /* HEALTH, VIP_READY */
		__u64 revision;               /* REVISION */
		struct xlb_msg_status status; /* STATUS */
		struct xlb_msg_error error;   /* ERROR */
	};
};

/*
 * A growable frame buffer, owned by the caller: zero it (or
 * xlb_msg_buf_init), reuse it for any number of frames, free it with
 * xlb_msg_buf_fini.  data holds one complete frame after every successful
 * encode call; a failed call leaves the previous content intact.
 */
struct xlb_msg_buf {
	__u8 *data;
	size_t len;
	size_t cap;
};

void xlb_msg_buf_init(struct xlb_msg_buf *b);
void xlb_msg_buf_fini(struct xlb_msg_buf *b);
/* Replaces the content with len bytes (a received frame); -EMSGSIZE over
 * XLB_MSG_FRAME_MAX, -ENOMEM. */
int xlb_msg_buf_set(struct xlb_msg_buf *b, const void *data, size_t len);

/*
 * Batches: begin writes the header and an empty batch; each add validates
 * the entry as the decoder will (same errors) and appends it, or returns
 * -EMSGSIZE when it would take the body over XLB_MSG_MAX, leaving a
 * complete frame to send before beginning the next one.
 */
int xlb_msg_health_begin(struct xlb_msg_buf *b, __u64 seq, bool snapshot);
int xlb_msg_health_add(struct xlb_msg_buf *b, const struct xlb_health_tr *tr);
int xlb_msg_vips_begin(struct xlb_msg_buf *b, __u64 seq, bool snapshot);
int xlb_msg_vips_add(struct xlb_msg_buf *b, const struct xlb_vip_ready *v);

int xlb_msg_revision_encode(struct xlb_msg_buf *b, __u64 seq, __u64 revision);
int xlb_msg_status_encode(struct xlb_msg_buf *b, __u64 seq,
			  const struct xlb_msg_status *st);
/* type: one of the *_REQ types (-EINVAL otherwise). */
int xlb_msg_request_encode(struct xlb_msg_buf *b, __u64 seq, __u8 type);
/* Any text can be sent: it is cut to XLB_MSG_TEXT_MAX bytes and bytes
 * outside printable ASCII become '?'.  code must be > 0. */
int xlb_msg_error_encode(struct xlb_msg_buf *b, __u64 seq, __u32 code,
			 const char *text);

/*
 * Validates frame[0..len) completely and fills *msg (untouched on error).
 * stats (may be NULL) counts the result: accepted by type or rejected by
 * reason.
 */
int xlb_msg_decode(const void *frame, size_t len, struct xlb_msg *msg,
		   struct xlb_msg_stats *stats);

/* Reads a decoded batch entry by entry. */
struct xlb_msg_iter {
	const __u8 *p;
	const __u8 *end;
	__u32 left; /* entries not yet read */
	__u32 next; /* index of the next one, for error messages */
	__u8 type;
};

/* -EINVAL if msg is not a HEALTH or VIP_READY batch. */
int xlb_msg_iter_init(struct xlb_msg_iter *it, const struct xlb_msg *msg);
/* 0 and the next entry, -ENOENT after the last, -EINVAL for the other
 * batch type. */
int xlb_msg_health_next(struct xlb_msg_iter *it, struct xlb_health_tr *tr);
int xlb_msg_vips_next(struct xlb_msg_iter *it, struct xlb_vip_ready *v);

/* What a sequence number means to a receiver. */
enum xlb_msg_seq_event {
	XLB_SEQ_NEXT = 0, /* the one expected: apply */
	XLB_SEQ_FIRST,    /* first seen: apply, and ask for a snapshot */
	XLB_SEQ_GAP,      /* messages lost: apply, and ask for a snapshot */
	XLB_SEQ_STALE,    /* already covered: skip */
	XLB_SEQ_RESTART,  /* the publisher restarted with an earlier clock:
			   * apply, and ask for a snapshot */
};

/* How far below the last sequence number a message still counts as stale
 * (queued before a snapshot) rather than from a restarted publisher. */
#define XLB_MSG_SEQ_WINDOW (1ULL << 20)

/* Per publisher; zero it before the first message. */
struct xlb_msg_seq {
	__u64 last;
	bool known;
};

__u64 xlb_msg_seq_first(void);
/* Returns an enum xlb_msg_seq_event (never negative); stats may be NULL. */
int xlb_msg_seq_check(struct xlb_msg_seq *t, __u64 seq,
		      struct xlb_msg_stats *stats);
/* After a snapshot with sequence number seq. */
void xlb_msg_seq_reset(struct xlb_msg_seq *t, __u64 seq);

/* Names for logs ("health", "timeout", "magic"); "?" when out of range. */
const char *xlb_msg_type_name(unsigned int type);
const char *xlb_health_reason_name(unsigned int reason);
const char *xlb_msg_reject_name(unsigned int reason);

#endif /* XLB_MSG_H */
