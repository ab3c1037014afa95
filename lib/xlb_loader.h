/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_loader.h - load, pin and attach the xlb XDP datapath.
 *
 * The datapath outlives the processes that set it up: every map is pinned
 * under a bpffs folder (default /sys/fs/bpf/xlb) and every attachment is a
 * BPF link pinned there as link_<ifname>.  Opening again reuses the pinned
 * maps, so flows, tables and counters survive a restart or a program
 * upgrade; attaching again swaps the program inside the existing link in one
 * step, so no packet meets an interface without a program.
 *
 * Every function returns 0 or a negative errno; xlb_errmsg() then holds a
 * sentence naming the field, value, path or interface at fault.
 */
#ifndef XLB_LOADER_H
#define XLB_LOADER_H

#include <linux/types.h>

#include "xlb_abi.h"

#define XLB_PIN_DIR_DEFAULT "/sys/fs/bpf/xlb"

/*
 * Table sizes.  0 means "as pinned" when the map is already pinned, else
 * the XLB_DEF_* default.  A non-zero size must be 1..XLB_MAX_* and, when the
 * map is pinned, equal to the pinned size (-EEXIST otherwise: the datapath
 * is never silently re-created).  services counts (vip, proto, port)
 * entries; the service hash holds twice as many so that every service can
 * have its own VIP marker.
 */
struct xlb_sizes {
	__u32 services;
	__u32 backends;
	__u32 conntrack; /* flows: a power of two >= XLB_CT_WAYS */
	__u32 frags;
};

struct xlb_dp_opts {
	const char *pin_dir; /* NULL: XLB_PIN_DIR_DEFAULT */
	struct xlb_sizes sizes;
};

/* A loaded datapath: owns the program and the map fds (not the pins). */
struct xlb_dp;

/*
 * Loads the program with maps pinned under opts->pin_dir (created with
 * mkdir -p; a bpffs is mounted on it unless it already is one).  opts may be
 * NULL.  On success *out is owned by the caller until xlb_dp_close().
 */
int xlb_dp_open(const struct xlb_dp_opts *opts, struct xlb_dp **out);

/* Releases the process's hold; pins and links stay, so forwarding goes on. */
void xlb_dp_close(struct xlb_dp *dp);

enum xlb_xdp_mode {
	XLB_XDP_AUTO,    /* native, else generic */
	XLB_XDP_NATIVE,  /* in the driver */
	XLB_XDP_GENERIC, /* after the skb is built (any interface) */
};

/*
 * Runs dp's program on ifname through the link pinned at
 * <pin_dir>/link_<ifname>.  If that link exists and still points at ifname,
 * its program is replaced atomically (the mode stays: asking for another
 * explicit mode is -EBUSY).  Otherwise a new link is created and pinned;
 * AUTO tries native first and falls back to generic.  *got (may be NULL)
 * receives the mode in force (NATIVE or GENERIC).
 */
int xlb_dp_attach(struct xlb_dp *dp, const char *ifname,
		  enum xlb_xdp_mode mode, enum xlb_xdp_mode *got);

/* Removes xlb from ifname: detaches the pinned link and removes the pin.
 * -ENOENT if ifname has no link under pin_dir (NULL: the default). */
int xlb_dp_detach(const char *pin_dir, const char *ifname);

/* "native" / "generic" / "auto". */
const char *xlb_xdp_mode_name(enum xlb_xdp_mode mode);

/* The fd of a datapath map (XLB_MAP_* name), owned by dp; -ENOENT if no
 * such map. */
int xlb_dp_map_fd(const struct xlb_dp *dp, const char *map_name);

/* The fd of the XDP program, owned by dp. */
int xlb_dp_prog_fd(const struct xlb_dp *dp);

/* The sizes in force (what the maps were created or found with). */
void xlb_dp_sizes(const struct xlb_dp *dp, struct xlb_sizes *out);

/* The folder dp pins into. */
const char *xlb_dp_pin_dir(const struct xlb_dp *dp);

/*
 * Removes everything under pin_dir (NULL: the default): links are detached
 * first, then every pin is removed, a bpffs mounted on pin_dir is unmounted
 * and the folder removed.  A pin_dir that does not exist is success.
 */
int xlb_dp_unpin(const char *pin_dir);

#endif /* XLB_LOADER_H */
