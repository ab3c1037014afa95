/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_dpmap.h - reading and writing the datapath's maps.
 *
 * The one place that knows how a service, a VIP, a backend or a Maglev
 * table is spelled in the maps (bpf/xlb_abi.h, bpf/README.md), so that lbd,
 * lbsh, xlbctl and the tests cannot write them differently.  Functions
 * return 0 or a negative errno with xlb_errmsg() set.
 */
#ifndef XLB_DPMAP_H
#define XLB_DPMAP_H

#include <limits.h>
#include <linux/types.h>

#include "xlb_abi.h"
#include "xlb_loader.h"

/* The datapath's map fds, plus the id ranges the arrays allow. */
struct xlb_dpmaps {
	int config, vip_filter, services, maglev, backends;
	int conntrack, frags, stats, svc_stats, be_stats;
	__u32 max_svc_id; /* services: ids 1..max_svc_id */
	__u32 max_be_id;  /* backend entries: ids 1..max_be_id */
	int owned;        /* fds are ours to close (opened from pins) */
	/* The pin folder, where every Maglev table in force is pinned too
	 * (tables/<service id>): reading a table back by the id the outer
	 * map holds needs CAP_SYS_ADMIN, opening a pin does not.  "": the
	 * maps are not pinned, tables neither. */
	char pin_dir[PATH_MAX];
};

/* Borrows dp's fds: valid while dp is open; xlb_dpmaps_close() leaves them. */
void xlb_dpmaps_from_dp(const struct xlb_dp *dp, struct xlb_dpmaps *m);

/*
 * Opens the maps pinned in pin_dir (NULL: the default) without loading the
 * program (readers such as stats).  The fds are owned by *m until
 * xlb_dpmaps_close().  -ENOENT when no datapath is pinned there.
 */
int xlb_dpmaps_open_pinned(const char *pin_dir, struct xlb_dpmaps *m);
void xlb_dpmaps_close(struct xlb_dpmaps *m);

/* The single config entry. */
int xlb_dpmap_config_get(const struct xlb_dpmaps *m, struct xlb_config *cfg);
int xlb_dpmap_config_set(const struct xlb_dpmaps *m,
			 const struct xlb_config *cfg);

/* Services (vip, proto, port) -> (id, flags).  -ENOENT when absent. */
int xlb_dpmap_service_put(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key,
			  const struct xlb_service *svc);
int xlb_dpmap_service_get(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key,
			  struct xlb_service *svc);
int xlb_dpmap_service_del(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key);

/*
 * Calls fn for every entry of xlb_services, VIP markers included (proto 0).
 * fn must not add or remove services; a non-zero return stops the walk and
 * is returned.
 */
typedef int (*xlb_service_fn)(const struct xlb_vip_key *key,
			      const struct xlb_service *svc, void *arg);
int xlb_dpmap_service_walk(const struct xlb_dpmaps *m, xlb_service_fn fn,
			   void *arg);

/*
 * A VIP: its marker (proto 0, port 0, id 0) and its VIP-filter bit.
 * Removing a VIP removes the marker only: the bit may be shared with other
 * VIPs, and a stale bit costs just a hash lookup.
 */
int xlb_dpmap_vip_add(const struct xlb_dpmaps *m, const union xlb_addr *vip,
		      __u8 family);
int xlb_dpmap_vip_del(const struct xlb_dpmaps *m, const union xlb_addr *vip,
		      __u8 family);
/* Sets the filter bit alone (read-modify-write of its 64-bit word). */
int xlb_dpmap_filter_set(const struct xlb_dpmaps *m, const union xlb_addr *vip,
			 __u8 family);
/* 1 if the bit of vip is set, 0 if clear. */
int xlb_dpmap_filter_test(const struct xlb_dpmaps *m,
			  const union xlb_addr *vip, __u8 family);

/* Backend entries, id 1..max_be_id. */
int xlb_dpmap_backend_put(const struct xlb_dpmaps *m, __u32 id,
			  const struct xlb_backend *be);
/* Entries ids[i] = bes[i], i < n, a few kernel calls for all of them;
 * *done: how many are written (all of them when it returns 0). */
int xlb_dpmap_backends_put(const struct xlb_dpmaps *m, const __u32 *ids,
			   const struct xlb_backend *bes, __u32 n, __u32 *done);
int xlb_dpmap_backend_get(const struct xlb_dpmaps *m, __u32 id,
			  struct xlb_backend *be);
/* Entries first..first+n-1 into out[0..n-1] (unused ones are all zero). */
int xlb_dpmap_backends_read(const struct xlb_dpmaps *m, __u32 first, __u32 n,
			    struct xlb_backend *out);

/*
 * Switches service svc_id to a new Maglev table of m slots (slots[0..m-1]
 * are backend entry ids): a fresh inner map of m + 1 entries (entry 0 = m)
 * is filled completely, then put into xlb_maglev[svc_id] with one update,
 * so packets see the old table or the new one, never a mix.
 */
int xlb_dpmap_ring_switch(const struct xlb_dpmaps *m, __u32 svc_id,
			  const __u32 *slots, __u32 ring_size);

struct xlb_ring_update {
	__u32 svc_id;
	const __u32 *slots; /* ring_size backend entry ids */
	__u32 ring_size;
};

