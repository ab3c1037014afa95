// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dotparse.c - a dot-command line into words, the way SQLite's shell
 * reads them: blanks separate, quotes group, and each word also keeps the
 * raw text from where it starts (so `.watch 2 SELECT ...` gets its query
 * unquoted and whole).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lbsh.h"

/* Copies one word starting at *p into the buffer; moves *p past it. */
static int one_word(const char **p, char **dst, const char *end)
{
	const char *s = *p;
	char *d = *dst;

	while (*s && !isspace((unsigned char)*s)) {
		char q = *s;

		if (q == '\'' || q == '"') {
			for (s++;; s++) {
				if (!*s)
					return -EINVAL;
				if (*s == q && s[1] == q) {
					s++;
				} else if (*s == q) {
					s++;
					break;
				} else if (*s == '\\' && q == '"' && s[1]) {
					s++;
				}
				if (d >= end)
					return -E2BIG;
				*d++ = *s;
			}
			continue;
		}
		if (q == '\\' && s[1])
			s++;
		if (d >= end)
			return -E2BIG;
		*d++ = *s++;
	}
	if (d >= end)
		return -E2BIG;
	*d++ = '\0';
	*p = s;
	*dst = d;
	return 0;
}

int lbsh_args_parse(const char *line, struct lbsh_args *a)
{
	const char *p = line;
	char *d = a->buf, *end = a->buf + sizeof(a->buf);
	int err;

	memset(a, 0, sizeof(*a));
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '.')
		p++;
	while (*p) {
		if (a->argc == LBSH_ARGS_MAX)
			return -E2BIG;
		a->argv[a->argc] = d;
		/* The raw rest lives in the caller's line. */
		a->rest[a->argc] = (char *)p;
		err = one_word(&p, &d, end);
		if (err)
			return err;
		a->argc++;
		while (isspace((unsigned char)*p))
			p++;
	}
	return a->argc ? 0 : -EINVAL;
}

int lbsh_bool_parse(const char *s)
{
	static const char *const yes[] = { "on", "1", "yes", "true" };
	static const char *const no[] = { "off", "0", "no", "false" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -1;
}
