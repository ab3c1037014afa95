// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lab_httpd - a small keep-alive HTTP server for the lab's throughput
 * benchmark (tools/bench/bench_lab_rps.sh): one thread, epoll, every
 * request (anything ending in an empty line) answered with `200 OK` and
 * the server's name, on as many connections and requests as clients open.
 * The lab's python backends answer a few thousand requests a second; this
 * one answers enough that the path in front of it, not the server, is
 * what a benchmark measures.
 *
 *   lab_httpd --name NAME --port PORT [--ready FILE] ADDRESS...
 *
 * Listens on PORT of every ADDRESS (bound to the address, not the
 * wildcard: behind a load balancer with direct server return the answer
 * must leave from the VIP).  FILE is created once every socket listens.
 * Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTEN 16
#define BUF_SIZE   4096
#define MAX_EVENTS 64

/* A listening socket (listener set) or a client's connection. */
struct conn {
	int fd;
	int listener;
	size_t len;
	char buf[BUF_SIZE];
};

static char answer[256];
static size_t answer_len;

static int listen_on(const char *addr, unsigned int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "lab_httpd: address \"%s\" is not IPv4 or IPv6\n", addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 1024)) {
		fprintf(stderr, "lab_httpd: %s port %u: %s\n", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd;
}

static void accept_all(int ep, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *c;

		if (fd < 0)
			return; /* EAGAIN: all taken; anything else: try later */
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
		}
	}
}

/* Answers every complete request in the buffer; keeps a partial one. */
static int answer_requests(struct conn *c)
{
	char *end;

	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		size_t used = (size_t)(end - c->buf) + 4;

		if (write(c->fd, answer, answer_len) != (ssize_t)answer_len)
			return -1; /* a client that does not read: drop it */
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	return c->len == sizeof(c->buf) ? -1 : 0; /* a header too long */
}

static void serve(struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || (c->len += (size_t)n, answer_requests(c))) {
			close(c->fd); /* also leaves the epoll set */
			free(c);
			return;
		}
	}
}

static int run(int ep)
{
	struct epoll_event ev[MAX_EVENTS];

	for (;;) {
		int n = epoll_wait(ep, ev, MAX_EVENTS, -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;

			if (c->listener)
				accept_all(ep, c->fd);
			else
				serve(c);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "ready", required_argument, NULL, 'r' },
		{ 0 }
	};
	const char *name = NULL, *ready = NULL;
	unsigned long port = 0;
	int c, ep;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'r': ready = optarg; break;
		default: return 2;
		}
	}
	if (!name || strlen(name) > 64 || port < 1 || port > 65535 || optind >= argc ||
	    argc - optind > MAX_LISTEN) {
		fprintf(stderr, "usage: lab_httpd --name NAME --port PORT [--ready FILE] "
			"ADDRESS... (at most %d)\n", MAX_LISTEN);
		return 2;
	}
	answer_len = (size_t)snprintf(answer, sizeof(answer),
				      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				      "Content-Length: %zu\r\n\r\n%s\n", strlen(name) + 1, name);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	for (int i = optind; i < argc; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *l = calloc(1, sizeof(*l)); /* lives as long as we do */

		if (!l)
			return 1;
		l->listener = 1;
		l->fd = listen_on(argv[i], (unsigned int)port);
		if (l->fd < 0)
			return 1;
		ev.data.ptr = l;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev))
			return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fclose(f))
			return 1;
	}
	return run(ep) ? 1 : 0;
}
