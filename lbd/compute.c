// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * compute.c - each entry's datapath state and each service's Maglev table.
 *
 * Jobs only read lbd's state and write their own job, so services are
 * computed in parallel by a small fixed pool, each thread with its own
 * Maglev scratch.  A table identical to the one in force is dropped here:
 * only changed tables reach apply.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lbd.h"
#include "xlb_maglev.h"

/* Below this many jobs a thread hand-off costs more than it saves. */
#define PARALLEL_MIN 16

uint8_t lbd_row_state(const struct lbd_row *r)
{
	if (r->admin == LBD_ADMIN_MAINT || r->health_down)
		return XLB_BE_DOWN;
	if (r->admin == LBD_ADMIN_DRAIN)
		return XLB_BE_DRAIN;
	return XLB_BE_ACTIVE;
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
	job->digest = lbd_ring_digest(job->table, job->ring_size);
	if (cur->ring_size == job->ring_size && cur->ring_digest == job->digest) {
		free(job->table); /* the table in force already */
		job->table = NULL;
	}
	return 0;
}

static int compute_job(const struct lbd_state *st, struct lbd_job *job,
		       struct xlb_maglev_scratch *s)
{
	struct xlb_maglev_backend *bes;
	int err;

	job->usable = 0;
	bes = malloc((job->nrows ? job->nrows : 1) * sizeof(*bes));
	if (!bes)
		return -ENOMEM;
	for (size_t i = 0; i < job->nrows; i++) {
		struct lbd_row *r = &job->rows[i];

		r->be.svc_id = job->svc_id;
		r->be.state = lbd_row_state(r);
		if (r->be.state != XLB_BE_ACTIVE || !r->weight)
			continue;
		bes[job->usable++] = (struct xlb_maglev_backend){
			.addr = r->be.addr, .family = r->be.family,
			.port = r->be.port, .weight = r->weight, .id = r->id };
	}
	/* No usable backend: the last table stays (nothing to switch to). */
	err = job->usable ? build_table(st, job, bes, s) : 0;
	free(bes);
	return err;
}

struct lbd_pool {
	pthread_t *th;
	unsigned int n;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;  /* a new batch */
	bool quit;
	unsigned int busy;
	const struct lbd_state *st;
	struct lbd_job *jobs;
	size_t njobs;
	atomic_size_t next;
	struct xlb_maglev_scratch *own; /* the calling thread's */
};

static void run_jobs(struct lbd_pool *p, struct xlb_maglev_scratch *s)
{
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->njobs)
		if (!p->jobs[i].rejected && p->jobs[i].present)
			p->jobs[i].err = compute_job(p->st, &p->jobs[i], s);
}

static void *worker(void *arg)
{
	struct lbd_pool *p = arg;
	struct xlb_maglev_scratch *s = xlb_maglev_scratch_new();
	uint64_t seen = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		if (s)
			run_jobs(p, s);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	xlb_maglev_scratch_free(s);
	return NULL;
}

int lbd_pool_new(unsigned int nthreads, struct lbd_pool **out)
{
	struct lbd_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->own = xlb_maglev_scratch_new();
	p->th = calloc(nthreads ? nthreads : 1, sizeof(*p->th));
	if (!p->own || !p->th) {
		lbd_pool_free(p);
		return -ENOMEM;
	}
	for (; p->n < nthreads; p->n++)
		if (pthread_create(&p->th[p->n], NULL, worker, p))
			break;
	*out = p;
	return 0;
}

void lbd_pool_free(struct lbd_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (unsigned int i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	xlb_maglev_scratch_free(p->own);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->th);
	free(p);
}

void lbd_compute(struct lbd_pool *p, const struct lbd_state *st,
		 struct lbd_job *jobs, size_t n)
{
	p->st = st;
	p->jobs = jobs;
	p->njobs = n;
	atomic_store(&p->next, 0);
	if (n < PARALLEL_MIN || !p->n) {
		run_jobs(p, p->own);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->busy = p->n;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	run_jobs(p, p->own); /* the caller works too */
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
