// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_maglev.c - weighted Maglev tables: the interface, the canonical
 * order of backends and their preference lists.
 *
 * The build has three steps:
 *   1. copy the rows into a canonical form and sort them by (family, addr,
 *      port): the order the rows arrive in must not matter, and adjacent
 *      equal keys reveal duplicates;  backends of weight 0 are dropped and
 *      the rest grouped into classes of equal weight, heaviest first;
 *   2. give each backend its preference list (offset, skip) from two fixed
 *      hashes of its key;
 *   3. fill the table in rounds (xlb_maglev_fill.c).
 *
 * All working memory comes from a struct xlb_maglev_scratch, allocated once
 * per build or kept by a caller that builds many tables.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlb_maglev.h"
#include "xlb_hash.h" /* after xlb_abi.h, which xlb_maglev.h brings */
#include "xlb_maglev_fill.h"

/*
 * Seeds of the two preference-list hashes.  They are part of the fleet-wide
 * contract: changing one reshuffles every table on every node.
 */
#define MG_SEED_OFFSET 0x6d676c31U
#define MG_SEED_SKIP   0x6d676c32U

#define MG_KEY_WORDS 6

/* A backend's identity as words that sort in (family, addr, port) order and
 * hash the same on hosts of either byte order. */
struct mg_key {
	__u32 w[MG_KEY_WORDS]; /* family, addr (4 big-endian words), port */
};

struct mg_row {
	struct mg_key key;
	__u32 weight;
	__u32 id;
};

struct xlb_maglev_scratch {
	size_t cap_n;
	__u32 cap_m;
	void *per_be; /* cap_n x MG_PER_BE_BYTES, carved by scratch_carve() */
	void *per_m;  /* free-slot list, then cap_m bytes of used flags */
	/* carved from per_be */
	__u64 *heap;
	struct mg_row *rows;
	struct mg_cursor *cur;
	struct mg_class *cls;
	__u32 *ids;
};

#define MG_PER_BE_BYTES                                                        \
	(sizeof(__u64) + sizeof(struct mg_row) + sizeof(struct mg_cursor) +    \
	 sizeof(struct mg_class) + sizeof(__u32))

int xlb_is_prime(__u32 m)
{
	__u32 d;

	if (m < 2)
		return 0;
	if (m % 2 == 0)
		return m == 2;
	for (d = 3; (__u64)d * d <= m; d += 2)
		if (m % d == 0)
			return 0;
	return 1;
}

static __u32 be_word(const __u8 *b)
{
	return (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

/* IPv4 keys ignore addr bytes 4..15 so stray bytes there cannot make two
 * nodes disagree. */
static void key_of(const struct xlb_maglev_backend *be, struct mg_key *k)
{
	int i;

	k->w[0] = be->family;
	for (i = 0; i < 4; i++)
		k->w[1 + i] = (i == 0 || be->family == XLB_FAM_V6) ?
				      be_word(&be->addr.b[4 * i]) : 0;
	k->w[5] = be->port;
}

/* lookup3's hashword() for the 6 key words. */
static __u32 key_hash(const struct mg_key *k, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = XLB_JHASH_INITVAL + (MG_KEY_WORDS << 2) + seed;
	a += k->w[0];
	b += k->w[1];
	c += k->w[2];
	xlb_jhash_mix(a, b, c);
	a += k->w[3];
	b += k->w[4];
	c += k->w[5];
	xlb_jhash_final(a, b, c);
	return c;
}

/* Two seeds give two independent hashes, so backends that collide on offset
 * still walk different lists. */
static void key_perm(const struct mg_key *k, __u32 m, __u32 *offset,
		     __u32 *skip)
{
	*offset = key_hash(k, MG_SEED_OFFSET) % m;
	*skip = m > 2 ? key_hash(k, MG_SEED_SKIP) % (m - 1) + 1 : 1;
}

void xlb_maglev_perm(const struct xlb_maglev_backend *be, __u32 m,
		     __u32 *offset, __u32 *skip)
{
	struct mg_key k;

	key_of(be, &k);
	key_perm(&k, m, offset, skip);
}

static int key_cmp(const struct mg_key *a, const struct mg_key *b)
{
	int i;

	for (i = 0; i < MG_KEY_WORDS; i++)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct mg_row *)a)->key,
		       &((const struct mg_row *)b)->key);
}

/* ---- scratch ------------------------------------------------------------ */

struct xlb_maglev_scratch *xlb_maglev_scratch_new(void)
{
	return calloc(1, sizeof(struct xlb_maglev_scratch));
}

void xlb_maglev_scratch_free(struct xlb_maglev_scratch *s)
{
	if (!s)
		return;
	free(s->per_be);
	free(s->per_m);
	free(s);
}

/* The u64 heap comes first so it keeps malloc's alignment; everything after
 * it needs only 4-byte alignment. */
static void scratch_carve(struct xlb_maglev_scratch *s)
{
	size_t n = s->cap_n;

	s->heap = s->per_be;
	s->rows = (struct mg_row *)(s->heap + n);
	s->cur = (struct mg_cursor *)(s->rows + n);
	s->cls = (struct mg_class *)(s->cur + n);
	s->ids = (__u32 *)(s->cls + n);
}

