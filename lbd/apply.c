// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * apply.c - writes what differs between the computed jobs and the maps,
 * counting every write, in the order packets need:
 *   1. entries that are new or changed (a table must never name an entry
 *      that does not exist yet), all of a pass in a few batch calls,
 *   2. the changed tables, many services per kernel wait,
 *   3. VIP markers and services that are new or changed (a new service is
 *      found only once its table is in place),
 *   4. removals: entries no row wants any more, services that are gone,
 *      markers of VIPs without services (after no table names them).
 * The mirror in lbd_state is updated only after a write succeeded, and a
 * service applied keeps the rows it was applied from (a health pass starts
 * from them) and whether it is in panic.  In a check (st->dry) nothing is
 * written: every write is only counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lbd.h"
#include "xlb_errmsg.h"

static bool applicable(const struct lbd_job *job)
{
	return job->present && !job->rejected && !job->err;
}

static int put_entry(struct lbd_state *st, uint32_t id,
		     const struct xlb_backend *be)
{
	int err;

	if (!memcmp(&st->be[id], be, sizeof(*be)))
		return 0;
	err = st->dry ? 0 : xlb_dpmap_backend_put(&st->m, id, be);
	if (err)
		return err;
	st->be[id] = *be;
	st->writes++;
	return 0;
}

static int ensure_marker(struct lbd_state *st, struct lbd_vip *vip)
{
	int err;

	if (vip->marker)
		return 0;
	err = st->dry ? 0 : xlb_dpmap_vip_add(&st->m, &vip->addr,
					      vip->family);
	if (err)
		return err;
	vip->marker = true;
	st->writes++;
	return 0;
}

static int put_service(struct lbd_state *st, struct lbd_job *job)
{
	struct lbd_svc *s = &st->svc[job->svc_id];
	struct xlb_service val = { .id = job->svc_id, .flags = job->flags };
	struct lbd_vip *vip;
	int err;

	if (s->live && s->flags == job->flags)
		return 0;
	vip = lbd_state_vip(st, &job->key.addr, job->key.family);
	if (!vip)
		return -ENOMEM;
	err = ensure_marker(st, vip);
	if (!err)
		err = st->dry ? 0 : xlb_dpmap_service_put(&st->m, &job->key,
							  &val);
	if (err)
		return err;
	st->writes++;
	s->flags = job->flags;
	if (!s->live) {
		err = lbd_keymap_put(&st->by_key, &job->key, job->svc_id);
		if (err)
			return err;
		s->key = job->key;
		s->live = true;
		s->vip = (uint32_t)(vip - st->vips);
		vip->nsvc++;
	}
	return 0;
}

/* The entries of a pass that differ from the mirror, written together. */
struct entry_batch {
	__u32 *ids;
	struct xlb_backend *bes;
	struct lbd_job **owner;
	size_t n, cap;
};

static int batch_add(struct entry_batch *b, struct lbd_job *job,
		     const struct lbd_row *r)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		__u32 *ids = realloc(b->ids, cap * sizeof(*ids));
		struct xlb_backend *bes;
		struct lbd_job **owner;

		if (ids)
			b->ids = ids;
		bes = ids ? realloc(b->bes, cap * sizeof(*bes)) : NULL;
		if (bes)
			b->bes = bes;
		owner = bes ? realloc(b->owner, cap * sizeof(*owner)) : NULL;
		if (!owner)
			return -ENOMEM;
		b->owner = owner;
		b->cap = cap;
	}
	b->ids[b->n] = r->id;
	b->bes[b->n] = r->be;
	b->owner[b->n++] = job;
	return 0;
}

/* Entries first: the services' new tables name them.  A job whose entry
 * could not be written is left out of the later phases. */
