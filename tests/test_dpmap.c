// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_dpmap.c - lib/xlb_dpmap against a real loaded datapath: what each
 * call leaves in the maps, checked with plain bpf_map_* calls and the
 * layouts of bpf/xlb_abi.h.
 *
 * Needs root and BPF; fails (never skips) without them.  Each test pins
 * into its own folder named after the PID and removes it in teardown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"
#include "xlb_loader.h"

#define DT_SERVICES 300 /* more than one switch batch */
#define DT_BACKENDS 3000 /* more than one read batch */

struct dt {
	char pin_dir[64];
	struct xlb_dp *dp;
	struct xlb_dpmaps m;
};

static int dt_counter;

static int setup(void **state)
{
	struct xlb_dp_opts o = { .sizes = { DT_SERVICES, DT_BACKENDS, 8192,
					    64 } };
	struct dt *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -1;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "/sys/fs/bpf/xlbt_dpmap_%d_%d",
		 (int)getpid(), ++dt_counter);
	o.pin_dir = t->pin_dir;
	*state = t;
	err = xlb_dp_open(&o, &t->dp);
	if (err) {
		fprintf(stderr, "test_dpmap: open: %s\n", xlb_errmsg());
		return -1;
	}
	xlb_dpmaps_from_dp(t->dp, &t->m);
	return 0;
}

static int teardown(void **state)
{
	struct dt *t = *state;
	int err;

	xlb_dpmaps_close(&t->m); /* borrowed: must leave the fds alone */
	xlb_dp_close(t->dp);
	err = xlb_dp_unpin(t->pin_dir);
	if (err)
		fprintf(stderr, "test_dpmap: unpin: %s\n", xlb_errmsg());
	free(t);
	return err ? -1 : 0;
}

static union xlb_addr v4(__u32 host)
{
	union xlb_addr a;

	memset(&a, 0, sizeof(a));
	a.v4 = htonl(host);
	return a;
}

static union xlb_addr v6_doc(__u16 last)
{
	union xlb_addr a;

	memset(&a, 0, sizeof(a));
	a.b[0] = 0x20, a.b[1] = 0x01, a.b[2] = 0x0d, a.b[3] = 0xb8;
	a.b[14] = (__u8)(last >> 8);
	a.b[15] = (__u8)last;
	return a;
}

static struct bpf_map_info map_info(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info;
}

/* The inner map in force for svc_id, opened from the outer map's id. */
static int inner_fd(const struct dt *t, __u32 svc_id)
{
	__u32 id;
	int fd;

	assert_int_equal(bpf_map_lookup_elem(t->m.maglev, &svc_id, &id), 0);
	fd = bpf_map_get_fd_by_id(id);
	assert_true(fd >= 0);
	return fd;
}

static void test_ring_switch_writes_whole_table(void **state)
{
	struct dt *t = *state;
	__u32 slots[13], key, val, i, back[13], size;
	struct bpf_map_info info;
	__u32 first_id;
	int fd;

	for (i = 0; i < 13; i++)
		slots[i] = 1 + i % 3;
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 4, slots, 13), 0);
	fd = inner_fd(t, 4);
	info = map_info(fd);
	first_id = info.id;
	/* Exactly M + 1 entries: M, then the slots. */
	assert_int_equal(info.type, BPF_MAP_TYPE_ARRAY);
	assert_int_equal(info.max_entries, 14);
	assert_int_equal(info.map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	key = 0;
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &val), 0);
	assert_int_equal(val, 13);
	for (key = 1; key <= 13; key++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &key, &val), 0);
		assert_int_equal(val, slots[key - 1]);
	}
	key = 14;
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &val), -ENOENT);
	close(fd);

	/* A second switch is a different map, of its own size. */
	for (i = 0; i < 7; i++)
		slots[i] = 100 + i;
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 4, slots, 7), 0);
	fd = inner_fd(t, 4);
	info = map_info(fd);
	assert_int_not_equal(info.id, first_id);
	assert_int_equal(info.max_entries, 8);
	close(fd);
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 4, back, 13, &size), 0);
	assert_int_equal(size, 7);
	assert_memory_equal(back, slots, 7 * sizeof(__u32));
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 4, back, 6, &size),
			 -ENOSPC);

	/* Other services are untouched; deleting removes the table. */
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 5, back, 13, &size),
			 -ENOENT);
	assert_int_equal(xlb_dpmap_ring_del(&t->m, 4), 0);
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 4, back, 13, &size),
			 -ENOENT);
	assert_int_equal(xlb_dpmap_ring_del(&t->m, 4), -ENOENT);
}

