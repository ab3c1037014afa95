// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_schema.c - schema/NNN_*.sql through lib/xlb_db, on a real file in a
 * fresh folder per test:
 *   - migrations: a new file gets every table and version 1, an opened
 *     file gets nothing applied again, a newer file is refused untouched;
 *   - every field rule rejects its bad input with the sentence naming the
 *     table, the key and the field, and a batch holding the bad statement
 *     changes nothing at all (every table and the log hashed before and
 *     after);
 *   - good writes log one revision each, in order; a backend shared by
 *     2,000 services changes state in one indexed UPDATE;
 *   - the sqlite3 command-line tool, as an import runs it, is checked and
 *     logged like any other client.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "xlb_db.h"
#include "xlb_db_internal.h"
#include "xlb_errmsg.h"

extern char **environ;

struct fixture {
	char dir[64];
	char path[96];
	sqlite3 *db;
};

/* ------------------------------------------------------------------------
 * Files and helpers.
 */

static void path_in(const struct fixture *f, const char *name, char *buf,
		    size_t len)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", f->dir, name) < len);
}

static int setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/xlb-schema-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	path_in(f, "xlb.db", f->path, sizeof(f->path));
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f;

	setup_empty(state);
	f = *state;
	assert_int_equal(xlb_db_open(f->path, &f->db), 0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char p[160];
	DIR *d;

	xlb_db_close(f->db);
	d = opendir(f->dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		path_in(f, e->d_name, p, sizeof(p));
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs sql, which must succeed. */
static void ok(sqlite3 *db, const char *sql)
{
	if (xlb_db_exec(db, sql))
		fail_msg("%s\n  failed: %s", sql, xlb_errmsg());
}

static int64_t int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* FNV-1a, 64 bits: enough to tell two dumps apart. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static uint64_t hash_rows(sqlite3 *db, const char *table, uint64_t h)
{
	char sql[128];
	sqlite3_stmt *st;
	int i, n, type;

	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	h = fnv(h, table, strlen(table) + 1);
	n = sqlite3_column_count(st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			type = sqlite3_column_type(st, i);
			h = fnv(h, &type, sizeof(type));
			h = fnv(h, sqlite3_column_blob(st, i),
				(size_t)sqlite3_column_bytes(st, i));
		}
	}
	sqlite3_finalize(st);
	return h;
}

/* Every row of every table (sqlite_sequence, the log's counter, too) and
 * the schema version.  A table scan runs in key order, so equal contents
 * hash equal however the pages were rewritten. */
static uint64_t hash_db(sqlite3 *db)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
		-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		h = hash_rows(db, (const char *)sqlite3_column_text(st, 0), h);
	sqlite3_finalize(st);
	v = int_of(db, "PRAGMA user_version");
	return fnv(h, &v, sizeof(v));
}

/* A whole file's bytes, malloc'd; the caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Asserts that a.* and b.* have the same bytes. */
static void assert_same_file(const char *a, size_t alen, const char *path)
{
	size_t blen;
	char *b = slurp(path, &blen);

	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(b);
}

/* ------------------------------------------------------------------------
 * Migrations.
 */

static const char *const tables[] = {
	"applied", "backend", "backend_check", "backend_health", "health_check",
	"health_check_check", "node", "node_check", "prime", "reject",
	"revision", "service", "service_check", "service_panic",
	"sqlite_sequence", "vip_state",
};

