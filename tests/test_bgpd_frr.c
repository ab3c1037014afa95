// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_bgpd_frr.c - bgpd-bridge's FRR side without FRR: which `network`
 * statements of a running configuration (as FRR 8's `show running-config`
 * prints it) are ours — tagged with our route-map, under our `router
 * bgp` of the default VRF, host prefixes of the address family's kind —
 * and the vtysh script that takes bgpd from one set to another.  The real
 * bgpd is in tests/lab/test_bgpd_bridge.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../bgpd-bridge/frr_conf.c"
#include "../bgpd-bridge/vipset.c"

/* What FRR 8.4's vtysh -d bgpd printed, with an operator's statements and
 * a VRF instance around ours. */
static const char running[] =
	"Building configuration...\n"
	"\n"
	"Current configuration:\n"
	"!\n"
	"frr version 8.4.4\n"
	"frr defaults traditional\n"
	"hostname lb1\n"
	"!\n"
	"router bgp 65001\n"
	" bgp router-id 192.0.2.2\n"
	" no bgp ebgp-requires-policy\n"
	" no bgp network import-check\n"
	" neighbor 192.0.2.1 remote-as 65000\n"
	" !\n"
	" address-family ipv4 unicast\n"
	"  network 198.51.100.64/26\n"
	"  network 198.51.100.1/32 route-map OTHER\n"
	"  network 203.0.113.10/32 route-map XLB-VIP\n"
	"  network 203.0.113.11/32 route-map XLB-VIP\n"
	"  network 203.0.113.0/28 route-map XLB-VIP\n"
	" exit-address-family\n"
	" !\n"
	" address-family ipv6 unicast\n"
	"  network 2001:db8:100::10/128 route-map XLB-VIP\n"
	"  network 2001:db8:ff::/48\n"
	" exit-address-family\n"
	" !\n"
	" address-family l2vpn evpn\n"
	"  network 203.0.113.99/32 route-map XLB-VIP\n"
	" exit-address-family\n"
	"exit\n"
	"!\n"
	"router bgp 65001 vrf blue\n"
	" address-family ipv4 unicast\n"
	"  network 203.0.113.50/32 route-map XLB-VIP\n"
	" exit-address-family\n"
	"exit\n"
	"!\n"
	"router bgp 650010\n"
	" address-family ipv4 unicast\n"
	"  network 203.0.113.51/32 route-map XLB-VIP\n"
	" exit-address-family\n"
	"exit\n"
	"!\n"
	"route-map XLB-VIP permit 10\n"
	"exit\n"
	"!\n"
	"end\n";

static void add(struct bgpd_vipset *s, const char *text)
{
	union xlb_addr a;
	__u8 fam;

	assert_int_equal(xlb_addr_parse(text, &a, &fam), 0);
	assert_true(vipset_add(s, &a, fam) >= 0);
}

static bool has(const struct bgpd_vipset *s, const char *text)
{
	union xlb_addr a;
	__u8 fam;

	assert_int_equal(xlb_addr_parse(text, &a, &fam), 0);
	return vipset_has(s, &a, fam);
}

