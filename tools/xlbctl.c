// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xlbctl - drive the xlb datapath by hand: load and attach the XDP program,
 * write config, services and backends into its pinned maps, read counters
 * and the connection table.  For the lab and the tests; lbd does the same
 * work from the database.
 *
 * Every error goes to stderr naming the option and the value at fault, and
 * the exit status is 1.  Output is "name value" lines, stable for scripts.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include "xlb_addr.h"
#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"
#include "xlb_maglev.h"

#define XLBCTL_DEF_MTU 1500
#define XLBCTL_DEF_TTL 64
#define XLBCTL_MAX_WEIGHT 65535

static const char xlbctl_usage[] =
	"usage: xlbctl [-p PIN_DIR] [-v] COMMAND\n"
	"  load [--services N] [--backends N] [--conntrack N] [--frags N]\n"
	"  attach IFNAME [--mode native|generic|auto]\n"
	"  detach IFNAME\n"
	"  config [--src-mac MAC] [--nh-mac MAC] [--src4 ADDR[/PLEN]]\n"
	"         [--src6 ADDR[/PLEN]] [--mtu N] [--ttl N] [--echo on|off]\n"
	"  service add VIP tcp|udp PORT --id N [--ring M] [--hash-src]\n"
	"              --backend ID=ADDR[:PORT][@WEIGHT] [--backend ...]\n"
	"  service del VIP tcp|udp PORT\n"
	"  backend state ID active|drain|down|removed\n"
	"  stats\n"
	"  conntrack\n"
	"  unpin\n"
	"PIN_DIR defaults to " XLB_PIN_DIR_DEFAULT ".  `ip netns exec` hides\n"
	"/sys/fs/bpf: use a folder elsewhere (xlbctl mounts a bpffs on it) and\n"
	"run the first load outside the namespace, so the mount outlives it.\n";

struct ctl {
	const char *pin_dir;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "xlbctl: <message>" and returns the exit status for errors. */
static int fail(const char *fmt, ...)
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
static int fail_lib(int err)
{
	const char *msg = xlb_errmsg();

	return fail("%s", msg[0] ? msg : strerror(-err));
}

static int usage_error(const char *what)
{
	fail("%s", what);
	fputs(xlbctl_usage, stderr);
	return 1;
}

/* --- argument parsing ----------------------------------------------------- */

static int parse_u32(const char *field, const char *s, __u32 min, __u32 max,
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

static int parse_vip(const char *s, union xlb_addr *a, __u8 *fam)
{
	if (xlb_addr_parse(s, a, fam))
		return fail("VIP '%s': not an IPv4 or IPv6 address", s);
	return 0;
}

static int parse_proto(const char *s, __u8 *proto)
{
	if (xlb_proto_parse(s, proto))
		return fail("protocol '%s': must be tcp or udp", s);
	return 0;
}

/* VIP PROTO PORT -> a service key (port 0: all ports). */
static int parse_service_key(char **argv, struct xlb_vip_key *key)
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
static void getopt_reset(void)
{
	optind = 0; /* glibc: reinitialise completely */
	opterr = 0;
}

/* getopt_long said '?': an unknown option or one without its value. */
static int bad_option(char **argv)
{
	return fail("option '%s': unknown, or its value is missing",
		    argv[optind - 1]);
}

/* --- opening the datapath --------------------------------------------------- */

static int open_maps(const struct ctl *c, struct xlb_dpmaps *m)
{
	int err = xlb_dpmaps_open_pinned(c->pin_dir, m);

	if (err == -ENOENT)
		return fail("no datapath pinned in %s (run 'xlbctl load' first)",
			    c->pin_dir);
	return err ? fail_lib(err) : 0;
}

/* A fresh datapath has an all-zero config, whose MTU 0 would make every
 * packet too big: give it usable defaults the first time only. */
static int init_fresh_config(const struct xlb_dpmaps *m)
{
	struct xlb_config cfg, zero;
	int err;

	memset(&zero, 0, sizeof(zero));
	err = xlb_dpmap_config_get(m, &cfg);
	if (err || memcmp(&cfg, &zero, sizeof(cfg)))
		return err;
	cfg.mtu = XLBCTL_DEF_MTU;
	cfg.ttl = XLBCTL_DEF_TTL;
	return xlb_dpmap_config_set(m, &cfg);
}

static int open_dp(const struct ctl *c, const struct xlb_sizes *sizes,
		   struct xlb_dp **dp)
{
	struct xlb_dp_opts opts = { .pin_dir = c->pin_dir };
	struct xlb_dpmaps m;
	int err;

	if (sizes)
		opts.sizes = *sizes;
	err = xlb_dp_open(&opts, dp);
	if (err)
		return fail_lib(err);
	xlb_dpmaps_from_dp(*dp, &m);
	err = init_fresh_config(&m);
	if (err) {
		xlb_dp_close(*dp);
		return fail_lib(err);
	}
	return 0;
}

/* --- load, attach, detach, unpin ------------------------------------------- */

static int cmd_load(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "services", required_argument, NULL, 's' },
		{ "backends", required_argument, NULL, 'b' },
		{ "conntrack", required_argument, NULL, 'c' },
		{ "frags", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlb_sizes sz = { 0, 0, 0, 0 };
	struct xlb_dp *dp;
	int o, rc = 0;

	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 's')
			rc = parse_u32("--services", optarg, 1, XLB_MAX_SERVICES,
				       &sz.services);
		else if (o == 'b')
			rc = parse_u32("--backends", optarg, 1,
				       XLB_MAX_BACKENDS, &sz.backends);
		else if (o == 'c')
			rc = parse_u32("--conntrack", optarg, 1,
				       XLB_MAX_CONNTRACK, &sz.conntrack);
		else if (o == 'f')
			rc = parse_u32("--frags", optarg, 1, XLB_MAX_FRAGS,
				       &sz.frags);
		else
			rc = bad_option(argv);
	}
	if (rc)
		return rc;
	if (optind != argc)
		return usage_error("load: unexpected argument");
	if (open_dp(c, &sz, &dp))
		return 1;
	xlb_dp_sizes(dp, &sz);
	printf("services %u\nbackends %u\nconntrack %u\nfrags %u\n",
	       sz.services, sz.backends, sz.conntrack, sz.frags);
	xlb_dp_close(dp);
	return 0;
}

