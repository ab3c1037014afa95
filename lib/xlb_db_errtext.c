// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_db_errtext.c - the sentence behind a schema check's error.
 *
 * SQLite 3.40's RAISE() takes only a literal, so the schema's checks fail
 * through json_extract() with their sentence as a malformed JSON path, and
 * SQLite reports it quoted SQL-style (every ' doubled):
 *   JSON path error near 'node 1: interface "eth 0" is not ...'
 * Users should read only the sentence.
 */
#include <stdio.h>
#include <string.h>

#include "xlb_db.h"

/* What precedes the quoted path, by SQLite version. */
static const char *const json_path_markers[] = {
	"JSON path error near '", /* up to 3.44 (Debian 12: 3.40) */
	"bad JSON path: '",       /* 3.45 and later */
};

static const char *quoted_sentence(const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(json_path_markers) / sizeof(json_path_markers[0]);
	     i++) {
		const char *p = strstr(msg, json_path_markers[i]);

		if (p)
			return p + strlen(json_path_markers[i]);
	}
	return NULL;
}

const char *xlb_db_error_text(const char *msg, char *buf, size_t len)
{
	const char *p;
	size_t n = 0;

	if (!msg)
		msg = "";
	p = quoted_sentence(msg);
	if (!p) {
		snprintf(buf, len, "%s", msg);
		return buf;
	}
	/* Inside the quotes '' stands for '; a lone ' closes them. */
	while (*p && n + 1 < len) {
		if (*p == '\'' && *++p != '\'')
			break;
		buf[n++] = *p++;
	}
	buf[n] = '\0';
	return buf;
}
