// SPDX-License-Identifier: GPL-2.0-only
/*
 * xlb_kern.c - the xlb XDP program.  The packet's journey is in xlb_lb.h
 * (so the benchmark wrapper runs the very same code); this file only
 * declares the maps and the entry point.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xlb_abi.h"
#include "xlb_hash.h"
#include "xlb_maps.h"
#include "xlb_lb.h"

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	return xlb_process(ctx);
}

char LICENSE[] SEC("license") = "GPL";