static void test_ring_switch_bounds(void **state)
{
	struct dt *t = *state;
	__u32 slots[2] = { 1, 2 };

	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 0, slots, 2), -ERANGE);
	assert_non_null(strstr(xlb_errmsg(), "service id 0"));
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, DT_SERVICES + 1, slots,
					       2), -ERANGE);
	assert_non_null(strstr(xlb_errmsg(), "301"));
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, DT_SERVICES, slots, 0),
			 -ERANGE);
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 1, slots,
					       XLB_MAX_RING + 1), -ERANGE);
	assert_non_null(strstr(xlb_errmsg(), "65538"));
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, DT_SERVICES, slots, 2),
			 0);
}

/* Many services at once: each gets its own complete table. */
static void test_rings_switch_many(void **state)
{
	struct dt *t = *state;
	struct xlb_ring_update u[DT_SERVICES];
	__u32 slots[DT_SERVICES][5], back[5], size, i, j;

	for (i = 0; i < DT_SERVICES; i++) {
		for (j = 0; j < 5; j++)
			slots[i][j] = i * 5 + j;
		u[i].svc_id = i + 1;
		u[i].slots = slots[i];
		u[i].ring_size = i % 2 ? 5 : 3;
	}
	/* One bad entry: refused before anything is switched. */
	u[DT_SERVICES - 1].ring_size = 0;
	assert_int_equal(xlb_dpmap_rings_switch(&t->m, u, DT_SERVICES), -ERANGE);
	assert_non_null(strstr(xlb_errmsg(), "service 300"));
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 1, back, 5, &size), -ENOENT);
	u[DT_SERVICES - 1].ring_size = 5;

	assert_int_equal(xlb_dpmap_rings_switch(&t->m, u, DT_SERVICES), 0);
	for (i = 0; i < DT_SERVICES; i++) {
		assert_int_equal(xlb_dpmap_ring_read(&t->m, i + 1, back, 5,
						     &size), 0);
		assert_int_equal(size, u[i].ring_size);
		assert_memory_equal(back, slots[i], size * sizeof(__u32));
	}
}

/* The bit is computed here from the documented rule, not by the library. */
static void expect_filter_bit(const struct dt *t, const union xlb_addr *a,
			      __u8 fam, int set)
{
	__u32 bit = xlb_vip_bit(a, fam), word = bit >> 6;
	__u64 val;

	assert_int_equal(bpf_map_lookup_elem(t->m.vip_filter, &word, &val), 0);
	assert_int_equal(!!(val & (1ULL << (bit & 63))), set);
	assert_int_equal(xlb_dpmap_filter_test(&t->m, a, fam), set);
}

