/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_maps.h - the datapath's maps.  The sizes below are defaults only: the
 * loader (lib/xlb_loader.c) sets every max_entries before load.  Ids are
 * 1-based (0 is "none"), so id-indexed arrays hold one extra entry.
 */
#ifndef XLB_MAPS_H
#define XLB_MAPS_H

/* The node's forwarding settings: one entry, key 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
} xlb_config SEC(".maps");

/* One-hash Bloom filter over VIP addresses (see XLB_VIP_FILTER_WORDS). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_VIP_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} xlb_vip_filter SEC(".maps");

/* (vip, proto, port) -> service id and flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEF_SERVICES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xlb_vip_key);
	__type(value, struct xlb_service);
} xlb_services SEC(".maps");

/* Service id -> its Maglev table; switched as a whole by lbd. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_DEF_SERVICES + 1);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, XLB_DEF_RING + 1);
		/* any size; mmap-able so lbd fills it with one copy */
		__uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
		__type(key, __u32);
		__type(value, __u32);
	});
} xlb_maglev SEC(".maps");

/* Service-backend entry id -> where and how to send. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEF_BACKENDS + 1);
	__type(key, __u32);
	__type(value, struct xlb_backend);
} xlb_backends SEC(".maps");

/* The connection table: sets of XLB_CT_WAYS flows (xlb_ct.h).  Plain
 * array reads and writes, no kernel calls and no locks, on every CPU.  The
 * loader sets the number of sets, a power of two, and xlb_ct_mask. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEF_CONNTRACK / XLB_CT_WAYS);
	__type(key, __u32);
	__type(value, struct xlb_ct_set);
} xlb_conntrack SEC(".maps");

const volatile __u32 xlb_ct_mask = XLB_DEF_CONNTRACK / XLB_CT_WAYS - 1;

/* Datagram being fragmented -> where its first fragment went. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_DEF_FRAGS);
	__type(key, struct xlb_frag_key);
	__type(value, struct xlb_frag);
} xlb_frags SEC(".maps");

/* Global reason counters, enum xlb_reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xlb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEF_SERVICES + 1);
	__type(key, __u32);
	__type(value, struct xlb_svc_stats);
} xlb_svc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEF_BACKENDS + 1);
	__type(key, __u32);
	__type(value, struct xlb_be_stats);
} xlb_be_stats SEC(".maps");

#endif /* XLB_MAPS_H */
