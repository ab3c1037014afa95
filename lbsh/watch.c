// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * watch.c - .watch SECONDS [TIMES] QUERY: the query's result redrawn
 * every SECONDS (TIMES times, or until Ctrl-C), with a "<counter>/s"
 * column after each counter column.  A counter is an integer column that
 * is not a key (ports, ids, sizes, weights); the other columns identify a
 * row from one run to the next, so a rate is the row's own counter delta
 * over the time between the two reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lbsh.h"

#define WATCH_COLS 32

struct wrow {
	char *key;                 /* the non-counter values, joined */
	long long v[WATCH_COLS];   /* counter values (by column) */
};

struct wrun {
	struct wrow *rows;
	size_t n, cap;
	double at;
};

static const char *const key_names[] = {
	"port", "backend_port", "client_port", "ifindex", "ring_size",
	"slots", "weight", "rev", "revision", "mtu", "ttl", NULL
};

static bool is_counter(sqlite3_stmt *st, int i)
{
	const char *n = sqlite3_column_name(st, i);
	size_t len = strlen(n);

	if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
		return false;
	if (len >= 2 && !strcmp(n + len - 2, "id"))
		return false;
	for (size_t k = 0; key_names[k]; k++)
		if (!strcmp(n, key_names[k]))
			return false;
	return true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_free(struct wrun *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].key);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wrow *)a)->key,
		      ((const struct wrow *)b)->key);
}

static const struct wrow *find(const struct wrun *r, const char *key)
{
	struct wrow k = { .key = (char *)key };

	return r->n ? bsearch(&k, r->rows, r->n, sizeof(k), row_cmp) : NULL;
}

/* The row's key: every non-counter value, separated by a unit separator. */
static char *row_key(sqlite3_stmt *st, int n, const bool *counter)
{
	char *key = sqlite3_mprintf("");

	for (int i = 0; key && i < n; i++)
		if (!counter[i])
			key = sqlite3_mprintf("%z\x1f%s", key,
					      sqlite3_column_text(st, i) ?
					      (const char *)sqlite3_column_text(st, i) : "");
	char *out = key ? strdup(key) : NULL;

	sqlite3_free(key);
	return out;
}

static int keep(struct wrun *r, sqlite3_stmt *st, int n, const bool *counter)
{
	struct wrow *w;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct wrow *p = realloc(r->rows, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->rows = p;
		r->cap = cap;
	}
	w = &r->rows[r->n];
	w->key = row_key(st, n, counter);
	if (!w->key)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		w->v[i] = sqlite3_column_int64(st, i);
	r->n++;
	return 0;
}

struct wview {
	int n;                   /* the query's columns */
	bool counter[WATCH_COLS];
	int out_cols;
	const char *names[2 * WATCH_COLS];
	char rate_names[WATCH_COLS][80];
};

static void view_init(struct wview *v, sqlite3_stmt *st)
{
	v->out_cols = 0;
	for (int i = 0; i < v->n; i++) {
		v->counter[i] = is_counter(st, i);
		v->names[v->out_cols++] = sqlite3_column_name(st, i);
		if (v->counter[i]) {
			snprintf(v->rate_names[i], sizeof(v->rate_names[i]),
				 "%s/s", sqlite3_column_name(st, i));
			v->names[v->out_cols++] = v->rate_names[i];
		}
	}
}

/* One row out, with its rates against the previous run. */
static int print_row(struct lbsh_out *o, sqlite3_stmt *st,
		     const struct wview *v, const struct wrun *prev,
		     const struct wrow *now, double at)
{
	const struct wrow *was = find(prev, now->key);
	struct lbsh_cell c[2 * WATCH_COLS];
	char rates[WATCH_COLS][32];
	int k = 0;

	for (int i = 0; i < v->n; i++) {
		c[k].type = sqlite3_column_type(st, i);
		c[k++].text = (char *)sqlite3_column_text(st, i);
		if (!v->counter[i])
			continue;
		c[k].type = SQLITE_NULL;
		c[k].text = NULL;
		if (was && at > prev->at) {
			snprintf(rates[i], sizeof(rates[i]), "%.1f",
				 (double)(now->v[i] - was->v[i]) /
					 (at - prev->at));
			c[k].type = SQLITE_FLOAT;
			c[k].text = rates[i];
		}
		k++;
	}
	return lbsh_out_row(o, c);
}

/* Runs the query once, printing it; fills *now for the next round. */
static int round_once(struct lbsh *sh, sqlite3_stmt *st, struct wrun *prev,
		      struct wrun *now)
{
	struct lbsh_out o;
	struct wview v;
	bool begun = false;
	int rc;

	v.n = sqlite3_column_count(st);
	if (v.n > WATCH_COLS) {
		lbsh_error(sh, ".watch: at most %d columns", WATCH_COLS);
		return -1;
	}
	now->at = now_s();
	sqlite3_reset(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!begun) {
			view_init(&v, st);
			if (lbsh_out_begin(&o, sh->out, sh->mode, true,
					   lbsh_term_width(sh), v.out_cols,
					   v.names))
				return -1;
			begun = true;
		}
		if (keep(now, st, v.n, v.counter) ||
		    print_row(&o, st, &v, prev, &now->rows[now->n - 1],
			      now->at)) {
			lbsh_out_free(&o);
			return -1;
		}
	}
	if (begun)
		lbsh_out_end(&o);
	if (rc != SQLITE_DONE) {
		char buf[512];

		lbsh_error(sh, "%s", lbsh_error_text(sh, rc, buf, sizeof(buf)));
		return -1;
	}
	qsort(now->rows, now->n, sizeof(*now->rows), row_cmp);
	return 0;
}

/* Sleeps, waking early for Ctrl-C. */
static void pause_s(double s)
{
	double until = now_s() + s;

	while (!lbsh_interrupted && now_s() < until)
		usleep(20000);
}

int lbsh_watch(struct lbsh *sh, double seconds, long times, const char *sql)
{
	struct wrun prev = { 0 }, now = { 0 };
	bool tty = isatty(fileno(sh->out));
	sqlite3_stmt *st;
	int err = 0;

	if (sqlite3_prepare_v2(sh->db, sql, -1, &st, NULL)) {
		lbsh_error(sh, "%s", sqlite3_errmsg(sh->db));
		return -1;
	}
	if (!st) {
		lbsh_error(sh, ".watch: no query");
		return -1;
	}
	lbsh_interrupted = 0;
	for (long i = 0; !err && !lbsh_interrupted && (!times || i < times);
	     i++) {
		if (i)
			pause_s(seconds);
		if (lbsh_interrupted)
			break;
		if (tty)
			fputs("\033[H\033[2J", sh->out);
		else if (i)
			fputc('\n', sh->out);
		fprintf(sh->out, "Every %.1fs: %s\n", seconds, sql);
		err = round_once(sh, st, &prev, &now);
		run_free(&prev);
		prev = now;
		memset(&now, 0, sizeof(now));
	}
	run_free(&prev);
	run_free(&now);
	sqlite3_finalize(st);
	lbsh_interrupted = 0;
	return err;
}