static void test_new_file_gets_version_1(void **state)
{
	struct fixture *f = *state;
	unsigned int v, n;
	sqlite3_stmt *st;
	size_t i = 0;

	assert_true(xlb_db_schema_version() >= 1);
	assert_int_equal(xlb_db_user_version(f->db, &v), 0);
	assert_int_equal(v, xlb_db_schema_version());
	assert_int_equal(sqlite3_prepare_v2(f->db,
		"SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
		-1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(i < sizeof(tables) / sizeof(tables[0]));
		assert_string_equal(sqlite3_column_text(st, 0), tables[i++]);
	}
	sqlite3_finalize(st);
	assert_int_equal(i, sizeof(tables) / sizeof(tables[0]));
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM prime"), 6543);
	assert_int_equal(int_of(f->db,
		"SELECT count(*) FROM prime WHERE n IN (2, 13313, 16381, 65537)"), 4);
	assert_int_equal(int_of(f->db,
		"SELECT count(*) FROM prime WHERE n IN (1, 4, 16383, 65535)"), 0);
	/* Already current: nothing more to apply. */
	assert_int_equal(xlb_db_migrate(f->db, &n), 0);
	assert_int_equal(n, 0);
}

static void test_open_sets_wal(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(f->db, "PRAGMA journal_mode", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(int_of(f->db, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(int_of(f->db, "PRAGMA temp_store"), 2); /* MEMORY */
	assert_int_equal(int_of(f->db, "PRAGMA busy_timeout"), XLB_DB_BUSY_MS);
	assert_int_equal(int_of(f->db, "PRAGMA recursive_triggers"), 0);
}

/* A plain SQLite file with no schema: every migration, counted. */
static void test_migrate_counts_applied(void **state)
{
	struct fixture *f = *state;
	unsigned int n, v;

	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	assert_int_equal(xlb_db_migrate(f->db, &n), 0);
	assert_int_equal(n, xlb_db_nmigrations);
	assert_int_equal(xlb_db_user_version(f->db, &v), 0);
	assert_int_equal(v, xlb_db_schema_version());
	assert_int_equal(xlb_db_migrate(f->db, &n), 0);
	assert_int_equal(n, 0);
}

static void test_reopen_applies_nothing(void **state)
{
	struct fixture *f = *state;
	char *before;
	size_t len;

	ok(f->db, "INSERT INTO health_check (name, type) VALUES ('web', 'tcp')");
	xlb_db_close(f->db);
	f->db = NULL;
	before = slurp(f->path, &len);
	assert_int_equal(xlb_db_open(f->path, &f->db), 0);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM health_check"), 1);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM revision"), 1);
	xlb_db_close(f->db);
	f->db = NULL;
	assert_same_file(before, len, f->path);
	free(before);
}

/* A file from a newer xlb, in rollback-journal mode so that even the
 * switch to WAL would show in its bytes. */
static void test_newer_version_refused_untouched(void **state)
{
	struct fixture *f = *state;
	char want[256], wal[128];
	sqlite3 *raw;
	char *before;
	size_t len;

	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE future (x);"
				      "PRAGMA user_version = 7", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(raw);
	before = slurp(f->path, &len);

	assert_int_equal(xlb_db_open(f->path, &f->db), -ENOTSUP);
	assert_null(f->db);
	snprintf(want, sizeof(want), "%s: database schema version 7 is newer "
		 "than this xlb (knows up to %u): upgrade xlb", f->path,
		 xlb_db_schema_version());
	assert_string_equal(xlb_errmsg(), want);

	assert_same_file(before, len, f->path);
	free(before);
	path_in(f, "xlb.db-wal", wal, sizeof(wal));
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(int_of(raw, "PRAGMA user_version"), 7);
	sqlite3_close(raw);
}

static void test_not_a_database_refused_untouched(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "name,address\nweb,198.51.100.7\n"
				   "padding to pass the 100-byte header of "
				   "an SQLite file, which this is not.....\n";
	char *before;
	size_t len;

	spit(f->path, text);
	assert_int_equal(xlb_db_open(f->path, &f->db), -EBADMSG);
	assert_null(f->db);
	assert_ptr_equal(strstr(xlb_errmsg(), f->path), xlb_errmsg());
	assert_non_null(strstr(xlb_errmsg(), "not a database"));
	before = slurp(f->path, &len);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(before, text, len);
	free(before);
}

static void test_missing_folder_refused(void **state)
{
	struct fixture *f = *state;
	char path[128];

	path_in(f, "no/such/xlb.db", path, sizeof(path));
	assert_int_equal(xlb_db_open(path, &f->db), -ENOENT);
	assert_null(f->db);
	assert_non_null(strstr(xlb_errmsg(), path));
}

/* Daemons starting together on a new file: each open succeeds, and the
 * schema is applied once.  The children start on one signal (the pipe
 * closing) so that their opens overlap. */
#define OPENERS 6

static void test_concurrent_first_open(void **state)
{
	struct fixture *f = *state;
	int i, status, go[2], failed = 0;
	unsigned int v;
	char c;

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < OPENERS; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			sqlite3 *db;
			int err;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			err = xlb_db_open(f->path, &db);
			if (err)
				fprintf(stderr, "opener %d: %s\n", i, xlb_errmsg());
			xlb_db_close(db);
			_exit(err ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	assert_int_equal(failed, 0);
	assert_int_equal(xlb_db_open(f->path, &f->db), 0);
	assert_int_equal(xlb_db_user_version(f->db, &v), 0);
	assert_int_equal(v, xlb_db_schema_version());
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM prime"), 6543);
}

/* ------------------------------------------------------------------------
 * Rejected writes.  The baseline names every table, so that updates and
 * deletes have rows to act on.
 */

static const char baseline[] =
	"BEGIN;"
	"INSERT INTO node (id, next_hop_mac) VALUES (1, '02:00:5e:00:53:01');"
	"INSERT INTO health_check (name, type) VALUES ('web', 'http');"
	"INSERT INTO service (vip, proto, port, health_check)"
	"  VALUES ('203.0.113.10', 'tcp', 80, 'web');"
	"INSERT INTO backend (vip, proto, port, address)"
	"  VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.7');"
	"INSERT INTO service (vip, proto, port) VALUES ('2001:db8::10', 'tcp', 443);"
	"INSERT INTO backend (vip, proto, port, address)"
	"  VALUES ('2001:db8::10', 'tcp', 443, '2001:db8:1::7');"
	"COMMIT;";

#define SVC "INSERT INTO service (vip, proto, port"
#define BE4 "INSERT INTO backend (vip, proto, port, address, "
#define HC "INSERT INTO health_check (name, type, "

struct bad {
	const char *sql;
	const char *says;
};

static const struct bad bad_writes[] = {
	/* service */
	{ SVC ") VALUES ('2001:DB8::20', 'tcp', 80)",
	  "service 2001:DB8::20 tcp 80: vip \"2001:DB8::20\" is not an IPv4 or IPv6 address in lowercase" },
	{ SVC ") VALUES ('localhost', 'tcp', 80)",
	  "service localhost tcp 80: vip \"localhost\" is not an IPv4 or IPv6 address in lowercase" },
	{ SVC ") VALUES ('203.0.113', 'tcp', 80)",
	  "service 203.0.113 tcp 80: vip \"203.0.113\" is not an IPv4 or IPv6 address in lowercase" },
	{ SVC ") VALUES ('203.0.113.1/32', 'tcp', 80)",
	  "service 203.0.113.1/32 tcp 80: vip \"203.0.113.1/32\" is not an IPv4 or IPv6 address in lowercase" },
	{ SVC ") VALUES ('203.0.113.11', 'sctp', 80)",
	  "service 203.0.113.11 sctp 80: proto \"sctp\" is not tcp or udp" },
	{ SVC ") VALUES ('203.0.113.11', 'TCP', 80)",
	  "service 203.0.113.11 TCP 80: proto \"TCP\" is not tcp or udp" },
	{ SVC ") VALUES ('203.0.113.11', 'tcp', 65536)",
	  "service 203.0.113.11 tcp 65536: port \"65536\" is not 0..65535" },
	{ SVC ") VALUES ('203.0.113.11', 'tcp', -1)",
	  "service 203.0.113.11 tcp -1: port \"-1\" is not 0..65535" },
	{ SVC ") VALUES ('203.0.113.11', 'tcp', 'http')",
	  "service 203.0.113.11 tcp http: port \"http\" is not 0..65535" },
	{ SVC ") VALUES ('203.0.113.11', 'tcp', 80.5)",
	  "service 203.0.113.11 tcp 80.5: port \"80.5\" is not 0..65535" },
	{ SVC ", ring_size) VALUES ('203.0.113.11', 'tcp', 80, 16384)",
	  "service 203.0.113.11 tcp 80: ring_size \"16384\" is not a prime of 2..65537" },
	{ SVC ", ring_size) VALUES ('203.0.113.11', 'tcp', 80, 131071)",
	  "service 203.0.113.11 tcp 80: ring_size \"131071\" is not a prime of 2..65537" },
	{ SVC ", ring_size) VALUES ('203.0.113.11', 'tcp', 80, 'big')",
	  "service 203.0.113.11 tcp 80: ring_size \"big\" is not a prime of 2..65537" },
	{ SVC ", hash) VALUES ('203.0.113.11', 'tcp', 80, 'roundrobin')",
	  "service 203.0.113.11 tcp 80: hash \"roundrobin\" is not 5tuple or src" },
	{ SVC ", health_check) VALUES ('203.0.113.11', 'tcp', 80, 'nope')",
	  "service 203.0.113.11 tcp 80: health_check \"nope\" does not exist" },
	{ "UPDATE service SET port = 81 WHERE vip = '203.0.113.10'",
	  "service 203.0.113.10 tcp 80: the key cannot change (delete and insert instead)" },
	{ "UPDATE service SET ring_size = 1000 WHERE vip = '203.0.113.10'",
	  "service 203.0.113.10 tcp 80: ring_size \"1000\" is not a prime of 2..65537" },
	/* backend */
	{ BE4 "backend_port) VALUES ('203.0.113.99', 'tcp', 80, '198.51.100.7', 0)",
	  "backend 203.0.113.99 tcp 80 198.51.100.7 0: no such service" },
	{ BE4 "backend_port) VALUES ('203.0.113.10', 'udp', 80, '198.51.100.7', 0)",
	  "backend 203.0.113.10 udp 80 198.51.100.7 0: no such service" },
	{ BE4 "backend_port) VALUES ('2001:db8::10', 'tcp', 443, '2001:DB8:1::8', 0)",
	  "backend 2001:db8::10 tcp 443 2001:DB8:1::8 0: address \"2001:DB8:1::8\" is not an IPv4 or IPv6 address in lowercase" },
	{ BE4 "backend_port) VALUES ('203.0.113.10', 'tcp', 80, 'web-1', 0)",
	  "backend 203.0.113.10 tcp 80 web-1 0: address \"web-1\" is not an IPv4 or IPv6 address in lowercase" },
	{ BE4 "backend_port) VALUES ('2001:db8::10', 'tcp', 443, '198.51.100.8', 0)",
	  "backend 2001:db8::10 tcp 443 198.51.100.8 0: address \"198.51.100.8\": an IPv6 VIP needs IPv6 backends" },
	{ BE4 "backend_port) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', 70000)",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 70000: backend_port \"70000\" is not 0..65535" },
	{ BE4 "backend_port) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', '8080/tcp')",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 8080/tcp: backend_port \"8080/tcp\" is not 0..65535" },
	{ BE4 "weight) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', 70000)",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 0: weight \"70000\" is not 0..65535" },
	{ BE4 "weight) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', -1)",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 0: weight \"-1\" is not 0..65535" },
	{ BE4 "weight) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', 1.5)",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 0: weight \"1.5\" is not 0..65535" },
	{ BE4 "weight) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', 'heavy')",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 0: weight \"heavy\" is not 0..65535" },
	{ BE4 "state) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', 'down')",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 0: state \"down\" is not active, drain or maint" },
	{ BE4 "health_check) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8', 'nope')",
	  "backend 203.0.113.10 tcp 80 198.51.100.8 0: health_check \"nope\" does not exist" },
	{ "UPDATE backend SET address = '198.51.100.8' WHERE address = '198.51.100.7'",
	  "backend 203.0.113.10 tcp 80 198.51.100.7 0: the key cannot change (delete and insert instead)" },
	{ "UPDATE backend SET weight = 70000 WHERE address = '198.51.100.7'",
	  "backend 203.0.113.10 tcp 80 198.51.100.7 0: weight \"70000\" is not 0..65535" },
	{ "UPDATE backend SET state = 'up' WHERE address = '198.51.100.7'",
	  "backend 203.0.113.10 tcp 80 198.51.100.7 0: state \"up\" is not active, drain or maint" },
	/* node */
	{ "INSERT INTO node (id, next_hop_mac) VALUES (2, '02:00:5e:00:53:01')",
	  "node 2: id must be 1" },
	{ "UPDATE node SET id = 2", "node 1: the key cannot change (delete and insert instead)" },
	{ "UPDATE node SET mtu = 9217", "node 1: mtu \"9217\" is not 576..9216" },
	{ "UPDATE node SET mtu = 'jumbo'", "node 1: mtu \"jumbo\" is not 576..9216" },
	{ "UPDATE node SET ttl = 0", "node 1: ttl \"0\" is not 1..255" },
	{ "UPDATE node SET ttl = 256", "node 1: ttl \"256\" is not 1..255" },
	{ "UPDATE node SET max_flows = 1000000",
	  "node 1: max_flows \"1000000\" is not a power of two of 4..4194304" },
	{ "UPDATE node SET max_flows = 8388608",
	  "node 1: max_flows \"8388608\" is not a power of two of 4..4194304" },
	{ "UPDATE node SET max_flows = 2",
	  "node 1: max_flows \"2\" is not a power of two of 4..4194304" },
	{ "UPDATE node SET max_services = 0", "node 1: max_services \"0\" is not 1..65536" },
	{ "UPDATE node SET max_backends = 2000000",
	  "node 1: max_backends \"2000000\" is not 1..1048576" },
	{ "UPDATE node SET next_hop_mac = '02:00:5E:00:53:01'",
	  "node 1: next_hop_mac \"02:00:5E:00:53:01\" is not like 02:00:5e:00:53:01" },
	{ "UPDATE node SET next_hop_mac = '02:00:5e:00:53'",
	  "node 1: next_hop_mac \"02:00:5e:00:53\" is not like 02:00:5e:00:53:01" },
	{ "UPDATE node SET next_hop_mac = '0200.5e00.5301'",
	  "node 1: next_hop_mac \"0200.5e00.5301\" is not like 02:00:5e:00:53:01" },
	{ "UPDATE node SET xdp_mode = 'offload'",
	  "node 1: xdp_mode \"offload\" is not auto, native or generic" },
	{ "UPDATE node SET interface = 'a-very-long-name0'",
	  "node 1: interface \"a-very-long-name0\" is not an interface name" },
	{ "UPDATE node SET interface = 'eth 0'",
	  "node 1: interface \"eth 0\" is not an interface name" },
	{ "UPDATE node SET echo_reply = 2", "node 1: echo_reply \"2\" is not 0 or 1" },
	{ "UPDATE node SET echo_reply = 'yes'", "node 1: echo_reply \"yes\" is not 0 or 1" },
	/* health_check */
	{ HC "port) VALUES ('web check', 'tcp', 80)",
	  "health_check \"web check\": name must be 1..63 of A-Z a-z 0-9 _ . : -" },
	{ HC "port) VALUES ('hc2', 'grpc', 80)",
	  "health_check hc2: type \"grpc\" is not tcp, http, https, icmp or udp" },
	{ HC "port) VALUES ('hc2', 'tcp', 0)",
	  "health_check hc2: port \"0\" is not 1..65535" },
	{ HC "port) VALUES ('hc2', 'tcp', 65536)",
	  "health_check hc2: port \"65536\" is not 1..65535" },
	{ HC "method) VALUES ('hc2', 'http', 'PUT')",
	  "health_check hc2: method \"PUT\" is not GET, HEAD, POST or OPTIONS" },
	{ HC "path) VALUES ('hc2', 'http', 'healthz')",
	  "health_check hc2: path \"healthz\" does not start with /" },
	{ HC "tls_verify) VALUES ('hc2', 'https', 2)",
	  "health_check hc2: tls_verify \"2\" is not 0 or 1" },
	{ HC "interval_ms) VALUES ('hc2', 'tcp', 50)",
	  "health_check hc2: interval_ms \"50\" is not 100..3600000" },
	{ HC "interval_ms) VALUES ('hc2', 'tcp', '2s')",
	  "health_check hc2: interval_ms \"2s\" is not 100..3600000" },
	{ HC "interval_ms, timeout_ms) VALUES ('hc2', 'tcp', 2000, 3000)",
	  "health_check hc2: timeout_ms \"3000\" is not 10..interval_ms" },
	{ HC "timeout_ms) VALUES ('hc2', 'tcp', 5)",
	  "health_check hc2: timeout_ms \"5\" is not 10..interval_ms" },
	{ HC "rise) VALUES ('hc2', 'tcp', 0)", "health_check hc2: rise \"0\" is not 1..100" },
	{ HC "fall) VALUES ('hc2', 'tcp', 101)", "health_check hc2: fall \"101\" is not 1..100" },
	{ HC "expect_status) VALUES ('hc2', 'http', '600')",
	  "health_check hc2: expect_status \"600\" is not like 200 or 200-399" },
	{ HC "expect_status) VALUES ('hc2', 'http', '2xx')",
	  "health_check hc2: expect_status \"2xx\" is not like 200 or 200-399" },
	{ "UPDATE health_check SET timeout_ms = 5000 WHERE name = 'web'",
	  "health_check web: timeout_ms \"5000\" is not 10..interval_ms" },
	{ "UPDATE health_check SET name = 'web2' WHERE name = 'web'",
	  "health_check web: the key cannot change (delete and insert instead)" },
	{ "DELETE FROM health_check WHERE name = 'web'",
	  "health_check web: still named by a service or backend" },
};

/* Good statements on both sides of the bad one: the batch must take back
 * the earlier ones, log rows included, and never reach the later ones. */
static void reject_in_batch(sqlite3 *db, const struct bad *b)
{
	char sql[1024];
	uint64_t before = hash_db(db);
	int err;

	snprintf(sql, sizeof(sql),
		 "BEGIN;"
		 "INSERT INTO service (vip, proto, port) VALUES ('203.0.113.20', 'udp', 53);"
		 "INSERT INTO backend (vip, proto, port, address)"
		 "  VALUES ('203.0.113.20', 'udp', 53, '198.51.100.9');"
		 "UPDATE backend SET weight = 5 WHERE address = '198.51.100.7';"
		 "%s;"
		 "DELETE FROM backend WHERE address = '2001:db8:1::7';"
		 "COMMIT;", b->sql);
	err = xlb_db_exec(db, sql);
	if (err != -EINVAL || strcmp(xlb_errmsg(), b->says))
		fail_msg("%s\n  returned %d: %s\n  expected: %s", b->sql, err,
			 xlb_errmsg(), b->says);
	assert_int_equal(sqlite3_get_autocommit(db), 1);
	if (hash_db(db) != before)
		fail_msg("%s\n  changed the database", b->sql);
}

static void test_bad_writes_rejected(void **state)
{
	struct fixture *f = *state;
	size_t i, n = sizeof(bad_writes) / sizeof(bad_writes[0]);
	int64_t revs;

	assert_true(n >= 25);
	ok(f->db, baseline);
	revs = int_of(f->db, "SELECT count(*) FROM revision");
	for (i = 0; i < n; i++)
		reject_in_batch(f->db, &bad_writes[i]);
	/* The same batch with a good statement in place commits. */
	ok(f->db, "BEGIN;"
	   "INSERT INTO service (vip, proto, port) VALUES ('203.0.113.20', 'udp', 53);"
	   "UPDATE backend SET weight = 5 WHERE address = '198.51.100.7';"
	   "COMMIT;");
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM revision"),
			 revs + 2);
}

/* A rejected statement on its own, outside any transaction. */
static void test_bad_write_alone(void **state)
{
	struct fixture *f = *state;
	uint64_t before;

	ok(f->db, baseline);
	before = hash_db(f->db);
	assert_int_equal(xlb_db_exec(f->db, "UPDATE backend SET weight = -1"),
			 -EINVAL);
	assert_string_equal(xlb_errmsg(),
		"backend 2001:db8::10 tcp 443 2001:db8:1::7 0: weight \"-1\" is not 0..65535");
	assert_true(hash_db(f->db) == before);
}

/* A caller's own transaction survives a failed statement: it decides. */
static void test_exec_keeps_callers_transaction(void **state)
{
	struct fixture *f = *state;

	ok(f->db, baseline);
	ok(f->db, "BEGIN");
	ok(f->db, "UPDATE backend SET weight = 7 WHERE address = '198.51.100.7'");
	assert_int_equal(xlb_db_exec(f->db, "UPDATE node SET ttl = 0"), -EINVAL);
	assert_int_equal(sqlite3_get_autocommit(f->db), 0);
	ok(f->db, "COMMIT");
	assert_int_equal(int_of(f->db, "SELECT weight FROM backend"
				" WHERE address = '198.51.100.7'"), 7);
}

/* ------------------------------------------------------------------------
 * Error text.
 */

static void test_error_text(void **state)
{
	char buf[128], tiny[8];

	(void)state;
	assert_string_equal(xlb_db_error_text(
		"JSON path error near 'node 1: ttl \"0\" is not 1..255'",
		buf, sizeof(buf)), "node 1: ttl \"0\" is not 1..255");
	/* SQL quoting doubles every quote inside; a lone one closes. */
	assert_string_equal(xlb_db_error_text(
		"JSON path error near 'health_check \"it''s\": name must be x' tail",
		buf, sizeof(buf)), "health_check \"it's\": name must be x");
	/* The sqlite3 tool's form, and newer SQLite's. */
	assert_string_equal(xlb_db_error_text(
		"Runtime error near line 4: JSON path error near 'node 1: x'\n",
		buf, sizeof(buf)), "node 1: x");
	assert_string_equal(xlb_db_error_text("bad JSON path: 'node 1: x'",
					      buf, sizeof(buf)), "node 1: x");
	/* Anything else is shown as it is. */
	assert_string_equal(xlb_db_error_text(
		"NOT NULL constraint failed: service.vip", buf, sizeof(buf)),
		"NOT NULL constraint failed: service.vip");
	assert_string_equal(xlb_db_error_text(NULL, buf, sizeof(buf)), "");
	/* Cut to the buffer, always terminated. */
	assert_string_equal(xlb_db_error_text(
		"JSON path error near 'node 1: x'", tiny, sizeof(tiny)), "node 1:");
	assert_string_equal(xlb_db_error_text("abcdefghij", tiny, sizeof(tiny)),
			    "abcdefg");
}

/* A quote in a value comes back single in the sentence. */
static void test_error_text_from_database(void **state)
{
	struct fixture *f = *state;

	ok(f->db, baseline);
	assert_int_equal(xlb_db_exec(f->db,
		"INSERT INTO backend (vip, proto, port, address)"
		" VALUES ('203.0.113.10', 'tcp', 80, 'it''s')"), -EINVAL);
	assert_string_equal(xlb_errmsg(),
		"backend 203.0.113.10 tcp 80 it's 0: address \"it's\" is not an IPv4 or IPv6 address in lowercase");
}

/* ------------------------------------------------------------------------
 * Good writes and the revision log.
 */

struct rev_want {
	const char *tbl, *op, *key;
};

struct rev_walk {
	const struct rev_want *want;
	size_t n, seen;
	int64_t last;
};

static int check_rev(const struct xlb_db_rev *r, void *arg)
{
	struct rev_walk *w = arg;
	const struct rev_want *e;

	if (w->seen >= w->n)
		fail_msg("unexpected revision %lld %s %s %s", (long long)r->rev,
			 r->tbl, r->op, r->key);
	e = &w->want[w->seen++];
	assert_true(r->rev > w->last);
	w->last = r->rev;
	assert_string_equal(r->tbl, e->tbl);
	assert_string_equal(r->op, e->op);
	assert_string_equal(r->key, e->key);
	return 0;
}

/* Asserts that the log after revision `after` is exactly want. */
static void assert_log(sqlite3 *db, int64_t after, const struct rev_want *want,
		       size_t n)
{
	struct rev_walk w = { want, n, 0, after };

	assert_int_equal(xlb_db_revisions_after(db, after, check_rev, &w), 0);
	assert_int_equal(w.seen, n);
}

static const char *const good_writes[] = {
	"INSERT INTO health_check (name, type, path) VALUES ('web', 'http', '/healthz')",
	"INSERT INTO node (id, next_hop_mac) VALUES (1, '02:00:5e:00:53:01')",
	"INSERT INTO service (vip, proto, port, health_check)"
	" VALUES ('203.0.113.10', 'tcp', 80, 'web')",
	"INSERT INTO backend (vip, proto, port, address, weight) VALUES"
	" ('203.0.113.10', 'tcp', 80, '198.51.100.7', 2),"
	" ('203.0.113.10', 'tcp', 80, '198.51.100.8', 1)",
	/* IPv4 VIP, IPv6 backend: IPv4-in-IPv6 is allowed. */
	"INSERT INTO backend (vip, proto, port, address, backend_port)"
	" VALUES ('203.0.113.10', 'tcp', 80, '2001:db8:1::7', 8080)",
	"UPDATE backend SET weight = 3 WHERE address = '198.51.100.7'",
	"UPDATE service SET hash = 'src', ring_size = 13313",
	"UPDATE node SET mtu = 9000, max_flows = 65536",
	"DELETE FROM backend WHERE address = '198.51.100.8'",
	"UPDATE health_check SET rise = 3",
	/* An upsert of an existing row is an update. */
	"INSERT INTO backend (vip, proto, port, address, weight)"
	" VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.7', 4)"
	" ON CONFLICT DO UPDATE SET weight = excluded.weight",
	/* The service's backend rows go with it, each logged. */
	"DELETE FROM service",
	"DELETE FROM health_check",
	"DELETE FROM node",
};

static const struct rev_want good_log[] = {
	{ "health_check", "insert", "web" },
	{ "node", "insert", "1" },
	{ "service", "insert", "203.0.113.10 tcp 80" },
	{ "backend", "insert", "203.0.113.10 tcp 80 198.51.100.7 0" },
	{ "backend", "insert", "203.0.113.10 tcp 80 198.51.100.8 0" },
	{ "backend", "insert", "203.0.113.10 tcp 80 2001:db8:1::7 8080" },
	{ "backend", "update", "203.0.113.10 tcp 80 198.51.100.7 0" },
	{ "service", "update", "203.0.113.10 tcp 80" },
	{ "node", "update", "1" },
	{ "backend", "delete", "203.0.113.10 tcp 80 198.51.100.8 0" },
	{ "health_check", "update", "web" },
	{ "backend", "update", "203.0.113.10 tcp 80 198.51.100.7 0" },
	{ "service", "delete", "203.0.113.10 tcp 80" },
	{ "backend", "delete", "203.0.113.10 tcp 80 198.51.100.7 0" },
	{ "backend", "delete", "203.0.113.10 tcp 80 2001:db8:1::7 8080" },
	{ "health_check", "delete", "web" },
	{ "node", "delete", "1" },
};

static void test_good_writes_logged_in_order(void **state)
{
	struct fixture *f = *state;
	size_t i;
	int64_t last;

	for (i = 0; i < sizeof(good_writes) / sizeof(good_writes[0]); i++)
		ok(f->db, good_writes[i]);
	assert_log(f->db, 0, good_log, sizeof(good_log) / sizeof(good_log[0]));
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM backend"), 0);
	/* After revision k: the tail only. */
	assert_log(f->db, 12, good_log + 12,
		   sizeof(good_log) / sizeof(good_log[0]) - 12);
	assert_int_equal(xlb_db_revision_last(f->db, &last), 0);
	assert_int_equal(last, sizeof(good_log) / sizeof(good_log[0]));
	assert_log(f->db, last, NULL, 0);
}

static void test_values_stored_as_typed(void **state)
{
	struct fixture *f = *state;

	ok(f->db, "INSERT INTO service (vip, proto, port, ring_size)"
	   " VALUES ('203.0.113.10', 'tcp', '80', '13313')");
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM service"
		" WHERE typeof(port) = 'integer' AND port = 80"
		" AND ring_size = 13313 AND hash = '5tuple'"), 1);
}

