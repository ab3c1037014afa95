// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_loader.c - opening the datapath: sizes, pins and reuse of pinned maps.
 * Attaching lives in xlb_attach.c, the pin folder in xlb_bpffs.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/xlb_kern.skel.h"
#include "xlb_bpffs.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"

/* Room a pin path needs after the folder: "/link_" + an interface name, or
 * "/" + a map name. */
#define XLB_PIN_NAME_MAX 32

struct xlb_dp {
	struct xlb_kern *skel;
	char pin_dir[PATH_MAX];
	struct xlb_sizes sizes;
};

/* Which xlb_sizes field a map's max_entries follows. */
enum xlb_size_field {
	XLB_SZ_FIXED, /* as defined in xlb_maps.h */
	XLB_SZ_SERVICES,
	XLB_SZ_BACKENDS,
	XLB_SZ_CONNTRACK,
	XLB_SZ_FRAGS,
};

/* max_entries = size * mul / div + add.  Id-indexed arrays add 1 (id 0 is
 * "none"); the service hash doubles for one VIP marker per service; the
 * connection table holds XLB_CT_WAYS flows per entry (set). */
struct xlb_map_desc {
	const char *name;
	enum xlb_size_field field;
	__u32 mul;
	__u32 div;
	__u32 add;
};

static const struct xlb_map_desc xlb_maps[] = {
	{ XLB_MAP_CONFIG, XLB_SZ_FIXED, 0, 1, 0 },
	{ XLB_MAP_VIP_FILTER, XLB_SZ_FIXED, 0, 1, 0 },
	{ XLB_MAP_SERVICES, XLB_SZ_SERVICES, 2, 1, 0 },
	{ XLB_MAP_MAGLEV, XLB_SZ_SERVICES, 1, 1, 1 },
	{ XLB_MAP_BACKENDS, XLB_SZ_BACKENDS, 1, 1, 1 },
	{ XLB_MAP_CONNTRACK, XLB_SZ_CONNTRACK, 1, XLB_CT_WAYS, 0 },
	{ XLB_MAP_FRAGS, XLB_SZ_FRAGS, 1, 1, 0 },
	{ XLB_MAP_STATS, XLB_SZ_FIXED, 0, 1, 0 },
	{ XLB_MAP_SVC_STATS, XLB_SZ_SERVICES, 1, 1, 1 },
	{ XLB_MAP_BE_STATS, XLB_SZ_BACKENDS, 1, 1, 1 },
};

#define XLB_NMAPS (sizeof(xlb_maps) / sizeof(xlb_maps[0]))

static const struct {
	const char *name;
	__u32 def;
	__u32 max;
} xlb_size_info[] = {
	[XLB_SZ_SERVICES] = { "services", XLB_DEF_SERVICES, XLB_MAX_SERVICES },
	[XLB_SZ_BACKENDS] = { "backends", XLB_DEF_BACKENDS, XLB_MAX_BACKENDS },
	[XLB_SZ_CONNTRACK] = { "conntrack", XLB_DEF_CONNTRACK,
			       XLB_MAX_CONNTRACK },
	[XLB_SZ_FRAGS] = { "frags", XLB_DEF_FRAGS, XLB_MAX_FRAGS },
};

static __u32 *size_slot(struct xlb_sizes *s, enum xlb_size_field f)
{
	switch (f) {
	case XLB_SZ_SERVICES:
		return &s->services;
	case XLB_SZ_BACKENDS:
		return &s->backends;
	case XLB_SZ_CONNTRACK:
		return &s->conntrack;
	case XLB_SZ_FRAGS:
		return &s->frags;
	default:
		return NULL;
	}
}

static int validate_sizes(struct xlb_sizes *s)
{
	enum xlb_size_field f;
	__u32 v;

	for (f = XLB_SZ_SERVICES; f <= XLB_SZ_FRAGS; f++) {
		v = *size_slot(s, f);
		if (v > xlb_size_info[f].max)
			return xlb_errmsg_set(-EINVAL,
					      "%s=%u exceeds the maximum %u",
					      xlb_size_info[f].name, v,
					      xlb_size_info[f].max);
	}
	/* The datapath finds a flow's set with a mask. */
	v = s->conntrack;
	if (v && ((v & (v - 1)) || v < XLB_CT_WAYS))
		return xlb_errmsg_set(-EINVAL,
				      "conntrack=%u is not a power of two of at "
				      "least %u", v, XLB_CT_WAYS);
	return 0;
}

