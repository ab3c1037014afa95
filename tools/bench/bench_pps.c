// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_pps - packets per second through a real veth with xlb attached in
 * native XDP mode, as a ratio to the MAC-swapping program in its place.
 *
 *   netns "gen"                                netns "lb"
 *   gen0: xdp_sink (count, drop)  <== veth ==>  lb0: xlb or xdp_trivial
 *         xdp_gen run by BPF_PROG_TEST_RUN            (XDP_TX back)
 *
 * xdp_gen runs with BPF_F_TEST_XDP_LIVE_FRAMES and gen0 as ingress device:
 * every frame it returns XDP_TX for leaves through gen0, reaches lb0, where
 * the program under test sends it back with XDP_TX, and xdp_sink counts it
 * (veth only accepts XDP_TX frames on a peer that runs XDP itself).  The
 * rate is the sink's: frames received between its first and last arrival.
 * Rounds alternate trivial / xlb established / xlb new flows; the figure
 * is the median of the per-round ratios.
 *
 * The namespaces are named only while they are set up: the names are then
 * removed and the namespaces live on through our file descriptors alone,
 * so whatever way the process ends, the kernel removes them, the veth pair
 * and the attached programs with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bench_util.h"
#include "bench_xlb.h"
#include "bpf/xdp_trivial.skel.h"
#include "bpf/xlb_kern.skel.h"

#define PROG "bench_pps"
#define ROUNDS 5
#define FRAMES 150000
#define FRAMES_WARM (FRAMES / 20)
#define GEN_IF "gen0"
#define LB_IF "lb0"
#define DRAIN_POLL_US 1000
#define DRAIN_QUIET 5        /* polls without a new frame: done */
#define DRAIN_MAX 2000       /* polls at most (2 s) */

/* New flows are measured with free entries in the connection table. */
_Static_assert(ROUNDS * FRAMES + FRAMES_WARM < XLB_DEF_CONNTRACK / 4 * 3,
	       "connection table would fill up");

extern char **environ;

static const __u8 gen_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 lb_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct lab {
	int orig_ns, gen_ns, lb_ns;
	int gen_if, lb_if;
};

enum { V_TRIVIAL, V_ESTABLISHED, V_NEW, V_N };

struct variant {
	const char *name;
	const char *src;
	int xlb;            /* xlb on lb0, else xdp_trivial */
	__u32 flow_mask;
	struct bench_frame frame;
	double pps[ROUNDS];
	__u64 rx;           /* over every round */
};

static struct variant variants[V_N] = {
	[V_TRIVIAL] = { .name = "trivial", .src = BENCH_CLIENT4 },
	[V_ESTABLISHED] = { .name = "established-v4", .src = BENCH_CLIENT4,
			    .xlb = 1 },
	[V_NEW] = { .name = "new-flow-v4", .src = BENCH_NEW4, .xlb = 1,
		    .flow_mask = BENCH_FLOW_MASK },
};

struct pps {
	struct lab lab;
	struct xlb_kern *xk;
	struct xdp_trivial *tr;
	struct xlb_dpmaps maps;
};

/* Runs a command (iproute2) in our current namespace and waits for it. */
static int run_cmd(char *const argv[])
{
	pid_t pid;
	int st, err;

	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err)
		return -err;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

static int ns_cmd(const char *verb, const char *name)
{
	char *argv[] = { "ip", "netns", (char *)verb, (char *)name, NULL };

	return run_cmd(argv);
}

static int open_ns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* With both names in place: the veth pair, and an fd on each namespace. */
static int lab_link(struct lab *l, char *gen, char *lb)
{
	char mg[XLB_MAC_STRLEN], ml[XLB_MAC_STRLEN];
	char *veth[] = { "ip", "-n", gen, "link", "add", GEN_IF, "address", mg,
			 "type", "veth", "peer", "name", LB_IF, "address", ml,
			 "netns", lb, NULL };
	int err;

	xlb_mac_format(gen_mac, mg, sizeof(mg));
	xlb_mac_format(lb_mac, ml, sizeof(ml));
	err = run_cmd(veth);
	if (err)
		return err;
	l->gen_ns = open_ns(gen);
	if (l->gen_ns < 0)
		return l->gen_ns;
	l->lb_ns = open_ns(lb);
	return l->lb_ns < 0 ? l->lb_ns : 0;
}

