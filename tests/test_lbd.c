// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_lbd.c - lbd as it runs on a node: a real database file written by
 * the test's own connection or the sqlite3 shell, the real build/lbd
 * (once, or in the background), real pinned maps read back with
 * lib/xlb_dpmap; expected Maglev tables from lib/xlb_maglev over the
 * usable backends.
 *
 * Needs root and BPF; fails (never skips) without them.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lbd_fixture.h"
#include "xlb_addr.h"

#define VIP4 "203.0.113.10"
#define VIP6 "2001:db8::10"

/* Two services on one IPv4 VIP, one all-ports service on an IPv6 VIP. */
#define BASE_SQL \
	"BEGIN;" \
	"INSERT INTO service (vip, proto, port, ring_size, hash) VALUES " \
	"  ('" VIP4 "', 'tcp', 80, 251, '5tuple')," \
	"  ('" VIP4 "', 'udp', 53, 101, 'src')," \
	"  ('" VIP6 "', 'tcp', 0, 97, '5tuple');" \
	"INSERT INTO backend (vip, proto, port, address, backend_port, weight)" \
	" VALUES ('" VIP4 "', 'tcp', 80, '198.51.100.1', 0, 1)," \
	"  ('" VIP4 "', 'tcp', 80, '198.51.100.2', 8080, 2)," \
	"  ('" VIP4 "', 'tcp', 80, '2001:db8::a', 0, 1)," \
	"  ('" VIP4 "', 'udp', 53, '198.51.100.1', 0, 1)," \
	"  ('" VIP6 "', 'tcp', 0, '2001:db8::b', 0, 1)," \
	"  ('" VIP6 "', 'tcp', 0, '2001:db8::c', 0, 0);" \
	"COMMIT"

static const struct lf_be web[] = {
	{ "198.51.100.1", 0, 1 }, { "198.51.100.2", 8080, 2 },
	{ "2001:db8::a", 0, 1 },
};

static void assert_entry(struct lf *t, uint32_t svc, const char *addr,
			 uint16_t port, uint8_t state)
{
	struct xlb_backend be;

	if (!lf_entry(t, svc, addr, port, &be))
		fail_msg("no entry %s port %u", addr, port);
	assert_int_equal(be.state, state);
	assert_int_equal(be.svc_id, svc);
}

/* The maps hold exactly the database: services, markers, entries with
 * address, port and state, tables; a second pass and a restart write 0. */
static void test_full_reconcile(void **state)
{
	struct lf *t = *state;
	uint32_t web_id, dns_id, v6_id, flags = 0;
	size_t nsvc, nmark;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	assert_true(lf_once(t) > 0);

	lf_count_services(t, &nsvc, &nmark);
	assert_int_equal(nsvc, 3);
	assert_int_equal(nmark, 2);
	web_id = lf_svc_id(t, VIP4, "tcp", 80, &flags);
	assert_int_not_equal(web_id, 0);
	assert_int_equal(flags, 0);
	dns_id = lf_svc_id(t, VIP4, "udp", 53, &flags);
	assert_int_equal(flags, XLB_SVC_F_HASH_SRC);
	v6_id = lf_svc_id(t, VIP6, "tcp", 0, NULL);
	assert_true(dns_id && v6_id && dns_id != web_id && v6_id != web_id);

	assert_int_equal(lf_entries(t, web_id, NULL, NULL, 0), 3);
	assert_entry(t, web_id, "198.51.100.1", 0, XLB_BE_ACTIVE);
	assert_entry(t, web_id, "198.51.100.2", 8080, XLB_BE_ACTIVE);
	assert_entry(t, web_id, "2001:db8::a", 0, XLB_BE_ACTIVE);
	assert_int_equal(lf_entries(t, dns_id, NULL, NULL, 0), 1);
	assert_int_equal(lf_entries(t, v6_id, NULL, NULL, 0), 2);
	/* Weight 0: an entry, but no slot. */
	assert_entry(t, v6_id, "2001:db8::c", 0, XLB_BE_ACTIVE);

	lf_assert_table(t, web_id, web, 3, 251);
	lf_assert_table(t, dns_id, (struct lf_be[]){ { "198.51.100.1", 0, 1 } },
			1, 101);
	lf_assert_table(t, v6_id, (struct lf_be[]){ { "2001:db8::b", 0, 1 } },
			1, 97);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM vip_state "
				"WHERE ready = 1"), 2);
	assert_int_equal(lf_int(t, "SELECT revision FROM applied"),
			 lf_int(t, "SELECT max(rev) FROM revision"));

	/* A new process on the same pins and database changes nothing. */
	assert_int_equal(lf_once(t), 0);
	assert_int_equal(lf_svc_id(t, VIP4, "tcp", 80, NULL), web_id);
}