static int entry_phase(struct lbd_state *st, struct lbd_job *jobs, size_t n)
{
	struct entry_batch b = { 0 };
	__u32 done = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		if (!applicable(&jobs[i]))
			continue;
		for (size_t j = 0; j < jobs[i].nrows && !err; j++)
			if (memcmp(&st->be[jobs[i].rows[j].id],
				   &jobs[i].rows[j].be, sizeof(b.bes[0])))
				err = batch_add(&b, &jobs[i], &jobs[i].rows[j]);
	}
	if (!err && b.n)
		err = st->dry ? (done = (__u32)b.n, 0) :
		      xlb_dpmap_backends_put(&st->m, b.ids, b.bes, (__u32)b.n,
					     &done);
	for (size_t k = 0; k < b.n; k++) {
		if (k < done) {
			st->be[b.ids[k]] = b.bes[k];
			st->writes++;
		} else if (!b.owner[k]->err) {
			b.owner[k]->err = err;
		}
	}
	free(b.ids);
	free(b.bes);
	free(b.owner);
	return err;
}

/* A new service's first table into the spare under its id: no kernel
 * wait.  0 when done; else the switch does it. */
static int fill_spare(struct lbd_state *st, const struct lbd_job *job)
{
	uint32_t id = job->svc_id;
	int err;

	if (!st->spare[id] || st->svc[id].live || st->dry)
		return -ENOENT;
	st->spare[id] = 0;
	st->nspare--;
	err = xlb_dpmap_ring_fill_spare(&st->m, id, job->table,
					job->ring_size);
	if (err && err != -ENOSPC)
		xlb_log(XLB_LOG_WARN, "service %s: %s; switching a new table in",
			job->text, xlb_errmsg());
	return err;
}

static void table_in_force(struct lbd_state *st, const struct lbd_job *job)
{
	struct lbd_svc *s = &st->svc[job->svc_id];

	s->ring_size = job->ring_size;
	s->ring_digest = job->digest;
	s->input = job->input;
	st->writes++;
}

static int ring_phase(struct lbd_state *st, struct lbd_job *jobs, size_t n)
{
	struct xlb_ring_update *u = malloc((n ? n : 1) * sizeof(*u));
	struct lbd_job **owner = malloc((n ? n : 1) * sizeof(*owner));
	size_t k = 0;
	int err = -ENOMEM;

	if (u && owner) {
		for (size_t i = 0; i < n; i++) {
			if (!applicable(&jobs[i]) || !jobs[i].table)
				continue;
			if (!fill_spare(st, &jobs[i])) {
				table_in_force(st, &jobs[i]);
				st->spare_fills++;
				continue;
			}
			owner[k] = &jobs[i];
			u[k++] = (struct xlb_ring_update){ jobs[i].svc_id,
				jobs[i].table, jobs[i].ring_size };
		}
		if (k && !st->dry)
			err = xlb_dpmap_rings_switch_pooled(&st->m, st->rings,
							    u, k);
		else
			err = 0;
	}
	for (size_t i = 0; u && owner && i < k; i++) {
		struct lbd_svc *s = &st->svc[u[i].svc_id];

		if (st->spare[u[i].svc_id]) { /* replaced by the switch */
			st->spare[u[i].svc_id] = 0;
			st->nspare--;
		}
		/* After a failure some may be in force: unknown, so the next
		 * pass writes them again. */
		if (!err) {
			table_in_force(st, owner[i]);
			continue;
		}
		s->ring_size = 0;
		s->ring_digest = 0;
		s->input = 0;
	}
	free(u);
	free(owner);
	return err;
}

/* A table built equal to the one in force: the table in force is known to
 * come from this input too, so the next pass with it builds none. */
static void note_inputs(struct lbd_state *st, const struct lbd_job *jobs,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (applicable(&jobs[i]) && jobs[i].built && !jobs[i].table)
			st->svc[jobs[i].svc_id].input = jobs[i].input;
}

/* The entry stays readable as removed (address, service, port) so a
 * restart can tell it from a never-used one. */
static int remove_entry(struct lbd_state *st, uint32_t id, time_t now)
{
	struct xlb_backend be = st->be[id];
	int err;

	be.state = XLB_BE_REMOVED;
	err = put_entry(st, id, &be);
	if (!err)
		err = lbd_ids_release(&st->be_ids, id, now);
	return err;
}

