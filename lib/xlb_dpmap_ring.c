// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap_ring.c - switching a service's Maglev table as a whole.
 *
 * Rewriting a live table slot by slot would let packets meet a mix of the
 * old and the new backend sets (and a new M with old slots).  Instead every
 * switch builds a complete new inner array, entry 0 = M, and replaces the
 * outer slot with one update; the kernel frees the old table once no
 * program still runs with it.
 *
 * Tables are filled and read through mmap (see ring_create).
 *
 * The kernel returns from an update of a map-in-map only after an RCU grace
 * period (no program still sees the old table), some milliseconds each; a
 * batch update waits once for the whole batch, which is why switching many
 * services goes through xlb_dpmap_rings_switch(), as many per batch as the
 * open-file limit lets it hold (each table is an fd until the update).
 *
 * Creating a table costs the kernel more than filling it (a zeroed
 * allocation, and freeing the old one later).  Because the update returns
 * only once no packet can see the table it replaced, that table is free
 * for the next switch: with a pool (xlb_ring_pool), the tables replaced
 * are kept, up to a byte budget, and a switch to a table of the same size
 * refills one of them instead of creating one.
 *
 * A new service needs no switch at all when a spare table waits under its
 * id: an empty table (M 0, which packets take for no table) put there in
 * advance, off the critical path.  No packet reaches a table before its
 * service is in xlb_services, so the spare is filled in place, M last.
 *
 * Every table placed in the outer map is pinned as well, under
 * <pin_dir>/tables/<service id> (a new pin under a temporary name, then
 * renamed over the old one): the outer map yields only a table's id, and
 * the kernel opens a map by id for CAP_SYS_ADMIN alone, while a pin opens
 * with CAP_BPF.  A pin is trusted only when it holds the very table the
 * outer map holds; otherwise the table is opened by id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <bpf/bpf.h>

#include "xlb_dpmap.h"
#include "xlb_dpmap_pin.h"
#include "xlb_errmsg.h"

static int check_svc_id(const struct xlb_dpmaps *m, __u32 svc_id)
{
	if (svc_id == XLB_ID_NONE || svc_id > m->max_svc_id)
		return xlb_errmsg_set(-ERANGE,
				      "service id %u is outside 1..%u", svc_id,
				      m->max_svc_id);
	return 0;
}

/* The kernel lays array elements out 8 bytes apart, whatever their size:
 * a table's __u32 i is the first 4 bytes of the mapping's 8-byte element
 * i (XLB_RING_STRIDE words of 4 bytes).  The mapping covers whole pages. */
#define XLB_RING_STRIDE 2

static size_t ring_bytes(__u32 n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return ((size_t)n * XLB_RING_STRIDE * sizeof(__u32) + page - 1) /
	       page * page;
}

/*
 * Fills table fd (M + 1 entries) with M then the slots.  Tables are
 * mmap-able arrays filled by one pass over memory: a batch update goes
 * through the kernel entry by entry (about 4 ms for 16,382 entries, so
 * seconds for thousands of services); the copy takes tens of microseconds.
 * Nothing reads the table before the outer map points at it.
 */
static int ring_fill(int fd, __u32 svc_id, const __u32 *slots,
		     __u32 ring_size)
{
	size_t len = ring_bytes(ring_size + 1);
	__u32 *mem, i;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return xlb_errmsg_set(-errno, "mapping the Maglev table of "
				      "service %u: %s", svc_id,
				      strerror(errno));
	mem[XLB_RING_SIZE_SLOT * XLB_RING_STRIDE] = ring_size;
	for (i = 0; i < ring_size; i++)
		mem[(i + 1) * XLB_RING_STRIDE] = slots[i];
	munmap(mem, len);
	return 0;
}

/* ---- the table in force, from its pin when it can (xlb_dpmap_pin.c) ---- */

/* The id of the table in force for svc_id (the outer map holds ids). */
static int ring_id(const struct xlb_dpmaps *m, __u32 svc_id, __u32 *id)
{
	if (bpf_map_lookup_elem(m->maglev, &svc_id, id))
		return xlb_errmsg_set(-errno, "Maglev table of service %u: %s",
				      svc_id, strerror(errno));
	return 0;
}

/* The fd of the table in force for svc_id. */
static int ring_open(const struct xlb_dpmaps *m, __u32 svc_id)
{
	__u32 id;
	int err = ring_id(m, svc_id, &id);

	return err ? err : xlb_table_open(m, svc_id, id);
}

