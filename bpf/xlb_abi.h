/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_abi.h - the contract between the XDP program and userspace.
 *
 * Every map key and value the datapath shares with lbd, lbsh, xlbctl and the
 * tests is defined here, once, with fixed-width types and explicit padding so
 * both compilers lay them out identically.  The BPF side includes it after
 * vmlinux.h, userspace after <linux/types.h>.  Changing a layout here is an
 * ABI change for pinned maps: bump XLB_ABI_VERSION.
 */
#ifndef XLB_ABI_H
#define XLB_ABI_H

#define XLB_ABI_VERSION 2

/* Address families as stored in maps (not AF_* which differ per OS). */
#define XLB_FAM_V4 4
#define XLB_FAM_V6 6

/* Reserved ids: 0 means "none" in every id-carrying field. */
#define XLB_ID_NONE 0

/* Default sizes; the loader can change every one of them before load. */
#define XLB_DEF_SERVICES    4096
#define XLB_DEF_BACKENDS    65536
#define XLB_DEF_CONNTRACK   1048576 /* entries: a power of two >= WAYS */
#define XLB_DEF_FRAGS       16384
#define XLB_MAX_SERVICES    65536
#define XLB_MAX_BACKENDS    1048576
#define XLB_MAX_CONNTRACK   4194304
#define XLB_MAX_FRAGS       1048576
#define XLB_MAX_RING        65537
#define XLB_DEF_RING        16381

/*
 * VIP filter: a one-hash Bloom filter over VIP addresses, an array of 64-bit
 * words.  Traffic whose destination bit is clear is not for any VIP and
 * passes after one inlined array read instead of two hash lookups.  lbd sets
 * the bit of every VIP (it may keep stale bits: a false positive costs only
 * the hash lookup).  Both sides compute the bit with xlb_vip_bit().
 */
#define XLB_VIP_FILTER_WORDS 16384 /* 2^20 bits, 128 KiB */

/* An address in network byte order; IPv4 uses v4 (the first 4 bytes) and
 * leaves the remaining 12 bytes zero so keys compare byte for byte. */
union xlb_addr {
	__be32 v4;
	__be32 v6[4];
	__u8 b[16];
};

/* xlb_services key: the service identity (vip, protocol, port).
 * port 0 is the all-ports fallback for that VIP and protocol.  Every VIP
 * address also has one marker entry with proto 0 and port 0 (value id 0):
 * it is how the datapath knows an address is a VIP when no port is at hand
 * (ICMP echo, later fragments). */
struct xlb_vip_key {
	union xlb_addr addr;
	__be16 port;
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* XLB_FAM_* */
};

/* Service flags. */
#define XLB_SVC_F_HASH_SRC (1U << 0) /* Maglev on client address only */

/* xlb_services value. */
struct xlb_service {
	__u32 id;    /* index into xlb_maglev and xlb_svc_stats, 1..max;
		      * 0 in a VIP marker */
	__u32 flags; /* XLB_SVC_F_* */
};

/* Backend state as the datapath sees it. */
enum xlb_be_state {
	XLB_BE_REMOVED = 0, /* slot unused; flows pinned to it are rescheduled */
	XLB_BE_ACTIVE = 1,  /* usable: new and existing flows */
	XLB_BE_DRAIN = 2,   /* existing flows only; lbd keeps it out of tables */
	XLB_BE_DOWN = 3,    /* flows pinned to it are rescheduled */
};

/* xlb_backends value, indexed by service-backend entry id (1..max). */
struct xlb_backend {
	union xlb_addr addr;
	__u32 svc_id; /* the service this entry belongs to */
	__u8 family;  /* XLB_FAM_* of addr: picks the encapsulation */
	__u8 state;   /* enum xlb_be_state */
	__u16 port;   /* backend port, host order: not used by the datapath
		       * (DSR keeps the destination port), but part of the
		       * entry's identity, so lbd can rebuild its view of
		       * what is applied from the maps alone */
};

/*
 * Maglev tables: xlb_maglev is an array of maps indexed by service id.  Each
 * inner map is an array of __u32 of M + 1 entries: entry 0 holds M (the
 * ring size, a prime), entries 1..M hold backend entry ids.  Keeping M inside
 * the table means a packet reads size and slots from one switched object, so
 * it can never combine a new size with an old table.
 */
#define XLB_RING_SIZE_SLOT 0

/* xlb_conntrack key: the client's flow as it arrives (client -> VIP). */
struct xlb_flow_key {
	union xlb_addr src;
	union xlb_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
};

/* A flow's place in the connection table.  The flow hash is kept so
 * established packets need not rehash for the per-flow outer source and
 * IPv6 flow label.  svc_id lets an established packet skip the service
 * lookup: the entry is trusted only while its backend entry still belongs
 * to that service (ids of removed entries must not be handed out again at
 * once: see lbd's id allocator). */
struct xlb_flow {
	__u32 backend_id;
	__u32 hash;
	__u32 svc_id;
	__u32 check; /* xlb_ct_check() of tag and value (bpf/xlb_ct.h) */
};

