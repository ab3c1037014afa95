// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_notify.c - sd_notify(3)'s protocol: one datagram of "KEY=value"
 * lines to the AF_UNIX socket named by $NOTIFY_SOCKET ('@' first: an
 * abstract name).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xlb_errmsg.h"
#include "xlb_notify.h"

/* Fills sa from $NOTIFY_SOCKET; returns its length, 0 when unset. */
static int notify_addr(struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!path || !*path)
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa->sun_path))
		return xlb_errmsg_set(-EINVAL, "NOTIFY_SOCKET=%s: not a unix "
				      "socket path", path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			   (path[0] == '/'));
	return 1;
}

int xlb_notify(const char *state)
{
	struct sockaddr_un sa;
	socklen_t len = 0;
	ssize_t sent;
	int fd, err;

	err = notify_addr(&sa, &len);
	if (err <= 0)
		return err;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xlb_errmsg_set(-errno, "notify socket: %s",
				      strerror(errno));
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		      (struct sockaddr *)&sa, len);
	err = sent < 0 ? -errno : 0;
	close(fd);
	if (err)
		return xlb_errmsg_set(err, "notify %s: %s",
				      getenv("NOTIFY_SOCKET"), strerror(-err));
	return 0;
}

unsigned long xlb_notify_watchdog_ms(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long us;
	char *end;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (errno || *end || us == 0)
		return 0;
	return (unsigned long)(us / 2000 ? us / 2000 : 1);
}