/* Removes a namespace's name; the namespace lives on while an fd holds
 * it.  Returns the first error of the two. */
static int forget(const char *name, int err)
{
	int e = ns_cmd("delete", name);

	if (e)
		fprintf(stderr, "%s: network namespace %s is left behind: "
			"remove it with `ip netns delete %s`\n", PROG, name,
			name);
	return err ? err : e;
}

/*
 * Creates both namespaces and the veth pair, and keeps them by fd only.
 * Every signal waits, in us and in the ip commands (they inherit the
 * mask), until the names are gone again, so none is left behind.
 */
static int lab_create(struct lab *l)
{
	char gen[32], lb[32];
	sigset_t block, old;
	int err;

	snprintf(gen, sizeof(gen), "xlb-bench-gen-%d", (int)getpid());
	snprintf(lb, sizeof(lb), "xlb-bench-lb-%d", (int)getpid());
	sigfillset(&block);
	sigprocmask(SIG_BLOCK, &block, &old);
	err = ns_cmd("add", gen);
	if (!err) {
		err = ns_cmd("add", lb);
		if (!err)
			err = forget(lb, lab_link(l, gen, lb));
		err = forget(gen, err);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

static int enter(int ns_fd)
{
	return setns(ns_fd, CLONE_NEWNET) ? -errno : 0;
}

/* In the current namespace: no IPv6 (no router solicitation or DAD frame
 * may reach the programs), link up; returns the ifindex. */
static int link_prepare(const char *ifname)
{
	char *up[] = { "ip", "link", "set", "dev", (char *)ifname, "up", NULL };
	unsigned int ifindex;
	char path[96];
	int fd, err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		err = write(fd, "1", 1) == 1 ? 0 : -errno;
		close(fd);
		if (err)
			return err;
	} else if (errno != ENOENT) {
		return -errno;
	}
	err = run_cmd(up);
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	return ifindex ? (int)ifindex : -errno;
}

static int prepare_in(int ns_fd, const char *ifname, int *ifindex)
{
	int err = enter(ns_fd);

	if (!err)
		err = link_prepare(ifname);
	if (err < 0)
		return err;
	*ifindex = err;
	return 0;
}

/* Back home; closing the last fds on the namespaces removes them, and
 * with them the veth pair and the programs attached to it. */
static void lab_close(struct lab *l)
{
	if (l->orig_ns >= 0 && enter(l->orig_ns))
		fprintf(stderr, "%s: returning to the first namespace: %s\n",
			PROG, strerror(errno));
	if (l->gen_ns >= 0)
		close(l->gen_ns);
	if (l->lb_ns >= 0)
		close(l->lb_ns);
	if (l->orig_ns >= 0)
		close(l->orig_ns);
}

static int lab_open(struct lab *l)
{
	int err;

	l->gen_ns = l->lb_ns = -1;
	l->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (l->orig_ns < 0)
		return bench_fail(PROG, "opening our namespace", -errno);
	err = lab_create(l);
	if (err)
		return bench_fail(PROG, "creating namespaces and veth pair",
				  err);
	err = prepare_in(l->lb_ns, LB_IF, &l->lb_if);
	if (!err)
		err = prepare_in(l->gen_ns, GEN_IF, &l->gen_if);
	if (err)
		return bench_fail(PROG, "bringing the veth pair up", err);
	return 0;
}

/* Native mode only: a generic-mode figure would measure something else. */
static int attach(int ns_fd, int ifindex, int prog_fd)
{
	int err = enter(ns_fd);

	if (!err && bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		err = -errno;
	return err;
}

static int open_progs(struct pps *p)
{
	int err;

	p->xk = xlb_kern__open_and_load();
	if (!p->xk)
		return bench_fail(PROG, "loading xlb_kern.o", -errno);
	p->tr = xdp_trivial__open_and_load();
	if (!p->tr)
		return bench_fail(PROG, "loading xdp_trivial.o", -errno);
	err = bench_dpmaps(p->xk->obj, &p->maps);
	if (!err)
		err = bench_populate(&p->maps, lb_mac, gen_mac);
	if (err)
		return bench_fail(PROG, "loading the datapath state", err);
	err = attach(p->lab.gen_ns, p->lab.gen_if,
		     bpf_program__fd(p->tr->progs.xdp_sink));
	if (err)
		return bench_fail(PROG, "attaching xdp_sink to " GEN_IF, err);
	return 0;
}

static void sink_reset(struct pps *p)
{
	struct xdp_trivial__bss *bss = p->tr->bss;

	memset(bss->xdp_sink_packets, 0, sizeof(bss->xdp_sink_packets));
	memset(bss->xdp_sink_first_ns, 0, sizeof(bss->xdp_sink_first_ns));
	memset(bss->xdp_sink_last_ns, 0, sizeof(bss->xdp_sink_last_ns));
}

/* Frames received so far, and the span between first and last. */
static __u64 sink_read(const struct pps *p, __u64 *span_ns)
{
	const volatile struct xdp_trivial__bss *bss = p->tr->bss;
	__u64 rx = 0, first = ~0ULL, last = 0;
	size_t i, n = sizeof(bss->xdp_sink_packets) / sizeof(__u64);

	for (i = 0; i < n; i++) {
		if (!bss->xdp_sink_packets[i])
			continue;
		rx += bss->xdp_sink_packets[i];
		if (bss->xdp_sink_first_ns[i] < first)
			first = bss->xdp_sink_first_ns[i];
		if (bss->xdp_sink_last_ns[i] > last)
			last = bss->xdp_sink_last_ns[i];
	}
	*span_ns = rx ? last - first : 0;
	return rx;
}

/* Frames may still sit in the veth rings when the syscall returns. */
static __u64 sink_drain(const struct pps *p, __u64 *span_ns)
{
	struct timespec poll = { 0, DRAIN_POLL_US * 1000 };
	__u64 rx = sink_read(p, span_ns), prev;
	int quiet = 0, i;

	for (i = 0; i < DRAIN_MAX && quiet < DRAIN_QUIET; i++) {
		nanosleep(&poll, NULL);
		prev = rx;
		rx = sink_read(p, span_ns);
		quiet = rx == prev ? quiet + 1 : 0;
	}
	return rx;
}

static int generate(struct pps *p, const struct variant *v, int frames)
{
	struct xdp_md ctx = { .data_end = v->frame.len,
			      .ingress_ifindex = p->lab.gen_if };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = v->frame.b,
		    .data_size_in = v->frame.len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = frames,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	struct xdp_trivial__bss *bss = p->tr->bss;
	int err;

	bss->xdp_gen_flow_mask = v->flow_mask;
	memcpy(bss->xdp_gen_words, v->frame.b, sizeof(bss->xdp_gen_words));
	err = enter(p->lab.gen_ns);
	if (!err && bpf_prog_test_run_opts(
			    bpf_program__fd(p->tr->progs.xdp_gen), &o))
		err = -errno;
	return err;
}

/* The established flow's entry, made or refreshed by one packet run
 * through the program outside the veth (new flows may have evicted it). */
static int prime(struct pps *p, const struct variant *v)
{
	__u8 out[BENCH_FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = v->frame.b,
		    .data_size_in = v->frame.len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(p->xk->progs.xlb_xdp), &o))
		return -errno;
	return o.retval == XDP_TX ? 0 : -EPROTO;
}

/* Every frame xlb sent back took the variant's path. */
static int check_path(const struct variant *v, const struct bench_counts *k0,
		      const struct bench_counts *k1, __u64 rx)
{
	__u64 fwd = k1->reason[XLB_R_FORWARDED] - k0->reason[XLB_R_FORWARDED];
	__u64 hit = k1->reason[XLB_R_CT_HIT] - k0->reason[XLB_R_CT_HIT];
	__u64 fresh = k1->svc.new_flows - k0->svc.new_flows;

	if (fwd >= rx && (v->flow_mask ? fresh : hit) == fwd)
		return 0;
	fprintf(stderr, "%s: %s: %llu received, %llu forwarded, %llu "
		"connection-table hits, %llu new flows\n", PROG, v->name,
		(unsigned long long)rx, (unsigned long long)fwd,
		(unsigned long long)hit, (unsigned long long)fresh);
	return -EPROTO;
}

static int round_setup(struct pps *p, const struct variant *v)
{
	struct bpf_program *prog = v->xlb ? p->xk->progs.xlb_xdp
					  : p->tr->progs.xdp_trivial;
	int err = attach(p->lab.lb_ns, p->lab.lb_if, bpf_program__fd(prog));

	if (err)
		return bench_fail(PROG, "attaching to " LB_IF " (native)", err);
	if (v->xlb && !v->flow_mask && (err = prime(p, v)))
		return bench_fail(PROG, "priming the established flow", err);
	sink_reset(p);
	return 0;
}

/* One round of one variant; *pps is 0 when nothing came back. */
static int measure(struct pps *p, struct variant *v, int frames, double *pps)
{
	struct bench_counts k0, k1;
	__u64 rx, span;
	int err;

	err = round_setup(p, v);
	if (err)
		return err;
	err = bench_read_counts(&p->maps, BENCH_SVC4, &k0);
	if (!err)
		err = generate(p, v, frames);
	if (err)
		return bench_fail(PROG, v->name, err);
	rx = sink_drain(p, &span);
	err = bench_read_counts(&p->maps, BENCH_SVC4, &k1);
	if (err)
		return bench_fail(PROG, v->name, err);
	if (rx < 2 || !span) {
		fprintf(stderr, "%s: %s: %llu of %d frames came back\n", PROG,
			v->name, (unsigned long long)rx, frames);
		return -EIO;
	}
	if (v->xlb && (err = check_path(v, &k0, &k1, rx)))
		return err;
	v->rx += rx;
	*pps = (double)(rx - 1) * 1e9 / (double)span;
	return 0;
}

static void report(void)
{
	const struct variant *t = &variants[V_TRIVIAL];
	double ratio[ROUNDS], triv[ROUNDS];
	int i, r;

	for (r = 0; r < ROUNDS; r++)
		triv[r] = t->pps[r];
	printf("pps trivial: %.2f Mpps (%.1f%% of frames sent came back)\n",
	       bench_median(triv, ROUNDS) / 1e6,
	       100.0 * (double)t->rx / ((double)ROUNDS * FRAMES));
	for (i = V_ESTABLISHED; i < V_N; i++) {
		const struct variant *v = &variants[i];
		double pps[ROUNDS];

		for (r = 0; r < ROUNDS; r++) {
			pps[r] = v->pps[r];
			ratio[r] = v->pps[r] / t->pps[r];
		}
		printf("pps %s: %.2f Mpps, %.2fx trivial (%.2f Mpps), "
		       "%.1f%% came back\n", v->name, bench_median(pps, ROUNDS) / 1e6,
		       bench_median(ratio, ROUNDS), bench_median(triv, ROUNDS) / 1e6,
		       100.0 * (double)v->rx / ((double)ROUNDS * FRAMES));
	}
}

static int bench_all(struct pps *p)
{
	double unused;
	int i, r, err = 0;

	for (i = 0; !err && i < V_N; i++)
		err = bench_frame_tcp(&variants[i].frame, variants[i].src,
				      BENCH_VIP4, gen_mac, lb_mac);
	if (err)
		return bench_fail(PROG, "building frames", err);
	/* One short unmeasured round each: programs, rings and pages warm. */
	for (i = 0; !err && i < V_N; i++)
		err = measure(p, &variants[i], FRAMES_WARM, &unused);
	for (i = 0; i < V_N; i++)
		variants[i].rx = 0;
	for (r = 0; !err && r < ROUNDS; r++)
		for (i = 0; !err && i < V_N; i++)
			err = measure(p, &variants[i], FRAMES,
				      &variants[i].pps[r]);
	return err;
}

int main(void)
{
	struct pps p = { .lab = { .orig_ns = -1, .gen_ns = -1, .lb_ns = -1 } };
	int cpu, err;

	cpu = bench_pin_cpu();
	if (cpu < 0)
		return bench_fail(PROG, "pinning to a CPU", cpu), 1;
	err = lab_open(&p.lab);
	if (!err)
		err = open_progs(&p);
	if (!err)
		err = bench_all(&p);
	if (!err) {
		printf("pps: veth pair between two namespaces, programs native "
		       "on the far end, %d frames of %u bytes per round from "
		       "live-frames test runs on CPU %d, median of %d rounds "
		       "(ratios: median of the per-round ratios)\n",
		       FRAMES, variants[V_TRIVIAL].frame.len, cpu, ROUNDS);
		report();
	}
	lab_close(&p.lab);
	xdp_trivial__destroy(p.tr);
	xlb_kern__destroy(p.xk);
	return err ? 1 : 0;
}
