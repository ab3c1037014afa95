// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap_read.c - bulk reads of what the datapath holds: backend
 * entries, per-CPU counters summed over CPUs.  Batch
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

