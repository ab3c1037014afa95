// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * run.c - lines in, work out, the same for a file, a string, a pipe or
 * the prompt: a line starting with '.' while no statement is open is a
 * dot-command; other lines gather until the splitter sees a complete
 * statement, which then runs.  On an error a script stops (unless -bail
 * off) and an open transaction is rolled back, so a file of
 * "BEGIN; ...; COMMIT;" takes effect entirely or not at all.
 */
#include <stdlib.h>
#include <string.h>

#include "lbsh.h"

void lbsh_feed_init(struct lbsh_feed *fd)
{
	memset(fd, 0, sizeof(*fd));
}

void lbsh_feed_free(struct lbsh_feed *fd)
{
	free(fd->buf);
	memset(fd, 0, sizeof(*fd));
}

bool lbsh_feed_pending(const struct lbsh_feed *fd)
{
	return fd->len && !lbsh_sql_blank(fd->buf, fd->len);
}

static int append(struct lbsh_feed *fd, const char *line)
{
	size_t n = strlen(line);

	if (fd->len + n + 2 > fd->cap) {
		size_t cap = (fd->len + n + 2) * 2;
		char *p = realloc(fd->buf, cap);

		if (!p)
			return -1;
		fd->buf = p;
		fd->cap = cap;
	}
	memcpy(fd->buf + fd->len, line, n);
	fd->len += n;
	fd->buf[fd->len++] = '\n';
	fd->buf[fd->len] = '\0';
	return 0;
}

/* After a failed statement: a script stops, and takes nothing with it. */
static int failed(struct lbsh *sh)
{
	if (sh->interactive || !sh->bail)
		return 0;
	if (!sqlite3_get_autocommit(sh->db)) {
		sqlite3_exec(sh->db, "ROLLBACK", NULL, NULL, NULL);
		fprintf(stderr, "lbsh: the open transaction was rolled back: "
			"nothing of it was committed\n");
	}
	return -1;
}

/* Runs every complete statement in the buffer, keeps the rest. */
static int run_complete(struct lbsh *sh, struct lbsh_feed *fd)
{
	size_t end;

	while ((end = lbsh_stmt_end(fd->buf, fd->len)) > 0) {
		char save = fd->buf[end];
		int err;

		fd->buf[end] = '\0';
		sh->line = fd->first_line;
		err = lbsh_exec(sh, fd->buf);
		fd->buf[end] = save;
		memmove(fd->buf, fd->buf + end, fd->len - end + 1);
		fd->len -= end;
		if (err && failed(sh))
			return -1;
		if (lbsh_interrupted)
			break;
	}
	return 0;
}

int lbsh_feed_line(struct lbsh *sh, struct lbsh_feed *fd, const char *line)
{
	const char *p = line;
	int err;

	sh->line++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '.' && !lbsh_feed_pending(fd)) {
		fd->len = 0;
		err = lbsh_dot(sh, p);
		if (err && failed(sh))
			return -1;
		return sh->quit ? -1 : 0;
	}
	if (!lbsh_feed_pending(fd)) {
		fd->len = 0;
		fd->first_line = sh->line;
	}
	if (append(fd, line)) {
		lbsh_error(sh, "out of memory");
		return -1;
	}
	return run_complete(sh, fd);
}

/* Input that ends inside a statement: run it as sqlite3 does (SQLite
 * then says what is missing). */
static int finish(struct lbsh *sh, struct lbsh_feed *fd)
{
	int err = 0;

	if (lbsh_feed_pending(fd)) {
		sh->line = fd->first_line;
		if (lbsh_exec(sh, fd->buf))
			err = failed(sh);
	}
	lbsh_feed_free(fd);
	return err;
}

int lbsh_run_stream(struct lbsh *sh, FILE *in, const char *name)
{
	const char *src = sh->src;
	int line = sh->line, err = 0;
	struct lbsh_feed fd;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	lbsh_feed_init(&fd);
	sh->src = name;
	sh->line = 0;
	while (!err && (n = getline(&buf, &cap, in)) >= 0) {
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n && buf[n - 1] == '\r')
			buf[--n] = '\0';
		err = lbsh_feed_line(sh, &fd, buf);
	}
	if (!err)
		err = finish(sh, &fd);
	lbsh_feed_free(&fd);
	free(buf);
	sh->src = src;
	sh->line = line;
	return err;
}

int lbsh_run_file(struct lbsh *sh, const char *path)
{
	FILE *f = fopen(path, "r");
	int err;

	if (!f) {
		lbsh_error(sh, "cannot open \"%s\": %m", path);
		return -1;
	}
	err = lbsh_run_stream(sh, f, path);
	fclose(f);
	return err;
}

int lbsh_run_string(struct lbsh *sh, const char *sql)
{
	FILE *f;
	int err;

	if (!*sql)
		return 0;
	f = fmemopen((void *)sql, strlen(sql), "r");
	if (!f) {
		lbsh_error(sh, "out of memory");
		return -1;
	}
	err = lbsh_run_stream(sh, f, "-c");
	fclose(f);
	return err;
}