static void set_ready(struct lbd_state *st, struct lbd_svc *s, bool ready)
{
	struct lbd_vip *vip = &st->vips[s->vip];

	if (s->ready == ready)
		return;
	s->ready = ready;
	if (ready)
		vip->nready++;
	else
		vip->nready--;
}

static void svc_key_text(const struct lbd_svc *s, char *buf, size_t len)
{
	char vip[XLB_ADDR_STRLEN];

	xlb_addr_format(&s->key.addr, s->key.family, vip, sizeof(vip));
	snprintf(buf, len, "%s %s %u", vip, xlb_proto_name(s->key.proto),
		 ntohs(s->key.port));
}

/* Panic entered or left: said once, counted, recorded by record.c. */
static void set_panic(struct lbd_state *st, struct lbd_svc *s,
		      const struct lbd_job *job)
{
	char key[96];

	s->panic_down = job->panic_down;
	s->panic_total = job->panic_total;
	s->panic_at = job->panic_at;
	if (s->panic == job->panic)
		return;
	s->panic = job->panic;
	st->npanic += s->panic ? 1 : (size_t)-1;
	svc_key_text(s, key, sizeof(key));
	if (s->panic)
		xlb_log(XLB_LOG_WARN, "service %s: %u of %u active backends down, "
			"more than %u%%: panic, routing to all of them", key,
			job->panic_down, job->panic_total, job->panic_at);
	else
		xlb_log(XLB_LOG_INFO, "service %s: out of panic, %u of %u active "
			"backends down", key, job->panic_down,
			job->panic_total);
}

/* The rows s is now applied from, for the next health pass. */
static int cache_rows(struct lbd_svc *s, const struct lbd_job *job)
{
	struct lbd_crow *rows;

	s->want_ring = job->ring_size;
	s->panic_thr = job->panic_thr;
	if (job->cached) /* the rows it was computed from */
		return 0;
	rows = realloc(s->rows, (job->nrows ? job->nrows : 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < job->nrows; i++) {
		const struct lbd_row *r = &job->rows[i];

		rows[i] = (struct lbd_crow){ .be = r->be, .weight = r->weight,
			.id = r->id, .check = r->check,
			.admin = (uint8_t)r->admin };
	}
	s->rows = rows;
	s->nrows = job->nrows;
	return 0;
}

/* Entries of s that no row wants any more; then s holds the rows' ids. */
static int replace_entries(struct lbd_state *st, struct lbd_svc *s,
			   const struct lbd_job *job, time_t now)
{
	size_t i = 0, j = 0;
	uint32_t *ids;
	int err = 0;

	while (i < s->nbe && !err) {
		int c = j < job->nrows ? lbd_entry_cmp(&st->be[s->be[i]],
						       &job->rows[j].be) : -1;

		if (c < 0)
			err = remove_entry(st, s->be[i++], now);
		else if (c > 0)
			j++;
		else
			i++, j++;
	}
	if (err)
		return err;
	ids = realloc(s->be, (job->nrows ? job->nrows : 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t k = 0; k < job->nrows; k++)
		ids[k] = job->rows[k].id;
	s->be = ids;
	s->nbe = s->cap = job->nrows;
	return 0;
}

static int drop_vip_if_unused(struct lbd_state *st, struct lbd_vip *vip)
{
	int err;

	if (vip->nsvc || !vip->marker)
		return 0;
	err = st->dry ? 0 : xlb_dpmap_vip_del(&st->m, &vip->addr,
					      vip->family);
	if (err && err != -ENOENT)
		return err;
	vip->marker = false;
	st->writes++;
	return 0;
}

static int remove_service(struct lbd_state *st, uint32_t id, time_t now)
{
	struct lbd_svc *s = &st->svc[id];
	struct lbd_vip *vip = &st->vips[s->vip];
	int err = st->dry ? 0 : xlb_dpmap_service_del(&st->m, &s->key);

	if (err && err != -ENOENT)
		return err;
	st->writes++;
	if (s->ring_size) {
		err = st->dry ? 0 : xlb_dpmap_ring_del(&st->m, id);
		if (err && err != -ENOENT)
			return err;
		st->writes++;
	}
	for (size_t i = 0; i < s->nbe; i++) {
		err = remove_entry(st, s->be[i], now);
		if (err)
			return err;
	}
	set_ready(st, s, false);
	if (s->panic)
		st->npanic--;
	if (s->panic_recorded) {
		err = lbd_panic_gone(st, &s->key);
		if (err)
			return err;
	}
	lbd_keymap_del(&st->by_key, &s->key);
	vip->nsvc--;
	free(s->be);
	free(s->rows);
	memset(s, 0, sizeof(*s));
	err = lbd_ids_release(&st->svc_ids, id, now);
	return err ? err : drop_vip_if_unused(st, vip);
}

static int remove_phase(struct lbd_state *st, struct lbd_job *job, time_t now)
{
	struct lbd_svc *s;
	int err;

	if (!job->present && !job->rejected && job->svc_id &&
	    st->svc[job->svc_id].live)
		return remove_service(st, job->svc_id, now);
	if (!applicable(job))
		return 0;
	s = &st->svc[job->svc_id];
	err = replace_entries(st, s, job, now);
	if (!err)
		err = cache_rows(s, job);
	if (!err) {
		set_ready(st, s, job->usable > 0);
		set_panic(st, s, job);
	}
	return err;
}

/* Runs phase on every job still applicable; a failing job is left out of
 * the later phases.  Returns the first error. */
static int each_job(struct lbd_state *st, struct lbd_job *jobs, size_t n,
		    int (*phase)(struct lbd_state *, struct lbd_job *))
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		if (!applicable(&jobs[i]))
			continue;
		jobs[i].err = phase(st, &jobs[i]);
		if (jobs[i].err && !first)
			first = jobs[i].err;
	}
	return first;
}

