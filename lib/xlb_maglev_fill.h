/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_maglev_fill.h - the table-filling core of the Maglev builder.
 * Internal to xlb_maglev.c and xlb_maglev_fill.c; not an interface for
 * other parts of xlb.
 */
#ifndef XLB_MAGLEV_FILL_H
#define XLB_MAGLEV_FILL_H

#include <linux/types.h>

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

#endif /* XLB_MAGLEV_FILL_H */
