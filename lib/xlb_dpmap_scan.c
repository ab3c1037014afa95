// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap_scan.c - a cursor over the connection table (see
 * xlb_dpmap_scan.h): one batch of sets in memory at a time, refilled with
 * the kernel's batch lookup when it is used up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_dpmap_scan.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"
#include "xlb_ct.h"

int xlb_ct_scan_open(struct xlb_ct_scan *s, const struct xlb_dpmaps *m)
{
	memset(s, 0, sizeof(*s));
	s->fd = m->conntrack;
	s->sets = calloc(XLB_CT_SCAN_BATCH, sizeof(*s->sets));
	if (!s->sets)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	return 0;
}

void xlb_ct_scan_close(struct xlb_ct_scan *s)
{
	free(s->sets);
	s->sets = NULL;
}

/* Reads the next batch; ENOENT from the kernel means it is the last. */
static int refill(struct xlb_ct_scan *s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 keys[XLB_CT_SCAN_BATCH], count = XLB_CT_SCAN_BATCH;

	if (bpf_map_lookup_batch(s->fd, s->started ? &s->cursor : NULL,
				 &s->cursor, keys, s->sets, &count, &bo)) {
		if (errno != ENOENT)
			return xlb_errmsg_set(-errno, "walking %s: %s",
					      XLB_MAP_CONNTRACK,
					      strerror(errno));
		s->last = true;
	}
	s->started = true;
	s->count = count;
	s->set = 0;
	s->way = 0;
	s->sets_read += count;
	return 0;
}

/* A published tag and a check word that matches: not empty, not torn. */
static bool intact(const struct xlb_ct_set *set, __u32 i)
{
	return set->tag[i] &&
	       set->way[i].flow.check ==
		       xlb_ct_check(set->tag[i], &set->way[i].flow);
}

int xlb_ct_scan_next(struct xlb_ct_scan *s, struct xlb_flow_key *key,
		     struct xlb_flow *flow)
{
	int err;

	if (!s->sets)
		return xlb_errmsg_set(-EINVAL, "scan not open");
	for (;;) {
		while (s->set < s->count) {
			const struct xlb_ct_set *set = &s->sets[s->set];
			__u32 i = s->way;

			if (++s->way == XLB_CT_WAYS) {
				s->way = 0;
				s->set++;
			}
			if (intact(set, i)) {
				*key = set->way[i].key;
				*flow = set->way[i].flow;
				return 1;
			}
		}
		if (s->started && s->last)
			return 0;
		err = refill(s);
		if (err)
			return err;
	}
}
