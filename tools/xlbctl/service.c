// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * service.c - the service and backend commands: entries, Maglev tables, states.
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
		be.port = sp->bes[i].port;
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

int cmd_service(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return service_add(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "del"))
		return service_del(c, argc - 1, argv + 1);
	return usage_error("service: expected add or del");
}


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
int cmd_backend(struct ctl *c, int argc, char **argv)
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
