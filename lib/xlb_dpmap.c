// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_dpmap.c - map handles, config, services, VIPs and backend entries.
 * Maglev tables are in xlb_dpmap_ring.c, counters in xlb_dpmap_stats.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "xlb_addr.h"
#include "xlb_bpffs.h"
#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"

static const struct {
	const char *name;
	size_t off;
} xlb_dpmap_fields[] = {
	{ XLB_MAP_CONFIG, offsetof(struct xlb_dpmaps, config) },
	{ XLB_MAP_VIP_FILTER, offsetof(struct xlb_dpmaps, vip_filter) },
	{ XLB_MAP_SERVICES, offsetof(struct xlb_dpmaps, services) },
	{ XLB_MAP_MAGLEV, offsetof(struct xlb_dpmaps, maglev) },
	{ XLB_MAP_BACKENDS, offsetof(struct xlb_dpmaps, backends) },
	{ XLB_MAP_CONNTRACK, offsetof(struct xlb_dpmaps, conntrack) },
	{ XLB_MAP_FRAGS, offsetof(struct xlb_dpmaps, frags) },
	{ XLB_MAP_STATS, offsetof(struct xlb_dpmaps, stats) },
	{ XLB_MAP_SVC_STATS, offsetof(struct xlb_dpmaps, svc_stats) },
	{ XLB_MAP_BE_STATS, offsetof(struct xlb_dpmaps, be_stats) },
};

#define XLB_DPMAP_NFIELDS (sizeof(xlb_dpmap_fields) / sizeof(xlb_dpmap_fields[0]))

static int *field_fd(struct xlb_dpmaps *m, size_t i)
{
	return (int *)((char *)m + xlb_dpmap_fields[i].off);
}

void xlb_dpmaps_from_dp(const struct xlb_dp *dp, struct xlb_dpmaps *m)
{
	struct xlb_sizes sz;
	size_t i;

	for (i = 0; i < XLB_DPMAP_NFIELDS; i++)
		*field_fd(m, i) = xlb_dp_map_fd(dp, xlb_dpmap_fields[i].name);
	xlb_dp_sizes(dp, &sz);
	m->max_svc_id = sz.services;
	m->max_be_id = sz.backends;
	m->owned = 0;
	snprintf(m->pin_dir, sizeof(m->pin_dir), "%s", xlb_dp_pin_dir(dp));
}

/* An id-indexed array holds ids 0..max_entries-1; 0 is "none". */
static int max_id(int fd, __u32 *out)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*out = info.max_entries ? info.max_entries - 1 : 0;
	return 0;
}

int xlb_dpmaps_open_pinned(const char *pin_dir, struct xlb_dpmaps *m)
{
	char path[PATH_MAX];
	size_t i;
	int err;

	if (!pin_dir)
		pin_dir = XLB_PIN_DIR_DEFAULT;
	for (i = 0; i < XLB_DPMAP_NFIELDS; i++)
		*field_fd(m, i) = -1;
	m->owned = 1;
	if (snprintf(m->pin_dir, sizeof(m->pin_dir), "%s", pin_dir) >=
	    (int)sizeof(m->pin_dir)) {
		err = xlb_errmsg_set(-ENAMETOOLONG, "pin folder '%s' is too "
				     "long", pin_dir);
		goto fail;
	}
	for (i = 0; i < XLB_DPMAP_NFIELDS; i++) {
		err = xlb_pin_path(path, sizeof(path), pin_dir,
				   xlb_dpmap_fields[i].name);
		if (err)
			goto fail;
		*field_fd(m, i) = bpf_obj_get(path);
		if (*field_fd(m, i) < 0) {
			err = xlb_errmsg_set(-errno, "opening pinned map %s: %s",
					     path, strerror(errno));
			goto fail;
		}
	}
	err = max_id(m->maglev, &m->max_svc_id);
	if (!err)
		err = max_id(m->backends, &m->max_be_id);
	if (err) {
		xlb_errmsg_set(err, "reading map sizes in %s: %s", pin_dir,
			       strerror(-err));
		goto fail;
	}
	return 0;
fail:
	xlb_dpmaps_close(m);
	return err;
}

