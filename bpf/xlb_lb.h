/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_lb.h - the packet's journey: parse -> VIP lookup -> pick a backend
 * (connection table, else Maglev) -> encapsulate -> XDP_TX.  bpf/README.md
 * states the behaviour this implements, branch by branch.
 */
#ifndef XLB_LB_H
#define XLB_LB_H

#include "xlb_parse.h"
#include "xlb_csum.h"
#include "xlb_encap.h"
#include "xlb_icmp.h"
#include "xlb_conntrack.h"

static __always_inline void xlb_count(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&xlb_stats, &reason);

	if (c)
		*c += 1;
}

static __always_inline int xlb_pass(__u32 reason)
{
	xlb_count(reason);
	return XDP_PASS;
}

static __always_inline int xlb_drop(__u32 reason)
{
	xlb_count(reason);
	return XDP_DROP;
}

/* One update of a service's counters per packet matched to it. */
static __always_inline void xlb_account_svc(__u32 svc_id, __u32 bytes,
					    int new_flow, int dropped)
{
	struct xlb_svc_stats *s = bpf_map_lookup_elem(&xlb_svc_stats, &svc_id);

	if (!s)
		return;
	s->packets += 1;
	s->bytes += bytes;
	s->new_flows += new_flow;
	s->drops += dropped;
}

static __always_inline void xlb_account_be(__u32 be_id, __u32 bytes)
{
	struct xlb_be_stats *s = bpf_map_lookup_elem(&xlb_be_stats, &be_id);

	if (!s)
		return;
	s->packets += 1;
	s->bytes += bytes;
}

/* A packet of a service that has no usable backend for it. */
static __always_inline int xlb_no_backend(__u32 svc_id,
					  const struct xlb_pkt *pkt)
{
	xlb_account_svc(svc_id, pkt->frame_len, 0, 1);
	return xlb_drop(XLB_R_NO_BACKEND);
}

/* Is the destination's bit set in the VIP filter?  A clear bit proves the
 * address is no VIP, for the cost of one inlined array read. */
static __always_inline int xlb_vip_filter_hit(const struct xlb_pkt *pkt)
{
	__u32 bit = xlb_vip_bit(&pkt->flow.dst, pkt->flow.family);
	__u32 word = bit >> 6;
	__u64 *w = bpf_map_lookup_elem(&xlb_vip_filter, &word);

	return w && (*w & (1ULL << (bit & 63)));
}

/* Service for (vip, proto, port), else the VIP's all-ports service. */
static __always_inline struct xlb_service *
xlb_service_lookup(const union xlb_addr *vip, __u8 family, __u8 proto,
		   __be16 port)
{
	struct xlb_vip_key key = {
		.addr = *vip, .port = port, .proto = proto, .family = family,
	};
	struct xlb_service *svc;

	svc = bpf_map_lookup_elem(&xlb_services, &key);
	if (svc || !port)
		return svc;
	key.port = 0;
	return bpf_map_lookup_elem(&xlb_services, &key);
}

/* The VIP marker (proto 0, port 0) says an address is a VIP. */
static __always_inline int xlb_is_vip(const union xlb_addr *addr, __u8 family)
{
	struct xlb_vip_key key = { .addr = *addr, .family = family };

	return bpf_map_lookup_elem(&xlb_services, &key) != NULL;
}

/* Maglev: slot 1 + hash % M of the service's current table. */
static __always_inline struct xlb_backend *xlb_maglev_pick(__u32 svc_id,
							   __u32 hash,
							   __u32 *be_id)
{
	__u32 slot = XLB_RING_SIZE_SLOT, *m, *id;
	struct xlb_backend *be;
	void *ring;

	ring = bpf_map_lookup_elem(&xlb_maglev, &svc_id);
	if (!ring)
		return NULL;
	m = bpf_map_lookup_elem(ring, &slot);
	if (!m || !*m)
		return NULL;
	slot = 1 + hash % *m;
	id = bpf_map_lookup_elem(ring, &slot);
	if (!id || !*id)
		return NULL;
	*be_id = *id;
	be = bpf_map_lookup_elem(&xlb_backends, be_id);
	if (!be || be->state == XLB_BE_REMOVED)
		return NULL;
	return be;
}

