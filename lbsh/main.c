// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - lbsh's life: parse options, open the database (read-only, with
 * a word saying so, for a user who may not write it), register the live
 * tables, then read statements from -c, a file, a pipe or the prompt.
 *
 *   lbsh [--db FILE] [--pin-dir DIR] [--rundir DIR] [-readonly]
 *        [-table|-box|-csv|-json|-line|-list] [-header|-noheader]
 *        [-bail [on|off] | --keep-going] [-c SQL | SCRIPT]
 *
 * Options take one dash or two, as in sqlite3.  Exit status: 0, or 1 when
 * a statement or command failed (a script stops at the first unless told
 * to keep going), 2 for bad options or a database that cannot be opened.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbsh.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"

#define LBSH_DB_DEFAULT "/var/lib/xlb/xlb.db"

struct lbsh *lbsh_current;
volatile sig_atomic_t lbsh_interrupted;

struct options {
	const char *command;
	const char *script;
	bool readonly;
	int mode;         /* -1: the default */
	int headers;      /* -1: the default */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lbsh [OPTIONS] [SCRIPT]\n"
		"  --db FILE       the database (default " LBSH_DB_DEFAULT ")\n"
		"  --pin-dir DIR   the datapath's pins (default "
		XLB_PIN_DIR_DEFAULT ")\n"
		"  --rundir DIR    lbd's sockets (default " XLB_BUS_RUNDIR ")\n"
		"  -c SQL          run SQL (statements and dot-commands), exit\n"
		"  -table -box -csv -json -line -list   output mode\n"
		"  -header, -noheader                 column names in csv/list\n"
		"  -bail [on|off]  stop at the first error (default on)\n"
		"  --keep-going    the same as -bail off\n"
		"  -readonly       open the database read-only\n"
		"Without -c or SCRIPT, reads standard input: a prompt with "
		"history and\ncompletion on a terminal.  .help lists the "
		"dot-commands.\n");
}

/* "--name" and "-name" alike; "--name=value" gives value in *val. */
static bool opt_is(const char *arg, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	if (strncmp(arg, name, n))
		return false;
	if (arg[n] == '=' && val) {
		*val = arg + n + 1;
		return true;
	}
	return arg[n] == '\0';
}

/* The value of an option: after '=' or the next argument. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq)
		return eq;
	if (*i + 1 >= argc) {
		fprintf(stderr, "lbsh: %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int parse_flag(struct lbsh *sh, struct options *o, int argc,
		      char **argv, int *i)
{
	const char *a = argv[*i];
	int m;

	if (opt_is(a, "bail", NULL)) {
		sh->bail = true;
		if (*i + 1 < argc && lbsh_bool_parse(argv[*i + 1]) >= 0)
			sh->bail = lbsh_bool_parse(argv[++*i]);
		return 0;
	}
	if (opt_is(a, "keep-going", NULL)) {
		sh->bail = false;
		return 0;
	}
	if (opt_is(a, "readonly", NULL)) {
		o->readonly = true;
		return 0;
	}
	if (opt_is(a, "header", NULL) || opt_is(a, "headers", NULL)) {
		o->headers = 1;
		return 0;
	}
	if (opt_is(a, "noheader", NULL) || opt_is(a, "noheaders", NULL)) {
		o->headers = 0;
		return 0;
	}
	m = a[0] == '-' ? lbsh_mode_parse(a + (a[1] == '-' ? 2 : 1)) : -1;
	if (m >= 0) {
		o->mode = m;
		return 0;
	}
	fprintf(stderr, "lbsh: unknown option \"%s\"\n", a);
	usage(stderr);
	return -1;
}

static int parse_options(int argc, char **argv, struct lbsh *sh,
			 struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = NULL, **slot = NULL;

		if (opt_is(a, "help", NULL) || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (opt_is(a, "db", &eq))
			slot = &sh->db_path;
		else if (opt_is(a, "pin-dir", &eq))
			slot = &sh->pin_dir;
		else if (opt_is(a, "rundir", &eq))
			slot = &sh->rundir;
		else if (!strcmp(a, "-c") || opt_is(a, "command", &eq))
			slot = &o->command;
		if (slot) {
			if (!(*slot = opt_value(argc, argv, &i, eq)))
				return -1;
		} else if (a[0] == '-' && a[1]) {
			if (parse_flag(sh, o, argc, argv, &i))
				return -1;
		} else if (!o->script) {
			o->script = a;
		} else {
			fprintf(stderr, "lbsh: one SCRIPT at most (\"%s\")\n", a);
			return -1;
		}
	}
	if (o->command && o->script) {
		fprintf(stderr, "lbsh: -c and a SCRIPT together\n");
		return -1;
	}
	return 0;
}

/* Whether this user may write the file (and its folder, for the WAL). */
static bool may_write(const char *path)
{
	char dir[PATH_MAX];

	if (access(path, F_OK) == 0 && access(path, W_OK))
		return false;
	snprintf(dir, sizeof(dir), "%s", path);
	/* A missing folder is not a permission: opening will say so. */
	return access(dirname(dir), W_OK) == 0 || errno == ENOENT;
}