void xlb_dpmaps_close(struct xlb_dpmaps *m)
{
	size_t i;

	if (!m->owned)
		return;
	for (i = 0; i < XLB_DPMAP_NFIELDS; i++) {
		if (*field_fd(m, i) >= 0)
			close(*field_fd(m, i));
		*field_fd(m, i) = -1;
	}
	m->owned = 0;
}

int xlb_dpmap_config_get(const struct xlb_dpmaps *m, struct xlb_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->config, &key, cfg))
		return xlb_errmsg_set(-errno, "reading %s: %s", XLB_MAP_CONFIG,
				      strerror(errno));
	return 0;
}

int xlb_dpmap_config_set(const struct xlb_dpmaps *m,
			 const struct xlb_config *cfg)
{
	__u32 key = 0;

	if (bpf_map_update_elem(m->config, &key, cfg, BPF_ANY))
		return xlb_errmsg_set(-errno, "writing %s: %s", XLB_MAP_CONFIG,
				      strerror(errno));
	return 0;
}

/* "vip proto port" of a key, for messages. */
static const char *key_text(const struct xlb_vip_key *key, char *buf,
			    size_t len)
{
	if (xlb_service_format(key, buf, len) < 0)
		snprintf(buf, len, "(family %u, protocol %u)", key->family,
			 key->proto);
	return buf;
}

int xlb_dpmap_service_put(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key,
			  const struct xlb_service *svc)
{
	char kt[XLB_SERVICE_STRLEN];

	if (key->proto && (svc->id == XLB_ID_NONE || svc->id > m->max_svc_id))
		return xlb_errmsg_set(-ERANGE,
				      "service id %u is outside 1..%u", svc->id,
				      m->max_svc_id);
	if (bpf_map_update_elem(m->services, key, svc, BPF_ANY))
		return xlb_errmsg_set(-errno, "writing service %s: %s",
				      key_text(key, kt, sizeof(kt)),
				      strerror(errno));
	return 0;
}

int xlb_dpmap_service_get(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key,
			  struct xlb_service *svc)
{
	char kt[XLB_SERVICE_STRLEN];

	if (bpf_map_lookup_elem(m->services, key, svc))
		return xlb_errmsg_set(-errno, "service %s: %s",
				      key_text(key, kt, sizeof(kt)),
				      strerror(errno));
	return 0;
}

int xlb_dpmap_service_del(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key)
{
	char kt[XLB_SERVICE_STRLEN];

	if (bpf_map_delete_elem(m->services, key))
		return xlb_errmsg_set(-errno, "removing service %s: %s",
				      key_text(key, kt, sizeof(kt)),
				      strerror(errno));
	return 0;
}

int xlb_dpmap_service_walk(const struct xlb_dpmaps *m, xlb_service_fn fn,
			   void *arg)
{
	struct xlb_vip_key key, next;
	struct xlb_service svc;
	void *prev = NULL;
	int err;

	/* A plain hash without eviction: get_next_key is stable as long as
	 * nobody deletes during the walk. */
	while (!bpf_map_get_next_key(m->services, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->services, &key, &svc))
			continue;
		err = fn(&key, &svc, arg);
		if (err)
			return err;
	}
	if (errno != ENOENT)
		return xlb_errmsg_set(-errno, "walking %s: %s",
				      XLB_MAP_SERVICES, strerror(errno));
	return 0;
}

static void marker_key(const union xlb_addr *vip, __u8 family,
		       struct xlb_vip_key *key)
{
	memset(key, 0, sizeof(*key));
	key->addr = *vip;
	key->family = family;
}

int xlb_dpmap_vip_add(const struct xlb_dpmaps *m, const union xlb_addr *vip,
		      __u8 family)
{
	struct xlb_service marker = { .id = XLB_ID_NONE, .flags = 0 };
	struct xlb_vip_key key;
	int err;

	marker_key(vip, family, &key);
	err = xlb_dpmap_service_put(m, &key, &marker);
	if (err)
		return err;
	return xlb_dpmap_filter_set(m, vip, family);
}

