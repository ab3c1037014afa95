// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_lbsh_unit.c - lbsh's parsers and printers, no database: where the
 * statement splitter ends a statement (quotes, identifiers, comments,
 * trigger bodies), how a dot-command line becomes words, and what each
 * output mode prints for a known result set.  The shell's files are
 * compiled in, so the functions tested are the ones lbsh runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lbsh/dotparse.c"
#include "../lbsh/output.c"
#include "../lbsh/split.c"

/* ---- statement splitter ------------------------------------------------ */

static size_t end_of(const char *s)
{
	return lbsh_stmt_end(s, strlen(s));
}

static void test_split_simple(void **state)
{
	(void)state;
	assert_int_equal(end_of("SELECT 1;"), 9);
	assert_int_equal(end_of("SELECT 1; SELECT 2;"), 9);
	assert_int_equal(end_of("SELECT 1"), 0);
	assert_int_equal(end_of("SELECT\n1\n;"), 10);
	assert_int_equal(end_of(";"), 1);
}

static void test_split_quotes(void **state)
{
	(void)state;
	assert_int_equal(end_of("SELECT 'a;b'"), 0);
	assert_int_equal(end_of("SELECT 'a;b';"), 13);
	assert_int_equal(end_of("SELECT 'it''s;';"), 16);
	assert_int_equal(end_of("SELECT 'open;"), 0);
	assert_int_equal(end_of("SELECT \"a;b\" FROM t;"), 20);
	assert_int_equal(end_of("SELECT [a;b] FROM t;"), 20);
	assert_int_equal(end_of("SELECT `a;b` FROM t;"), 20);
}

static void test_split_comments(void **state)
{
	(void)state;
	assert_int_equal(end_of("SELECT 1 -- no; end\n"), 0);
	assert_int_equal(end_of("SELECT 1 -- no; end\n;"), 21);
	assert_int_equal(end_of("SELECT /* ; */ 1;"), 17);
	assert_int_equal(end_of("SELECT /* ; 1;"), 0);
	assert_true(lbsh_sql_blank("  -- only a comment\n /* and */ ", 31));
	assert_false(lbsh_sql_blank("  -- c\n x", 9));
	assert_true(lbsh_sql_blank("", 0));
}

static void test_split_trigger(void **state)
{
	const char *t = "CREATE TRIGGER t AFTER INSERT ON a BEGIN "
			"INSERT INTO b VALUES (1); DELETE FROM c; END;";
	const char *tt = "create temp trigger t after insert on a begin "
			 "select 1; end ; select 2;";

	(void)state;
	assert_int_equal(end_of(t), strlen(t));
	/* Inside the body, the inner ';' do not end it. */
	assert_int_equal(lbsh_stmt_end(t, strlen(t) - 5), 0);
	assert_int_equal(end_of(tt), strlen(tt) - 10);
	/* "backend" is not END, "created" is not CREATE. */
	assert_int_equal(end_of("SELECT backend;"), 15);
	assert_int_equal(end_of("SELECT created, trigger FROM x;"), 31);
	/* A CREATE TABLE is not a trigger. */
	assert_int_equal(end_of("CREATE TABLE trigger_log (a); x"), 29);
}

/* ---- dot-command words ---------------------------------------------------- */

static void test_args_words(void **state)
{
	struct lbsh_args a;

	(void)state;
	assert_int_equal(lbsh_args_parse(".mode  csv ", &a), 0);
	assert_int_equal(a.argc, 2);
	assert_string_equal(a.argv[0], "mode");
	assert_string_equal(a.argv[1], "csv");
	assert_int_equal(lbsh_args_parse(".import 'my file.csv' backend", &a), 0);
	assert_int_equal(a.argc, 3);
	assert_string_equal(a.argv[1], "my file.csv");
	assert_string_equal(a.argv[2], "backend");
	assert_int_equal(lbsh_args_parse(".output \"a\\\"b\" x", &a), 0);
	assert_string_equal(a.argv[1], "a\"b");
	assert_int_equal(lbsh_args_parse(".read 'it''s'", &a), 0);
	assert_string_equal(a.argv[1], "it's");
	assert_int_equal(lbsh_args_parse(".read a\\ b", &a), 0);
	assert_string_equal(a.argv[1], "a b");
}