/*
 * Switches the tables of n services, each as a whole as above, with one
 * kernel wait per batch of services (as many as the open-file limit
 * allows, up to 4,096) instead of one per service (a switch
 * returns only once no packet can still see the old table, an RCU grace
 * period).  Everything is validated first; on a later error the updates
 * before the failing batch are in force and xlb_errmsg() names the service.
 */
int xlb_dpmap_rings_switch(const struct xlb_dpmaps *m,
			   const struct xlb_ring_update *u, size_t n);

/*
 * The same, refilling tables that earlier switches replaced instead of
 * creating new ones where the size matches.  A switch returns only once no
 * packet can see the table it replaced, so that table is free: the pool
 * keeps such tables (their fds) up to max_bytes of table memory, and
 * closes the rest.  The pool belongs to one writer of the maps (lbd).
 */
struct xlb_ring_pool;
int xlb_ring_pool_new(size_t max_bytes, struct xlb_ring_pool **out);
void xlb_ring_pool_free(struct xlb_ring_pool *p);
/* Tables refilled, and created, since the pool was made. */
void xlb_ring_pool_counts(const struct xlb_ring_pool *p, __u64 *reused,
			  __u64 *created);
int xlb_dpmap_rings_switch_pooled(const struct xlb_dpmaps *m,
				  struct xlb_ring_pool *pool,
				  const struct xlb_ring_update *u, size_t n);

/*
 * Spare tables: an empty table of ring_size + 1 entries (entry 0, M, is 0:
 * the datapath takes it for no table) put under each of ids[0..n-1], ids
 * no service holds, with one kernel wait for all.  A new service given one
 * of these ids gets its first table by xlb_dpmap_ring_fill_spare(), in
 * place and with no kernel wait: the slots, then M.  Only for a service
 * not yet in xlb_services (no packet reaches its table).  -ENOENT: no
 * table under svc_id; -ENOSPC: one of another size; -EEXIST: M is not 0.
 */
int xlb_dpmap_rings_spare(const struct xlb_dpmaps *m, const __u32 *ids,
			  size_t n, __u32 ring_size);
int xlb_dpmap_ring_fill_spare(const struct xlb_dpmaps *m, __u32 svc_id,
			      const __u32 *slots, __u32 ring_size);

/* Removes the table of svc_id (packets then count XLB_R_NO_BACKEND), and
 * its pin. */
int xlb_dpmap_ring_del(const struct xlb_dpmaps *m, __u32 svc_id);
/*
 * Reads the table in force for svc_id into slots (capacity cap entries):
 * *ring_size = M from entry 0; slots receives entries 1..M.  -ENOENT when
 * the service has no table, -ENOSPC when M > cap.  The table is opened
 * from its pin when the pin holds the table the outer map holds; else
 * (a crash between a switch and its pin, pins of an older xlb) by id,
 * which without CAP_SYS_ADMIN fails: -EPERM naming the service and why.
 */
int xlb_dpmap_ring_read(const struct xlb_dpmaps *m, __u32 svc_id,
			__u32 *slots, __u32 cap, __u32 *ring_size);
/*
 * Pins the table in force for svc_id again when its pin is missing or
 * holds another table (opening the table by id: CAP_SYS_ADMIN).  1 when
 * it pinned, 0 when the pin was right, -ENOENT when svc_id has no table.
 */
int xlb_dpmap_ring_repin(const struct xlb_dpmaps *m, __u32 svc_id);
/* "<pin_dir>/tables/<svc_id>" into buf; -ENAMETOOLONG, -ENOENT if no pin
 * folder. */
int xlb_dpmap_ring_pin_path(const struct xlb_dpmaps *m, __u32 svc_id,
			    char *buf, size_t len);

/* Counters, summed over every possible CPU. */
int xlb_dpmap_reasons(const struct xlb_dpmaps *m, __u64 out[XLB_R_MAX]);
/* Ids first..first+n-1 into out[0..n-1]. */
int xlb_dpmap_svc_stats(const struct xlb_dpmaps *m, __u32 first, __u32 n,
			struct xlb_svc_stats *out);
int xlb_dpmap_be_stats(const struct xlb_dpmaps *m, __u32 first, __u32 n,
		       struct xlb_be_stats *out);

/* "passed", "forwarded", ... (enum xlb_reason); NULL when out of range. */
const char *xlb_reason_name(unsigned int reason);

/*
 * The connection table (bpf/xlb_ct.h: sets of XLB_CT_WAYS flows).  The walk
 * calls fn for every intact entry, set by set in batches (flows added or
 * replaced meanwhile may or may not be seen); a non-zero return from fn
 * stops it and is returned.  get/put/del act on one flow with a read-
 * modify-write of its set: for tools and tests, not for racing the
 * datapath at rate.
 */
typedef int (*xlb_flow_fn)(const struct xlb_flow_key *key,
			   const struct xlb_flow *flow, void *arg);
int xlb_dpmap_conntrack_walk(const struct xlb_dpmaps *m, xlb_flow_fn fn,
			     void *arg);
int xlb_dpmap_ct_get(const struct xlb_dpmaps *m, const struct xlb_flow_key *k,
		     struct xlb_flow *out);
int xlb_dpmap_ct_put(const struct xlb_dpmaps *m, const struct xlb_flow_key *k,
		     const struct xlb_flow *flow);
int xlb_dpmap_ct_del(const struct xlb_dpmaps *m, const struct xlb_flow_key *k);

#endif /* XLB_DPMAP_H */