static int parse_mode(const char *s, enum xlb_xdp_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = XLB_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = XLB_XDP_GENERIC;
	else if (!strcmp(s, "auto"))
		*mode = XLB_XDP_AUTO;
	else
		return fail("--mode '%s': must be native, generic or auto", s);
	return 0;
}

static int cmd_attach(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	enum xlb_xdp_mode mode = XLB_XDP_AUTO, got;
	struct xlb_dp *dp;
	int o, rc = 0, err;

	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		rc = o == 'm' ? parse_mode(optarg, &mode) : bad_option(argv);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return usage_error("attach: expected one IFNAME");
	if (open_dp(c, NULL, &dp))
		return 1;
	err = xlb_dp_attach(dp, argv[optind], mode, &got);
	xlb_dp_close(dp);
	if (err)
		return fail_lib(err);
	printf("%s\n", xlb_xdp_mode_name(got));
	return 0;
}

static int cmd_detach(struct ctl *c, int argc, char **argv)
{
	int err;

	if (argc != 2)
		return usage_error("detach: expected one IFNAME");
	err = xlb_dp_detach(c->pin_dir, argv[1]);
	return err ? fail_lib(err) : 0;
}

static int cmd_unpin(struct ctl *c, int argc, char **argv)
{
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("unpin: no argument expected");
	err = xlb_dp_unpin(c->pin_dir);
	return err ? fail_lib(err) : 0;
}

/* --- config ----------------------------------------------------------------- */

static int parse_mac(const char *field, const char *s, __u8 mac[6])
{
	if (xlb_mac_parse(s, mac))
		return fail("%s '%s': not a MAC address aa:bb:cc:dd:ee:ff",
			    field, s);
	return 0;
}

/* ADDR or ADDR/PLEN of the given family into (base, host-bit mask). */
static int parse_src(const char *field, const char *s, __u8 want,
		     union xlb_addr *base, union xlb_addr *mask)
{
	unsigned int plen, bits = xlb_addr_bits(want);
	__u8 fam;
	int err;

