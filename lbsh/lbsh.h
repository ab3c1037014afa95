/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbsh.h - the shell's parts and the state they share.
 *
 * lbsh is SQLite's shell over xlb's database, plus the datapath's pinned
 * maps as read-only virtual tables (live_*).  main.c opens things, run.c
 * feeds lines from a file, a string or readline (input.c) through the
 * statement splitter (split.c) to dot-commands (dot.c) or SQL (exec.c),
 * and output.c prints results.  Writes go through write.c (which tables
 * may be written, the error text, the nudge to lbd).
 */
#ifndef LBSH_H
#define LBSH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "xlb_bus.h"

/* ---- statement splitter (split.c) ---------------------------------------- */

/*
 * The end of the first complete SQL statement in sql[0..len): the offset
 * just after its terminating ';', or 0 when the text holds no complete
 * statement yet (a ';' inside quotes, identifiers, comments or a trigger
 * body does not end one).
 */
size_t lbsh_stmt_end(const char *sql, size_t len);

/* True when sql[0..len) holds only blanks and comments. */
bool lbsh_sql_blank(const char *sql, size_t len);

/* ---- dot-command words (dotparse.c) --------------------------------------- */

#define LBSH_ARGS_MAX 16

struct lbsh_args {
	int argc;
	char *argv[LBSH_ARGS_MAX];
	char *rest[LBSH_ARGS_MAX]; /* the raw text from word i to the end */
	char buf[4096];
};

/*
 * Splits a dot-command line ("." included) into words: blanks separate,
 * '...' and "..." quote (a doubled quote inside stands for one), a
 * backslash escapes the next character outside single quotes.  argv[0] is
 * the command without its dot.  -EINVAL for an unterminated quote, -E2BIG
 * for too many words or too long a line.
 */
int lbsh_args_parse(const char *line, struct lbsh_args *a);

/* "on"/"off"/"1"/"0"/"yes"/"no"/"true"/"false": 1 or 0; -1 otherwise. */
int lbsh_bool_parse(const char *s);

/* ---- output (output.c) ----------------------------------------------------- */

enum lbsh_mode {
	LBSH_MODE_TABLE, /* +---+ ASCII table */
	LBSH_MODE_BOX,   /* Unicode box drawing */
	LBSH_MODE_CSV,
	LBSH_MODE_JSON,
	LBSH_MODE_LINE,  /* one "name = value" per line */
	LBSH_MODE_LIST,  /* values separated by '|' */
	LBSH_MODE_MAX
};

const char *lbsh_mode_name(enum lbsh_mode m);
/* -1 for an unknown name. */
int lbsh_mode_parse(const char *s);

/* One cell: SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB (as
 * text) or SQLITE_NULL; text is NUL-terminated (NULL for SQLITE_NULL). */
struct lbsh_cell {
	int type;
	char *text;
};

/*
 * One result set being printed.  Streaming modes (csv, json, line, list)
 * print each row as it comes; table and box keep the rows to align them,
 * then print at lbsh_out_end().  The printer owns copies of everything.
 */
struct lbsh_out {
	FILE *f;
	enum lbsh_mode mode;
	bool headers;     /* csv and list: a first line of column names */
	int width;        /* table/box: the terminal's columns, 0 none */
	int ncol;
	char **names;
	struct lbsh_cell *cells; /* kept rows (table, box) */
	size_t nrows, cap;
	size_t keep_max;  /* table, box: rows kept before printing */
	int *w;           /* table, box: the widths, once printing */
	size_t printed;   /* rows printed or kept */
};

/* Rows a table aligns on before it prints them (and the next ones). */
#define LBSH_TABLE_KEEP 1000

int lbsh_out_begin(struct lbsh_out *o, FILE *f, enum lbsh_mode mode,
		   bool headers, int width, int ncol, const char *const *names);
int lbsh_out_row(struct lbsh_out *o, const struct lbsh_cell *cells);
void lbsh_out_end(struct lbsh_out *o);
/* Frees what begin and row kept (end calls it). */
void lbsh_out_free(struct lbsh_out *o);

/* "1234567" -> "1,234,567" for table and box output; other text as it is. */
void lbsh_group_digits(const char *in, char *out, size_t len);

/* ---- the shell ------------------------------------------------------------ */

