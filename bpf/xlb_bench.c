// SPDX-License-Identifier: GPL-2.0-only
/*
 * xlb_bench.c - xlb's datapath wrapped for BPF_PROG_TEST_RUN benchmarks
 * (tools/bench/bench_xdp.c).
 *
 * With repeat > 1 the kernel runs every repetition on the same buffer and
 * never resets it: from the second repetition on, xlb would meet its own
 * IP-in-IP output.  So both programs first restore the frame the benchmark
 * passed in, then do their work:
 *
 *   xlb_bench       restore, then the real datapath (xlb_lb.h, included
 *                   exactly as xlb_kern.c does);
 *   xlb_bench_base  the same restore, then a MAC swap and XDP_TX, as
 *                   xdp_trivial.c does.
 *
 * t(xlb_bench) - t(xlb_bench_base) + t(xdp_trivial) is then what the
 * datapath costs, without the restore.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xlb_abi.h"
#include "xlb_hash.h"
#include "xlb_maps.h"
#include "xlb_lb.h"

/* 8-byte words restored: the first 64 bytes, which hold the whole IPv4
 * test frame and, for every frame, the Ethernet header that the outer
 * header overwrites (xlb never changes the inner packet). */
#define XLB_BENCH_WORDS 8

/* Low octet of the IPv4 source and the TCP/UDP source port, in an
 * untagged IPv4 frame without options. */
#define XLB_BENCH_SADDR_LO (14 + 15)
#define XLB_BENCH_SPORT    (14 + 20)

/* The frame as passed in: its length, its first bytes, and which flow
 * bits vary per repetition (new-flow case; 0 for the others).  Plain
 * globals, so the skeleton alone carries their layout. */
__u32 xlb_bench_len;
__u32 xlb_bench_flow_mask;
__u64 xlb_bench_words[XLB_BENCH_WORDS];

/* Repetition counter, per CPU: a test run stays on one CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xlb_bench_seq SEC(".maps");

/*
 * Shrinks the head back to the length passed in (encapsulation grew it),
 * copies the original bytes back and XORs a per-repetition number into
 * the client's address and port.  With a zero mask that number is 0 and
 * the counter stands still (it advances by mask & 1), so every case runs
 * the same instructions, the restore cancels out, and only new-flow runs
 * use up the 2^24 distinct clients.
 */
static __always_inline int bench_restore(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int grown = (int)(end - data) - (int)xlb_bench_len;
	__u32 zero = 0, *seq, n;
	__u64 *w;
	int i;

	/* Called even with 0: the same instructions in every case. */
	if (grown < 0 || bpf_xdp_adjust_head(ctx, grown))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	w = data;
	if ((void *)(w + XLB_BENCH_WORDS) > end)
		return -1;
#pragma unroll
	for (i = 0; i < XLB_BENCH_WORDS; i++)
		w[i] = xlb_bench_words[i];
	seq = bpf_map_lookup_elem(&xlb_bench_seq, &zero);
	if (!seq)
		return -1;
	n = *seq & xlb_bench_flow_mask;
	*seq += xlb_bench_flow_mask & 1;
	*((__u8 *)data + XLB_BENCH_SADDR_LO) ^= (__u8)(n >> 16);
	*(__be16 *)(data + XLB_BENCH_SPORT) ^= bpf_htons((__u16)n);
	return 0;
}

/* The same swap as xdp_trivial.c, so the two baselines differ by the
 * restore only. */
static __always_inline int bench_swap_macs_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[XLB_ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(tmp, eth->h_dest, XLB_ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, XLB_ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, XLB_ETH_ALEN);
	return XDP_TX;
}

SEC("xdp")
int xlb_bench(struct xdp_md *ctx)
{
	if (bench_restore(ctx))
		return XDP_ABORTED;
	return xlb_process(ctx);
}

SEC("xdp")
int xlb_bench_base(struct xdp_md *ctx)
{
	if (bench_restore(ctx))
		return XDP_ABORTED;
	return bench_swap_macs_tx(ctx);
}

char LICENSE[] SEC("license") = "GPL";
