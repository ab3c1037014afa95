// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stats.c - the stats and conntrack commands.
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


static int print_reasons(const struct xlb_dpmaps *m)
{
	__u64 r[XLB_R_MAX];
	unsigned int i;
	int err;

	err = xlb_dpmap_reasons(m, r);
	if (err)
		return fail_lib(err);
	for (i = 0; i < XLB_R_MAX; i++)
		printf("%s %llu\n", xlb_reason_name(i),
		       (unsigned long long)r[i]);
	return 0;
}

static int print_svc_stats(const struct xlb_dpmaps *m)
{
	struct xlb_svc_stats *s;
	__u32 i;
	int err;

	s = calloc(m->max_svc_id, sizeof(*s));
	if (!s)
		return fail("out of memory");
	err = xlb_dpmap_svc_stats(m, 1, m->max_svc_id, s);
	for (i = 0; !err && i < m->max_svc_id; i++) {
		if (!(s[i].packets | s[i].bytes | s[i].new_flows | s[i].drops))
			continue;
		printf("service.%u.packets %llu\nservice.%u.bytes %llu\n"
		       "service.%u.new_flows %llu\nservice.%u.drops %llu\n",
		       i + 1, (unsigned long long)s[i].packets, i + 1,
		       (unsigned long long)s[i].bytes, i + 1,
		       (unsigned long long)s[i].new_flows, i + 1,
		       (unsigned long long)s[i].drops);
	}
	free(s);
	return err ? fail_lib(err) : 0;
}

static int print_be_stats(const struct xlb_dpmaps *m)
{
	struct xlb_be_stats *s;
	__u32 i;
	int err;

	s = calloc(m->max_be_id, sizeof(*s));
	if (!s)
		return fail("out of memory");
	err = xlb_dpmap_be_stats(m, 1, m->max_be_id, s);
	for (i = 0; !err && i < m->max_be_id; i++) {
		if (!(s[i].packets | s[i].bytes))
			continue;
		printf("backend.%u.packets %llu\nbackend.%u.bytes %llu\n",
		       i + 1, (unsigned long long)s[i].packets, i + 1,
		       (unsigned long long)s[i].bytes);
	}
	free(s);
	return err ? fail_lib(err) : 0;
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct xlb_dpmaps m;
	int rc;

	(void)argv;
	if (argc != 1)
		return usage_error("stats: no argument expected");
	if (open_maps(c, &m))
		return 1;
	rc = print_reasons(&m);
	if (!rc)
		rc = print_svc_stats(&m);
	if (!rc)
		rc = print_be_stats(&m);
	xlb_dpmaps_close(&m);
	return rc;
}

static int print_flow(const struct xlb_flow_key *k, const struct xlb_flow *f,
		      void *arg)
{
	char src[XLB_ADDRPORT_STRLEN], dst[XLB_ADDRPORT_STRLEN];
	const char *proto = xlb_proto_name(k->proto);

	(void)arg;
	xlb_addrport_format(&k->src, k->family, ntohs(k->sport), src,
			    sizeof(src));
	xlb_addrport_format(&k->dst, k->family, ntohs(k->dport), dst,
			    sizeof(dst));
	printf("%s %s -> %s %u\n", proto ? proto : "?", src, dst,
	       f->backend_id);
	return 0;
}

int cmd_conntrack(struct ctl *c, int argc, char **argv)
{
	struct xlb_dpmaps m;
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("conntrack: no argument expected");
	if (open_maps(c, &m))
		return 1;
	err = xlb_dpmap_conntrack_walk(&m, print_flow, NULL);
	xlb_dpmaps_close(&m);
	return err ? fail_lib(err) : 0;
}