	if (strchr(s, '/')) {
		err = xlb_prefix_parse(s, base, &fam, &plen);
		if (err == -EDOM)
			return fail("%s %s: address has bits set beyond the "
				    "prefix length", field, s);
		if (err == -ERANGE)
			return fail("%s %s: prefix length out of range", field,
				    s);
	} else {
		err = xlb_addr_parse(s, base, &fam);
		plen = bits;
	}
	if (err || fam != want)
		return fail("%s '%s': not an IPv%u address[/PLEN]", field, s,
			    want);
	/* The datapath varies only the last 32 bits of an IPv6 source. */
	if (want == XLB_FAM_V6 && plen < 96)
		return fail("%s %s: only the last 32 bits can vary, PLEN must "
			    "be 96..128", field, s);
	xlb_prefix_hostmask(want, plen, mask);
	return 0;
}

static int parse_echo(const char *s, struct xlb_config *cfg)
{
	if (!strcmp(s, "on"))
		cfg->flags |= XLB_CFG_F_ECHO_REPLY;
	else if (!strcmp(s, "off"))
		cfg->flags &= (__u8)~XLB_CFG_F_ECHO_REPLY;
	else
		return fail("--echo '%s': must be on or off", s);
	return 0;
}

static int config_option(int o, const char *arg, struct xlb_config *cfg)
{
	union xlb_addr base, mask;
	__u32 v;

	switch (o) {
	case 'S':
		return parse_mac("--src-mac", arg, cfg->src_mac);
	case 'N':
		return parse_mac("--nh-mac", arg, cfg->nh_mac);
	case '4':
		if (parse_src("--src4", arg, XLB_FAM_V4, &base, &mask))
			return 1;
		cfg->src_v4 = base.v4;
		cfg->src_v4_mask = mask.v4;
		return 0;
	case '6':
		if (parse_src("--src6", arg, XLB_FAM_V6, &base, &mask))
			return 1;
		cfg->src_v6 = base;
		cfg->src_v6_mask = mask.v6[3];
		return 0;
	case 'm':
		if (parse_u32("--mtu", arg, 68, 65535, &v))
			return 1;
		cfg->mtu = (__u16)v;
		return 0;
	case 't':
		if (parse_u32("--ttl", arg, 1, 255, &v))
			return 1;
		cfg->ttl = (__u8)v;
		return 0;
	case 'e':
		return parse_echo(arg, cfg);
	default:
		return -1;
	}
}

/* Prefix length of a host-bit mask of `bits` bits, or -1 if not one. */
static int mask_plen(__u32 host_mask_be, unsigned int bits)
{
	__u32 h = ntohl(host_mask_be);

	if (h & (h + 1)) /* not of the form 2^k - 1 */
		return -1;
	return (int)bits - __builtin_popcount(h);
}

