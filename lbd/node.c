// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * node.c - the node row: the interface, the XDP mode, the map sizes and
 * the forwarding settings (xlb_config).
 */
#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lbd.h"
#include "xlb_errmsg.h"

#define NODE_SQL \
	"SELECT interface, xdp_mode, next_hop_mac, src4, src6, mtu, ttl, " \
	"echo_reply, max_services, max_backends, max_flows, panic_threshold " \
	"FROM node WHERE id = 1"

/* The interface's MAC is the source of every frame the program sends. */
static void read_if_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(mac, 0, 6);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

/* ADDR or ADDR/PLEN in its canonical spelling -> (base, host mask). */
static int parse_src(struct lbd_node *n, const char *field, const char *s,
		     __u8 want, union xlb_addr *base, union xlb_addr *mask)
{
	char canon[XLB_PREFIX_STRLEN];
	unsigned int plen = xlb_addr_bits(want);
	__u8 fam = 0;
	int err;

	snprintf(n->bad_field, sizeof(n->bad_field), "%s", field);
	snprintf(n->bad_value, sizeof(n->bad_value), "%s", s);
	if (strchr(s, '/')) {
		err = xlb_prefix_parse(s, base, &fam, &plen);
		if (!err)
			xlb_prefix_format(base, fam, plen, canon, sizeof(canon));
	} else {
		err = xlb_addr_parse(s, base, &fam);
		if (!err)
			xlb_addr_format(base, fam, canon, sizeof(canon));
	}
	if (err || fam != want)
		return xlb_errmsg_set(-EINVAL, "node 1: %s \"%s\" is not an "
				      "IPv%u ADDR or ADDR/PLEN", field, s,
				      want);
	if (strcmp(canon, s))
		return xlb_errmsg_set(-EINVAL, "node 1: %s \"%s\" is not "
				      "canonical: write \"%s\"", field, s,
				      canon);
	/* The datapath varies only the last 32 bits of an IPv6 source. */
	if (want == XLB_FAM_V6 && plen < 96)
		return xlb_errmsg_set(-EINVAL, "node 1: %s \"%s\": the prefix "
				      "length must be 96..128", field, s);
	return xlb_prefix_hostmask(want, plen, mask);
}

static int read_sources(sqlite3_stmt *q, struct lbd_node *n)
{
	struct xlb_config *cfg = &n->cfg;
	const char *s4 = (const char *)sqlite3_column_text(q, 3);
	const char *s6 = (const char *)sqlite3_column_text(q, 4);
	union xlb_addr base, mask;
	int err;

	if (s4) {
		err = parse_src(n, "src4", s4, XLB_FAM_V4, &base, &mask);
		if (err)
			return err;
		cfg->src_v4 = base.v4;
		cfg->src_v4_mask = mask.v4;
	}
	if (s6) {
		err = parse_src(n, "src6", s6, XLB_FAM_V6, &base, &mask);
		if (err)
			return err;
		cfg->src_v6 = base;
		cfg->src_v6_mask = mask.v6[3];
	}
	return 0;
}

static enum xlb_xdp_mode mode_of(const char *s)
{
	if (!strcmp(s, "native"))
		return XLB_XDP_NATIVE;
	if (!strcmp(s, "generic"))
		return XLB_XDP_GENERIC;
	return XLB_XDP_AUTO;
}

static int read_row(sqlite3_stmt *q, struct lbd_node *n)
{
	const char *ifname = (const char *)sqlite3_column_text(q, 0);
	const char *mac = (const char *)sqlite3_column_text(q, 2);

	memset(n, 0, sizeof(*n));
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname ? ifname : "");
	n->mode = mode_of((const char *)sqlite3_column_text(q, 1));
	snprintf(n->bad_field, sizeof(n->bad_field), "next_hop_mac");
	snprintf(n->bad_value, sizeof(n->bad_value), "%s", mac ? mac : "");
	if (!mac || xlb_mac_parse(mac, n->cfg.nh_mac))
		return xlb_errmsg_set(-EINVAL, "node 1: next_hop_mac \"%s\" is "
				      "not a MAC address", mac ? mac : "");
	n->cfg.mtu = (__u16)sqlite3_column_int(q, 5);
	n->cfg.ttl = (__u8)sqlite3_column_int(q, 6);
	n->cfg.flags = sqlite3_column_int(q, 7) ? XLB_CFG_F_ECHO_REPLY : 0;
	n->sizes.services = (__u32)sqlite3_column_int64(q, 8);
	n->sizes.backends = (__u32)sqlite3_column_int64(q, 9);
	n->sizes.conntrack = (__u32)sqlite3_column_int64(q, 10);
	n->panic = sqlite3_column_int(q, 11);
	read_if_mac(n->ifname, n->cfg.src_mac);
	return read_sources(q, n);
}

int lbd_node_read(sqlite3 *db, struct lbd_node *n)
{
	sqlite3_stmt *q;
	int rc, err;

	if (sqlite3_prepare_v2(db, NODE_SQL, -1, &q, NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EIO, "node: %s", sqlite3_errmsg(db));
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		err = read_row(q, n);
	else if (rc == SQLITE_DONE)
		err = xlb_errmsg_set(-ENOENT, "node: no row with id 1 (insert "
				     "one: next_hop_mac is required)");
	else
		err = xlb_errmsg_set(-EIO, "node: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	return err;
}
