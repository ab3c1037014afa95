// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pool.c - a small fixed pool of threads for work that only reads lbd's
 * state: Maglev tables (compute.c) and the tables in force at start-up
 * (state.c).  Map writes never happen here: they stay in the main thread,
 * batched.  The calling thread works too, so a pool of one worker keeps
 * both cores of a two-core node busy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lbd.h"
#include "xlb_maglev.h"

struct lbd_pool {
	pthread_t *th;
	unsigned int n;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;  /* a new batch */
	bool quit;
	unsigned int busy;
	lbd_pool_fn fn;
	void *arg;
	size_t nitems;
	atomic_size_t next;
	struct xlb_maglev_scratch *own; /* the calling thread's */
};

static void run_items(struct lbd_pool *p, struct xlb_maglev_scratch *s)
{
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->nitems)
		p->fn(p->arg, i, s);
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
			run_items(p, s);
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

void lbd_pool_run(struct lbd_pool *p, lbd_pool_fn fn, void *arg, size_t n,
		  size_t parallel_min)
{
	p->fn = fn;
	p->arg = arg;
	p->nitems = n;
	atomic_store(&p->next, 0);
	if (n < parallel_min || !p->n) {
		run_items(p, p->own);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->busy = p->n;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	run_items(p, p->own);
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
