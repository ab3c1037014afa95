// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap_read.c - bulk reads of what the datapath holds: backend
 * entries, per-CPU counters summed over CPUs, the connection table.  Batch
 * lookups keep a full read of a million-entry array to a few thousand
 * syscalls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_dpmap.h"
#include "xlb_errmsg.h"

static const char *const xlb_reason_names[XLB_R_MAX] = {
	[XLB_R_PASSED] = "passed",
	[XLB_R_PARSE_ERR] = "parse_err",
	[XLB_R_FORWARDED] = "forwarded",
	[XLB_R_NO_SERVICE] = "no_service",
	[XLB_R_NO_BACKEND] = "no_backend",
	[XLB_R_CT_HIT] = "ct_hit",
	[XLB_R_CT_RESCHED] = "ct_resched",
	[XLB_R_MTU_REPLY] = "mtu_reply",
	[XLB_R_MTU_DROP] = "mtu_drop",
	[XLB_R_ICMP_ROUTED] = "icmp_routed",
	[XLB_R_ICMP_ECHO] = "icmp_echo",
	[XLB_R_ICMP_UNMATCHED] = "icmp_unmatched",
	[XLB_R_FRAG_FIRST] = "frag_first",
	[XLB_R_FRAG_TRACKED] = "frag_tracked",
	[XLB_R_FRAG_UNTRACKED] = "frag_untracked",
	[XLB_R_FAMILY_MISMATCH] = "family_mismatch",
	[XLB_R_ENCAP_FAIL] = "encap_fail",
};

const char *xlb_reason_name(unsigned int reason)
{
	return reason < XLB_R_MAX ? xlb_reason_names[reason] : NULL;
}

/* Keys fetched per batch syscall. */
#define XLB_READ_CHUNK 1024U

/*
 * Entries first..first+n-1 of an array map, vsize bytes each (for a per-CPU
 * map: the ncpu copies of one value), into out.  -ERANGE past the end.
 */
static int array_read(int fd, const char *map, __u32 first, __u32 n,
		      size_t vsize, void *out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 done = 0, prev, next, count, keys[XLB_READ_CHUNK];

	while (done < n) {
		count = n - done < XLB_READ_CHUNK ? n - done : XLB_READ_CHUNK;
		/* A batch starts after the key it is given. */
		prev = first + done - 1;
		if (bpf_map_lookup_batch(fd, first + done ? &prev : NULL, &next,
					 keys, (char *)out + done * vsize,
					 &count, &bo) &&
		    errno != ENOENT)
			return xlb_errmsg_set(-errno, "reading %s: %s", map,
					      strerror(errno));
		if (count == 0)
			return xlb_errmsg_set(-ERANGE, "%s has no entry %u", map,
					      first + done);
		done += count;
	}
	return 0;
}

int xlb_dpmap_backends_read(const struct xlb_dpmaps *m, __u32 first, __u32 n,
			    struct xlb_backend *out)
{
	return array_read(m->backends, XLB_MAP_BACKENDS, first, n,
			  sizeof(*out), out);
}

/*
 * out[0..n*words-1] = per-CPU array entries first..first+n-1 summed over
 * CPUs.  The kernel hands per-CPU values as ncpu 8-byte-aligned copies; the
 * xlb counter structs are all __u64, so each copy is `words` words.
 */
static int percpu_sum(int fd, const char *map, __u32 first, __u32 n,
		      size_t words, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0, c;
	size_t vsize, w;
	__u32 done, count, i;
	__u64 *vals;

	if (ncpu < 0)
		return xlb_errmsg_set(ncpu, "counting CPUs: %s", strerror(-ncpu));
	vsize = (size_t)ncpu * words * sizeof(*vals);
	vals = malloc(XLB_READ_CHUNK * vsize);
	if (!vals)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	memset(out, 0, (size_t)n * words * sizeof(*out));
	for (done = 0; done < n && !err; done += count) {
		count = n - done < XLB_READ_CHUNK ? n - done : XLB_READ_CHUNK;
		err = array_read(fd, map, first + done, count, vsize, vals);
		for (i = 0; i < count && !err; i++)
			for (c = 0; c < ncpu; c++)
				for (w = 0; w < words; w++)
					out[(done + i) * words + w] +=
						vals[((size_t)i * ncpu + c) *
						     words + w];
	}
	free(vals);
	return err;
}

int xlb_dpmap_reasons(const struct xlb_dpmaps *m, __u64 out[XLB_R_MAX])
{
	return percpu_sum(m->stats, XLB_MAP_STATS, 0, XLB_R_MAX, 1, out);
}

int xlb_dpmap_svc_stats(const struct xlb_dpmaps *m, __u32 first, __u32 n,
			struct xlb_svc_stats *out)
{
	_Static_assert(sizeof(*out) == 4 * sizeof(__u64), "all __u64");
	return percpu_sum(m->svc_stats, XLB_MAP_SVC_STATS, first, n,
			  sizeof(*out) / sizeof(__u64), (__u64 *)out);
}

int xlb_dpmap_be_stats(const struct xlb_dpmaps *m, __u32 first, __u32 n,
		       struct xlb_be_stats *out)
{
	_Static_assert(sizeof(*out) == 2 * sizeof(__u64), "all __u64");
	return percpu_sum(m->be_stats, XLB_MAP_BE_STATS, first, n,
			  sizeof(*out) / sizeof(__u64), (__u64 *)out);
}

/* Entries per batch when walking the connection table; doubled when one
 * hash bucket holds more (the kernel never splits a bucket). */
#define XLB_CT_CHUNK 512U

struct ct_batch {
	struct xlb_flow_key *keys;
	struct xlb_flow *vals;
	__u32 cap;
};

static int ct_batch_grow(struct ct_batch *b)
{
	__u32 cap = b->cap ? b->cap * 2 : XLB_CT_CHUNK;
	void *k, *v;

	k = realloc(b->keys, cap * sizeof(*b->keys));
	if (k)
		b->keys = k;
	v = realloc(b->vals, cap * sizeof(*b->vals));
	if (v)
		b->vals = v;
	if (!k || !v)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	b->cap = cap;
	return 0;
}

/*
 * Batches walk the hash bucket by bucket with a cursor, so evictions during
 * the walk cannot send it back to the start (as get_next_key on a vanished
 * key would).
 */
int xlb_dpmap_conntrack_walk(const struct xlb_dpmaps *m, xlb_flow_fn fn,
			     void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	struct ct_batch b = { NULL, NULL, 0 };
	__u32 cursor, *in = NULL, count, i;
	int err, end = 0;

	err = ct_batch_grow(&b);
	while (!err && !end) {
		count = b.cap;
		if (bpf_map_lookup_batch(m->conntrack, in, &cursor, b.keys,
					 b.vals, &count, &bo)) {
			if (errno == ENOSPC && count == 0) {
				err = ct_batch_grow(&b);
				continue;
			}
			if (errno != ENOENT) {
				err = xlb_errmsg_set(-errno, "walking %s: %s",
						     XLB_MAP_CONNTRACK,
						     strerror(errno));
				break;
			}
			end = 1;
		}
		for (i = 0; i < count && !err; i++)
			err = fn(&b.keys[i], &b.vals[i], arg);
		in = &cursor;
	}
	free(b.keys);
	free(b.vals);
	return err;
}