static void print_src(const char *name, const union xlb_addr *a, __u8 fam,
		      __u32 mask, unsigned int bits)
{
	char buf[XLB_ADDR_STRLEN], mbuf[XLB_ADDR_STRLEN];
	union xlb_addr m;
	int plen = mask_plen(mask, bits);

	xlb_addr_format(a, fam, buf, sizeof(buf));
	if (plen >= 0) {
		printf("%s %s/%d\n", name, buf, plen);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.v6[fam == XLB_FAM_V6 ? 3 : 0] = mask;
	xlb_addr_format(&m, fam, mbuf, sizeof(mbuf));
	printf("%s %s mask %s\n", name, buf, mbuf);
}

static void print_config(const struct xlb_config *cfg)
{
	char mac[XLB_MAC_STRLEN];
	union xlb_addr v4;

	xlb_mac_format(cfg->src_mac, mac, sizeof(mac));
	printf("src_mac %s\n", mac);
	xlb_mac_format(cfg->nh_mac, mac, sizeof(mac));
	printf("nh_mac %s\n", mac);
	memset(&v4, 0, sizeof(v4));
	v4.v4 = cfg->src_v4;
	print_src("src4", &v4, XLB_FAM_V4, cfg->src_v4_mask, 32);
	print_src("src6", &cfg->src_v6, XLB_FAM_V6, cfg->src_v6_mask, 128);
	printf("mtu %u\nttl %u\necho %s\n", cfg->mtu, cfg->ttl,
	       cfg->flags & XLB_CFG_F_ECHO_REPLY ? "on" : "off");
}

static int cmd_config(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src-mac", required_argument, NULL, 'S' },
		{ "nh-mac", required_argument, NULL, 'N' },
		{ "src4", required_argument, NULL, '4' },
		{ "src6", required_argument, NULL, '6' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "ttl", required_argument, NULL, 't' },
		{ "echo", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct xlb_config cfg, before;
	struct xlb_dpmaps m;
	int o, rc = 0, err;

	if (open_maps(c, &m))
		return 1;
	err = xlb_dpmap_config_get(&m, &cfg);
	if (err) {
		xlb_dpmaps_close(&m);
		return fail_lib(err);
	}
	before = cfg;
	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		rc = config_option(o, optarg, &cfg);
		if (rc < 0)
			rc = bad_option(argv);
	}
	if (!rc && optind != argc)
		rc = usage_error("config: unexpected argument");
	if (!rc && memcmp(&cfg, &before, sizeof(cfg))) {
		err = xlb_dpmap_config_set(&m, &cfg);
		rc = err ? fail_lib(err) : 0;
	}
	xlb_dpmaps_close(&m);
	if (!rc)
		print_config(&cfg);
	return rc;
}

/* --- services ----------------------------------------------------------------- */

struct svc_spec {
	struct xlb_vip_key key;
	__u32 id;
	__u32 ring;
	__u32 flags;
	struct xlb_maglev_backend *bes; /* owned, n entries */
	size_t n;
};

/* ID=ADDR[:PORT][@WEIGHT]; a missing port is the service port. */
static int parse_backend(const char *s, const struct xlb_dpmaps *m,
			 __u16 svc_port, struct xlb_maglev_backend *be)
{
	char buf[XLB_ADDRPORT_STRLEN + 16], *addr, *at;
	bool has_port;
	__u32 w = 1;

	if (strlen(s) >= sizeof(buf))
		return fail("--backend '%s': too long", s);
	strcpy(buf, s);
	addr = strchr(buf, '=');
	if (!addr)
		return fail("--backend '%s': expected ID=ADDR[:PORT][@WEIGHT]",
			    s);
	*addr++ = '\0';
	memset(be, 0, sizeof(*be));
	if (parse_u32("--backend ID", buf, 1, m->max_be_id, &be->id))
		return 1;
	at = strrchr(addr, '@');
	if (at) {
		*at++ = '\0';
		if (parse_u32("--backend WEIGHT", at, 0, XLBCTL_MAX_WEIGHT, &w))
			return 1;
	}
	be->weight = w;
	be->port = svc_port;
	if (xlb_addrport_parse(addr, &be->addr, &be->family, &be->port,
			       &has_port))
		return fail("--backend %s: '%s' is not ADDR, ADDR:PORT or "
			    "[ADDR]:PORT", s, addr);
	return 0;
}

static int add_backend(struct svc_spec *sp, const struct xlb_maglev_backend *be)
{
	struct xlb_maglev_backend *bes;

	bes = realloc(sp->bes, (sp->n + 1) * sizeof(*bes));
	if (!bes)
		return fail("out of memory");
	sp->bes = bes;
	sp->bes[sp->n++] = *be;
	return 0;
}

/* Backends of one service: distinct ids, distinct (addr, port), and a
 * family able to carry the VIP's packets. */
static int check_backends(const struct svc_spec *sp)
{
	const struct xlb_maglev_backend *a, *b;
	char abuf[XLB_ADDRPORT_STRLEN];
	size_t i, j;

	if (sp->n == 0)
		return fail("service add: at least one --backend is needed");
	for (i = 0; i < sp->n; i++) {
		a = &sp->bes[i];
		xlb_addrport_format(&a->addr, a->family, a->port, abuf,
				    sizeof(abuf));
		if (sp->key.family == XLB_FAM_V6 && a->family == XLB_FAM_V4)
			return fail("--backend %u=%s: an IPv4 backend cannot "
				    "receive an IPv6 VIP's packets", a->id,
				    abuf);
		for (j = 0; j < i; j++) {
			b = &sp->bes[j];
			if (a->id == b->id)
				return fail("--backend ID %u: given twice",
					    a->id);
			if (a->family == b->family && a->port == b->port &&
			    !memcmp(&a->addr, &b->addr, sizeof(a->addr)))
				return fail("--backend %s: given twice", abuf);
		}
	}
	return 0;
}

static int service_option(int o, const char *arg, struct svc_spec *sp,
			  const struct xlb_dpmaps *m)
{
	switch (o) {
	case 'i':
		return parse_u32("--id", arg, 1, m->max_svc_id, &sp->id);
	case 'r':
		if (parse_u32("--ring", arg, 2, XLB_MAX_RING, &sp->ring))
			return 1;
		if (!xlb_is_prime(sp->ring))
			return fail("--ring %s: must be a prime", arg);
		return 0;
	case 'h':
		sp->flags |= XLB_SVC_F_HASH_SRC;
		return 0;
	default:
		return -1;
	}
}

/* Backends are parsed after the options: they default to the service
 * port, known only once the positional arguments are. */
static int parse_backends(char **specs, size_t n, const struct xlb_dpmaps *m,
			  struct svc_spec *sp)
{
	struct xlb_maglev_backend be;
	size_t i;

	for (i = 0; i < n; i++)
		if (parse_backend(specs[i], m, ntohs(sp->key.port), &be) ||
		    add_backend(sp, &be))
			return 1;
	return check_backends(sp);
}

static int parse_service_add(int argc, char **argv, const struct xlb_dpmaps *m,
			     struct svc_spec *sp)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "ring", required_argument, NULL, 'r' },
		{ "hash-src", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	char **specs;
	size_t n = 0;
	int o, rc = 0;

	specs = calloc((size_t)argc, sizeof(*specs));
	if (!specs)
		return fail("out of memory");
	getopt_reset();
	while (!rc && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'b') {
			specs[n++] = optarg;
			continue;
		}
		rc = service_option(o, optarg, sp, m);
		if (rc < 0)
			rc = bad_option(argv);
	}
	if (!rc && optind != argc - 3)
		rc = usage_error("service add: expected VIP tcp|udp PORT");
	if (!rc)
		rc = parse_service_key(argv + optind, &sp->key);
	if (!rc && !sp->id)
		rc = fail("service add: --id is required");
	if (!rc)
		rc = parse_backends(specs, n, m, sp);
	free(specs);
	return rc;
}