/* --check counts what a reconcile would write and writes nothing. */
static void test_check_writes_nothing(void **state)
{
	struct lf *t = *state;
	unsigned long long writes;
	long long applied;
	uint32_t web_id;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_once(t);
	assert_int_equal(lf_check(t, &writes), 0);
	assert_int_equal(writes, 0);
	applied = lf_int(t, "SELECT revision FROM applied");
	web_id = lf_svc_id(t, VIP4, "tcp", 80, NULL);
	lf_sql(t, "UPDATE backend SET state = 'maint' WHERE address = "
	       "'198.51.100.1'");
	/* Its entries in two services DOWN; one table switched (udp 53
	 * keeps its table: no usable backend left). */
	assert_int_equal(lf_check(t, &writes), 3);
	assert_int_equal(writes, 3);
	assert_entry(t, web_id, "198.51.100.1", 0, XLB_BE_ACTIVE);
	lf_assert_table(t, web_id, web, 3, 251);
	assert_int_equal(lf_int(t, "SELECT revision FROM applied"), applied);
	assert_int_equal(lf_once(t), 3);
	assert_int_equal(lf_check(t, &writes), 0);
}

/* In one process: a change that changes nothing writes nothing. */
static void test_noop_change_writes_nothing(void **state)
{
	struct lf *t = *state;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_start(t);
	assert_int_equal(lf_cli(t, "UPDATE backend SET weight = weight"), 0);
	if (!lf_log_wait(t, "3 services, 0 map writes", 2000))
		fail_msg("a no-op update wrote to the maps");
	/* SIGUSR1: what is applied, and every write since start (15). */
	kill(t->bg, SIGUSR1);
	if (!lf_log_wait(t, "status: revision 16, 3 services, 6 backend "
			 "entries, 2 VIPs (2 ready), 15 map writes", 2000))
		fail_msg("no status line");
	lf_stop(t);
}

/* maint -> DOWN, drain -> DRAIN, both out of the table. */
static void test_maint_and_drain(void **state)
{
	struct lf *t = *state;
	uint32_t web_id, flags = 0;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_once(t);
	web_id = lf_svc_id(t, VIP4, "tcp", 80, NULL);
	lf_sql(t, "UPDATE backend SET state = 'maint' WHERE vip = '" VIP4
	       "' AND port = 80 AND address = '198.51.100.1'");
	lf_sql(t, "UPDATE backend SET state = 'drain' WHERE vip = '" VIP4
	       "' AND port = 80 AND address = '2001:db8::a'");
	assert_true(lf_once(t) > 0);
	assert_entry(t, web_id, "198.51.100.1", 0, XLB_BE_DOWN);
	assert_entry(t, web_id, "2001:db8::a", 0, XLB_BE_DRAIN);
	assert_entry(t, web_id, "198.51.100.2", 8080, XLB_BE_ACTIVE);
	lf_assert_table(t, web_id, &web[1], 1, 251);
	/* The other service with the same backend address is untouched. */
	assert_entry(t, lf_svc_id(t, VIP4, "udp", 53, NULL), "198.51.100.1", 0,
		     XLB_BE_ACTIVE);

	/* Health from hcd: down is DOWN as well. */
	lf_sql(t, "UPDATE backend SET state = 'active'");
	lf_sql(t, "INSERT INTO health_check (name, type) VALUES ('t', 'tcp');"
	       "UPDATE service SET health_check = 't' WHERE port = 80;"
	       "INSERT INTO backend_health (address, backend_port, "
	       "health_check, status, since) VALUES "
	       "('198.51.100.2', 8080, 't', 'down', 'now')");
	lf_once(t);
	assert_entry(t, web_id, "198.51.100.2", 8080, XLB_BE_DOWN);
	lf_assert_table(t, web_id, (struct lf_be[]){ web[0], web[2] }, 2, 251);

	/* Service settings: a new M is a new table, the hash a flag. */
	lf_sql(t, "UPDATE service SET ring_size = 509, hash = 'src' WHERE "
	       "port = 80");
	assert_int_equal(lf_once(t), 2);
	lf_assert_table(t, web_id, (struct lf_be[]){ web[0], web[2] }, 2, 509);
	assert_int_equal(lf_svc_id(t, VIP4, "tcp", 80, &flags), web_id);
	assert_int_equal(flags, XLB_SVC_F_HASH_SRC);
}

