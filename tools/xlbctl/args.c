// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * args.c - error reporting and argument parsing shared by the commands.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "xlbctl.h"

int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "xlbctl: <message>" and returns the exit status for errors. */
int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("xlbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* A library failure: its recorded detail, else the errno text. */
int fail_lib(int err)
{
	const char *msg = xlb_errmsg();

	return fail("%s", msg[0] ? msg : strerror(-err));
}

int usage_error(const char *what)
{
	fail("%s", what);
	fputs(xlbctl_usage, stderr);
	return 1;
}


int parse_u32(const char *field, const char *s, __u32 min, __u32 max,
		     __u32 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		return fail("%s '%s': not a number", field, s);
	v = strtoull(s, &end, 10);
	if (*end)
		return fail("%s '%s': not a number", field, s);
	if (errno == ERANGE || v < min || v > max)
		return fail("%s %s: must be %u..%u", field, s, min, max);
	*out = (__u32)v;
	return 0;
}

int parse_vip(const char *s, union xlb_addr *a, __u8 *fam)
{
	if (xlb_addr_parse(s, a, fam))
		return fail("VIP '%s': not an IPv4 or IPv6 address", s);
	return 0;
}

int parse_proto(const char *s, __u8 *proto)
{
	if (xlb_proto_parse(s, proto))
		return fail("protocol '%s': must be tcp or udp", s);
	return 0;
}

/* VIP PROTO PORT -> a service key (port 0: all ports). */
int parse_service_key(char **argv, struct xlb_vip_key *key)
{
	__u32 port;

	memset(key, 0, sizeof(*key));
	if (parse_vip(argv[0], &key->addr, &key->family) ||
	    parse_proto(argv[1], &key->proto) ||
	    parse_u32("PORT", argv[2], 0, 65535, &port))
		return 1;
	key->port = htons((__u16)port);
	return 0;
}

/* Restarts getopt for a command's own options (argv[0] is its name). */
void getopt_reset(void)
{
	optind = 0; /* glibc: reinitialise completely */
	opterr = 0;
}

/* getopt_long said '?': an unknown option or one without its value. */
int bad_option(char **argv)
{
	return fail("option '%s': unknown, or its value is missing",
		    argv[optind - 1]);
}