static int stop_at_second(const struct xlb_db_rev *r, void *arg)
{
	int *calls = arg;

	(void)r;
	return ++*calls == 2 ? 42 : 0;
}

static void test_walk_stops_on_request(void **state)
{
	struct fixture *f = *state;
	int calls = 0;

	ok(f->db, baseline);
	assert_int_equal(xlb_db_revisions_after(f->db, 0, stop_at_second,
						&calls), 42);
	assert_int_equal(calls, 2);
}

/* INSERT OR REPLACE deletes the old row without delete triggers while
 * recursive_triggers is off: the service's backends stay. */
static void test_replace_service_keeps_backends(void **state)
{
	struct fixture *f = *state;

	ok(f->db, baseline);
	ok(f->db, "INSERT OR REPLACE INTO service (vip, proto, port, hash)"
	   " VALUES ('203.0.113.10', 'tcp', 80, 'src')");
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM backend"
				" WHERE vip = '203.0.113.10'"), 1);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM revision"
				" WHERE op = 'delete'"), 0);
}

static void test_applied_revision(void **state)
{
	struct fixture *f = *state;
	int64_t rev = -1;

	assert_int_equal(xlb_db_applied_get(f->db, &rev), 0);
	assert_int_equal(rev, 0);
	assert_int_equal(xlb_db_applied_set(f->db, 5), 0);
	assert_int_equal(xlb_db_applied_get(f->db, &rev), 0);
	assert_int_equal(rev, 5);
	assert_int_equal(xlb_db_applied_set(f->db, 9), 0);
	assert_int_equal(xlb_db_applied_get(f->db, &rev), 0);
	assert_int_equal(rev, 9);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM applied"), 1);
	assert_int_equal(xlb_db_applied_set(f->db, -1), -EINVAL);
	/* Runtime state: recording it logs no revision. */
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM revision"), 0);
}

