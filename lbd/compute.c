// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * compute.c - each entry's datapath state and each service's Maglev table.
 *
 * Jobs only read lbd's state and write their own job, so services are
 * computed in parallel by the pool (pool.c), each thread with its own
 * Maglev scratch.  A table identical to the one in force is dropped here:
 * only changed tables reach apply.c.
 *
 * A table is a function of its input alone (lib/xlb_maglev.h): the usable
 * backends' (family, addr, port, weight), the ids written into the slots,
 * and M.  Each service remembers a digest of the input its table in force
 * was built from, so a service whose input did not change (most services
 * of most revisions) costs a pass over its rows instead of a build.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbd.h"
#include "xlb_maglev.h"

/* Below this many jobs a thread hand-off costs more than it saves. */
#define PARALLEL_MIN 16

uint8_t lbd_row_state(const struct lbd_row *r, bool panic)
{
	if (r->admin == LBD_ADMIN_MAINT || (r->health_down && !panic))
		return XLB_BE_DOWN;
	if (r->admin == LBD_ADMIN_DRAIN)
		return XLB_BE_DRAIN;
	return XLB_BE_ACTIVE;
}

/*
 * bes[] is in the rows' order, which validate.c made canonical ((family,
 * addr, port), unique within a service): equal sets give equal sequences,
 * whatever order the database returned the rows in.  The id is part of
 * the input because it is what the slots hold: a backend removed and added
 * back under a new id needs a new table.
 */
static uint64_t input_digest(const struct xlb_maglev_backend *bes, size_t n,
			     uint32_t m)
{
	uint64_t h = lbd_bes_digest(bes, n, m, true);

	return h ? h : 1; /* 0 means "no input" */
}

/* The table in force was built from this very input: a build would only
 * find it equal. */
static bool input_in_force(const struct lbd_state *st,
			   const struct lbd_job *job)
{
	const struct lbd_svc *cur = &st->svc[job->svc_id];

	return cur->ring_size == job->ring_size && cur->input == job->input;
}

/* The ids of the table: the template's slots name rows of job->bes. */
static int fill_from(const struct lbd_tmpl *t, struct lbd_job *job)
{
	job->table = malloc((size_t)job->ring_size * sizeof(*job->table));
	if (!job->table)
		return -ENOMEM;
	for (uint32_t i = 0; i < job->ring_size; i++)
		job->table[i] = job->bes[t->slots[i]].id;
	return 0;
}

/* The table is built (alone, or from the template it shares); keeps it
 * only if it differs from the table in force. */
static int finish_table(const struct lbd_state *st, struct lbd_job *job,
			const struct lbd_tmpls *ts, struct xlb_maglev_scratch *s)
{
	const struct lbd_svc *cur = &st->svc[job->svc_id];
	int err;

	if (job->tix != LBD_NO_TMPL) {
		err = ts->t[job->tix].err;
		if (!err)
			err = fill_from(&ts->t[job->tix], job);
	} else {
		job->table = malloc((size_t)job->ring_size *
				    sizeof(*job->table));
		err = job->table ? xlb_maglev_build_with(s, job->bes,
							 job->usable,
							 job->ring_size,
							 job->table) : -ENOMEM;
	}
	if (err)
		return err;
	job->built = true;
	job->digest = lbd_ring_digest(job->table, job->ring_size);
	if (cur->ring_size == job->ring_size && cur->ring_digest == job->digest) {
		free(job->table); /* the table in force already */
		job->table = NULL;
	}
	return 0;
}

/*
 * Panic: more than panic_at percent of the active backends (weight > 0)
 * down at once is more likely the checker's trouble than theirs, so their
 * health is ignored and the service routes to all of them.
 */
