// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * worker.c - an event-loop thread: its own epoll, timer heap, targets and
 * probes, sharing nothing with the other workers but the statistics
 * (atomics) and the outbox of reports (one lock per loop turn).
 *
 * A due target starts a probe when the worker is below its share of the
 * in-flight cap, else waits in a FIFO; a probe that cannot get a
 * descriptor or a port (EMFILE, EADDRNOTAVAIL...) waits there too, and
 * the queue is tried again when a probe ends or 10 ms later.  The timeout
 * runs from the probe's own start, so waiting never fails a probe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define EVENTS_MAX   512
#define RBUF_LEN     16384
#define STARVED_US   10000 /* retry after running out of descriptors */
#define IDLE_MS      1000
/* Probes started per loop turn, at most.  Loopback and local networks
 * hand each SYN to a per-CPU backlog of netdev_max_backlog packets
 * (1,000 here): 10,000 connects in one go overflow it, and every dropped
 * SYN is a second's retransmission, a timeout in a burst; so a turn
 * starts no more than a quarter of it.  Between two batches the loop
 * takes the answers that came, and a short turn gets to them soon: an
 * answer left unacknowledged (HTTP probes delay their ACKs, tcp.c) for
 * about 10 ms has the server resend its FIN (tail-loss probe).  At 256
 * starts a turn, 28,000 loopback probes saw 6,000-8,000 resent segments
 * and used ~10% more CPU than at 32 (~300 resent). */
#define START_BURST  32
#define BACKLOG_PATH "/proc/sys/net/core/netdev_max_backlog"
/* A turn that found little to do is followed by a pause to this much
 * after its start: at 28,000 probes a second spread evenly, waking for
 * each answer costs more in context switches than the probes themselves.
 * Events wait at most this long (a timeout is judged after the answers
 * that came before it), so latencies read up to 2 ms high.  Not in
 * --once, which is a burst: there every turn goes as fast as it can. */
#define TURN_US      2000
#define BUSY_EVENTS  64

struct hcd_worker {
	unsigned int idx;
	pthread_t th;
	bool running;
	struct hcd_wctx ctx;
	int wake; /* eventfd: new specs, or stop */
	pthread_mutex_t lock;
	struct hcd_spec *pending; /* under lock */
	size_t npending;
	bool has_pending, stop;
	/* the worker thread's own */
	struct hcd_set set;
	struct hcd_heap heap;
	struct hcd_target *qhead, *qtail;
	uint64_t cap, inflight;
	unsigned int burst; /* starts per turn */
	bool once;
	bool assigned; /* specs taken at least once */
	size_t once_left;
	uint64_t starved_until;
	unsigned int budget; /* starts left in this turn */
	bool starved_logged;
	struct hcd_probe *free_probes;
	uint64_t rng;
	struct hcd_stats *stats;
	struct hcd_outbox *out;
	struct hcd_report *rep;
	size_t nrep, caprep;
	int err;
};

unsigned int hcd_worker_of(const struct hcd_key *k, unsigned int n)
{
	struct hcd_key a = { .addr = k->addr, .family = k->family };

	return n > 1 ? (unsigned int)(hcd_key_hash(&a) % n) : 0;
}

/* ---- the queue of due targets waiting for a slot ----------------------- */

static void enqueue(struct hcd_worker *w, struct hcd_target *t)
{
	if (t->queued)
		return;
	hcd_heap_remove(&w->heap, t);
	t->queued = true;
	t->qnext = NULL;
	if (w->qtail)
		w->qtail->qnext = t;
	else
		w->qhead = t;
	w->qtail = t;
}

static struct hcd_target *dequeue(struct hcd_worker *w)
{
	struct hcd_target *t = w->qhead;

	if (!t)
		return NULL;
	w->qhead = t->qnext;
	if (!w->qhead)
		w->qtail = NULL;
	t->queued = false;
	t->qnext = NULL;
	return t;
}

/* ---- reports ------------------------------------------------------------------ */

static void report(struct hcd_worker *w, const struct hcd_kstate *ks,
		   const struct hcd_target *why)
{
	struct hcd_report *r;

	if (!w->out)
		return;
	if (w->nrep == w->caprep) {
		size_t cap = w->caprep ? w->caprep * 2 : 256;
		struct hcd_report *v = realloc(w->rep, cap * sizeof(*v));

		if (!v) {
			xlb_log(XLB_LOG_ERR, "worker %u: out of memory for a "
				"report", w->idx);
			return;
		}
		w->rep = v;
		w->caprep = cap;
	}
	r = &w->rep[w->nrep++];
	memset(r, 0, sizeof(*r));
	r->tr.addr = ks->key.addr;
	r->tr.family = ks->key.family;
	r->tr.port = ks->key.port;
	r->tr.state = ks->verdict == HCD_UP ? XLB_HEALTH_UP : XLB_HEALTH_DOWN;
	r->tr.reason = ks->verdict == HCD_UP ? XLB_HR_OK : why->reason;
	r->tr.latency_us = why->latency_us;
	memcpy(r->tr.check, ks->key.check, sizeof(r->tr.check));
}

