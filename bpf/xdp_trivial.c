// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_trivial.c - the baseline of the XDP benchmarks and the two programs
 * that drive traffic through a veth pair (tools/bench/bench_pps.c).
 *
 *   xdp_trivial  swaps the MACs and transmits: the least an XDP forwarder
 *                can do, so every xlb figure is a ratio to it.
 *   xdp_gen      run with BPF_F_TEST_XDP_LIVE_FRAMES: rewrites the frame
 *                from its template and transmits it out of the veth given
 *                as ingress_ifindex.
 *   xdp_sink     on the generator's veth: counts what comes back, drops it.
 *
 * The benchmarks set the globals below through the skeleton; they are plain
 * scalars and arrays so the skeleton alone carries their layout.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XDP_ETH_ALEN 6

/* 8-byte words of the template frame: the first 64 bytes of a frame,
 * also the shortest frame xdp_gen accepts. */
#define XDP_GEN_WORDS 8

/* Offsets of the low octet of the IPv4 source and of the TCP/UDP source
 * port in an untagged IPv4 frame without options. */
#define XDP_GEN_SADDR_LO (14 + 15)
#define XDP_GEN_SPORT    (14 + 20)

/* Sink counters are indexed by CPU; a power of two so the index is a mask.
 * With more CPUs than this two CPUs would share a slot (counts race). */
#define XDP_SINK_CPUS 64

/* The generator's frame: its first bytes, and which flow bits vary. */
__u64 xdp_gen_words[XDP_GEN_WORDS];
__u32 xdp_gen_flow_mask;

/* Per CPU: frames received, and when the first and the last arrived.  The
 * receive rate is measured between those two, not around the syscall,
 * because frames still in the veth rings would be missed. */
__u64 xdp_sink_packets[XDP_SINK_CPUS];
__u64 xdp_sink_first_ns[XDP_SINK_CPUS];
__u64 xdp_sink_last_ns[XDP_SINK_CPUS];

/* The generator's flow counter (per CPU: the generator runs on one). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdp_gen_seq SEC(".maps");

static __always_inline int swap_macs_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[XDP_ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(tmp, eth->h_dest, XDP_ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, XDP_ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, XDP_ETH_ALEN);
	return XDP_TX;
}

SEC("xdp")
int xdp_trivial(struct xdp_md *ctx)
{
	return swap_macs_tx(ctx);
}

/*
 * Live frames are recycled without their bytes being reset, and what comes
 * back has been rewritten by the program under test (xlb's outer header
 * lands on the original Ethernet header), so every frame is written anew.
 * The flow bits are XOR-ed in: with a zero mask the frame is the template
 * and the counter stands still, so every variant pays for the same
 * instructions and only new-flow runs use up distinct clients.
 */
SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *w = data;
	__u32 zero = 0, *seq, n;
	int i;

	if ((void *)(w + XDP_GEN_WORDS) > end)
		return XDP_ABORTED;
#pragma unroll
	for (i = 0; i < XDP_GEN_WORDS; i++)
		w[i] = xdp_gen_words[i];
	seq = bpf_map_lookup_elem(&xdp_gen_seq, &zero);
	if (!seq)
		return XDP_ABORTED;
	n = *seq & xdp_gen_flow_mask;
	*seq += xdp_gen_flow_mask & 1;
	*((__u8 *)data + XDP_GEN_SADDR_LO) ^= (__u8)(n >> 16);
	*(__be16 *)(data + XDP_GEN_SPORT) ^= bpf_htons((__u16)n);
	return XDP_TX;
}

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id() & (XDP_SINK_CPUS - 1);
	__u64 now = bpf_ktime_get_ns();

	(void)ctx;
	if (!xdp_sink_first_ns[cpu])
		xdp_sink_first_ns[cpu] = now;
	xdp_sink_last_ns[cpu] = now;
	xdp_sink_packets[cpu]++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
