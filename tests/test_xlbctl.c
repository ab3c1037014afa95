// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_xlbctl.c - the xlbctl command as a user runs it: what each command
 * leaves in the pinned maps (read back with plain bpf_map_* calls), its
 * output lines, and its errors (exit status 1, the option and value named).
 *
 * Needs root and BPF; fails (never skips) without them.  Runs build/xlbctl
 * next to this test's own folder; every test pins into its own folder named
 * after the PID (and makes its own namespace) and removes them in teardown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_hash.h"
#include "xlb_loader.h"
#include "xlb_maglev.h"

static char xlbctl[PATH_MAX];
static int xc_counter;

struct xc {
	char pin_dir[64];
	char ns[32];
	char out[16384]; /* stdout and stderr of the last command */
	struct xlb_dpmaps m;
	int have_maps;
};

/* Runs a shell command; its stdout and stderr land in t->out. */
static int run(struct xc *t, const char *cmd)
{
	size_t n;
	FILE *p;
	int rc;

	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(t->out, 1, sizeof(t->out) - 1, p);
	t->out[n] = '\0';
	rc = pclose(p);
	print_message("$ %s\n%s", cmd, t->out);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Runs "xlbctl -p PIN_DIR <args>", inside t->ns when in_ns; returns the
 * exit status. */
static int ctl(struct xc *t, int in_ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ctl(struct xc *t, int in_ns, const char *fmt, ...)
{
	char args[1024], cmd[PATH_MAX + 1200], prefix[64] = "";
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (in_ns)
		snprintf(prefix, sizeof(prefix), "ip netns exec %s ", t->ns);
	n = snprintf(cmd, sizeof(cmd), "%s%s -p %s %s 2>&1", prefix, xlbctl,
		     t->pin_dir, args);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	return run(t, cmd);
}

static void ctl_ok(struct xc *t, const char *args)
{
	if (ctl(t, 0, "%s", args) != 0)
		fail_msg("xlbctl %s failed: %s", args, t->out);
}

/* Exit status 1 and every needle in the message. */
static void ctl_fails(struct xc *t, const char *args, const char *needle)
{
	assert_int_equal(ctl(t, 0, "%s", args), 1);
	if (!strstr(t->out, needle))
		fail_msg("'%s' not in: %s", needle, t->out);
}

static void out_has(const struct xc *t, const char *line)
{
	if (!strstr(t->out, line))
		fail_msg("'%s' not in: %s", line, t->out);
}

static int setup(void **state)
{
	struct xc *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "/run/xlbt_ctl_%d_%d",
		 (int)getpid(), ++xc_counter);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct xc *t = *state;
	int rc = 0;

	if (t->have_maps)
		xlb_dpmaps_close(&t->m);
	if (xlb_dp_unpin(t->pin_dir)) {
		fprintf(stderr, "test_xlbctl: unpin: %s\n", xlb_errmsg());
		rc = -1;
	}
	if (t->ns[0]) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "ip netns del %s", t->ns);
		if (system(cmd))
			rc = -1;
	}
	free(t);
	return rc;
}

/* Loads a small datapath and opens its maps for checking. */
static void load(struct xc *t)
{
	ctl_ok(t, "load --services 8 --backends 64 --conntrack 256 --frags 16");
	assert_int_equal(xlb_dpmaps_open_pinned(t->pin_dir, &t->m), 0);
	t->have_maps = 1;
}

static union xlb_addr v4(__u32 host)
{
	union xlb_addr a;

	memset(&a, 0, sizeof(a));
	a.v4 = htonl(host);
	return a;
}

static struct xlb_vip_key vkey(__u32 vip, __u8 proto, __u16 port)
{
	struct xlb_vip_key k;

	memset(&k, 0, sizeof(k));
	k.addr = v4(vip);
	k.family = XLB_FAM_V4;
	k.proto = proto;
	k.port = htons(port);
	return k;
}