/* No usable backend: the last table stays, the VIP is not ready. */
static void test_all_down_keeps_table(void **state)
{
	struct lf *t = *state;
	uint32_t dns_id, *before, *after, m;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_once(t);
	lf_sql(t, "DELETE FROM service WHERE vip = '" VIP4 "' AND port = 80");
	lf_once(t);
	dns_id = lf_svc_id(t, VIP4, "udp", 53, NULL);
	m = lf_table(t, dns_id, &before);
	assert_int_equal(m, 101);
	lf_sql(t, "UPDATE backend SET state = 'maint' WHERE port = 53");
	lf_once(t);
	assert_entry(t, dns_id, "198.51.100.1", 0, XLB_BE_DOWN);
	assert_int_equal(lf_table(t, dns_id, &after), 101);
	assert_memory_equal(before, after, m * sizeof(*before));
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP4 "'"), 0);
	assert_int_equal(lf_int(t, "SELECT ready FROM vip_state WHERE vip = '"
				VIP6 "'"), 1);
	free(before);
	free(after);
}

/* A non-canonical address is rejected naming the canonical spelling; the
 * service keeps everything applied while another service still applies. */
static void test_reject_keeps_service(void **state)
{
	struct lf *t = *state;
	uint32_t v6_id, *before, *after, m;
	size_t n;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_once(t);
	v6_id = lf_svc_id(t, VIP6, "tcp", 0, NULL);
	m = lf_table(t, v6_id, &before);
	lf_sql(t, "BEGIN;"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP6 "', 'tcp', 0, '2001:db8:0::1');"
	       "UPDATE backend SET weight = 5 WHERE address = '2001:db8::c';"
	       "UPDATE backend SET state = 'maint' WHERE port = 53;"
	       "COMMIT");
	lf_once(t);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM reject WHERE tbl = "
				"'backend' AND field = 'address' AND value = "
				"'2001:db8:0::1' AND reason LIKE "
				"'%%write \"2001:db8::1\"%%'"), 1);
	n = lf_entries(t, v6_id, NULL, NULL, 0);
	assert_int_equal(n, 2);
	assert_int_equal(lf_table(t, v6_id, &after), m);
	assert_memory_equal(before, after, m * sizeof(*before));
	/* The other service of the batch applied. */
	assert_entry(t, lf_svc_id(t, VIP4, "udp", 53, NULL), "198.51.100.1", 0,
		     XLB_BE_DOWN);

	/* Fixing the row applies the service. */
	lf_sql(t, "DELETE FROM backend WHERE address = '2001:db8:0::1';"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP6 "', 'tcp', 0, '2001:db8::1')");
	lf_once(t);
	assert_int_equal(lf_entries(t, v6_id, NULL, NULL, 0), 3);
	lf_assert_table(t, v6_id, (struct lf_be[]){ { "2001:db8::b", 0, 1 },
		{ "2001:db8::c", 0, 5 }, { "2001:db8::1", 0, 1 } }, 3, 97);
	free(before);
	free(after);
}

/* A write by another process reaches the maps within 100 ms of its
 * commit.  The sanitizer build runs lbd several times slower; the figure
 * belongs to the normal build, the sanitizer build checks the path. */