int xlb_dpmap_ring_repin(const struct xlb_dpmaps *m, __u32 svc_id)
{
	__u32 id, pinned;
	int why, fd, err = check_svc_id(m, svc_id);

	if (!err)
		err = ring_id(m, svc_id, &id);
	if (err)
		return err;
	fd = xlb_table_pin_open(m, svc_id, id, &pinned, &why);
	if (fd >= 0 || !m->pin_dir[0]) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	fd = xlb_table_open(m, svc_id, id);
	if (fd < 0)
		return fd;
	err = xlb_table_pin(m, svc_id, fd);
	close(fd);
	return err ? err : 1;
}

/* ---- the pool of tables no packet sees any more ---------------------------- */

struct xlb_ring_pool_ent {
	int fd;
	__u32 entries; /* max_entries: M + 1 */
};

struct xlb_ring_pool {
	struct xlb_ring_pool_ent *e;
	size_t n, cap;
	size_t bytes, max_bytes;
	__u64 reused, created;
};

int xlb_ring_pool_new(size_t max_bytes, struct xlb_ring_pool **out)
{
	struct xlb_ring_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->max_bytes = max_bytes;
	*out = p;
	return 0;
}

void xlb_ring_pool_free(struct xlb_ring_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		close(p->e[i].fd);
	free(p->e);
	free(p);
}

void xlb_ring_pool_counts(const struct xlb_ring_pool *p, __u64 *reused,
			  __u64 *created)
{
	*reused = p ? p->reused : 0;
	*created = p ? p->created : 0;
}

/* A pooled table of entries entries, or -1. */
static int pool_take(struct xlb_ring_pool *p, __u32 entries)
{
	for (size_t i = p ? p->n : 0; i-- > 0;) {
		int fd = p->e[i].fd;

		if (p->e[i].entries != entries)
			continue;
		p->e[i] = p->e[--p->n];
		p->bytes -= ring_bytes(entries);
		p->reused++;
		return fd;
	}
	return -1;
}

/* Keeps fd (a table no packet sees) if the budget allows, else closes it. */
static void pool_give(struct xlb_ring_pool *p, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!p || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    p->bytes + ring_bytes(info.max_entries) > p->max_bytes) {
		close(fd);
		return;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct xlb_ring_pool_ent *e = realloc(p->e, cap * sizeof(*e));

		if (!e) {
			close(fd);
			return;
		}
		p->e = e;
		p->cap = cap;
	}
	p->e[p->n++] = (struct xlb_ring_pool_ent){ fd, info.max_entries };
	p->bytes += ring_bytes(info.max_entries);
}

/* A table of M + 1 entries holding M then the slots (pooled when one of
 * that size is there); returns its fd or -errno. */
static int ring_create(struct xlb_ring_pool *pool, __u32 svc_id,
		       const __u32 *slots, __u32 ring_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, co,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__u32 n = ring_size + 1;
	char name[16];
	int fd = pool_take(pool, n), err;

	if (fd < 0) {
		/* Named after its first service, so bpftool shows whose
		 * table it is (a pooled one keeps its first name). */
		snprintf(name, sizeof(name), "xlb_ring_%u", svc_id);
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
				    sizeof(__u32), n, &co);
		if (fd < 0)
			return xlb_errmsg_set(-errno, "creating a Maglev table "
					      "of %u entries: %s", n,
					      strerror(errno));
		if (pool)
			pool->created++;
	}
	err = ring_fill(fd, svc_id, slots, ring_size);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int check_update(const struct xlb_dpmaps *m,
			const struct xlb_ring_update *u)
{
	int err = check_svc_id(m, u->svc_id);

	if (err)
		return err;
	if (u->ring_size == 0 || u->ring_size > XLB_MAX_RING)
		return xlb_errmsg_set(-ERANGE, "ring size %u of service %u is "
				      "outside 1..%u", u->ring_size, u->svc_id,
				      XLB_MAX_RING);
	return 0;
}

/* Tables switched per batch: each holds an fd (two with a pool: the new
 * table and the one it replaces) until the update, so as many as the
 * open-file limit leaves room for, with a margin for the rest of the
 * process. */
static size_t batch_max(const struct xlb_ring_pool *pool)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 4096;
	room = rl.rlim_cur > 512 ? (rl.rlim_cur - 256) / (pool ? 2 : 1) : 128;
	return room > 4096 ? 4096 : room < 64 ? 64 : (size_t)room;
}