int lbd_apply(struct lbd_state *st, struct lbd_job *jobs, size_t n,
	      time_t now)
{
	int err, first = entry_phase(st, jobs, n);

	/* A new service appears in xlb_services with its table in place. */
	err = ring_phase(st, jobs, n);
	if (err && !first)
		first = err;
	note_inputs(st, jobs, n);
	err = each_job(st, jobs, n, put_service);
	if (err && !first)
		first = err;
	for (size_t i = 0; i < n; i++) {
		err = remove_phase(st, &jobs[i], now);
		if (err && !first)
			first = err;
	}
	return first;
}

int lbd_apply_config(struct lbd_state *st, const struct xlb_config *cfg)
{
	struct xlb_config cur;
	int err = xlb_dpmap_config_get(&st->m, &cur);

	if (!err && !memcmp(&cur, cfg, sizeof(cur)))
		return 0;
	err = st->dry ? 0 : xlb_dpmap_config_set(&st->m, cfg);
	if (!err)
		st->writes++;
	return err;
}

int lbd_apply_stale_rings(struct lbd_state *st)
{
	for (size_t i = 0; i < st->nstale; i++) {
		uint32_t id = st->stale_rings[i];
		int err = st->dry ? 0 : xlb_dpmap_ring_del(&st->m, id);

		if (err && err != -ENOENT)
			return err;
		st->writes++;
	}
	st->nstale = 0;
	return 0;
}

static int sweep_vip(struct lbd_state *st, struct lbd_vip *vip)
{
	int err;

	if (!vip->nsvc)
		return drop_vip_if_unused(st, vip);
	err = ensure_marker(st, vip);
	if (err)
		return err;
	err = xlb_dpmap_filter_test(&st->m, &vip->addr, vip->family);
	if (err != 0)
		return err < 0 ? err : 0;
	err = st->dry ? 0 : xlb_dpmap_filter_set(&st->m, &vip->addr,
						 vip->family);
	if (!err)
		st->writes++;
	return err;
}

int lbd_apply_sweep(struct lbd_state *st, time_t now)
{
	int err;

	for (size_t i = 0; i < st->norphans; i++) {
		err = remove_entry(st, st->orphans[i], now);
		if (err)
			return err;
	}
	st->norphans = 0;
	for (size_t i = 0; i < st->nvips; i++) {
		err = sweep_vip(st, &st->vips[i]);
		if (err)
			return err;
	}
	return 0;
}