static size_t per_m_bytes(__u32 m)
{
	return (size_t)mg_endgame_slots(m) * sizeof(__u32) + m;
}

static int scratch_reserve(struct xlb_maglev_scratch *s, size_t n, __u32 m)
{
	if (n > s->cap_n) {
		void *p;

		if (n > SIZE_MAX / MG_PER_BE_BYTES)
			return -ENOMEM;
		p = malloc(n * MG_PER_BE_BYTES);
		if (!p)
			return -ENOMEM;
		free(s->per_be);
		s->per_be = p;
		s->cap_n = n;
		scratch_carve(s);
	}
	if (m > s->cap_m) {
		void *p = malloc(per_m_bytes(m));

		if (!p)
			return -ENOMEM;
		free(s->per_m);
		s->per_m = p;
		s->cap_m = m;
	}
	return 0;
}

/* ---- canonical order ---------------------------------------------------- */

/* Heavier first, so classes come out ordered by decreasing weight. */
static int row_cmp_weight(const void *a, const void *b)
{
	const struct mg_row *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return key_cmp(&x->key, &y->key);
}

/* Copies the rows into s->rows in key order, rejects duplicates and keeps
 * only those with weight > 0.  Returns how many are kept, or -EINVAL. */
static long canonical_rows(struct xlb_maglev_scratch *s,
			   const struct xlb_maglev_backend *bes, size_t n)
{
	struct mg_row *rows = s->rows;
	size_t i, live = 0;

	for (i = 0; i < n; i++) {
		key_of(&bes[i], &rows[i].key);
		rows[i].weight = bes[i].weight;
		rows[i].id = bes[i].id;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++) {
		if (i && !key_cmp(&rows[i - 1].key, &rows[i].key))
			return -EINVAL;
		if (rows[i].weight)
			rows[live++] = rows[i];
	}
	return (long)live;
}

/* Groups the live rows into classes of equal weight, heaviest first, each
 * in key order; returns the number of classes. */
static __u32 make_classes(struct xlb_maglev_scratch *s, __u32 live)
{
	__u32 i, n_cls = 0;

	for (i = 1; i < live; i++)
		if (s->rows[i].weight != s->rows[0].weight)
			break;
	if (i < live)
		qsort(s->rows, live, sizeof(*s->rows), row_cmp_weight);
	for (i = 0; i < live; i++) {
		if (!i || s->rows[i].weight != s->rows[i - 1].weight) {
			s->cls[n_cls].first = i;
			s->cls[n_cls].weight = s->rows[i].weight;
			n_cls++;
		}
		s->cls[n_cls - 1].end = i + 1;
	}
	return n_cls;
}

/* ---- build -------------------------------------------------------------- */

static int check_args(const struct xlb_maglev_backend *bes, size_t n,
		      __u32 m, const __u32 *table)
{
	size_t i;

	if ((n && !bes) || !table)
		return -EINVAL;
	if (m > XLB_MAX_RING || !xlb_is_prime(m))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (bes[i].family != XLB_FAM_V4 && bes[i].family != XLB_FAM_V6)
			return -EINVAL;
	return 0;
}

static void prepare_fill(struct xlb_maglev_scratch *s, struct mg_fill *f,
			 __u32 live, __u32 m, __u32 *table)
{
	__u32 i, n_cls = make_classes(s, live);

	for (i = 0; i < live; i++) {
		key_perm(&s->rows[i].key, m, &s->cur[i].next, &s->cur[i].skip);
		s->ids[i] = s->rows[i].id;
	}
	*f = (struct mg_fill){
		.cur = s->cur,
		.ids = s->ids,
		.cls = s->cls,
		.n_cls = n_cls,
		.heap = s->heap,
		.free_slots = s->per_m,
		.used = (__u8 *)s->per_m +
			mg_endgame_slots(s->cap_m) * sizeof(__u32),
		.table = table,
		.m = m,
	};
}

int xlb_maglev_build_with(struct xlb_maglev_scratch *s,
			  const struct xlb_maglev_backend *bes, size_t n,
			  __u32 m, __u32 *table)
{
	struct mg_fill f;
	long live;
	int err;

	if (!s)
		return -EINVAL;
	err = check_args(bes, n, m, table);
	if (err)
		return err;
	if (n == 0)
		return -ENOENT;
	if (n > UINT32_MAX)
		return -ENOMEM;
	err = scratch_reserve(s, n, m);
	if (err)
		return err;
	live = canonical_rows(s, bes, n);
	if (live <= 0)
		return live < 0 ? (int)live : -ENOENT;
	prepare_fill(s, &f, (__u32)live, m, table);
	mg_fill(&f);
	return 0;
}

int xlb_maglev_build(const struct xlb_maglev_backend *bes, size_t n, __u32 m,
		     __u32 *table)
{
	struct xlb_maglev_scratch *s;
	int err;

	err = check_args(bes, n, m, table);
	if (err)
		return err;
	s = xlb_maglev_scratch_new();
	if (!s)
		return -ENOMEM;
	err = xlb_maglev_build_with(s, bes, n, m, table);
	xlb_maglev_scratch_free(s);
	return err;
}
