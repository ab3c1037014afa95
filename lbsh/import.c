// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * import.c - .import FILE TABLE: CSV rows (RFC 4180: quoted fields may
 * hold commas, quotes doubled, newlines) inserted into a config table in
 * one transaction, through the same triggers as any write, so a bad row
 * is reported with its line and nothing of the file is kept.  A first row
 * whose every field names a column of the table is a header: the file may
 * then give only some columns, in any order, the rest taking their
 * defaults.  An empty field is NULL; a field of digits is an integer.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lbsh.h"

#define IMPORT_COLS 32

struct csv {
	FILE *f;
	int line;         /* line where the record started */
	int next_line;
	char *buf;        /* the fields, NUL-separated */
	size_t len, cap;
	char *field[IMPORT_COLS];
	int n;
};

static int put(struct csv *c, char ch)
{
	if (c->len + 1 >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		char *p = realloc(c->buf, cap);

		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->cap = cap;
	}
	c->buf[c->len++] = ch;
	return 0;
}

/* One record: 1, 0 at the end of the file, or -errno. */
static int csv_record(struct csv *c)
{
	bool quoted = false, any = false;
	size_t starts[IMPORT_COLS];
	int ch, err = 0;

	c->len = 0;
	c->n = 0;
	c->line = c->next_line;
	starts[0] = 0;
	while ((ch = fgetc(c->f)) != EOF) {
		any = true;
		if (ch == '\n')
			c->next_line++;
		if (quoted) {
			if (ch == '"') {
				int nx = fgetc(c->f);

				if (nx == '"') {
					err = put(c, '"');
				} else {
					quoted = false;
					if (nx != EOF)
						ungetc(nx, c->f);
				}
			} else {
				err = put(c, (char)ch);
			}
		} else if (ch == '"') {
			quoted = true;
		} else if (ch == ',' || ch == '\n') {
			err = put(c, '\0');
			if (++c->n >= IMPORT_COLS)
				return -E2BIG;
			starts[c->n] = c->len;
			if (ch == '\n')
				break;
		} else if (ch != '\r') {
			err = put(c, (char)ch);
		}
		if (err)
			return err;
	}
	if (!any)
		return 0;
	if (ch == EOF) {
		if ((err = put(c, '\0')))
			return err;
		c->n++;
	} else {
		/* The '\n' ended the last field: n counted it already. */
	}
	for (int i = 0; i < c->n; i++)
		c->field[i] = c->buf + starts[i];
	if (c->n == 1 && !c->field[0][0])
		return csv_record(c); /* a blank line */
	return 1;
}

struct target {
	char *col[IMPORT_COLS]; /* the table's columns */
	int ncol;
	int map[IMPORT_COLS];   /* file field i -> column */
	int nmap;
};

static int table_columns(struct lbsh *sh, const char *table,
			 struct target *t)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(sh->db, "SELECT name FROM pragma_table_info(?1)",
			       -1, &st, NULL))
		return -EIO;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (t->ncol < IMPORT_COLS && sqlite3_step(st) == SQLITE_ROW)
		t->col[t->ncol++] = strdup((const char *)sqlite3_column_text(st,
									   0));
	sqlite3_finalize(st);
	return t->ncol ? 0 : -ENOENT;
}

/* A header when every field is a column name. */
static bool header(struct target *t, const struct csv *c)
{
	for (int i = 0; i < c->n; i++) {
		int k;

		for (k = 0; k < t->ncol; k++)
			if (!strcasecmp(c->field[i], t->col[k]))
				break;
		if (k == t->ncol)
			return false;
		t->map[i] = k;
	}
	t->nmap = c->n;
	return true;
}