static void test_ours_only(void **state)
{
	struct bgpd_vipset s;

	(void)state;
	vipset_init(&s);
	assert_int_equal(frr_conf_networks(running, 65001, "XLB-VIP", &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(has(&s, "203.0.113.10"));
	assert_true(has(&s, "203.0.113.11"));
	assert_true(has(&s, "2001:db8:100::10"));
	/* Not the operator's, not another tag's, not a /28, not another AF,
	 * not a VRF's or another AS's instance. */
	assert_false(has(&s, "198.51.100.1"));
	assert_false(has(&s, "203.0.113.0"));
	assert_false(has(&s, "203.0.113.99"));
	assert_false(has(&s, "203.0.113.50"));
	assert_false(has(&s, "203.0.113.51"));
	vipset_free(&s);
}

static void test_other_tag_and_asn(void **state)
{
	struct bgpd_vipset s;

	(void)state;
	vipset_init(&s);
	assert_int_equal(frr_conf_networks(running, 65001, "OTHER", &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(has(&s, "198.51.100.1"));
	assert_int_equal(frr_conf_networks(running, 650010, "XLB-VIP", &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(has(&s, "203.0.113.51"));
	/* A restarted bgpd without its configuration yet. */
	assert_int_equal(frr_conf_networks("Building configuration...\n!\n"
					   "end\n", 65001, "XLB-VIP", &s),
			 -ESRCH);
	assert_non_null(strstr(xlb_errmsg(), "router bgp 65001"));
	assert_int_equal(frr_conf_networks(running, 65002, "XLB-VIP", &s),
			 -ESRCH);
	vipset_free(&s);
}

/* A router without address-family blocks (older style): IPv4. */
static void test_no_address_family(void **state)
{
	static const char conf[] =
		"router bgp 65001\n"
		" network 203.0.113.10/32 route-map XLB-VIP\n"
		" network 2001:db8::1/128 route-map XLB-VIP\n"
		"!\n";
	struct bgpd_vipset s;

	(void)state;
	vipset_init(&s);
	assert_int_equal(frr_conf_networks(conf, 65001, "XLB-VIP", &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(has(&s, "203.0.113.10"));
	vipset_free(&s);
}

static void test_script(void **state)
{
	struct bgpd_vipset want;
	struct frr_change c[3];
	char *text;

	(void)state;
	vipset_init(&want);
	add(&want, "203.0.113.10");
	add(&want, "203.0.113.12");
	add(&want, "2001:db8:100::10");
	c[0] = (struct frr_change){ &want.v[0], true };
	c[1] = (struct frr_change){ &want.v[1], false };
	c[2] = (struct frr_change){ &want.v[2], true };
	assert_int_equal(frr_conf_script(c, 3, 65001, "XLB-VIP", &text), 0);
	assert_string_equal(text,
		"configure terminal\n"
		"route-map XLB-VIP permit 10\n"
		"exit\n"
		"router bgp 65001\n"
		"address-family ipv4 unicast\n"
		"network 203.0.113.10/32 route-map XLB-VIP\n"
		"no network 203.0.113.12/32 route-map XLB-VIP\n"
		"exit-address-family\n"
		"address-family ipv6 unicast\n"
		"network 2001:db8:100::10/128 route-map XLB-VIP\n"
		"exit-address-family\n"
		"end\n");
	free(text);
	/* Removals only: the route-map is not touched. */
	assert_int_equal(frr_conf_script(c + 1, 1, 65001, "XLB-VIP", &text),
			 0);
	assert_null(strstr(text, "route-map XLB-VIP permit"));
	assert_non_null(strstr(text, "no network 203.0.113.12/32"));
	free(text);
	vipset_free(&want);
}

/* The script's statements read back as the set they were meant to make. */
static void test_script_round_trip(void **state)
{
	struct bgpd_vipset want, got;
	struct frr_change c[40];
	char *text, conf[8192];
	const char *l;
	char *p = conf;

	(void)state;
	vipset_init(&want);
	vipset_init(&got);
	for (int i = 0; i < 20; i++) {
		char a[64];

		snprintf(a, sizeof(a), "203.0.113.%d", 100 + i);
		add(&want, a);
		snprintf(a, sizeof(a), "2001:db8:100::%x", 0x10 + i);
		add(&want, a);
	}
	for (size_t i = 0; i < want.n; i++)
		c[i] = (struct frr_change){ &want.v[i], true };
	assert_int_equal(frr_conf_script(c, want.n, 65001, "XLB-VIP", &text),
			 0);
	/* Indent as bgpd shows it: router level 1, address family 2. */
	p += sprintf(p, "router bgp 65001\n");
	for (l = text; *l; l += strcspn(l, "\n") + 1) {
		int n = (int)strcspn(l, "\n");

		if (!strncmp(l, "address-family", 14) ||
		    !strncmp(l, "exit-address-family", 19))
			p += sprintf(p, " %.*s\n", n, l);
		else if (!strncmp(l, "network", 7))
			p += sprintf(p, "  %.*s\n", n, l);
	}
	assert_int_equal(frr_conf_networks(conf, 65001, "XLB-VIP", &got), 0);
	assert_true(vipset_equal(&want, &got));
	free(text);
	vipset_free(&want);
	vipset_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours_only),
		cmocka_unit_test(test_other_tag_and_asn),
		cmocka_unit_test(test_no_address_family),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_script_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
