// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * datapath.c - whether the XDP program is attached.  lbd (and xlbctl)
 * attach through a BPF link pinned as <pin dir>/link_<ifname>; `lbd
 * detach` removes the pin, and a link whose interface went away stays
 * pinned with ifindex 0.  So the datapath serves while some pinned link
 * is an XDP link with an interface: that is what the kernel says, not
 * what lbd last said, and it is still true when lbd is gone.
 *
 * Opening a pinned link takes CAP_BPF and write access to the pin.  A
 * bridge run with less (a hardened unit) asks the interface instead: the
 * pin is there and the interface it names has an XDP program (rtnetlink,
 * no privilege needed; the bridge runs in the interface's namespace).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bgpd.h"
#include "xlb_bpffs.h"
#include "xlb_errmsg.h"

#define LINK_PREFIX "link_"

/* Without the rights to open the link: 1 when the interface the pin
 * names exists and runs an XDP program. */
static int iface_has_xdp(const char *ifname, const char *path)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	unsigned int ifindex = if_nametoindex(ifname);
	int err;

	if (!ifindex)
		return 0; /* the interface is gone */
	err = bpf_xdp_query((int)ifindex, 0, &q);
	if (err)
		return xlb_errmsg_set(err, "%s: asking %s for its XDP program: "
				      "%s", path, ifname, strerror(-err));
	return q.attach_mode != XDP_ATTACHED_NONE;
}

/* 1 when the pinned object at path is an XDP link with an interface. */
static int link_attached(const char *path, const char *ifname)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), err;

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return iface_has_xdp(ifname, path);
	if (fd < 0)
		return xlb_errmsg_set(-errno, "%s: %s", path, strerror(errno));
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		err = xlb_errmsg_set(-errno, "%s: link info: %s", path,
				     strerror(errno));
	close(fd);
	if (err)
		return err;
	return info.type == BPF_LINK_TYPE_XDP && info.xdp.ifindex != 0;
}

int datapath_attached(const char *pin_dir, char *ifname, size_t len)
{
	char path[512];
	struct dirent *de;
	int n = 0, err = 0;
	DIR *d = opendir(pin_dir);

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return xlb_errmsg_set(-errno, "pin folder %s: %s", pin_dir,
				      strerror(errno));
	}
	while ((de = readdir(d))) {
		int r;

		if (strncmp(de->d_name, LINK_PREFIX, strlen(LINK_PREFIX)))
			continue;
		if (xlb_pin_path(path, sizeof(path), pin_dir, de->d_name))
			continue;
		r = link_attached(path, de->d_name + strlen(LINK_PREFIX));
		if (r < 0) {
			err = r; /* unlinked meanwhile, or not a link */
			continue;
		}
		if (r && !n++ && ifname)
			snprintf(ifname, len, "%s",
				 de->d_name + strlen(LINK_PREFIX));
	}
	closedir(d);
	/* One readable attached link is enough; errors only matter when
	 * they hide every link. */
	return n ? n : (err == -ENOENT ? 0 : err);
}
