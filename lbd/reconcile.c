// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * reconcile.c - one pass: the services a change touched (or all of them)
 * read, checked, given ids, computed and applied, in chunks so that the
 * tables of thousands of services are never all in memory at once; then
 * the applied revision, vip_state and rejects recorded together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lbd.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"

/* Services per chunk: 256 tables of the default M are 16 MiB. */
#define CHUNK 256

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Rows that match an entry in force keep its id; *fresh counts the rest. */
static void match_entries(const struct lbd_state *st, const struct lbd_svc *s,
			  struct lbd_job *job, size_t *fresh)
{
	size_t i = 0, j = 0;

	*fresh = 0;
	while (j < job->nrows) {
		int c = i < s->nbe ? lbd_entry_cmp(&st->be[s->be[i]],
						   &job->rows[j].be) : 1;

		if (c < 0) {
			i++;
			continue;
		}
		job->rows[j].id = c ? 0 : s->be[i++];
		*fresh += !job->rows[j].id;
		j++;
	}
}

static bool ids_short(const struct lbd_ids *p, size_t need, time_t now)
{
	return need > p->nfresh && need > lbd_ids_available(p, now);
}

static int assign_ids(struct lbd_state *st, struct lbd_job *job,
		      struct lbd_rejects *rj, time_t now)
{
	uint32_t id = 0;
	bool have = lbd_keymap_get(&st->by_key, &job->key, &id);
	static const struct lbd_svc none;
	size_t fresh;
	char num[16];

	match_entries(st, have ? &st->svc[id] : &none, job, &fresh);
	if (!have && ids_short(&st->svc_ids, 1, now)) {
		job->rejected = true;
		snprintf(num, sizeof(num), "%u", st->m.max_svc_id);
		return lbd_reject_add(rj, "service", job->text, "max_services",
				      num, "no free service id: all %u in use "
				      "or recently freed", st->m.max_svc_id);
	}
	if (ids_short(&st->be_ids, fresh, now)) {
		job->rejected = true;
		snprintf(num, sizeof(num), "%u", st->m.max_be_id);
		return lbd_reject_add(rj, "service", job->text, "max_backends",
				      num, "%zu new backend entries do not fit "
				      "(%u entries, in use or recently freed)",
				      fresh, st->m.max_be_id);
	}
	job->svc_id = have ? id : lbd_ids_alloc(&st->svc_ids, now);
	for (size_t j = 0; j < job->nrows; j++)
		if (!job->rows[j].id)
			job->rows[j].id = lbd_ids_alloc(&st->be_ids, now);
	return 0;
}

/* A service that is gone: only its canonical spelling can be applied. */
static void resolve_gone(const struct lbd_state *st, struct lbd_job *job)
{
	char canon[XLB_ADDR_STRLEN];
	struct xlb_vip_key k = { 0 };

	if (xlb_addr_parse(job->vip, &k.addr, &k.family) ||
	    xlb_proto_parse(job->proto, &k.proto))
		return;
	xlb_addr_format(&k.addr, k.family, canon, sizeof(canon));
	if (strcmp(canon, job->vip) || job->port < 0 || job->port > 65535)
		return;
	k.port = htons((__u16)job->port);
	if (!lbd_keymap_get(&st->by_key, &k, &job->svc_id))
		job->svc_id = 0;
}

static int prepare(struct lbd *l, struct lbd_job *job, struct lbd_rejects *rj,
		   time_t now)
{
	int err = lbd_desired_read(l->desired, &l->health, job);

	if (err)
		return err;
	if (!job->present) {
		resolve_gone(&l->st, job);
		return 0;
	}
	err = lbd_validate(job, &l->st, rj);
	if (!err && !job->rejected)
		err = assign_ids(&l->st, job, rj, now);
	return err;
}

/* Computes and applies jobs read in t1 - t0 ms; adds the Maglev tables
 * built to *built. */
