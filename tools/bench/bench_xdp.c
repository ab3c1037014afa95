// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_xdp - what xlb's datapath costs per packet, with BPF_PROG_TEST_RUN,
 * as a ratio to a program that only swaps MACs and transmits.
 *
 * Three programs run on the same frame, one after the other, in every
 * round: xlb_bench (restore the frame, then xlb), xlb_bench_base (the same
 * restore, then the MAC swap) and xdp_trivial (the MAC swap alone); see
 * bpf/xlb_bench.c for why the restore is needed.  Per round,
 *
 *     xlb = t(xlb_bench) - t(xlb_bench_base) + t(xdp_trivial)
 *
 * and the figure printed is the median over the rounds.  Time is the
 * thread's CPU time around the syscall divided by the repetitions: the
 * kernel's own figure is whole nanoseconds, too coarse next to ~30 ns.
 *
 * Every measured run is checked: xlb's action, and the counter of the path
 * the case is meant to take moved once per packet.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_util.h"
#include "bench_xlb.h"
#include "bpf/xdp_trivial.skel.h"
#include "bpf/xlb_bench.skel.h"

#define PROG "bench_xdp"
#define ROUNDS 7
#define REPEAT 500000
#define REPEAT_NEW 100000      /* new flows cost more: keep calls short */
#define CHECK_REPEAT 1000
#define NO_TARGET 0.0

/* The new-flow case with free entries must not come near a full table
 * at the default size (there, inserts start replacing flows)... */
_Static_assert(2 * CHECK_REPEAT + ROUNDS * (REPEAT_NEW + 1) <
		       XLB_DEF_CONNTRACK / 4 * 3,
	       "connection table would fill up");
/* ... and every new flow must be new: the flow counter gives 2^24 and
 * advances in both restoring programs of the two new-flow cases. */
_Static_assert(XLB_DEF_CONNTRACK + 2 * (CHECK_REPEAT + 1 + ROUNDS *
					(2 * REPEAT_NEW + 1)) <
		       BENCH_FLOW_MASK,
	       "new-flow cases would reuse flows");

enum { T_XLB, T_BASE, T_TRIVIAL, T_N };

struct bench_case {
	const char *name;
	const char *src, *dst;
	int repeat;         /* packets per measured run */
	int full;           /* measured once the connection table is full */
	__u32 flow_mask;    /* BENCH_FLOW_MASK: a new client per packet */
	__u32 svc_id;       /* service whose counters are read */
	__u32 action;       /* what xlb must return */
	int reason;         /* counter that moves once per packet, or -1 ... */
	int new_flows;      /* ... 1: the service's new-flow counter does */
	double target, katran;
	struct bench_frame frame;
	double ns[ROUNDS][T_N];
};

/*
 * New flows twice: while the table has free entries (an insert takes one),
 * and once it is full, the steady state of a busy node, where every insert
 * first evicts the least recently used flow.
 */