/* Looks for a service other than `key` using `id`. */
struct id_owner {
	const struct xlb_vip_key *key;
	__u32 id;
	struct xlb_vip_key found;
};

static int find_id_owner(const struct xlb_vip_key *key,
			 const struct xlb_service *svc, void *arg)
{
	struct id_owner *o = arg;

	if (key->proto == 0 || svc->id != o->id ||
	    !memcmp(key, o->key, sizeof(*key)))
		return 0;
	o->found = *key;
	return 1;
}

/* The id must be free, or already this service's; the key must not be
 * another id's. */
static int check_service_id(const struct xlb_dpmaps *m,
			    const struct svc_spec *sp)
{
	struct id_owner o = { .key = &sp->key, .id = sp->id };
	char kt[XLB_SERVICE_STRLEN];
	struct xlb_service cur;
	int err;

	xlb_service_format(&sp->key, kt, sizeof(kt));
	err = xlb_dpmap_service_get(m, &sp->key, &cur);
	if (!err && cur.id != sp->id)
		return fail("service %s already has id %u, not %u (delete it "
			    "first)", kt, cur.id, sp->id);
	if (err && err != -ENOENT)
		return fail_lib(err);
	err = xlb_dpmap_service_walk(m, find_id_owner, &o);
	if (err < 0)
		return fail_lib(err);
	if (err) {
		xlb_service_format(&o.found, kt, sizeof(kt));
		return fail("--id %u: already used by service %s", sp->id, kt);
	}
	return 0;
}

/* The backend ids must be free, or already this service's. */
static int check_backend_ids(const struct xlb_dpmaps *m,
			     const struct svc_spec *sp)
{
	struct xlb_backend be;
	size_t i;
	int err;

	for (i = 0; i < sp->n; i++) {
		err = xlb_dpmap_backend_get(m, sp->bes[i].id, &be);
		if (err)
			return fail_lib(err);
		if (be.state != XLB_BE_REMOVED && be.svc_id &&
		    be.svc_id != sp->id)
			return fail("--backend ID %u: already used by service "
				    "id %u", sp->bes[i].id, be.svc_id);
	}
	return 0;
}

