// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * frr.c - the FRR backend: bgpd is told through vtysh, and every resync
 * tick starts from what bgpd says it runs (frr_conf.c), not from what we
 * last told it.  So a bgpd that restarted and lost our statements gets
 * them back at the next tick, and statements removed by hand come back
 * too; nothing is written when bgpd already runs the desired set.
 *
 * The operator's bgpd configuration carries the `router bgp ASN`, the
 * neighbours, `no bgp ebgp-requires-policy` (or route maps) and `no bgp
 * network import-check`: a VIP's /32 is in no RIB of the node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

#define VTYSH_MS  10000
#define BATCH     1000 /* statements per vtysh run: argv stays small */

struct frr {
	struct frr_opts o;
	struct bgpd_vipset have; /* what bgpd runs (read, or after our change) */
	bool have_valid;         /* have may be used without reading again */
	struct frr_change *chg;
	size_t nchg, cap;
};

/* The first line that says something went wrong, for the log. */
static const char *error_line(const char *out)
{
	const char *l = out;

	while (*l) {
		if (*l == '%')
			return l;
		l += strcspn(l, "\n");
		l += *l == '\n';
	}
	return NULL;
}

/* vtysh [--vty_socket DIR] -d bgpd -c cmd; *out is the caller's. */
static int vtysh(struct frr *f, const char *cmd, char **out)
{
	char *argv[8];
	const char *bad;
	int n = 0, rc;

	argv[n++] = (char *)f->o.vtysh;
	if (f->o.vty_socket) {
		argv[n++] = "--vty_socket";
		argv[n++] = (char *)f->o.vty_socket;
	}
	argv[n++] = "-d";
	argv[n++] = "bgpd";
	argv[n++] = "-c";
	argv[n++] = (char *)cmd;
	argv[n] = NULL;
	rc = frr_exec(argv, VTYSH_MS, out);
	bgpd_alive();
	if (rc < 0)
		return rc;
	bad = error_line(*out);
	if (rc || bad) {
		const char *why = bad ? bad : *out;
		int err = xlb_errmsg_set(-EIO, "vtysh -c \"%.*s\" exited with "
					 "status %d: %.*s",
					 (int)strcspn(cmd, "\n"), cmd, rc,
					 (int)strcspn(why, "\n"), why);
		free(*out);
		*out = NULL;
		return err;
	}
	return 0;
}

static int read_have(struct frr *f)
{
	char *conf;
	int err = vtysh(f, "show running-config", &conf);

	if (err)
		return err;
	err = frr_conf_networks(conf, f->o.asn, f->o.route_map, &f->have);
	free(conf);
	return err;
}

static int push(struct frr *f, const struct bgpd_vip *v, bool add)
{
	if (f->nchg == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct frr_change *c = realloc(f->chg, cap * sizeof(*c));

		if (!c)
			return xlb_errmsg_set(-ENOMEM, "out of memory");
		f->chg = c;
		f->cap = cap;
	}
	f->chg[f->nchg++] = (struct frr_change){ .vip = v, .add = add };
	return 0;
}

/* Family by family: additions, then removals. */
static int diff(struct frr *f, const struct bgpd_vipset *want)
{
	static const __u8 fams[2] = { XLB_FAM_V4, XLB_FAM_V6 };
	int err = 0;

	f->nchg = 0;
	for (int k = 0; k < 2 && !err; k++) {
		for (size_t i = 0; i < want->n && !err; i++)
			if (want->v[i].family == fams[k] &&
			    !vipset_has(&f->have, &want->v[i].addr, fams[k]))
				err = push(f, &want->v[i], true);
		for (size_t i = 0; i < f->have.n && !err; i++)
			if (f->have.v[i].family == fams[k] &&
			    !vipset_has(want, &f->have.v[i].addr, fams[k]))
				err = push(f, &f->have.v[i], false);
	}
	return err;
}

static int run_changes(struct frr *f)
{
	for (size_t i = 0; i < f->nchg; i += BATCH) {
		size_t n = f->nchg - i < BATCH ? f->nchg - i : BATCH;
		char *script, *out;
		int err = frr_conf_script(f->chg + i, n, f->o.asn,
					  f->o.route_map, &script);

		if (err)
			return err;
		err = vtysh(f, script, &out);
		free(script);
		if (err)
			return err;
		free(out);
	}
	return 0;
}

/* A resync tick or a retry (force) reads what bgpd runs; a change in
 * between is diffed against what bgpd ran after the last one, which saves
 * a vtysh run per change.  If bgpd restarted meanwhile, a removal fails
 * ("Can't find"), the cache is dropped and the retry reads again; an
 * addition simply adds, and the next tick puts back what was lost. */
static int frr_apply(struct bgpd_backend *be, const struct bgpd_vipset *want,
		     bool force)
{
	struct frr *f = be->priv;
	int err = 0;

	if (force || !f->have_valid)
		err = read_have(f);
	f->have_valid = !err;
	if (!err)
		err = diff(f, want);
	if (err || !f->nchg)
		return err;
	xlb_log(XLB_LOG_DEBUG, "bgpd: %zu network statements to change",
		 f->nchg);
	err = run_changes(f);
	if (!err)
		err = vipset_copy(&f->have, want) ?
		      xlb_errmsg_set(-ENOMEM, "out of memory") : 0;
	f->have_valid = !err;
	return err;
}

/* vtysh must be runnable; bgpd itself may come later. */
static int frr_start(struct bgpd_backend *be)
{
	struct frr *f = be->priv;
	int err = read_have(f);

	if (err == -ENOENT || err == -EACCES)
		return err; /* no vtysh program to run */
	if (err)
		xlb_log(XLB_LOG_WARN, "bgpd: %s (trying again)", xlb_errmsg());
	else
		xlb_log(XLB_LOG_INFO, "bgpd runs `router bgp %lu` with %zu "
			 "networks of ours", f->o.asn, f->have.n);
	return 0;
}

static void frr_free(struct bgpd_backend *be)
{
	struct frr *f;

	if (!be)
		return;
	f = be->priv;
	vipset_free(&f->have);
	free(f->chg);
	free(f);
	free(be);
}

int frr_backend_new(const struct frr_opts *o, struct bgpd_backend **out)
{
	struct bgpd_backend *be = calloc(1, sizeof(*be));
	struct frr *f = calloc(1, sizeof(*f));

	if (!be || !f) {
		free(be);
		free(f);
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	}
	f->o = *o;
	vipset_init(&f->have);
	be->name = "FRR";
	be->start = frr_start;
	be->apply = frr_apply;
	be->free = frr_free;
	be->priv = f;
	*out = be;
	return 0;
}
