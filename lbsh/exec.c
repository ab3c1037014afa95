// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * exec.c - running SQL: each statement prepared, stepped and printed in
 * the current mode, with the error as SQLite's shell shows it (a parse
 * error quotes the statement and points at the offending word) and, after
 * a statement that committed a change, a nudge to lbd (write.c).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lbsh.h"

void lbsh_error(struct lbsh *sh, const char *fmt, ...)
{
	va_list ap;

	sh->errors++;
	fflush(sh->out);
	if (!sh->interactive && sh->src)
		fprintf(stderr, "Error: %s line %d: ", sh->src, sh->line);
	else
		fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int lbsh_term_width(const struct lbsh *sh)
{
	struct winsize ws;

	if (!isatty(fileno(sh->out)) ||
	    ioctl(fileno(sh->out), TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

/* A blob as X'hex', the way it would be typed back. */
static char *blob_text(sqlite3_stmt *st, int i)
{
	const unsigned char *b = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);
	char *s = malloc((size_t)n * 2 + 4);

	if (!s)
		return NULL;
	strcpy(s, "X'");
	for (int k = 0; k < n; k++)
		sprintf(s + 2 + k * 2, "%02x", b[k]);
	strcat(s, "'");
	return s;
}

static int print_row(sqlite3_stmt *st, struct lbsh_out *o)
{
	struct lbsh_cell *cells = calloc((size_t)o->ncol, sizeof(*cells));
	char **blobs = calloc((size_t)o->ncol, sizeof(*blobs));
	int n = o->ncol, err = -1;

	if (cells && blobs) {
		for (int i = 0; i < n; i++) {
			cells[i].type = sqlite3_column_type(st, i);
			if (cells[i].type == SQLITE_BLOB)
				cells[i].text = blobs[i] = blob_text(st, i);
			else
				cells[i].text = (char *)sqlite3_column_text(st, i);
			if (!cells[i].text)
				cells[i].type = SQLITE_NULL;
		}
		err = lbsh_out_row(o, cells);
	}
	for (int i = 0; blobs && i < n; i++)
		free(blobs[i]);
	free(blobs);
	free(cells);
	return err;
}

static int begin(struct lbsh *sh, sqlite3_stmt *st, struct lbsh_out *o)
{
	int n = sqlite3_column_count(st);
	const char **names = calloc((size_t)n + 1, sizeof(*names));
	int err;

	if (!names)
		return -1;
	for (int i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	err = lbsh_out_begin(o, sh->out, sh->mode, sh->headers,
			     lbsh_term_width(sh), n, names);
	free(names);
	return err;
}

int lbsh_query(struct lbsh *sh, sqlite3_stmt *st, struct lbsh_out *o)
{
	bool started = false;
	int rc;

	memset(o, 0, sizeof(*o));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!started && begin(sh, st, o))
			return SQLITE_NOMEM;
		started = true;
		if (print_row(st, o)) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (started)
		lbsh_out_end(o);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* "  SELEC 1;\n  ^--- error here", as sqlite3 points at a parse error. */
static void point_at(const char *sql, int off)
{
	const char *line = sql, *nl;

	while ((nl = strchr(line, '\n')) && nl - sql < off)
		line = nl + 1;
	nl = strchr(line, '\n');
	fprintf(stderr, "  %.*s\n  %*s^--- error here\n",
		(int)(nl ? nl - line : (long)strlen(line)), line,
		(int)(off - (line - sql)), "");
}

static void report(struct lbsh *sh, int rc, const char *sql)
{
	char buf[512];
	int off = sqlite3_error_offset(sh->db);

	lbsh_error(sh, "%s", lbsh_error_text(sh, rc, buf, sizeof(buf)));
	if (off >= 0 && off < (int)strlen(sql))
		point_at(sql, off);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(int who_field)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	struct timeval tv = who_field ? ru.ru_stime : ru.ru_utime;
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* One prepared statement, timed when .timer is on. */
static int run_one(struct lbsh *sh, sqlite3_stmt *st, const char *sql)
{
	double t0 = now_s(), u0 = cpu_s(0), s0 = cpu_s(1);
	int before = sqlite3_total_changes(sh->db);
	struct lbsh_out o;
	int rc;

	sh->denied[0] = '\0';
	rc = lbsh_query(sh, st, &o);
	if (sh->timer)
		fprintf(sh->out, "Run Time: real %.3f user %.6f sys %.6f\n",
			now_s() - t0, cpu_s(0) - u0, cpu_s(1) - s0);
	if (rc != SQLITE_OK) {
		report(sh, rc, sql);
		return -1;
	}
	lbsh_after_write(sh, before);
	return 0;
}

int lbsh_exec(struct lbsh *sh, const char *sql)
{
	const char *tail = sql, *next;
	sqlite3_stmt *st;
	int rc, err = 0;

	while (!err && tail && *tail) {
		sh->denied[0] = '\0';
		rc = sqlite3_prepare_v2(sh->db, tail, -1, &st, &next);
		if (rc != SQLITE_OK) {
			report(sh, rc, tail);
			return -1;
		}
		if (st)
			err = run_one(sh, st, tail);
		sqlite3_finalize(st);
		tail = next;
	}
	return err;
}