static int write_backends(const struct xlb_dpmaps *m, const struct svc_spec *sp)
{
	struct xlb_backend be;
	size_t i;
	int err;

	for (i = 0; i < sp->n; i++) {
		memset(&be, 0, sizeof(be));
		be.addr = sp->bes[i].addr;
		be.family = sp->bes[i].family;
		be.svc_id = sp->id;
		be.state = XLB_BE_ACTIVE;
		err = xlb_dpmap_backend_put(m, sp->bes[i].id, &be);
		if (err)
			return fail_lib(err);
	}
	return 0;
}

static int switch_table(const struct xlb_dpmaps *m, const struct svc_spec *sp)
{
	__u32 *table;
	int err;

	table = malloc(sp->ring * sizeof(*table));
	if (!table)
		return fail("out of memory");
	err = xlb_maglev_build(sp->bes, sp->n, sp->ring, table);
	if (err == -ENOENT)
		err = fail("service add: every --backend has weight 0");
	else if (err)
		err = fail("building the Maglev table (ring %u): %s", sp->ring,
			   strerror(-err));
	else if ((err = xlb_dpmap_ring_switch(m, sp->id, table, sp->ring)))
		err = fail_lib(err);
	free(table);
	return err;
}

static int is_kept(const struct svc_spec *sp, __u32 id)
{
	size_t i;

	for (i = 0; sp && i < sp->n; i++)
		if (sp->bes[i].id == id)
			return 1;
	return 0;
}

/* Marks REMOVED every entry of service svc_id not in keep (NULL: all):
 * flows pinned to them are rescheduled by the datapath. */
static int retire_backends(const struct xlb_dpmaps *m, __u32 svc_id,
			   const struct svc_spec *keep)
{
	struct xlb_backend *all;
	__u32 i;
	int err;

	all = calloc(m->max_be_id, sizeof(*all));
	if (!all)
		return fail("out of memory");
	err = xlb_dpmap_backends_read(m, 1, m->max_be_id, all);
	for (i = 0; !err && i < m->max_be_id; i++) {
		if (all[i].svc_id != svc_id || all[i].state == XLB_BE_REMOVED ||
		    is_kept(keep, i + 1))
			continue;
		all[i].state = XLB_BE_REMOVED;
		err = xlb_dpmap_backend_put(m, i + 1, &all[i]);
	}
	free(all);
	return err ? fail_lib(err) : 0;
}

/* Backends, then their table, then the service and its VIP: a packet can
 * match the service only once everything it leads to exists. */
static int service_write(const struct xlb_dpmaps *m, const struct svc_spec *sp)
{
	struct xlb_service svc = { .id = sp->id, .flags = sp->flags };
	int err;

	if (check_service_id(m, sp) || check_backend_ids(m, sp) ||
	    write_backends(m, sp) || switch_table(m, sp))
		return 1;
	err = xlb_dpmap_service_put(m, &sp->key, &svc);
	if (!err)
		err = xlb_dpmap_vip_add(m, &sp->key.addr, sp->key.family);
	if (err)
		return fail_lib(err);
	return retire_backends(m, sp->id, sp);
}

static int service_add(struct ctl *c, int argc, char **argv)
{
	struct svc_spec sp = { .ring = XLB_DEF_RING };
	struct xlb_dpmaps m;
	int rc;

	if (open_maps(c, &m))
		return 1;
	rc = parse_service_add(argc, argv, &m, &sp);
	if (!rc)
		rc = service_write(&m, &sp);
	free(sp.bes);
	xlb_dpmaps_close(&m);
	return rc;
}

/* Does another service still use this VIP address? */
static int vip_in_use(const struct xlb_vip_key *key,
		      const struct xlb_service *svc, void *arg)
{
	const struct xlb_vip_key *gone = arg;

	(void)svc;
	return key->proto != 0 && key->family == gone->family &&
	       !memcmp(&key->addr, &gone->addr, sizeof(key->addr));
}

