// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlb_bus.c - nng sockets on ipc:// endpoints in the runtime folder.
 *
 * Each send and receive runs on an aio of its own, so every call carries
 * its own timeout and no socket option changes under another thread.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "xlb_bus.h"
#include "xlb_errmsg.h"

#define IPC_SCHEME   "ipc://"
#define SOCKET_MODE  0660
#define RUNDIR_MODE  0750
/* A restarted peer is found again within a second or two, without a
 * dialer hammering a folder where nothing listens. */
#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 2000

#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)

enum bus_role { ROLE_PUB, ROLE_SUB, ROLE_REQ, ROLE_REP };

static const struct {
	const char *what;
	int (*open)(nng_socket *);
	int listens; /* the serving side; the other dials */
} roles[] = {
	[ROLE_PUB] = { "publisher", nng_pub0_open, 1 },
	[ROLE_SUB] = { "subscriber", nng_sub0_open, 0 },
	[ROLE_REQ] = { "requester", nng_req0_open, 0 },
	[ROLE_REP] = { "replier", nng_rep0_open, 1 },
};

/* nng's error numbers as errno values. */
static const struct {
	int nng, err;
} nng_errs[] = {
	{ NNG_EINTR, EINTR },		{ NNG_ENOMEM, ENOMEM },
	{ NNG_EINVAL, EINVAL },		{ NNG_EBUSY, EBUSY },
	{ NNG_ETIMEDOUT, ETIMEDOUT },	{ NNG_ECONNREFUSED, ECONNREFUSED },
	{ NNG_ECLOSED, EBADF },		{ NNG_EAGAIN, EAGAIN },
	{ NNG_ENOTSUP, ENOTSUP },	{ NNG_EADDRINUSE, EADDRINUSE },
	{ NNG_ESTATE, EPROTO },		{ NNG_ENOENT, ENOENT },
	{ NNG_EPROTO, EPROTO },		{ NNG_EUNREACHABLE, EHOSTUNREACH },
	{ NNG_EADDRINVAL, EINVAL },	{ NNG_EPERM, EPERM },
	{ NNG_EMSGSIZE, EMSGSIZE },	{ NNG_ECONNABORTED, ECONNABORTED },
	{ NNG_ECONNRESET, ECONNRESET }, { NNG_ECANCELED, ECANCELED },
	{ NNG_ENOFILES, EMFILE },	{ NNG_ENOSPC, ENOSPC },
	{ NNG_EEXIST, EEXIST },		{ NNG_EREADONLY, EACCES },
	{ NNG_EWRITEONLY, EACCES },	{ NNG_ECONNSHUT, ESHUTDOWN },
};

static int errno_of(int rv)
{
	size_t i;

	if (rv & NNG_ESYSERR)
		return -(rv & ~NNG_ESYSERR);
	for (i = 0; i < sizeof(nng_errs) / sizeof(nng_errs[0]); i++)
		if (nng_errs[i].nng == rv)
			return -nng_errs[i].err;
	return -EIO;
}

/* Records "<what> <where>: <nng's text>"; returns the errno. */
static int bus_fail(int rv, const char *what, const char *where)
{
	return xlb_errmsg_set(errno_of(rv), "%s %s: %s", what, where,
			      nng_strerror(rv));
}

static int sock_fail(int rv, const char *what, struct xlb_bus bus)
{
	char where[32];

	snprintf(where, sizeof(where), "bus socket %u", bus.id);
	return bus_fail(rv, what, where);
}

static nng_socket sock_of(struct xlb_bus bus)
{
	nng_socket s = { .id = bus.id };

	return s;
}

static nng_duration duration_of(int timeout_ms)
{
	return timeout_ms < 0 ? NNG_DURATION_INFINITE : timeout_ms;
}

/* ---- paths -------------------------------------------------------------- */

static int name_ok(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > XLB_BUS_NAME_MAX || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		      name[i] == '-'))
			return 0;
	return 1;
}

