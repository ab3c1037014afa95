// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_maglev.c - weighted Maglev tables: the interface, the preference
 * lists and the working memory.
 *
 * The build has three steps:
 *   1. put the backends in a canonical order that does not depend on the
 *      caller's (xlb_maglev_order.c), rejecting duplicates and dropping
 *      weight 0;
 *   2. give each backend its preference list (offset, skip) from two fixed
 *      hashes of its (family, addr, port);
 *   3. fill the table in rounds (xlb_maglev_fill.c).
 *
 * All working memory comes from a struct xlb_maglev_scratch, allocated once
 * per build or kept by a caller that builds many tables.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "xlb_maglev_internal.h"
#include "xlb_hash.h" /* after xlb_abi.h, which xlb_maglev.h brings */

/*
 * Seeds of the two preference-list hashes.  They are part of the fleet-wide
 * contract: changing one reshuffles every table on every node.
 */
#define MG_SEED_OFFSET 0x6d676c31U
#define MG_SEED_SKIP   0x6d676c32U

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

/* ---- preference lists --------------------------------------------------- */

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

	mg_key_of(be, &k);
	key_perm(&k, m, offset, skip);
}

/* ---- scratch ------------------------------------------------------------ */

#define MG_PER_BE_BYTES                                                        \
	(sizeof(__u64) + sizeof(struct mg_key) + 2 * sizeof(__u32) +           \
	 sizeof(struct mg_cursor) + sizeof(struct mg_class) + sizeof(__u32))

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
	s->keys = (struct mg_key *)(s->heap + n);
	s->order = (__u32 *)(s->keys + n);
	s->tmp = s->order + n;
	s->cur = (struct mg_cursor *)(s->tmp + n);
	s->cls = (struct mg_class *)(s->cur + n);
	s->ids = (__u32 *)(s->cls + n);
}

/* per_m: the free-slot list first (4-byte aligned), then the used flags. */
static __u32 *scratch_free_slots(const struct xlb_maglev_scratch *s)
{
	return s->per_m;
}

static __u8 *scratch_used(const struct xlb_maglev_scratch *s)
{
	return (__u8 *)s->per_m + mg_endgame_slots(s->cap_m) * sizeof(__u32);
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
		void *p = malloc(mg_endgame_slots(m) * sizeof(__u32) + m);

		if (!p)
			return -ENOMEM;
		free(s->per_m);
		s->per_m = p;
		s->cap_m = m;
	}
	return 0;
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
			 const struct xlb_maglev_backend *bes, __u32 live,
			 __u32 n_cls, __u32 m, __u32 *table)
{
	__u32 i;

	for (i = 0; i < live; i++) {
		__u32 row = s->order[i];

		key_perm(&s->keys[row], m, &s->cur[i].next, &s->cur[i].skip);
		s->ids[i] = bes[row].id;
	}
	*f = (struct mg_fill){
		.cur = s->cur,
		.ids = s->ids,
		.cls = s->cls,
		.n_cls = n_cls,
		.heap = s->heap,
		.free_slots = scratch_free_slots(s),
		.used = scratch_used(s),
		.table = table,
		.m = m,
	};
}

int xlb_maglev_build_with(struct xlb_maglev_scratch *s,
			  const struct xlb_maglev_backend *bes, size_t n,
			  __u32 m, __u32 *table)
{
	struct mg_fill f;
	__u32 i, n_cls = 0;
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
	for (i = 0; i < n; i++)
		mg_key_of(&bes[i], &s->keys[i]);
	live = mg_order(s, bes, (__u32)n, &n_cls);
	if (live <= 0)
		return live < 0 ? (int)live : -ENOENT;
	prepare_fill(s, &f, bes, (__u32)live, n_cls, m, table);
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
