// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dot.c - the dot-commands, named and behaving as in SQLite's shell so a
 * sqlite3 user guesses them right; .watch and .sync are lbsh's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbsh.h"

const char *const lbsh_dot_names[] = {
	".bail", ".exit", ".headers", ".help", ".import", ".mode", ".output",
	".quit", ".read", ".schema", ".sync", ".tables", ".timer", ".watch",
	NULL
};

static const char help_text[] =
	".bail on|off            stop a script at the first error (default on)\n"
	".headers on|off         column names in csv and list output\n"
	".help                   this text\n"
	".import FILE TABLE      CSV rows into a config table, all or none;\n"
	"                        a first row naming columns maps them\n"
	".mode MODE              table, box, csv, json, line or list\n"
	".output [FILE]          results to FILE, or back to the terminal\n"
	".quit, .exit            leave\n"
	".read FILE              run the statements and commands in FILE\n"
	".schema [PATTERN]       the CREATE statements of tables and views\n"
	".sync [SECONDS]         wait until lbd has applied every change,\n"
	"                        show the revision (default 10 s)\n"
	".tables [PATTERN]       table and view names, live_* included\n"
	".timer on|off           time each statement\n"
	".watch SECONDS [TIMES] QUERY\n"
	"                        run QUERY every SECONDS, with a column of\n"
	"                        per-second rates beside each counter;\n"
	"                        Ctrl-C stops\n"
	"Live tables read the pinned maps (--pin-dir): live_service,\n"
	"live_backend, live_reason, live_conntrack, live_maglev, "
	"live_interface.\n";

/* Tables the schema uses for itself: not listed. */
#define HIDDEN_SQL \
	"name NOT LIKE 'sqlite_%' AND name <> 'prime' AND name NOT LIKE '%_check' " \
	"OR name = 'health_check'"

static int usage(struct lbsh *sh, const char *u)
{
	lbsh_error(sh, "usage: %s", u);
	return -1;
}

static int set_flag(struct lbsh *sh, struct lbsh_args *a, bool *flag,
		    const char *u)
{
	int v = a->argc == 2 ? lbsh_bool_parse(a->argv[1]) : -1;

	if (v < 0)
		return usage(sh, u);
	*flag = v;
	return 0;
}

static int cmd_mode(struct lbsh *sh, struct lbsh_args *a)
{
	int m;

	if (a->argc == 1) {
		fprintf(sh->out, "current output mode: %s\n",
			lbsh_mode_name(sh->mode));
		return 0;
	}
	m = lbsh_mode_parse(a->argv[1]);
	if (a->argc != 2 || m < 0) {
		lbsh_error(sh, "mode \"%s\" is not one of table, box, csv, "
			   "json, line, list", a->argv[1]);
		return -1;
	}
	sh->mode = m;
	return 0;
}

static int cmd_output(struct lbsh *sh, struct lbsh_args *a)
{
	FILE *f = stdout;

	if (a->argc > 2)
		return usage(sh, ".output [FILE]");
	if (a->argc == 2 && strcmp(a->argv[1], "stdout")) {
		f = fopen(a->argv[1], "w");
		if (!f) {
			lbsh_error(sh, "cannot write \"%s\": %m", a->argv[1]);
			return -1;
		}
	}
	if (sh->out != stdout)
		fclose(sh->out);
	sh->out = f;
	return 0;
}

