// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * state.c - lbd's view of what the maps hold, rebuilt from the maps at
 * start so that a restart changes nothing that did not change.
 *
 * xlb_services gives each service its id; xlb_backends gives each entry its
 * service, address, family, port and state; each table in force is read
 * once and kept only as a digest.  Entries still in use by no live service
 * (a pass cut short) are orphans the first full pass removes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbd.h"
#include "xlb_errmsg.h"

#define READ_CHUNK 4096

uint64_t lbd_ring_digest(const uint32_t *slots, uint32_t m)
{
	uint64_t h = 1469598103934665603ULL ^ m;

	for (uint32_t i = 0; i < m; i++)
		h = (h ^ slots[i]) * 1099511628211ULL;
	return h ? h : 1; /* 0 means "no table" */
}

int lbd_entry_cmp(const struct xlb_backend *a, const struct xlb_backend *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(&a->addr, &b->addr, sizeof(a->addr));
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

struct lbd_vip *lbd_state_vip(struct lbd_state *st, const union xlb_addr *a,
			      uint8_t family)
{
	struct xlb_vip_key k = { .addr = *a, .family = family };
	uint32_t ix;

	if (lbd_keymap_get(&st->vip_ix, &k, &ix))
		return &st->vips[ix];
	if (st->nvips == st->capvips) {
		size_t cap = st->capvips ? st->capvips * 2 : 64;
		struct lbd_vip *v = realloc(st->vips, cap * sizeof(*v));

		if (!v)
			return NULL;
		st->vips = v;
		st->capvips = cap;
	}
	if (lbd_keymap_put(&st->vip_ix, &k, (uint32_t)st->nvips))
		return NULL;
	st->vips[st->nvips] = (struct lbd_vip){ .addr = *a, .family = family,
						 .recorded = -1 };
	return &st->vips[st->nvips++];
}

static int svc_seen(const struct xlb_vip_key *key,
		    const struct xlb_service *val, void *arg)
{
	struct lbd_state *st = arg;
	struct lbd_vip *vip = lbd_state_vip(st, &key->addr, key->family);
	struct lbd_svc *s;

	if (!vip)
		return -ENOMEM;
	if (key->proto == 0) {
		vip->marker = true;
		return 0;
	}
	if (val->id < 1 || val->id > st->m.max_svc_id || st->svc[val->id].live)
		return xlb_errmsg_set(-EUCLEAN, "xlb_services: id %u out of "
				      "range or used twice", val->id);
	s = &st->svc[val->id];
	s->key = *key;
	s->flags = val->flags;
	s->live = true;
	s->vip = (uint32_t)(vip - st->vips);
	vip->nsvc++;
	lbd_ids_mark_used(&st->svc_ids, val->id);
	return lbd_keymap_put(&st->by_key, key, val->id);
}

static int svc_add_entry(struct lbd_svc *s, uint32_t id)
{
	if (s->nbe == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		uint32_t *be = realloc(s->be, cap * sizeof(*be));

		if (!be)
			return -ENOMEM;
		s->be = be;
		s->cap = cap;
	}
	s->be[s->nbe++] = id;
	return 0;
}

static int add_orphan(struct lbd_state *st, uint32_t id)
{
	uint32_t *o = realloc(st->orphans, (st->norphans + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	st->orphans = o;
	st->orphans[st->norphans++] = id;
	lbd_ids_mark_used(&st->be_ids, id);
	return 0;
}

static int entry_seen(struct lbd_state *st, uint32_t id)
{
	static const struct xlb_backend zero;
	const struct xlb_backend *e = &st->be[id];

	if (!memcmp(e, &zero, sizeof(*e)))
		return 0; /* never used */
	if (e->state == XLB_BE_REMOVED) {
		/* Its service id was used too: not "never used" either. */
		if (e->svc_id <= st->m.max_svc_id && !st->svc[e->svc_id].live)
			lbd_ids_mark_removed(&st->svc_ids, e->svc_id);
		return lbd_ids_mark_removed(&st->be_ids, id);
	}
	if (e->svc_id < 1 || e->svc_id > st->m.max_svc_id ||
	    !st->svc[e->svc_id].live)
		return add_orphan(st, id);
	lbd_ids_mark_used(&st->be_ids, id);
	return svc_add_entry(&st->svc[e->svc_id], id);
}

static int load_entries(struct lbd_state *st)
{
	for (uint32_t first = 1; first <= st->m.max_be_id; first += READ_CHUNK) {
		uint32_t n = st->m.max_be_id - first + 1;
		int err;

		if (n > READ_CHUNK)
			n = READ_CHUNK;
		err = xlb_dpmap_backends_read(&st->m, first, n, &st->be[first]);
		if (err)
			return err;
		for (uint32_t id = first; id < first + n; id++) {
			err = entry_seen(st, id);
			if (err)
				return err;
		}
	}
	return 0;
}

static int id_cmp(const void *a, const void *b, void *entries)
{
	const struct xlb_backend *be = entries;

	return lbd_entry_cmp(&be[*(const uint32_t *)a],
			     &be[*(const uint32_t *)b]);
}

/* A second entry with the key of the first (a pass cut short) is an
 * orphan: the service keeps the lowest id. */
static int sort_service(struct lbd_state *st, struct lbd_svc *s)
{
	size_t out = 0;

	if (s->nbe < 2)
		return 0;
	qsort_r(s->be, s->nbe, sizeof(*s->be), id_cmp, st->be);
	for (size_t i = 0; i < s->nbe; i++) {
		if (out && !lbd_entry_cmp(&st->be[s->be[out - 1]],
					  &st->be[s->be[i]])) {
			int err = add_orphan(st, s->be[i]);

			if (err)
				return err;
			continue;
		}
		s->be[out++] = s->be[i];
	}
	s->nbe = out;
	return 0;
}

/* A table under an id no service holds: it must go before the id is
 * given to a new service, which would otherwise start on it; unless it is
 * a spare (M 0), kept for the service that gets the id. */
static int check_stale_ring(struct lbd_state *st, uint32_t id)
{
	uint32_t m, *r;
	int err = xlb_dpmap_ring_read(&st->m, id, NULL, 0, &m);

	if (err == -ENOENT)
		return 0;
	if (!err && !m) { /* a table of another size is replaced when used */
		st->spare[id] = 1;
		st->nspare++;
		return 0;
	}
	/* -EPERM: unpinned, unreadable without CAP_SYS_ADMIN: stale too. */
	if (err && err != -ENOSPC && err != -EPERM)
		return err;
	r = realloc(st->stale_rings, (st->nstale + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	st->stale_rings = r;
	st->stale_rings[st->nstale++] = id;
	return lbd_ids_mark_removed(&st->svc_ids, id);
}

/* One table in force, read on a pool thread: a table takes milliseconds
 * of kernel time to read, so a restart reads them in parallel. */
struct ring_read {
	uint32_t id;
	uint32_t m;
	uint64_t digest;
	int err;
};

struct ring_reads {
	const struct xlb_dpmaps *m;
	struct ring_read *r;
};

static void read_one(void *arg, size_t i, struct xlb_maglev_scratch *s)
{
	const struct ring_reads *a = arg;
	struct ring_read *r = &a->r[i];
	uint32_t *buf = malloc(XLB_MAX_RING * sizeof(*buf));

	(void)s;
	if (!buf) {
		r->err = -ENOMEM;
		return;
	}
	r->err = xlb_dpmap_ring_read(a->m, r->id, buf, XLB_MAX_RING, &r->m);
	if (!r->err)
		r->digest = lbd_ring_digest(buf, r->m);
	free(buf);
}

static int load_rings(struct lbd_state *st, struct ring_read *r, size_t n,
		      struct lbd_pool *pool)
{
	struct ring_reads a = { &st->m, r };

	lbd_pool_run(pool, read_one, &a, n, 2);
	for (size_t i = 0; i < n; i++) {
		if (r[i].err == -ENOENT)
			continue;
		/* Unknown, so the first pass writes it again (and pins it):
		 * the same table, so packets see no change. */
		if (r[i].err == -EPERM) {
			xlb_log(XLB_LOG_WARN, "service %u: its Maglev table has "
				"no pin of its own and opening it by id needs "
				"CAP_SYS_ADMIN: unknown, so written again",
				r[i].id);
			continue;
		}
		if (r[i].err)
			return xlb_errmsg_set(r[i].err, "reading the Maglev "
					      "table of service %u: %s",
					      r[i].id, strerror(-r[i].err));
		st->svc[r[i].id].ring_size = r[i].m;
		st->svc[r[i].id].ring_digest = r[i].digest;
	}
	return 0;
}

static int load_services(struct lbd_state *st, struct lbd_pool *pool)
{
	struct ring_read *r = calloc((size_t)st->m.max_svc_id + 1, sizeof(*r));
	size_t n = 0;
	int err = 0;

	if (!r)
		return -ENOMEM;
	for (uint32_t id = 1; id <= st->m.max_svc_id && !err; id++) {
		struct lbd_svc *s = &st->svc[id];

		if (!s->live) {
			err = check_stale_ring(st, id);
			continue;
		}
		err = sort_service(st, s);
		s->ready = false; /* the first pass tells */
		r[n++].id = id;
	}
	if (!err)
		err = load_rings(st, r, n, pool);
	free(r);
	return err;
}

static int state_alloc(struct lbd_state *st, const struct xlb_dpmaps *m)
{
	memset(st, 0, sizeof(*st));
	st->m = *m;
	st->panic_default = 100; /* never, until the node row says */
	st->svc = calloc((size_t)m->max_svc_id + 1, sizeof(*st->svc));
	st->be = calloc((size_t)m->max_be_id + 1, sizeof(*st->be));
	st->spare = calloc((size_t)m->max_svc_id + 1, 1);
	if (!st->svc || !st->be || !st->spare)
		return -ENOMEM;
	if (xlb_ring_pool_new(LBD_RING_POOL_BYTES, &st->rings) ||
	    lbd_keymap_init(&st->by_key, 1024) ||
	    lbd_keymap_init(&st->vip_ix, 1024) ||
	    lbd_ids_init(&st->svc_ids, m->max_svc_id) ||
	    lbd_ids_init(&st->be_ids, m->max_be_id))
		return -ENOMEM;
	return 0;
}

int lbd_state_load(struct lbd_state *st, const struct xlb_dpmaps *m,
		   struct lbd_pool *pool)
{
	int err = state_alloc(st, m);

	if (!err)
		err = xlb_dpmap_service_walk(m, svc_seen, st);
	if (!err)
		err = load_entries(st);
	if (!err)
		err = load_services(st, pool);
	if (err == -ENOMEM)
		xlb_errmsg_set(err, "out of memory rebuilding state from maps");
	if (err)
		lbd_state_free(st);
	return err;
}

void lbd_state_repin(struct lbd_state *st)
{
	size_t n = 0;

	for (uint32_t id = 1; id <= st->m.max_svc_id; id++) {
		int err;

		if (!st->svc[id].ring_size && !st->spare[id])
			continue;
		err = xlb_dpmap_ring_repin(&st->m, id);
		if (err < 0)
			xlb_log(XLB_LOG_WARN, "%s", xlb_errmsg());
		else
			n += (size_t)err;
	}
	if (n)
		xlb_log(XLB_LOG_INFO, "pinned %zu Maglev tables again (pins "
			"missing or stale)", n);
}

void lbd_state_free(struct lbd_state *st)
{
	lbd_spares_stop(st);
	if (st->svc)
		for (uint32_t id = 0; id <= st->m.max_svc_id; id++) {
			free(st->svc[id].be);
			free(st->svc[id].rows);
		}
	free(st->panic_gone);
	free(st->spare);
	xlb_ring_pool_free(st->rings);
	lbd_tmpls_free(&st->tmpls);
	free(st->svc);
	free(st->be);
	free(st->vips);
	free(st->orphans);
	free(st->stale_rings);
	lbd_keymap_free(&st->by_key);
	lbd_keymap_free(&st->vip_ix);
	lbd_ids_free(&st->svc_ids);
	lbd_ids_free(&st->be_ids);
	memset(st, 0, sizeof(*st));
}
