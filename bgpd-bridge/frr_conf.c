// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * frr_conf.c - bgpd's running configuration, read and written as text.
 *
 * What is ours is told by the configuration itself: a `network PREFIX
 * route-map XLB-VIP` statement (the route-map name is an option) under
 * `router bgp ASN` of the default VRF.  A bridge that restarts, or a bgpd
 * that restarted and lost what it was told, is diffed from what bgpd says
 * it runs; statements without the tag (the operator's own networks) are
 * never read as ours, so never removed.
 *
 * The text is FRR's `show running-config`: top-level statements start at
 * column 0, a router's at column 1, an address family's at column 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

struct parse {
	unsigned long asn;
	const char *rm;
	bool found;   /* `router bgp asn` seen */
	bool inside;  /* in its block */
	int af;       /* 4, 6, 0 outside an address family, -1 another */
};

/* "router bgp N" alone (a VRF's instance has "vrf NAME" after it). */
static bool is_our_router(const char *l, unsigned long asn)
{
	char *end;
	unsigned long n;

	if (strncmp(l, "router bgp ", 11))
		return false;
	n = strtoul(l + 11, &end, 10);
	return n == asn && end != l + 11 && (*end == '\0' || *end == '\n');
}

static int address_family(const char *l)
{
	if (!strcmp(l, "address-family ipv4 unicast"))
		return 4;
	if (!strcmp(l, "address-family ipv6 unicast"))
		return 6;
	return -1;
}

/* "network PREFIX route-map RM" with our RM and a host prefix. */
static int take_network(struct parse *p, const char *l,
			struct bgpd_vipset *out)
{
	char prefix[XLB_PREFIX_STRLEN + 1], rm[80], extra;
	union xlb_addr addr;
	unsigned int plen;
	__u8 fam;

	if (sscanf(l, "network %50s route-map %79s %c", prefix, rm,
		   &extra) != 2 || strcmp(rm, p->rm))
		return 0;
	if (xlb_prefix_parse(prefix, &addr, &fam, &plen) ||
	    plen != xlb_addr_bits(fam))
		return 0; /* tagged by hand, not a VIP: not ours to judge */
	if ((p->af == 6) != (fam == XLB_FAM_V6))
		return 0;
	return vipset_add(out, &addr, fam) < 0 ? -ENOMEM : 0;
}

static int take_line(struct parse *p, const char *l, size_t len,
		     struct bgpd_vipset *out)
{
	char line[256];
	const char *t;

	if (len >= sizeof(line))
		return 0; /* no statement of ours is that long */
	memcpy(line, l, len);
	line[len] = '\0';
	if (line[0] != ' ') { /* top level: a router starts or ends */
		p->inside = is_our_router(line, p->asn);
		p->found |= p->inside;
		p->af = 0;
		return 0;
	}
	if (!p->inside)
		return 0;
	t = line + strspn(line, " ");
	if (!strncmp(t, "address-family ", 15))
		p->af = address_family(t);
	else if (!strcmp(t, "exit-address-family"))
		p->af = 0;
	else if (p->af >= 0 && !strncmp(t, "network ", 8))
		return take_network(p, t, out); /* af 0: IPv4 by default */
	return 0;
}

int frr_conf_networks(const char *conf, unsigned long asn, const char *rm,
		      struct bgpd_vipset *out)
{
	struct parse p = { .asn = asn, .rm = rm };
	const char *l = conf;

	vipset_clear(out);
	while (*l) {
		size_t len = strcspn(l, "\n");
		int err = take_line(&p, l, len, out);

		if (err)
			return xlb_errmsg_set(err, "out of memory");
		l += len + (l[len] == '\n');
	}
	if (!p.found)
		return xlb_errmsg_set(-ESRCH, "bgpd runs no `router bgp %lu`",
				      asn);
	return 0;
}

int frr_conf_script(const struct frr_change *c, size_t n, unsigned long asn,
		    const char *rm, char **out)
{
	char prefix[XLB_PREFIX_STRLEN];
	bool adds = false;
	char *text = NULL;
	size_t len = 0;
	__u8 fam = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		adds |= c[i].add;
	fprintf(f, "configure terminal\n");
	/* The tag must exist before a network names it. */
	if (adds)
		fprintf(f, "route-map %s permit 10\nexit\n", rm);
	fprintf(f, "router bgp %lu\n", asn);
	for (size_t i = 0; i < n; i++) {
		if (c[i].vip->family != fam) {
			if (fam)
				fprintf(f, "exit-address-family\n");
			fam = c[i].vip->family;
			fprintf(f, "address-family ipv%d unicast\n",
				fam == XLB_FAM_V4 ? 4 : 6);
		}
		vipset_prefix(c[i].vip, prefix, sizeof(prefix));
		fprintf(f, "%snetwork %s route-map %s\n", c[i].add ? "" : "no ",
			prefix, rm);
	}
	if (fam)
		fprintf(f, "exit-address-family\n");
	fprintf(f, "end\n");
	if (fclose(f)) {
		free(text);
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	}
	*out = text;
	return 0;
}
