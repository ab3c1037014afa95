// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * write.c - what lbsh lets a statement write, what it says when a write
 * fails, and telling lbd about a committed change.
 *
 * Only the config tables are the operator's: those whose triggers log to
 * `revision`, read from the schema.  The runtime tables are lbd's record
 * of what it applied and heard, and the live tables are the datapath's
 * maps: an authorizer refuses statements that write them, saying so,
 * while the triggers of a config write (which append to `revision`) go
 * on as always.  TEMP tables, and tables the user creates, are the user's.  A schema check fails through json_extract()
 * with a sentence naming the table, key and field (schema/001_init.sql);
 * lbsh shows that sentence alone.  SQLite runs each statement as a unit,
 * and run.c rolls back a script's open transaction when it stops at an
 * error, so nothing partial is ever committed.
 *
 * A committed change is applied by lbd on its own (it polls the file's
 * data_version); lbsh also sends SYNC_REQ on lbd-ctl so lbd looks at once.
 * The nudge never holds a statement up: it is sent at once when lbd is
 * connected, else kept pending and sent at the prompt or on leaving;
 * lbsh reads lbd's reply (if any) when it next talks to lbd or leaves.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lbsh.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"
#include "xlb_msg.h"

static const struct {
	const char *name;
	const char *why;
} readonly_tables[] = {
	{ "revision", "the revision log, appended by the config tables' "
		      "triggers" },
	{ "applied", "runtime state written by lbd" },
	{ "backend_health", "runtime state written by lbd from hcd's "
			    "reports" },
	{ "vip_state", "runtime state written by lbd" },
	{ "reject", "runtime state written by lbd" },
	{ "service_panic", "runtime state written by lbd" },
	{ "prime", "part of the schema's checks" },
	{ "service_check", "part of the schema's checks" },
	{ "backend_check", "part of the schema's checks" },
	{ "node_check", "part of the schema's checks" },
	{ "health_check_check", "part of the schema's checks" },
};

/* A config table is one whose changes lbd applies: its triggers append
 * to the revision log (DESIGN.md).  Read from the schema, so a table a
 * later migration adds is writable, or not, by the same rule. */
#define CONFIG_SQL \
	"SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'trigger' " \
	"AND sql LIKE '%INSERT INTO revision%' ORDER BY tbl_name"

/* "a, b, c" of the names a query returns into buf; -E2BIG if too long. */
static int load_names(struct lbsh *sh, const char *sql, char *buf,
		      size_t len)
{
	sqlite3_stmt *st;
	size_t n = 0;

	if (sqlite3_prepare_v2(sh->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	buf[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? ", " : "", t);
	}
	sqlite3_finalize(st);
	return n < len ? 0 : -E2BIG;
}

/* The schema's own tables: those there when lbsh opened the file (a
 * table the user creates afterwards is the user's). */
#define SCHEMA_SQL \
	"SELECT name FROM sqlite_schema WHERE type = 'table' " \
	"AND name NOT LIKE 'sqlite_%' ORDER BY name"

static bool in_list(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p++)
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

bool lbsh_table_readonly(const struct lbsh *sh, const char *name,
			 const char **why)
{
	if (!name)
		return false;
	if (!strncmp(name, "live_", 5)) {
		*why = "live datapath state read from the pinned maps";
		return true;
	}
	for (size_t i = 0; i < sizeof(readonly_tables) /
				   sizeof(readonly_tables[0]); i++)
		if (!strcmp(name, readonly_tables[i].name)) {
			*why = readonly_tables[i].why;
			return true;
		}
	if (in_list(sh->config_tables, name) ||
	    !in_list(sh->schema_tables, name))
		return false;
	*why = "not a config table (its rows do not reach lbd through the "
	       "revision log)";
	return true;
}

/* arg1: the table; inner: the trigger or view the access comes from. */
static int authorize(void *arg, int action, const char *arg1,
		     const char *arg2, const char *db, const char *inner)
{
	struct lbsh *sh = arg;
	const char *why;

	(void)arg2;
	if (inner) /* a trigger of the schema: its writes are the schema's */
		return SQLITE_OK;
	if (db && !strcmp(db, "temp")) /* the user's scratch tables */
		return SQLITE_OK;
	switch (action) {
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		break;
	case SQLITE_ALTER_TABLE: /* arg1 the database, arg2 the table */
		arg1 = arg2;
		/* fall through */
	case SQLITE_DROP_TABLE:
		if (!arg1 || !in_list(sh->schema_tables, arg1))
			return SQLITE_OK;
		snprintf(sh->denied, sizeof(sh->denied), "%s is part of xlb's "
			 "schema: only its migrations change it", arg1);
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
	if (!lbsh_table_readonly(sh, arg1, &why))
		return SQLITE_OK;
	snprintf(sh->denied, sizeof(sh->denied),
		 "%s is read-only: %s; lbsh writes only the config tables "
		 "(%s)", arg1, why, sh->config_tables);
	return SQLITE_DENY;
}

int lbsh_authorize_install(struct lbsh *sh)
{
	if (load_names(sh, CONFIG_SQL, sh->config_tables,
		       sizeof(sh->config_tables)) ||
	    load_names(sh, SCHEMA_SQL, sh->schema_tables,
		       sizeof(sh->schema_tables)))
		return -EIO;
	return sqlite3_set_authorizer(sh->db, authorize, sh) == SQLITE_OK ?
		       0 : -EIO;
}

/* SQLite refuses a write to a table without xUpdate before any
 * authorizer runs: "table live_service may not be modified". */
static const char *vtab_refused(struct lbsh *sh, const char *msg)
{
	char name[64];
	const char *why;

	if (sscanf(msg, "table %63s may not be modified", name) != 1 ||
	    !lbsh_table_readonly(sh, name, &why))
		return NULL;
	snprintf(sh->denied, sizeof(sh->denied), "%s is read-only: %s",
		 name, why);
	return sh->denied;
}

const char *lbsh_error_text(struct lbsh *sh, int rc, char *buf, size_t len)
{
	const char *v;

	if ((rc & 0xff) == SQLITE_AUTH && sh->denied[0])
		return sh->denied;
	if ((v = vtab_refused(sh, sqlite3_errmsg(sh->db))))
		return v;
	if ((rc & 0xff) == SQLITE_READONLY && sh->readonly) {
		if (sh->readonly_asked)
			snprintf(buf, len, "%s was opened read-only "
				 "(-readonly): writes are refused", sh->db_path);
		else
			snprintf(buf, len, "%s is read-only for this user: "
				 "lbsh opened it read-only (writing needs write "
				 "access to the file and its folder)",
				 sh->db_path);
		return buf;
	}
	if (rc == SQLITE_INTERRUPT)
		return "interrupted";
	xlb_db_error_text(sqlite3_errmsg(sh->db), buf, len);
	/* SQLite names the key's columns, not its values: say what to do. */
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, " (a row with this key exists: "
			 "UPDATE it, or INSERT OR REPLACE)");
	}
	return buf;
}

