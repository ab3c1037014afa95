// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_addr.c - lib/xlb_addr: every accepted spelling maps to the right bytes
 * and prints back in its one canonical form; every bad input is rejected
 * with the errno the header promises.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xlb_addr.h"

/* Parses s, expects family fam and canonical text canon on the way back. */
static void roundtrip(const char *s, __u8 fam, const char *canon)
{
	char buf[XLB_ADDR_STRLEN];
	union xlb_addr a;
	__u8 f = 0;

	assert_int_equal(xlb_addr_parse(s, &a, &f), 0);
	assert_int_equal(f, fam);
	assert_int_equal(xlb_addr_format(&a, f, buf, sizeof(buf)),
			 (int)strlen(canon));
	assert_string_equal(buf, canon);
}

static void test_addr_v4_bytes(void **state)
{
	union xlb_addr a;
	__u8 f;
	int i;

	(void)state;
	memset(&a, 0xaa, sizeof(a));
	assert_int_equal(xlb_addr_parse("192.0.2.10", &a, &f), 0);
	assert_int_equal(f, XLB_FAM_V4);
	assert_int_equal(a.b[0], 192);
	assert_int_equal(a.b[1], 0);
	assert_int_equal(a.b[2], 2);
	assert_int_equal(a.b[3], 10);
	/* Map keys compare byte for byte: the tail must be zero. */
	for (i = 4; i < 16; i++)
		assert_int_equal(a.b[i], 0);
}

static void test_addr_canonical(void **state)
{
	(void)state;
	roundtrip("198.51.100.1", XLB_FAM_V4, "198.51.100.1");
	roundtrip("0.0.0.0", XLB_FAM_V4, "0.0.0.0");
	roundtrip("255.255.255.255", XLB_FAM_V4, "255.255.255.255");
	roundtrip("2001:db8::1", XLB_FAM_V6, "2001:db8::1");
	roundtrip("2001:DB8:0:0:0:0:0:1", XLB_FAM_V6, "2001:db8::1");
	roundtrip("2001:0db8:0000:0000:0001:0000:0000:0001", XLB_FAM_V6,
		  "2001:db8::1:0:0:1");
	roundtrip("2001:db8:0:1:1:1:1:1", XLB_FAM_V6, "2001:db8:0:1:1:1:1:1");
	roundtrip("::", XLB_FAM_V6, "::");
	roundtrip("::1", XLB_FAM_V6, "::1");
}

static void test_addr_v4_mapped_stays_v6(void **state)
{
	union xlb_addr a;
	__u8 f;

	(void)state;
	assert_int_equal(xlb_addr_parse("::ffff:192.0.2.1", &a, &f), 0);
	assert_int_equal(f, XLB_FAM_V6);
	assert_int_equal(a.b[10], 0xff);
	assert_int_equal(a.b[11], 0xff);
	assert_int_equal(a.b[12], 192);
	roundtrip("::ffff:c000:201", XLB_FAM_V6, "::ffff:192.0.2.1");
}

static void test_addr_bad(void **state)
{
	static const char *const bad[] = {
		"", " 192.0.2.1", "192.0.2.1 ", "192.0.2", "192.0.2.256",
		"192.0.2.1.1", "0x1.0.0.1", "192.0.2.01", "1", "192.0.2.-1",
		"2001:db8::1::1", "2001:db8:::1", "2001:db8::g", "[2001:db8::1]",
		"2001:db8::1%eth0", "1:2:3:4:5:6:7:8:9", "192.0.2.1/32",
		"localhost",
	};
	union xlb_addr a;
	size_t i;
	__u8 f;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad address '%s'\n", bad[i]);
		assert_int_equal(xlb_addr_parse(bad[i], &a, &f), -EINVAL);
	}
}

static void test_addr_format_errors(void **state)
{
	union xlb_addr a;
	char small[8];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.b[0] = 0x20;
	assert_int_equal(xlb_addr_format(&a, 5, small, sizeof(small)),
			 -EAFNOSUPPORT);
	assert_int_equal(xlb_addr_format(&a, XLB_FAM_V4, small, 7), -ENOSPC);
	/* "32.0.0.0" needs 9 bytes with its NUL. */
	assert_int_equal(xlb_addr_format(&a, XLB_FAM_V4, small, 8), -ENOSPC);
	assert_int_equal(xlb_addr_format(&a, XLB_FAM_V6, small, 8), 6);
	assert_string_equal(small, "2000::");
}