#if defined(__SANITIZE_ADDRESS__)
#define WRITE_TO_MAPS_MS 250
#else
#define WRITE_TO_MAPS_MS 100
#endif
static void test_write_reaches_maps(void **state)
{
	struct lf *t = *state;
	struct xlb_backend be;
	uint32_t web_id;
	double t0, t1, done = 0;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_start(t);
	web_id = lf_svc_id(t, VIP4, "tcp", 80, NULL);
	t0 = lf_ms();
	assert_int_equal(lf_cli(t, "UPDATE backend SET state = 'maint' WHERE "
				"address = '198.51.100.2'"), 0);
	t1 = lf_ms();
	while (lf_ms() < t0 + 2000) {
		lf_entry(t, web_id, "198.51.100.2", 8080, &be);
		if (be.state == XLB_BE_DOWN) {
			done = lf_ms();
			break;
		}
		usleep(500);
	}
	assert_true(done > 0);
	print_message("write -> maps: %.1f ms from starting sqlite3, %.1f ms "
		      "from its exit\n", done - t0, done - t1);
	assert_true(done - t1 < WRITE_TO_MAPS_MS);
	lf_assert_table(t, web_id, (struct lf_be[]){ web[0], web[2] }, 2, 251);
	lf_stop(t);
}

#define MANY 2000
#define MANY_RING 1021 /* the kernel writes a table at ~250 ns a slot */

/* One UPDATE of a backend shared by 2,000 services: one pass. */
static void test_shared_backend_one_pass(void **state)
{
	struct lf *t = *state;
	char log[1 << 16], *line;
	uint32_t id;
	double t0;

	lf_sql(t, "BEGIN");
	for (int i = 0; i < MANY; i++) {
		lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size) "
		       "VALUES ('" VIP4 "', 'tcp', %d, %d)", 1000 + i,
		       MANY_RING);
		lf_sql(t, "INSERT INTO backend (vip, proto, port, address) "
		       "VALUES ('" VIP4 "', 'tcp', %d, '198.51.100.7'), "
		       "('" VIP4 "', 'tcp', %d, '198.51.100.%d')",
		       1000 + i, 1000 + i, 8 + i % 100);
	}
	lf_sql(t, "COMMIT");
	lf_start(t);
	t0 = lf_ms();
	assert_int_equal(lf_cli(t, "UPDATE backend SET state = 'maint' WHERE "
				"address = '198.51.100.7'"), 0);
	if (!lf_log_wait(t, "2000 services, 4000 map writes", 20000))
		fail_msg("not applied in one pass");
	print_message("2,000 services re-applied %.1f ms after the UPDATE "
		      "started\n", lf_ms() - t0);
	lf_log_read(t, log, sizeof(log));
	line = strstr(log, "applied revision");
	assert_non_null(line);
	assert_null(strstr(line + 1, "applied revision")); /* one pass */
	*strchrnul(line, '\n') = '\0';
	print_message("%s\n", line);
	id = lf_svc_id(t, VIP4, "tcp", 1000 + MANY - 1, NULL);
	assert_entry(t, id, "198.51.100.7", 0, XLB_BE_DOWN);
	lf_assert_table(t, id, (struct lf_be[]){
		{ "198.51.100.107", 0, 1 } }, 1, MANY_RING);
	lf_stop(t);
}

#define SKIP_SVCS 300 /* more than one chunk of a pass (256) */
#define SKIP_RING 251

struct pass_figures {
	size_t services, rejects, tables;
	unsigned long long writes;
};

/* What the background lbd logged for the pass whose line starts with
 * prefix ("applied revision R:" or "full pass at revision R:"). */
static struct pass_figures pass_logged(struct lf *t, const char *prefix)
{
	static char log[1 << 16];
	struct pass_figures f;
	const char *line;
	double ms;

	if (!lf_log_wait(t, prefix, 5000))
		fail_msg("no \"%s\"", prefix);
	lf_log_read(t, log, sizeof(log));
	line = strstr(log, prefix) + strlen(prefix);
	if (sscanf(line, " %zu services, %llu map writes, %zu rejects, %lf ms, "
		   "%zu tables built", &f.services, &f.writes, &f.rejects, &ms,
		   &f.tables) != 5)
		fail_msg("unexpected line: %.200s", line);
	return f;
}

/* The pass that applied the newest revision. */
static struct pass_figures last_pass(struct lf *t)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "applied revision %lld:",
		 lf_int(t, "SELECT max(rev) FROM revision"));
	return pass_logged(t, prefix);
}

static uint32_t skip_svc(struct lf *t, int i)
{
	return lf_svc_id(t, VIP4, "tcp", (uint16_t)(1000 + i), NULL);
}

/* Its second backend (the first is 198.51.100.1 everywhere). */
static const char *skip_be(int i)
{
	static char a[32];

	snprintf(a, sizeof(a), "198.51.100.%d", 2 + i % 100);
	return a;
}

