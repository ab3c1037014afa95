// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_maglev_fill.c - fills a Maglev table from prepared backends.
 *
 * Rounds: in round r a class of weight w has earned r * w credit and takes
 * one slot per backend for each max_w of it, so its k-th action falls in
 * round ceil(k * max_w / w).  Within a round the heavier class acts first,
 * and within a class the backends go in canonical order.  A min-heap keyed
 * (round << 32 | class) yields the actions in that order, so a round costs
 * nothing for a class that does not act in it.  With equal weights there is
 * one class acting every round: the paper's algorithm, untouched.
 *
 * Taking a slot: the backend walks its preference list (next += skip, one
 * compare instead of a modulo) to the first slot not yet used.  As the table
 * fills up that walk grows to m / free steps, and the last few hundred slots
 * would cost as much as all the others; from mg_endgame_slots(m) free slots
 * on, each take instead computes, for every free slot, how many steps the
 * walk would need (a modular inverse turns a slot into a step count) and
 * takes the nearest.  Both give the same slot.
 */
#include <stdint.h>
#include <string.h>

#include "xlb_maglev_internal.h"

/* ---- heap of classes ---------------------------------------------------- */

static void heap_sift_down(__u64 *h, __u32 len, __u32 i)
{
	__u64 v = h[i];

	for (;;) {
		__u32 c = 2 * i + 1;

		if (c >= len)
			break;
		if (c + 1 < len && h[c + 1] < h[c])
			c++;
		if (v <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/*
 * The key of class c's next action.  Rounds past m never come (the heaviest
 * class takes a slot every round), so a far round is clamped rather than
 * tracked: the class just stays at the bottom of the heap.
 */
static __u64 class_key(const struct mg_fill *f, __u32 c)
{
	const struct mg_class *cl = &f->cls[c];
	__u64 k = (__u64)cl->acted + 1, r = k;

	if (c) /* cls[0] is the heaviest: it acts every round */
		r = (k * f->cls[0].weight + cl->weight - 1) / cl->weight;

	if (r > UINT32_MAX)
		r = UINT32_MAX;
	return r << 32 | c;
}

static void heap_init(struct mg_fill *f)
{
	__u32 c;

	for (c = 0; c < f->n_cls; c++) {
		f->cls[c].acted = 0;
		f->heap[c] = class_key(f, c);
	}
	c = f->n_cls / 2;
	while (c--)
		heap_sift_down(f->heap, f->n_cls, c);
}

/* ---- taking one slot ---------------------------------------------------- */

static inline __u32 step(__u32 slot, __u32 skip, __u32 m)
{
	slot += skip;
	return slot >= m ? slot - m : slot;
}

/*
 * The first unused slot of a preference list from slot on.  Past the first
 * choice it looks at four choices per iteration and picks the first free
 * one without a branch: with one branch per choice the loop exit was
 * mispredicted about once per take, and this is 15-20% faster at m = 65537
 * (wider windows and a bitmap instead of bytes were slower).
 */
static inline __u32 walk_to_free(const __u8 *used, __u32 slot, __u32 skip,
				 __u32 m)
{
	__u32 skip2, skip3, skip4;

	if (!used[slot])
		return slot;
	slot = step(slot, skip, m);
	skip2 = step(skip, skip, m);
	skip3 = step(skip2, skip, m);
	skip4 = step(skip2, skip2, m);
	for (;;) {
		__u32 q[4] = { slot, step(slot, skip, m), step(slot, skip2, m),
			       step(slot, skip3, m) };
		__u32 busy = (__u32)used[q[0]] | (__u32)used[q[1]] << 1 |
			     (__u32)used[q[2]] << 2 | (__u32)used[q[3]] << 3;

		if (busy != 0xf)
			return q[__builtin_ctz(~busy)];
		slot = step(slot, skip4, m);
	}
}

/* skip^-1 mod m by the extended Euclidean algorithm (m prime, skip < m). */
static __u32 inverse_mod(__u32 skip, __u32 m)
{
	__s64 t = 0, new_t = 1, r = m, new_r = skip;

	while (new_r) {
		__s64 q = r / new_r, tmp;

		tmp = t - q * new_t;
		t = new_t;
		new_t = tmp;
		tmp = r - q * new_r;
		r = new_r;
		new_r = tmp;
	}
	return (__u32)(t < 0 ? t + m : t);
}

/* The free slot that walk_to_free() would reach first, removed from the
 * free list.  The walk from cur reaches slot x after (x - cur) / skip steps
 * (mod m); step counts are distinct, so the nearest is unique. */
static __u32 endgame_take(struct mg_fill *f, const struct mg_cursor *cur)
{
	__u32 inv = inverse_mod(cur->skip, f->m), m = f->m;
	__u32 best = UINT32_MAX, best_k = 0, k, slot;

	for (k = 0; k < f->n_free; k++) {
		__u32 x = f->free_slots[k];
		__u32 d = x >= cur->next ? x - cur->next : x + m - cur->next;
		__u32 steps = (__u32)((__u64)d * inv % m);

		if (steps < best) {
			best = steps;
			best_k = k;
		}
	}
	slot = f->free_slots[best_k];
	f->free_slots[best_k] = f->free_slots[--f->n_free];
	return slot;
}

/* Collects the free slots.  Nearly every byte is 1 by now, so it checks
 * eight at a time. */
static void enter_endgame(struct mg_fill *f)
{
	const __u64 all_used = 0x0101010101010101ULL;
	__u32 x = 0, n = 0;

	for (; x + 8 <= f->m; x += 8) {
		__u64 w;

		memcpy(&w, f->used + x, sizeof(w));
		if (w == all_used)
			continue;
		for (__u32 b = x; b < x + 8; b++)
			if (!f->used[b])
				f->free_slots[n++] = b;
	}
	for (; x < f->m; x++)
		if (!f->used[x])
			f->free_slots[n++] = x;
	f->n_free = n;
	f->stop = f->m;
}

static __u32 min_u32(__u32 a, __u32 b)
{
	return a < b ? a : b;
}

/*
 * Backends i.. of a class take a slot each by walking, until the class ends
 * or the fill reaches f->stop; returns the next backend.  The pointers are
 * copied to restrict locals because table stores could otherwise alias
 * every __u32 in *f and force reloads in the hottest loop of the build.
 */
static __u32 walk_takes(struct mg_fill *f, __u32 i, __u32 end)
{
	struct mg_cursor *restrict cur = f->cur;
	const __u32 *restrict ids = f->ids;
	__u8 *restrict used = f->used;
	__u32 *restrict table = f->table;
	__u32 m = f->m, todo = min_u32(end - i, f->stop - f->filled);
	__u32 last = i + todo;

	for (; i < last; i++) {
		__u32 slot = walk_to_free(used, cur[i].next, cur[i].skip, m);

		used[slot] = 1;
		table[slot] = ids[i];
		cur[i].next = step(slot, cur[i].skip, m);
	}
	f->filled += todo;
	return i;
}

/* The same in the endgame, until the class ends or the table is full. */
static __u32 endgame_takes(struct mg_fill *f, __u32 i, __u32 end)
{
	__u32 last = i + min_u32(end - i, f->m - f->filled);

	for (; i < last; i++) {
		__u32 slot = endgame_take(f, &f->cur[i]);

		f->table[slot] = f->ids[i];
		f->cur[i].next = step(slot, f->cur[i].skip, f->m);
		f->filled++;
	}
	return i;
}

/* ---- rounds ------------------------------------------------------------- */

/* One action of class cl: each of its backends takes a slot.  Returns 1
 * once the table is full. */
static int class_act(struct mg_fill *f, const struct mg_class *cl)
{
	__u32 i = cl->first;

	while (i < cl->end) {
		if (f->filled == f->stop) {
			if (f->stop == f->m)
				return 1;
			enter_endgame(f);
		}
		i = f->n_free ? endgame_takes(f, i, cl->end) :
				walk_takes(f, i, cl->end);
	}
	return f->filled == f->m;
}

/*
 * The endgame costs about T^2 / 2 step computations for its T slots, the
 * walk about m / free probes per take, so T grows like sqrt(m).  Measured
 * build times are flat around sqrt(m) / 2 (65537: 64..192, 16381: 32..96,
 * 13313: 32..57) and rise on either side.
 */
__u32 mg_endgame_slots(__u32 m)
{
	__u32 r = 0;

	while ((r + 1) * (r + 1) <= m)
		r++;
	return r / 2;
}

/* The smallest key below the top: while the top class's next key is under
 * it, that class acts again without going through the heap. */
static __u64 heap_second(const struct mg_fill *f)
{
	__u64 a = f->n_cls > 1 ? f->heap[1] : UINT64_MAX;
	__u64 b = f->n_cls > 2 ? f->heap[2] : UINT64_MAX;

	return a < b ? a : b;
}

void mg_fill(struct mg_fill *f)
{
	f->filled = 0;
	f->n_free = 0;
	f->stop = f->m - mg_endgame_slots(f->m);
	memset(f->used, 0, f->m);
	heap_init(f);
	for (;;) {
		__u32 c = (__u32)f->heap[0];
		__u64 next, second = heap_second(f);

		do {
			if (class_act(f, &f->cls[c]))
				return;
			f->cls[c].acted++;
			next = class_key(f, c);
		} while (next < second);
		f->heap[0] = next;
		heap_sift_down(f->heap, f->n_cls, 0);
	}
}