static void test_args_rest(void **state)
{
	const char *line = ".watch 2 5 SELECT vip, 'a b' FROM live_service";
	struct lbsh_args a;

	(void)state;
	assert_int_equal(lbsh_args_parse(line, &a), 0);
	assert_string_equal(a.argv[1], "2");
	assert_string_equal(a.argv[2], "5");
	assert_string_equal(a.rest[3], "SELECT vip, 'a b' FROM live_service");
}

static void test_args_errors(void **state)
{
	struct lbsh_args a;
	char longline[5000];

	(void)state;
	assert_int_equal(lbsh_args_parse(".read 'open", &a), -EINVAL);
	assert_int_equal(lbsh_args_parse(".", &a), -EINVAL);
	assert_int_equal(lbsh_args_parse(". a b c d e f g h i j k l m n o p q",
					 &a), -E2BIG);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[0] = '.';
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(lbsh_args_parse(longline, &a), -E2BIG);
	assert_int_equal(lbsh_bool_parse("ON"), 1);
	assert_int_equal(lbsh_bool_parse("off"), 0);
	assert_int_equal(lbsh_bool_parse("maybe"), -1);
}

/* ---- output ------------------------------------------------------------------ */

static const char *const names[] = { "vip", "packets", "note" };

/* Prints two rows in mode into a string (the caller frees it). */
static char *print(enum lbsh_mode mode, bool headers, int width)
{
	struct lbsh_cell r1[] = { { SQLITE_TEXT, "203.0.113.10" },
				  { SQLITE_INTEGER, "12345678" },
				  { SQLITE_TEXT, "a,\"b\"" } };
	struct lbsh_cell r2[] = { { SQLITE_TEXT, "2001:db8::1" },
				  { SQLITE_INTEGER, "7" },
				  { SQLITE_NULL, NULL } };
	struct lbsh_out o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(lbsh_out_begin(&o, f, mode, headers, width, 3, names), 0);
	assert_int_equal(lbsh_out_row(&o, r1), 0);
	assert_int_equal(lbsh_out_row(&o, r2), 0);
	lbsh_out_end(&o);
	fclose(f);
	return buf;
}