static void test_vip_marker_and_filter_bit(void **state)
{
	struct dt *t = *state;
	union xlb_addr a = v4(0xc6336401), b = v6_doc(0x10);
	struct xlb_vip_key key;
	struct xlb_service svc;
	__u32 bit = xlb_vip_bit(&a, XLB_FAM_V4), word = bit >> 6;
	__u64 other = 1ULL << ((bit + 1) & 63), val;

	/* A bit already set in the same word must survive. */
	assert_int_equal(bpf_map_update_elem(t->m.vip_filter, &word, &other,
					     BPF_ANY), 0);
	expect_filter_bit(t, &a, XLB_FAM_V4, 0);
	assert_int_equal(xlb_dpmap_vip_add(&t->m, &a, XLB_FAM_V4), 0);
	expect_filter_bit(t, &a, XLB_FAM_V4, 1);
	assert_int_equal(bpf_map_lookup_elem(t->m.vip_filter, &word, &val), 0);
	assert_true(val & other);

	memset(&key, 0, sizeof(key));
	key.addr = a;
	key.family = XLB_FAM_V4;
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &key, &svc), 0);
	assert_int_equal(svc.id, 0);
	assert_int_equal(svc.flags, 0);

	assert_int_equal(xlb_dpmap_vip_add(&t->m, &b, XLB_FAM_V6), 0);
	expect_filter_bit(t, &b, XLB_FAM_V6, 1);

	/* Removing the VIP removes its marker; the bit may be shared. */
	assert_int_equal(xlb_dpmap_vip_del(&t->m, &a, XLB_FAM_V4), 0);
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &key, &svc),
			 -ENOENT);
	expect_filter_bit(t, &a, XLB_FAM_V4, 1);
	assert_int_equal(xlb_dpmap_vip_del(&t->m, &a, XLB_FAM_V4), -ENOENT);
	assert_int_equal(xlb_dpmap_filter_set(&t->m, &a, 9), -EAFNOSUPPORT);
}

static void test_service_put_get_del(void **state)
{
	struct dt *t = *state;
	struct xlb_vip_key key;
	struct xlb_service svc = { .id = 3, .flags = XLB_SVC_F_HASH_SRC }, got;

	memset(&key, 0, sizeof(key));
	key.addr = v6_doc(0x20);
	key.family = XLB_FAM_V6;
	key.proto = IPPROTO_UDP;
	key.port = htons(53);
	assert_int_equal(xlb_dpmap_service_put(&t->m, &key, &svc), 0);
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &key, &got), 0);
	assert_memory_equal(&got, &svc, sizeof(svc));
	memset(&got, 0, sizeof(got));
	assert_int_equal(xlb_dpmap_service_get(&t->m, &key, &got), 0);
	assert_int_equal(got.id, 3);

	svc.id = 0;
	assert_int_equal(xlb_dpmap_service_put(&t->m, &key, &svc), -ERANGE);
	svc.id = DT_SERVICES + 1;
	assert_int_equal(xlb_dpmap_service_put(&t->m, &key, &svc), -ERANGE);
	assert_non_null(strstr(xlb_errmsg(), "service id 301"));

	assert_int_equal(xlb_dpmap_service_del(&t->m, &key), 0);
	assert_int_equal(xlb_dpmap_service_get(&t->m, &key, &got), -ENOENT);
	assert_non_null(strstr(xlb_errmsg(), "2001:db8::20 udp 53"));
	assert_int_equal(xlb_dpmap_service_del(&t->m, &key), -ENOENT);
}

static int count_services(const struct xlb_vip_key *key,
			  const struct xlb_service *svc, void *arg)
{
	int *n = arg;

	(void)key;
	(void)svc;
	(*n)++;
	return 0;
}

static void test_service_walk(void **state)
{
	struct dt *t = *state;
	struct xlb_vip_key key;
	struct xlb_service svc = { .id = 1 };
	int n = 0, i;

	memset(&key, 0, sizeof(key));
	key.family = XLB_FAM_V4;
	key.proto = IPPROTO_TCP;
	for (i = 0; i < 10; i++) {
		key.addr = v4(0xcb007100 + (__u32)i);
		key.port = htons((__u16)(80 + i));
		assert_int_equal(xlb_dpmap_service_put(&t->m, &key, &svc), 0);
	}
	assert_int_equal(xlb_dpmap_vip_add(&t->m, &key.addr, XLB_FAM_V4), 0);
	assert_int_equal(xlb_dpmap_service_walk(&t->m, count_services, &n), 0);
	assert_int_equal(n, 11); /* markers included */
}