/* Opens read-only; rc is SQLite's result of a first read. */
static int try_readonly(struct lbsh *sh, const char *uri)
{
	int rc = sqlite3_open_v2(uri, &sh->db,
				 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(sh->db, 1);
		rc = sqlite3_exec(sh->db, "SELECT count(*) FROM sqlite_schema",
				  NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		fprintf(stderr, "lbsh: %s: %s\n", sh->db_path,
			sh->db ? sqlite3_errmsg(sh->db) : "cannot open");
		sqlite3_close(sh->db);
		sh->db = NULL;
	}
	return rc;
}

/*
 * A reader of a WAL database needs its -shm file: it may use one that
 * exists (lbd keeps it while it runs), or create it in the folder.  When
 * neither is possible (a copy in a folder the user cannot write, nothing
 * running), the file is opened as an immutable snapshot, and lbsh says so.
 */
static int open_readonly(struct lbsh *sh)
{
	unsigned int have = 0;
	char *uri;
	int rc;

	uri = sqlite3_mprintf("file:%s?mode=ro", sh->db_path);
	rc = uri ? try_readonly(sh, uri) : SQLITE_NOMEM;
	sqlite3_free(uri);
	if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN) {
		uri = sqlite3_mprintf("file:%s?immutable=1", sh->db_path);
		rc = uri ? try_readonly(sh, uri) : SQLITE_NOMEM;
		sqlite3_free(uri);
		if (rc == SQLITE_OK)
			fprintf(stderr, "lbsh: no shared-memory file beside %s "
				"and its folder is not writable: reading it as "
				"a snapshot (later changes are not seen)\n",
				sh->db_path);
	}
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(sh->db, XLB_DB_BUSY_MS);
	xlb_db_user_version(sh->db, &have);
	if (have < xlb_db_schema_version())
		fprintf(stderr, "lbsh: %s has schema version %u, this lbsh "
			"knows %u: what is newer is missing until a writer "
			"opens it\n", sh->db_path, have,
			xlb_db_schema_version());
	return 0;
}

static int open_db(struct lbsh *sh, const struct options *o)
{
	sh->readonly = sh->readonly_asked = o->readonly;
	if (!sh->readonly && !may_write(sh->db_path)) {
		sh->readonly = true;
		fprintf(stderr, "lbsh: %s is not writable by this user "
			"(uid %u): read-only shell, writes will be refused\n",
			sh->db_path, (unsigned int)getuid());
	}
	if (sh->readonly)
		return open_readonly(sh);
	if (xlb_db_open(sh->db_path, &sh->db)) {
		fprintf(stderr, "lbsh: %s\n", xlb_errmsg());
		return -1;
	}
	return 0;
}

static void on_sigint(int sig)
{
	(void)sig;
	lbsh_interrupted = 1;
	if (lbsh_current && lbsh_current->db)
		sqlite3_interrupt(lbsh_current->db);
}

static void handle_sigint(void)
{
	struct sigaction sa = { .sa_handler = on_sigint };

	/* No SA_RESTART: a Ctrl-C must wake the prompt's poll(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

static int run(struct lbsh *sh, const struct options *o)
{
	if (o->command)
		return lbsh_run_string(sh, o->command);
	if (o->script)
		return lbsh_run_file(sh, o->script);
	if (sh->interactive) {
		printf("lbsh: %s%s, datapath %s; .help for help\n",
		       sh->db_path, sh->readonly ? " (read-only)" : "",
		       sh->pin_dir);
		return lbsh_interactive(sh);
	}
	return lbsh_run_stream(sh, stdin, "stdin");
}

int main(int argc, char **argv)
{
	struct lbsh sh = { .db_path = LBSH_DB_DEFAULT,
			   .pin_dir = XLB_PIN_DIR_DEFAULT,
			   .rundir = XLB_BUS_RUNDIR,
			   .bail = true, .out = stdout };
	struct options o = { .mode = -1, .headers = -1 };

	if (parse_options(argc, argv, &sh, &o))
		return 2;
	sh.interactive = !o.command && !o.script && isatty(fileno(stdin));
	sh.mode = o.mode >= 0 ? (enum lbsh_mode)o.mode : LBSH_MODE_TABLE;
	sh.headers = o.headers > 0;
	if (open_db(&sh, &o))
		return 2;
	if (lbsh_live_register(&sh) || lbsh_authorize_install(&sh)) {
		fprintf(stderr, "lbsh: %s\n", sqlite3_errmsg(sh.db));
		sqlite3_close(sh.db);
		return 2;
	}
	lbsh_current = &sh;
	if (sh.interactive)
		handle_sigint();
	run(&sh, &o);
	lbsh_ctl_close(&sh);
	if (sh.out != stdout)
		fclose(sh.out);
	lbsh_current = NULL;
	/* An open transaction is not committed by leaving: say so. */
	if (!sqlite3_get_autocommit(sh.db))
		fprintf(stderr, "lbsh: leaving inside a transaction: "
			"rolled back\n");
	if (sh.readonly)
		sqlite3_close(sh.db);
	else
		xlb_db_close(sh.db);
	free(sh.history);
	return sh.errors ? 1 : 0;
}
