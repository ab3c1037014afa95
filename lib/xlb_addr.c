// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_addr.c - parsing and canonical formatting of addresses and friends. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xlb_addr.h"

/* Strict unsigned decimal: digits only, no sign, no blanks, at most max. */
static int parse_decimal(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max) /* also stops overflow on long strings */
			return -ERANGE;
	}
	*out = v;
	return 0;
}

unsigned int xlb_addr_bits(__u8 family)
{
	if (family == XLB_FAM_V4)
		return 32;
	if (family == XLB_FAM_V6)
		return 128;
	return 0;
}

int xlb_addr_parse(const char *s, union xlb_addr *addr, __u8 *family)
{
	union xlb_addr a;

	memset(&a, 0, sizeof(a));
	/* The family is decided by the spelling, never by the value: an
	 * IPv4-mapped IPv6 address is IPv6. */
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.b) != 1)
			return -EINVAL;
		*family = XLB_FAM_V6;
	} else {
		/* glibc's inet_pton takes only the four-part dotted decimal
		 * form: no octal, hex or shortened spellings. */
		if (inet_pton(AF_INET, s, &a.v4) != 1)
			return -EINVAL;
		*family = XLB_FAM_V4;
	}
	*addr = a;
	return 0;
}

int xlb_addr_format(const union xlb_addr *addr, __u8 family, char *buf,
		    size_t len)
{
	char tmp[XLB_ADDR_STRLEN];
	int af;

	if (family == XLB_FAM_V4)
		af = AF_INET;
	else if (family == XLB_FAM_V6)
		af = AF_INET6;
	else
		return -EAFNOSUPPORT;
	if (!inet_ntop(af, addr->b, tmp, sizeof(tmp)))
		return -errno;
	if (strlen(tmp) >= len)
		return -ENOSPC;
	strcpy(buf, tmp);
	return (int)strlen(buf);
}

int xlb_prefix_hostmask(__u8 family, unsigned int plen, union xlb_addr *mask)
{
	unsigned int bits = xlb_addr_bits(family), i;

	if (!bits)
		return -EAFNOSUPPORT;
	if (plen > bits)
		return -ERANGE;
	memset(mask, 0, sizeof(*mask));
	for (i = plen; i < bits; i++)
		mask->b[i / 8] |= (__u8)(0x80 >> (i % 8));
	return 0;
}

int xlb_prefix_parse(const char *s, union xlb_addr *addr, __u8 *family,
		     unsigned int *plen)
{
	char abuf[XLB_ADDR_STRLEN];
	union xlb_addr a, host;
	const char *slash = strchr(s, '/');
	unsigned long len;
	size_t alen, i;
	__u8 fam;
	int err;

	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen >= sizeof(abuf))
		return -EINVAL;
	memcpy(abuf, s, alen);
	abuf[alen] = '\0';
	err = xlb_addr_parse(abuf, &a, &fam);
	if (err)
		return err;
	err = parse_decimal(slash + 1, 0xffff, &len);
	if (err)
		return err;
	if (len > xlb_addr_bits(fam))
		return -ERANGE;
	xlb_prefix_hostmask(fam, (unsigned int)len, &host);
	for (i = 0; i < sizeof(a.b); i++)
		if (a.b[i] & host.b[i])
			return -EDOM;
	*addr = a;
	*family = fam;
	*plen = (unsigned int)len;
	return 0;
}

int xlb_prefix_format(const union xlb_addr *addr, __u8 family,
		      unsigned int plen, char *buf, size_t len)
{
	char tmp[XLB_ADDR_STRLEN];
	int n;

	if (plen > xlb_addr_bits(family))
		return xlb_addr_bits(family) ? -ERANGE : -EAFNOSUPPORT;
	n = xlb_addr_format(addr, family, tmp, sizeof(tmp));
	if (n < 0)
		return n;
	n = snprintf(buf, len, "%s/%u", tmp, plen);
	return (size_t)n >= len ? -ENOSPC : n;
}

