// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * output.c - result sets as SQLite's shell prints them: table, box, csv,
 * json, line and list.  Table and box are for people: numbers right-
 * aligned, counters of a million and more grouped by thousands
 * ("12,345,678"), and columns narrowed to fit the terminal with the cut
 * marked.  The other modes are for scripts: values exactly as stored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lbsh.h"

static const char *const mode_names[LBSH_MODE_MAX] = {
	[LBSH_MODE_TABLE] = "table", [LBSH_MODE_BOX] = "box",
	[LBSH_MODE_CSV] = "csv",     [LBSH_MODE_JSON] = "json",
	[LBSH_MODE_LINE] = "line",   [LBSH_MODE_LIST] = "list",
};

const char *lbsh_mode_name(enum lbsh_mode m)
{
	return m < LBSH_MODE_MAX ? mode_names[m] : "?";
}

int lbsh_mode_parse(const char *s)
{
	for (int i = 0; i < LBSH_MODE_MAX; i++)
		if (!strcasecmp(s, mode_names[i]))
			return i;
	return -1;
}

/* Groups only from 7 digits: ports, ring sizes and ids stay as typed. */
#define GROUP_FROM 7

void lbsh_group_digits(const char *in, char *out, size_t len)
{
	size_t n = strlen(in), digits, o = 0, i = 0;
	bool neg = in[0] == '-';

	digits = n - neg;
	if (digits < GROUP_FROM || strspn(in + neg, "0123456789") != digits ||
	    n + digits / 3 + 1 > len) {
		snprintf(out, len, "%s", in);
		return;
	}
	if (neg)
		out[o++] = in[i++];
	for (; i < n; i++) {
		out[o++] = in[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			out[o++] = ',';
	}
	out[o] = '\0';
}

static bool streaming(enum lbsh_mode m)
{
	return m != LBSH_MODE_TABLE && m != LBSH_MODE_BOX;
}

/* ---- csv, json, line, list ------------------------------------------------- */

static void csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!s[0] || (!strpbrk(s, ",\"\r\n") && s[0] != ' ' &&
		      s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_value(FILE *f, const struct lbsh_cell *c)
{
	if (c->type == SQLITE_NULL)
		fputs("null", f);
	else if (c->type == SQLITE_INTEGER || c->type == SQLITE_FLOAT)
		fputs(c->text, f);
	else
		json_string(f, c->text);
}

static void header_line(struct lbsh_out *o, char sep)
{
	for (int i = 0; i < o->ncol; i++) {
		if (i)
			fputc(sep, o->f);
		if (o->mode == LBSH_MODE_CSV)
			csv_field(o->f, o->names[i]);
		else
			fputs(o->names[i], o->f);
	}
	fputc('\n', o->f);
}

static void stream_row(struct lbsh_out *o, const struct lbsh_cell *c)
{
	int i, w = 0;

	switch (o->mode) {
	case LBSH_MODE_CSV:
	case LBSH_MODE_LIST:
		if (o->printed == 0 && o->headers)
			header_line(o, o->mode == LBSH_MODE_CSV ? ',' : '|');
		for (i = 0; i < o->ncol; i++) {
			if (i)
				fputc(o->mode == LBSH_MODE_CSV ? ',' : '|', o->f);
			if (o->mode == LBSH_MODE_CSV)
				csv_field(o->f, c[i].text);
			else if (c[i].text)
				fputs(c[i].text, o->f);
		}
		fputc('\n', o->f);
		break;
	case LBSH_MODE_JSON:
		fputs(o->printed ? ",\n{" : "[{", o->f);
		for (i = 0; i < o->ncol; i++) {
			if (i)
				fputc(',', o->f);
			json_string(o->f, o->names[i]);
			fputc(':', o->f);
			json_value(o->f, &c[i]);
		}
		fputc('}', o->f);
		break;
	case LBSH_MODE_LINE:
		for (i = 0; i < o->ncol; i++)
			if ((int)strlen(o->names[i]) > w)
				w = (int)strlen(o->names[i]);
		if (o->printed)
			fputc('\n', o->f);
		for (i = 0; i < o->ncol; i++)
			fprintf(o->f, "%*s = %s\n", w, o->names[i],
				c[i].text ? c[i].text : "");
		break;
	default:
		break;
	}
}

/* ---- table and box --------------------------------------------------------- */

/* Display columns of UTF-8 text: one per code point. */
static int text_cols(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The bytes of s's first cols code points. */
static size_t cols_bytes(const char *s, int cols)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cols-- == 0)
			break;
	return i;
}

struct frame {
	const char *h, *v, *tl, *tm, *tr, *ml, *mm, *mr, *bl, *bm, *br, *cut;
};

static const struct frame ascii = { "-", "|", "+", "+", "+", "+", "+", "+",
				    "+", "+", "+", "~" };
static const struct frame box = {
	"\u2500", "\u2502", "\u250c", "\u252c", "\u2510", "\u251c",
	"\u253c", "\u2524", "\u2514", "\u2534", "\u2518", "\u2026"
};

static const char *shown(const struct lbsh_cell *c, char *buf, size_t len)
{
	if (c->type == SQLITE_NULL)
		return "";
	if (c->type == SQLITE_INTEGER) {
		lbsh_group_digits(c->text, buf, len);
		return buf;
	}
	return c->text;
}

static void rule(FILE *f, const struct frame *fr, const int *w, int n,
		 const char *l, const char *m, const char *r)
{
	fputs(l, f);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < w[i] + 2; k++)
			fputs(fr->h, f);
		fputs(i + 1 < n ? m : r, f);
	}
	fputc('\n', f);
}