static void test_errors_name_the_field(void **state)
{
	struct xc *t = *state;

	ctl_fails(t, "stats", "no datapath pinned in");
	ctl_fails(t, "load --services 70000", "--services 70000");
	ctl_fails(t, "load --backends x", "--backends 'x'");
	ctl_fails(t, "frobnicate", "unknown command 'frobnicate'");
	ctl_fails(t, "attach", "IFNAME");
	load(t);
	ctl_fails(t, "load --services 9", "services=9");
	ctl_fails(t, "config --mtu 10", "--mtu 10");
	ctl_fails(t, "config --ttl 256", "--ttl 256");
	ctl_fails(t, "config --src-mac 02:00:00:00:00", "02:00:00:00:00");
	ctl_fails(t, "config --src4 198.51.100.1/24", "198.51.100.1/24");
	ctl_fails(t, "config --src6 2001:db8::/64", "PLEN must be 96..128");
	ctl_fails(t, "config --echo maybe", "--echo 'maybe'");
	ctl_fails(t, "config --nope 1", "--nope");
	ctl_fails(t, "service add 198.51.100.1 sctp 80 --id 1 "
		     "--backend 1=192.0.2.1", "protocol 'sctp'");
	ctl_fails(t, "service add 198.51.100.300 tcp 80 --id 1 "
		     "--backend 1=192.0.2.1", "VIP '198.51.100.300'");
	ctl_fails(t, "service add 198.51.100.1 tcp 70000 --id 1 "
		     "--backend 1=192.0.2.1", "PORT 70000");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 9 "
		     "--backend 1=192.0.2.1", "--id 9: must be 1..8");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --backend 1=192.0.2.1",
		  "--id is required");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1 --ring 100 "
		     "--backend 1=192.0.2.1", "--ring 100");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1", "--backend");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1 "
		     "--backend 1=nonsense", "'nonsense'");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1 "
		     "--backend 65=192.0.2.1", "--backend ID 65");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1 "
		     "--backend 1=192.0.2.1@x", "--backend WEIGHT 'x'");
	ctl_fails(t, "service add 2001:db8::1 tcp 80 --id 1 "
		     "--backend 1=192.0.2.1", "IPv4 backend");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1 "
		     "--backend 1=192.0.2.1 --backend 1=192.0.2.2", "ID 1");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 1 "
		     "--backend 1=192.0.2.1@0", "weight 0");
	ctl_fails(t, "service del 198.51.100.1 tcp 80", "no such service");
	ctl_fails(t, "backend state 1 sleepy", "state 'sleepy'");
	ctl_fails(t, "backend state 3 down", "backend ID 3");
	ctl_fails(t, "detach v9", "v9");
}

/* The table xlbctl switched in equals the one the Maglev builder makes
 * from the same backends. */
static void expect_table(struct xc *t, __u32 svc_id,
			 const struct xlb_maglev_backend *bes, size_t n,
			 __u32 m)
{
	__u32 *want = calloc(m, sizeof(__u32)), *got = calloc(m, sizeof(__u32));
	__u32 size = 0;

	assert_non_null(want);
	assert_non_null(got);
	assert_int_equal(xlb_maglev_build(bes, n, m, want), 0);
	assert_int_equal(xlb_dpmap_ring_read(&t->m, svc_id, got, m, &size), 0);
	assert_int_equal(size, m);
	assert_memory_equal(got, want, m * sizeof(__u32));
	free(want);
	free(got);
}

static void expect_backend(struct xc *t, __u32 id, const union xlb_addr *a,
			   __u8 fam, __u32 svc_id, __u8 state)
{
	struct xlb_backend be;

	assert_int_equal(bpf_map_lookup_elem(t->m.backends, &id, &be), 0);
	assert_memory_equal(&be.addr, a, sizeof(*a));
	assert_int_equal(be.family, fam);
	assert_int_equal(be.svc_id, svc_id);
	assert_int_equal(be.state, state);
}