/* The fd of the table in force for svc_id, -1 when none (a new service). */
static int ring_fd_of(const struct xlb_dpmaps *m, __u32 svc_id)
{
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(m->maglev, &svc_id, &id))
		return -1;
	fd = xlb_table_open(m, svc_id, id);
	return fd < 0 ? -1 : fd;
}

struct batch {
	__u32 *keys;
	int *fds, *old;
};

/* Builds n tables, then switches them with one outer batch update.  The
 * new fds are only needed for that: the outer map holds the tables
 * afterwards.  The tables they replace go to the pool. */
static int switch_batch(const struct xlb_dpmaps *m, struct xlb_ring_pool *pool,
			const struct xlb_ring_update *u, __u32 n,
			struct batch *b)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 i, built, count = n;
	int err = 0, pin_err = 0;

	for (built = 0; built < n && !err; built++) {
		b->keys[built] = u[built].svc_id;
		b->old[built] = pool ? ring_fd_of(m, u[built].svc_id) : -1;
		b->fds[built] = ring_create(pool, u[built].svc_id,
					    u[built].slots, u[built].ring_size);
		if (b->fds[built] < 0)
			err = b->fds[built];
	}
	if (!err && bpf_map_update_batch(m->maglev, b->keys, b->fds, &count,
					 &bo))
		err = xlb_errmsg_set(-errno, "switching the Maglev table of "
				     "service %u: %s",
				     b->keys[count < n ? count : n - 1],
				     strerror(errno));
	for (i = 0; i < built; i++) {
		/* The switch is in force: a failed pin is reported, and
		 * readers, finding the old pin, open the table by id. */
		if (!err) {
			int e = xlb_table_pin(m, b->keys[i], b->fds[i]);

			pin_err = e ? e : pin_err;
		}
		if (b->fds[i] >= 0)
			close(b->fds[i]);
		/* After a failure, which table is in force is not known:
		 * none is reused. */
		if (b->old[i] >= 0 && !err)
			pool_give(pool, b->old[i]);
		else if (b->old[i] >= 0)
			close(b->old[i]);
	}
	return err ? err : pin_err;
}

int xlb_dpmap_rings_switch_pooled(const struct xlb_dpmaps *m,
				  struct xlb_ring_pool *pool,
				  const struct xlb_ring_update *u, size_t n)
{
	size_t i, chunk, max = batch_max(pool);
	struct batch b;
	int err = 0;

	for (i = 0; i < n; i++) {
		err = check_update(m, &u[i]);
		if (err)
			return err;
	}
	chunk = n < max ? n : max;
	b.keys = malloc((chunk ? chunk : 1) * sizeof(*b.keys));
	b.fds = malloc((chunk ? chunk : 1) * sizeof(*b.fds));
	b.old = malloc((chunk ? chunk : 1) * sizeof(*b.old));
	if (!b.keys || !b.fds || !b.old)
		err = xlb_errmsg_set(-ENOMEM, "switching %zu Maglev tables: "
				     "out of memory", n);
	for (i = 0; i < n && !err; i += chunk) {
		chunk = n - i < max ? n - i : max;
		err = switch_batch(m, pool, u + i, (__u32)chunk, &b);
	}
	free(b.keys);
	free(b.fds);
	free(b.old);
	return err;
}

int xlb_dpmap_rings_switch(const struct xlb_dpmaps *m,
			   const struct xlb_ring_update *u, size_t n)
{
	return xlb_dpmap_rings_switch_pooled(m, NULL, u, n);
}

int xlb_dpmap_ring_switch(const struct xlb_dpmaps *m, __u32 svc_id,
			  const __u32 *slots, __u32 ring_size)
{
	struct xlb_ring_update u = { svc_id, slots, ring_size };

	return xlb_dpmap_rings_switch(m, &u, 1);
}

/* ---- spare tables: a new service's first table without a kernel wait ----- */

