// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * privs.c - giving up root after start.  Everything that needs root is
 * done by then (the database and the sockets in the runtime folder are
 * open); what probes need afterwards is CAP_NET_RAW, for ICMP through raw
 * sockets where ping sockets are refused.  So: forbid gaining more
 * (no_new_privs, set first so every thread inherits it, the library's
 * too), become the user, and keep CAP_NET_RAW alone (permitted and
 * effective) in the thread that starts the workers, which inherit it,
 * then drop it there too; threads started before (nng's) keep no
 * capability at all.  Without
 * --user hcd keeps what it was started with.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "hcd.h"
#include "xlb_errmsg.h"

static int keep_net_raw(bool keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (keep) {
		d[CAP_NET_RAW / 32].permitted = 1U << (CAP_NET_RAW % 32);
		d[CAP_NET_RAW / 32].effective = 1U << (CAP_NET_RAW % 32);
	}
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

int hcd_no_new_privs(const char *user)
{
	if (user && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return xlb_errmsg_set(-errno, "no_new_privs: %s",
				      strerror(errno));
	return 0;
}

int hcd_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (!user)
		return 0;
	if (geteuid())
		return xlb_errmsg_set(-EPERM, "--user %s: only root can "
				      "change user", user);
	pw = getpwnam(user);
	if (!pw)
		return xlb_errmsg_set(-ENOENT, "--user %s: no such user", user);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		return xlb_errmsg_set(-errno, "--user %s: %s", user,
				      strerror(errno));
	if (keep_net_raw(true))
		return xlb_errmsg_set(-errno, "--user %s: keeping CAP_NET_RAW: "
				      "%s", user, strerror(errno));
	xlb_log(XLB_LOG_INFO, "running as %s (uid %u), keeping CAP_NET_RAW only",
		user, (unsigned int)pw->pw_uid);
	return 0;
}

int hcd_drop_main_caps(const char *user)
{
	if (user && keep_net_raw(false))
		return xlb_errmsg_set(-errno, "dropping capabilities: %s",
				      strerror(errno));
	return 0;
}
