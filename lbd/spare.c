// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * spare.c - spare tables (lib/xlb_dpmap.h) under the next service ids, so
 * that a new service's first table is filled in place instead of switched
 * in, which costs the kernel's RCU wait (milliseconds) per pass.
 *
 * Placing spares costs that wait too, so a helper thread does it, a step
 * of LBD_SPARE_STEP ids at a time, while the loop goes on.  The ids of a
 * step are reserved (ids.c) until it is taken in: no pass can give one to
 * a service whose table the helper might then overwrite.  The helper only
 * writes xlb_maglev under those ids; lbd's state changes only in the main
 * thread, when a finished step is taken in.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbd.h"
#include "xlb_errmsg.h"

struct lbd_spares {
	pthread_t th;
	atomic_bool done;
	struct xlb_dpmaps m;
	uint32_t ids[LBD_SPARE_STEP];
	size_t n;
	int err;
	char why[256]; /* xlb_errmsg() of the helper (it is per thread) */
};

static void *place(void *arg)
{
	struct lbd_spares *sp = arg;

	sp->err = xlb_dpmap_rings_spare(&sp->m, sp->ids, sp->n,
					LBD_SPARE_RING);
	if (sp->err)
		snprintf(sp->why, sizeof(sp->why), "%s", xlb_errmsg());
	atomic_store(&sp->done, true);
	return NULL;
}

/* The step's ids are spares now (or, after a failure, free again). */
static int take_in(struct lbd_state *st)
{
	struct lbd_spares *sp = st->spares;
	int err = sp->err;

	pthread_join(sp->th, NULL);
	for (size_t i = 0; i < sp->n; i++) {
		lbd_ids_unreserve(&st->svc_ids, sp->ids[i]);
		if (err)
			continue;
		st->spare[sp->ids[i]] = 1;
		st->nspare++;
	}
	if (err)
		xlb_errmsg_set(err, "%s", sp->why);
	else if (st->nspare == LBD_SPARES)
		xlb_log(XLB_LOG_INFO, "spare tables: %zu ready under the next "
			"service ids", st->nspare);
	free(sp);
	st->spares = NULL;
	return err;
}

static int start(struct lbd_state *st)
{
	uint32_t ids[LBD_SPARES];
	size_t n = lbd_ids_peek_fresh(&st->svc_ids, ids, LBD_SPARES);
	struct lbd_spares *sp = calloc(1, sizeof(*sp));
	int err;

	if (!sp)
		return -ENOMEM;
	for (size_t i = 0; i < n && sp->n < LBD_SPARE_STEP &&
	     st->nspare + sp->n < LBD_SPARES; i++)
		if (!st->spare[ids[i]] && !st->svc[ids[i]].live &&
		    !st->svc[ids[i]].ring_size)
			sp->ids[sp->n++] = ids[i];
	if (!sp->n) {
		free(sp);
		return 0;
	}
	sp->m = st->m;
	for (size_t i = 0; i < sp->n; i++)
		lbd_ids_reserve(&st->svc_ids, sp->ids[i]);
	err = pthread_create(&sp->th, NULL, place, sp);
	if (err) {
		for (size_t i = 0; i < sp->n; i++)
			lbd_ids_unreserve(&st->svc_ids, sp->ids[i]);
		free(sp);
		return xlb_errmsg_set(-err, "spare tables: no thread: %s",
				      strerror(err));
	}
	st->spares = sp;
	return 0;
}

int lbd_spares_step(struct lbd_state *st)
{
	if (st->spares) {
		if (!atomic_load(&st->spares->done))
			return 0;
		return take_in(st);
	}
	if (st->dry || st->nspare >= LBD_SPARES)
		return 0;
	return start(st);
}

void lbd_spares_stop(struct lbd_state *st)
{
	if (st->spares && take_in(st))
		xlb_log(XLB_LOG_WARN, "spare tables: %s", xlb_errmsg());
}
