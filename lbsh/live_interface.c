// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live_interface.c - live_interface: where the datapath runs.  Every
 * attachment is a BPF link pinned as <pin-dir>/link_<ifname> (lib/
 * xlb_attach.c); each row is one such link with the interface it is on
 * now, the XDP mode the kernel reports, and the ids of the link and of
 * the program inside it (what bpftool shows).
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

#include "live.h"
#include "xlb_errmsg.h"

static const char *xdp_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return NULL;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

static int prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info;
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(name, len, "%s", info.name);
	close(fd);
	return 0;
}

static int link_row(struct live_rows *r, const char *path)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char ifname[IF_NAMESIZE] = "", pname[BPF_OBJ_NAME_LEN];
	struct live_val *v;
	int fd = bpf_obj_get(path), err = 0;

	if (fd < 0)
		return xlb_errmsg_set(-errno, "opening %s: %s", path,
				      strerror(errno));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = xlb_errmsg_set(-errno, "reading %s: %s", path,
				     strerror(errno));
		close(fd);
		return err;
	}
	close(fd);
	if (!(v = live_row(r)))
		return -ENOMEM;
	if (info.type == BPF_LINK_TYPE_XDP && info.xdp.ifindex) {
		if (if_indextoname(info.xdp.ifindex, ifname))
			err = live_text(&v[0], ifname);
		live_int(&v[1], info.xdp.ifindex);
		if (!err)
			err = live_text(&v[2], xdp_mode((int)info.xdp.ifindex));
	}
	live_int(&v[3], info.id);
	live_int(&v[4], info.prog_id);
	if (!err && !prog_name(info.prog_id, pname, sizeof(pname)))
		err = live_text(&v[5], pname);
	if (!err)
		err = live_text(&v[6], path);
	return err;
}

static int fill(struct live_ctx *c, struct live_rows *r)
{
	const char *dir = c->sh->pin_dir;
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return xlb_errmsg_set(-errno, "opening %s: %s", dir,
				      strerror(errno));
	while (!err && (e = readdir(d))) {
		if (strncmp(e->d_name, "link_", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		err = link_row(r, path);
	}
	closedir(d);
	return err;
}

const struct live_table live_interface_table = {
	.name = "live_interface",
	.schema = "CREATE TABLE x(interface TEXT, ifindex INTEGER, mode TEXT, "
		  "link_id INTEGER, prog_id INTEGER, prog_name TEXT, pin TEXT)",
	.ncol = 7,
	.fill = fill,
	.maps = false,
};