static void assert_skip_table(struct lf *t, int i, uint32_t w1, uint32_t w2)
{
	struct lf_be bes[2] = { { "198.51.100.1", 0, w1 },
				{ skip_be(i), 0, w2 } };

	lf_assert_table(t, skip_svc(t, i), w1 ? bes : bes + 1, w1 ? 2 : 1,
			SKIP_RING);
}

/* Every service and backend upserted as it is: no table, no write. */
static void upsert_unchanged(struct lf *t)
{
	struct pass_figures f;

	lf_sql(t, "BEGIN;"
	       "UPDATE service SET ring_size = ring_size;"
	       "INSERT INTO backend (vip, proto, port, address, backend_port, "
	       "weight, state) SELECT vip, proto, port, address, backend_port, "
	       "weight, state FROM backend WHERE true ON CONFLICT DO UPDATE "
	       "SET weight = excluded.weight, state = excluded.state;"
	       "COMMIT");
	f = last_pass(t);
	assert_int_equal(f.services, SKIP_SVCS);
	assert_int_equal(f.tables, 0);
	assert_int_equal(f.writes, 0);
}

/* A table is built only when its input (usable backends, weights, entry
 * ids, M) changed; everything else still applies as before. */
static void test_unchanged_input_builds_nothing(void **state)
{
	struct lf *t = *state;
	struct pass_figures f;
	char prefix[64];
	uint32_t *before, *after;

	lf_sql(t, "BEGIN");
	for (int i = 0; i < SKIP_SVCS; i++) {
		lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size) "
		       "VALUES ('" VIP4 "', 'tcp', %d, %d)", 1000 + i,
		       SKIP_RING);
		lf_sql(t, "INSERT INTO backend (vip, proto, port, address) "
		       "VALUES ('" VIP4 "', 'tcp', %d, '198.51.100.1'), "
		       "('" VIP4 "', 'tcp', %d, '%s')", 1000 + i, 1000 + i,
		       skip_be(i));
	}
	lf_sql(t, "COMMIT");
	lf_start(t);
	/* The first pass has no inputs to compare with: every table. */
	snprintf(prefix, sizeof(prefix), "full pass at revision %lld:",
		 lf_int(t, "SELECT max(rev) FROM revision"));
	f = pass_logged(t, prefix);
	assert_int_equal(f.tables, SKIP_SVCS);

	upsert_unchanged(t);

	/* All named again; a weight (3), the usable set (7), a flag (10) and
	 * an unusable entry's state (11: drain, then maint) change. */
	lf_sql(t, "UPDATE backend SET state = 'drain' WHERE port = 1011 AND "
	       "address = '198.51.100.1'");
	assert_int_equal(last_pass(t).tables, 1);
	assert_int_equal(lf_table(t, skip_svc(t, 4), &before), SKIP_RING);
	lf_sql(t, "BEGIN;"
	       "UPDATE backend SET weight = weight;"
	       "UPDATE backend SET weight = 3 WHERE port = 1003 AND "
	       "address = '198.51.100.1';"
	       "UPDATE backend SET state = 'drain' WHERE port = 1007 AND "
	       "address = '198.51.100.1';"
	       "UPDATE service SET hash = 'src' WHERE port = 1010;"
	       "UPDATE backend SET state = 'maint' WHERE port = 1011 AND "
	       "address = '198.51.100.1';"
	       "COMMIT");
	f = last_pass(t);
	assert_int_equal(f.services, SKIP_SVCS);
	assert_int_equal(f.tables, 2);
	/* 3 and 7 a table each, 7 and 11 an entry, 10 the service. */
	assert_int_equal(f.writes, 5);
	assert_skip_table(t, 3, 3, 1);
	assert_skip_table(t, 7, 0, 1);
	assert_entry(t, skip_svc(t, 7), "198.51.100.1", 0, XLB_BE_DRAIN);
	assert_entry(t, skip_svc(t, 11), "198.51.100.1", 0, XLB_BE_DOWN);
	assert_skip_table(t, 11, 0, 1);
	assert_int_equal(lf_table(t, skip_svc(t, 4), &after), SKIP_RING);
	assert_memory_equal(before, after, SKIP_RING * sizeof(*before));
	free(before);
	free(after);

	/* The same addresses under a new entry id are a new input: 20 keeps
	 * its table while nothing is usable, loses an entry, gets it back. */
	lf_sql(t, "UPDATE backend SET state = 'maint' WHERE port = 1020");
	assert_int_equal(last_pass(t).tables, 0);
	lf_sql(t, "DELETE FROM backend WHERE port = 1020 AND address = '%s'",
	       skip_be(20));
	assert_int_equal(last_pass(t).tables, 0);
	lf_sql(t, "BEGIN;"
	       "UPDATE backend SET state = 'active' WHERE port = 1020;"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP4 "', 'tcp', 1020, '%s');"
	       "COMMIT", skip_be(20));
	assert_int_equal(last_pass(t).tables, 1);
	assert_skip_table(t, 20, 1, 1);
	lf_stop(t);

	/* A restart builds every usable table once, finds it in force and
	 * writes nothing; from then on it knows their inputs again. */
	assert_int_equal(lf_once(t), 0);
	snprintf(prefix, sizeof(prefix), " tables %d\n", SKIP_SVCS);
	assert_non_null(strstr(t->out, prefix));
	/* Only the new process's lines in the log. */
	assert_int_equal(truncate(t->log, 0), 0);
	lf_start(t);
	snprintf(prefix, sizeof(prefix), "full pass at revision %lld:",
		 lf_int(t, "SELECT max(rev) FROM revision"));
	f = pass_logged(t, prefix);
	assert_int_equal(f.tables, SKIP_SVCS);
	assert_int_equal(f.writes, 0);
	upsert_unchanged(t);
	lf_stop(t);
}

