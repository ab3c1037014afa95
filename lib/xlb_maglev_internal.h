/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_maglev_internal.h - what the three parts of the Maglev builder share:
 * xlb_maglev.c (interface, preference lists, working memory),
 * xlb_maglev_order.c (canonical order of backends) and xlb_maglev_fill.c
 * (filling the table).  Not an interface for other parts of xlb.
 */
#ifndef XLB_MAGLEV_INTERNAL_H
#define XLB_MAGLEV_INTERNAL_H

#include <stddef.h>
#include <linux/types.h>

#include "xlb_maglev.h"

#define MG_KEY_WORDS 6

/* A backend's identity as words that sort in (family, addr, port) order and
 * hash the same on hosts of either byte order. */
struct mg_key {
	__u32 w[MG_KEY_WORDS]; /* family, addr (4 big-endian words), port */
};

/* Where a backend is in its preference list: the hot state of the fill. */
struct mg_cursor {
	__u32 next; /* the next slot it will try */
	__u32 skip; /* in [1, m - 1], coprime with the prime m */
};

/* Backends of equal weight act in the same rounds; a class is a run of them
 * in the canonical order, classes ordered by decreasing weight. */
struct mg_class {
	__u32 first;  /* index of its first backend */
	__u32 end;    /* one past its last */
	__u32 weight; /* > 0 */
	__u32 acted;  /* rounds in which it has taken slots so far */
};

/*
 * Working memory, all of it owned here: per_be holds cap_n entries of each
 * per-backend array, per_m the endgame's free-slot list and cap_m used
 * flags.  The typed pointers are carved out of those two blocks.
 */
struct xlb_maglev_scratch {
	size_t cap_n;
	__u32 cap_m;
	void *per_be;
	void *per_m;
	__u64 *heap;           /* class heap of the fill */
	struct mg_key *keys;   /* per input row */
	__u32 *order;          /* row numbers, sorted */
	__u32 *tmp;            /* merge buffer for order */
	struct mg_cursor *cur; /* per backend, canonical order */
	struct mg_class *cls;
	__u32 *ids;            /* per backend, canonical order */
};

/* ---- xlb_maglev_order.c ------------------------------------------------- */

void mg_key_of(const struct xlb_maglev_backend *be, struct mg_key *k);

/*
 * Puts the row numbers of the backends with weight > 0 in canonical order
 * into s->order (heaviest first, then by key) and describes their classes
 * in s->cls.  Returns the number of such backends (0 if none) and sets
 * *n_cls, or returns -EINVAL if two rows share a key.  Needs s->keys filled
 * by mg_key_of() for rows 0..n-1.
 */
long mg_order(struct xlb_maglev_scratch *s,
	      const struct xlb_maglev_backend *bes, __u32 n, __u32 *n_cls);

/* ---- xlb_maglev_fill.c -------------------------------------------------- */

struct mg_fill {
	/* inputs, set by the caller */
	struct mg_cursor *cur; /* per backend, updated as slots are taken */
	const __u32 *ids;      /* per backend: the value its slots get */
	struct mg_class *cls;  /* n_cls classes, cls[0] the heaviest */
	__u32 n_cls;
	__u64 *heap;           /* room for n_cls keys */
	__u8 *used;            /* room for m flags */
	__u32 *free_slots;     /* room for mg_endgame_slots(m) slots */
	__u32 *table;          /* the output, m entries */
	__u32 m;               /* prime */
	/* working state */
	__u32 filled;
	__u32 stop;            /* filled count at which to switch or finish */
	__u32 n_free;          /* > 0 once in the endgame */
};

/* How many free slots the endgame handles (see xlb_maglev_fill.c). */
__u32 mg_endgame_slots(__u32 m);

/* Fills f->table completely.  Needs at least one class. */
void mg_fill(struct mg_fill *f);

#endif /* XLB_MAGLEV_INTERNAL_H */
