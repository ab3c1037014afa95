// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_bgpd_datapath.c - bgpd-bridge's "is the XDP program attached"
 * (datapath.c) against the real loader and kernel: a link pinned by
 * xlb_dp_attach on a veth counts, with its interface's name; detached
 * (the pin removed, as `lbd detach` does) it does not; a link whose
 * interface was deleted stays pinned but is attached to nothing and does
 * not count; a pin folder that is not there is 0 links.  The same without
 * the rights to open a pinned link (a process dropped to nobody), where
 * the interface named by the pin is asked for its XDP program.
 *
 * Needs root and BPF; fails (never skips) without them.  Every test works
 * in its own pin folder and network namespace named after the PID, and
 * removes both in its teardown whether it passed or not.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../bgpd-bridge/datapath.c"
#include "xlb_loader.h"

struct dt {
	char pin_dir[128];
	char ns[32];
	int saved_ns;
	struct xlb_dp *dp;
};

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

/* A namespace with a veth pair v0/v1, up; the test then runs inside it. */
static int setup(void **state)
{
	struct dt *t = calloc(1, sizeof(*t));
	char path[64];
	int fd;

	if (!t)
		return -1;
	*state = t;
	t->saved_ns = -1;
	snprintf(t->pin_dir, sizeof(t->pin_dir), "/sys/fs/bpf/xlbt_bgpd_%d",
		 (int)getpid());
	snprintf(t->ns, sizeof(t->ns), "xlbt_bgpd_%d", (int)getpid());
	if (sh("ip netns add %s && ip -n %s link add v0 type veth peer name v1 "
	       "&& ip -n %s link set v0 up && ip -n %s link set v1 up", t->ns,
	       t->ns, t->ns, t->ns))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", t->ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	t->saved_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || t->saved_ns < 0 || setns(fd, CLONE_NEWNET))
		return -1;
	close(fd);
	return xlb_dp_open(&(struct xlb_dp_opts){ .pin_dir = t->pin_dir },
			   &t->dp);
}

static int teardown(void **state)
{
	struct dt *t = *state;
	int rc = 0;

	if (t->saved_ns >= 0) {
		rc |= setns(t->saved_ns, CLONE_NEWNET);
		close(t->saved_ns);
	}
	xlb_dp_close(t->dp);
	if (xlb_dp_unpin(t->pin_dir)) {
		fprintf(stderr, "test_bgpd_datapath: unpin %s: %s\n", t->pin_dir,
			xlb_errmsg());
		rc = -1;
	}
	if (t->ns[0] && sh("ip netns del %s", t->ns))
		rc = -1;
	free(t);
	return rc;
}

static void test_attached_then_detached(void **state)
{
	struct dt *t = *state;
	char ifname[32] = "";

	assert_int_equal(datapath_attached(t->pin_dir, ifname, sizeof(ifname)),
			 0);
	assert_int_equal(xlb_dp_attach(t->dp, "v0", XLB_XDP_NATIVE, NULL), 0);
	assert_int_equal(datapath_attached(t->pin_dir, ifname, sizeof(ifname)),
			 1);
	assert_string_equal(ifname, "v0");
	assert_int_equal(xlb_dp_attach(t->dp, "v1", XLB_XDP_NATIVE, NULL), 0);
	assert_int_equal(datapath_attached(t->pin_dir, NULL, 0), 2);
	/* What `lbd detach` does. */
	assert_int_equal(xlb_dp_detach(t->pin_dir, "v0"), 0);
	assert_int_equal(xlb_dp_detach(t->pin_dir, "v1"), 0);
	assert_int_equal(datapath_attached(t->pin_dir, ifname, sizeof(ifname)),
			 0);
}

/* The interface goes away: the pin stays, the link serves nothing. */
static void test_interface_gone(void **state)
{
	struct dt *t = *state;
	char path[256];

	assert_int_equal(xlb_dp_attach(t->dp, "v0", XLB_XDP_NATIVE, NULL), 0);
	assert_int_equal(datapath_attached(t->pin_dir, NULL, 0), 1);
	assert_int_equal(sh("ip -n %s link del v0", t->ns), 0);
	snprintf(path, sizeof(path), "%s/link_v0", t->pin_dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(datapath_attached(t->pin_dir, NULL, 0), 0);
}

/* datapath_attached in a child that dropped to nobody: no CAP_BPF, no
 * write access to the pin; its exit status is the count (100: error). */
static int unprivileged_count(const char *pin_dir)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int n;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(101);
		n = datapath_attached(pin_dir, NULL, 0);
		_exit(n < 0 ? 100 : n);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Without the rights to open the link, the interface is asked. */
static void test_unprivileged(void **state)
{
	struct dt *t = *state;

	assert_int_equal(chmod(t->pin_dir, 0755), 0);
	assert_int_equal(unprivileged_count(t->pin_dir), 0);
	assert_int_equal(xlb_dp_attach(t->dp, "v0", XLB_XDP_NATIVE, NULL), 0);
	assert_int_equal(unprivileged_count(t->pin_dir), 1);
	assert_int_equal(xlb_dp_detach(t->pin_dir, "v0"), 0);
	assert_int_equal(unprivileged_count(t->pin_dir), 0);
	assert_int_equal(xlb_dp_attach(t->dp, "v0", XLB_XDP_NATIVE, NULL), 0);
	assert_int_equal(sh("ip -n %s link del v0", t->ns), 0);
	assert_int_equal(unprivileged_count(t->pin_dir), 0);
}

static void test_no_pin_folder(void **state)
{
	(void)state;
	assert_int_equal(datapath_attached("/sys/fs/bpf/xlbt_bgpd_none", NULL,
					   0), 0);
	assert_int_equal(datapath_attached("/nonexistent/pins", NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attached_then_detached,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged, setup,
						teardown),
		cmocka_unit_test(test_no_pin_folder),
	};

	if (geteuid() != 0)
		fprintf(stderr, "test_bgpd_datapath: needs root (BPF, netns); "
				"the tests below will fail\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