/* A freed entry id is not handed out again at once: with every id used
 * or freed in this run, a new row is rejected instead. */
static void test_id_quarantine(void **state)
{
	struct lf *t = *state;
	uint32_t svc, old_id, new_id;

	lf_sql(t, "UPDATE node SET max_backends = 3");
	lf_sql(t, "INSERT INTO service (vip, proto, port) VALUES ('" VIP4
	       "', 'tcp', 80);"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP4 "', 'tcp', 80, '198.51.100.1'),"
	       "('" VIP4 "', 'tcp', 80, '198.51.100.2')");
	lf_start(t);
	svc = lf_svc_id(t, VIP4, "tcp", 80, NULL);
	old_id = lf_entry(t, svc, "198.51.100.1", 0, NULL);
	/* Delete one, add one: the never-used id 3, not the freed one. */
	lf_sql(t, "DELETE FROM backend WHERE address = '198.51.100.1';"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP4 "', 'tcp', 80, '198.51.100.3')");
	assert_true(lf_log_wait(t, "applied revision", 2000));
	new_id = lf_entry(t, svc, "198.51.100.3", 0, NULL);
	assert_int_equal(new_id, 3);
	assert_int_not_equal(new_id, old_id);
	assert_int_equal(lf_entry(t, svc, "198.51.100.1", 0, NULL), 0);
	/* No id left but the quarantined one: rejected, nothing changes. */
	lf_sql(t, "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP4 "', 'tcp', 80, '198.51.100.4')");
	assert_true(lf_log_wait(t, "1 rejects", 2000));
	assert_int_equal(lf_entry(t, svc, "198.51.100.4", 0, NULL), 0);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM reject WHERE field = "
				"'max_backends'"), 1);
	lf_stop(t);
}

/* The same for service ids: a freed one waits out its quarantine. */
static void test_service_id_quarantine(void **state)
{
	struct lf *t = *state;
	uint32_t old_id;

	lf_sql(t, "UPDATE node SET max_services = 2");
	lf_sql(t, "INSERT INTO service (vip, proto, port) VALUES "
	       "('" VIP4 "', 'tcp', 80), ('" VIP4 "', 'tcp', 81)");
	lf_start(t);
	old_id = lf_svc_id(t, VIP4, "tcp", 80, NULL);
	assert_int_not_equal(old_id, 0);
	lf_sql(t, "DELETE FROM service WHERE port = 80");
	assert_true(lf_log_wait(t, "applied revision", 2000));
	assert_int_equal(lf_svc_id(t, VIP4, "tcp", 80, NULL), 0);
	lf_sql(t, "INSERT INTO service (vip, proto, port) VALUES "
	       "('" VIP4 "', 'tcp', 82)");
	assert_true(lf_log_wait(t, "1 rejects", 2000));
	assert_int_equal(lf_svc_id(t, VIP4, "tcp", 80, NULL), 0);
	assert_int_equal(lf_svc_id(t, VIP4, "tcp", 82, NULL), 0);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM reject WHERE key = '"
				VIP4 " tcp 82' AND field = 'max_services'"), 1);
	lf_stop(t);
}