/* The service first (packets stop matching it), then what it led to. */
static int service_remove(const struct xlb_dpmaps *m,
			  const struct xlb_vip_key *key)
{
	char kt[XLB_SERVICE_STRLEN];
	struct xlb_service svc;
	int err;

	err = xlb_dpmap_service_get(m, key, &svc);
	if (err == -ENOENT) {
		xlb_service_format(key, kt, sizeof(kt));
		return fail("service %s: no such service", kt);
	}
	if (!err)
		err = xlb_dpmap_service_del(m, key);
	if (!err) {
		err = xlb_dpmap_ring_del(m, svc.id);
		if (err == -ENOENT)
			err = 0;
	}
	if (err)
		return fail_lib(err);
	if (retire_backends(m, svc.id, NULL))
		return 1;
	err = xlb_dpmap_service_walk(m, vip_in_use, (void *)key);
	if (err == 0)
		err = xlb_dpmap_vip_del(m, &key->addr, key->family);
	return err < 0 ? fail_lib(err) : 0;
}

static int service_del(struct ctl *c, int argc, char **argv)
{
	struct xlb_vip_key key;
	struct xlb_dpmaps m;
	int rc;

	if (argc != 4)
		return usage_error("service del: expected VIP tcp|udp PORT");
	if (parse_service_key(argv + 1, &key))
		return 1;
	if (open_maps(c, &m))
		return 1;
	rc = service_remove(&m, &key);
	xlb_dpmaps_close(&m);
	return rc;
}

static int cmd_service(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return service_add(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "del"))
		return service_del(c, argc - 1, argv + 1);
	return usage_error("service: expected add or del");
}

/* --- backends ------------------------------------------------------------------ */

static int parse_state(const char *s, __u8 *state)
{
	static const char *const names[] = {
		[XLB_BE_REMOVED] = "removed", [XLB_BE_ACTIVE] = "active",
		[XLB_BE_DRAIN] = "drain",     [XLB_BE_DOWN] = "down",
	};
	__u8 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*state = i;
			return 0;
		}
	}
	return fail("state '%s': must be active, drain, down or removed", s);
}

/* Writes the state only: the Maglev table stays as it is (lbd rebuilds
 * tables; here a down backend is just one whose flows get rescheduled). */
static int cmd_backend(struct ctl *c, int argc, char **argv)
{
	struct xlb_backend be;
	struct xlb_dpmaps m;
	__u8 state = XLB_BE_REMOVED;
	__u32 id;
	int err;

	if (argc != 4 || strcmp(argv[1], "state"))
		return usage_error("backend: expected state ID "
				   "active|drain|down|removed");
	if (parse_state(argv[3], &state) || open_maps(c, &m))
		return 1;
	err = parse_u32("backend ID", argv[2], 1, m.max_be_id, &id);
	if (!err) {
		err = xlb_dpmap_backend_get(&m, id, &be);
		if (!err && be.svc_id == XLB_ID_NONE)
			err = fail("backend ID %u: not in use by any service",
				   id);
		else if (!err) {
			be.state = state;
			err = xlb_dpmap_backend_put(&m, id, &be);
		}
		if (err < 0)
			err = fail_lib(err);
	}
	xlb_dpmaps_close(&m);
	return err;
}

/* --- stats, conntrack ------------------------------------------------------------- */

static int print_reasons(const struct xlb_dpmaps *m)
{
	__u64 r[XLB_R_MAX];
	unsigned int i;
	int err;

	err = xlb_dpmap_reasons(m, r);
	if (err)
		return fail_lib(err);
	for (i = 0; i < XLB_R_MAX; i++)
		printf("%s %llu\n", xlb_reason_name(i),
		       (unsigned long long)r[i]);
	return 0;
}

static int print_svc_stats(const struct xlb_dpmaps *m)
{
	struct xlb_svc_stats *s;
	__u32 i;
	int err;

	s = calloc(m->max_svc_id, sizeof(*s));
	if (!s)
		return fail("out of memory");
	err = xlb_dpmap_svc_stats(m, 1, m->max_svc_id, s);
	for (i = 0; !err && i < m->max_svc_id; i++) {
		if (!(s[i].packets | s[i].bytes | s[i].new_flows | s[i].drops))
			continue;
		printf("service.%u.packets %llu\nservice.%u.bytes %llu\n"
		       "service.%u.new_flows %llu\nservice.%u.drops %llu\n",
		       i + 1, (unsigned long long)s[i].packets, i + 1,
		       (unsigned long long)s[i].bytes, i + 1,
		       (unsigned long long)s[i].new_flows, i + 1,
		       (unsigned long long)s[i].drops);
	}
	free(s);
	return err ? fail_lib(err) : 0;
}

