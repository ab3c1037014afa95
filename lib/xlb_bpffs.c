// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_bpffs.c - creating, mounting and emptying the pin folder. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "xlb_bpffs.h"
#include "xlb_errmsg.h"

#define XLB_BPFFS_ROOT "/sys/fs/bpf"

int xlb_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return xlb_errmsg_set(-ENAMETOOLONG, "pin path %s/%s is too long",
				      dir, name);
	return 0;
}

int xlb_bpffs_is(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

/* Folders are 0750: the pinned objects stay 0600, but members of the
 * creator's group (xlb under systemd) may list them - bgpd-bridge, with
 * no capability, tells an attached datapath by the link_<ifname> names. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return xlb_errmsg_set(-ENAMETOOLONG, "pin folder '%s': bad length",
				      dir);
	memcpy(path, dir, n + 1);
	/* Create each prefix ending before a '/', then the whole path. */
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0750) && errno != EEXIST)
			return xlb_errmsg_set(-errno, "creating %s: %s", path,
					      strerror(errno));
		path[i] = dir[i];
	}
	return 0;
}

int xlb_bpffs_ensure(const char *dir)
{
	int err;

	err = mkdir_p(dir);
	if (err)
		return err;
	err = xlb_bpffs_is(dir);
	if (err < 0)
		return xlb_errmsg_set(err, "pin folder %s: %s", dir,
				      strerror(-err));
	if (err == 1)
		return 0;
	if (mount("bpf", dir, "bpf", 0, "mode=0750"))
		return xlb_errmsg_set(-errno, "mounting a bpffs on %s: %s", dir,
				      strerror(errno));
	return 0;
}

/*
 * The kernel's preloaded iterators sit at the root of every bpffs mount and
 * cannot be unlinked; they go away with the mount.
 */
static int is_preload_entry(const char *name)
{
	return !strcmp(name, "maps.debug") || !strcmp(name, "progs.debug");
}

/* Unlinks everything under dir, a bpffs folder, keeping dir itself (and
 * the preloaded entries when dir is a mount root). */
static int empty_tree(const char *dir, int mount_root)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0, e;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return xlb_errmsg_set(-errno, "opening %s: %s", dir,
				      strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (mount_root && is_preload_entry(de->d_name)))
			continue;
		e = xlb_pin_path(path, sizeof(path), dir, de->d_name);
		if (!e && de->d_type == DT_DIR) {
			e = empty_tree(path, 0);
			if (!e && rmdir(path))
				e = xlb_errmsg_set(-errno, "removing %s: %s",
						   path, strerror(errno));
		} else if (!e && unlink(path))
			e = xlb_errmsg_set(-errno, "removing pin %s: %s", path,
					   strerror(errno));
		if (e && !err)
			err = e;
	}
	closedir(d);
	return err;
}

/* 1 if dir is the root of a mount (its parent is on another device). */
static int is_mount_root(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;
	int n;

	n = snprintf(parent, sizeof(parent), "%s/..", dir);
	if (n < 0 || (size_t)n >= sizeof(parent))
		return -ENAMETOOLONG;
	if (stat(dir, &a) || stat(parent, &b))
		return -errno;
	return a.st_dev != b.st_dev;
}

int xlb_bpffs_remove(const char *dir)
{
	char real[PATH_MAX];
	int err, mounted;

	if (!realpath(dir, real)) {
		if (errno == ENOENT)
			return 0;
		return xlb_errmsg_set(-errno, "pin folder %s: %s", dir,
				      strerror(errno));
	}
	if (!strcmp(real, XLB_BPFFS_ROOT) || !strcmp(real, "/"))
		return xlb_errmsg_set(-EINVAL,
				      "refusing to empty %s: not an xlb pin folder",
				      real);
	if (xlb_bpffs_is(real) != 1)
		return xlb_errmsg_set(-ENOTDIR, "pin folder %s is not on a bpffs",
				      real);
	mounted = is_mount_root(real);
	if (mounted < 0)
		return xlb_errmsg_set(mounted, "pin folder %s: %s", real,
				      strerror(-mounted));
	err = empty_tree(real, mounted);
	if (err)
		return err;
	if (mounted && umount2(real, MNT_DETACH))
		return xlb_errmsg_set(-errno, "unmounting the bpffs on %s: %s",
				      real, strerror(errno));
	if (rmdir(real))
		return xlb_errmsg_set(-errno, "removing %s: %s", real,
				      strerror(errno));
	return 0;
}
