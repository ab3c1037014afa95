// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_attach.c - running the program on interfaces through pinned BPF links.
 *
 * A link (rather than the netlink attach) is what makes the attachment an
 * object: pinned, it outlives the process; its program can be swapped in
 * one step with bpf_link_update(); and it cannot be silently replaced by
 * another tool's XDP program.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_bpffs.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"

#define XLB_LINK_PREFIX "link_"

const char *xlb_xdp_mode_name(enum xlb_xdp_mode mode)
{
	switch (mode) {
	case XLB_XDP_NATIVE:
		return "native";
	case XLB_XDP_GENERIC:
		return "generic";
	default:
		return "auto";
	}
}

static int link_path(char *buf, size_t len, const char *pin_dir,
		     const char *ifname)
{
	char name[IFNAMSIZ + sizeof(XLB_LINK_PREFIX)];

	if (!ifname[0] || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/'))
		return xlb_errmsg_set(-EINVAL, "interface name '%s' is not valid",
				      ifname);
	strcpy(name, XLB_LINK_PREFIX);
	strcat(name, ifname);
	return xlb_pin_path(buf, len, pin_dir, name);
}

/* The mode the kernel reports for ifindex's XDP program, or -errno. */
static int query_mode(int ifindex, enum xlb_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		*mode = XLB_XDP_NATIVE;
	else if (q.attach_mode == XDP_ATTACHED_SKB)
		*mode = XLB_XDP_GENERIC;
	else
		return -ENOLINK;
	return 0;
}

/* 1 if the pinned link at fd is an XDP link still on ifindex. */
static int link_is_on(int fd, int ifindex)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.type == BPF_LINK_TYPE_XDP &&
	       (int)info.xdp.ifindex == ifindex;
}

/* Swaps the program inside an existing link: the interface never runs
 * without one, and the maps (flows, tables) are the same pinned ones. */
static int replace(int link_fd, int prog_fd, const char *ifname, int ifindex,
		   enum xlb_xdp_mode mode, enum xlb_xdp_mode *got)
{
	enum xlb_xdp_mode cur;
	int err;

	err = query_mode(ifindex, &cur);
	if (err)
		return xlb_errmsg_set(err, "querying XDP on %s: %s", ifname,
				      strerror(-err));
	if (mode != XLB_XDP_AUTO && mode != cur)
		return xlb_errmsg_set(-EBUSY,
				      "%s runs xlb in %s mode; detach it before "
				      "attaching in %s mode", ifname,
				      xlb_xdp_mode_name(cur),
				      xlb_xdp_mode_name(mode));
	if (bpf_link_update(link_fd, prog_fd, NULL))
		return xlb_errmsg_set(-errno, "replacing the program on %s: %s",
				      ifname, strerror(errno));
	*got = cur;
	return 0;
}

static int create_link(int prog_fd, int ifindex, enum xlb_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, o);
	int fd;

	o.flags = mode == XLB_XDP_NATIVE ? XDP_FLAGS_DRV_MODE
					 : XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &o);
	return fd < 0 ? -errno : fd;
}

/* Creates and pins a new link; AUTO falls back from native to generic. */
static int attach_new(int prog_fd, const char *path, const char *ifname,
		      int ifindex, enum xlb_xdp_mode mode,
		      enum xlb_xdp_mode *got)
{
	enum xlb_xdp_mode try = mode == XLB_XDP_AUTO ? XLB_XDP_NATIVE : mode;
	int fd, native_err = 0;

	fd = create_link(prog_fd, ifindex, try);
	if (fd < 0 && mode == XLB_XDP_AUTO) {
		native_err = fd;
		try = XLB_XDP_GENERIC;
		fd = create_link(prog_fd, ifindex, try);
	}
	if (fd < 0) {
		if (native_err)
			return xlb_errmsg_set(fd, "attaching to %s: native: %s; "
					      "generic: %s", ifname,
					      strerror(-native_err),
					      strerror(-fd));
		return xlb_errmsg_set(fd, "attaching to %s in %s mode: %s",
				      ifname, xlb_xdp_mode_name(try),
				      strerror(-fd));
	}
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		close(fd); /* the last reference: detaches again */
		return xlb_errmsg_set(err, "pinning the link at %s: %s", path,
				      strerror(-err));
	}
	close(fd);
	*got = try;
	return 0;
}

int xlb_dp_attach(struct xlb_dp *dp, const char *ifname,
		  enum xlb_xdp_mode mode, enum xlb_xdp_mode *got)
{
	char path[PATH_MAX];
	enum xlb_xdp_mode dummy;
	int ifindex, fd, on, err;

	err = link_path(path, sizeof(path), xlb_dp_pin_dir(dp), ifname);
	if (err)
		return err;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return xlb_errmsg_set(-ENODEV, "interface %s not found", ifname);
	if (!got)
		got = &dummy;
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		return xlb_errmsg_set(-errno, "opening link %s: %s", path,
				      strerror(errno));
	if (fd >= 0) {
		on = link_is_on(fd, ifindex);
		if (on == 1) {
			err = replace(fd, xlb_dp_prog_fd(dp), ifname, ifindex,
				      mode, got);
			close(fd);
			return err;
		}
		/* The link outlived its interface, or the name now belongs
		 * to another one: release it and start afresh. */
		if (on == 0)
			bpf_link_detach(fd);
		close(fd);
		if (on < 0)
			return xlb_errmsg_set(on, "reading link %s: %s", path,
					      strerror(-on));
		if (unlink(path))
			return xlb_errmsg_set(-errno, "removing stale link %s: %s",
					      path, strerror(errno));
	}
	return attach_new(xlb_dp_prog_fd(dp), path, ifname, ifindex, mode, got);
}

int xlb_dp_detach(const char *pin_dir, const char *ifname)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!pin_dir)
		pin_dir = XLB_PIN_DIR_DEFAULT;
	err = link_path(path, sizeof(path), pin_dir, ifname);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return xlb_errmsg_set(-ENOENT, "%s has no xlb link in %s",
					      ifname, pin_dir);
		return xlb_errmsg_set(-errno, "opening link %s: %s", path,
				      strerror(errno));
	}
	/* Detach explicitly: another process may still hold the link open,
	 * and removing the pin alone would then leave the program running. */
	if (bpf_link_detach(fd))
		err = xlb_errmsg_set(-errno, "detaching %s: %s", ifname,
				     strerror(errno));
	close(fd);
	if (unlink(path) && !err)
		err = xlb_errmsg_set(-errno, "removing %s: %s", path,
				     strerror(errno));
	return err;
}

/* Detaches every link_* pin in pin_dir; keeps going after a failure. */
static int detach_all(const char *pin_dir)
{
	size_t plen = strlen(XLB_LINK_PREFIX);
	struct dirent *de;
	int err = 0, e;
	DIR *d;

	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0
				       : xlb_errmsg_set(-errno, "opening %s: %s",
							pin_dir, strerror(errno));
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, XLB_LINK_PREFIX, plen))
			continue;
		e = xlb_dp_detach(pin_dir, de->d_name + plen);
		if (e && !err)
			err = e;
	}
	closedir(d);
	return err;
}

int xlb_dp_unpin(const char *pin_dir)
{
	int err;

	if (!pin_dir)
		pin_dir = XLB_PIN_DIR_DEFAULT;
	err = detach_all(pin_dir);
	if (err)
		return err;
	return xlb_bpffs_remove(pin_dir);
}