static void test_service_add_update_del(void **state)
{
	struct xc *t = *state;
	struct xlb_maglev_backend bes[3];
	struct xlb_vip_key key = vkey(0xc6336401, IPPROTO_TCP, 80);
	struct xlb_vip_key marker = vkey(0xc6336401, 0, 0);
	struct xlb_service svc;
	union xlb_addr a6;
	__u32 size;

	load(t);
	ctl_ok(t, "service add 198.51.100.1 tcp 80 --id 2 --ring 13 --hash-src "
		  "--backend 5=192.0.2.1 --backend 6=192.0.2.2:8080@3 "
		  "--backend 7=[2001:db8::7]");
	memset(bes, 0, sizeof(bes));
	bes[0] = (struct xlb_maglev_backend){ .addr = v4(0xc0000201),
		.family = XLB_FAM_V4, .port = 80, .weight = 1, .id = 5 };
	bes[1] = (struct xlb_maglev_backend){ .addr = v4(0xc0000202),
		.family = XLB_FAM_V4, .port = 8080, .weight = 3, .id = 6 };
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", a6.b), 1);
	bes[2] = (struct xlb_maglev_backend){ .addr = a6,
		.family = XLB_FAM_V6, .port = 80, .weight = 1, .id = 7 };
	expect_table(t, 2, bes, 3, 13);
	expect_backend(t, 5, &bes[0].addr, XLB_FAM_V4, 2, XLB_BE_ACTIVE);
	expect_backend(t, 7, &a6, XLB_FAM_V6, 2, XLB_BE_ACTIVE);
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &key, &svc), 0);
	assert_int_equal(svc.id, 2);
	assert_int_equal(svc.flags, XLB_SVC_F_HASH_SRC);
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &marker, &svc), 0);
	assert_int_equal(svc.id, 0);
	assert_int_equal(xlb_dpmap_filter_test(&t->m, &key.addr, XLB_FAM_V4), 1);

	/* The same service again with one backend less, default ring. */
	ctl_ok(t, "service add 198.51.100.1 tcp 80 --id 2 "
		  "--backend 5=192.0.2.1 --backend 6=192.0.2.2:8080@3");
	expect_table(t, 2, bes, 2, XLB_DEF_RING);
	expect_backend(t, 7, &a6, XLB_FAM_V6, 2, XLB_BE_REMOVED);
	expect_backend(t, 6, &bes[1].addr, XLB_FAM_V4, 2, XLB_BE_ACTIVE);
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &key, &svc), 0);
	assert_int_equal(svc.flags, 0);

	/* Ids belong to one service. */
	ctl_fails(t, "service add 198.51.100.1 udp 53 --id 2 "
		     "--backend 8=192.0.2.8", "--id 2: already used");
	ctl_fails(t, "service add 198.51.100.1 udp 53 --id 3 "
		     "--backend 5=192.0.2.8", "--backend ID 5: already used");
	ctl_fails(t, "service add 198.51.100.1 tcp 80 --id 3 "
		     "--backend 8=192.0.2.8", "already has id 2");

	/* A second service on the VIP keeps the marker when the first goes. */
	ctl_ok(t, "service add 198.51.100.1 udp 0 --id 3 --ring 7 "
		  "--backend 8=192.0.2.8");
	ctl_ok(t, "backend state 6 drain");
	expect_backend(t, 6, &bes[1].addr, XLB_FAM_V4, 2, XLB_BE_DRAIN);
	ctl_ok(t, "service del 198.51.100.1 tcp 80");
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &key, &svc),
			 -ENOENT);
	assert_int_equal(xlb_dpmap_ring_read(&t->m, 2, NULL, 0, &size),
			 -ENOENT);
	expect_backend(t, 5, &bes[0].addr, XLB_FAM_V4, 2, XLB_BE_REMOVED);
	expect_backend(t, 6, &bes[1].addr, XLB_FAM_V4, 2, XLB_BE_REMOVED);
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &marker, &svc), 0);
	ctl_ok(t, "service del 198.51.100.1 udp 0");
	assert_int_equal(bpf_map_lookup_elem(t->m.services, &marker, &svc),
			 -ENOENT);
}

