// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap_pin.c - the pins of the Maglev tables in force.
 *
 * The outer map xlb_maglev yields only a table's id, and the kernel opens
 * a map by id (BPF_MAP_GET_FD_BY_ID) for CAP_SYS_ADMIN alone, which would
 * make every reader of a table (lbd's reconcile, lbd --check, lbsh,
 * xlbctl) hold the capability that subsumes all others.  So every table
 * placed in the outer map is pinned too, as <pin_dir>/tables/<service id>,
 * and a pin opens with CAP_BPF.  A pin is trusted only when it holds the
 * very table the outer map holds for that service: a crash between a
 * switch and its pin, or pins of an older xlb, leave pins that are
 * missing or name another map, and then the table is opened by id.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "xlb_dpmap_pin.h"
#include "xlb_errmsg.h"

#define XLB_TABLES_DIR "tables"

static int pin_path(const struct xlb_dpmaps *m, char *buf, size_t len,
		    const char *prefix, __u32 svc_id)
{
	int n;

	if (!m->pin_dir[0])
		return -ENOENT;
	n = snprintf(buf, len, "%s/" XLB_TABLES_DIR "/%s%u", m->pin_dir,
		     prefix, svc_id);
	if (n < 0 || (size_t)n >= len)
		return xlb_errmsg_set(-ENAMETOOLONG, "pin path of the Maglev "
				      "table of service %u is too long",
				      svc_id);
	return 0;
}

int xlb_dpmap_ring_pin_path(const struct xlb_dpmaps *m, __u32 svc_id,
			    char *buf, size_t len)
{
	return pin_path(m, buf, len, "", svc_id);
}

static int pin_at(int fd, const char *path)
{
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

int xlb_table_pin(const struct xlb_dpmaps *m, __u32 svc_id, int fd)
{
	char dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
	int n, err;

	if (!m->pin_dir[0])
		return 0;
	n = snprintf(dir, sizeof(dir), "%s/" XLB_TABLES_DIR, m->pin_dir);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    pin_path(m, tmp, sizeof(tmp), "new_", svc_id) ||
	    pin_path(m, path, sizeof(path), "", svc_id))
		return xlb_errmsg_set(-ENAMETOOLONG, "pin path of the Maglev "
				      "table of service %u is too long",
				      svc_id);
	/* Two syscalls in the common case: the folder, and a temporary pin
	 * left by a crash, are dealt with only when the pin meets them. */
	err = pin_at(fd, tmp);
	if (err == -ENOENT && (!mkdir(dir, 0750) || errno == EEXIST))
		err = pin_at(fd, tmp);
	if (err == -EEXIST && !unlink(tmp))
		err = pin_at(fd, tmp);
	if (err)
		return xlb_errmsg_set(err, "pinning the Maglev table of "
				      "service %u at %s: %s", svc_id, tmp,
				      strerror(-err));
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return xlb_errmsg_set(err, "pinning the Maglev table of "
				      "service %u at %s: %s", svc_id, path,
				      strerror(-err));
	}
	return 0;
}

int xlb_table_unpin(const struct xlb_dpmaps *m, __u32 svc_id)
{
	char path[PATH_MAX];
	int err = pin_path(m, path, sizeof(path), "", svc_id);

	if (err)
		return err == -ENOENT ? 0 : err;
	if (unlink(path) && errno != ENOENT)
		return xlb_errmsg_set(-errno, "removing pin %s: %s", path,
				      strerror(errno));
	return 0;
}

static __u32 map_id_of(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

int xlb_table_pin_open(const struct xlb_dpmaps *m, __u32 svc_id, __u32 id,
		    __u32 *pinned_id, int *why)
{
	char path[PATH_MAX];
	int fd;

	*pinned_id = 0;
	*why = pin_path(m, path, sizeof(path), "", svc_id);
	if (*why)
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		*why = -errno;
		return -1;
	}
	*pinned_id = map_id_of(fd);
	if (*pinned_id == id)
		return fd;
	close(fd);
	return -1;
}

int xlb_table_open(const struct xlb_dpmaps *m, __u32 svc_id, __u32 id)
{
	__u32 pinned;
	int why, fd = xlb_table_pin_open(m, svc_id, id, &pinned, &why);

	if (fd >= 0)
		return fd;
	fd = bpf_map_get_fd_by_id(id);
	if (fd >= 0)
		return fd;
	if (errno != EPERM)
		return xlb_errmsg_set(-errno, "opening Maglev table %u: %s",
				      id, strerror(errno));
	if (pinned)
		return xlb_errmsg_set(-EPERM, "Maglev table of service %u: "
				      "its pin holds map %u, not map %u the "
				      "datapath uses (stale pin), and opening "
				      "a map by id needs CAP_SYS_ADMIN",
				      svc_id, pinned, id);
	return xlb_errmsg_set(-EPERM, "Maglev table of service %u: no pin "
			      "(%s), and opening map %u by id needs "
			      "CAP_SYS_ADMIN", svc_id,
			      why == -ENOENT ? "not pinned" : strerror(-why),
			      id);
}
