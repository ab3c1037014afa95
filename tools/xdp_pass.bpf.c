// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_pass.bpf.c - an XDP program that passes every packet on.
 *
 * A veth only takes frames another veth sends it with XDP_TX when it has
 * an XDP program of its own: the sender wakes the receiver's NAPI only then
 * (GRO gives the receiver NAPI, but nothing wakes it for XDP_TX frames,
 * which wait in its ring).  The lab attaches this on the router's side of
 * the load balancer's link so xlb's encapsulated packets reach the router.
 *
 *   ip link set dev IF xdpdrv obj xdp_pass.bpf.o sec xdp
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xlb_xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
