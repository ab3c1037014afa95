/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_addr.h - text <-> binary for the addresses, prefixes, ports, MACs and
 * protocol names users type.
 *
 * Addresses land in `union xlb_addr` (network order, IPv4 in the first four
 * bytes, the rest zero, so map keys compare byte for byte) with an
 * XLB_FAM_* family.  Output is canonical, one spelling per address: dotted
 * quad for IPv4, inet_ntop (RFC 5952 style, lower case, longest zero run
 * compressed) for IPv6.  An IPv4-mapped IPv6 address ("::ffff:192.0.2.1")
 * stays IPv6: it is a different key in every map.
 *
 * Every parser takes the whole string (no surrounding blanks) and returns 0
 * or a negative errno:
 *   -EINVAL           not the expected syntax
 *   -ERANGE           a number (port, prefix length) out of range
 *   -EDOM             a prefix with bits set beyond its length
 *   -EPROTONOSUPPORT  a protocol name other than tcp/udp
 * Formatters return the string length or -ENOSPC / -EAFNOSUPPORT.
 */
#ifndef XLB_ADDR_H
#define XLB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "xlb_abi.h"

#define XLB_ADDR_STRLEN 46                        /* INET6_ADDRSTRLEN */
#define XLB_PREFIX_STRLEN (XLB_ADDR_STRLEN + 4)   /* + "/128" */
#define XLB_ADDRPORT_STRLEN (XLB_ADDR_STRLEN + 8) /* "[" addr "]:65535" */
#define XLB_MAC_STRLEN 18                         /* "aa:bb:cc:dd:ee:ff" */
#define XLB_SERVICE_STRLEN (XLB_ADDR_STRLEN + 10) /* addr " tcp 65535" */

/* "192.0.2.1" or "2001:db8::1". */
int xlb_addr_parse(const char *s, union xlb_addr *addr, __u8 *family);
int xlb_addr_format(const union xlb_addr *addr, __u8 family, char *buf,
		    size_t len);

/* Address length in bits for a family (32 or 128), 0 if unknown. */
unsigned int xlb_addr_bits(__u8 family);

/* "ADDR/PLEN"; the address must have no bit set beyond PLEN (-EDOM). */
int xlb_prefix_parse(const char *s, union xlb_addr *addr, __u8 *family,
		     unsigned int *plen);
int xlb_prefix_format(const union xlb_addr *addr, __u8 family,
		      unsigned int plen, char *buf, size_t len);

/* The host part of a /plen prefix as a mask (bits beyond plen set). */
int xlb_prefix_hostmask(__u8 family, unsigned int plen, union xlb_addr *mask);

/* Decimal 0..65535 into host order. */
int xlb_port_parse(const char *s, __u16 *port);

/*
 * "ADDR", "ADDR:PORT" (IPv4), "[ADDR]" or "[ADDR]:PORT" (IPv6; brackets are
 * required with a port).  PORT is 1..65535; *has_port says whether it was
 * given (*port is left alone when not).
 */
int xlb_addrport_parse(const char *s, union xlb_addr *addr, __u8 *family,
		       __u16 *port, bool *has_port);
int xlb_addrport_format(const union xlb_addr *addr, __u8 family, __u16 port,
			char *buf, size_t len);

/* "aa:bb:cc:dd:ee:ff" (either case in, lower case out). */
int xlb_mac_parse(const char *s, __u8 mac[6]);
int xlb_mac_format(const __u8 mac[6], char *buf, size_t len);

/* "tcp" / "udp" (any case) <-> IPPROTO_TCP / IPPROTO_UDP. */
int xlb_proto_parse(const char *s, __u8 *proto);
const char *xlb_proto_name(__u8 proto); /* NULL for other protocols */

/* A service key as users type it: "198.51.100.1 tcp 80" (proto 0, a VIP
 * marker: "198.51.100.1 any 0"). */
int xlb_service_format(const struct xlb_vip_key *key, char *buf, size_t len);

#endif /* XLB_ADDR_H */
