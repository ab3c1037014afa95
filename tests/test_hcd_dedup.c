// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_hcd_dedup.c - what hcd probes, from a real database file
 * (hcd/config.c, hcd/target.c): a backend behind 2,000 services is one
 * target and one key; identical checks under two names share the target
 * but keep their keys; a backend_port 0 row keeps 0 in its key (as lbd
 * matches it) and is probed on its service's port; a check's port
 * override folds those targets together; a backend's own check overrides
 * its service's; a reload that changes one check restarts only that
 * check's targets and keys, the others keep their state; rows hcd cannot
 * probe are skipped and counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../hcd/hcd.h"
#include "xlb_db.h"
#include "xlb_errmsg.h"

struct fx {
	char dir[64];
	char path[96];
	sqlite3 *w;  /* the writer, as an operator's client */
	sqlite3 *r;  /* hcd's read-only connection */
	struct hcd_interns *in;
};

static void sql(struct fx *f, const char *text)
{
	if (xlb_db_exec(f->w, text))
		fail_msg("%s: %s", text, xlb_errmsg());
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_hcd_dedup.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/xlb.db", f->dir);
	if (xlb_db_open(f->path, &f->w) || hcd_db_open(f->path, &f->r) ||
	    hcd_interns_new(&f->in))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	sqlite3_close(f->r);
	xlb_db_close(f->w);
	hcd_interns_free(f->in);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void load(struct fx *f, struct hcd_specs *s)
{
	if (hcd_config_load(f->r, f->in, s))
		fail_msg("load: %s", xlb_errmsg());
}

static void build(const struct hcd_specs *s, struct hcd_set *set,
		  struct hcd_set *old)
{
	struct hcd_target **gone;
	size_t ngone;

	assert_int_equal(hcd_set_build(set, s->v, s->n, old, &gone, &ngone), 0);
	for (size_t i = 0; i < ngone; i++)
		hcd_target_free(gone[i]);
	free(gone);
}

static void test_backend_behind_2000_services(void **state)
{
	struct fx *f = *state;
	struct hcd_specs s;
	struct hcd_set set;
	char q[256];

	sql(f, "INSERT INTO health_check (name, type, port) VALUES "
	       "('web', 'http', 8080)");
	sql(f, "BEGIN");
	for (int i = 0; i < 2000; i++) {
		snprintf(q, sizeof(q), "INSERT INTO service (vip, proto, port, "
			 "health_check) VALUES ('203.0.113.%d', 'tcp', %d, "
			 "'web'); INSERT INTO backend (vip, proto, port, address)"
			 " VALUES ('203.0.113.%d', 'tcp', %d, '198.51.100.7')",
			 i % 200, 1000 + i, i % 200, 1000 + i);
		sql(f, q);
	}
	sql(f, "COMMIT");
	load(f, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.keys, 1);
	assert_int_equal(s.v[0].probe_port, 8080);
	assert_int_equal(s.v[0].key.port, 0); /* the rows' backend_port */
	assert_string_equal(s.v[0].key.check, "web");
	build(&s, &set, NULL);
	assert_int_equal(set.ntargets, 1);
	assert_int_equal(set.nkeys, 1);
	hcd_set_free(&set);
	hcd_specs_free(&s);
}

static void test_port_zero_and_overrides(void **state)
{
	struct fx *f = *state;
	struct hcd_specs s;
	struct hcd_set set;

	sql(f, "INSERT INTO health_check (name, type) VALUES ('a', 'tcp'), "
	       "('b', 'tcp'), ('ping', 'icmp');"
	       "INSERT INTO health_check (name, type, rise) VALUES "
	       "('a-rise5', 'tcp', 5);"
	       "INSERT INTO service (vip, proto, port, health_check) VALUES "
	       "('203.0.113.1', 'tcp', 80, 'a'), ('203.0.113.1', 'tcp', 443, 'a'),"
	       "('203.0.113.2', 'tcp', 80, 'b'), ('203.0.113.3', 'tcp', 0, 'a'),"
	       "('203.0.113.4', 'tcp', 80, 'a-rise5');"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('203.0.113.1', 'tcp', 80, '192.0.2.10'),"
	       "('203.0.113.1', 'tcp', 443, '192.0.2.10'),"
	       "('203.0.113.2', 'tcp', 80, '192.0.2.10'),"
	       "('203.0.113.4', 'tcp', 80, '192.0.2.10'),"
	       "('203.0.113.3', 'tcp', 0, '192.0.2.11');"
	       "INSERT INTO backend (vip, proto, port, address, backend_port, "
	       "health_check) VALUES ('203.0.113.2', 'tcp', 80, '192.0.2.12', "
	       "9000, 'ping')");
	load(f, &s);
	/* 192.0.2.10 0 a: ports 80 and 443 (two targets, one key);
	 * 192.0.2.10 0 b: port 80, the same probe as a's (a shared target);
	 * 192.0.2.10 0 a-rise5: the same target again, its own key;
	 * 192.0.2.11 (all-ports service, no port): skipped;
	 * 192.0.2.12 9000 ping: its own check, icmp, no port. */
	assert_int_equal(s.skipped, 1);
	assert_int_equal(s.keys, 4);
	assert_int_equal(s.n, 5);
	build(&s, &set, NULL);
	assert_int_equal(set.ntargets, 3);
	assert_int_equal(set.nkeys, 4);
	for (size_t i = 0; i < s.n; i++)
		if (!strcmp(s.v[i].key.check, "ping")) {
			assert_int_equal(s.v[i].key.port, 9000);
			assert_int_equal(s.v[i].probe_port, 0);
		}
	hcd_set_free(&set);
	hcd_specs_free(&s);
	/* The check's own port: one target for 80 and 443. */
	sql(f, "UPDATE health_check SET port = 8080 WHERE name = 'a'");
	load(f, &s);
	build(&s, &set, NULL);
	/* a:8080 is no longer b's probe: .10 a:8080, .10 b:80 (= a-rise5's),
	 * icmp, and .11 (all-ports service) now has a port to probe. */
	assert_int_equal(s.skipped, 0);
	assert_int_equal(set.ntargets, 4);
	assert_int_equal(s.n, 5);
	hcd_set_free(&set);
	hcd_specs_free(&s);
}

static struct hcd_target *find(struct hcd_set *set, const char *check)
{
	for (size_t b = 0; b < set->nbuckets; b++)
		for (struct hcd_kstate *k = set->kbuckets[b]; k; k = k->next)
			if (!strcmp(k->key.check, check))
				return k->links[0]->target;
	return NULL;
}

static struct hcd_kstate *key(struct hcd_set *set, const char *check)
{
	struct hcd_target *t = find(set, check);

	return t ? t->links[0]->key : NULL;
}

static void test_changed_check_restarts_only_itself(void **state)
{
	struct fx *f = *state;
	struct hcd_specs s1, s2;
	struct hcd_set one, two;
	struct hcd_target *ta, *tb;

	sql(f, "INSERT INTO health_check (name, type, port) VALUES "
	       "('a', 'tcp', 81), ('b', 'http', 82);"
	       "INSERT INTO service (vip, proto, port) VALUES "
	       "('203.0.113.1', 'tcp', 80);"
	       "INSERT INTO backend (vip, proto, port, address, health_check) "
	       "VALUES ('203.0.113.1', 'tcp', 80, '192.0.2.1', 'a'),"
	       "('203.0.113.1', 'tcp', 80, '192.0.2.2', 'b')");
	load(f, &s1);
	build(&s1, &one, NULL);
	ta = find(&one, "a");
	tb = find(&one, "b");
	assert_non_null(ta);
	assert_non_null(tb);
	/* Both decided up, as after some probes. */
	ta->due_us = 111;
	key(&one, "a")->verdict = HCD_UP;
	key(&one, "a")->links[0]->rf.verdict = HCD_UP;
	key(&one, "b")->verdict = HCD_UP;
	key(&one, "b")->links[0]->rf.verdict = HCD_UP;
	sql(f, "UPDATE health_check SET path = '/ready' WHERE name = 'b'");
	load(f, &s2);
	build(&s2, &two, &one);
	/* a: the same target (schedule kept) and state; b: a new target
	 * and a key that has to decide again. */
	assert_ptr_equal(find(&two, "a"), ta);
	assert_int_equal(ta->due_us, 111);
	assert_int_equal(key(&two, "a")->verdict, HCD_UP);
	assert_int_equal(key(&two, "a")->links[0]->rf.verdict, HCD_UP);
	assert_ptr_not_equal(find(&two, "b"), NULL);
	assert_true(find(&two, "b")->heap_idx == UINT32_MAX);
	assert_int_equal(key(&two, "b")->verdict, HCD_UNKNOWN);
	assert_int_equal(one.ntargets, 0);
	hcd_set_free(&two);
	hcd_specs_free(&s1);
	hcd_specs_free(&s2);
}

static void test_backend_check_overrides_service(void **state)
{
	struct fx *f = *state;
	struct hcd_specs s;

	sql(f, "INSERT INTO health_check (name, type, port) VALUES "
	       "('svc', 'tcp', 81), ('own', 'tcp', 82);"
	       "INSERT INTO service (vip, proto, port, health_check) VALUES "
	       "('2001:db8::100', 'tcp', 80, 'svc');"
	       "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('2001:db8::100', 'tcp', 80, '2001:db8::1');"
	       "INSERT INTO backend (vip, proto, port, address, health_check) "
	       "VALUES ('2001:db8::100', 'tcp', 80, '2001:db8::2', 'own')");
	load(f, &s);
	assert_int_equal(s.n, 2);
	for (size_t i = 0; i < s.n; i++) {
		char a[XLB_ADDR_STRLEN];

		xlb_addr_format(&s.v[i].key.addr, s.v[i].key.family, a,
				sizeof(a));
		assert_string_equal(s.v[i].key.check,
				    !strcmp(a, "2001:db8::1") ? "svc" : "own");
		assert_int_equal(s.v[i].probe_port,
				 !strcmp(a, "2001:db8::1") ? 81 : 82);
	}
	hcd_specs_free(&s);
}

static void test_database_is_not_written(void **state)
{
	struct fx *f = *state;

	assert_int_not_equal(sqlite3_exec(f->r, "CREATE TABLE x (a)", NULL,
					  NULL, NULL), SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backend_behind_2000_services,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_zero_and_overrides,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_check_restarts_only_itself,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_check_overrides_service,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_is_not_written,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
