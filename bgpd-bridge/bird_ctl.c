// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bird_ctl.c - one command over BIRD's control socket (`bird -s PATH`,
 * what birdc talks to), spoken from here rather than by running birdc:
 * no process per change, and the reply's codes are read, not its text.
 *
 * A connection per command: BIRD may have restarted since the last one,
 * and a new connection is what birdc would make too.  BIRD greets with
 * 0001, then answers each line sent.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

struct conn {
	int fd;
	const char *path;
	double deadline;
	char buf[4096];
	size_t have, off; /* buf[off..have) not yet parsed */
};

static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return xlb_errmsg_set(-ENAMETOOLONG, "BIRD's control socket "
				      "%s: path too long", c->path);
	strcpy(sa.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return xlb_errmsg_set(-errno, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return xlb_errmsg_set(-errno, "BIRD's control socket %s: %s",
				      c->path, strerror(errno));
	return 0;
}

/* More bytes into buf, waiting until the deadline. */
static int conn_fill(struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	double left = c->deadline - xlb_now_ms();
	int ready = left > 0 ? poll(&pfd, 1, (int)left + 1) : 0;
	ssize_t n;

	if (ready < 0 && errno == EINTR)
		return 0; /* a signal: the caller comes back, deadline kept */
	if (ready == 0)
		return xlb_errmsg_set(-ETIMEDOUT, "BIRD's control socket %s: "
				      "no complete reply in time", c->path);
	n = read(c->fd, c->buf, sizeof(c->buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return xlb_errmsg_set(-errno, "BIRD's control socket %s: %s",
				      c->path, strerror(errno));
	if (n == 0)
		return xlb_errmsg_set(-ECONNRESET, "BIRD closed its control "
				      "socket %s mid-reply", c->path);
	c->have = (size_t)n;
	c->off = 0;
	return 0;
}

static int conn_reply(struct conn *c, struct bird_reply *r)
{
	int err;

	bird_reply_init(r);
	for (;;) {
		if (c->off < c->have) {
			long used = bird_reply_feed(r, c->buf + c->off,
						    c->have - c->off);

			if (used < 0)
				return (int)used;
			c->off += (size_t)used;
			if (r->done)
				return 0;
		}
		err = conn_fill(c);
		if (err)
			return err;
	}
}

static int conn_send(struct conn *c, const char *cmd)
{
	char line[512];
	size_t len, off = 0;

	len = (size_t)snprintf(line, sizeof(line), "%s\n", cmd);
	if (len >= sizeof(line))
		return xlb_errmsg_set(-E2BIG, "BIRD command too long");
	while (off < len) {
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return xlb_errmsg_set(-errno, "BIRD's control socket "
					      "%s: %s", c->path,
					      strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

int bird_ctl_command(const char *socket_path, const char *cmd,
		     struct bird_reply *r, int timeout_ms)
{
	struct conn c = { .fd = -1, .path = socket_path,
			  .deadline = xlb_now_ms() + timeout_ms };
	int err = conn_open(&c);

	if (!err)
		err = conn_reply(&c, r);
	if (!err && r->final != 1)
		err = xlb_errmsg_set(-EPROTO, "BIRD's control socket %s greeted "
				     "with %04d %s, not 0001", socket_path,
				     r->final, r->text);
	if (!err)
		err = conn_send(&c, cmd);
	if (!err)
		err = conn_reply(&c, r);
	if (c.fd >= 0)
		close(c.fd);
	return err;
}