int xlb_port_parse(const char *s, __u16 *port)
{
	unsigned long v;
	int err = parse_decimal(s, 65535, &v);

	if (err)
		return err;
	*port = (__u16)v;
	return 0;
}

/* Splits "[v6]:port", "[v6]", "v4:port" or a bare address into the address
 * text (copied to abuf) and the port text (NULL when absent). */
static int split_addrport(const char *s, char *abuf, size_t alen,
			  const char **port)
{
	const char *end, *colon;
	size_t n;

	*port = NULL;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end)
			return -EINVAL;
		if (end[1] == ':')
			*port = end + 2;
		else if (end[1])
			return -EINVAL;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			end = s + strlen(s); /* bare IPv6, no port */
		else if (colon) {
			end = colon;
			*port = colon + 1;
		} else
			end = s + strlen(s);
	}
	n = (size_t)(end - s);
	if (n >= alen)
		return -EINVAL;
	memcpy(abuf, s, n);
	abuf[n] = '\0';
	return 0;
}

int xlb_addrport_parse(const char *s, union xlb_addr *addr, __u8 *family,
		       __u16 *port, bool *has_port)
{
	char abuf[XLB_ADDR_STRLEN];
	const char *ptext;
	union xlb_addr a;
	__u16 p = 0;
	__u8 fam;
	int err;

	err = split_addrport(s, abuf, sizeof(abuf), &ptext);
	if (err)
		return err;
	err = xlb_addr_parse(abuf, &a, &fam);
	if (err)
		return err;
	/* Brackets belong to IPv6 only; "[192.0.2.1]" is not a spelling. */
	if (s[0] == '[' && fam != XLB_FAM_V6)
		return -EINVAL;
	if (ptext) {
		err = xlb_port_parse(ptext, &p);
		if (err)
			return err;
		if (p == 0)
			return -ERANGE;
		*port = p;
	}
	*addr = a;
	*family = fam;
	*has_port = ptext != NULL;
	return 0;
}

int xlb_addrport_format(const union xlb_addr *addr, __u8 family, __u16 port,
			char *buf, size_t len)
{
	char tmp[XLB_ADDR_STRLEN];
	int n;

	n = xlb_addr_format(addr, family, tmp, sizeof(tmp));
	if (n < 0)
		return n;
	if (family == XLB_FAM_V6)
		n = snprintf(buf, len, "[%s]:%u", tmp, port);
	else
		n = snprintf(buf, len, "%s:%u", tmp, port);
	return (size_t)n >= len ? -ENOSPC : n;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xlb_mac_parse(const char *s, __u8 mac[6])
{
	__u8 m[6];
	int i, hi, lo;

	/* Exactly six two-digit groups separated by single colons. */
	if (strlen(s) != XLB_MAC_STRLEN - 1)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = hex_digit(s[3 * i]);
		lo = hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (__u8)(hi << 4 | lo);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

int xlb_mac_format(const __u8 mac[6], char *buf, size_t len)
{
	int n = snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
			 mac[1], mac[2], mac[3], mac[4], mac[5]);

	return (size_t)n >= len ? -ENOSPC : n;
}

int xlb_proto_parse(const char *s, __u8 *proto)
{
	if (!strcasecmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return -EPROTONOSUPPORT;
	return 0;
}

const char *xlb_proto_name(__u8 proto)
{
	if (proto == IPPROTO_TCP)
		return "tcp";
	if (proto == IPPROTO_UDP)
		return "udp";
	return NULL;
}

int xlb_service_format(const struct xlb_vip_key *key, char *buf, size_t len)
{
	char addr[XLB_ADDR_STRLEN];
	const char *proto = key->proto ? xlb_proto_name(key->proto) : "any";
	int n;

	n = xlb_addr_format(&key->addr, key->family, addr, sizeof(addr));
	if (n < 0)
		return n;
	if (!proto)
		return -EPROTONOSUPPORT;
	n = snprintf(buf, len, "%s %s %u", addr, proto, ntohs(key->port));
	return (size_t)n >= len ? -ENOSPC : n;
}
