// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_msg_seq.c - what a receiver makes of a publisher's sequence numbers.
 *
 * pub/sub drops messages for a subscriber that is slow or not yet
 * connected, and a publisher may restart; a receiver learns of both only
 * from the numbers, and answers both the same way: by asking for a
 * snapshot.  Seeding each publisher with the wall clock in nanoseconds
 * makes a restart look like a jump forward (no publisher sends a message
 * per nanosecond), which leaves "at or below the last" meaning "already
 * covered", except a jump far below: the clock stepped back across a
 * restart.
 */
#include <time.h>

#include "xlb_msg.h"

__u64 xlb_msg_seq_first(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) || ts.tv_sec <= 0)
		return 1;
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int seq_event(const struct xlb_msg_seq *t, __u64 seq)
{
	if (!t->known)
		return XLB_SEQ_FIRST;
	if (seq == t->last + 1)
		return XLB_SEQ_NEXT;
	if (seq > t->last)
		return XLB_SEQ_GAP;
	if (t->last - seq < XLB_MSG_SEQ_WINDOW)
		return XLB_SEQ_STALE;
	return XLB_SEQ_RESTART;
}

int xlb_msg_seq_check(struct xlb_msg_seq *t, __u64 seq,
		      struct xlb_msg_stats *stats)
{
	int ev = seq_event(t, seq);

	if (ev != XLB_SEQ_STALE)
		xlb_msg_seq_reset(t, seq);
	if (!stats)
		return ev;
	if (ev == XLB_SEQ_GAP)
		stats->gaps++;
	else if (ev == XLB_SEQ_STALE)
		stats->stale++;
	else if (ev == XLB_SEQ_RESTART)
		stats->restarts++;
	return ev;
}

void xlb_msg_seq_reset(struct xlb_msg_seq *t, __u64 seq)
{
	t->last = seq;
	t->known = true;
}
