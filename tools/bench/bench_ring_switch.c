// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_ring_switch - how long switching Maglev tables into the datapath
 * takes, for one service and for many.
 *
 * Baselines, measured in the same run on the same loaded datapath:
 *   - a table of the largest size filled with one bpf_map_update_elem per
 *     slot, against the single batch update xlb_dpmap uses (both switched
 *     in afterwards);
 *   - switching SERVICES tables one service at a time (each switch waits for
 *     an RCU grace period in the kernel), against xlb_dpmap_rings_switch()
 *     (one wait per batch);
 *   - a batch with its tables left unpinned, against the same batch with
 *     each table pinned for readers without CAP_SYS_ADMIN.
 * Needs root and BPF.  Pins into a folder of its own and removes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"

#define SERVICES 256
#define RING XLB_MAX_RING
#define FILL_RUNS 20

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The baseline: a fresh table written one slot per syscall, then switched
 * in the same way. */
static int switch_per_slot(int maglev, __u32 svc_id, const __u32 *slots,
			   __u32 m)
{
	LIBBPF_OPTS(bpf_map_create_opts, co,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__u32 k;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_bench", 4, 4, m + 1, &co);
	if (fd < 0)
		return -errno;
	k = 0;
	bpf_map_update_elem(fd, &k, &m, BPF_ANY);
	for (k = 1; k <= m; k++)
		if (bpf_map_update_elem(fd, &k, &slots[k - 1], BPF_ANY))
			break;
	if (k > m && bpf_map_update_elem(maglev, &svc_id, &fd, BPF_ANY))
		k = 0;
	close(fd);
	return k > m ? 0 : -EIO;
}

/* The largest table, switched into one service again and again. */
static int bench_fill(const struct xlb_dpmaps *m, const __u32 *slots)
{
	double t0, batch, single;
	int i, err = 0;

	t0 = now_ms();
	for (i = 0; i < FILL_RUNS && !err; i++)
		err = switch_per_slot(m->maglev, 1, slots, RING);
	single = (now_ms() - t0) / FILL_RUNS;
	t0 = now_ms();
	for (i = 0; i < FILL_RUNS && !err; i++)
		err = xlb_dpmap_ring_switch(m, 1, slots, RING);
	batch = (now_ms() - t0) / FILL_RUNS;
	if (err)
		return err;
	printf("one table, M=%u: filled by one copy (mmap) and switched %.1f ms, "
	       "filled one slot per syscall and switched %.1f ms (%.2fx)\n",
	       RING, batch, single, single / batch);
	return 0;
}

/* The baseline: the same batch with tables left unpinned (readers then
 * need CAP_SYS_ADMIN), against pinning each (xlb_dpmap_pin.c).  Best of
 * PIN_RUNS, alternating, so that both see the same machine. */
#define PIN_RUNS 10
static int bench_pins(const struct xlb_dpmaps *m,
		      const struct xlb_ring_update *u)
{
	struct xlb_dpmaps bare = *m;
	double pinned = 1e9, unpinned = 1e9, t0, t;
	int err = 0;

	bare.pin_dir[0] = '\0';
	/* Each first and second in turn: a switch right after another
	 * waits longer. */
	for (int r = 0; r < 2 * PIN_RUNS && !err; r++) {
		int pin = r % 2 == r / PIN_RUNS;

		t0 = now_ms();
		err = xlb_dpmap_rings_switch(pin ? m : &bare, u, SERVICES);
		t = now_ms() - t0;
		if (pin)
			pinned = t < pinned ? t : pinned;
		else
			unpinned = t < unpinned ? t : unpinned;
	}
	if (err)
		return err;
	printf("%u services batched, best of %d: tables pinned %.1f ms, "
	       "unpinned %.1f ms (%.2fx, %.1f us a table)\n", SERVICES,
	       PIN_RUNS, pinned, unpinned, pinned / unpinned,
	       (pinned - unpinned) * 1e3 / SERVICES);
	return 0;
}

static int bench_many(const struct xlb_dpmaps *m, const __u32 *slots)
{
	struct xlb_ring_update u[SERVICES];
	double t0, one, many;
	__u32 i;
	int err = 0;

	for (i = 0; i < SERVICES; i++)
		u[i] = (struct xlb_ring_update){ i + 1, slots, 13 };
	t0 = now_ms();
	for (i = 0; i < SERVICES && !err; i++)
		err = xlb_dpmap_ring_switch(m, u[i].svc_id, slots, 13);
	one = now_ms() - t0;
	t0 = now_ms();
	if (!err)
		err = xlb_dpmap_rings_switch(m, u, SERVICES);
	many = now_ms() - t0;
	if (err)
		return err;
	printf("%u services, M=13: one at a time %.1f ms, batched %.1f ms "
	       "(%.1fx faster)\n", SERVICES, one, many, one / many);
	return bench_pins(m, u);
}

int main(void)
{
	char dir[64];
	struct xlb_dp_opts o = { .pin_dir = dir,
				 .sizes = { SERVICES, 1024, 1024, 64 } };
	struct xlb_dpmaps m;
	struct xlb_dp *dp;
	__u32 *slots, i;
	int err;

	snprintf(dir, sizeof(dir), "/run/xlb_bench_ring_%d", (int)getpid());
	slots = malloc(RING * sizeof(*slots));
	if (!slots)
		return 1;
	for (i = 0; i < RING; i++)
		slots[i] = 1 + i % 100;
	err = xlb_dp_open(&o, &dp);
	if (!err) {
		xlb_dpmaps_from_dp(dp, &m);
		err = bench_fill(&m, slots);
		if (!err)
			err = bench_many(&m, slots);
		xlb_dp_close(dp);
	}
	if (err)
		fprintf(stderr, "bench_ring_switch: %s\n",
			xlb_errmsg()[0] ? xlb_errmsg() : strerror(-err));
	free(slots);
	if (xlb_dp_unpin(dir)) {
		fprintf(stderr, "bench_ring_switch: %s\n", xlb_errmsg());
		err = -1;
	}
	return err ? 1 : 0;
}