static void test_backends(void **state)
{
	struct dt *t = *state;
	struct xlb_backend be, got, *all;
	__u32 i;

	memset(&be, 0, sizeof(be));
	be.addr = v6_doc(0x99);
	be.family = XLB_FAM_V6;
	be.svc_id = 2;
	be.state = XLB_BE_ACTIVE;
	assert_int_equal(xlb_dpmap_backend_put(&t->m, 1, &be), 0);
	be.state = XLB_BE_DOWN;
	assert_int_equal(xlb_dpmap_backend_put(&t->m, DT_BACKENDS, &be), 0);
	i = DT_BACKENDS;
	assert_int_equal(bpf_map_lookup_elem(t->m.backends, &i, &got), 0);
	assert_memory_equal(&got, &be, sizeof(be));
	assert_int_equal(xlb_dpmap_backend_get(&t->m, 1, &got), 0);
	assert_int_equal(got.state, XLB_BE_ACTIVE);

	assert_int_equal(xlb_dpmap_backend_put(&t->m, 0, &be), -ERANGE);
	assert_int_equal(xlb_dpmap_backend_put(&t->m, DT_BACKENDS + 1, &be),
			 -ERANGE);
	assert_non_null(strstr(xlb_errmsg(), "backend id 3001"));
	assert_int_equal(xlb_dpmap_backend_get(&t->m, DT_BACKENDS + 1, &got),
			 -ERANGE);

	/* A bulk read across several batches, starting past id 0. */
	all = calloc(DT_BACKENDS, sizeof(*all));
	assert_non_null(all);
	assert_int_equal(xlb_dpmap_backends_read(&t->m, 1, DT_BACKENDS, all),
			 0);
	assert_int_equal(all[0].state, XLB_BE_ACTIVE);
	assert_int_equal(all[DT_BACKENDS - 1].state, XLB_BE_DOWN);
	for (i = 1; i < DT_BACKENDS - 1; i++)
		assert_int_equal(all[i].svc_id, 0);
	assert_int_equal(xlb_dpmap_backends_read(&t->m, 2, DT_BACKENDS, all),
			 -ERANGE);
	free(all);
}

static void test_config(void **state)
{
	struct dt *t = *state;
	struct xlb_config cfg, got;
	__u32 key = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mtu = 1480;
	cfg.ttl = 7;
	cfg.flags = XLB_CFG_F_ECHO_REPLY;
	cfg.src_v4 = htonl(0xc0000210);
	cfg.src_v4_mask = htonl(0xf);
	assert_int_equal(xlb_dpmap_config_set(&t->m, &cfg), 0);
	assert_int_equal(bpf_map_lookup_elem(t->m.config, &key, &got), 0);
	assert_memory_equal(&got, &cfg, sizeof(cfg));
	memset(&got, 0, sizeof(got));
	assert_int_equal(xlb_dpmap_config_get(&t->m, &got), 0);
	assert_memory_equal(&got, &cfg, sizeof(cfg));
}

/* Writes per-CPU values v(cpu) = base * (cpu + 1) into an array entry. */
static void put_percpu(int fd, __u32 key, size_t words, __u64 base)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *vals;
	size_t w;

	assert_true(ncpu > 0);
	vals = calloc((size_t)ncpu * words, sizeof(*vals));
	assert_non_null(vals);
	for (c = 0; c < ncpu; c++)
		for (w = 0; w < words; w++)
			vals[(size_t)c * words + w] = (base + w) * (__u64)(c + 1);
	assert_int_equal(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	free(vals);
}

/* Sum over cpus of (base + w) * (cpu + 1). */
static __u64 expect_sum(__u64 base, size_t w)
{
	__u64 n = (__u64)libbpf_num_possible_cpus();

	return (base + w) * n * (n + 1) / 2;
}

