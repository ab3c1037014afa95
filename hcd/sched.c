// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sched.c - when targets are probed: a binary min-heap of targets keyed
 * by their next event (a start, or the deadline of the probe in flight),
 * so a worker with 100,000 targets finds the next one in O(1) and moves
 * one in O(log n); and the jitter that spreads starts over the interval.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "hcd.h"

uint64_t hcd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void place(struct hcd_heap *h, uint32_t i, struct hcd_target *t)
{
	h->v[i] = t;
	t->heap_idx = i;
}

static void up(struct hcd_heap *h, uint32_t i)
{
	struct hcd_target *t = h->v[i];

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (h->v[parent]->heap_at <= t->heap_at)
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void down(struct hcd_heap *h, uint32_t i)
{
	struct hcd_target *t = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->heap_at < h->v[c]->heap_at)
			c++;
		if (h->v[c]->heap_at >= t->heap_at)
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, t);
}

int hcd_heap_push(struct hcd_heap *h, struct hcd_target *t, uint64_t at)
{
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 1024;
		struct hcd_target **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	t->heap_at = at;
	place(h, h->n++, t);
	up(h, t->heap_idx);
	return 0;
}

void hcd_heap_update(struct hcd_heap *h, struct hcd_target *t, uint64_t at)
{
	uint64_t before = t->heap_at;

	t->heap_at = at;
	if (at < before)
		up(h, t->heap_idx);
	else
		down(h, t->heap_idx);
}

void hcd_heap_remove(struct hcd_heap *h, struct hcd_target *t)
{
	uint32_t i = t->heap_idx;
	struct hcd_target *last;

	if (i == UINT32_MAX || i >= h->n || h->v[i] != t)
		return;
	t->heap_idx = UINT32_MAX;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	/* The last one may belong above or below the hole. */
	place(h, i, last);
	up(h, i);
	down(h, last->heap_idx);
}

struct hcd_target *hcd_heap_top(const struct hcd_heap *h)
{
	return h->n ? h->v[0] : NULL;
}

void hcd_heap_free(struct hcd_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

/* xorshift64*: fast, and seeded per worker, so threads share nothing. */
uint64_t hcd_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t hcd_sched_first(uint64_t now_us, uint32_t interval_ms,
			 uint64_t *rng)
{
	return now_us + hcd_rand(rng) % ((uint64_t)interval_ms * 1000);
}

uint64_t hcd_sched_next(uint64_t due_us, uint64_t now_us,
			uint32_t interval_ms)
{
	uint64_t iv = (uint64_t)interval_ms * 1000;
	uint64_t next = due_us + iv;

	if (next <= now_us) /* behind: the next point of the phase ahead */
		next += ((now_us - next) / iv + 1) * iv;
	return next;
}
