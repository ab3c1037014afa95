// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * open.c - opening the pinned maps or loading the datapath.
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


int open_maps(const struct ctl *c, struct xlb_dpmaps *m)
{
	int err = xlb_dpmaps_open_pinned(c->pin_dir, m);

	if (err == -ENOENT)
		return fail("no datapath pinned in %s (run 'xlbctl load' first)",
			    c->pin_dir);
	return err ? fail_lib(err) : 0;
}

/* A fresh datapath has an all-zero config, whose MTU 0 would make every
 * packet too big: give it usable defaults the first time only. */
static int init_fresh_config(const struct xlb_dpmaps *m)
{
	struct xlb_config cfg, zero;
	int err;

	memset(&zero, 0, sizeof(zero));
	err = xlb_dpmap_config_get(m, &cfg);
	if (err || memcmp(&cfg, &zero, sizeof(cfg)))
		return err;
	cfg.mtu = XLBCTL_DEF_MTU;
	cfg.ttl = XLBCTL_DEF_TTL;
	return xlb_dpmap_config_set(m, &cfg);
}

int open_dp(const struct ctl *c, const struct xlb_sizes *sizes,
		   struct xlb_dp **dp)
{
	struct xlb_dp_opts opts = { .pin_dir = c->pin_dir };
	struct xlb_dpmaps m;
	int err;

	if (sizes)
		opts.sizes = *sizes;
	err = xlb_dp_open(&opts, dp);
	if (err)
		return fail_lib(err);
	xlb_dpmaps_from_dp(*dp, &m);
	err = init_fresh_config(&m);
	if (err) {
		xlb_dp_close(*dp);
		return fail_lib(err);
	}
	return 0;
}
