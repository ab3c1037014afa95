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
 * services goes through xlb_dpmap_rings_switch().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <bpf/bpf.h>

#include "xlb_dpmap.h"
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
 * A new inner table holding M then the slots; returns its fd or -errno.
 * Tables are mmap-able arrays filled by one pass over memory: a batch update goes
 * through the kernel entry by entry (about 4 ms for 16,382 entries, so
 * seconds for thousands of services); the copy takes tens of microseconds.
 * Nothing reads the new table before the outer map points at it.
 */
static int ring_create(__u32 svc_id, const __u32 *slots, __u32 ring_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, co,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__u32 n = ring_size + 1, i;
	size_t len = ring_bytes(n);
	char name[16];
	__u32 *mem;
	int fd;

	/* Named after its service, so bpftool shows whose table it is. */
	snprintf(name, sizeof(name), "xlb_ring_%u", svc_id);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
			    sizeof(__u32), n, &co);
	if (fd < 0)
		return xlb_errmsg_set(-errno, "creating a Maglev table of %u "
				      "entries: %s", n, strerror(errno));
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		int err = xlb_errmsg_set(-errno, "mapping the Maglev table of "
					 "service %u: %s", svc_id,
					 strerror(errno));
		close(fd);
		return err;
	}
	mem[XLB_RING_SIZE_SLOT * XLB_RING_STRIDE] = ring_size;
	for (i = 0; i < ring_size; i++)
		mem[(i + 1) * XLB_RING_STRIDE] = slots[i];
	munmap(mem, len);
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

/* Tables built and switched per batch: bounded so the inner-map fds held
 * at once stay well below the usual 1024 open files. */
#define XLB_RING_BATCH 256

/* Builds n (<= XLB_RING_BATCH) tables, then switches them with one outer
 * batch update.  The fds are only needed for that: the outer map holds the
 * tables afterwards. */
static int switch_batch(const struct xlb_dpmaps *m,
			const struct xlb_ring_update *u, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 keys[XLB_RING_BATCH], i, built, count = n;
	int fds[XLB_RING_BATCH], err = 0;

	for (built = 0; built < n && !err; built++) {
		keys[built] = u[built].svc_id;
		fds[built] = ring_create(u[built].svc_id, u[built].slots,
					 u[built].ring_size);
		if (fds[built] < 0)
			err = fds[built];
	}
	if (!err && bpf_map_update_batch(m->maglev, keys, fds, &count, &bo))
		err = xlb_errmsg_set(-errno, "switching the Maglev table of "
				     "service %u: %s", keys[count < n ? count : n - 1],
				     strerror(errno));
	for (i = 0; i < built; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

int xlb_dpmap_rings_switch(const struct xlb_dpmaps *m,
			   const struct xlb_ring_update *u, size_t n)
{
	size_t i, chunk;
	int err;

	for (i = 0; i < n; i++) {
		err = check_update(m, &u[i]);
		if (err)
			return err;
	}
	for (i = 0; i < n; i += chunk) {
		chunk = n - i < XLB_RING_BATCH ? n - i : XLB_RING_BATCH;
		err = switch_batch(m, u + i, (__u32)chunk);
		if (err)
			return err;
	}
	return 0;
}

int xlb_dpmap_ring_switch(const struct xlb_dpmaps *m, __u32 svc_id,
			  const __u32 *slots, __u32 ring_size)
{
	struct xlb_ring_update u = { svc_id, slots, ring_size };

	return xlb_dpmap_rings_switch(m, &u, 1);
}

int xlb_dpmap_ring_del(const struct xlb_dpmaps *m, __u32 svc_id)
{
	int err = check_svc_id(m, svc_id);

	if (err)
		return err;
	if (bpf_map_delete_elem(m->maglev, &svc_id))
		return xlb_errmsg_set(-errno, "removing the Maglev table of "
				      "service %u: %s", svc_id, strerror(errno));
	return 0;
}

/* The fd of the table in force for svc_id (the outer map yields its id). */
static int ring_open(const struct xlb_dpmaps *m, __u32 svc_id)
{
	__u32 id;
	int fd;

	if (bpf_map_lookup_elem(m->maglev, &svc_id, &id))
		return xlb_errmsg_set(-errno, "Maglev table of service %u: %s",
				      svc_id, strerror(errno));
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return xlb_errmsg_set(-errno, "opening Maglev table %u: %s", id,
				      strerror(errno));
	return fd;
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
