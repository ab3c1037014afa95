// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config.c - the config command: the node's forwarding settings.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "xlbctl.h"


static int parse_mac(const char *field, const char *s, __u8 mac[6])
{
	if (xlb_mac_parse(s, mac))
		return fail("%s '%s': not a MAC address aa:bb:cc:dd:ee:ff",
			    field, s);
	return 0;
}

/* ADDR or ADDR/PLEN of the given family into (base, host-bit mask). */
static int parse_src(const char *field, const char *s, __u8 want,
		     union xlb_addr *base, union xlb_addr *mask)
{
	unsigned int plen, bits = xlb_addr_bits(want);
	__u8 fam;
	int err;

	if (strchr(s, '/')) {
		err = xlb_prefix_parse(s, base, &fam, &plen);
		if (err == -EDOM)
			return fail("%s %s: address has bits set beyond the "
				    "prefix length", field, s);
		if (err == -ERANGE)
			return fail("%s %s: prefix length out of range", field,
				    s);
	} else {
		err = xlb_addr_parse(s, base, &fam);
		plen = bits;
	}
	if (err || fam != want)
		return fail("%s '%s': not an IPv%u address[/PLEN]", field, s,
			    want);
	/* The datapath varies only the last 32 bits of an IPv6 source. */
	if (want == XLB_FAM_V6 && plen < 96)
		return fail("%s %s: only the last 32 bits can vary, PLEN must "
			    "be 96..128", field, s);
	xlb_prefix_hostmask(want, plen, mask);
	return 0;
}

static int parse_echo(const char *s, struct xlb_config *cfg)
{
	if (!strcmp(s, "on"))
		cfg->flags |= XLB_CFG_F_ECHO_REPLY;
	else if (!strcmp(s, "off"))
		cfg->flags &= (__u8)~XLB_CFG_F_ECHO_REPLY;
	else
		return fail("--echo '%s': must be on or off", s);
	return 0;
}

static int config_option(int o, const char *arg, struct xlb_config *cfg)
{
	union xlb_addr base, mask;
	__u32 v;

	switch (o) {
	case 'S':
		return parse_mac("--src-mac", arg, cfg->src_mac);
	case 'N':
		return parse_mac("--nh-mac", arg, cfg->nh_mac);
	case '4':
		if (parse_src("--src4", arg, XLB_FAM_V4, &base, &mask))
			return 1;
		cfg->src_v4 = base.v4;
		cfg->src_v4_mask = mask.v4;
		return 0;
	case '6':
		if (parse_src("--src6", arg, XLB_FAM_V6, &base, &mask))
			return 1;
		cfg->src_v6 = base;
		cfg->src_v6_mask = mask.v6[3];
		return 0;
	case 'm':
		if (parse_u32("--mtu", arg, 68, 65535, &v))
			return 1;
		cfg->mtu = (__u16)v;
		return 0;
	case 't':
		if (parse_u32("--ttl", arg, 1, 255, &v))
			return 1;
		cfg->ttl = (__u8)v;
		return 0;
	case 'e':
		return parse_echo(arg, cfg);
	default:
		return -1;
	}
}

/* Prefix length of a host-bit mask of `bits` bits, or -1 if not one. */
static int mask_plen(__u32 host_mask_be, unsigned int bits)
{
	__u32 h = ntohl(host_mask_be);

	if (h & (h + 1)) /* not of the form 2^k - 1 */
		return -1;
	return (int)bits - __builtin_popcount(h);
}

static void print_src(const char *name, const union xlb_addr *a, __u8 fam,
		      __u32 mask, unsigned int bits)
{
	char buf[XLB_ADDR_STRLEN], mbuf[XLB_ADDR_STRLEN];
	union xlb_addr m;
	int plen = mask_plen(mask, bits);

	xlb_addr_format(a, fam, buf, sizeof(buf));
	if (plen >= 0) {
		printf("%s %s/%d\n", name, buf, plen);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.v6[fam == XLB_FAM_V6 ? 3 : 0] = mask;
	xlb_addr_format(&m, fam, mbuf, sizeof(mbuf));
	printf("%s %s mask %s\n", name, buf, mbuf);
}

static void print_config(const struct xlb_config *cfg)
{
	char mac[XLB_MAC_STRLEN];
	union xlb_addr v4;

	xlb_mac_format(cfg->src_mac, mac, sizeof(mac));
	printf("src_mac %s\n", mac);
	xlb_mac_format(cfg->nh_mac, mac, sizeof(mac));
	printf("nh_mac %s\n", mac);
	memset(&v4, 0, sizeof(v4));
	v4.v4 = cfg->src_v4;
	print_src("src4", &v4, XLB_FAM_V4, cfg->src_v4_mask, 32);
	print_src("src6", &cfg->src_v6, XLB_FAM_V6, cfg->src_v6_mask, 128);
	printf("mtu %u\nttl %u\necho %s\n", cfg->mtu, cfg->ttl,
	       cfg->flags & XLB_CFG_F_ECHO_REPLY ? "on" : "off");
}

int cmd_config(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src-mac", required_argument, NULL, 'S' },
		{ "nh-mac", required_argument, NULL, 'N' },
		{ "src4", required_argument, NULL, '4' },
		{ "src6", required_argument, NULL, '6' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "ttl", required_argument, NULL, 't' },
		{ "echo", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlb_config cfg, before;
	struct xlb_dpmaps m;
	int o, rc = 0, err;

	if (open_maps(c, &m))
		return 1;
	err = xlb_dpmap_config_get(&m, &cfg);
	if (err) {
		xlb_dpmaps_close(&m);
		return fail_lib(err);
	}
	before = cfg;
	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		rc = config_option(o, optarg, &cfg);
		if (rc < 0)
			rc = bad_option(argv);
	}
	if (!rc && optind != argc)
		rc = usage_error("config: unexpected argument");
	if (!rc && memcmp(&cfg, &before, sizeof(cfg))) {
		err = xlb_dpmap_config_set(&m, &cfg);
		rc = err ? fail_lib(err) : 0;
	}
	xlb_dpmaps_close(&m);
	if (!rc)
		print_config(&cfg);
	return rc;
}