static int print_be_stats(const struct xlb_dpmaps *m)
{
	struct xlb_be_stats *s;
	__u32 i;
	int err;

	s = calloc(m->max_be_id, sizeof(*s));
	if (!s)
		return fail("out of memory");
	err = xlb_dpmap_be_stats(m, 1, m->max_be_id, s);
	for (i = 0; !err && i < m->max_be_id; i++) {
		if (!(s[i].packets | s[i].bytes))
			continue;
		printf("backend.%u.packets %llu\nbackend.%u.bytes %llu\n",
		       i + 1, (unsigned long long)s[i].packets, i + 1,
		       (unsigned long long)s[i].bytes);
	}
	free(s);
	return err ? fail_lib(err) : 0;
}

static int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct xlb_dpmaps m;
	int rc;

	(void)argv;
	if (argc != 1)
		return usage_error("stats: no argument expected");
	if (open_maps(c, &m))
		return 1;
	rc = print_reasons(&m);
	if (!rc)
		rc = print_svc_stats(&m);
	if (!rc)
		rc = print_be_stats(&m);
	xlb_dpmaps_close(&m);
	return rc;
}

static int print_flow(const struct xlb_flow_key *k, const struct xlb_flow *f,
		      void *arg)
{
	char src[XLB_ADDRPORT_STRLEN], dst[XLB_ADDRPORT_STRLEN];
	const char *proto = xlb_proto_name(k->proto);

	(void)arg;
	xlb_addrport_format(&k->src, k->family, ntohs(k->sport), src,
			    sizeof(src));
	xlb_addrport_format(&k->dst, k->family, ntohs(k->dport), dst,
			    sizeof(dst));
	printf("%s %s -> %s %u\n", proto ? proto : "?", src, dst,
	       f->backend_id);
	return 0;
}

static int cmd_conntrack(struct ctl *c, int argc, char **argv)
{
	struct xlb_dpmaps m;
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("conntrack: no argument expected");
	if (open_maps(c, &m))
		return 1;
	err = xlb_dpmap_conntrack_walk(&m, print_flow, NULL);
	xlb_dpmaps_close(&m);
	return err ? fail_lib(err) : 0;
}

/* --- main --------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
} xlbctl_cmds[] = {
	{ "load", cmd_load },       { "attach", cmd_attach },
	{ "detach", cmd_detach },   { "config", cmd_config },
	{ "service", cmd_service }, { "backend", cmd_backend },
	{ "stats", cmd_stats },     { "conntrack", cmd_conntrack },
	{ "unpin", cmd_unpin },
};

static int verbose_libbpf;

/* libbpf's own messages: warnings (e.g. the verifier log of a failed load)
 * always, the rest with -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN && !verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct ctl c = { .pin_dir = XLB_PIN_DIR_DEFAULT };
	size_t i;
	int o;

	/* '+': stop at the command, whose options are its own. */
	while ((o = getopt(argc, argv, "+p:vh")) != -1) {
		if (o == 'p')
			c.pin_dir = optarg;
		else if (o == 'v')
			verbose_libbpf = 1;
		else if (o == 'h') {
			fputs(xlbctl_usage, stdout);
			return 0;
		} else
			return usage_error("bad option");
	}
	if (optind >= argc)
		return usage_error("missing COMMAND");
	libbpf_set_print(libbpf_print);
	for (i = 0; i < sizeof(xlbctl_cmds) / sizeof(xlbctl_cmds[0]); i++)
		if (!strcmp(argv[optind], xlbctl_cmds[i].name))
			return xlbctl_cmds[i].run(&c, argc - optind,
						  argv + optind);
	fail("unknown command '%s'", argv[optind]);
	fputs(xlbctl_usage, stderr);
	return 1;
}
