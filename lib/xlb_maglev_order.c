// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_maglev_order.c - the canonical order of a service's backends.
 *
 * Rows may arrive in any order, so the builder first sorts them by (family,
 * addr, port): equal neighbours are duplicates, and the order no longer
 * depends on the caller.  Backends of weight 0 are then dropped and the rest
 * stably re-sorted by decreasing weight, which groups them into classes
 * that keep key order inside.
 *
 * The sort is a bottom-up merge sort of row numbers with the comparison
 * inlined: qsort() with a callback cost about 80 us for 1,000 rows, a tenth
 * of a whole build.  Merging is stable, which the weight pass relies on,
 * and runs already in order are copied without comparing, so rows that come
 * sorted (as they do from an ordered query) cost one comparison per run.
 */
#include <errno.h>
#include <string.h>

#include "xlb_maglev_internal.h"

static __u32 be_word(const __u8 *b)
{
	return (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

/* IPv4 keys ignore addr bytes 4..15 so stray bytes there cannot make two
 * nodes disagree. */
void mg_key_of(const struct xlb_maglev_backend *be, struct mg_key *k)
{
	int i;

	k->w[0] = be->family;
	for (i = 0; i < 4; i++)
		k->w[1 + i] = (i == 0 || be->family == XLB_FAM_V6) ?
				      be_word(&be->addr.b[4 * i]) : 0;
	k->w[5] = be->port;
}

static inline int key_cmp(const struct mg_key *a, const struct mg_key *b)
{
	int i;

	for (i = 0; i < MG_KEY_WORDS; i++)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* ---- stable merge sort of row numbers ----------------------------------- */

struct mg_sort {
	const struct mg_key *keys;
	const struct xlb_maglev_backend *bes;
	int by_weight; /* 0: by key; 1: by decreasing weight only */
};

/* Whether row a must come before row b (strictly: ties keep their order). */
static inline int before(const struct mg_sort *s, __u32 a, __u32 b)
{
	if (s->by_weight)
		return s->bes[a].weight > s->bes[b].weight;
	return key_cmp(&s->keys[a], &s->keys[b]) < 0;
}

/* Merges the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi). */
static void merge(const struct mg_sort *s, const __u32 *src, __u32 *dst,
		  __u32 lo, __u32 mid, __u32 hi)
{
	__u32 i = lo, j = mid, k = lo;

	if (mid == hi || !before(s, src[mid], src[mid - 1])) {
		memcpy(dst + lo, src + lo, (hi - lo) * sizeof(*src));
		return;
	}
	while (i < mid && j < hi)
		dst[k++] = before(s, src[j], src[i]) ? src[j++] : src[i++];
	memcpy(dst + k, src + i, (mid - i) * sizeof(*src));
	k += mid - i;
	memcpy(dst + k, src + j, (hi - j) * sizeof(*src));
}

/* Sorts rows[0..n) using tmp (room for n); the result is in rows. */
static void sort_rows(const struct mg_sort *s, __u32 *rows, __u32 *tmp,
		      __u32 n)
{
	__u32 *src = rows, *dst = tmp, *t;
	__u32 width, lo;

	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			__u32 mid = n - lo > width ? lo + width : n;
			__u32 hi = n - mid > width ? mid + width : n;

			merge(s, src, dst, lo, mid, hi);
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != rows)
		memcpy(rows, src, n * sizeof(*rows));
}

/* ---- canonical order ---------------------------------------------------- */

/* Sorts all rows by key, rejects duplicates and keeps those of weight > 0
 * in s->order; returns how many, or -EINVAL. */
static long live_in_key_order(struct xlb_maglev_scratch *s,
			      const struct xlb_maglev_backend *bes, __u32 n)
{
	struct mg_sort by_key = { s->keys, bes, 0 };
	__u32 i, live = 0, prev = 0;

	for (i = 0; i < n; i++)
		s->order[i] = i;
	sort_rows(&by_key, s->order, s->tmp, n);
	for (i = 0; i < n; i++) {
		__u32 row = s->order[i];

		if (i && !key_cmp(&s->keys[prev], &s->keys[row]))
			return -EINVAL;
		prev = row;
		if (bes[row].weight)
			s->order[live++] = row;
	}
	return live;
}

static __u32 make_classes(struct xlb_maglev_scratch *s,
			  const struct xlb_maglev_backend *bes, __u32 live)
{
	__u32 i, n_cls = 0;

	for (i = 0; i < live; i++) {
		__u32 w = bes[s->order[i]].weight;

		if (!i || w != s->cls[n_cls - 1].weight) {
			s->cls[n_cls].first = i;
			s->cls[n_cls].weight = w;
			n_cls++;
		}
		s->cls[n_cls - 1].end = i + 1;
	}
	return n_cls;
}

long mg_order(struct xlb_maglev_scratch *s,
	      const struct xlb_maglev_backend *bes, __u32 n, __u32 *n_cls)
{
	struct mg_sort by_weight = { s->keys, bes, 1 };
	long live = live_in_key_order(s, bes, n);

	if (live <= 0)
		return live;
	sort_rows(&by_weight, s->order, s->tmp, (__u32)live);
	*n_cls = make_classes(s, bes, (__u32)live);
	return live;
}