int xlb_dpmap_vip_del(const struct xlb_dpmaps *m, const union xlb_addr *vip,
		      __u8 family)
{
	struct xlb_vip_key key;

	marker_key(vip, family, &key);
	return xlb_dpmap_service_del(m, &key);
}

static int filter_word(const struct xlb_dpmaps *m, const union xlb_addr *vip,
		       __u8 family, __u32 *word, __u64 *mask, __u64 *val)
{
	__u32 bit;

	if (family != XLB_FAM_V4 && family != XLB_FAM_V6)
		return xlb_errmsg_set(-EAFNOSUPPORT, "VIP family %u is not "
				      "XLB_FAM_V4 or XLB_FAM_V6", family);
	bit = xlb_vip_bit(vip, family);
	*word = bit >> 6;
	*mask = 1ULL << (bit & 63);
	if (bpf_map_lookup_elem(m->vip_filter, word, val))
		return xlb_errmsg_set(-errno, "reading %s[%u]: %s",
				      XLB_MAP_VIP_FILTER, *word,
				      strerror(errno));
	return 0;
}

int xlb_dpmap_filter_set(const struct xlb_dpmaps *m, const union xlb_addr *vip,
			 __u8 family)
{
	__u64 mask, val;
	__u32 word;
	int err;

	/* Read-modify-write: lbd is the only writer, so no bit is lost. */
	err = filter_word(m, vip, family, &word, &mask, &val);
	if (err || (val & mask))
		return err;
	val |= mask;
	if (bpf_map_update_elem(m->vip_filter, &word, &val, BPF_ANY))
		return xlb_errmsg_set(-errno, "writing %s[%u]: %s",
				      XLB_MAP_VIP_FILTER, word,
				      strerror(errno));
	return 0;
}

int xlb_dpmap_filter_test(const struct xlb_dpmaps *m,
			  const union xlb_addr *vip, __u8 family)
{
	__u64 mask, val;
	__u32 word;
	int err;

	err = filter_word(m, vip, family, &word, &mask, &val);
	return err ? err : !!(val & mask);
}

static int check_be_id(const struct xlb_dpmaps *m, __u32 id)
{
	if (id == XLB_ID_NONE || id > m->max_be_id)
		return xlb_errmsg_set(-ERANGE,
				      "backend id %u is outside 1..%u", id,
				      m->max_be_id);
	return 0;
}

int xlb_dpmap_backend_put(const struct xlb_dpmaps *m, __u32 id,
			  const struct xlb_backend *be)
{
	int err = check_be_id(m, id);

	if (err)
		return err;
	if (bpf_map_update_elem(m->backends, &id, be, BPF_ANY))
		return xlb_errmsg_set(-errno, "writing backend %u: %s", id,
				      strerror(errno));
	return 0;
}

/* Entries per batch call: the kernel copies keys and values in first. */
#define BE_BATCH 8192

int xlb_dpmap_backends_put(const struct xlb_dpmaps *m, const __u32 *ids,
			   const struct xlb_backend *bes, __u32 n, __u32 *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 i, count;
	int err;

	*done = 0;
	for (i = 0; i < n; i++) {
		err = check_be_id(m, ids[i]);
		if (err)
			return err;
	}
	for (i = 0; i < n; i += count) {
		count = n - i < BE_BATCH ? n - i : BE_BATCH;
		if (bpf_map_update_batch(m->backends, ids + i, bes + i, &count,
					 &bo)) {
			err = -errno;
			*done = i + (count < n - i ? count : 0);
			return xlb_errmsg_set(err, "writing backend %u: %s",
					      ids[*done], strerror(-err));
		}
	}
	*done = n;
	return 0;
}

int xlb_dpmap_backend_get(const struct xlb_dpmaps *m, __u32 id,
			  struct xlb_backend *be)
{
	int err = check_be_id(m, id);

	if (err)
		return err;
	if (bpf_map_lookup_elem(m->backends, &id, be))
		return xlb_errmsg_set(-errno, "reading backend %u: %s", id,
				      strerror(errno));
	return 0;
}
