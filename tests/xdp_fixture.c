// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_fixture.c - load the XDP program from its skeleton and drive it with
 * raw libbpf calls (see xdp_fixture.h).
 */
#include "xdp_fixture.h"
#include "xlb_hash.h"
#include "xlb_ct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_hash.h"
#include "bpf/xlb_kern.skel.h"

#define FD(f, map) bpf_map__fd((f)->skel->maps.map)

static int err_of(int ret)
{
	return ret < 0 ? -errno : ret;
}

static int set_sizes(struct xlb_kern *s)
{
	int err = 0;

	err |= bpf_map__set_max_entries(s->maps.xlb_services, 2 * XF_SERVICES);
	err |= bpf_map__set_max_entries(s->maps.xlb_maglev, XF_SERVICES);
	err |= bpf_map__set_max_entries(s->maps.xlb_svc_stats, XF_SERVICES);
	err |= bpf_map__set_max_entries(s->maps.xlb_backends, XF_BACKENDS);
	err |= bpf_map__set_max_entries(s->maps.xlb_be_stats, XF_BACKENDS);
	err |= bpf_map__set_max_entries(s->maps.xlb_conntrack,
					XF_CONNTRACK / XLB_CT_WAYS);
	s->rodata->xlb_ct_mask = XF_CONNTRACK / XLB_CT_WAYS - 1;
	err |= bpf_map__set_max_entries(s->maps.xlb_frags, XF_FRAGS);
	return err ? -EINVAL : 0;
}

int xf_open(struct xf *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	if (sched_getaffinity(0, sizeof(f->cpus), &f->cpus))
		return -errno;
	f->ncpus = libbpf_num_possible_cpus();
	if (f->ncpus <= 0)
		return f->ncpus ? f->ncpus : -EINVAL;
	f->skel = xlb_kern__open();
	if (!f->skel)
		return -errno;
	err = set_sizes(f->skel);
	if (!err)
		err = xlb_kern__load(f->skel);
	if (err) {
		xlb_kern__destroy(f->skel);
		f->skel = NULL;
		return err;
	}
	f->prog_fd = bpf_program__fd(f->skel->progs.xlb_xdp);
	return 0;
}

void xf_close(struct xf *f)
{
	xlb_kern__destroy(f->skel);
	f->skel = NULL;
	sched_setaffinity(0, sizeof(f->cpus), &f->cpus);
}

int xf_set_config(struct xf *f, const struct xlb_config *cfg)
{
	__u32 zero = 0;

	return err_of(bpf_map_update_elem(FD(f, xlb_config), &zero, cfg,
					  BPF_ANY));
}

int xf_set_filter_bit(struct xf *f, const union xlb_addr *addr, __u8 family)
{
	__u32 bit = xlb_vip_bit(addr, family);
	__u32 word = bit / 64;
	__u64 w;
	int fd = FD(f, xlb_vip_filter);

	if (bpf_map_lookup_elem(fd, &word, &w))
		return -errno;
	w |= 1ULL << (bit % 64);
	return err_of(bpf_map_update_elem(fd, &word, &w, BPF_ANY));
}

static void vip_key(struct xlb_vip_key *k, const union xlb_addr *vip,
		    __u8 family, __u8 proto, __u16 port)
{
	memset(k, 0, sizeof(*k));
	k->addr = *vip;
	k->port = htons(port);
	k->proto = proto;
	k->family = family;
}

static int put_service(struct xf *f, const union xlb_addr *vip, __u8 family,
		       __u8 proto, __u16 port, __u32 id, __u32 flags)
{
	struct xlb_vip_key k;
	struct xlb_service v = { .id = id, .flags = flags };

	vip_key(&k, vip, family, proto, port);
	return err_of(bpf_map_update_elem(FD(f, xlb_services), &k, &v,
					  BPF_ANY));
}

int xf_del_service(struct xf *f, const union xlb_addr *vip, __u8 family,
		   __u8 proto, __u16 port)
{
	struct xlb_vip_key k;

	vip_key(&k, vip, family, proto, port);
	return err_of(bpf_map_delete_elem(FD(f, xlb_services), &k));
}

