// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tmpl.c - one Maglev build for every service with the same backends.
 *
 * A table depends on the usable backends' (family, addr, port, weight) and
 * M (lib/xlb_maglev.h); the entry ids are only what its slots hold.  So
 * services whose usable backends have the same shape share one build,
 * made with each backend's index for an id (a template), and each service
 * maps the indexes to its own entry ids: one O(M) pass instead of a build.
 * A backend joining 2,000 services that otherwise share their backends
 * costs one build, not 2,000.
 *
 * The shape is found by a digest and confirmed row by row.  A shape used
 * by one job only, and not kept from earlier, is built by that job alone
 * (no template, no extra pass).  The last LBD_TMPL_KEEP templates used
 * stay for the next chunks and passes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbd.h"
#include "xlb_maglev.h"

#define LBD_TMPL_KEEP 8

/* One step of a digest: a bijection of h for each v, so inputs differing
 * in one word always differ after it. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9fb21c651e98df25ULL;
	return h ^ (h >> 28);
}

_Static_assert(sizeof(union xlb_addr) == 16, "the digest reads 2 words");

uint64_t lbd_bes_digest(const struct xlb_maglev_backend *bes, size_t n,
			uint32_t m, bool ids)
{
	uint64_t h = mix(0x6a09e667f3bcc909ULL, m), a[2];

	for (size_t i = 0; i < n; i++) {
		memcpy(a, &bes[i].addr, sizeof(a));
		h = mix(mix(h, a[0]), a[1]);
		h = mix(h, (uint64_t)bes[i].family << 48 |
			   (uint64_t)bes[i].port << 32 |
			   (ids ? bes[i].id : 0));
		h = mix(h, bes[i].weight);
	}
	return mix(h, n);
}

static bool same_shape(const struct lbd_tmpl *t, const struct lbd_job *job)
{
	if (t->shape != job->shape || t->m != job->ring_size ||
	    t->n != job->usable)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		const struct xlb_maglev_backend *a = &t->bes[i];
		const struct xlb_maglev_backend *b = &job->bes[i];

		if (a->family != b->family || a->port != b->port ||
		    a->weight != b->weight ||
		    memcmp(&a->addr, &b->addr, sizeof(a->addr)))
			return false;
	}
	return true;
}

static void tmpl_free(struct lbd_tmpl *t)
{
	free(t->bes);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* A new, unbuilt template of job's shape; its index, or -ENOMEM. */
static long tmpl_add(struct lbd_tmpls *ts, const struct lbd_job *job)
{
	struct lbd_tmpl *t;

	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 16;

		t = realloc(ts->t, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		ts->t = t;
		ts->cap = cap;
	}
	t = &ts->t[ts->n];
	memset(t, 0, sizeof(*t));
	t->bes = malloc(job->usable * sizeof(*t->bes));
	if (!t->bes)
		return -ENOMEM;
	for (size_t i = 0; i < job->usable; i++) {
		t->bes[i] = job->bes[i];
		t->bes[i].id = (uint32_t)i;
	}
	t->shape = job->shape;
	t->m = job->ring_size;
	t->n = job->usable;
	return (long)ts->n++;
}

static long tmpl_find(const struct lbd_tmpls *ts, const struct lbd_job *job)
{
	for (size_t i = 0; i < ts->n; i++)
		if (same_shape(&ts->t[i], job))
			return (long)i;
	return -1;
}

static bool wants_table(const struct lbd_job *job)
{
	return !job->rejected && job->present && !job->err && job->need;
}

int lbd_tmpl_group(struct lbd_tmpls *ts, struct lbd_job *jobs, size_t n,
		   size_t *todo, size_t *ntodo)
{
	long ix;

	ts->clock++;
	for (size_t i = 0; i < ts->n; i++)
		ts->t[i].users = 0;
	for (size_t i = 0; i < n; i++) {
		struct lbd_job *job = &jobs[i];

		if (!wants_table(job))
			continue;
		job->shape = lbd_bes_digest(job->bes, job->usable,
					    job->ring_size, false);
		ix = tmpl_find(ts, job);
		if (ix < 0)
			ix = tmpl_add(ts, job);
		if (ix < 0)
			goto fail;
		ts->t[ix].users++;
		ts->t[ix].used = ts->clock;
		job->tix = (size_t)ix;
	}
	/* A new shape with one user: that job builds its table alone. */
	for (size_t i = 0; i < n; i++) {
		struct lbd_tmpl *t;

		if (!wants_table(&jobs[i]) || jobs[i].tix == LBD_NO_TMPL)
			continue;
		t = &ts->t[jobs[i].tix];
		if (!t->ready && t->users < 2)
			jobs[i].tix = LBD_NO_TMPL;
	}
	*ntodo = 0;
	for (size_t i = 0; i < ts->n; i++)
		if (!ts->t[i].ready && ts->t[i].users >= 2)
			todo[(*ntodo)++] = i;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		jobs[i].tix = LBD_NO_TMPL;
	lbd_tmpl_trim(ts);
	return -ENOMEM;
}

void lbd_tmpl_build(struct lbd_tmpl *t, struct xlb_maglev_scratch *s)
{
	t->slots = malloc((size_t)t->m * sizeof(*t->slots));
	t->err = t->slots ? xlb_maglev_build_with(s, t->bes, t->n, t->m,
						  t->slots) : -ENOMEM;
	t->ready = !t->err;
}

static int lru_cmp(const void *pa, const void *pb)
{
	const struct lbd_tmpl *a = pa, *b = pb;

	return a->used > b->used ? -1 : a->used < b->used;
}

void lbd_tmpl_trim(struct lbd_tmpls *ts)
{
	size_t out = 0;

	for (size_t i = 0; i < ts->n; i++) {
		if (!ts->t[i].ready) {
			tmpl_free(&ts->t[i]);
			continue;
		}
		ts->t[out++] = ts->t[i];
	}
	ts->n = out;
	if (ts->n <= LBD_TMPL_KEEP)
		return;
	qsort(ts->t, ts->n, sizeof(*ts->t), lru_cmp);
	for (size_t i = LBD_TMPL_KEEP; i < ts->n; i++)
		tmpl_free(&ts->t[i]);
	ts->n = LBD_TMPL_KEEP;
}

void lbd_tmpls_free(struct lbd_tmpls *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		tmpl_free(&ts->t[i]);
	free(ts->t);
	memset(ts, 0, sizeof(*ts));
}
