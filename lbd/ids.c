// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ids.c - numeric ids for services and backend entries.  Why the order of
 * reuse matters: see lbd.h (the connection table trusts id pairs).
 */
#include <errno.h>
#include <stdlib.h>

#include "lbd.h"

struct lbd_freed {
	uint32_t id;
	time_t ready_at; /* may be handed out again from then on */
};

enum { ID_NEVER = 0, ID_IN_USE = 1, ID_FREED = 2 };

int lbd_ids_init(struct lbd_ids *p, uint32_t max)
{
	*p = (struct lbd_ids){ .max = max, .next_fresh = 1, .nfresh = max };
	p->used = calloc((size_t)max + 1, 1);
	return p->used ? 0 : -ENOMEM;
}

void lbd_ids_free(struct lbd_ids *p)
{
	free(p->used);
	free(p->fifo);
	*p = (struct lbd_ids){ 0 };
}

void lbd_ids_mark_used(struct lbd_ids *p, uint32_t id)
{
	if (id < 1 || id > p->max || p->used[id] == ID_IN_USE)
		return;
	if (p->used[id] == ID_NEVER)
		p->nfresh--;
	p->used[id] = ID_IN_USE;
}

static int push(struct lbd_ids *p, uint32_t id, time_t ready_at)
{
	if (p->head + p->len == p->cap) {
		struct lbd_freed *f;

		if (p->head) { /* compact before growing */
			for (size_t i = 0; i < p->len; i++)
				p->fifo[i] = p->fifo[p->head + i];
			p->head = 0;
		}
		if (p->len == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 256;

			f = realloc(p->fifo, cap * sizeof(*f));
			if (!f)
				return -ENOMEM;
			p->fifo = f;
			p->cap = cap;
		}
	}
	p->fifo[p->head + p->len++] = (struct lbd_freed){ id, ready_at };
	p->used[id] = ID_FREED;
	return 0;
}

/* Called in ascending id order while rebuilding: lowest first. */
int lbd_ids_mark_removed(struct lbd_ids *p, uint32_t id)
{
	if (id < 1 || id > p->max || p->used[id] != ID_NEVER)
		return 0;
	p->nfresh--;
	return push(p, id, 0);
}

size_t lbd_ids_available(const struct lbd_ids *p, time_t now)
{
	size_t n = p->nfresh;

	for (size_t i = 0; i < p->len; i++) {
		if (p->fifo[p->head + i].ready_at > now)
			break;
		n++;
	}
	return n;
}

uint32_t lbd_ids_alloc(struct lbd_ids *p, time_t now)
{
	while (p->next_fresh <= p->max && p->used[p->next_fresh] != ID_NEVER)
		p->next_fresh++;
	if (p->next_fresh <= p->max) {
		p->used[p->next_fresh] = ID_IN_USE;
		p->nfresh--;
		return p->next_fresh++;
	}
	if (p->len && p->fifo[p->head].ready_at <= now) {
		uint32_t id = p->fifo[p->head].id;

		p->head++;
		p->len--;
		p->used[id] = ID_IN_USE;
		return id;
	}
	return 0;
}

void lbd_ids_reserve(struct lbd_ids *p, uint32_t id)
{
	lbd_ids_mark_used(p, id);
}

void lbd_ids_unreserve(struct lbd_ids *p, uint32_t id)
{
	if (id < 1 || id > p->max || p->used[id] != ID_IN_USE)
		return;
	p->used[id] = ID_NEVER;
	p->nfresh++;
	if (id < p->next_fresh)
		p->next_fresh = id;
}

size_t lbd_ids_peek_fresh(const struct lbd_ids *p, uint32_t *out, size_t k)
{
	size_t n = 0;

	for (uint32_t id = p->next_fresh; id <= p->max && n < k; id++)
		if (p->used[id] == ID_NEVER)
			out[n++] = id;
	return n;
}

int lbd_ids_release(struct lbd_ids *p, uint32_t id, time_t now)
{
	if (id < 1 || id > p->max || p->used[id] != ID_IN_USE)
		return -EINVAL;
	return push(p, id, now + LBD_ID_QUARANTINE_S);
}
