// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * split.c - where a statement ends: at a ';' outside quotes ('...'),
 * identifiers ("...", [...], `...`) and comments (-- and C style).  A
 * CREATE TRIGGER holds statements of its own, so it ends only at a ';'
 * right after its END, as in sqlite3_complete(); a word is only a word
 * when it stands alone (not "backend" for END, not "created" for CREATE).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lbsh.h"

struct words {
	int n;          /* significant tokens seen in this statement */
	bool create;    /* token 1 was CREATE */
	bool trigger;   /* CREATE [TEMP|TEMPORARY] TRIGGER */
	bool last_end;  /* the last token was END */
};

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

static bool is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && !strncasecmp(w, kw, n);
}

static void see_word(struct words *s, const char *w, size_t n)
{
	s->n++;
	if (s->n == 1)
		s->create = is(w, n, "create");
	else if (s->create && (s->n == 2 || s->n == 3) && is(w, n, "trigger"))
		s->trigger = true;
	else if (s->create && s->n == 2 && !is(w, n, "temp") &&
		 !is(w, n, "temporary"))
		s->create = false;
	s->last_end = is(w, n, "end");
}

static void see_other(struct words *s)
{
	s->n++;
	s->last_end = false;
}

/* Skips a quoted run that started at sql[i] (the opening char); returns
 * the offset after the closing one, or len when it is not closed. */
static size_t skip_quoted(const char *sql, size_t len, size_t i, char close)
{
	for (i++; i < len; i++) {
		if (sql[i] != close)
			continue;
		if (close != ']' && i + 1 < len && sql[i + 1] == close) {
			i++; /* doubled: one quote char inside */
			continue;
		}
		return i + 1;
	}
	return len + 1; /* open: no end */
}

/* Comments: returns the offset after one starting at i, i when none,
 * len + 1 when a block comment is still open. */
static size_t skip_comment(const char *sql, size_t len, size_t i)
{
	if (sql[i] == '-' && i + 1 < len && sql[i + 1] == '-') {
		while (i < len && sql[i] != '\n')
			i++;
		return i;
	}
	if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
		for (i += 2; i + 1 < len; i++)
			if (sql[i] == '*' && sql[i + 1] == '/')
				return i + 2;
		return len + 1;
	}
	return i;
}

size_t lbsh_stmt_end(const char *sql, size_t len)
{
	struct words s = { 0 };
	size_t i = 0, j;

	while (i < len) {
		char c = sql[i];

		j = skip_comment(sql, len, i);
		if (j > len)
			return 0;
		if (j != i) {
			i = j;
			continue;
		}
		if (c == '\'' || c == '"' || c == '`' || c == '[') {
			j = skip_quoted(sql, len, i, c == '[' ? ']' : c);
			if (j > len)
				return 0;
			see_other(&s);
			i = j;
		} else if (c == ';') {
			if (!s.trigger || s.last_end)
				return i + 1;
			see_other(&s);
			i++;
		} else if (word_char(c)) {
			for (j = i; j < len && word_char(sql[j]); j++)
				;
			see_word(&s, sql + i, j - i);
			i = j;
		} else if (isspace((unsigned char)c)) {
			i++;
		} else {
			see_other(&s);
			i++;
		}
	}
	return 0;
}

bool lbsh_sql_blank(const char *sql, size_t len)
{
	size_t i = 0, j;

	while (i < len) {
		if (isspace((unsigned char)sql[i])) {
			i++;
			continue;
		}
		j = skip_comment(sql, len, i);
		if (j == i)
			return false;
		if (j > len)
			return true; /* an open comment is still nothing */
		i = j;
	}
	return true;
}
