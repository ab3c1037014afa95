// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_loader.c - lib/xlb_loader: pinned maps that survive the process and
 * are reused (or refused with a clear error), pinned XDP links that are
 * replaced in place, the largest sizes the datapath supports.
 *
 * Needs root and BPF; fails (never skips) without them.  Every test works in
 * its own pin folder and network namespace named after the PID, and removes
 * both in its teardown whether it passed or not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"

struct lt {
	char pin_dir[128];
	char extra_dir[64];  /* a plain folder the test made, "" if none */
	char ns[32];      /* "" when the test made no namespace */
	int saved_ns;     /* our own netns while inside the test's, else -1 */
	struct xlb_dp *dp;
	struct xlb_dp *dp2;
};

static int lt_counter;

/* Runs a shell command built from fmt; returns its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int setup(void **state)
{
	struct lt *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "/sys/fs/bpf/xlbt_loader_%d_%d",
		 (int)getpid(), ++lt_counter);
	t->saved_ns = -1;
	*state = t;
	return 0;
}

static void netns_leave(struct lt *t)
{
	if (t->saved_ns < 0)
		return;
	if (setns(t->saved_ns, CLONE_NEWNET))
		fprintf(stderr, "test_loader: cannot return to own netns: %s\n",
			strerror(errno));
	close(t->saved_ns);
	t->saved_ns = -1;
}

static int teardown(void **state)
{
	struct lt *t = *state;
	int rc = 0;

	netns_leave(t);
	xlb_dp_close(t->dp);
	xlb_dp_close(t->dp2);
	if (xlb_dp_unpin(t->pin_dir)) {
		fprintf(stderr, "test_loader: unpin %s: %s\n", t->pin_dir,
			xlb_errmsg());
		rc = -1;
	}
	if (t->extra_dir[0] && rmdir(t->extra_dir) && errno != ENOENT)
		rc = -1;
	if (t->ns[0] && sh("ip netns del %s", t->ns))
		rc = -1;
	free(t);
	return rc;
}

/* A namespace with a veth pair v0/v1 and a bridge d0 (a device without
 * native XDP), all up; the test
 * process then runs inside it. */