/* Reads the attributes of a pinned map; -ENOENT when nothing is pinned. */
static int pinned_map_info(const char *path, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

/* A pinned map must have the layout this program was built with. */
static int check_layout(const char *path, const struct bpf_map *map,
			const struct bpf_map_info *info)
{
	const char *what = NULL;
	__u32 have = 0, want = 0;

	if (info->type != bpf_map__type(map)) {
		what = "type", have = info->type, want = bpf_map__type(map);
	} else if (info->key_size != bpf_map__key_size(map)) {
		what = "key_size", have = info->key_size;
		want = bpf_map__key_size(map);
	} else if (info->value_size != bpf_map__value_size(map)) {
		what = "value_size", have = info->value_size;
		want = bpf_map__value_size(map);
	} else if (info->map_flags != bpf_map__map_flags(map)) {
		what = "map_flags", have = info->map_flags;
		want = bpf_map__map_flags(map);
	}
	if (!what)
		return 0;
	return xlb_errmsg_set(-EEXIST,
			      "pinned map %s has %s %u, this program needs %u "
			      "(map layout changed: unpin and load again)",
			      path, what, have, want);
}

/*
 * Sets one map's size and pin path.  A size left at 0 follows the pinned
 * map; an explicit one must match it, because libbpf would otherwise only
 * report a generic reuse failure.
 */
static int prepare_map(struct xlb_dp *dp, const struct xlb_map_desc *d)
{
	struct bpf_map *map;
	struct bpf_map_info info;
	char path[PATH_MAX];
	__u32 *size, want;
	int err, pinned;

	map = bpf_object__find_map_by_name(dp->skel->obj, d->name);
	if (!map)
		return xlb_errmsg_set(-ENOENT, "the XDP object has no map %s",
				      d->name);
	err = xlb_pin_path(path, sizeof(path), dp->pin_dir, d->name);
	if (err)
		return err;
	err = pinned_map_info(path, &info);
	if (err && err != -ENOENT)
		return xlb_errmsg_set(err, "reading pinned map %s: %s", path,
				      strerror(-err));
	pinned = !err;
	if (pinned) {
		err = check_layout(path, map, &info);
		if (err)
			return err;
	}
	size = size_slot(&dp->sizes, d->field);
	if (size) {
		if (*size == 0)
			*size = pinned ? (info.max_entries - d->add) * d->div /
						 d->mul
				       : xlb_size_info[d->field].def;
		want = *size * d->mul / d->div + d->add;
	} else {
		want = bpf_map__max_entries(map);
	}
	if (pinned && info.max_entries != want) {
		if (!size)
			return xlb_errmsg_set(-EEXIST,
					      "pinned map %s has max_entries %u, "
					      "this program needs %u (unpin and "
					      "load again)", path,
					      info.max_entries, want);
		return xlb_errmsg_set(-EEXIST,
				      "%s=%u does not match the pinned datapath "
				      "(%s has max_entries %u, i.e. %s=%u): use "
				      "that size or unpin first",
				      xlb_size_info[d->field].name, *size, path,
				      info.max_entries,
				      xlb_size_info[d->field].name,
				      (info.max_entries - d->add) * d->div /
					      d->mul);
	}
	err = bpf_map__set_max_entries(map, want);
	if (!err)
		err = bpf_map__set_pin_path(map, path);
	if (err)
		return xlb_errmsg_set(err, "preparing map %s: %s", d->name,
				      strerror(-err));
	return 0;
}

static int prepare_maps(struct xlb_dp *dp)
{
	size_t i;
	int err;

	for (i = 0; i < XLB_NMAPS; i++) {
		err = prepare_map(dp, &xlb_maps[i]);
		if (err)
			return err;
	}
	return 0;
}

static int load(struct xlb_dp *dp)
{
	int err;

	dp->skel = xlb_kern__open();
	if (!dp->skel)
		return xlb_errmsg_set(-errno, "opening the XDP object: %s",
				      strerror(errno));
	err = prepare_maps(dp);
	if (err)
		return err;
	dp->skel->rodata->xlb_ct_mask =
		dp->sizes.conntrack / XLB_CT_WAYS - 1;
	err = xlb_kern__load(dp->skel);
	if (err)
		return xlb_errmsg_set(err, "loading the XDP program with maps "
				      "in %s: %s", dp->pin_dir, strerror(-err));
	return 0;
}

int xlb_dp_open(const struct xlb_dp_opts *opts, struct xlb_dp **out)
{
	const char *dir = opts && opts->pin_dir ? opts->pin_dir
						: XLB_PIN_DIR_DEFAULT;
	struct xlb_dp *dp;
	int err;

	if (strlen(dir) == 0 ||
	    strlen(dir) >= sizeof(dp->pin_dir) - XLB_PIN_NAME_MAX)
		return xlb_errmsg_set(-ENAMETOOLONG,
				      "pin folder '%s': bad length", dir);
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	strcpy(dp->pin_dir, dir);
	if (opts)
		dp->sizes = opts->sizes;
	err = validate_sizes(&dp->sizes);
	if (!err)
		err = xlb_bpffs_ensure(dp->pin_dir);
	if (!err)
		err = load(dp);
	if (err) {
		xlb_dp_close(dp);
		return err;
	}
	*out = dp;
	return 0;
}

void xlb_dp_close(struct xlb_dp *dp)
{
	if (!dp)
		return;
	/* Destroying the skeleton closes fds only: pins and links remain. */
	xlb_kern__destroy(dp->skel);
	free(dp);
}

int xlb_dp_map_fd(const struct xlb_dp *dp, const char *map_name)
{
	const struct bpf_map *map;

	map = bpf_object__find_map_by_name(dp->skel->obj, map_name);
	if (!map)
		return xlb_errmsg_set(-ENOENT, "no datapath map named '%s'",
				      map_name);
	return bpf_map__fd(map);
}

int xlb_dp_prog_fd(const struct xlb_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.xlb_xdp);
}

void xlb_dp_sizes(const struct xlb_dp *dp, struct xlb_sizes *out)
{
	*out = dp->sizes;
}

const char *xlb_dp_pin_dir(const struct xlb_dp *dp)
{
	return dp->pin_dir;
}