/* Services and VIPs that are gone leave the maps; ids stay stable. */
static void test_removal(void **state)
{
	struct lf *t = *state;
	size_t nsvc, nmark;
	uint32_t web_id, *slots;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_once(t);
	web_id = lf_svc_id(t, VIP4, "tcp", 80, NULL);
	lf_sql(t, "DELETE FROM service WHERE vip = '" VIP6 "'");
	assert_true(lf_once(t) > 0);
	lf_count_services(t, &nsvc, &nmark);
	assert_int_equal(nsvc, 2);
	assert_int_equal(nmark, 1);
	assert_int_equal(lf_svc_id(t, VIP4, "tcp", 80, NULL), web_id);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM vip_state WHERE "
				"vip = '" VIP6 "'"), 0);
	lf_sql(t, "DELETE FROM service");
	lf_once(t);
	lf_count_services(t, &nsvc, &nmark);
	assert_int_equal(nsvc + nmark, 0);
	assert_int_equal(lf_entries(t, web_id, NULL, NULL, 0), 0);
	assert_int_equal(lf_table(t, web_id, &slots), 0);
	free(slots);
	assert_int_equal(lf_once(t), 0);
}

/* A restart repairs what a pass cut short left in the maps: an entry of
 * no service, a table and a service under an id the database does not
 * know, a marker of a VIP without services; then nothing more. */
static void test_restart_repairs(void **state)
{
	struct lf *t = *state;
	const struct xlb_dpmaps *m;
	struct xlb_backend be = { .svc_id = 99, .family = XLB_FAM_V4,
				  .state = XLB_BE_ACTIVE };
	struct xlb_vip_key key = { .proto = 6, .family = XLB_FAM_V4,
				   .port = htons(443) };
	struct xlb_service svc = { .id = 98 };
	union xlb_addr stray;
	uint32_t slots[7] = { 500, 500, 500, 500, 500, 500, 500 }, *got;
	size_t nsvc, nmark;
	__u8 fam;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_once(t);
	m = lf_maps(t);
	assert_int_equal(xlb_addr_parse("198.51.100.99", &be.addr, &fam), 0);
	assert_int_equal(xlb_dpmap_backend_put(m, 500, &be), 0);
	assert_int_equal(xlb_dpmap_ring_switch(m, 77, slots, 7), 0);
	assert_int_equal(xlb_addr_parse("192.0.2.99", &stray, &fam), 0);
	assert_int_equal(xlb_dpmap_vip_add(m, &stray, XLB_FAM_V4), 0);
	key.addr = stray;
	assert_int_equal(xlb_dpmap_service_put(m, &key, &svc), 0);
	assert_int_equal(xlb_dpmap_ring_switch(m, 98, slots, 7), 0);

	/* Entry -> REMOVED, table 77, service + its table 98, marker. */
	assert_int_equal(lf_once(t), 5);
	assert_int_equal(xlb_dpmap_backend_get(m, 500, &be), 0);
	assert_int_equal(be.state, XLB_BE_REMOVED);
	assert_int_equal(lf_table(t, 77, &got), 0);
	free(got);
	assert_int_equal(lf_table(t, 98, &got), 0);
	free(got);
	lf_count_services(t, &nsvc, &nmark);
	assert_int_equal(nsvc, 3);
	assert_int_equal(nmark, 2);
	assert_int_equal(lf_once(t), 0);
}

/* The node row: a change reaches xlb_config; a bad one is rejected and
 * the config in force stays. */
/* Spare tables wait under the next service ids once lbd is quiet; a new
 * service of the default M gets its first table in one of them (no
 * kernel wait), the same table a switch would give; a restart keeps the
 * spares and writes nothing. */