static int run_jobs(struct lbd *l, struct lbd_job *jobs, size_t n,
		    time_t now, size_t *built, double t0, double t1)
{
	double t2;
	int err = 0;

	lbd_compute(l->pool, &l->st, jobs, n);
	for (size_t i = 0; i < n; i++)
		*built += jobs[i].built;
	for (size_t i = 0; i < n && !err; i++)
		if (jobs[i].err)
			err = xlb_errmsg_set(jobs[i].err, "service %s: table "
					     "not built", jobs[i].text);
	t2 = xlb_now_ms();
	if (!err)
		err = lbd_apply(&l->st, jobs, n, now);
	xlb_log(XLB_LOG_DEBUG, "chunk of %zu services: read %.1f ms, compute %.1f "
		"ms, apply %.1f ms", n, t1 - t0, t2 - t1, xlb_now_ms() - t2);
	return err;
}

static void free_jobs(struct lbd_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lbd_job_clear(&jobs[i]);
	free(jobs);
}

/* Adds the Maglev tables the chunk built to *built. */
static int run_chunk(struct lbd *l, char **keys, size_t n,
		     struct lbd_rejects *rj, time_t now, size_t *built)
{
	struct lbd_job *jobs = calloc(n, sizeof(*jobs));
	double t0 = xlb_now_ms();
	int err = 0;

	if (!jobs)
		return -ENOMEM;
	/* One snapshot for the chunk: a service and its rows as committed
	 * together, and one lock taken instead of one per statement. */
	err = xlb_db_exec(l->db, "BEGIN");
	for (size_t i = 0; i < n && !err; i++) {
		snprintf(jobs[i].text, sizeof(jobs[i].text), "%s", keys[i]);
		err = prepare(l, &jobs[i], rj, now);
	}
	if (!sqlite3_get_autocommit(l->db)) /* it only read: nothing to undo */
		sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	if (!err)
		err = run_jobs(l, jobs, n, now, built, t0, xlb_now_ms());
	free_jobs(jobs, n);
	return err;
}

/* A chunk of services recomputed from their last rows. */
static int run_cached(struct lbd *l, const uint32_t *ids, size_t n,
		      time_t now, size_t *built)
{
	struct lbd_job *jobs = calloc(n, sizeof(*jobs));
	double t0 = xlb_now_ms();
	int err = 0;

	if (!jobs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		err = lbd_job_from_cache(&l->st, &l->health, ids[i], &jobs[i]);
	if (!err)
		err = run_jobs(l, jobs, n, now, built, t0, xlb_now_ms());
	free_jobs(jobs, n);
	return err;
}

int lbd_reconcile_cached(struct lbd *l, const uint32_t *ids, size_t n,
			 struct lbd_pass_stats *ps)
{
	double t0 = xlb_now_ms();
	uint64_t w0 = l->st.writes;
	time_t now = mono_s();
	size_t built = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i += CHUNK)
		err = run_cached(l, ids + i, n - i < CHUNK ? n - i : CHUNK,
				 now, &built);
	if (!err)
		lbd_publish(l, l->applied_rev);
	if (ps)
		*ps = (struct lbd_pass_stats){ .services = n, .tables = built,
			.writes = l->st.writes - w0, .ms = xlb_now_ms() - t0 };
	return err;
}

