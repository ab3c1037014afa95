/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_msg_internal.h - what the encoder (xlb_msg_encode.c) and the decoder
 * (xlb_msg.c) share: field offsets, little-endian access and the field
 * checks, so both sides agree on every byte and every limit.  Not an
 * interface for other parts of xlb.
 */
#ifndef XLB_MSG_INTERNAL_H
#define XLB_MSG_INTERNAL_H

#include <stddef.h>
#include <linux/types.h>

#include "xlb_msg.h"

/* Header offsets. */
#define OFF_VERSION 4
#define OFF_TYPE    5
#define OFF_FLAGS   6
#define OFF_LEN     8
#define OFF_SEQ     12

/* Batch head (body offsets) and kinds. */
#define OFF_KIND  0
#define OFF_COUNT 1
#define KIND_DELTA    0
#define KIND_SNAPSHOT 1

/* HEALTH entry offsets. */
#define HE_FAMILY  0
#define HE_ADDR    1
#define HE_PORT    17
#define HE_STATE   19
#define HE_REASON  20
#define HE_LATENCY 21
#define HE_NAMELEN 25
#define HE_NAME    26

/* VIP_READY entry offsets. */
#define VE_FAMILY 0
#define VE_ADDR   1
#define VE_READY  17

/* ERROR body: code u32, text length u8, text. */
#define ERR_HEAD 5

/* Fields are written and read byte by byte, so the wire format does not
 * depend on the host's byte order or on struct layout. */
static inline void put_u16(__u8 *p, __u16 v)
{
	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
}

static inline void put_u32(__u8 *p, __u32 v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (__u8)(v >> (8 * i));
}

static inline void put_u64(__u8 *p, __u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (__u8)(v >> (8 * i));
}

static inline __u16 get_u16(const __u8 *p)
{
	return (__u16)(p[0] | p[1] << 8);
}

static inline __u32 get_u32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 |
	       (__u32)p[3] << 24;
}

static inline __u64 get_u64(const __u8 *p)
{
	return (__u64)get_u32(p) | (__u64)get_u32(p + 4) << 32;
}

/*
 * Field checks: 0, or the errno of the rejection with *why set and the
 * sentence in xlb_errmsg().  type and idx name the entry in that sentence.
 */
int xlb_msg_check_addr(__u8 family, const __u8 *addr, __u8 type, __u32 idx,
		       enum xlb_msg_reject *why);
/* Everything in a HEALTH entry but its address. */
int xlb_msg_check_health(__u8 state, __u8 reason, const __u8 *name,
			 size_t name_len, __u32 idx, enum xlb_msg_reject *why);
int xlb_msg_check_ready(__u8 ready, __u32 idx, enum xlb_msg_reject *why);

#endif /* XLB_MSG_INTERNAL_H */