static void test_config(void **state)
{
	struct xc *t = *state;
	struct xlb_config cfg;
	union xlb_addr a6;
	__u32 key = 0;

	load(t);
	/* A fresh datapath starts with a usable MTU and TTL. */
	ctl_ok(t, "config");
	out_has(t, "mtu 1500\n");
	out_has(t, "ttl 64\n");
	out_has(t, "echo off\n");
	ctl_ok(t, "config --src-mac 02:00:00:00:00:0A --nh-mac 02:00:00:00:00:0b "
		  "--src4 192.0.2.16/28 --src6 2001:db8::1:0/112 --mtu 1400 "
		  "--echo on");
	out_has(t, "src_mac 02:00:00:00:00:0a\n");
	out_has(t, "nh_mac 02:00:00:00:00:0b\n");
	out_has(t, "src4 192.0.2.16/28\n");
	out_has(t, "src6 2001:db8::1:0/112\n");
	out_has(t, "mtu 1400\n");
	out_has(t, "echo on\n");
	assert_int_equal(bpf_map_lookup_elem(t->m.config, &key, &cfg), 0);
	assert_int_equal(cfg.src_mac[5], 0x0a);
	assert_int_equal(cfg.nh_mac[5], 0x0b);
	assert_int_equal(cfg.src_v4, htonl(0xc0000210));
	assert_int_equal(cfg.src_v4_mask, htonl(0xf));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1:0", a6.b), 1);
	assert_memory_equal(&cfg.src_v6, &a6, sizeof(a6));
	assert_int_equal(cfg.src_v6_mask, htonl(0xffff));
	assert_int_equal(cfg.mtu, 1400);
	assert_int_equal(cfg.ttl, 64);
	assert_int_equal(cfg.flags, XLB_CFG_F_ECHO_REPLY);

	/* Unspecified fields keep their value; a bare address is one fixed
	 * source. */
	ctl_ok(t, "config --ttl 9 --src4 192.0.2.99 --echo off");
	assert_int_equal(bpf_map_lookup_elem(t->m.config, &key, &cfg), 0);
	assert_int_equal(cfg.ttl, 9);
	assert_int_equal(cfg.mtu, 1400);
	assert_int_equal(cfg.src_v4, htonl(0xc0000263));
	assert_int_equal(cfg.src_v4_mask, 0);
	assert_int_equal(cfg.src_v6_mask, htonl(0xffff));
	assert_int_equal(cfg.flags, 0);
	out_has(t, "src4 192.0.2.99/32\n");
}

static void put_percpu_u64s(int fd, __u32 key, size_t words, __u64 v)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals = calloc((size_t)ncpu * words, sizeof(__u64));
	size_t i;

	assert_non_null(vals);
	for (i = 0; i < words; i++)
		vals[i] = v + i; /* CPU 0 only */
	assert_int_equal(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	free(vals);
}

static void test_stats_and_conntrack(void **state)
{
	struct xc *t = *state;
	struct xlb_flow_key k;
	struct xlb_flow f = { .backend_id = 5, .hash = 1 };
	int i;

	load(t);
	put_percpu_u64s(t->m.stats, XLB_R_FORWARDED, 1, 41);
	put_percpu_u64s(t->m.svc_stats, 3, 4, 10);
	put_percpu_u64s(t->m.be_stats, 64, 2, 20);
	ctl_ok(t, "stats");
	out_has(t, "passed 0\n");
	out_has(t, "forwarded 41\n");
	out_has(t, "encap_fail 0\n");
	out_has(t, "service.3.packets 10\nservice.3.bytes 11\n"
		   "service.3.new_flows 12\nservice.3.drops 13\n");
	out_has(t, "backend.64.packets 20\nbackend.64.bytes 21\n");
	assert_null(strstr(t->out, "service.1."));
	for (i = 0; i < XLB_R_MAX; i++) {
		char line[64];

		snprintf(line, sizeof(line), "%s ", xlb_reason_name(i));
		out_has(t, line);
	}

	memset(&k, 0, sizeof(k));
	k.src = v4(0xcb007105);
	k.dst = v4(0xc6336401);
	k.sport = htons(40000);
	k.dport = htons(80);
	k.proto = IPPROTO_TCP;
	k.family = XLB_FAM_V4;
	assert_int_equal(xlb_dpmap_ct_put(&t->m, &k, &f), 0);
	memset(&k.src, 0, sizeof(k.src));
	memset(&k.dst, 0, sizeof(k.dst));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::c", k.src.b), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", k.dst.b), 1);
	k.proto = IPPROTO_UDP;
	k.family = XLB_FAM_V6;
	f.backend_id = 6;
	assert_int_equal(xlb_dpmap_ct_put(&t->m, &k, &f), 0);
	ctl_ok(t, "conntrack");
	out_has(t, "tcp 203.0.113.5:40000 -> 198.51.100.1:80 5\n");
	out_has(t, "udp [2001:db8::c]:40000 -> [2001:db8::1]:80 6\n");
}