struct lbsh {
	sqlite3 *db;
	const char *db_path;
	const char *pin_dir;
	const char *rundir;
	bool readonly;     /* opened read-only: asked for, or not writable */
	bool readonly_asked; /* -readonly */
	bool interactive;  /* input from readline */
	bool bail;         /* stop at the first error */
	bool timer;
	bool headers;
	bool quit;
	enum lbsh_mode mode;
	FILE *out;         /* stdout or .output FILE */
	char *history;     /* ~/.lbsh_history, malloc'd (NULL: none) */
	int errors;        /* statements and commands that failed */
	/* Where the statement being run came from, for error messages. */
	const char *src;
	int line;
	/* A write refused by the authorizer says why here. */
	char denied[512];
	/* "backend, health_check, node, service": the writable tables. */
	char config_tables[256];
	/* Every table the schema made (there when the file was opened). */
	char schema_tables[2048];
	/* The requester to lbd-ctl, opened at the first write. */
	struct xlb_bus ctl;
	bool ctl_open;
	bool dirty;        /* changes not yet committed */
	bool pending;      /* a committed change lbd was not told of */
	bool nudged;       /* a nudge's reply not yet read */
	uint64_t seq;      /* our request count */
};

extern struct lbsh *lbsh_current;         /* for signal handlers */
extern volatile sig_atomic_t lbsh_interrupted;

/* run.c: lines in, statements and dot-commands out. */
struct lbsh_feed {
	char *buf;
	size_t len, cap;
	int first_line; /* line of the statement's start */
};
void lbsh_feed_init(struct lbsh_feed *fd);
void lbsh_feed_free(struct lbsh_feed *fd);
/* Adds one line (without its newline); runs what it completes.  Returns
 * 0, or -1 when the shell must stop (bail on error, .quit). */
int lbsh_feed_line(struct lbsh *sh, struct lbsh_feed *fd, const char *line);
/* True when a statement is waiting for more lines. */
bool lbsh_feed_pending(const struct lbsh_feed *fd);
/* Reads a whole stream; returns 0 or -1 as lbsh_feed_line. */
int lbsh_run_stream(struct lbsh *sh, FILE *in, const char *name);
int lbsh_run_file(struct lbsh *sh, const char *path);
int lbsh_run_string(struct lbsh *sh, const char *sql);

/* exec.c: one SQL statement (possibly with a trailing ';'). */
int lbsh_exec(struct lbsh *sh, const char *sql);
/* Runs sql, printing through o's settings; used by exec and .watch. */
int lbsh_query(struct lbsh *sh, sqlite3_stmt *st, struct lbsh_out *o);
/* Prints an error as "Error: [near line N: ]msg" and counts it. */
void lbsh_error(struct lbsh *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The terminal's width for table output (0 when not a terminal). */
int lbsh_term_width(const struct lbsh *sh);

/* dot.c */
int lbsh_dot(struct lbsh *sh, const char *line);
/* Names for completion: NULL-terminated. */
extern const char *const lbsh_dot_names[];

/* write.c */
int lbsh_authorize_install(struct lbsh *sh);
/* The message for a failed statement (schema check text, refused write). */
const char *lbsh_error_text(struct lbsh *sh, int rc, char *buf, size_t len);
/* After a statement: when it committed a change, nudge lbd. */
void lbsh_after_write(struct lbsh *sh, int changes_before);
/* Sends a pending nudge, waiting at most timeout_ms for a connection. */
void lbsh_nudge_flush(struct lbsh *sh, int timeout_ms);
/* .sync: waits for lbd to apply everything, prints the revision. */
int lbsh_sync(struct lbsh *sh, int timeout_ms);
/* Waits briefly for an outstanding nudge, then closes the requester. */
void lbsh_ctl_close(struct lbsh *sh);
/* True when name is a table lbsh refuses to write (runtime, live). */
bool lbsh_table_readonly(const struct lbsh *sh, const char *name,
			 const char **why);

/* import.c */
int lbsh_import(struct lbsh *sh, const char *file, const char *table);

/* watch.c */
int lbsh_watch(struct lbsh *sh, double seconds, long times, const char *sql);

/* input.c: the interactive loop. */
int lbsh_interactive(struct lbsh *sh);

/* live.c: registers every live_* virtual table on the connection. */
int lbsh_live_register(struct lbsh *sh);
/* Names and declarations of the live tables, NULL-terminated. */
extern const char *const lbsh_live_names[];
const char *lbsh_live_schema(const char *name);

#endif /* LBSH_H */