static void test_counters_summed_over_cpus(void **state)
{
	struct dt *t = *state;
	__u64 r[XLB_R_MAX];
	struct xlb_svc_stats s[DT_SERVICES];
	struct xlb_be_stats *b;
	unsigned int i;

	put_percpu(t->m.stats, XLB_R_FORWARDED, 1, 10);
	put_percpu(t->m.stats, XLB_R_MAX - 1, 1, 3);
	assert_int_equal(xlb_dpmap_reasons(&t->m, r), 0);
	assert_int_equal(r[XLB_R_FORWARDED], expect_sum(10, 0));
	assert_int_equal(r[XLB_R_MAX - 1], expect_sum(3, 0));
	assert_int_equal(r[XLB_R_PASSED], 0);

	put_percpu(t->m.svc_stats, DT_SERVICES, 4, 100);
	assert_int_equal(xlb_dpmap_svc_stats(&t->m, 1, DT_SERVICES, s), 0);
	assert_int_equal(s[DT_SERVICES - 1].packets, expect_sum(100, 0));
	assert_int_equal(s[DT_SERVICES - 1].bytes, expect_sum(100, 1));
	assert_int_equal(s[DT_SERVICES - 1].new_flows, expect_sum(100, 2));
	assert_int_equal(s[DT_SERVICES - 1].drops, expect_sum(100, 3));
	assert_int_equal(s[0].packets, 0);
	assert_int_equal(xlb_dpmap_svc_stats(&t->m, DT_SERVICES + 1, 1, s),
			 -ERANGE);

	b = calloc(DT_BACKENDS, sizeof(*b));
	assert_non_null(b);
	put_percpu(t->m.be_stats, 1500, 2, 7);
	put_percpu(t->m.be_stats, DT_BACKENDS, 2, 9);
	assert_int_equal(xlb_dpmap_be_stats(&t->m, 1, DT_BACKENDS, b), 0);
	assert_int_equal(b[1499].packets, expect_sum(7, 0));
	assert_int_equal(b[1499].bytes, expect_sum(7, 1));
	assert_int_equal(b[DT_BACKENDS - 1].bytes, expect_sum(9, 1));
	assert_int_equal(xlb_dpmap_be_stats(&t->m, 1500, 1, b), 0);
	assert_int_equal(b[0].packets, expect_sum(7, 0));
	free(b);

	for (i = 0; i < XLB_R_MAX; i++)
		assert_non_null(xlb_reason_name(i));
	assert_string_equal(xlb_reason_name(XLB_R_PASSED), "passed");
	assert_string_equal(xlb_reason_name(XLB_R_FORWARDED), "forwarded");
	assert_null(xlb_reason_name(XLB_R_MAX));
}

struct seen {
	unsigned char *hit;
	int dups;
	int n;
};

static int mark_flow(const struct xlb_flow_key *k, const struct xlb_flow *f,
		     void *arg)
{
	struct seen *s = arg;
	__u32 i = ntohs(k->sport);

	assert_int_equal(f->backend_id, i + 1);
	assert_int_equal(f->hash, i * 7);
	s->dups += s->hit[i];
	s->hit[i] = 1;
	s->n++;
	return 0;
}

static int stop_at_first(const struct xlb_flow_key *k,
			 const struct xlb_flow *f, void *arg)
{
	(void)k;
	(void)f;
	(*(int *)arg)++;
	return 42;
}

/* Flow i of the walk test: one client, port i. */
static struct xlb_flow_key walk_key(int i)
{
	struct xlb_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src = v4(0xcb007105);
	k.dst = v4(0xc633640a);
	k.sport = htons((__u16)i);
	k.dport = htons(80);
	k.proto = IPPROTO_TCP;
	k.family = XLB_FAM_V4;
	return k;
}