static void netns_make(struct lt *t)
{
	char path[64];
	int fd;

	snprintf(t->ns, sizeof(t->ns), "xlbt_ld_%d", (int)getpid());
	assert_int_equal(sh("ip netns add %s", t->ns), 0);
	assert_int_equal(sh("ip -n %s link add v0 type veth peer name v1 && "
			    "ip -n %s link add d0 type bridge && "
			    "ip -n %s link set v0 up && ip -n %s link set v1 up "
			    "&& ip -n %s link set d0 up", t->ns, t->ns, t->ns,
			    t->ns, t->ns), 0);
	snprintf(path, sizeof(path), "/run/netns/%s", t->ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	t->saved_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(t->saved_ns >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

static int file_exists(const char *dir, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static __u32 obj_id(int fd)
{
	union {
		struct bpf_map_info map;
		struct bpf_prog_info prog;
		struct bpf_link_info link;
	} info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.map.id; /* id is the first field of all three */
}

static __u32 pinned_id(const char *dir, const char *name)
{
	char path[256];
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	id = obj_id(fd);
	close(fd);
	return id;
}

static const char *const all_maps[] = {
	XLB_MAP_CONFIG,    XLB_MAP_VIP_FILTER, XLB_MAP_SERVICES,
	XLB_MAP_MAGLEV,    XLB_MAP_BACKENDS,   XLB_MAP_CONNTRACK,
	XLB_MAP_FRAGS,     XLB_MAP_STATS,      XLB_MAP_SVC_STATS,
	XLB_MAP_BE_STATS,
};

static void open_small(struct lt *t, struct xlb_dp **dp, __u32 services)
{
	struct xlb_dp_opts o = {
		.pin_dir = t->pin_dir,
		.sizes = { services, 128, 1024, 64 },
	};
	int err = xlb_dp_open(&o, dp);

	if (err)
		fail_msg("xlb_dp_open(%s): %d %s", t->pin_dir, err,
			 xlb_errmsg());
}

static void test_open_pins_every_map(void **state)
{
	struct lt *t = *state;
	struct statfs sf;
	size_t i;

	open_small(t, &t->dp, 16);
	assert_int_equal(statfs(t->pin_dir, &sf), 0);
	assert_true(sf.f_type == BPF_FS_MAGIC);
	for (i = 0; i < sizeof(all_maps) / sizeof(all_maps[0]); i++) {
		print_message("map %s\n", all_maps[i]);
		assert_true(file_exists(t->pin_dir, all_maps[i]));
		/* The fd the loader hands out is the pinned map itself. */
		assert_int_equal(obj_id(xlb_dp_map_fd(t->dp, all_maps[i])),
				 pinned_id(t->pin_dir, all_maps[i]));
	}
	assert_int_equal(xlb_dp_map_fd(t->dp, "xlb_nope"), -ENOENT);
	assert_true(xlb_dp_prog_fd(t->dp) >= 0);
	assert_string_equal(xlb_dp_pin_dir(t->dp), t->pin_dir);
}

/* Id-indexed arrays hold size + 1 entries; the service hash twice size. */
static void test_open_sizes_maps(void **state)
{
	struct lt *t = *state;
	struct bpf_map_info info;
	__u32 len;
	static const struct {
		const char *map;
		__u32 entries;
	} want[] = {
		{ XLB_MAP_SERVICES, 2 * 16 }, { XLB_MAP_MAGLEV, 17 },
		{ XLB_MAP_SVC_STATS, 17 },    { XLB_MAP_BACKENDS, 129 },
		{ XLB_MAP_BE_STATS, 129 },    { XLB_MAP_CONNTRACK, 1024 / 4 },
		{ XLB_MAP_FRAGS, 64 },        { XLB_MAP_STATS, XLB_R_MAX },
		{ XLB_MAP_VIP_FILTER, XLB_VIP_FILTER_WORDS },
		{ XLB_MAP_CONFIG, 1 },
	};
	struct xlb_sizes sz;
	size_t i;

	open_small(t, &t->dp, 16);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		assert_int_equal(bpf_obj_get_info_by_fd(
					 xlb_dp_map_fd(t->dp, want[i].map),
					 &info, &len), 0);
		print_message("map %s\n", want[i].map);
		assert_int_equal(info.max_entries, want[i].entries);
	}
	xlb_dp_sizes(t->dp, &sz);
	assert_int_equal(sz.services, 16);
	assert_int_equal(sz.backends, 128);
	assert_int_equal(sz.conntrack, 1024);
	assert_int_equal(sz.frags, 64);
}

static void test_defaults(void **state)
{
	struct lt *t = *state;
	struct xlb_dp_opts o = { .pin_dir = t->pin_dir };
	struct xlb_sizes sz;

	assert_int_equal(xlb_dp_open(&o, &t->dp), 0);
	xlb_dp_sizes(t->dp, &sz);
	assert_int_equal(sz.services, XLB_DEF_SERVICES);
	assert_int_equal(sz.backends, XLB_DEF_BACKENDS);
	assert_int_equal(sz.conntrack, XLB_DEF_CONNTRACK);
	assert_int_equal(sz.frags, XLB_DEF_FRAGS);
}

static void test_reopen_keeps_values(void **state)
{
	struct lt *t = *state;
	struct xlb_config cfg = { .mtu = 1234, .ttl = 33 }, got;
	struct xlb_backend be = { .svc_id = 5, .family = XLB_FAM_V4,
				  .state = XLB_BE_DRAIN }, gbe;
	struct xlb_dpmaps m;
	__u32 map_id;

	be.addr.v4 = htonl(0xc0000207);
	open_small(t, &t->dp, 16);
	xlb_dpmaps_from_dp(t->dp, &m);
	assert_int_equal(xlb_dpmap_config_set(&m, &cfg), 0);
	assert_int_equal(xlb_dpmap_backend_put(&m, 77, &be), 0);
	map_id = obj_id(m.backends);
	xlb_dp_close(t->dp);
	t->dp = NULL;

	/* Sizes 0: take whatever is pinned. */
	assert_int_equal(xlb_dp_open(&(struct xlb_dp_opts){ .pin_dir =
							    t->pin_dir },
				     &t->dp), 0);
	xlb_dpmaps_from_dp(t->dp, &m);
	assert_int_equal(obj_id(m.backends), map_id);
	assert_int_equal(m.max_svc_id, 16);
	assert_int_equal(m.max_be_id, 128);
	assert_int_equal(xlb_dpmap_config_get(&m, &got), 0);
	assert_int_equal(got.mtu, 1234);
	assert_int_equal(got.ttl, 33);
	assert_int_equal(xlb_dpmap_backend_get(&m, 77, &gbe), 0);
	assert_memory_equal(&gbe, &be, sizeof(be));

	/* The same explicit sizes are a match too. */
	open_small(t, &t->dp2, 16);
}

static void test_reopen_other_size_fails(void **state)
{
	struct lt *t = *state;
	struct xlb_dp_opts o = { .pin_dir = t->pin_dir,
				 .sizes = { .services = 32 } };
	__u32 id;

	open_small(t, &t->dp, 16);
	id = pinned_id(t->pin_dir, XLB_MAP_SERVICES);
	xlb_dp_close(t->dp);
	t->dp = NULL;
	assert_int_equal(xlb_dp_open(&o, &t->dp), -EEXIST);
	assert_null(t->dp);
	print_message("%s\n", xlb_errmsg());
	assert_non_null(strstr(xlb_errmsg(), "services=32"));
	assert_non_null(strstr(xlb_errmsg(), "services=16"));
	o.sizes.services = 0;
	o.sizes.conntrack = 4096;
	assert_int_equal(xlb_dp_open(&o, &t->dp), -EEXIST);
	assert_non_null(strstr(xlb_errmsg(), "conntrack=4096"));
	/* Nothing was re-created behind our back. */
	assert_int_equal(pinned_id(t->pin_dir, XLB_MAP_SERVICES), id);
}

/* A pinned map of another layout (an older ABI) is refused by name. */
static void test_reopen_other_layout_fails(void **state)
{
	struct lt *t = *state;
	char path[256];
	int fd;

	assert_int_equal(mkdir(t->pin_dir, 0700), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_config", 4, 8, 1, NULL);
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/%s", t->pin_dir, XLB_MAP_CONFIG);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(xlb_dp_open(&(struct xlb_dp_opts){ .pin_dir =
							    t->pin_dir },
				     &t->dp), -EEXIST);
	print_message("%s\n", xlb_errmsg());
	assert_non_null(strstr(xlb_errmsg(), "value_size 8"));
	assert_non_null(strstr(xlb_errmsg(), path));
}

static void test_sizes_validated(void **state)
{
	static const struct {
		struct xlb_sizes sz;
		const char *msg;
	} bad[] = {
		{ { XLB_MAX_SERVICES + 1, 0, 0, 0 }, "services=65537" },
		{ { 0, XLB_MAX_BACKENDS + 1, 0, 0 }, "backends=1048577" },
		{ { 0, 0, XLB_MAX_CONNTRACK + 1, 0 }, "conntrack=4194305" },
		{ { 0, 0, 0, XLB_MAX_FRAGS + 1 }, "frags=1048577" },
		{ { 0, 0, 1000, 0 }, "conntrack=1000 is not a power of two" },
		{ { 0, 0, 2, 0 }, "conntrack=2 is not a power of two of at least 4" },
	};
	struct lt *t = *state;
	struct xlb_dp_opts o = { .pin_dir = t->pin_dir };
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.sizes = bad[i].sz;
		assert_int_equal(xlb_dp_open(&o, &t->dp), -EINVAL);
		print_message("%s\n", xlb_errmsg());
		assert_non_null(strstr(xlb_errmsg(), bad[i].msg));
	}
	/* Refused before anything was created. */
	assert_int_equal(stat(t->pin_dir, &st), -1);
}