/*
 * The connection table (xlb_conntrack) is an array of sets: a flow may sit
 * in any of the XLB_CT_WAYS ways of set xlb_ct_hash(key) & (sets - 1).  A
 * set is 256 bytes: the header line holds the tags (0: empty way) and the
 * CLOCK reference bits that approximate least-recently-used replacement.
 */
#define XLB_CT_WAYS 4

struct xlb_ct_way {
	struct xlb_flow_key key;
	struct xlb_flow flow;
};

struct xlb_ct_set {
	__u32 tag[XLB_CT_WAYS];
	__u8 ref[XLB_CT_WAYS]; /* used since the clock hand last passed */
	__u8 hand;             /* where the next replacement search starts */
	__u8 pad[11];
	struct xlb_ct_way way[XLB_CT_WAYS];
};

/* xlb_frags key: one IP datagram being fragmented. */
struct xlb_frag_key {
	union xlb_addr src;
	union xlb_addr dst;
	__u32 id; /* IPv4 id (16 bits) or IPv6 fragment id, host order */
	__u8 proto; /* IPv4 protocol; IPv6: the fragment header's next header */
	__u8 family;
	__u16 pad;
};

/* xlb_frags value: where the first fragment went. */
struct xlb_frag {
	__u32 svc_id;
	__u32 backend_id;
	__u32 hash;
	__u32 pad;
};

/* Config flags. */
#define XLB_CFG_F_ECHO_REPLY (1U << 0) /* answer ICMP echo to VIPs */

/* xlb_config value (single entry, key 0): the node's forwarding settings. */
struct xlb_config {
	__u8 src_mac[6];   /* MAC of the interface the program is attached to */
	__u8 nh_mac[6];    /* next hop towards the backends */
	__u16 mtu;         /* largest outer IP packet we may send (L3 bytes) */
	__u8 ttl;          /* outer TTL / hop limit */
	__u8 flags;        /* XLB_CFG_F_* */
	/* Outer source = src | (flow_hash & mask): a zero mask gives one fixed
	 * address, host bits in the mask give a per-flow address from a
	 * prefix so backends spread flows over their receive queues.  For
	 * IPv6 the mask applies to the last 32 bits. */
	__be32 src_v4;
	__be32 src_v4_mask;
	union xlb_addr src_v6;
	__be32 src_v6_mask;
	__u32 pad;
};

/* Per-service counters (per CPU, summed by readers). */
struct xlb_svc_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 drops;
};

/* Per-backend-entry counters (per CPU). */
struct xlb_be_stats {
	__u64 packets;
	__u64 bytes;
};

/* Global reason counters: index into xlb_stats (per CPU __u64). */
enum xlb_reason {
	XLB_R_PASSED = 0,       /* not for a VIP: handed to the kernel */
	XLB_R_PARSE_ERR,        /* malformed or truncated headers: passed */
	XLB_R_FORWARDED,        /* encapsulated and transmitted */
	XLB_R_NO_SERVICE,       /* VIP address, but no service for proto/port */
	XLB_R_NO_BACKEND,       /* service without a usable table slot: dropped */
	XLB_R_CT_HIT,           /* existing flow found in the connection table */
	XLB_R_CT_RESCHED,       /* flow's backend gone or down: rescheduled */
	XLB_R_MTU_REPLY,        /* too big: ICMP frag-needed / packet-too-big sent */
	XLB_R_MTU_DROP,         /* too big without DF: dropped */
	XLB_R_ICMP_ROUTED,      /* ICMP error for a VIP flow sent to its backend */
	XLB_R_ICMP_ECHO,        /* echo request to a VIP answered */
	XLB_R_ICMP_UNMATCHED,   /* ICMP to a VIP not handled: passed */
	XLB_R_FRAG_FIRST,       /* first fragment forwarded and tracked */
	XLB_R_FRAG_TRACKED,     /* later fragment sent where its first went */
	XLB_R_FRAG_UNTRACKED,   /* later fragment with no first seen: dropped */
	XLB_R_FAMILY_MISMATCH,  /* IPv6 packet for an IPv4 backend: dropped */
	XLB_R_ENCAP_FAIL,       /* no room to grow the packet: dropped */
	XLB_R_MAX
};

/* Map names as pinned under the bpffs folder (default /sys/fs/bpf/xlb). */
#define XLB_MAP_CONFIG     "xlb_config"
#define XLB_MAP_VIP_FILTER "xlb_vip_filter"
#define XLB_MAP_SERVICES   "xlb_services"
#define XLB_MAP_MAGLEV     "xlb_maglev"
#define XLB_MAP_BACKENDS   "xlb_backends"
#define XLB_MAP_CONNTRACK  "xlb_conntrack"
#define XLB_MAP_FRAGS      "xlb_frags"
#define XLB_MAP_STATS      "xlb_stats"
#define XLB_MAP_SVC_STATS  "xlb_svc_stats"
#define XLB_MAP_BE_STATS   "xlb_be_stats"

#endif /* XLB_ABI_H */