/*
 * 1500 flows in a table of 8192 (2048 sets of 4): a few sets overflow and
 * keep only their last four, so the walk must report exactly the flows
 * that get finds, each once, with its value.
 */
static void test_conntrack_walk(void **state)
{
	struct dt *t = *state;
	unsigned char hit[5000] = { 0 };
	struct seen s = { hit, 0, 0 };
	struct xlb_flow_key k;
	struct xlb_flow f, got;
	int i, calls = 0, found = 0;

	for (i = 0; i < 1500; i++) {
		k = walk_key(i);
		f = (struct xlb_flow){ .backend_id = (__u32)i + 1,
				       .hash = (__u32)i * 7, .svc_id = 1 };
		assert_int_equal(xlb_dpmap_ct_put(&t->m, &k, &f), 0);
	}
	for (i = 0; i < 1500; i++) {
		k = walk_key(i);
		if (xlb_dpmap_ct_get(&t->m, &k, &got))
			continue;
		assert_int_equal(got.backend_id, i + 1);
		found++;
	}
	assert_true(found >= 1450);
	assert_int_equal(xlb_dpmap_conntrack_walk(&t->m, mark_flow, &s), 0);
	assert_int_equal(s.dups, 0);
	assert_int_equal(s.n, found);
	assert_int_equal(xlb_dpmap_conntrack_walk(&t->m, stop_at_first,
						  &calls), 42);
	assert_int_equal(calls, 1);
}

/* put replaces a flow's own entry; del removes exactly that flow. */
static void test_conntrack_put_get_del(void **state)
{
	struct dt *t = *state;
	struct xlb_flow_key a = walk_key(1), b = walk_key(2);
	struct xlb_flow f = { .backend_id = 7, .hash = 9, .svc_id = 1 }, got;

	assert_int_equal(xlb_dpmap_ct_get(&t->m, &a, &got), -ENOENT);
	assert_int_equal(xlb_dpmap_ct_put(&t->m, &a, &f), 0);
	assert_int_equal(xlb_dpmap_ct_put(&t->m, &b, &f), 0);
	f.backend_id = 8;
	assert_int_equal(xlb_dpmap_ct_put(&t->m, &a, &f), 0);
	assert_int_equal(xlb_dpmap_ct_get(&t->m, &a, &got), 0);
	assert_int_equal(got.backend_id, 8);
	assert_int_equal(got.hash, 9);
	assert_int_equal(xlb_dpmap_ct_del(&t->m, &a), 0);
	assert_int_equal(xlb_dpmap_ct_get(&t->m, &a, &got), -ENOENT);
	assert_int_equal(xlb_dpmap_ct_del(&t->m, &a), -ENOENT);
	assert_int_equal(xlb_dpmap_ct_get(&t->m, &b, &got), 0);
	assert_int_equal(got.backend_id, 7);
}

static void test_open_pinned(void **state)
{
	struct dt *t = *state;
	struct xlb_dpmaps p;
	struct xlb_config cfg = { .mtu = 999 }, got;

	assert_int_equal(xlb_dpmaps_open_pinned(t->pin_dir, &p), 0);
	assert_int_equal(p.max_svc_id, DT_SERVICES);
	assert_int_equal(p.max_be_id, DT_BACKENDS);
	assert_int_equal(map_info(p.backends).id, map_info(t->m.backends).id);
	assert_int_equal(xlb_dpmap_config_set(&p, &cfg), 0);
	xlb_dpmaps_close(&p);
	assert_int_equal(p.config, -1);
	assert_int_equal(xlb_dpmap_config_get(&t->m, &got), 0);
	assert_int_equal(got.mtu, 999);

	assert_int_equal(xlb_dpmaps_open_pinned("/sys/fs/bpf/xlbt_nothing_here",
						&p), -ENOENT);
	assert_non_null(strstr(xlb_errmsg(), "xlbt_nothing_here"));
}