/* A folder that is not on a bpffs gets one mounted, and unpin undoes it. */
static void test_pin_dir_outside_bpffs(void **state)
{
	struct lt *t = *state;
	struct statfs sf;
	struct stat st;

	snprintf(t->extra_dir, sizeof(t->extra_dir), "/run/xlbt_loader_%d",
		 (int)getpid());
	snprintf(t->pin_dir, sizeof(t->pin_dir), "%s/pins", t->extra_dir);
	open_small(t, &t->dp, 16);
	assert_int_equal(statfs(t->pin_dir, &sf), 0);
	assert_true(sf.f_type == BPF_FS_MAGIC);
	assert_true(file_exists(t->pin_dir, XLB_MAP_MAGLEV));
	xlb_dp_close(t->dp);
	t->dp = NULL;
	assert_int_equal(xlb_dp_unpin(t->pin_dir), 0);
	assert_int_equal(stat(t->pin_dir, &st), -1);
	assert_int_equal(stat(t->extra_dir, &st), 0); /* only the pin folder */
	assert_int_equal(xlb_dp_unpin(t->pin_dir), 0); /* gone: success */
}

static void test_unpin_refuses_bpffs_root(void **state)
{
	(void)state;
	assert_int_equal(xlb_dp_unpin("/sys/fs/bpf"), -EINVAL);
	assert_int_equal(xlb_dp_unpin("/sys/fs/bpf/"), -EINVAL);
}