/* A connection-table entry still usable: its backend entry still belongs
 * to the entry's service and keeps existing flows (active or draining). */
static __always_inline struct xlb_backend *
xlb_ct_backend(const struct xlb_flow *ct)
{
	__u32 id = ct->backend_id;
	struct xlb_backend *be = bpf_map_lookup_elem(&xlb_backends, &id);

	if (!be || be->svc_id != ct->svc_id)
		return NULL;
	if (be->state != XLB_BE_ACTIVE && be->state != XLB_BE_DRAIN)
		return NULL;
	return be;
}

/* The connection table's usable backend for a flow, or NULL; *stale names
 * the entry's backend when the flow is known but that backend is gone. */
static __always_inline struct xlb_backend *
xlb_flow_lookup(const struct xlb_flow_key *fk, struct xlb_ct_pos *pos,
		struct xlb_flow *fl, __u32 *stale)
{
	struct xlb_backend *be;

	if (!xlb_ct_find(fk, pos, fl))
		return NULL;
	be = xlb_ct_backend(fl);
	if (!be) {
		*stale = fl->backend_id;
		return NULL;
	}
	xlb_count(XLB_R_CT_HIT);
	return be;
}

/* Maglev's backend for a flow of svc (stored by the caller, if at all). */
static __always_inline struct xlb_backend *
xlb_maglev_flow(const struct xlb_flow_key *fk, const struct xlb_service *svc,
		struct xlb_flow *out)
{
	out->svc_id = svc->id;
	out->check = 0;
	out->hash = xlb_flow_hash(&fk->src, &fk->dst, fk->sport, fk->dport,
				  fk->proto, fk->family,
				  svc->flags & XLB_SVC_F_HASH_SRC);
	return xlb_maglev_pick(svc->id, out->hash, &out->backend_id);
}

/* Where a packet goes once its backend is known. */
struct xlb_dest {
	__u32 svc_id;
	__u32 be_id;
	__u32 hash;
	__u32 reason;   /* counted when transmitted */
	int new_flow;
	int may_reply;  /* 0 for ICMP errors: never answer an error */
};

/* Too big for the MTU once encapsulated: tell the client, or drop. */
static __always_inline int xlb_too_big(struct xdp_md *ctx,
				       const struct xlb_pkt *pkt,
				       const struct xlb_config *cfg,
				       const struct xlb_dest *d, __u32 overhead)
{
	int err;

	xlb_account_svc(d->svc_id, pkt->frame_len, d->new_flow, 1);
	if (!d->may_reply || !pkt->df)
		return xlb_drop(XLB_R_MTU_DROP);
	if (pkt->flow.family == XLB_FAM_V4)
		err = xlb_reply_too_big4(ctx, pkt, cfg, cfg->mtu - overhead);
	else
		err = xlb_reply_too_big6(ctx, pkt, cfg, cfg->mtu - overhead);
	if (err)
		return xlb_drop(XLB_R_ENCAP_FAIL);
	xlb_count(XLB_R_MTU_REPLY);
	return XDP_TX;
}

/* Encapsulate to the backend and transmit, or explain why not. */
static __always_inline int xlb_send(struct xdp_md *ctx,
				    const struct xlb_pkt *pkt,
				    const struct xlb_config *cfg,
				    const struct xlb_backend *be,
				    const struct xlb_dest *d)
{
	__u32 overhead = xlb_encap_overhead(be);
	int err;

	if (be->family == XLB_FAM_V4 && pkt->flow.family == XLB_FAM_V6) {
		xlb_account_svc(d->svc_id, pkt->frame_len, d->new_flow, 1);
		return xlb_drop(XLB_R_FAMILY_MISMATCH);
	}
	if (pkt->ip_len + overhead > cfg->mtu)
		return xlb_too_big(ctx, pkt, cfg, d, overhead);
	if (be->family == XLB_FAM_V4)
		err = xlb_encap_ip4(ctx, pkt, be, cfg, d->hash);
	else
		err = xlb_encap_ip6(ctx, pkt, be, cfg, d->hash);
	if (err) {
		xlb_account_svc(d->svc_id, pkt->frame_len, d->new_flow, 1);
		return xlb_drop(XLB_R_ENCAP_FAIL);
	}
	xlb_account_svc(d->svc_id, pkt->frame_len, d->new_flow, 0);
	xlb_account_be(d->be_id, pkt->frame_len);
	xlb_count(d->reason);
	return XDP_TX;
}