int xlb_dpmap_rings_spare(const struct xlb_dpmaps *m, const __u32 *ids,
			  size_t n, __u32 ring_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, co,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	int *fds = calloc(n ? n : 1, sizeof(*fds)), err = 0;
	__u32 count = (__u32)n;
	size_t i, made = 0;

	if (!fds)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = check_svc_id(m, ids[i]);
	if (!err && (ring_size == 0 || ring_size > XLB_MAX_RING))
		err = xlb_errmsg_set(-ERANGE, "ring size %u is outside 1..%u",
				     ring_size, XLB_MAX_RING);
	/* A new array is all zero: entry 0, M, says "no table". */
	for (; made < n && !err; made++) {
		fds[made] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_ring_spare",
					   sizeof(__u32), sizeof(__u32),
					   ring_size + 1, &co);
		if (fds[made] < 0)
			err = xlb_errmsg_set(-errno, "creating a spare Maglev "
					     "table: %s", strerror(errno));
	}
	if (!err && n && bpf_map_update_batch(m->maglev, ids, fds, &count,
					      &bo))
		err = xlb_errmsg_set(-errno, "placing spare Maglev tables: %s",
				     strerror(errno));
	for (i = 0; i < made && !err; i++)
		err = xlb_table_pin(m, ids[i], fds[i]);
	for (i = 0; i < made; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return err;
}

int xlb_dpmap_ring_fill_spare(const struct xlb_dpmaps *m, __u32 svc_id,
			      const __u32 *slots, __u32 ring_size)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info), i;
	size_t len;
	__u32 *mem;
	int fd, err = 0;

	fd = check_svc_id(m, svc_id);
	if (!fd)
		fd = ring_open(m, svc_id);
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		err = xlb_errmsg_set(-errno, "spare table of service %u: %s",
				     svc_id, strerror(errno));
	else if (info.max_entries != ring_size + 1)
		err = xlb_errmsg_set(-ENOSPC, "spare table of service %u has "
				     "%u entries, not %u", svc_id,
				     info.max_entries, ring_size + 1);
	if (err) {
		close(fd);
		return err;
	}
	len = ring_bytes(info.max_entries);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return xlb_errmsg_set(-errno, "mapping the spare table of "
				      "service %u: %s", svc_id, strerror(errno));
	if (mem[XLB_RING_SIZE_SLOT * XLB_RING_STRIDE]) {
		err = xlb_errmsg_set(-EEXIST, "the table of service %u is in "
				     "use, not a spare", svc_id);
	} else {
		for (i = 0; i < ring_size; i++)
			mem[(i + 1) * XLB_RING_STRIDE] = slots[i];
		/* M last: a table is whole once it says how big it is. */
		__atomic_store_n(&mem[XLB_RING_SIZE_SLOT * XLB_RING_STRIDE],
				 ring_size, __ATOMIC_RELEASE);
	}
	munmap(mem, len);
	return err;
}

int xlb_dpmap_ring_del(const struct xlb_dpmaps *m, __u32 svc_id)
{
	int err = check_svc_id(m, svc_id);

	if (err)
		return err;
	if (bpf_map_delete_elem(m->maglev, &svc_id)) {
		err = xlb_errmsg_set(-errno, "removing the Maglev table of "
				     "service %u: %s", svc_id, strerror(errno));
		/* No table, no pin: one left by a crash goes too. */
		if (err == -ENOENT)
			xlb_table_unpin(m, svc_id);
		return err;
	}
	return xlb_table_unpin(m, svc_id);
}

/* Copies a table out through a read-only mapping (its entry 0 first). */
static int ring_copy_out(int fd, __u32 svc_id, __u32 *slots, __u32 cap,
			 __u32 *ring_size)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	const __u32 *mem;
	__u32 i, size;
	size_t len;
	int err = 0;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return xlb_errmsg_set(-errno, "Maglev table of service %u: %s",
				      svc_id, strerror(errno));
	len = ring_bytes(info.max_entries);
	mem = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return xlb_errmsg_set(-errno, "mapping the Maglev table of "
				      "service %u: %s", svc_id, strerror(errno));
	size = mem[XLB_RING_SIZE_SLOT * XLB_RING_STRIDE];
	if (size > cap || size >= info.max_entries)
		err = xlb_errmsg_set(-ENOSPC, "Maglev table of service %u has "
				     "%u slots, room for %u", svc_id, size,
				     cap);
	else {
		for (i = 0; i < size; i++)
			slots[i] = mem[(i + 1) * XLB_RING_STRIDE];
		*ring_size = size;
	}
	munmap((void *)mem, len);
	return err;
}

int xlb_dpmap_ring_read(const struct xlb_dpmaps *m, __u32 svc_id,
			__u32 *slots, __u32 cap, __u32 *ring_size)
{
	int fd, err;

	err = check_svc_id(m, svc_id);
	if (err)
		return err;
	fd = ring_open(m, svc_id);
	if (fd < 0)
		return fd;
	err = ring_copy_out(fd, svc_id, slots, cap, ring_size);
	close(fd);
	return err;
}