static void test_data_version_sees_other_writers(void **state)
{
	struct fixture *f = *state;
	int64_t v0, v1, v2;
	sqlite3 *other;

	assert_int_equal(xlb_db_open(f->path, &other), 0);
	assert_int_equal(xlb_db_data_version(f->db, &v0), 0);
	/* Its own commit does not move it... */
	ok(f->db, "INSERT INTO health_check (name, type) VALUES ('a', 'tcp')");
	assert_int_equal(xlb_db_data_version(f->db, &v1), 0);
	assert_int_equal(v1, v0);
	/* ...another connection's does. */
	ok(other, "INSERT INTO health_check (name, type) VALUES ('b', 'tcp')");
	assert_int_equal(xlb_db_data_version(f->db, &v2), 0);
	assert_int_not_equal(v2, v1);
	xlb_db_close(other);
}

/* ------------------------------------------------------------------------
 * A backend shared by 2,000 services.
 */

#define SHARED_N 2000

static void insert_shared(sqlite3 *db)
{
	sqlite3_stmt *svc, *be;
	int port;

	ok(db, "BEGIN");
	assert_int_equal(sqlite3_prepare_v2(db,
		"INSERT INTO service (vip, proto, port) VALUES ('203.0.113.10', 'tcp', ?)",
		-1, &svc, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"INSERT INTO backend (vip, proto, port, address) VALUES ('203.0.113.10', 'tcp', ?, ?)",
		-1, &be, NULL), SQLITE_OK);
	for (port = 1; port <= SHARED_N; port++) {
		sqlite3_bind_int(svc, 1, port);
		assert_int_equal(sqlite3_step(svc), SQLITE_DONE);
		sqlite3_reset(svc);
		sqlite3_bind_int(be, 1, port);
		sqlite3_bind_text(be, 2, "198.51.100.7", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(be), SQLITE_DONE);
		sqlite3_reset(be);
		/* A second backend in some services, to stay untouched. */
		if (port % 100)
			continue;
		sqlite3_bind_text(be, 2, "198.51.100.8", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(be), SQLITE_DONE);
		sqlite3_reset(be);
	}
	sqlite3_finalize(svc);
	sqlite3_finalize(be);
	ok(db, "COMMIT");
}

