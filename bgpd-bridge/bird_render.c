// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bird_render.c - the include files BIRD reads the VIPs from: one per
 * family, one `route PREFIX blackhole;` line per VIP, in the set's order,
 * so the same set always gives the same bytes.  The operator's bird.conf
 * includes them inside a static protocol of the right channel (see
 * bgpd-bridge(8)); blackhole because the route is only there to be
 * announced: the XDP program, not the kernel, answers for the VIP.
 *
 * Files are replaced whole (temporary file, fsync, rename), so BIRD reads
 * either the old set or the new one, also when it restarts mid-write.
 * The temporary name starts with a dot: an include pattern such as
 * vips4*.conf never matches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

#define FILE_MODE 0640

int bird_render(const struct bgpd_vipset *s, __u8 fam, char **out)
{
	char prefix[XLB_PREFIX_STRLEN];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	fprintf(f, "# Written by bgpd-bridge: the IPv%d VIPs ready on this "
		"node's attached\n# datapath.  Replaced whole at every change; "
		"edits are lost.\n", fam == XLB_FAM_V4 ? 4 : 6);
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].family != fam)
			continue;
		if (vipset_prefix(&s->v[i], prefix, sizeof(prefix)) < 0) {
			fclose(f);
			free(text);
			return xlb_errmsg_set(-EINVAL, "VIP of family %u cannot "
					      "be written", s->v[i].family);
		}
		fprintf(f, "route %s blackhole;\n", prefix);
	}
	if (fclose(f)) {
		free(text);
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	}
	*out = text;
	return 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Mode and group, so BIRD run as another user reads it by its group. */
static int set_access(int fd, const char *dir, const char *name)
{
	struct stat ds, fs;

	if (fchmod(fd, FILE_MODE) || stat(dir, &ds) || fstat(fd, &fs))
		return xlb_errmsg_set(-errno, "%s/%s: %s", dir, name,
				      strerror(errno));
	if (fs.st_gid != ds.st_gid && fchown(fd, (uid_t)-1, ds.st_gid))
		return xlb_errmsg_set(-errno, "%s/%s: cannot give it the "
				      "folder's group (gid %u), which BIRD "
				      "reads it through: %s", dir, name,
				      (unsigned int)ds.st_gid,
				      strerror(errno));
	return 0;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd); /* the rename survives a crash; best effort */
		close(fd);
	}
}

int bird_write_atomic(const char *dir, const char *name, const char *text)
{
	char tmp[4096], dst[4096];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
		    sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >=
		    sizeof(dst))
		return xlb_errmsg_set(-ENAMETOOLONG, "%s/%s: path too long",
				      dir, name);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return xlb_errmsg_set(-errno, "%s: %s", tmp, strerror(errno));
	err = write_all(fd, text, strlen(text));
	if (err)
		xlb_errmsg_set(err, "writing %s: %s", tmp, strerror(-err));
	if (!err)
		err = set_access(fd, dir, name);
	if (!err && fsync(fd))
		err = xlb_errmsg_set(-errno, "writing %s: %s", tmp,
				     strerror(errno));
	if (close(fd) && !err)
		err = xlb_errmsg_set(-errno, "writing %s: %s", tmp,
				     strerror(errno));
	if (!err && rename(tmp, dst))
		err = xlb_errmsg_set(-errno, "replacing %s: %s", dst,
				     strerror(errno));
	if (err) {
		unlink(tmp);
		return err;
	}
	sync_dir(dir);
	return 0;
}