/* --- attaching ------------------------------------------------------------ */

struct xdp_state {
	__u32 prog_id; /* 0: no program */
	__u8 mode;     /* XDP_ATTACHED_* */
};

static struct xdp_state xdp_on(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_state s;
	int ifindex = (int)if_nametoindex(ifname);

	assert_true(ifindex > 0);
	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	s.prog_id = q.prog_id;
	s.mode = q.attach_mode;
	return s;
}

/* What `ip link` reports: "xdp" (native) or "xdpgeneric", and the id. */
static void ip_link_shows(const struct lt *t, const char *ifname,
			  const char *mode, __u32 prog_id)
{
	char cmd[128], buf[1024], want[64];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip -n %s link show dev %s", t->ns, ifname);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
	snprintf(want, sizeof(want), "> mtu 1500 %s ", mode);
	if (!strstr(buf, want))
		fail_msg("'%s' not in: %s", want, buf);
	snprintf(want, sizeof(want), "prog/xdp id %u ", prog_id);
	if (!strstr(buf, want))
		fail_msg("'%s' not in: %s", want, buf);
}

static __u32 link_id(const struct lt *t, const char *ifname)
{
	char name[32];

	snprintf(name, sizeof(name), "link_%s", ifname);
	return pinned_id(t->pin_dir, name);
}

static void attach_ok(struct xlb_dp *dp, const char *ifname,
		      enum xlb_xdp_mode mode, enum xlb_xdp_mode want)
{
	enum xlb_xdp_mode got = XLB_XDP_AUTO;
	int err = xlb_dp_attach(dp, ifname, mode, &got);

	if (err)
		fail_msg("attach %s: %d %s", ifname, err, xlb_errmsg());
	assert_int_equal(got, want);
}

static void test_attach_native_replace_detach(void **state)
{
	struct lt *t = *state;
	__u32 prog1, prog2, link;
	struct xdp_state x;

	netns_make(t);
	open_small(t, &t->dp, 16);
	attach_ok(t->dp, "v0", XLB_XDP_NATIVE, XLB_XDP_NATIVE);
	prog1 = obj_id(xlb_dp_prog_fd(t->dp));
	x = xdp_on("v0");
	assert_int_equal(x.prog_id, prog1);
	assert_int_equal(x.mode, XDP_ATTACHED_DRV);
	ip_link_shows(t, "v0", "xdp", prog1);
	link = link_id(t, "v0");

	/* The attachment outlives the process's hold on the program. */
	xlb_dp_close(t->dp);
	t->dp = NULL;
	assert_int_equal(xdp_on("v0").prog_id, prog1);

	/* A new program replaces the old one inside the same link. */
	open_small(t, &t->dp2, 16);
	prog2 = obj_id(xlb_dp_prog_fd(t->dp2));
	assert_int_not_equal(prog1, prog2);
	attach_ok(t->dp2, "v0", XLB_XDP_AUTO, XLB_XDP_NATIVE);
	assert_int_equal(link_id(t, "v0"), link);
	assert_int_equal(xdp_on("v0").prog_id, prog2);
	ip_link_shows(t, "v0", "xdp", prog2);
	attach_ok(t->dp2, "v0", XLB_XDP_NATIVE, XLB_XDP_NATIVE);
	assert_int_equal(link_id(t, "v0"), link);

	/* Another explicit mode is refused, not silently ignored. */
	assert_int_equal(xlb_dp_attach(t->dp2, "v0", XLB_XDP_GENERIC, NULL),
			 -EBUSY);
	assert_non_null(strstr(xlb_errmsg(), "v0"));
	assert_int_equal(xdp_on("v0").prog_id, prog2);

	assert_int_equal(xlb_dp_detach(t->pin_dir, "v0"), 0);
	assert_int_equal(xdp_on("v0").prog_id, 0);
	assert_false(file_exists(t->pin_dir, "link_v0"));
	assert_int_equal(xlb_dp_detach(t->pin_dir, "v0"), -ENOENT);
	assert_non_null(strstr(xlb_errmsg(), "v0"));
}