static void decide_panic(const struct lbd_state *st, struct lbd_job *job)
{
	uint32_t total = 0, down = 0;
	int thr = job->panic_thr >= 0 ? job->panic_thr : st->panic_default;

	for (size_t i = 0; i < job->nrows; i++) {
		const struct lbd_row *r = &job->rows[i];

		if (r->admin != LBD_ADMIN_ACTIVE || !r->weight)
			continue;
		total++;
		down += r->health_down;
	}
	job->panic_total = total;
	job->panic_down = down;
	job->panic_at = thr < 0 ? 100 : (uint32_t)thr;
	job->panic = total && (uint64_t)down * 100 >
			      (uint64_t)job->panic_at * total;
}

/* Entry states, the usable backends and whether a table must be built. */
static int prepare_job(const struct lbd_state *st, struct lbd_job *job)
{
	struct xlb_maglev_backend *bes;

	job->usable = 0;
	job->tix = LBD_NO_TMPL;
	decide_panic(st, job);
	bes = malloc((job->nrows ? job->nrows : 1) * sizeof(*bes));
	if (!bes)
		return -ENOMEM;
	for (size_t i = 0; i < job->nrows; i++) {
		struct lbd_row *r = &job->rows[i];

		r->be.svc_id = job->svc_id;
		r->be.state = lbd_row_state(r, job->panic);
		if (r->be.state != XLB_BE_ACTIVE || !r->weight)
			continue;
		bes[job->usable++] = (struct xlb_maglev_backend){
			.addr = r->be.addr, .family = r->be.family,
			.port = r->be.port, .weight = r->weight, .id = r->id };
	}
	job->bes = bes;
	/* No usable backend: the last table stays (nothing to switch to). */
	if (job->usable)
		job->input = input_digest(bes, job->usable, job->ring_size);
	job->need = job->usable && !input_in_force(st, job);
	return 0;
}

struct compute_arg {
	const struct lbd_state *st;
	struct lbd_job *jobs;
	struct lbd_tmpls *ts;
	size_t *todo; /* templates to build */
};

static bool computed(const struct lbd_job *job)
{
	return !job->rejected && job->present;
}

static void prepare_one(void *arg, size_t i, struct xlb_maglev_scratch *s)
{
	struct compute_arg *a = arg;
	struct lbd_job *job = &a->jobs[i];

	(void)s;
	if (computed(job))
		job->err = prepare_job(a->st, job);
}

static void build_one(void *arg, size_t i, struct xlb_maglev_scratch *s)
{
	struct compute_arg *a = arg;

	lbd_tmpl_build(&a->ts->t[a->todo[i]], s);
}

static void finish_one(void *arg, size_t i, struct xlb_maglev_scratch *s)
{
	struct compute_arg *a = arg;
	struct lbd_job *job = &a->jobs[i];

	if (computed(job) && !job->err && job->need)
		job->err = finish_table(a->st, job, a->ts, s);
	free(job->bes);
	job->bes = NULL;
}

/*
 * Four steps, the first, third and fourth in parallel: each job's entry
 * states and usable backends; jobs grouped by the shape of their input
 * (the same backends and weights, whatever the ids: a backend shared by
 * many services gives them all one shape); one Maglev build per shape
 * used more than once or kept from an earlier chunk; each job's table
 * from its shape's, or built alone.
 */
void lbd_compute(struct lbd_pool *p, struct lbd_state *st,
		 struct lbd_job *jobs, size_t n)
{
	size_t *todo = malloc((n ? n : 1) * sizeof(*todo)), ntodo = 0;
	struct compute_arg a = { st, jobs, &st->tmpls, todo };

	lbd_pool_run(p, prepare_one, &a, n, PARALLEL_MIN);
	if (!todo || lbd_tmpl_group(&st->tmpls, jobs, n, todo, &ntodo))
		ntodo = 0; /* no memory to share: every job builds alone */
	lbd_pool_run(p, build_one, &a, ntodo, 2);
	lbd_pool_run(p, finish_one, &a, n, PARALLEL_MIN);
	lbd_tmpl_trim(&st->tmpls);
	free(todo);
}