static int ctl_open(struct lbsh *sh)
{
	if (sh->ctl_open)
		return 0;
	if (xlb_bus_req_open(&sh->ctl, sh->rundir, XLB_BUS_LBD_CTL))
		return -1;
	sh->ctl_open = true;
	return 0;
}

/* Sends SYNC_REQ; a new request abandons an earlier one. */
static int send_sync(struct lbsh *sh, int timeout_ms)
{
	struct xlb_msg_buf req = { 0 };
	int err;

	if (ctl_open(sh))
		return -1;
	err = xlb_msg_request_encode(&req, ++sh->seq, XLB_MSG_SYNC_REQ);
	if (!err)
		err = xlb_bus_send(sh->ctl, req.data, req.len, timeout_ms);
	xlb_msg_buf_fini(&req);
	return err;
}

/* Sends a pending nudge.  A requester that just opened (or an lbd that
 * is down) has no connection yet: the nudge stays pending. */
void lbsh_nudge_flush(struct lbsh *sh, int timeout_ms)
{
	if (!sh->pending)
		return;
	if (!send_sync(sh, timeout_ms)) {
		sh->pending = false;
		sh->nudged = true;
	}
}

void lbsh_after_write(struct lbsh *sh, int changes_before)
{
	if (sqlite3_total_changes(sh->db) != changes_before)
		sh->dirty = true;
	if (!sh->dirty || !sqlite3_get_autocommit(sh->db))
		return;
	sh->dirty = false;
	sh->pending = true;
	lbsh_nudge_flush(sh, 0); /* never holds a script up */
}

/* The reply to our last SYNC_REQ: 0 and *rev, or -errno with the text. */
static int read_revision(struct lbsh *sh, int timeout_ms, __u64 *rev)
{
	struct xlb_msg_buf reply = { 0 };
	struct xlb_msg msg;
	int err;

	err = xlb_bus_recv(sh->ctl, &reply, timeout_ms);
	if (!err)
		err = xlb_msg_decode(reply.data, reply.len, &msg, NULL);
	if (!err && msg.type == XLB_MSG_ERROR)
		err = xlb_errmsg_set(-(int)msg.error.code, "lbd: %s",
				     msg.error.text);
	else if (!err && msg.type != XLB_MSG_REVISION)
		err = xlb_errmsg_set(-EPROTO, "lbd answered SYNC with %s",
				     xlb_msg_type_name(msg.type));
	if (!err)
		*rev = msg.revision;
	xlb_msg_buf_fini(&reply);
	return err;
}

int lbsh_sync(struct lbsh *sh, int timeout_ms)
{
	char path[128];
	int64_t logged = 0;
	__u64 rev;
	int err;

	sh->nudged = false;
	sh->pending = false;
	err = send_sync(sh, timeout_ms);
	if (!err)
		err = read_revision(sh, timeout_ms, &rev);
	if (err == -ETIMEDOUT) {
		xlb_bus_path(sh->rundir, XLB_BUS_LBD_CTL, path, sizeof(path));
		lbsh_error(sh, "lbd did not answer on %s within %d ms (is it "
			   "running? --rundir)", path, timeout_ms);
		return -1;
	}
	if (err) {
		lbsh_error(sh, "sync: %s", xlb_errmsg());
		return -1;
	}
	xlb_db_revision_last(sh->db, &logged);
	fprintf(sh->out, "applied revision %llu (last logged %lld)\n",
		(unsigned long long)rev, (long long)logged);
	return 0;
}

void lbsh_ctl_close(struct lbsh *sh)
{
	__u64 rev;

	if (!sh->ctl_open)
		return;
	/* A script's last write: give lbd a moment to take the nudge. */
	lbsh_nudge_flush(sh, 200);
	if (sh->nudged)
		read_revision(sh, 1000, &rev);
	xlb_bus_close(sh->ctl);
	sh->ctl_open = false;
}