int xf_add_vip(struct xf *f, const union xlb_addr *vip, __u8 family)
{
	int err = put_service(f, vip, family, 0, 0, XLB_ID_NONE, 0);

	return err ? err : xf_set_filter_bit(f, vip, family);
}

int xf_add_service(struct xf *f, const union xlb_addr *vip, __u8 family,
		   __u8 proto, __u16 port, __u32 id, __u32 flags)
{
	int err = put_service(f, vip, family, proto, port, id, flags);

	return err ? err : xf_add_vip(f, vip, family);
}

int xf_set_backend(struct xf *f, __u32 id, const struct xlb_backend *be)
{
	return err_of(bpf_map_update_elem(FD(f, xlb_backends), &id, be,
					  BPF_ANY));
}

int xf_set_backend_state(struct xf *f, __u32 id, __u8 state)
{
	struct xlb_backend be;
	int fd = FD(f, xlb_backends);

	if (bpf_map_lookup_elem(fd, &id, &be))
		return -errno;
	be.state = state;
	return err_of(bpf_map_update_elem(fd, &id, &be, BPF_ANY));
}

static int fill_ring(int fd, const __u32 *slots, __u32 m)
{
	__u32 i, key = XLB_RING_SIZE_SLOT;

	if (bpf_map_update_elem(fd, &key, &m, BPF_ANY))
		return -errno;
	for (i = 0; i < m; i++) {
		key = i + 1;
		if (bpf_map_update_elem(fd, &key, &slots[i], BPF_ANY))
			return -errno;
	}
	return 0;
}

int xf_set_maglev(struct xf *f, __u32 svc_id, const __u32 *slots, __u32 m)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	int inner, err;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xf_ring", sizeof(__u32),
			       sizeof(__u32), m + 1, &opts);
	if (inner < 0)
		return -errno;
	err = fill_ring(inner, slots, m);
	if (!err)
		err = err_of(bpf_map_update_elem(FD(f, xlb_maglev), &svc_id,
						 &inner, BPF_ANY));
	close(inner); /* the outer map holds the table now */
	return err;
}

int xf_run(struct xf *f, const void *in, __u32 in_len, void *out,
	   __u32 *out_len, __u32 *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = in_len,
		.data_out = out,
		.data_size_out = XF_OUT_MAX,
		.repeat = 1,
	);
	int err = bpf_prog_test_run_opts(f->prog_fd, &opts);

	if (err)
		return err_of(err);
	*out_len = opts.data_size_out;
	*action = opts.retval;
	return 0;
}

/* ---- counters ----------------------------------------------------------- */

/* Reads one per-CPU value of n __u64 words and sums each word over CPUs
 * (every value here is a multiple of 8 bytes, so that is the CPU stride). */
static int percpu_sum(struct xf *f, int fd, __u32 key, __u64 *sum, size_t n)
{
	__u64 *vals = calloc((size_t)f->ncpus * n, sizeof(__u64));
	size_t cpu, i;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, vals))
		err = -errno;
	memset(sum, 0, n * sizeof(__u64));
	for (cpu = 0; !err && cpu < (size_t)f->ncpus; cpu++)
		for (i = 0; i < n; i++)
			sum[i] += vals[cpu * n + i];
	free(vals);
	return err;
}

__u64 xf_reason(struct xf *f, enum xlb_reason r)
{
	__u64 sum;

	return percpu_sum(f, FD(f, xlb_stats), r, &sum, 1) ? ~0ULL : sum;
}

__u64 xf_reason_on_cpu(struct xf *f, enum xlb_reason r, int cpu)
{
	__u64 *vals = calloc((size_t)f->ncpus, sizeof(__u64));
	__u64 v = ~0ULL;

	if (!vals)
		return v;
	if (cpu < f->ncpus &&
	    !bpf_map_lookup_elem(FD(f, xlb_stats), &(__u32){ r }, vals))
		v = vals[cpu];
	free(vals);
	return v;
}

int xf_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int xf_svc_stats(struct xf *f, __u32 id, struct xlb_svc_stats *sum)
{
	return percpu_sum(f, FD(f, xlb_svc_stats), id, (__u64 *)sum,
			  sizeof(*sum) / sizeof(__u64));
}