static int pass(struct lbd *l, char **keys, size_t n, int64_t rev,
		struct lbd_rejects *rj, bool full, struct lbd_pass_stats *ps)
{
	double t0 = xlb_now_ms();
	uint64_t w0 = l->st.writes, f0 = l->st.spare_fills;
	time_t now = mono_s();
	size_t built = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i += CHUNK)
		err = run_chunk(l, keys + i, n - i < CHUNK ? n - i : CHUNK, rj,
				now, &built);
	if (!err && full)
		err = lbd_apply_sweep(&l->st, now);
	if (!err && !l->st.dry)
		err = lbd_record(l->db, &l->st, rev, rj);
	if (!err && !l->st.dry)
		lbd_publish(l, rev);
	if (ps)
		*ps = (struct lbd_pass_stats){ .services = n, .rejects = rj->n,
			.tables = built, .writes = l->st.writes - w0,
			.spares = l->st.spare_fills - f0,
			.ms = xlb_now_ms() - t0 };
	return err;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t lbd_keys_unique(char **keys, size_t n)
{
	size_t out = 0;

	if (n < 2)
		return n;
	qsort(keys, n, sizeof(*keys), str_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out && !strcmp(keys[out - 1], keys[i])) {
			free(keys[i]);
			continue;
		}
		keys[out++] = keys[i];
	}
	return out;
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int lbd_reconcile_keys(struct lbd *l, char **keys, size_t n, int64_t rev,
		       struct lbd_pass_stats *ps)
{
	struct lbd_rejects rj = { 0 };
	int err = pass(l, keys, n, rev, &rj, false, ps);

	free(rj.r);
	return err;
}

/* Adds the key of every service in force, so that one gone from the
 * database is removed. */
static int add_applied_keys(const struct lbd_state *st, char ***keys,
			    size_t *n)
{
	size_t cnt = *n;
	int err = 0;
	char **k = realloc(*keys, (cnt + st->m.max_svc_id + 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	*keys = k;
	for (uint32_t id = 1; id <= st->m.max_svc_id; id++) {
		const struct lbd_svc *s = &st->svc[id];
		char vip[XLB_ADDR_STRLEN], text[96];

		if (!s->live)
			continue;
		xlb_addr_format(&s->key.addr, s->key.family, vip, sizeof(vip));
		snprintf(text, sizeof(text), "%s %s %u", vip,
			 xlb_proto_name(s->key.proto), ntohs(s->key.port));
		k[cnt] = strdup(text);
		if (!k[cnt]) {
			err = -ENOMEM;
			break;
		}
		cnt++;
	}
	*n = cnt;
	return err;
}

static int node_config(struct lbd *l, struct lbd_rejects *rj)
{
	struct lbd_node n;
	int err = lbd_node_read(l->db, &n);

	if (err == -ENOENT) { /* the row is gone: keep the config in force */
		n.bad_field[0] = n.bad_value[0] = '\0';
		err = -EINVAL;
	}
	if (err == -EINVAL)
		return lbd_reject_add(rj, "node", "1", n.bad_field[0] ?
				      n.bad_field : "id", n.bad_value, "%s",
				      xlb_errmsg());
	if (err)
		return err;
	if (memcmp(&n.sizes, &l->node.sizes, sizeof(n.sizes)) ||
	    strcmp(n.ifname, l->node.ifname) || n.mode != l->node.mode)
		xlb_log(XLB_LOG_WARN, "node: interface, xdp_mode and max_* take "
			"effect when lbd restarts");
	l->node.cfg = n.cfg;
	l->node.panic = n.panic;
	l->st.panic_default = n.panic;
	return lbd_apply_config(&l->st, &n.cfg);
}

int lbd_reconcile_full(struct lbd *l, int64_t rev, struct lbd_pass_stats *ps)
{
	struct lbd_rejects rj = { 0 };
	char **keys = NULL;
	size_t n = 0;
	uint64_t w0 = l->st.writes;
	double t0 = xlb_now_ms();
	int err = node_config(l, &rj);

	if (!err)
		err = lbd_apply_stale_rings(&l->st);
	if (!err)
		err = lbd_desired_keys(l->desired, &keys, &n);
	if (!err)
		err = add_applied_keys(&l->st, &keys, &n);
	if (!err) {
		n = lbd_keys_unique(keys, n);
		err = pass(l, keys, n, rev, &rj, true, ps);
	}
	if (ps) { /* the config write counts too */
		ps->writes = l->st.writes - w0;
		ps->ms = xlb_now_ms() - t0;
	}
	free_keys(keys, n);
	free(rj.r);
	return err;
}