static void expect(enum lbsh_mode mode, bool headers, int width,
		   const char *want)
{
	char *got = print(mode, headers, width);

	if (strcmp(got, want))
		fprintf(stderr, "mode %s: got\n%s\nwant\n%s\n",
			lbsh_mode_name(mode), got, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_out_table(void **state)
{
	(void)state;
	expect(LBSH_MODE_TABLE, false, 0,
	       "+--------------+------------+-------+\n"
	       "| vip          | packets    | note  |\n"
	       "+--------------+------------+-------+\n"
	       "| 203.0.113.10 | 12,345,678 | a,\"b\" |\n"
	       "| 2001:db8::1  |          7 |       |\n"
	       "+--------------+------------+-------+\n");
}

static void test_out_box_narrowed(void **state)
{
	(void)state;
	/* 34 columns: the widest column (vip, 12) is cut to 9 with an
	 * ellipsis until the line fits. */
	expect(LBSH_MODE_BOX, false, 34,
	       "\u250c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
	       "\u252c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
	       "\u252c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2510\n"
	       "\u2502 vip       \u2502 packets    \u2502 note  \u2502\n"
	       "\u251c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
	       "\u253c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
	       "\u253c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2524\n"
	       "\u2502 203.0.11\u2026 \u2502 12,345,678 \u2502 a,\"b\" \u2502\n"
	       "\u2502 2001:db8\u2026 \u2502          7 \u2502       \u2502\n"
	       "\u2514\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
	       "\u2534\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500"
	       "\u2534\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2518\n");
}

static void test_out_csv(void **state)
{
	(void)state;
	expect(LBSH_MODE_CSV, true, 0,
	       "vip,packets,note\n"
	       "203.0.113.10,12345678,\"a,\"\"b\"\"\"\n"
	       "2001:db8::1,7,\n");
	expect(LBSH_MODE_CSV, false, 0,
	       "203.0.113.10,12345678,\"a,\"\"b\"\"\"\n"
	       "2001:db8::1,7,\n");
}

static void test_out_json(void **state)
{
	(void)state;
	expect(LBSH_MODE_JSON, false, 0,
	       "[{\"vip\":\"203.0.113.10\",\"packets\":12345678,"
	       "\"note\":\"a,\\\"b\\\"\"},\n"
	       "{\"vip\":\"2001:db8::1\",\"packets\":7,\"note\":null}]\n");
}

static void test_out_line_list(void **state)
{
	(void)state;
	expect(LBSH_MODE_LINE, false, 0,
	       "    vip = 203.0.113.10\n"
	       "packets = 12345678\n"
	       "   note = a,\"b\"\n"
	       "\n"
	       "    vip = 2001:db8::1\n"
	       "packets = 7\n"
	       "   note = \n");
	expect(LBSH_MODE_LIST, true, 0,
	       "vip|packets|note\n"
	       "203.0.113.10|12345678|a,\"b\"\n"
	       "2001:db8::1|7|\n");
}

/* A long result is printed in batches aligned on the first: memory stays
 * bounded, and a wider value later is cut and marked. */
static void test_out_table_batches(void **state)
{
	static const char *const kn[] = { "k", "n" };
	struct lbsh_cell rows[3][2] = {
		{ { SQLITE_TEXT, "a" }, { SQLITE_INTEGER, "1" } },
		{ { SQLITE_TEXT, "bb" }, { SQLITE_INTEGER, "22" } },
		{ { SQLITE_TEXT, "cccccc" }, { SQLITE_INTEGER, "3" } },
	};
	struct lbsh_out o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(lbsh_out_begin(&o, f, LBSH_MODE_TABLE, false, 0, 2,
					kn), 0);
	o.keep_max = 2;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lbsh_out_row(&o, rows[i]), 0);
		assert_true(o.nrows < 2); /* never more than keep_max kept */
	}
	lbsh_out_end(&o);
	fclose(f);
	assert_string_equal(buf, "+----+----+\n"
				 "| k  | n  |\n"
				 "+----+----+\n"
				 "| a  |  1 |\n"
				 "| bb | 22 |\n"
				 "| c~ |  3 |\n"
				 "+----+----+\n");
	free(buf);
}

static void test_group_digits(void **state)
{
	char b[32];

	(void)state;
	lbsh_group_digits("65535", b, sizeof(b));
	assert_string_equal(b, "65535");
	lbsh_group_digits("1000000", b, sizeof(b));
	assert_string_equal(b, "1,000,000");
	lbsh_group_digits("-12345678", b, sizeof(b));
	assert_string_equal(b, "-12,345,678");
	lbsh_group_digits("1234567.5", b, sizeof(b));
	assert_string_equal(b, "1234567.5");
	assert_int_equal(lbsh_mode_parse("BOX"), LBSH_MODE_BOX);
	assert_int_equal(lbsh_mode_parse("column"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_simple),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_comments),
		cmocka_unit_test(test_split_trigger),
		cmocka_unit_test(test_args_words),
		cmocka_unit_test(test_args_rest),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_out_table),
		cmocka_unit_test(test_out_box_narrowed),
		cmocka_unit_test(test_out_csv),
		cmocka_unit_test(test_out_json),
		cmocka_unit_test(test_out_line_list),
		cmocka_unit_test(test_out_table_batches),
		cmocka_unit_test(test_group_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