static void test_prefix_good(void **state)
{
	char buf[XLB_PREFIX_STRLEN];
	union xlb_addr a, m;
	unsigned int plen;
	__u8 f;

	(void)state;
	assert_int_equal(xlb_prefix_parse("192.0.2.16/28", &a, &f, &plen), 0);
	assert_int_equal(f, XLB_FAM_V4);
	assert_int_equal(plen, 28);
	assert_int_equal(a.b[3], 16);
	assert_int_equal(xlb_prefix_format(&a, f, plen, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "192.0.2.16/28");

	assert_int_equal(xlb_prefix_parse("2001:db8::/96", &a, &f, &plen), 0);
	assert_int_equal(f, XLB_FAM_V6);
	assert_int_equal(plen, 96);
	assert_int_equal(xlb_prefix_parse("0.0.0.0/0", &a, &f, &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(xlb_prefix_parse("2001:db8::1/128", &a, &f, &plen), 0);
	assert_int_equal(plen, 128);

	assert_int_equal(xlb_prefix_hostmask(XLB_FAM_V4, 28, &m), 0);
	assert_int_equal(m.v4, htonl(0xf));
	assert_int_equal(xlb_prefix_hostmask(XLB_FAM_V4, 32, &m), 0);
	assert_int_equal(m.v4, 0);
	assert_int_equal(xlb_prefix_hostmask(XLB_FAM_V6, 100, &m), 0);
	assert_int_equal(m.v6[0] | m.v6[1] | m.v6[2], 0);
	assert_int_equal(m.v6[3], htonl(0x0fffffff));
	assert_int_equal(xlb_prefix_hostmask(XLB_FAM_V6, 129, &m), -ERANGE);
	assert_int_equal(xlb_prefix_hostmask(0, 1, &m), -EAFNOSUPPORT);
}

struct bad_case {
	const char *s;
	int err;
};

static void test_prefix_bad(void **state)
{
	static const struct bad_case bad[] = {
		{ "192.0.2.0", -EINVAL },     { "192.0.2.0/", -EINVAL },
		{ "192.0.2.0/x", -EINVAL },   { "192.0.2.0/-1", -EINVAL },
		{ "192.0.2.0/+8", -EINVAL },  { "192.0.2.0/24 ", -EINVAL },
		{ "192.0.2/24", -EINVAL },    { "/24", -EINVAL },
		{ "192.0.2.0/33", -ERANGE },  { "2001:db8::/129", -ERANGE },
		{ "192.0.2.0/99999999999", -ERANGE },
		{ "192.0.2.1/24", -EDOM },    { "2001:db8::1/96", -EDOM },
		{ "192.0.2.0/24/1", -EINVAL },
	};
	union xlb_addr a;
	unsigned int plen;
	size_t i;
	__u8 f;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad prefix '%s'\n", bad[i].s);
		assert_int_equal(xlb_prefix_parse(bad[i].s, &a, &f, &plen),
				 bad[i].err);
	}
}

static void test_port(void **state)
{
	__u16 p = 1;

	(void)state;
	assert_int_equal(xlb_port_parse("0", &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(xlb_port_parse("65535", &p), 0);
	assert_int_equal(p, 65535);
	assert_int_equal(xlb_port_parse("65536", &p), -ERANGE);
	assert_int_equal(xlb_port_parse("", &p), -EINVAL);
	assert_int_equal(xlb_port_parse("8o", &p), -EINVAL);
	assert_int_equal(xlb_port_parse("-1", &p), -EINVAL);
	assert_int_equal(xlb_port_parse(" 80", &p), -EINVAL);
	assert_int_equal(p, 65535); /* untouched by failures */
}

static void test_addrport_good(void **state)
{
	char buf[XLB_ADDRPORT_STRLEN];
	union xlb_addr a;
	bool has;
	__u16 p = 7;
	__u8 f;

	(void)state;
	assert_int_equal(xlb_addrport_parse("192.0.2.1", &a, &f, &p, &has), 0);
	assert_false(has);
	assert_int_equal(p, 7);
	assert_int_equal(f, XLB_FAM_V4);
	assert_int_equal(xlb_addrport_parse("192.0.2.1:8080", &a, &f, &p, &has),
			 0);
	assert_true(has);
	assert_int_equal(p, 8080);
	assert_int_equal(xlb_addrport_format(&a, f, p, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "192.0.2.1:8080");

	assert_int_equal(xlb_addrport_parse("2001:db8::5", &a, &f, &p, &has), 0);
	assert_false(has);
	assert_int_equal(f, XLB_FAM_V6);
	assert_int_equal(a.b[15], 5);
	assert_int_equal(xlb_addrport_parse("[2001:db8::5]", &a, &f, &p, &has),
			 0);
	assert_false(has);
	assert_int_equal(xlb_addrport_parse("[2001:DB8::5]:443", &a, &f, &p,
					    &has), 0);
	assert_true(has);
	assert_int_equal(p, 443);
	assert_int_equal(xlb_addrport_format(&a, f, p, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "[2001:db8::5]:443");
	assert_int_equal(xlb_addrport_format(&a, f, p, buf, 17), -ENOSPC);
}

static void test_addrport_bad(void **state)
{
	static const struct bad_case bad[] = {
		{ "192.0.2.1:", -EINVAL },        { "192.0.2.1:x", -EINVAL },
		{ "192.0.2.1:0", -ERANGE },       { "192.0.2.1:65536", -ERANGE },
		{ "[192.0.2.1]:80", -EINVAL },    { "[2001:db8::1", -EINVAL },
		{ "[2001:db8::1]80", -EINVAL },   { "[2001:db8::1]:", -EINVAL },
		{ "2001:db8::1]:80", -EINVAL },   { "[[2001:db8::1]]:80", -EINVAL },
		{ "192.0.2.1:80:80", -EINVAL },   { "", -EINVAL },
		{ "[2001:db8::1]:0", -ERANGE },
	};
	union xlb_addr a;
	size_t i;
	bool has;
	__u16 p;
	__u8 f;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad addr:port '%s'\n", bad[i].s);
		assert_int_equal(xlb_addrport_parse(bad[i].s, &a, &f, &p, &has),
				 bad[i].err);
	}
}

static void test_mac(void **state)
{
	static const char *const bad[] = {
		"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aa-bb-cc-dd-ee-ff",
		"aabb.ccdd.eeff", "a:bb:cc:dd:ee:ff0", "gg:bb:cc:dd:ee:ff",
		"aa:bb:cc:dd:ee:f", " aa:bb:cc:dd:ee:f", "aa:bb:cc:dd:ee:ff ",
		"aa::bb:cc:dd:eef",
	};
	__u8 mac[6], want[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x9f };
	char buf[XLB_MAC_STRLEN];
	size_t i;

	(void)state;
	assert_int_equal(xlb_mac_parse("02:AB:cd:Ef:00:9f", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(xlb_mac_format(mac, buf, sizeof(buf)), 17);
	assert_string_equal(buf, "02:ab:cd:ef:00:9f");
	assert_int_equal(xlb_mac_format(mac, buf, sizeof(buf) - 1), -ENOSPC);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad mac '%s'\n", bad[i]);
		assert_int_equal(xlb_mac_parse(bad[i], mac), -EINVAL);
	}
	assert_memory_equal(mac, want, 6); /* untouched by failures */
}

static void test_proto(void **state)
{
	__u8 p = 0;

	(void)state;
	assert_int_equal(xlb_proto_parse("tcp", &p), 0);
	assert_int_equal(p, IPPROTO_TCP);
	assert_int_equal(xlb_proto_parse("UDP", &p), 0);
	assert_int_equal(p, IPPROTO_UDP);
	assert_int_equal(xlb_proto_parse("sctp", &p), -EPROTONOSUPPORT);
	assert_int_equal(xlb_proto_parse("", &p), -EPROTONOSUPPORT);
	assert_int_equal(xlb_proto_parse("6", &p), -EPROTONOSUPPORT);
	assert_string_equal(xlb_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(xlb_proto_name(IPPROTO_UDP), "udp");
	assert_null(xlb_proto_name(IPPROTO_ICMP));
	assert_null(xlb_proto_name(0));
}

static void test_service_format(void **state)
{
	struct xlb_vip_key k;
	char buf[XLB_SERVICE_STRLEN];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(xlb_addr_parse("2001:db8::10", &k.addr, &k.family), 0);
	k.proto = IPPROTO_UDP;
	k.port = htons(53);
	assert_int_equal(xlb_service_format(&k, buf, sizeof(buf)), 19);
	assert_string_equal(buf, "2001:db8::10 udp 53");
	k.proto = 0;
	k.port = 0;
	assert_int_equal(xlb_service_format(&k, buf, sizeof(buf)), 18);
	assert_string_equal(buf, "2001:db8::10 any 0");
	assert_int_equal(xlb_service_format(&k, buf, 16), -ENOSPC);
	k.proto = IPPROTO_ICMP;
	assert_int_equal(xlb_service_format(&k, buf, sizeof(buf)),
			 -EPROTONOSUPPORT);
	k.family = 0;
	assert_int_equal(xlb_service_format(&k, buf, sizeof(buf)),
			 -EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_v4_bytes),
		cmocka_unit_test(test_addr_canonical),
		cmocka_unit_test(test_addr_v4_mapped_stays_v6),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_addr_format_errors),
		cmocka_unit_test(test_prefix_good),
		cmocka_unit_test(test_prefix_bad),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_addrport_good),
		cmocka_unit_test(test_addrport_bad),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_service_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