/* Remember where a first fragment went, for the fragments that follow. */
static __always_inline void xlb_track_frag(const struct xlb_pkt *pkt,
					   const struct xlb_dest *d)
{
	struct xlb_frag_key key = {
		.src = pkt->flow.src, .dst = pkt->flow.dst, .id = pkt->frag_id,
		.proto = pkt->frag_proto, .family = pkt->flow.family,
	};
	struct xlb_frag val = {
		.svc_id = d->svc_id, .backend_id = d->be_id, .hash = d->hash,
	};

	bpf_map_update_elem(&xlb_frags, &key, &val, BPF_ANY);
	xlb_count(XLB_R_FRAG_FIRST);
}

/* A later fragment follows its first fragment, or is dropped: it carries
 * no ports, so hashing it would pick a backend at random. */
static __always_inline int xlb_later_frag(struct xdp_md *ctx,
					  const struct xlb_pkt *pkt,
					  const struct xlb_config *cfg)
{
	struct xlb_frag_key key = {
		.src = pkt->flow.src, .dst = pkt->flow.dst, .id = pkt->frag_id,
		.proto = pkt->frag_proto, .family = pkt->flow.family,
	};
	struct xlb_dest d = { .reason = XLB_R_FRAG_TRACKED, .may_reply = 1 };
	struct xlb_backend *be;
	struct xlb_frag *f;

	f = bpf_map_lookup_elem(&xlb_frags, &key);
	if (!f) {
		if (xlb_is_vip(&pkt->flow.dst, pkt->flow.family))
			return xlb_drop(XLB_R_FRAG_UNTRACKED);
		return xlb_pass(XLB_R_PASSED);
	}
	d.svc_id = f->svc_id;
	d.be_id = f->backend_id;
	d.hash = f->hash;
	be = bpf_map_lookup_elem(&xlb_backends, &d.be_id);
	if (!be || be->state == XLB_BE_REMOVED) {
		return xlb_no_backend(d.svc_id, pkt);
	}
	return xlb_send(ctx, pkt, cfg, be, &d);
}

/* An ICMP error about a VIP flow goes to the backend serving that flow. */
static __always_inline int xlb_route_icmp_error(struct xdp_md *ctx,
						const struct xlb_pkt *pkt,
						const struct xlb_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xlb_dest d = { .reason = XLB_R_ICMP_ROUTED };
	struct xlb_flow_key fk = {};
	struct xlb_service *svc;
	struct xlb_backend *be;
	struct xlb_ct_pos pos;
	struct xlb_flow fl;
	__u32 stale = 0;

	if (xlb_icmp_quoted_flow(data, end, pkt, &fk))
		return xlb_pass(XLB_R_ICMP_UNMATCHED);
	svc = xlb_service_lookup(&fk.dst, fk.family, fk.proto, fk.dport);
	if (!svc)
		return xlb_pass(XLB_R_ICMP_UNMATCHED);
	be = xlb_flow_lookup(&fk, &pos, &fl, &stale);
	if (!be || fl.svc_id != svc->id)
		be = xlb_maglev_flow(&fk, svc, &fl);
	d.svc_id = svc->id;
	if (!be) {
		return xlb_no_backend(d.svc_id, pkt);
	}
	d.be_id = fl.backend_id;
	d.hash = fl.hash;
	return xlb_send(ctx, pkt, cfg, be, &d);
}

/* ICMP and ICMPv6 addressed to a VIP. */
static __always_inline int xlb_icmp(struct xdp_md *ctx,
				    const struct xlb_pkt *pkt,
				    const struct xlb_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 off = pkt->l4_off;
	__u8 *type, echo;

	if (pkt->frag != XLB_FRAG_NONE || off > XLB_MAX_L4_OFF)
		return xlb_pass(XLB_R_ICMP_UNMATCHED);
	type = data + off;
	if ((void *)type + XLB_ICMP_HLEN > end ||
	    off + XLB_ICMP_HLEN > pkt->l3_off + pkt->ip_len)
		return xlb_pass(XLB_R_PARSE_ERR);
	if (xlb_icmp_is_error(pkt->flow.family, *type))
		return xlb_route_icmp_error(ctx, pkt, cfg);
	echo = pkt->flow.family == XLB_FAM_V4 ? XLB_ICMP_ECHO
					      : XLB_ICMP6_ECHO_REQUEST;
	if (*type != echo || !(cfg->flags & XLB_CFG_F_ECHO_REPLY) ||
	    !xlb_is_vip(&pkt->flow.dst, pkt->flow.family))
		return xlb_pass(XLB_R_ICMP_UNMATCHED);
	if (xlb_echo_reply(data, end, pkt, cfg))
		return xlb_pass(XLB_R_PARSE_ERR);
	xlb_count(XLB_R_ICMP_ECHO);
	return XDP_TX;
}

