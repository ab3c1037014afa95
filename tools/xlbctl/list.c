// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * list.c - the services and backends commands: what the maps hold, with
 * the numeric ids that the counters of `stats` are keyed by (whoever filled
 * the maps, xlbctl or lbd, chose them).
 */
#include <stdio.h>
#include <stdlib.h>

#include "xlbctl.h"

static const char *const state_names[] = {
	[XLB_BE_REMOVED] = "removed", [XLB_BE_ACTIVE] = "active",
	[XLB_BE_DRAIN] = "drain",     [XLB_BE_DOWN] = "down",
};

/* "ID VIP PROTO PORT"; VIP markers (id 0) are not services. */
static int print_service(const struct xlb_vip_key *key,
			 const struct xlb_service *svc, void *arg)
{
	char name[XLB_SERVICE_STRLEN];

	(void)arg;
	if (!key->proto)
		return 0;
	xlb_service_format(key, name, sizeof(name));
	printf("%u %s\n", svc->id, name);
	return 0;
}

int cmd_services(struct ctl *c, int argc, char **argv)
{
	struct xlb_dpmaps m;
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("services: no argument expected");
	if (open_maps(c, &m))
		return 1;
	err = xlb_dpmap_service_walk(&m, print_service, NULL);
	xlb_dpmaps_close(&m);
	return err ? fail_lib(err) : 0;
}

/* "ID SERVICE-ID ADDR PORT STATE" for every entry in use. */
static void print_backends(const struct xlb_backend *bes, __u32 n)
{
	char addr[XLB_ADDR_STRLEN];
	__u32 id;

	for (id = 1; id <= n; id++) {
		const struct xlb_backend *be = &bes[id - 1];

		if (be->state == XLB_BE_REMOVED || be->state > XLB_BE_DOWN)
			continue;
		xlb_addr_format(&be->addr, be->family, addr, sizeof(addr));
		printf("%u %u %s %u %s\n", id, be->svc_id, addr, be->port,
		       state_names[be->state]);
	}
}

int cmd_backends(struct ctl *c, int argc, char **argv)
{
	struct xlb_backend *bes;
	struct xlb_dpmaps m;
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("backends: no argument expected");
	if (open_maps(c, &m))
		return 1;
	bes = calloc(m.max_be_id, sizeof(*bes));
	if (!bes) {
		xlb_dpmaps_close(&m);
		return fail("out of memory");
	}
	err = xlb_dpmap_backends_read(&m, 1, m.max_be_id, bes);
	if (!err)
		print_backends(bes, m.max_be_id);
	free(bes);
	xlb_dpmaps_close(&m);
	return err ? fail_lib(err) : 0;
}