int xlb_bus_path(const char *rundir, const char *name, char *buf, size_t len)
{
	size_t max = len < SUN_PATH_LEN ? len : SUN_PATH_LEN;
	int n;

	if (!rundir)
		rundir = XLB_BUS_RUNDIR;
	if (!name_ok(name))
		return xlb_errmsg_set(-EINVAL,
				      "bus endpoint name '%s': not 1..%d of [A-Za-z0-9_-] starting with no '-'",
				      name ? name : "(null)", XLB_BUS_NAME_MAX);
	if (!*rundir)
		return xlb_errmsg_set(-EINVAL, "empty runtime folder name");
	n = snprintf(buf, len, "%s/%s.ipc", rundir, name);
	if (n < 0 || (size_t)n >= max)
		return xlb_errmsg_set(-ENAMETOOLONG,
				      "socket path %s/%s.ipc: longer than %zu bytes",
				      rundir, name, max ? max - 1 : 0);
	return n;
}

/* mkdir -p: each prefix ending before a '/', then the whole path. */
static int rundir_make(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);
	struct stat st;

	if (n >= sizeof(path))
		return xlb_errmsg_set(-ENAMETOOLONG,
				      "runtime folder %s: too long", dir);
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, RUNDIR_MODE) && errno != EEXIST)
			return xlb_errmsg_set(-errno, "creating %s: %s", path,
					      strerror(errno));
		path[i] = dir[i];
	}
	if (stat(dir, &st))
		return xlb_errmsg_set(-errno, "runtime folder %s: %s", dir,
				      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return xlb_errmsg_set(-ENOTDIR,
				      "runtime folder %s: not a folder", dir);
	return 0;
}

/* ---- opening ------------------------------------------------------------ */

/* The permissions are applied by nng between bind() and listen(), so no
 * peer can connect while the file still has the umask's mode.  nng also
 * replaces a socket file nobody listens on any more. */
static int bus_listen(nng_socket s, const char *url)
{
	nng_listener l;
	int rv;

	rv = nng_listener_create(&l, s, url);
	if (!rv)
		rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS,
					  SOCKET_MODE);
	if (!rv)
		rv = nng_listener_start(l, 0);
	return rv ? bus_fail(rv, "listening on", url) : 0;
}

/* In the background: the peer may not be listening yet. */
static int bus_dial(nng_socket s, const char *url)
{
	nng_dialer d;
	int rv;

	rv = nng_dialer_create(&d, s, url);
	if (!rv)
		rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMINT, RECONNECT_MIN_MS);
	if (!rv)
		rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMAXT, RECONNECT_MAX_MS);
	if (!rv)
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	return rv ? bus_fail(rv, "dialing", url) : 0;
}

static int bus_setup(nng_socket s, enum bus_role role, const char *url)
{
	int rv;

	rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, XLB_MSG_FRAME_MAX);
	if (!rv && role == ROLE_SUB) /* every type; filtered after decoding */
		rv = nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	if (rv)
		return bus_fail(rv, "setting up a", roles[role].what);
	return roles[role].listens ? bus_listen(s, url) : bus_dial(s, url);
}

static int bus_open(struct xlb_bus *bus, enum bus_role role,
		    const char *rundir, const char *name)
{
	char url[sizeof(IPC_SCHEME) + SUN_PATH_LEN];
	const size_t skip = sizeof(IPC_SCHEME) - 1;
	nng_socket s;
	int rv, err;

	if (!rundir)
		rundir = XLB_BUS_RUNDIR;
	memcpy(url, IPC_SCHEME, skip);
	err = xlb_bus_path(rundir, name, url + skip, sizeof(url) - skip);
	if (err < 0)
		return err;
	if (roles[role].listens) {
		err = rundir_make(rundir);
		if (err)
			return err;
	}
	rv = roles[role].open(&s);
	if (rv)
		return bus_fail(rv, "opening a", roles[role].what);
	err = bus_setup(s, role, url);
	if (err) {
		nng_close(s);
		return err;
	}
	bus->id = (__u32)nng_socket_id(s);
	return 0;
}