static const char drain_sql[] =
	"UPDATE backend SET state = 'drain' WHERE address = ? AND backend_port = ?";

static void assert_drain_uses_index(sqlite3 *db)
{
	char sql[160];
	sqlite3_stmt *st;
	int found = 0;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", drain_sql);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		assert_null(strstr(d, "SCAN"));
		found |= strstr(d, "SEARCH backend USING") &&
			 strstr(d, "INDEX backend_by_address "
				   "(address=? AND backend_port=?)");
	}
	sqlite3_finalize(st);
	assert_true(found);
}

struct shared_walk {
	unsigned char port_seen[SHARED_N + 1];
	int n;
};

static int check_shared_rev(const struct xlb_db_rev *r, void *arg)
{
	struct shared_walk *w = arg;
	int port;
	char tail[32];

	assert_string_equal(r->tbl, "backend");
	assert_string_equal(r->op, "update");
	assert_int_equal(sscanf(r->key, "203.0.113.10 tcp %d %31[^\n]", &port,
				tail), 2);
	assert_string_equal(tail, "198.51.100.7 0");
	assert_true(port >= 1 && port <= SHARED_N);
	assert_int_equal(w->port_seen[port]++, 0);
	w->n++;
	return 0;
}

static void test_shared_backend_one_update(void **state)
{
	struct fixture *f = *state;
	struct shared_walk *w = calloc(1, sizeof(*w));
	sqlite3_stmt *st;
	int64_t last;

	assert_non_null(w);
	insert_shared(f->db);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM backend"),
			 SHARED_N + SHARED_N / 100);
	assert_drain_uses_index(f->db);
	assert_int_equal(xlb_db_revision_last(f->db, &last), 0);

	assert_int_equal(sqlite3_prepare_v2(f->db, drain_sql, -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, "198.51.100.7", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, 0);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_changes(f->db), SHARED_N);

	assert_int_equal(xlb_db_revisions_after(f->db, last, check_shared_rev,
						w), 0);
	assert_int_equal(w->n, SHARED_N);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM backend"
		" WHERE state = 'drain' AND address = '198.51.100.7'"), SHARED_N);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM backend"
		" WHERE state = 'active' AND address = '198.51.100.8'"),
		SHARED_N / 100);
	free(w);
}

