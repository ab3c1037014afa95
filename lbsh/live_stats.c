// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live_stats.c - the datapath's counters, each summed over every CPU:
 * live_service (per service id, named by its key in xlb_services),
 * live_backend (per backend entry, with its service and state) and
 * live_reason (the global reason counters).  Names and columns match the
 * config tables (vip, proto, port, address, backend_port), so joins with
 * them need no conversion.
 */
#include <errno.h>
#include <stdlib.h>

#include "live.h"
#include "xlb_errmsg.h"

static int fill_services(struct live_ctx *c, struct live_rows *r)
{
	struct xlb_svc_stats *s;
	int err = live_load_services(c);

	if (err)
		return err;
	s = calloc(c->m.max_svc_id, sizeof(*s));
	if (!s)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	err = xlb_dpmap_svc_stats(&c->m, 1, c->m.max_svc_id, s);
	for (__u32 id = 1; !err && id <= c->m.max_svc_id; id++) {
		const struct xlb_svc_stats *x = &s[id - 1];
		struct live_val *v;

		if (!c->svc[id].proto && !(x->packets | x->drops))
			continue;
		if (!(v = live_row(r))) {
			err = -ENOMEM;
			break;
		}
		err = live_service_vals(c, id, &v[0], &v[1], &v[2]);
		live_int(&v[3], id);
		live_int(&v[4], (sqlite3_int64)x->packets);
		live_int(&v[5], (sqlite3_int64)x->bytes);
		live_int(&v[6], (sqlite3_int64)x->new_flows);
		live_int(&v[7], (sqlite3_int64)x->drops);
	}
	free(s);
	return err;
}

const struct live_table live_service_table = {
	.name = "live_service",
	.schema = "CREATE TABLE x(vip TEXT, proto TEXT, port INTEGER, "
		  "id INTEGER, packets INTEGER, bytes INTEGER, "
		  "new_flows INTEGER, drops INTEGER)",
	.ncol = 8,
	.fill = fill_services,
	.maps = true,
};

static int backend_row(struct live_ctx *c, struct live_rows *r, __u32 id,
		       const struct xlb_be_stats *x)
{
	const struct xlb_backend *be = &c->be[id - 1];
	char addr[XLB_ADDR_STRLEN];
	struct live_val *v = live_row(r);
	int err;

	if (!v)
		return -ENOMEM;
	err = live_service_vals(c, be->svc_id, &v[0], &v[1], &v[2]);
	if (!err && xlb_addr_format(&be->addr, be->family, addr,
				     sizeof(addr)) >= 0)
		err = live_text(&v[3], addr);
	live_int(&v[4], be->port);
	live_int(&v[5], id);
	live_int(&v[6], be->svc_id);
	if (!err)
		err = live_text(&v[7], live_be_state(be->state));
	live_int(&v[8], (sqlite3_int64)x->packets);
	live_int(&v[9], (sqlite3_int64)x->bytes);
	return err;
}

static int fill_backends(struct live_ctx *c, struct live_rows *r)
{
	struct xlb_be_stats *s;
	int err = live_load_services(c);

	if (!err)
		err = live_load_backends(c);
	if (err)
		return err;
	s = calloc(c->m.max_be_id, sizeof(*s));
	if (!s)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	err = xlb_dpmap_be_stats(&c->m, 1, c->m.max_be_id, s);
	for (__u32 id = 1; !err && id <= c->m.max_be_id; id++) {
		/* A removed entry whose counters still hold packets is
		 * shown: they were counted, and the sums must add up. */
		if (c->be[id - 1].state == XLB_BE_REMOVED &&
		    !s[id - 1].packets)
			continue;
		err = backend_row(c, r, id, &s[id - 1]);
	}
	free(s);
	return err;
}

const struct live_table live_backend_table = {
	.name = "live_backend",
	.schema = "CREATE TABLE x(vip TEXT, proto TEXT, port INTEGER, "
		  "address TEXT, backend_port INTEGER, id INTEGER, "
		  "service_id INTEGER, state TEXT, packets INTEGER, "
		  "bytes INTEGER)",
	.ncol = 10,
	.fill = fill_backends,
	.maps = true,
};

static int fill_reasons(struct live_ctx *c, struct live_rows *r)
{
	__u64 n[XLB_R_MAX];
	int err = xlb_dpmap_reasons(&c->m, n);

	for (unsigned int i = 0; !err && i < XLB_R_MAX; i++) {
		struct live_val *v = live_row(r);

		if (!v)
			return -ENOMEM;
		err = live_text(&v[0], xlb_reason_name(i));
		live_int(&v[1], (sqlite3_int64)n[i]);
	}
	return err;
}

const struct live_table live_reason_table = {
	.name = "live_reason",
	.schema = "CREATE TABLE x(reason TEXT, count INTEGER)",
	.ncol = 2,
	.fill = fill_reasons,
	.maps = true,
};