static void test_attach_generic_and_fallback(void **state)
{
	struct lt *t = *state;
	__u32 prog, link;

	netns_make(t);
	open_small(t, &t->dp, 16);
	prog = obj_id(xlb_dp_prog_fd(t->dp));
	attach_ok(t->dp, "v1", XLB_XDP_GENERIC, XLB_XDP_GENERIC);
	assert_int_equal(xdp_on("v1").mode, XDP_ATTACHED_SKB);
	ip_link_shows(t, "v1", "xdpgeneric", prog);

	/* A bridge has no native XDP: NATIVE fails naming it, AUTO
	 * falls back to generic. */
	assert_int_equal(xlb_dp_attach(t->dp, "d0", XLB_XDP_NATIVE, NULL),
			 -EOPNOTSUPP);
	print_message("%s\n", xlb_errmsg());
	assert_non_null(strstr(xlb_errmsg(), "d0"));
	assert_false(file_exists(t->pin_dir, "link_d0"));
	attach_ok(t->dp, "d0", XLB_XDP_AUTO, XLB_XDP_GENERIC);
	ip_link_shows(t, "d0", "xdpgeneric", prog);

	/* The interface goes away and comes back: the stale link is
	 * replaced by a new one. */
	link = link_id(t, "d0");
	assert_int_equal(sh("ip -n %s link del d0 && ip -n %s link add d0 "
			    "type bridge", t->ns, t->ns), 0);
	attach_ok(t->dp, "d0", XLB_XDP_AUTO, XLB_XDP_GENERIC);
	assert_int_not_equal(link_id(t, "d0"), link);
	assert_int_equal(xdp_on("d0").prog_id, prog);

	assert_int_equal(xlb_dp_attach(t->dp, "nosuch0", XLB_XDP_AUTO, NULL),
			 -ENODEV);
	assert_non_null(strstr(xlb_errmsg(), "nosuch0"));
	assert_int_equal(xlb_dp_attach(t->dp, "bad/name", XLB_XDP_AUTO, NULL),
			 -EINVAL);

	/* Unpin detaches every link. */
	assert_int_equal(xlb_dp_unpin(t->pin_dir), 0);
	assert_int_equal(xdp_on("v1").prog_id, 0);
	assert_int_equal(xdp_on("d0").prog_id, 0);
}

/* --- the largest datapath ----------------------------------------------- */

static void test_maxima(void **state)
{
	struct lt *t = *state;
	struct xlb_dp_opts o = {
		.pin_dir = t->pin_dir,
		.sizes = { XLB_MAX_SERVICES, XLB_MAX_BACKENDS,
			   XLB_MAX_CONNTRACK, XLB_MAX_FRAGS },
	};
	__u32 m = XLB_MAX_RING, *slots, *back, size = 0, i;
	struct xlb_dpmaps maps;
	int err;

	err = xlb_dp_open(&o, &t->dp);
	if (err)
		fail_msg("open at maxima: %d %s", err, xlb_errmsg());
	xlb_dpmaps_from_dp(t->dp, &maps);
	assert_int_equal(maps.max_svc_id, XLB_MAX_SERVICES);
	assert_int_equal(maps.max_be_id, XLB_MAX_BACKENDS);
	slots = malloc(m * sizeof(*slots));
	back = malloc(m * sizeof(*back));
	assert_non_null(slots);
	assert_non_null(back);
	for (i = 0; i < m; i++)
		slots[i] = XLB_MAX_BACKENDS - i;
	/* The last service id, the largest ring. */
	err = xlb_dpmap_ring_switch(&maps, XLB_MAX_SERVICES, slots, m);
	if (!err)
		err = xlb_dpmap_ring_read(&maps, XLB_MAX_SERVICES, back, m, &size);
	if (err) {
		free(slots);
		free(back);
		fail_msg("ring: %d %s", err, xlb_errmsg());
	}
	assert_int_equal(size, m);
	assert_memory_equal(back, slots, m * sizeof(*slots));
	free(slots);
	free(back);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_pins_every_map),
		T(test_open_sizes_maps),
		T(test_defaults),
		T(test_reopen_keeps_values),
		T(test_reopen_other_size_fails),
		T(test_reopen_other_layout_fails),
		T(test_sizes_validated),
		T(test_pin_dir_outside_bpffs),
		T(test_unpin_refuses_bpffs_root),
		T(test_attach_native_replace_detach),
		T(test_attach_generic_and_fallback),
		T(test_maxima),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_loader: needs root (BPF, netns); the "
				"tests below will fail\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
