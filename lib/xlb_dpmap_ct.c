// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap_ct.c - the connection table from userspace: a walk over every
 * flow (xlbctl conntrack, lbsh), and single-flow get/put/del that follow
 * the datapath's layout rules in bpf/xlb_ct.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"
#include "xlb_ct.h"

/* Sets read per batch syscall while walking: 256 KiB. */
#define XLB_CT_BATCH 1024U

static int ct_sets(const struct xlb_dpmaps *m, __u32 *sets)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(m->conntrack, &info, &len))
		return xlb_errmsg_set(-errno, "reading %s: %s",
				      XLB_MAP_CONNTRACK, strerror(errno));
	*sets = info.max_entries;
	return 0;
}

/* Way i of set holds an intact entry (a published tag, a valid check). */
static int way_intact(const struct xlb_ct_set *set, int i)
{
	return set->tag[i] &&
	       set->way[i].flow.check ==
		       xlb_ct_check(set->tag[i], &set->way[i].flow);
}

static int walk_sets(const struct xlb_ct_set *sets, __u32 n, xlb_flow_fn fn,
		     void *arg)
{
	__u32 s;
	int i, err;

	for (s = 0; s < n; s++) {
		for (i = 0; i < XLB_CT_WAYS; i++) {
			if (!way_intact(&sets[s], i))
				continue;
			err = fn(&sets[s].way[i].key, &sets[s].way[i].flow, arg);
			if (err)
				return err;
		}
	}
	return 0;
}

int xlb_dpmap_conntrack_walk(const struct xlb_dpmaps *m, xlb_flow_fn fn,
			     void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 keys[XLB_CT_BATCH], cursor, *in = NULL, count;
	struct xlb_ct_set *sets;
	int err = 0, end = 0;

	sets = calloc(XLB_CT_BATCH, sizeof(*sets));
	if (!sets)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	while (!err && !end) {
		count = XLB_CT_BATCH;
		if (bpf_map_lookup_batch(m->conntrack, in, &cursor, keys, sets,
					 &count, &bo)) {
			if (errno != ENOENT) {
				err = xlb_errmsg_set(-errno, "walking %s: %s",
						     XLB_MAP_CONNTRACK,
						     strerror(errno));
				break;
			}
			end = 1;
		}
		err = walk_sets(sets, count, fn, arg);
		in = &cursor;
	}
	free(sets);
	return err;
}

/* Reads the set a flow belongs to; *way is its way or -1. */
static int ct_read(const struct xlb_dpmaps *m, const struct xlb_flow_key *k,
		   __u32 *idx, __u32 *tag, struct xlb_ct_set *set, int *way)
{
	__u32 h = xlb_ct_hash(k), sets = 0;
	int i, err = ct_sets(m, &sets);

	if (err)
		return err;
	*idx = h & (sets - 1);
	*tag = xlb_ct_tag(h);
	if (bpf_map_lookup_elem(m->conntrack, idx, set))
		return xlb_errmsg_set(-errno, "reading %s set %u: %s",
				      XLB_MAP_CONNTRACK, *idx, strerror(errno));
	*way = -1;
	for (i = 0; i < XLB_CT_WAYS; i++)
		if (set->tag[i] == *tag && xlb_ct_key_eq(&set->way[i].key, k))
			*way = i;
	return 0;
}

static int ct_write(const struct xlb_dpmaps *m, __u32 idx,
		    const struct xlb_ct_set *set)
{
	if (bpf_map_update_elem(m->conntrack, &idx, set, BPF_ANY))
		return xlb_errmsg_set(-errno, "writing %s set %u: %s",
				      XLB_MAP_CONNTRACK, idx, strerror(errno));
	return 0;
}

int xlb_dpmap_ct_get(const struct xlb_dpmaps *m, const struct xlb_flow_key *k,
		     struct xlb_flow *out)
{
	struct xlb_ct_set set;
	__u32 idx, tag;
	int way, err;

	err = ct_read(m, k, &idx, &tag, &set, &way);
	if (err)
		return err;
	if (way < 0 || !way_intact(&set, way))
		return -ENOENT;
	*out = set.way[way].flow;
	return 0;
}

/* The flow's own way, else an empty one, else the clock hand's. */
static int put_way(const struct xlb_ct_set *set, int way)
{
	int i;

	if (way >= 0)
		return way;
	for (i = 0; i < XLB_CT_WAYS; i++)
		if (!set->tag[i])
			return i;
	return set->hand & (XLB_CT_WAYS - 1);
}

int xlb_dpmap_ct_put(const struct xlb_dpmaps *m, const struct xlb_flow_key *k,
		     const struct xlb_flow *flow)
{
	struct xlb_ct_set set;
	__u32 idx, tag;
	int way, err;

	err = ct_read(m, k, &idx, &tag, &set, &way);
	if (err)
		return err;
	way = put_way(&set, way);
	set.way[way].key = *k;
	set.way[way].flow = *flow;
	set.way[way].flow.check = xlb_ct_check(tag, flow);
	set.tag[way] = tag;
	set.ref[way] = 1;
	return ct_write(m, idx, &set);
}

int xlb_dpmap_ct_del(const struct xlb_dpmaps *m, const struct xlb_flow_key *k)
{
	struct xlb_ct_set set;
	__u32 idx, tag;
	int way, err;

	err = ct_read(m, k, &idx, &tag, &set, &way);
	if (err)
		return err;
	if (way < 0)
		return -ENOENT;
	memset(&set.way[way], 0, sizeof(set.way[way]));
	set.tag[way] = 0;
	set.ref[way] = 0;
	return ct_write(m, idx, &set);
}