/* ---- pinned tables: readers without CAP_SYS_ADMIN --------------------- */

/* The id of the map pinned for svc_id; 0 when there is no pin. */
static __u32 pinned_id(const struct dt *t, __u32 svc_id)
{
	char path[256];
	__u32 id;
	int fd;

	assert_int_equal(xlb_dpmap_ring_pin_path(&t->m, svc_id, path,
						 sizeof(path)), 0);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		assert_int_equal(errno, ENOENT);
		return 0;
	}
	id = map_info(fd).id;
	close(fd);
	return id;
}

/* The id the outer map holds for svc_id. */
static __u32 outer_id(const struct dt *t, __u32 svc_id)
{
	__u32 id;

	assert_int_equal(bpf_map_lookup_elem(t->m.maglev, &svc_id, &id), 0);
	return id;
}

/* Drops CAP_SYS_ADMIN from the calling process (a forked child). */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].inheritable &= ~(1u << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * Reads svc_id's table in a child holding every capability but
 * CAP_SYS_ADMIN: the negated errno of xlb_dpmap_ring_read() (0: read, and
 * M was want), 100 + n for a failure of the child itself.  The message
 * goes to msg.
 */
static int read_without_sys_admin(const struct dt *t, __u32 svc_id,
				  __u32 want, char *msg, size_t len)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		__u32 back[16], size = 0;
		int err;

		close(pipefd[0]);
		if (drop_sys_admin())
			_exit(101);
		/* The check of the check: by id is refused now. */
		if (bpf_map_get_fd_by_id(outer_id(t, svc_id)) >= 0 ||
		    errno != EPERM)
			_exit(102);
		err = xlb_dpmap_ring_read(&t->m, svc_id, back, 16, &size);
		if (dprintf(pipefd[1], "%s", err ? xlb_errmsg() : "") < 0)
			_exit(103);
		_exit(err ? -err : size == want ? 0 : 104);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_ring_pins(void **state)
{
	struct dt *t = *state;
	__u32 slots[7] = { 1, 2, 3, 1, 2, 3, 1 }, back[7], size, first;
	char msg[512], path[256];
	int fd;

	/* Pinned with the switch: the pin is the table in force. */
	assert_int_equal(pinned_id(t, 3), 0);
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 3, slots, 7), 0);
	first = outer_id(t, 3);
	assert_int_equal(pinned_id(t, 3), first);
	assert_int_equal(read_without_sys_admin(t, 3, 7, msg, sizeof(msg)), 0);

	/* Replaced with the next switch; no temporary pin stays. */
	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 3, slots, 5), 0);
	assert_int_not_equal(outer_id(t, 3), first);
	assert_int_equal(pinned_id(t, 3), outer_id(t, 3));
	snprintf(path, sizeof(path), "%s/tables/new_3", t->pin_dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(read_without_sys_admin(t, 3, 5, msg, sizeof(msg)), 0);
	assert_int_equal(xlb_dpmap_ring_repin(&t->m, 3), 0); /* right */

	/* A stale pin (another map) is detected and not trusted: read by
	 * id with CAP_SYS_ADMIN, refused with the reason without it. */
	assert_int_equal(xlb_dpmap_ring_pin_path(&t->m, 3, path, sizeof(path)),
			 0);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlbt_stale", 4, 4, 8, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 3, back, 7, &size), 0);
	assert_int_equal(size, 5);
	assert_int_equal(read_without_sys_admin(t, 3, 5, msg, sizeof(msg)),
			 EPERM);
	assert_non_null(strstr(msg, "service 3"));
	assert_non_null(strstr(msg, "stale pin"));
	assert_non_null(strstr(msg, "CAP_SYS_ADMIN"));
	close(fd);
	/* No pin at all: the same, saying so. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(read_without_sys_admin(t, 3, 5, msg, sizeof(msg)),
			 EPERM);
	assert_non_null(strstr(msg, "not pinned"));
	/* Pinned again by the writer (which may open by id). */
	assert_int_equal(xlb_dpmap_ring_repin(&t->m, 3), 1);
	assert_int_equal(pinned_id(t, 3), outer_id(t, 3));
	assert_int_equal(read_without_sys_admin(t, 3, 5, msg, sizeof(msg)), 0);

	/* Deleted with the table. */
	assert_int_equal(xlb_dpmap_ring_del(&t->m, 3), 0);
	assert_int_equal(pinned_id(t, 3), 0);
	assert_int_equal(xlb_dpmap_ring_repin(&t->m, 3), -ENOENT);
}