/* ------------------------------------------------------------------------
 * The sqlite3 command-line tool as a batch import.  An import file starts
 * with `.bail on`: without it the tool goes on after a failed statement
 * and its COMMIT keeps the statements around it (see the last test).
 */

/* Runs `sqlite3 DB < sql_path` with stderr into err_path; the exit code. */
static int run_sqlite3(const struct fixture *f, const char *sql_path,
		       const char *err_path)
{
	char *const argv[] = { "sqlite3", (char *)f->path, NULL };
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_addopen(&fa, 0, sql_path, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, err_path,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawnp(&pid, "sqlite3", &fa, NULL, argv,
				      environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Writes text as the import file, runs it; the tool's stderr, malloc'd. */
static char *import(const struct fixture *f, const char *text, int *code)
{
	char sql_path[128], err_path[128];
	size_t len;

	path_in(f, "import.sql", sql_path, sizeof(sql_path));
	path_in(f, "import.err", err_path, sizeof(err_path));
	spit(sql_path, text);
	*code = run_sqlite3(f, sql_path, err_path);
	return slurp(err_path, &len);
}

static const char import_good[] =
	".bail on\n"
	"BEGIN;\n"
	"INSERT INTO service (vip, proto, port) VALUES ('203.0.113.20', 'udp', 53);\n"
	"INSERT INTO backend (vip, proto, port, address)\n"
	"  VALUES ('203.0.113.20', 'udp', 53, '198.51.100.9');\n"
	"UPDATE backend SET state = 'maint' WHERE address = '198.51.100.7';\n"
	"COMMIT;\n";

static const struct rev_want import_log[] = {
	{ "service", "insert", "203.0.113.20 udp 53" },
	{ "backend", "insert", "203.0.113.20 udp 53 198.51.100.9 0" },
	{ "backend", "update", "203.0.113.10 tcp 80 198.51.100.7 0" },
};

static void test_import_logged(void **state)
{
	struct fixture *f = *state;
	int64_t last, v0, v1;
	char *err;
	int code;

	ok(f->db, baseline);
	assert_int_equal(xlb_db_revision_last(f->db, &last), 0);
	assert_int_equal(xlb_db_data_version(f->db, &v0), 0);
	err = import(f, import_good, &code);
	assert_string_equal(err, "");
	assert_int_equal(code, 0);
	free(err);
	/* Seen by a connection that stayed open, as lbd's would. */
	assert_int_equal(xlb_db_data_version(f->db, &v1), 0);
	assert_int_not_equal(v1, v0);
	assert_log(f->db, last, import_log,
		   sizeof(import_log) / sizeof(import_log[0]));
}

static const char import_bad[] =
	".bail on\n"
	"BEGIN;\n"
	"INSERT INTO service (vip, proto, port) VALUES ('203.0.113.20', 'udp', 53);\n"
	"INSERT INTO backend (vip, proto, port, address, weight)\n"
	"  VALUES ('203.0.113.20', 'udp', 53, '198.51.100.9', 70000);\n"
	"UPDATE backend SET state = 'maint' WHERE address = '198.51.100.7';\n"
	"COMMIT;\n";

static void test_import_rejected_changes_nothing(void **state)
{
	struct fixture *f = *state;
	char text[256];
	uint64_t before;
	char *err;
	int code;

	ok(f->db, baseline);
	before = hash_db(f->db);
	err = import(f, import_bad, &code);
	assert_int_not_equal(code, 0);
	assert_string_equal(xlb_db_error_text(err, text, sizeof(text)),
		"backend 203.0.113.20 udp 53 198.51.100.9 0: weight \"70000\" is not 0..65535");
	free(err);
	assert_true(hash_db(f->db) == before);
}

/* Why import files start with `.bail on`: this pins the sqlite3 tool's
 * behaviour that makes it necessary. */
static void test_import_without_bail_keeps_the_rest(void **state)
{
	struct fixture *f = *state;
	char *err;
	int code;

	ok(f->db, baseline);
	err = import(f, import_bad + strlen(".bail on\n"), &code);
	assert_int_not_equal(code, 0);
	assert_non_null(strstr(err, "weight \"70000\" is not 0..65535"));
	free(err);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM service"
				" WHERE vip = '203.0.113.20'"), 1);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM backend"
				" WHERE state = 'maint'"), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define E(fn) cmocka_unit_test_setup_teardown(fn, setup_empty, teardown)
	const struct CMUnitTest tests[] = {
		T(test_new_file_gets_version_1),
		T(test_open_sets_wal),
		E(test_migrate_counts_applied),
		T(test_reopen_applies_nothing),
		E(test_newer_version_refused_untouched),
		E(test_not_a_database_refused_untouched),
		E(test_missing_folder_refused),
		E(test_concurrent_first_open),
		T(test_bad_writes_rejected),
		T(test_bad_write_alone),
		T(test_exec_keeps_callers_transaction),
		T(test_error_text),
		T(test_error_text_from_database),
		T(test_good_writes_logged_in_order),
		T(test_values_stored_as_typed),
		T(test_walk_stops_on_request),
		T(test_replace_service_keeps_backends),
		T(test_applied_revision),
		T(test_data_version_sees_other_writers),
		T(test_shared_backend_one_update),
		T(test_import_logged),
		T(test_import_rejected_changes_nothing),
		T(test_import_without_bail_keeps_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