static int prepare_insert(struct lbsh *sh, const char *table,
			  const struct target *t, sqlite3_stmt **st)
{
	char *sql = sqlite3_mprintf("INSERT INTO \"%w\" (", table);

	for (int i = 0; sql && i < t->nmap; i++)
		sql = sqlite3_mprintf("%z%s\"%w\"", sql, i ? ", " : "",
				      t->col[t->map[i]]);
	sql = sqlite3_mprintf("%z) VALUES (", sql);
	for (int i = 0; sql && i < t->nmap; i++)
		sql = sqlite3_mprintf("%z%s?", sql, i ? ", " : "");
	sql = sqlite3_mprintf("%z)", sql);
	if (!sql)
		return SQLITE_NOMEM;
	int rc = sqlite3_prepare_v2(sh->db, sql, -1, st, NULL);

	sqlite3_free(sql);
	return rc;
}

static void bind_field(sqlite3_stmt *st, int i, const char *s)
{
	const char *p = s + (*s == '-');

	if (!*s)
		sqlite3_bind_null(st, i);
	else if (*p && strspn(p, "0123456789") == strlen(p) && strlen(p) < 19)
		sqlite3_bind_int64(st, i, strtoll(s, NULL, 10));
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Inserts every record; on failure says where and returns -1. */
static int insert_all(struct lbsh *sh, const char *file, struct csv *c,
		      struct target *t, sqlite3_stmt *st, int r, long *rows)
{
	char buf[512];
	int rc;

	for (; r == 1; r = csv_record(c)) {
		if (c->n != t->nmap) {
			lbsh_error(sh, "%s:%d: %d fields, expected %d", file,
				   c->line, c->n, t->nmap);
			return -1;
		}
		sqlite3_reset(st);
		for (int i = 0; i < c->n; i++)
			bind_field(st, i + 1, c->field[i]);
		sh->denied[0] = '\0';
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			lbsh_error(sh, "%s:%d: %s", file, c->line,
				   lbsh_error_text(sh, rc, buf, sizeof(buf)));
			return -1;
		}
		(*rows)++;
	}
	if (r < 0) {
		lbsh_error(sh, "%s:%d: %s", file, c->line, r == -E2BIG ?
			   "too many fields" : "cannot read");
		return -1;
	}
	return 0;
}

static int import(struct lbsh *sh, const char *file, const char *table,
		  struct csv *c, struct target *t)
{
	int before = sqlite3_total_changes(sh->db), r, err;
	sqlite3_stmt *st = NULL;
	const char *why;
	long rows = 0;

	if (lbsh_table_readonly(sh, table, &why)) {
		lbsh_error(sh, "%s is read-only: %s", table, why);
		return -1;
	}
	if (table_columns(sh, table, t)) {
		lbsh_error(sh, ".import: no table \"%s\"", table);
		return -1;
	}
	r = csv_record(c);
	if (r == 1 && header(t, c)) {
		r = csv_record(c);
	} else {
		t->nmap = t->ncol;
		for (int i = 0; i < t->ncol; i++)
			t->map[i] = i;
	}
	if (prepare_insert(sh, table, t, &st)) {
		lbsh_error(sh, "%s", sqlite3_errmsg(sh->db));
		return -1;
	}
	sqlite3_exec(sh->db, "SAVEPOINT lbsh_import", NULL, NULL, NULL);
	err = insert_all(sh, file, c, t, st, r, &rows);
	sqlite3_finalize(st);
	if (err) {
		sqlite3_exec(sh->db, "ROLLBACK TO lbsh_import; "
			     "RELEASE lbsh_import", NULL, NULL, NULL);
		fprintf(stderr, "lbsh: nothing of %s was imported\n", file);
		return -1;
	}
	sqlite3_exec(sh->db, "RELEASE lbsh_import", NULL, NULL, NULL);
	if (sh->interactive)
		fprintf(sh->out, "%ld rows imported into %s\n", rows, table);
	lbsh_after_write(sh, before);
	return 0;
}

int lbsh_import(struct lbsh *sh, const char *file, const char *table)
{
	struct csv c = { .next_line = 1 };
	struct target t = { 0 };
	int err;

	c.f = fopen(file, "r");
	if (!c.f) {
		lbsh_error(sh, "cannot open \"%s\": %m", file);
		return -1;
	}
	err = import(sh, file, table, &c, &t);
	fclose(c.f);
	free(c.buf);
	for (int i = 0; i < t.ncol; i++)
		free(t.col[i]);
	return err;
}