/* TCP and UDP to a VIP: the load-balancing path proper. */
static __always_inline int xlb_balance(struct xdp_md *ctx, struct xlb_pkt *pkt,
				       const struct xlb_config *cfg)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xlb_dest d = { .reason = XLB_R_FORWARDED, .may_reply = 1 };
	struct xlb_service *svc;
	struct xlb_backend *be;
	struct xlb_ct_pos pos;
	struct xlb_flow fl;
	__u32 stale = 0;

	if (xlb_parse_ports(data, end, pkt))
		return xlb_pass(XLB_R_PARSE_ERR);
	/* Established flows are found without the service lookup: the entry
	 * names its service, and its backend entry vouches it still exists. */
	be = xlb_flow_lookup(&pkt->flow, &pos, &fl, &stale);
	if (!be) {
		svc = xlb_service_lookup(&pkt->flow.dst, pkt->flow.family,
					 pkt->flow.proto, pkt->flow.dport);
		if (!svc)
			return xlb_pass(XLB_R_NO_SERVICE);
		/* Until lbd rebuilds the table a down backend may still own
		 * the flow's slot: then nothing changes, and nothing is
		 * rewritten on every packet. */
		be = xlb_maglev_flow(&pkt->flow, svc, &fl);
		if (!be) {
			return xlb_no_backend(svc->id, pkt);
		}
		if (fl.backend_id != stale) {
			xlb_ct_store(&pos, &pkt->flow, &fl);
			if (stale)
				xlb_count(XLB_R_CT_RESCHED);
			d.new_flow = 1;
		}
	}
	d.svc_id = fl.svc_id;
	d.be_id = fl.backend_id;
	d.hash = fl.hash;
	if (pkt->frag == XLB_FRAG_FIRST)
		xlb_track_frag(pkt, &d);
	return xlb_send(ctx, pkt, cfg, be, &d);
}

static __always_inline int xlb_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xlb_pkt pkt = {};
	struct xlb_config *cfg;
	__u32 zero = 0;
	__be16 proto;
	int rc;

	pkt.frame_len = end - data;
	if (xlb_parse_eth(data, end, &pkt, &proto))
		return xlb_pass(XLB_R_PARSE_ERR);
	rc = xlb_parse_l3(data, end, &pkt, proto);
	if (rc == XLB_PARSE_NOT_IP)
		return xlb_pass(XLB_R_PASSED);
	if (rc)
		return xlb_pass(XLB_R_PARSE_ERR);
	if (!xlb_vip_filter_hit(&pkt))
		return xlb_pass(XLB_R_PASSED);
	/* A node whose config was never written (MTU 0) forwards nothing. */
	cfg = bpf_map_lookup_elem(&xlb_config, &zero);
	if (!cfg || !cfg->mtu)
		return xlb_pass(XLB_R_PASSED);
	if (pkt.frag == XLB_FRAG_LATER)
		return xlb_later_frag(ctx, &pkt, cfg);
	switch (pkt.flow.proto) {
	case XLB_IPPROTO_TCP:
	case XLB_IPPROTO_UDP:
		return xlb_balance(ctx, &pkt, cfg);
	case XLB_IPPROTO_ICMP:
		if (pkt.flow.family == XLB_FAM_V4)
			return xlb_icmp(ctx, &pkt, cfg);
		break;
	case XLB_IPPROTO_ICMPV6:
		if (pkt.flow.family == XLB_FAM_V6)
			return xlb_icmp(ctx, &pkt, cfg);
		break;
	}
	return xlb_pass(XLB_R_NO_SERVICE);
}

#endif /* XLB_LB_H */