/* Names in columns, as sqlite3's .tables. */
static void print_names(struct lbsh *sh, char **names, size_t n)
{
	size_t w = 0, cols, rows;

	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) > w)
			w = strlen(names[i]);
	cols = 80 / (w + 2);
	cols = cols ? cols : 1;
	rows = (n + cols - 1) / cols;
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < cols && c * rows + r < n; c++)
			fprintf(sh->out, "%-*s", (int)(w + 2),
				names[c * rows + r]);
		fputc('\n', sh->out);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_tables(struct lbsh *sh, struct lbsh_args *a)
{
	const char *pat = a->argc > 1 ? a->argv[1] : "%";
	sqlite3_stmt *st;
	char *names[512];
	size_t n = 0;

	if (sqlite3_prepare_v2(sh->db, "SELECT name FROM sqlite_schema WHERE "
			       "type IN ('table', 'view') AND (" HIDDEN_SQL
			       ") AND name LIKE ?1", -1, &st, NULL)) {
		lbsh_error(sh, "%s", sqlite3_errmsg(sh->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	while (n < 500 && sqlite3_step(st) == SQLITE_ROW)
		names[n++] = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (size_t i = 0; lbsh_live_names[i]; i++)
		if (sqlite3_strlike(pat, lbsh_live_names[i], 0) == 0)
			names[n++] = strdup(lbsh_live_names[i]);
	for (size_t i = 0; i < n; i++)
		if (!names[i])
			names[i] = strdup("?");
	qsort(names, n, sizeof(*names), name_cmp);
	print_names(sh, names, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return 0;
}

static int cmd_schema(struct lbsh *sh, struct lbsh_args *a)
{
	const char *pat = a->argc > 1 ? a->argv[1] : "%";
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(sh->db, "SELECT sql FROM sqlite_schema WHERE "
			       "sql IS NOT NULL AND tbl_name LIKE ?1 AND ("
			       HIDDEN_SQL ") ORDER BY tbl_name, type DESC, "
			       "name", -1, &st, NULL)) {
		lbsh_error(sh, "%s", sqlite3_errmsg(sh->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(sh->out, "%s;\n", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (size_t i = 0; lbsh_live_names[i]; i++)
		if (sqlite3_strlike(pat, lbsh_live_names[i], 0) == 0)
			fprintf(sh->out, "CREATE TABLE %s%s; /* live: from the "
				"pinned maps, read-only */\n", lbsh_live_names[i],
				strchr(lbsh_live_schema(lbsh_live_names[i]), '('));
	return 0;
}

static int cmd_watch(struct lbsh *sh, struct lbsh_args *a)
{
	const char *u = ".watch SECONDS [TIMES] QUERY";
	char *end;
	double secs;
	long times = 0;
	int q = 2;

	if (a->argc < 3)
		return usage(sh, u);
	secs = strtod(a->argv[1], &end);
	if (*end || secs < 0.1 || secs > 3600) {
		lbsh_error(sh, ".watch: SECONDS \"%s\" is not 0.1..3600",
			   a->argv[1]);
		return -1;
	}
	times = strtol(a->argv[2], &end, 10);
	if (!*end) {
		if (times < 1 || a->argc < 4) {
			lbsh_error(sh, ".watch: TIMES \"%s\" is not 1 or more "
				   "(or the query is missing)", a->argv[2]);
			return -1;
		}
		q = 3;
	} else {
		times = 0;
	}
	return lbsh_watch(sh, secs, times, a->rest[q]);
}

static int cmd_sync(struct lbsh *sh, struct lbsh_args *a)
{
	double secs = 10;
	char *end = NULL;

	if (a->argc > 2)
		return usage(sh, ".sync [SECONDS]");
	if (a->argc == 2) {
		secs = strtod(a->argv[1], &end);
		if (*end || secs <= 0 || secs > 3600) {
			lbsh_error(sh, ".sync: SECONDS \"%s\" is not 0..3600",
				   a->argv[1]);
			return -1;
		}
	}
	return lbsh_sync(sh, (int)(secs * 1000));
}

int lbsh_dot(struct lbsh *sh, const char *line)
{
	struct lbsh_args a;
	const char *c;
	int err = lbsh_args_parse(line, &a);

	if (err) {
		lbsh_error(sh, "%s", err == -E2BIG ? "command line too long" :
			   err == -EINVAL && strchr(line, '\'') ?
			   "unterminated quote" : "unterminated quote or "
			   "empty command");
		return -1;
	}
	c = a.argv[0];
	if (!strcmp(c, "quit") || !strcmp(c, "exit") || !strcmp(c, "q")) {
		sh->quit = true;
		return 0;
	}
	if (!strcmp(c, "help")) {
		fputs(help_text, sh->out);
		return 0;
	}
	if (!strcmp(c, "mode"))
		return cmd_mode(sh, &a);
	if (!strcmp(c, "headers"))
		return set_flag(sh, &a, &sh->headers, ".headers on|off");
	if (!strcmp(c, "timer"))
		return set_flag(sh, &a, &sh->timer, ".timer on|off");
	if (!strcmp(c, "bail"))
		return set_flag(sh, &a, &sh->bail, ".bail on|off");
	if (!strcmp(c, "tables"))
		return cmd_tables(sh, &a);
	if (!strcmp(c, "schema"))
		return cmd_schema(sh, &a);
	if (!strcmp(c, "output"))
		return cmd_output(sh, &a);
	if (!strcmp(c, "read"))
		return a.argc == 2 ? lbsh_run_file(sh, a.argv[1]) :
				     usage(sh, ".read FILE");
	if (!strcmp(c, "import"))
		return a.argc == 3 ? lbsh_import(sh, a.argv[1], a.argv[2]) :
				     usage(sh, ".import FILE TABLE");
	if (!strcmp(c, "watch"))
		return cmd_watch(sh, &a);
	if (!strcmp(c, "sync"))
		return cmd_sync(sh, &a);
	lbsh_error(sh, "unknown command \".%s\": .help lists them", c);
	return -1;
}