static void cell(FILE *f, const struct frame *fr, const char *s, int w,
		 bool right)
{
	int cols = text_cols(s);

	if (cols > w)
		fprintf(f, " %.*s%s ", (int)cols_bytes(s, w - 1), s, fr->cut);
	else if (right)
		fprintf(f, " %*s%s ", w - cols, "", s);
	else
		fprintf(f, " %s%*s ", s, w - cols, "");
	fputs(fr->v, f);
}

/* Narrows the widest columns (to 8 at least) until the line fits. */
static void fit(int *w, int n, int width)
{
	int total, i, widest;

	for (;;) {
		total = 1;
		widest = 0;
		for (i = 0; i < n; i++) {
			total += w[i] + 3;
			if (w[i] > w[widest])
				widest = i;
		}
		if (width <= 0 || total <= width || w[widest] <= 8)
			return;
		w[widest]--;
	}
}

/* Widths from the header and the rows kept, narrowed to the terminal. */
static int table_widths(struct lbsh_out *o)
{
	char buf[64];

	o->w = calloc((size_t)o->ncol, sizeof(*o->w));
	if (!o->w)
		return -ENOMEM;
	for (int i = 0; i < o->ncol; i++)
		o->w[i] = text_cols(o->names[i]);
	for (size_t r = 0; r < o->nrows; r++)
		for (int i = 0; i < o->ncol; i++) {
			const struct lbsh_cell *c = &o->cells[r * o->ncol + i];
			int cw = text_cols(shown(c, buf, sizeof(buf)));

			if (cw > o->w[i])
				o->w[i] = cw;
		}
	fit(o->w, o->ncol, o->width);
	return 0;
}

static const struct frame *frame_of(const struct lbsh_out *o)
{
	return o->mode == LBSH_MODE_BOX ? &box : &ascii;
}

static void table_head(struct lbsh_out *o)
{
	const struct frame *fr = frame_of(o);

	rule(o->f, fr, o->w, o->ncol, fr->tl, fr->tm, fr->tr);
	fputs(fr->v, o->f);
	for (int i = 0; i < o->ncol; i++)
		cell(o->f, fr, o->names[i], o->w[i], false);
	fputc('\n', o->f);
	rule(o->f, fr, o->w, o->ncol, fr->ml, fr->mm, fr->mr);
}

