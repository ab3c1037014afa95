// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * input.c - the prompt: readline's callback interface in a poll loop, so
 * that Ctrl-C can drop the line and the statement being typed and give a
 * fresh prompt (while a statement runs, the same Ctrl-C interrupts it:
 * see main.c); history kept in ~/.lbsh_history line by line as typed, so
 * a shell that is killed keeps it; tab completion of dot-commands, SQL
 * keywords, table, view and column names (read from the database each
 * time, so new tables complete at once).
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "lbsh.h"

#define PROMPT      "lbsh> "
#define PROMPT_MORE "   ...> "
#define HISTORY_MAX 2000

static struct lbsh *shell;
static struct lbsh_feed feed;
static bool done;

/* ---- completion ------------------------------------------------------------ */

static char **words;
static size_t nwords;

static void words_free(void)
{
	for (size_t i = 0; i < nwords; i++)
		free(words[i]);
	free(words);
	words = NULL;
	nwords = 0;
}

static void word_add(const char *w)
{
	char **p;

	if (!w || !(p = realloc(words, (nwords + 1) * sizeof(*words))))
		return;
	words = p;
	if ((words[nwords] = strdup(w)))
		nwords++;
}

#define NAMES_SQL \
	"SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') " \
	"UNION SELECT p.name FROM sqlite_schema s, pragma_table_info(s.name) p " \
	"WHERE s.type IN ('table', 'view')"

static void words_load(void)
{
	sqlite3_stmt *st;
	char sql[128];

	words_free();
	for (int i = 0; i < sqlite3_keyword_count(); i++) {
		const char *k;
		int n;

		if (sqlite3_keyword_name(i, &k, &n) == SQLITE_OK &&
		    n < (int)sizeof(sql)) {
			snprintf(sql, sizeof(sql), "%.*s", n, k);
			word_add(sql);
		}
	}
	if (sqlite3_prepare_v2(shell->db, NAMES_SQL, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			word_add((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	for (size_t i = 0; lbsh_live_names[i]; i++) {
		word_add(lbsh_live_names[i]);
		snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info"
			 "('%s')", lbsh_live_names[i]);
		if (sqlite3_prepare_v2(shell->db, sql, -1, &st, NULL))
			continue;
		while (sqlite3_step(st) == SQLITE_ROW)
			word_add((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
}

/* A keyword comes back in the case the user started typing it in. */
static char *match_case(const char *w, const char *typed)
{
	char *s = strdup(w);

	if (s && typed[0] && islower((unsigned char)typed[0]))
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return s;
}

static char *word_gen(const char *text, int state)
{
	static size_t i;
	size_t n = strlen(text);

	if (!state)
		i = 0;
	while (i < nwords) {
		const char *w = words[i++];

		if (!strncasecmp(w, text, n))
			return match_case(w, text);
	}
	return NULL;
}

static char *dot_gen(const char *text, int state)
{
	static size_t i;
	size_t n = strlen(text);

	if (!state)
		i = 0;
	while (lbsh_dot_names[i])
		if (!strncmp(lbsh_dot_names[i++], text, n))
			return strdup(lbsh_dot_names[i - 1]);
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	/* .read FILE and .import FILE: readline's file names. */
	if (start > 0 && (!strncmp(rl_line_buffer, ".read ", 6) ||
			  !strncmp(rl_line_buffer, ".import ", 8) ||
			  !strncmp(rl_line_buffer, ".output ", 8)))
		return NULL;
	rl_attempted_completion_over = 1;
	if (start == 0 && text[0] == '.' && !lbsh_feed_pending(&feed))
		return rl_completion_matches(text, dot_gen);
	words_load();
	return rl_completion_matches(text, word_gen);
}

/* ---- history --------------------------------------------------------------- */

static void history_open(struct lbsh *sh)
{
	const char *home = getenv("HOME");

	if (!home || !*home)
		return;
	if (asprintf(&sh->history, "%s/.lbsh_history", home) < 0) {
		sh->history = NULL;
		return;
	}
	using_history();
	stifle_history(HISTORY_MAX);
	if (read_history(sh->history) == ENOENT)
		write_history(sh->history); /* append_history needs a file */
}

static void history_keep(const char *line)
{
	if (!*line)
		return;
	add_history(line);
	if (shell->history)
		append_history(1, shell->history);
}

/* ---- the loop ---------------------------------------------------------------- */

static const char *prompt(void)
{
	return lbsh_feed_pending(&feed) ? PROMPT_MORE : PROMPT;
}

static void on_line(char *line)
{
	if (!line) {
		done = true;
		putchar('\n');
		return;
	}
	history_keep(line);
	if (lbsh_feed_line(shell, &feed, line) && shell->quit)
		done = true;
	lbsh_interrupted = 0; /* a Ctrl-C that stopped a statement is used */
	lbsh_nudge_flush(shell, 50);
	free(line);
	if (done) /* no prompt after .quit */
		rl_callback_handler_remove();
	else
		rl_set_prompt(prompt());
}

/* Ctrl-C at the prompt: forget the line and the statement so far. */
static void cancel_input(void)
{
	lbsh_interrupted = 0;
	feed.len = 0;
	rl_free_line_state();
	rl_callback_sigcleanup();
	rl_replace_line("", 0);
	fputs("^C\n", rl_outstream ? rl_outstream : stdout);
	rl_set_prompt(prompt());
	rl_on_new_line();
	rl_redisplay();
}

int lbsh_interactive(struct lbsh *sh)
{
	struct pollfd p = { .fd = fileno(stdin), .events = POLLIN };

	shell = sh;
	lbsh_feed_init(&feed);
	rl_readline_name = "lbsh";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 1;
	rl_attempted_completion_function = complete;
	history_open(sh);
	rl_callback_handler_install(PROMPT, on_line);
	while (!done) {
		if (poll(&p, 1, -1) < 0) {
			if (errno != EINTR)
				break;
			if (lbsh_interrupted)
				cancel_input();
			continue;
		}
		rl_callback_read_char();
	}
	if (!sh->quit)
		rl_callback_handler_remove();
	if (sh->history)
		history_truncate_file(sh->history, HISTORY_MAX);
	lbsh_feed_free(&feed);
	words_free();
	return 0;
}
