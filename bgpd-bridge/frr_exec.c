// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * frr_exec.c - running vtysh and reading what it says.  vtysh is FRR's
 * supported way in: it knows where each daemon's vty socket is and speaks
 * the protocol of the installed version.  Its output (stdout and stderr
 * together: FRR reports errors on either) is collected whole, with a
 * deadline so a hung bgpd cannot hold the bridge.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

#define OUT_MAX (64u << 20) /* a running-config of 50,000 networks: ~3 MB */

/* In the child: stdout and stderr to the pipe, stdin from /dev/null; an
 * exec failure's errno goes back through errfd. */
static void child(char *const argv[], int outfd, int errfd)
{
	int null = open("/dev/null", O_RDONLY);
	int e;

	if (null >= 0)
		dup2(null, 0);
	dup2(outfd, 1);
	dup2(outfd, 2);
	execvp(argv[0], argv);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Reads fd to EOF into *buf until the deadline. */
static int collect(int fd, double deadline, char **buf, size_t *len)
{
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - xlb_now_ms();
		int ready = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue; /* a signal: the deadline still holds */
		if (ready == 0)
			return -ETIMEDOUT;
		if (*len + 4096 + 1 > cap) {
			char *p;

			cap = cap ? cap * 2 : 16384;
			if (cap > OUT_MAX || !(p = realloc(*buf, cap)))
				return -ENOMEM;
			*buf = p;
		}
		n = read(fd, *buf + *len, cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (!*buf && !(*buf = malloc(1)))
		return -ENOMEM;
	(*buf)[*len] = '\0';
	return 0;
}

int frr_exec(char *const argv[], int timeout_ms, char **out)
{
	int outp[2], errp[2], status, err, e = 0;
	size_t len;
	char *buf = NULL;
	pid_t pid;

	*out = NULL;
	if (pipe2(outp, O_CLOEXEC))
		return xlb_errmsg_set(-errno, "pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		close(outp[0]);
		close(outp[1]);
		return xlb_errmsg_set(err, "pipe: %s", strerror(-err));
	}
	pid = fork();
	if (pid == 0)
		child(argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	if (pid < 0) {
		err = -errno;
		close(outp[0]);
		close(errp[0]);
		return xlb_errmsg_set(err, "fork: %s", strerror(-err));
	}
	err = collect(outp[0], xlb_now_ms() + timeout_ms, &buf, &len);
	if (err)
		kill(pid, SIGKILL);
	close(outp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (read(errp[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
		err = -e;
	close(errp[0]);
	if (err) {
		free(buf);
		return xlb_errmsg_set(err, "%s: %s", argv[0],
				      err == -ETIMEDOUT ? "no answer in time" :
							  strerror(-err));
	}
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