/* Prints the rows kept and lets them go. */
static void table_rows(struct lbsh_out *o)
{
	const struct frame *fr = frame_of(o);
	char buf[64];

	for (size_t r = 0; r < o->nrows; r++) {
		fputs(fr->v, o->f);
		for (int i = 0; i < o->ncol; i++) {
			struct lbsh_cell *c = &o->cells[r * o->ncol + i];

			cell(o->f, fr, shown(c, buf, sizeof(buf)), o->w[i],
			     c->type == SQLITE_INTEGER ||
				     c->type == SQLITE_FLOAT);
			free(c->text);
		}
		fputc('\n', o->f);
	}
	o->nrows = 0;
}

/*
 * A table is aligned on the rows it has seen: a result of many rows (a
 * scan of the connection table) is printed keep_max rows at a time, the
 * widths set by the first batch (wider values later are cut, marked), so
 * memory stays bounded whatever the result's size.
 */
static int table_flush(struct lbsh_out *o)
{
	if (!o->w) {
		if (table_widths(o))
			return -ENOMEM;
		table_head(o);
	}
	table_rows(o);
	return 0;
}

static void table_end(struct lbsh_out *o)
{
	const struct frame *fr = frame_of(o);

	if (table_flush(o))
		return;
	rule(o->f, fr, o->w, o->ncol, fr->bl, fr->bm, fr->br);
}

/* ---- the result set -------------------------------------------------------- */

int lbsh_out_begin(struct lbsh_out *o, FILE *f, enum lbsh_mode mode,
		   bool headers, int width, int ncol, const char *const *names)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->mode = mode;
	o->headers = headers;
	o->width = width;
	o->ncol = ncol;
	o->keep_max = LBSH_TABLE_KEEP;
	o->names = calloc((size_t)ncol + 1, sizeof(*o->names));
	if (!o->names)
		return -ENOMEM;
	for (int i = 0; i < ncol; i++) {
		o->names[i] = strdup(names[i] ? names[i] : "");
		if (!o->names[i])
			return -ENOMEM;
	}
	return 0;
}

static int keep_row(struct lbsh_out *o, const struct lbsh_cell *c)
{
	size_t n = (size_t)o->ncol;

	if (o->nrows == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct lbsh_cell *p = realloc(o->cells, cap * n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		o->cells = p;
		o->cap = cap;
	}
	struct lbsh_cell *row = &o->cells[o->nrows++ * n];
	int err = 0;

	/* Kept whole even when a copy fails, so free sees every cell. */
	for (size_t i = 0; i < n; i++) {
		row[i].type = c[i].type;
		row[i].text = c[i].text ? strdup(c[i].text) : NULL;
		if (c[i].text && !row[i].text)
			err = -ENOMEM;
	}
	return err;
}

int lbsh_out_row(struct lbsh_out *o, const struct lbsh_cell *c)
{
	int err = 0;

	if (streaming(o->mode))
		stream_row(o, c);
	else
		err = keep_row(o, c);
	if (!err && o->nrows >= o->keep_max)
		err = table_flush(o);
	if (!err)
		o->printed++;
	return err;
}

void lbsh_out_end(struct lbsh_out *o)
{
	if (o->mode == LBSH_MODE_JSON && o->printed)
		fputs("]\n", o->f);
	else if (!streaming(o->mode) && o->printed)
		table_end(o);
	fflush(o->f);
	lbsh_out_free(o);
}

void lbsh_out_free(struct lbsh_out *o)
{
	for (size_t i = 0; i < o->nrows * (size_t)o->ncol; i++)
		free(o->cells[i].text);
	free(o->cells);
	free(o->w);
	o->w = NULL;
	if (o->names)
		for (int i = 0; i < o->ncol; i++)
			free(o->names[i]);
	free(o->names);
	o->cells = NULL;
	o->names = NULL;
	o->nrows = o->cap = 0;
}
