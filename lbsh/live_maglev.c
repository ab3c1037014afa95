// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live_maglev.c - live_maglev: each service's Maglev table in force, as
 * one row per backend entry with the slots it holds and its share of M.
 * A backend configured but absent here gets no new flows: a LEFT JOIN
 * from `backend` finds those.
 */
#include <errno.h>
#include <stdlib.h>

#include "live.h"
#include "xlb_errmsg.h"

static int slot_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int share_row(struct live_ctx *c, struct live_rows *r, __u32 svc_id,
		     __u32 be_id, __u32 slots, __u32 ring_size)
{
	struct live_val *v = live_row(r);
	char addr[XLB_ADDR_STRLEN];
	int err;

	if (!v)
		return -ENOMEM;
	err = live_service_vals(c, svc_id, &v[0], &v[1], &v[2]);
	if (be_id && be_id <= c->m.max_be_id) {
		const struct xlb_backend *be = &c->be[be_id - 1];

		if (!err && be->state != XLB_BE_REMOVED &&
		    xlb_addr_format(&be->addr, be->family, addr, sizeof(addr)) >= 0) {
			err = live_text(&v[3], addr);
			live_int(&v[4], be->port);
		}
	}
	live_int(&v[5], be_id);
	live_int(&v[6], svc_id);
	live_int(&v[7], slots);
	live_int(&v[8], ring_size);
	live_real(&v[9], (double)slots / ring_size);
	return err;
}

/* One service: its table sorted, then a row per run of one entry id. */
static int service_shares(struct live_ctx *c, struct live_rows *r,
			  __u32 svc_id, __u32 *slots)
{
	__u32 m = 0, i, j;
	int err = xlb_dpmap_ring_read(&c->m, svc_id, slots, XLB_MAX_RING, &m);

	if (err == -ENOENT)
		return 0; /* no table: the service drops (no_backend) */
	if (err || m == 0)
		return err;
	qsort(slots, m, sizeof(*slots), slot_cmp);
	for (i = 0; i < m && !err; i = j) {
		for (j = i; j < m && slots[j] == slots[i]; j++)
			;
		err = share_row(c, r, svc_id, slots[i], j - i, m);
	}
	return err;
}

static int fill(struct live_ctx *c, struct live_rows *r)
{
	__u32 *slots;
	int err = live_load_services(c);

	if (!err)
		err = live_load_backends(c);
	if (err)
		return err;
	slots = malloc(XLB_MAX_RING * sizeof(*slots));
	if (!slots)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	for (__u32 id = 1; !err && id <= c->m.max_svc_id; id++)
		if (c->svc[id].proto)
			err = service_shares(c, r, id, slots);
	free(slots);
	return err;
}

const struct live_table live_maglev_table = {
	.name = "live_maglev",
	.schema = "CREATE TABLE x(vip TEXT, proto TEXT, port INTEGER, "
		  "address TEXT, backend_port INTEGER, backend_id INTEGER, "
		  "service_id INTEGER, slots INTEGER, ring_size INTEGER, "
		  "share REAL)",
	.ncol = 10,
	.fill = fill,
	.maps = true,
};