/* Tables refilled from the pool and spares keep every pin right. */
static void test_ring_pins_pool_and_spares(void **state)
{
	struct dt *t = *state;
	struct xlb_ring_pool *pool;
	struct xlb_ring_update u[4];
	__u32 slots[4][5], spare_ids[2] = { 20, 21 }, spare_id, i, round;
	__u64 reused, created;
	char msg[512];

	assert_int_equal(xlb_ring_pool_new(1 << 20, &pool), 0);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 4; i++) {
			for (__u32 j = 0; j < 5; j++)
				slots[i][j] = 1 + (i + j + round) % 4;
			u[i] = (struct xlb_ring_update){ i + 1, slots[i], 5 };
		}
		assert_int_equal(xlb_dpmap_rings_switch_pooled(&t->m, pool, u,
							       4), 0);
		for (i = 1; i <= 4; i++)
			assert_int_equal(pinned_id(t, i), outer_id(t, i));
	}
	xlb_ring_pool_counts(pool, &reused, &created);
	assert_true(reused >= 8); /* the pins followed refilled tables */
	xlb_ring_pool_free(pool);
	assert_int_equal(read_without_sys_admin(t, 2, 5, msg, sizeof(msg)), 0);

	/* Spares are pinned when placed; filling one keeps its table. */
	assert_int_equal(xlb_dpmap_rings_spare(&t->m, spare_ids, 2, 5), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pinned_id(t, spare_ids[i]),
				 outer_id(t, spare_ids[i]));
	spare_id = outer_id(t, 20);
	assert_int_equal(xlb_dpmap_ring_fill_spare(&t->m, 20, slots[0], 5), 0);
	assert_int_equal(outer_id(t, 20), spare_id);
	assert_int_equal(pinned_id(t, 20), spare_id);
	assert_int_equal(read_without_sys_admin(t, 20, 5, msg, sizeof(msg)),
			 0);
}

/* Unpinning the datapath removes the tables' folder too. */
static void test_unpin_removes_tables(void **state)
{
	struct dt *t = *state;
	__u32 slots[3] = { 1, 2, 3 };
	char dir[128];
	struct stat st;

	assert_int_equal(xlb_dpmap_ring_switch(&t->m, 9, slots, 3), 0);
	snprintf(dir, sizeof(dir), "%s/tables", t->pin_dir);
	assert_int_equal(stat(dir, &st), 0);
	xlb_dp_close(t->dp);
	t->dp = NULL;
	assert_int_equal(xlb_dp_unpin(t->pin_dir), 0);
	assert_int_equal(stat(t->pin_dir, &st), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ring_switch_writes_whole_table),
		T(test_ring_switch_bounds),
		T(test_rings_switch_many),
		T(test_vip_marker_and_filter_bit),
		T(test_service_put_get_del),
		T(test_service_walk),
		T(test_backends),
		T(test_config),
		T(test_counters_summed_over_cpus),
		T(test_conntrack_walk),
		T(test_conntrack_put_get_del),
		T(test_open_pinned),
		T(test_ring_pins),
		T(test_ring_pins_pool_and_spares),
		T(test_unpin_removes_tables),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_dpmap: needs root (BPF); the tests below "
				"will fail\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