static struct bench_case cases[] = {
	{ .name = "established-v4", .src = BENCH_CLIENT4, .dst = BENCH_VIP4,
	  .repeat = REPEAT, .svc_id = BENCH_SVC4, .action = XDP_TX,
	  .reason = XLB_R_CT_HIT, .target = 3.0, .katran = 5.0 },
	{ .name = "new-flow-v4", .src = BENCH_NEW4, .dst = BENCH_VIP4,
	  .repeat = REPEAT_NEW, .flow_mask = BENCH_FLOW_MASK,
	  .svc_id = BENCH_SVC4, .action = XDP_TX, .reason = -1,
	  .new_flows = 1, .target = 8.0, .katran = 14.8 },
	{ .name = "established-v6", .src = BENCH_CLIENT6, .dst = BENCH_VIP6,
	  .repeat = REPEAT, .svc_id = BENCH_SVC6, .action = XDP_TX,
	  .reason = XLB_R_CT_HIT, .target = 3.0, .katran = NO_TARGET },
	{ .name = "non-vip-v4", .src = BENCH_CLIENT4, .dst = BENCH_NON_VIP4,
	  .repeat = REPEAT, .svc_id = BENCH_SVC4, .action = XDP_PASS,
	  .reason = XLB_R_PASSED, .target = 1.5, .katran = 2.9 },
	{ .name = "new-flow-v4-full", .src = BENCH_NEW4, .dst = BENCH_VIP4,
	  .repeat = REPEAT_NEW, .full = 1, .flow_mask = BENCH_FLOW_MASK,
	  .svc_id = BENCH_SVC4, .action = XDP_TX, .reason = -1,
	  .new_flows = 1, .target = 8.0, .katran = 14.8 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

struct bench {
	struct xlb_bench *xb;
	struct xdp_trivial *tr;
	struct xlb_dpmaps maps;
	int fd[T_N];
};

static const __u8 client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 lb_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 nh_mac[6] = { 0x02, 0, 0, 0, 0, 0x03 };

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The frame the restore writes back before every repetition. */
static void set_template(struct bench *b, const struct bench_case *c)
{
	b->xb->bss->xlb_bench_len = c->frame.len;
	b->xb->bss->xlb_bench_flow_mask = c->flow_mask;
	memcpy(b->xb->bss->xlb_bench_words, c->frame.b,
	       sizeof(b->xb->bss->xlb_bench_words));
}

/* One test run; *ns is CPU time per repetition.  out may be NULL. */
static int run(int fd, const struct bench_case *c, int repeat, __u32 *action,
	       double *ns, struct bench_frame *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->frame.b,
		    .data_size_in = c->frame.len, .repeat = repeat);
	double t0;

	if (out) {
		o.data_out = out->b;
		o.data_size_out = sizeof(out->b);
	}
	t0 = cpu_ns();
	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	if (ns)
		*ns = (cpu_ns() - t0) / repeat;
	*action = o.retval;
	if (out)
		out->len = o.data_size_out;
	return 0;
}

static __u64 path_count(const struct bench_case *c,
			const struct bench_counts *k)
{
	return c->new_flows ? k->svc.new_flows : k->reason[c->reason];
}

/*
 * Runs xlb on the case's frame and checks it took the intended path: the
 * action, and the case's counter moved by exactly `repeat`.
 */
static int run_xlb(struct bench *b, const struct bench_case *c, int repeat,
		   double *ns, struct bench_frame *out)
{
	struct bench_counts k0, k1;
	__u32 action;
	int err;

	err = bench_read_counts(&b->maps, c->svc_id, &k0);
	if (!err)
		err = run(b->fd[T_XLB], c, repeat, &action, ns, out);
	if (!err)
		err = bench_read_counts(&b->maps, c->svc_id, &k1);
	if (err)
		return bench_fail(PROG, c->name, err);
	if (action != c->action ||
	    path_count(c, &k1) - path_count(c, &k0) != (__u64)repeat) {
		fprintf(stderr, "%s: %s: xlb returned %u (want %u), path "
			"counter moved %llu for %d packets\n", PROG, c->name,
			action, c->action,
			(unsigned long long)(path_count(c, &k1) -
					     path_count(c, &k0)), repeat);
		return -EPROTO;
	}
	return 0;
}

/* Is out the case's frame encapsulated for a backend of its family:
 * Ethernet to the next hop, outer header, the inner packet unchanged
 * (apart from the client the new-flow case writes into it)? */
static int is_encapsulated(const struct bench_case *c,
			   const struct bench_frame *out)
{
	const __u8 *in = c->frame.b;
	size_t type_off = offsetof(struct ether_header, ether_type);
	__be16 type;
	int v4;
	__u32 outer, proto_off;
	__u8 proto;

	memcpy(&type, in + type_off, sizeof(type));
	v4 = ntohs(type) == ETHERTYPE_IP;
	outer = v4 ? sizeof(struct iphdr) : sizeof(struct ip6_hdr);
	/* IPv4 protocol field, IPv6 next header */
	proto_off = ETHER_HDR_LEN + (v4 ? offsetof(struct iphdr, protocol)
				   : offsetof(struct ip6_hdr, ip6_nxt));
	proto = v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	return out->len == c->frame.len + outer &&
	       !memcmp(out->b, nh_mac, ETHER_ADDR_LEN) &&
	       !memcmp(out->b + type_off, in + type_off, 2) &&
	       out->b[proto_off] == proto &&
	       (c->flow_mask ||
		!memcmp(out->b + ETHER_HDR_LEN + outer, in + ETHER_HDR_LEN,
			c->frame.len - ETHER_HDR_LEN));
}

/* The output of one packet: encapsulated, or passed untouched. */
static int check_output(const struct bench_case *c,
			const struct bench_frame *out)
{
	int ok = c->action == XDP_PASS ? out->len == c->frame.len &&
					 !memcmp(out->b, c->frame.b, out->len)
				       : is_encapsulated(c, out);

	if (ok)
		return 0;
	fprintf(stderr, "%s: %s: unexpected output (%u bytes in, %u out)\n",
		PROG, c->name, c->frame.len, out->len);
	return -EPROTO;
}

/* Sets the case's frame and runs it once, unchecked: the established
 * flow's first packet creates it, and later rounds refresh it (other
 * cases' new flows may have replaced it in its set meanwhile). */
static int prime(struct bench *b, const struct bench_case *c)
{
	__u32 action;
	int err;

	set_template(b, c);
	err = run(b->fd[T_XLB], c, 1, &action, NULL, NULL);
	return err ? bench_fail(PROG, c->name, err) : 0;
}

/* Before measuring: one packet (output checked), then CHECK_REPEAT in one
 * run, which proves the restore gives every repetition the same frame. */
static int check_case(struct bench *b, struct bench_case *c)
{
	struct bench_frame out;
	int err;

	err = prime(b, c);
	if (!err)
		err = run_xlb(b, c, 1, NULL, &out);
	if (!err)
		err = check_output(c, &out);
	if (!err)
		err = run_xlb(b, c, CHECK_REPEAT, NULL, NULL);
	return err;
}

/* A baseline program must transmit. */
static int run_base(struct bench *b, struct bench_case *c, int which,
		    double *ns)
{
	__u32 action;
	int err = run(b->fd[which], c, c->repeat, &action, ns, NULL);

	if (err)
		return bench_fail(PROG, c->name, err);
	if (action != XDP_TX) {
		fprintf(stderr, "%s: %s: baseline returned %u\n", PROG,
			c->name, action);
		return -EPROTO;
	}
	return 0;
}

static int measure_case(struct bench *b, struct bench_case *c, int round)
{
	double *ns = c->ns[round];
	int err;

	err = prime(b, c);
	if (!err)
		err = run_xlb(b, c, c->repeat, &ns[T_XLB], NULL);
	if (!err)
		err = run_base(b, c, T_BASE, &ns[T_BASE]);
	if (!err)
		err = run_base(b, c, T_TRIVIAL, &ns[T_TRIVIAL]);
	return err;
}

static __u32 conntrack_size(const struct bench *b)
{
	return bpf_map__max_entries(b->xb->maps.xlb_conntrack) * XLB_CT_WAYS;
}

/* As many new flows as the table holds: from then on it stays full. */
static int fill_conntrack(struct bench *b)
{
	struct bench_case *c = &cases[1];

	set_template(b, c);
	return run_xlb(b, c, (int)conntrack_size(b), NULL, NULL);
}

static void report(const struct bench_case *c)
{
	double cost[ROUNDS], ratio[ROUNDS], triv[ROUNDS];
	char katran[32] = "";
	int r;

	for (r = 0; r < ROUNDS; r++) {
		const double *t = c->ns[r];

		cost[r] = t[T_XLB] - t[T_BASE] + t[T_TRIVIAL];
		ratio[r] = cost[r] / t[T_TRIVIAL];
		triv[r] = t[T_TRIVIAL];
	}
	if (c->katran != NO_TARGET)
		snprintf(katran, sizeof(katran), ", katran %.1fx", c->katran);
	printf("xdp %s: %.1f ns/pkt, %.2fx trivial (%.1f ns) "
	       "[target <= %.1fx%s]\n", c->name, bench_median(cost, ROUNDS),
	       bench_median(ratio, ROUNDS), bench_median(triv, ROUNDS), c->target, katran);
}

/* ct_size: connection-table flows (a power of two), 0 for the default. */
static int open_progs(struct bench *b, __u32 ct_size)
{
	int err;

	b->xb = xlb_bench__open();
	if (!b->xb)
		return bench_fail(PROG, "opening xlb_bench.o", -errno);
	if (ct_size) {
		err = bpf_map__set_max_entries(b->xb->maps.xlb_conntrack,
					       ct_size / XLB_CT_WAYS);
		if (err)
			return bench_fail(PROG, "sizing the table", err);
		b->xb->rodata->xlb_ct_mask = ct_size / XLB_CT_WAYS - 1;
	}
	err = xlb_bench__load(b->xb);
	if (err)
		return bench_fail(PROG, "loading xlb_bench.o", err);
	b->tr = xdp_trivial__open_and_load();
	if (!b->tr)
		return bench_fail(PROG, "loading xdp_trivial.o", -errno);
	b->fd[T_XLB] = bpf_program__fd(b->xb->progs.xlb_bench);
	b->fd[T_BASE] = bpf_program__fd(b->xb->progs.xlb_bench_base);
	b->fd[T_TRIVIAL] = bpf_program__fd(b->tr->progs.xdp_trivial);
	err = bench_dpmaps(b->xb->obj, &b->maps);
	if (!err)
		err = bench_populate(&b->maps, lb_mac, nh_mac);
	if (err)
		return bench_fail(PROG, "loading the datapath state", err);
	return 0;
}

static int build_frames(void)
{
	size_t i;
	int err;

	for (i = 0; i < NCASES; i++) {
		err = bench_frame_tcp(&cases[i].frame, cases[i].src,
				      cases[i].dst, client_mac, lb_mac);
		if (err)
			return bench_fail(PROG, cases[i].name, err);
	}
	return 0;
}

static int bench_all(struct bench *b)
{
	int r, full, err = 0;
	size_t i;

	for (i = 0; !err && i < NCASES; i++)
		err = check_case(b, &cases[i]);
	for (full = 0; !err && full < 2; full++) {
		if (full)
			err = fill_conntrack(b);
		for (r = 0; !err && r < ROUNDS; r++)
			for (i = 0; !err && i < NCASES; i++)
				if (cases[i].full == full)
					err = measure_case(b, &cases[i], r);
	}
	return err;
}

/* `bench_xdp [--conntrack N]`: N flows, a power of two >= 4. */
static int parse_args(int argc, char **argv, __u32 *ct_size)
{
	char *end;
	unsigned long v;

	*ct_size = 0;
	if (argc == 1)
		return 0;
	if (argc == 3 && !strcmp(argv[1], "--conntrack")) {
		errno = 0;
		v = strtoul(argv[2], &end, 10);
		if (!errno && !*end && v >= XLB_CT_WAYS &&
		    v <= XLB_MAX_CONNTRACK && !(v & (v - 1))) {
			*ct_size = (__u32)v;
			return 0;
		}
	}
	fprintf(stderr, "usage: %s [--conntrack N] (N: a power of two, "
		"%u..%u)\n", argv[0], XLB_CT_WAYS, XLB_MAX_CONNTRACK);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	__u32 ct_size;
	size_t i;
	int cpu, err;

	if (parse_args(argc, argv, &ct_size))
		return 2;
	cpu = bench_pin_cpu();
	if (cpu < 0)
		return bench_fail(PROG, "pinning to a CPU", cpu), 1;
	err = build_frames();
	if (!err)
		err = open_progs(&b, ct_size);
	if (!err)
		err = bench_all(&b);
	if (!err) {
		printf("xdp: BPF_PROG_TEST_RUN on CPU %d, %d rounds of %d "
		       "packets (new flows %d) per program, medians of the "
		       "per-round figures; connection table of %u entries\n",
		       cpu, ROUNDS, REPEAT, REPEAT_NEW, conntrack_size(&b));
		for (i = 0; i < NCASES; i++)
			report(&cases[i]);
	}
	xdp_trivial__destroy(b.tr);
	xlb_bench__destroy(b.xb);
	return err ? 1 : 0;
}