int xlb_bus_pub_open(struct xlb_bus *bus, const char *rundir, const char *name)
{
	return bus_open(bus, ROLE_PUB, rundir, name);
}

int xlb_bus_sub_open(struct xlb_bus *bus, const char *rundir, const char *name)
{
	return bus_open(bus, ROLE_SUB, rundir, name);
}

int xlb_bus_req_open(struct xlb_bus *bus, const char *rundir, const char *name)
{
	return bus_open(bus, ROLE_REQ, rundir, name);
}

int xlb_bus_rep_open(struct xlb_bus *bus, const char *rundir, const char *name)
{
	return bus_open(bus, ROLE_REP, rundir, name);
}

int xlb_bus_close(struct xlb_bus bus)
{
	int rv = nng_close(sock_of(bus));

	return rv ? sock_fail(rv, "closing", bus) : 0;
}

/* ---- frames ------------------------------------------------------------- */

/* Waits for one send or receive on aio within timeout_ms; its result. */
static int aio_run(nng_aio *aio, struct xlb_bus bus, int timeout_ms,
		   void (*op)(nng_socket, nng_aio *))
{
	nng_aio_set_timeout(aio, duration_of(timeout_ms));
	op(sock_of(bus), aio);
	nng_aio_wait(aio);
	return nng_aio_result(aio);
}

int xlb_bus_send(struct xlb_bus bus, const void *frame, size_t len,
		 int timeout_ms)
{
	nng_msg *msg;
	nng_aio *aio;
	int rv;

	rv = nng_msg_alloc(&msg, len);
	if (rv)
		return sock_fail(rv, "sending on", bus);
	if (len)
		memcpy(nng_msg_body(msg), frame, len);
	rv = nng_aio_alloc(&aio, NULL, NULL);
	if (rv) {
		nng_msg_free(msg);
		return sock_fail(rv, "sending on", bus);
	}
	nng_aio_set_msg(aio, msg);
	rv = aio_run(aio, bus, timeout_ms, nng_send_aio);
	if (rv) /* not sent: the message is still ours */
		nng_msg_free(nng_aio_get_msg(aio));
	nng_aio_free(aio);
	return rv ? sock_fail(rv, "sending on", bus) : 0;
}

int xlb_bus_recv(struct xlb_bus bus, struct xlb_msg_buf *frame, int timeout_ms)
{
	nng_msg *msg;
	nng_aio *aio;
	int rv, err;

	rv = nng_aio_alloc(&aio, NULL, NULL);
	if (rv)
		return sock_fail(rv, "receiving on", bus);
	rv = aio_run(aio, bus, timeout_ms, nng_recv_aio);
	msg = rv ? NULL : nng_aio_get_msg(aio);
	nng_aio_free(aio);
	if (rv)
		return sock_fail(rv, "receiving on", bus);
	err = xlb_msg_buf_set(frame, nng_msg_body(msg), nng_msg_len(msg));
	nng_msg_free(msg);
	return err;
}

/* What is left of timeout_ms since start (ms of nng_clock()). */
static int remaining_ms(nng_time start, int timeout_ms)
{
	nng_time spent = nng_clock() - start;

	if (timeout_ms < 0)
		return timeout_ms;
	return spent >= (nng_time)timeout_ms ? 0 : timeout_ms - (int)spent;
}

int xlb_bus_request(struct xlb_bus bus, const struct xlb_msg_buf *req,
		    struct xlb_msg_buf *reply, int timeout_ms)
{
	nng_time start = nng_clock();
	int err;

	err = xlb_bus_send(bus, req->data, req->len, timeout_ms);
	if (err)
		return err;
	return xlb_bus_recv(bus, reply, remaining_ms(start, timeout_ms));
}

int xlb_bus_fd(struct xlb_bus bus, int *fd)
{
	int rv = nng_socket_get_int(sock_of(bus), NNG_OPT_RECVFD, fd);

	return rv ? sock_fail(rv, "getting the receive descriptor of", bus) :
		    0;
}