int xf_be_stats(struct xf *f, __u32 id, struct xlb_be_stats *sum)
{
	return percpu_sum(f, FD(f, xlb_be_stats), id, (__u64 *)sum,
			  sizeof(*sum) / sizeof(__u64));
}

static int zero_percpu(struct xf *f, int fd, __u32 entries, size_t words)
{
	__u64 *zero = calloc((size_t)f->ncpus * words, sizeof(__u64));
	__u32 key;
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (key = 0; !err && key < entries; key++)
		if (bpf_map_update_elem(fd, &key, zero, BPF_ANY))
			err = -errno;
	free(zero);
	return err;
}

int xf_reset_counters(struct xf *f)
{
	int err;

	err = zero_percpu(f, FD(f, xlb_stats), XLB_R_MAX, 1);
	if (!err)
		err = zero_percpu(f, FD(f, xlb_svc_stats), XF_SERVICES,
				  sizeof(struct xlb_svc_stats) / 8);
	if (!err)
		err = zero_percpu(f, FD(f, xlb_be_stats), XF_BACKENDS,
				  sizeof(struct xlb_be_stats) / 8);
	return err;
}

/* ---- connection and fragment tables ------------------------------------ */

/* The set a flow belongs to (bpf/xlb_ct.h), and its way there or -1. */
int xf_ct_set(struct xf *f, const struct xlb_flow_key *k, __u32 *idx,
	      struct xlb_ct_set *set)
{
	__u32 h = xlb_ct_hash(k), tag = xlb_ct_tag(h);
	int i, way = -1;

	*idx = h & (XF_CONNTRACK / XLB_CT_WAYS - 1);
	if (bpf_map_lookup_elem(FD(f, xlb_conntrack), idx, set))
		return -errno;
	for (i = 0; i < XLB_CT_WAYS; i++)
		if (set->tag[i] == tag && !memcmp(&set->way[i].key, k, sizeof(*k)))
			way = i;
	return way;
}

int xf_ct_lookup(struct xf *f, const struct xlb_flow_key *k,
		 struct xlb_flow *v)
{
	struct xlb_ct_set set;
	__u32 idx;
	int way = xf_ct_set(f, k, &idx, &set);

	if (way < 0)
		return way == -1 ? -ENOENT : way;
	*v = set.way[way].flow;
	if (v->check != xlb_ct_check(set.tag[way], v))
		return -EBADMSG;
	return 0;
}

int xf_ct_write_set(struct xf *f, __u32 idx, const struct xlb_ct_set *set)
{
	return err_of(bpf_map_update_elem(FD(f, xlb_conntrack), &idx, set,
					  BPF_ANY));
}

int xf_frag_lookup(struct xf *f, const struct xlb_frag_key *k,
		   struct xlb_frag *v)
{
	return err_of(bpf_map_lookup_elem(FD(f, xlb_frags), k, v));
}

_Static_assert(sizeof(struct xlb_flow_key) <= 64, "key buffer");
_Static_assert(sizeof(struct xlb_frag_key) <= 64, "key buffer");

/* Entries of a hash map whose key fits in 64 bytes. */
static int count_keys(int fd, size_t key_size)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* Ways holding a published entry, over the whole table. */
int xf_ct_count(struct xf *f)
{
	struct xlb_ct_set set;
	__u32 idx;
	int i, n = 0;

	for (idx = 0; idx < XF_CONNTRACK / XLB_CT_WAYS; idx++) {
		if (bpf_map_lookup_elem(FD(f, xlb_conntrack), &idx, &set))
			return -errno;
		for (i = 0; i < XLB_CT_WAYS; i++)
			n += set.tag[i] != 0;
	}
	return n;
}

int xf_frag_count(struct xf *f)
{
	return count_keys(FD(f, xlb_frags), sizeof(struct xlb_frag_key));
}

int xf_frag_only(struct xf *f, struct xlb_frag_key *k, struct xlb_frag *v)
{
	int fd = FD(f, xlb_frags);
	int n = xf_frag_count(f);

	if (n != 1)
		return n ? -E2BIG : -ENOENT;
	if (bpf_map_get_next_key(fd, NULL, k))
		return -errno;
	return err_of(bpf_map_lookup_elem(fd, k, v));
}
