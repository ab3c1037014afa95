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

/* One step of the input digest: a bijection of h for each v, so inputs
 * differing in one word always differ after it. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9fb21c651e98df25ULL;
	return h ^ (h >> 28);
}

_Static_assert(sizeof(union xlb_addr) == 16, "the digest reads 2 words");

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
	uint64_t h = mix(0x6a09e667f3bcc909ULL, m), a[2];

	for (size_t i = 0; i < n; i++) {
		memcpy(a, &bes[i].addr, sizeof(a));
		h = mix(mix(h, a[0]), a[1]);
		h = mix(h, (uint64_t)bes[i].family << 48 |
			   (uint64_t)bes[i].port << 32 | bes[i].id);
		h = mix(h, bes[i].weight);
	}
	h = mix(h, n);
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

static int build_table(const struct lbd_state *st, struct lbd_job *job,
		       struct xlb_maglev_backend *bes,
		       struct xlb_maglev_scratch *s)
{
	const struct lbd_svc *cur = &st->svc[job->svc_id];
	int err;

	job->table = malloc((size_t)job->ring_size * sizeof(*job->table));
	if (!job->table)
		return -ENOMEM;
	err = xlb_maglev_build_with(s, bes, job->usable, job->ring_size,
				    job->table);
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

static int compute_job(const struct lbd_state *st, struct lbd_job *job,
		       struct xlb_maglev_scratch *s)
{
	struct xlb_maglev_backend *bes;
	int err;

	job->usable = 0;
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
	/* No usable backend: the last table stays (nothing to switch to). */
	if (job->usable)
		job->input = input_digest(bes, job->usable, job->ring_size);
	err = job->usable && !input_in_force(st, job) ?
		build_table(st, job, bes, s) : 0;
	free(bes);
	return err;
}

struct compute_arg {
	const struct lbd_state *st;
	struct lbd_job *jobs;
};

static void compute_one(void *arg, size_t i, struct xlb_maglev_scratch *s)
{
	struct compute_arg *a = arg;
	struct lbd_job *job = &a->jobs[i];

	if (!job->rejected && job->present)
		job->err = compute_job(a->st, job, s);
}

void lbd_compute(struct lbd_pool *p, const struct lbd_state *st,
		 struct lbd_job *jobs, size_t n)
{
	struct compute_arg a = { st, jobs };

	lbd_pool_run(p, compute_one, &a, n, PARALLEL_MIN);
}