static void flush_reports(struct hcd_worker *w)
{
	struct hcd_outbox *o = w->out;
	bool was_empty;
	int err = 0;

	if (!w->nrep)
		return;
	pthread_mutex_lock(&o->lock);
	was_empty = !o->n;
	if (o->n + w->nrep > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		struct hcd_report *v;

		while (cap < o->n + w->nrep)
			cap *= 2;
		v = realloc(o->v, cap * sizeof(*v));
		if (v) {
			o->v = v;
			o->cap = cap;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err) {
		memcpy(o->v + o->n, w->rep, w->nrep * sizeof(*w->rep));
		o->n += w->nrep;
	}
	pthread_mutex_unlock(&o->lock);
	if (err) {
		xlb_log(XLB_LOG_ERR, "worker %u: %zu reports lost (out of memory)",
			w->idx, w->nrep);
	} else if (was_empty) {
		uint64_t one = 1;

		if (write(o->efd, &one, sizeof(one)) < 0)
			xlb_log(XLB_LOG_WARN, "outbox wake-up: %s", strerror(errno));
	}
	w->nrep = 0;
}

/* ---- results ---------------------------------------------------------------------- */

static void key_update(struct hcd_worker *w, struct hcd_kstate *ks)
{
	enum hcd_verdict v = HCD_UP;
	const struct hcd_target *why = ks->links[0]->target;

	for (uint32_t i = 0; i < ks->nlinks; i++) {
		enum hcd_verdict lv = ks->links[i]->rf.verdict;

		if (lv == HCD_DOWN && v != HCD_DOWN)
			why = ks->links[i]->target;
		v = hcd_verdict_combine(v, lv);
	}
	if (v == ks->verdict)
		return;
	ks->verdict = (uint8_t)v;
	if (v != HCD_UNKNOWN)
		report(w, ks, why);
}

static void fan_out(struct hcd_worker *w, struct hcd_target *t, bool ok)
{
	for (uint32_t i = 0; i < t->nlinks; i++) {
		struct hcd_link *l = t->links[i];

		if (hcd_rf_feed(&l->rf, ok, l->rise, l->fall))
			key_update(w, l->key);
	}
}

static void count(struct hcd_worker *w, const struct hcd_probe *p,
		  bool timeout)
{
	struct hcd_stats *s = w->stats;

	atomic_fetch_add(&s->probes, 1);
	if (timeout)
		atomic_fetch_add(&s->timeouts, 1);
	else
		atomic_fetch_add(p->ok ? &s->up : &s->down, 1);
}

static void put_probe(struct hcd_worker *w, struct hcd_probe *p)
{
	p->free_next = w->free_probes;
	w->free_probes = p;
}

static void retire(struct hcd_worker *w, struct hcd_target *t)
{
	hcd_heap_remove(&w->heap, t);
	hcd_target_free(t);
}

/* Puts t in the heap at `at`, whether it is there already or not. */
static void heap_set(struct hcd_worker *w, struct hcd_target *t, uint64_t at)
{
	if (t->heap_idx == UINT32_MAX) {
		if (hcd_heap_push(&w->heap, t, at))
			w->err = -ENOMEM;
	} else {
		hcd_heap_update(&w->heap, t, at);
	}
}

static void finish(struct hcd_worker *w, struct hcd_probe *p, bool inflight,
		   bool timeout)
{
	struct hcd_target *t = p->t;
	uint64_t now = hcd_now_us();

	hcd_probe_release(p);
	if (inflight) {
		w->inflight--;
		atomic_fetch_sub(&w->stats->inflight, 1);
	}
	count(w, p, timeout);
	t->probe = NULL;
	t->reason = timeout ? XLB_HR_TIMEOUT : p->reason;
	t->latency_us = (uint32_t)(now - p->start_us);
	put_probe(w, p);
	if (t->gone) {
		retire(w, t);
		return;
	}
	fan_out(w, t, !timeout && p->ok);
	if (w->once) {
		hcd_heap_remove(&w->heap, t);
		t->once_done = true;
		w->once_left--;
		return;
	}
	t->due_us = hcd_sched_next(t->due_us, now, t->params->interval_ms);
	heap_set(w, t, t->due_us);
}

/* ---- starting probes ---------------------------------------------------------------- */

static struct hcd_probe *get_probe(struct hcd_worker *w)
{
	struct hcd_probe *p = w->free_probes;

	if (p)
		w->free_probes = p->free_next;
	else if ((p = malloc(sizeof(*p))))
		p->spare = -1;
	return p;
}

static bool no_resources(int rc)
{
	return rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS ||
	       rc == -ENOMEM || rc == -EADDRNOTAVAIL;
}

static void starved(struct hcd_worker *w, struct hcd_target *t, int rc,
		    uint64_t now)
{
	enqueue(w, t);
	w->starved_until = now + STARVED_US;
	if (!w->starved_logged) {
		w->starved_logged = true;
		xlb_log(XLB_LOG_WARN, "worker %u: %s with %llu probes in flight; "
			"probes wait for one to end (lower --max-inflight)",
			w->idx, strerror(-rc),
			(unsigned long long)w->inflight);
	}
}

/* false: the target waits in the queue. */
static bool start(struct hcd_worker *w, struct hcd_target *t, uint64_t now)
{
	struct hcd_probe *p;
	uint8_t family;
	int rc, spare;

	if (w->inflight >= w->cap || now < w->starved_until ||
	    !(p = get_probe(w))) {
		enqueue(w, t);
		return false;
	}
	spare = p->spare;
	family = p->spare_family;
	memset(p, 0, sizeof(*p));
	p->spare = spare;
	p->spare_family = family;
	p->t = t;
	p->fd = -1;
	p->start_us = now;
	p->deadline_us = now + (uint64_t)t->params->timeout_ms * 1000;
	rc = hcd_probe_start(p, &w->ctx);
	w->budget--;
	if (rc < 0 && no_resources(rc)) {
		hcd_probe_release(p);
		put_probe(w, p);
		starved(w, t, rc, now);
		return false;
	}
	if (now > t->due_us)
		hcd_stats_max(&w->stats->late_us_max, now - t->due_us);
	if (rc < 0) /* the checker's own fault, e.g. raw sockets refused */
		rc = hcd_probe_done(p, false, XLB_HR_INTERNAL);
	t->probe = p;
	if (rc == HCD_STEP_DONE) {
		finish(w, p, false, false);
		return true;
	}
	w->inflight++;
	hcd_stats_max(&w->stats->inflight_max,
		      atomic_fetch_add(&w->stats->inflight, 1) + 1);
	heap_set(w, t, p->deadline_us);
	return true;
}

static void start_queued(struct hcd_worker *w, uint64_t now)
{
	while (w->qhead && w->inflight < w->cap && now >= w->starved_until &&
	       w->budget) {
		struct hcd_target *t = dequeue(w);

		if (t->gone) {
			hcd_target_free(t);
			continue;
		}
		if (!start(w, t, now))
			break;
	}
}

static void run_timers(struct hcd_worker *w, uint64_t now)
{
	struct hcd_target *t;

	while ((t = hcd_heap_top(&w->heap)) && t->heap_at <= now) {
		if (t->probe) {
			t->probe->ok = false;
			finish(w, t->probe, true, true);
		} else if (!w->budget) {
			break; /* the next turn goes on */
		} else if (!start(w, t, now) && t->heap_idx != UINT32_MAX) {
			break; /* cannot happen: a waiting target leaves */
		}
	}
}

/* ---- new specs -------------------------------------------------------------------- */

static void schedule_new(struct hcd_target *t, void *arg)
{
	struct hcd_worker *w = arg;
	uint64_t now = hcd_now_us();

	if (t->heap_idx != UINT32_MAX || t->queued || t->probe)
		return;
	t->due_us = w->once ? now : hcd_sched_first(now, t->params->interval_ms,
						    &w->rng);
	if (hcd_heap_push(&w->heap, t, t->due_us))
		w->err = -ENOMEM;
}

static int take_specs(struct hcd_worker *w, struct hcd_spec *specs, size_t n)
{
	struct hcd_set next;
	struct hcd_target **gone;
	size_t ngone, keys = w->set.nkeys;
	int err = hcd_set_build(&next, specs, n, &w->set, &gone, &ngone);

	free(specs);
	if (err)
		return err;
	for (size_t i = 0; i < ngone; i++)
		if (!gone[i]->probe && !gone[i]->queued)
			retire(w, gone[i]);
	free(gone);
	w->set = next;
	hcd_set_each(&w->set, schedule_new, w);
	if (w->once)
		w->once_left = w->set.ntargets;
	w->assigned = true;
	atomic_fetch_add(&w->stats->checks, w->set.nkeys);
	atomic_fetch_sub(&w->stats->checks, keys);
	return w->err;
}

static void on_wake(struct hcd_worker *w, bool *stop)
{
	uint64_t v;
	struct hcd_spec *specs = NULL;
	size_t n = 0;
	bool has = false;

	if (read(w->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
		xlb_log(XLB_LOG_WARN, "worker %u: wake-up: %s", w->idx,
			strerror(errno));
	pthread_mutex_lock(&w->lock);
	*stop = w->stop;
	if (w->has_pending) {
		specs = w->pending;
		n = w->npending;
		has = true;
		w->pending = NULL;
		w->has_pending = false;
	}
	pthread_mutex_unlock(&w->lock);
	if (has && !*stop && (w->err = take_specs(w, specs, n)))
		xlb_log(XLB_LOG_ERR, "worker %u: taking the checks: %s", w->idx,
			strerror(-w->err));
	else if (*stop)
		free(specs);
}

/* ---- the loop ------------------------------------------------------------------------ */

static int wait_ms(struct hcd_worker *w, uint64_t now)
{
	struct hcd_target *t = hcd_heap_top(&w->heap);
	uint64_t at = t ? t->heap_at : now + IDLE_MS * 1000ULL;

	if (w->qhead && w->starved_until > now && w->starved_until < at)
		at = w->starved_until;
	/* A batch left work: take what came, then go on at once. */
	if (!w->budget && (at <= now || (w->qhead && w->inflight < w->cap)))
		return 0;
	if (at <= now)
		return 0;
	at = (at - now + 999) / 1000;
	return at > IDLE_MS ? IDLE_MS : (int)at;
}

static void pause_after(uint64_t turn_us)
{
	uint64_t now = hcd_now_us();

	if (now < turn_us + TURN_US) {
		struct timespec ts = { 0, (long)(turn_us + TURN_US - now) * 1000 };

		nanosleep(&ts, NULL);
	}
}

static void *run(void *arg)
{
	struct hcd_worker *w = arg;
	struct epoll_event ev[EVENTS_MAX];
	bool stop = false;
	char name[16];

	snprintf(name, sizeof(name), "hcd-w%u", w->idx);
	pthread_setname_np(pthread_self(), name);

	while (!stop && !w->err) {
		uint64_t now = hcd_now_us(), turn = now;
		int n = epoll_wait(w->ctx.ep, ev, EVENTS_MAX, wait_ms(w, now));

		for (int i = 0; i < n; i++) {
			struct hcd_probe *p = ev[i].data.ptr;

			if (!p) {
				on_wake(w, &stop);
				continue;
			}
			if (p->fd < 0) /* a kept socket's disconnect */
				continue;
			if (hcd_probe_step(p, &w->ctx, ev[i].events) ==
			    HCD_STEP_DONE)
				finish(w, p, true, false);
		}
		now = hcd_now_us();
		w->budget = w->burst;
		start_queued(w, now); /* those waiting longest first */
		run_timers(w, now);
		flush_reports(w);
		if (w->once && w->assigned && !w->once_left)
			break;
		if (!w->once && n > 0 && n < BUSY_EVENTS && w->budget)
			pause_after(turn);
	}
	return NULL;
}

/* ---- the pool --------------------------------------------------------------------------- */

static void worker_free(struct hcd_worker *w)
{
	struct hcd_target *t;

	if (!w)
		return;
	/* Probes still in flight at exit: close them. */
	while ((t = hcd_heap_top(&w->heap))) {
		hcd_heap_remove(&w->heap, t);
		if (t->probe) {
			hcd_probe_release(t->probe);
			put_probe(w, t->probe);
			t->probe = NULL;
		}
		if (t->gone)
			hcd_target_free(t);
	}
	while ((t = dequeue(w)))
		if (t->gone)
			hcd_target_free(t);
	hcd_set_free(&w->set);
	hcd_heap_free(&w->heap);
	while (w->free_probes) {
		struct hcd_probe *p = w->free_probes;

		w->free_probes = p->free_next;
		hcd_probe_drop_spare(p);
		free(p);
	}
	hcd_tls_fini(&w->ctx);
	if (w->ctx.ep >= 0)
		close(w->ctx.ep);
	if (w->wake >= 0)
		close(w->wake);
	free(w->ctx.rbuf);
	free(w->pending);
	free(w->rep);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Starts per turn: START_BURST, or a quarter of the backlog if less. */
static unsigned int start_burst(void)
{
	FILE *f = fopen(BACKLOG_PATH, "r");
	unsigned int backlog = 0, burst = START_BURST;

	if (f) {
		if (fscanf(f, "%u", &backlog) == 1 && backlog / 4 < burst)
			burst = backlog / 4 ? backlog / 4 : 1;
		fclose(f);
	}
	return burst;
}

static int worker_new(unsigned int idx, uint64_t cap, unsigned int burst,
		      bool once, struct hcd_stats *stats,
		      struct hcd_outbox *out, struct hcd_worker **res)
{
	struct hcd_worker *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	w->idx = idx;
	w->cap = cap;
	w->burst = burst;
	w->once = once;
	w->stats = stats;
	w->out = out;
	w->rng = hcd_now_us() * 2654435761ULL + idx + 1;
	w->ctx.ep = epoll_create1(EPOLL_CLOEXEC);
	w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->ctx.rbuf_len = RBUF_LEN;
	w->ctx.rbuf = malloc(RBUF_LEN);
	if (w->ctx.ep < 0 || w->wake < 0 || !w->ctx.rbuf ||
	    epoll_ctl(w->ctx.ep, EPOLL_CTL_ADD, w->wake, &ev)) {
		int err = errno ? -errno : -ENOMEM;

		worker_free(w);
		return err;
	}
	*res = w;
	return 0;
}

int hcd_pool_start(struct hcd_pool *p, const struct hcd_pool_opts *o,
		   struct hcd_stats *stats, struct hcd_outbox *out)
{
	unsigned int n = o->threads ? o->threads : 1;
	uint64_t share = o->cap / n ? o->cap / n : 1;
	unsigned int burst = start_burst();
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->w = calloc(n, sizeof(*p->w));
	if (!p->w)
		return -ENOMEM;
	p->stats = stats;
	p->out = out;
	stats->cap = share * n;
	for (unsigned int i = 0; i < n && !err; i++) {
		err = worker_new(i, share, burst, o->once, stats, out,
				 &p->w[i]);
		if (!err)
			p->n++;
	}
	for (unsigned int i = 0; i < p->n && !err; i++) {
		err = -pthread_create(&p->w[i]->th, NULL, run, p->w[i]);
		if (!err)
			p->w[i]->running = true;
	}
	if (err)
		hcd_pool_stop(p);
	return err;
}

int hcd_pool_assign(struct hcd_pool *p, const struct hcd_spec *specs,
		    size_t n)
{
	size_t *cnt = calloc(p->n, sizeof(*cnt));
	struct hcd_spec **part = calloc(p->n, sizeof(*part));
	int err = cnt && part ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++)
		cnt[hcd_worker_of(&specs[i].key, p->n)]++;
	for (unsigned int i = 0; i < p->n && !err; i++)
		if (!(part[i] = malloc((cnt[i] ? cnt[i] : 1) * sizeof(**part))))
			err = -ENOMEM;
	for (unsigned int i = 0; i < p->n && !err; i++)
		cnt[i] = 0;
	for (size_t i = 0; i < n && !err; i++) {
		unsigned int k = hcd_worker_of(&specs[i].key, p->n);

		part[k][cnt[k]++] = specs[i];
	}
	for (unsigned int i = 0; i < p->n; i++) {
		struct hcd_worker *w = p->w[i];
		uint64_t one = 1;

		if (err) {
			free(part ? part[i] : NULL);
			continue;
		}
		pthread_mutex_lock(&w->lock);
		free(w->pending); /* a newer set replaces one not yet taken */
		w->pending = part[i];
		w->npending = cnt[i];
		w->has_pending = true;
		pthread_mutex_unlock(&w->lock);
		if (write(w->wake, &one, sizeof(one)) < 0)
			err = -errno;
	}
	free(cnt);
	free(part);
	return err;
}

void hcd_pool_wait(struct hcd_pool *p)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (p->w[i]->running) {
			pthread_join(p->w[i]->th, NULL);
			p->w[i]->running = false;
		}
}

void hcd_pool_stop(struct hcd_pool *p)
{
	for (unsigned int i = 0; i < p->n; i++) {
		struct hcd_worker *w = p->w[i];
		uint64_t one = 1;

		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_mutex_unlock(&w->lock);
		if (write(w->wake, &one, sizeof(one)) < 0)
			xlb_log(XLB_LOG_WARN, "stopping worker %u: %s", i,
				strerror(errno));
	}
	hcd_pool_wait(p);
	for (unsigned int i = 0; i < p->n; i++)
		worker_free(p->w[i]);
	free(p->w);
	memset(p, 0, sizeof(*p));
}