static void test_spare_tables(void **state)
{
	struct lf *t = *state;
	unsigned long long writes;
	uint32_t id;

	assert_int_equal(lf_cli(t, BASE_SQL), 0);
	lf_start(t);
	if (!lf_log_wait(t, "spare tables: 128 ready", 10000))
		fail_msg("no spare tables");
	lf_stop(t);
	assert_int_equal(truncate(t->log, 0), 0);
	lf_start(t);
	assert_true(lf_log_wait(t, "128 spare tables kept", 0));
	assert_true(lf_log_wait(t, "3 services, 0 map writes", 0));
	assert_int_equal(lf_cli(t, "INSERT INTO service (vip, proto, port) "
				"VALUES ('" VIP4 "', 'tcp', 443);"
				"INSERT INTO backend (vip, proto, port, address) "
				"VALUES ('" VIP4 "', 'tcp', 443, '198.51.100.1'),"
				" ('" VIP4 "', 'tcp', 443, '198.51.100.2')"), 0);
	if (!lf_log_wait(t, "1 tables built (1 into spares)", 2000))
		fail_msg("the new service's table did not go into a spare");
	id = lf_svc_id(t, VIP4, "tcp", 443, NULL);
	assert_true(id != 0);
	lf_assert_table(t, id, (struct lf_be[]){ { "198.51.100.1", 0, 1 },
		{ "198.51.100.2", 0, 1 } }, 2, XLB_DEF_RING);
	/* The check agrees with what the spare now holds. */
	lf_stop(t);
	assert_int_equal(lf_check(t, &writes), 0);
	assert_int_equal(writes, 0);
}

static void test_node_change(void **state)
{
	struct lf *t = *state;
	struct xlb_config cfg;

	lf_start(t);
	assert_int_equal(lf_cli(t, "UPDATE node SET mtu = 1400, ttl = 9"), 0);
	assert_true(lf_log_wait(t, "applied revision", 2000));
	assert_int_equal(xlb_dpmap_config_get(lf_maps(t), &cfg), 0);
	assert_int_equal(cfg.mtu, 1400);
	assert_int_equal(cfg.ttl, 9);
	assert_int_equal(cfg.src_v4, htonl(0xc0000201));
	assert_int_equal(lf_cli(t, "UPDATE node SET src6 = '2001:db8:0::1/128',"
				" mtu = 1300"), 0);
	assert_true(lf_log_wait(t, "1 rejects", 2000));
	assert_int_equal(xlb_dpmap_config_get(lf_maps(t), &cfg), 0);
	assert_int_equal(cfg.mtu, 1400);
	assert_int_equal(lf_int(t, "SELECT count(*) FROM reject WHERE tbl = "
				"'node' AND field = 'src6' AND reason LIKE "
				"'%%write \"2001:db8::1/128\"%%'"), 1);
	lf_stop(t);
}

/* Attached to an interface, lbd leaves on SIGTERM with the program still
 * attached and its link pinned; `lbd detach` removes it. */
static void test_attach_survives_exit(void **state)
{
	struct lf *t = *state;
	char *ifname = t->ifname, cmd[256], link[128];

	snprintf(t->ifname, sizeof(t->ifname), "xlbtl%d",
		 (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %sp && "
		 "ip link set %s up", ifname, ifname, ifname);
	assert_int_equal(system(cmd), 0);
	lf_sql(t, "UPDATE node SET interface = '%s', xdp_mode = 'generic'",
	       ifname);
	lf_start_attached(t);
	lf_stop(t);
	snprintf(link, sizeof(link), "%s/link_%s", t->pin_dir, ifname);
	assert_int_equal(access(link, F_OK), 0);
	snprintf(cmd, sizeof(cmd), "ip link show dev %s | grep -q xdp", ifname);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(lf_detach(t), 0);
	assert_int_not_equal(access(link, F_OK), 0);
	assert_int_not_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, lf_setup, lf_teardown)
	const struct CMUnitTest tests[] = {
		T(test_full_reconcile),
		T(test_noop_change_writes_nothing),
		T(test_check_writes_nothing),
		T(test_maint_and_drain),
		T(test_all_down_keeps_table),
		T(test_reject_keeps_service),
		T(test_write_reaches_maps),
		T(test_shared_backend_one_pass),
		T(test_unchanged_input_builds_nothing),
		T(test_id_quarantine),
		T(test_service_id_quarantine),
		T(test_removal),
		T(test_restart_repairs),
		T(test_spare_tables),
		T(test_node_change),
		T(test_attach_survives_exit),
	};

	(void)argc;
	if (lf_init(argv[0]))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
