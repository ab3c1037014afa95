// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * load.c - load, attach, detach, unpin.
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


int cmd_load(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "services", required_argument, NULL, 's' },
		{ "backends", required_argument, NULL, 'b' },
		{ "conntrack", required_argument, NULL, 'c' },
		{ "frags", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlb_sizes sz = { 0, 0, 0, 0 };
	struct xlb_dp *dp;
	int o, rc = 0;

	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 's')
			rc = parse_u32("--services", optarg, 1, XLB_MAX_SERVICES,
				       &sz.services);
		else if (o == 'b')
			rc = parse_u32("--backends", optarg, 1,
				       XLB_MAX_BACKENDS, &sz.backends);
		else if (o == 'c')
			rc = parse_u32("--conntrack", optarg, 1,
				       XLB_MAX_CONNTRACK, &sz.conntrack);
		else if (o == 'f')
			rc = parse_u32("--frags", optarg, 1, XLB_MAX_FRAGS,
				       &sz.frags);
		else
			rc = bad_option(argv);
	}
	if (rc)
		return rc;
	if (optind != argc)
		return usage_error("load: unexpected argument");
	if (open_dp(c, &sz, &dp))
		return 1;
	xlb_dp_sizes(dp, &sz);
	printf("services %u\nbackends %u\nconntrack %u\nfrags %u\n",
	       sz.services, sz.backends, sz.conntrack, sz.frags);
	xlb_dp_close(dp);
	return 0;
}

static int parse_mode(const char *s, enum xlb_xdp_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = XLB_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = XLB_XDP_GENERIC;
	else if (!strcmp(s, "auto"))
		*mode = XLB_XDP_AUTO;
	else
		return fail("--mode '%s': must be native, generic or auto", s);
	return 0;
}

int cmd_attach(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	enum xlb_xdp_mode mode = XLB_XDP_AUTO, got;
	struct xlb_dp *dp;
	int o, rc = 0, err;

	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		rc = o == 'm' ? parse_mode(optarg, &mode) : bad_option(argv);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return usage_error("attach: expected one IFNAME");
	if (open_dp(c, NULL, &dp))
		return 1;
	err = xlb_dp_attach(dp, argv[optind], mode, &got);
	xlb_dp_close(dp);
	if (err)
		return fail_lib(err);
	printf("%s\n", xlb_xdp_mode_name(got));
	return 0;
}

int cmd_detach(struct ctl *c, int argc, char **argv)
{
	int err;

	if (argc != 2)
		return usage_error("detach: expected one IFNAME");
	err = xlb_dp_detach(c->pin_dir, argv[1]);
	return err ? fail_lib(err) : 0;
}

int cmd_unpin(struct ctl *c, int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("unpin: no argument expected");
	err = xlb_dp_unpin(c->pin_dir);
	return err ? fail_lib(err) : 0;
}