/* The lab's way: pins in a folder outside /sys (mounted by the first
 * load, from the root namespace), attach from inside `ip netns exec`. */
static void test_attach_in_netns(void **state)
{
	struct xc *t = *state;
	char cmd[256];
	__u32 id1, id2;

	snprintf(t->ns, sizeof(t->ns), "xlbt_ctl_%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link add v0 "
		 "type veth peer name v1 && ip -n %s link set v0 up && "
		 "ip -n %s link set v1 up", t->ns, t->ns, t->ns, t->ns);
	assert_int_equal(system(cmd), 0);
	load(t);
	assert_int_equal(ctl(t, 1, "attach v0 --mode native"), 0);
	assert_string_equal(t->out, "native\n");
	assert_int_equal(ctl(t, 1, "attach v1"), 0);
	assert_string_equal(t->out, "native\n");
	assert_int_equal(ctl(t, 1, "attach v1 --mode generic"), 1);
	out_has(t, "detach it before");

	/* Attached programs outlive xlbctl; attaching again swaps them. */
	snprintf(cmd, sizeof(cmd), "ip -n %s link show v0 | "
		 "sed -n 's/.*prog\\/xdp id \\([0-9]*\\).*/\\1/p'", t->ns);
	assert_int_equal(run(t, cmd), 0);
	id1 = (__u32)strtoul(t->out, NULL, 10);
	assert_true(id1 > 0);
	assert_int_equal(ctl(t, 1, "attach v0"), 0);
	assert_int_equal(run(t, cmd), 0);
	id2 = (__u32)strtoul(t->out, NULL, 10);
	assert_true(id2 > 0);
	assert_int_not_equal(id1, id2);

	assert_int_equal(ctl(t, 1, "detach v0"), 0);
	assert_int_equal(run(t, cmd), 0);
	assert_string_equal(t->out, "");
	/* unpin (in teardown, and here) detaches what is left. */
	assert_int_equal(ctl(t, 0, "unpin"), 0);
	snprintf(cmd, sizeof(cmd), "ip -n %s link show v1 | grep -q xdp",
		 t->ns);
	assert_int_not_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_errors_name_the_field),
		T(test_service_add_update_del),
		T(test_config),
		T(test_stats_and_conntrack),
		T(test_attach_in_netns),
	};
	char self[PATH_MAX];

	(void)argc;
	if (!realpath(argv[0], self)) {
		fprintf(stderr, "test_xlbctl: cannot resolve %s\n", argv[0]);
		return 1;
	}
	/* BUILD/tests/test_xlbctl -> BUILD/xlbctl */
	snprintf(xlbctl, sizeof(xlbctl), "%s/../xlbctl", dirname(self));
	if (access(xlbctl, X_OK)) {
		fprintf(stderr, "test_xlbctl: %s not built\n", xlbctl);
		return 1;
	}
	if (geteuid() != 0)
		fprintf(stderr, "test_xlbctl: needs root (BPF, netns); the "
				"tests below will fail\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
