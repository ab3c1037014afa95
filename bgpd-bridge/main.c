// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * main.c - bgpd-bridge's life: parse options, set up the BGP daemon's
 * backend and lbd's sockets, follow readiness until SIGTERM/SIGINT, then
 * withdraw what is announced (unless --keep-routes, for a planned restart).
 *
 *   bgpd-bridge [--rundir DIR] [--pin-dir DIR] --bird SOCKET
 *               --include-dir DIR [--keep-routes] [--coalesce-ms N]
 *               [--resync-s N] [-v]
 *   bgpd-bridge [--rundir DIR] [--pin-dir DIR] --frr [--vtysh PATH]
 *               [--vty-socket DIR] --asn N [--route-map NAME]
 *               [--keep-routes] [--coalesce-ms N] [--resync-s N] [-v]
 *
 *   --rundir DIR       lbd's sockets (default /run/xlb)
 *   --pin-dir DIR      lbd's pins; the datapath counts as attached while an
 *                      XDP link pinned there is (default /sys/fs/bpf/xlb)
 *   --bird SOCKET      drive BIRD 2 through its control socket (bird -s)
 *   --include-dir DIR  where vips4.conf and vips6.conf are written (the
 *                      files bird.conf includes, see bgpd-bridge(8))
 *   --frr              drive FRR's bgpd through vtysh
 *   --vtysh PATH       the vtysh program (default vtysh, from $PATH)
 *   --vty-socket DIR   passed to vtysh --vty_socket (bgpd's .vty folder)
 *   --asn N            bgpd's `router bgp N`, which must exist
 *   --route-map NAME   tag of our network statements (default XLB-VIP);
 *                      networks without it are never touched
 *   --keep-routes      leave the announcements in place on SIGTERM
 *   --coalesce-ms N    a burst of changes is applied once N ms pass
 *                      without another, at most 4*N ms after the first
 *                      (default 20; 0 applies every change at once)
 *   --resync-s N       re-check the daemon every N s: a restarted bgpd is
 *                      brought back, a failed configure retried (default 5)
 *   -v                 debug logging
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 when setting up failed, 2 for bad
 * options.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgpd.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"
#include "xlb_notify.h"

#define DEFAULT_COALESCE_MS 20
#define DEFAULT_RESYNC_S    5
#define DEFAULT_ROUTE_MAP   "XLB-VIP"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bgpd-bridge [--rundir DIR] [--pin-dir DIR] --bird SOCKET "
		"--include-dir DIR\n"
		"                   [--keep-routes] [--coalesce-ms N] "
		"[--resync-s N] [-v]\n"
		"       bgpd-bridge [--rundir DIR] [--pin-dir DIR] --frr "
		"[--vtysh PATH]\n"
		"                   [--vty-socket DIR] --asn N [--route-map NAME]"
		"\n"
		"                   [--keep-routes] [--coalesce-ms N] "
		"[--resync-s N] [-v]\n"
		"  --rundir       lbd's sockets (default " XLB_BUS_RUNDIR ")\n"
		"  --pin-dir      lbd's pins (default " XLB_PIN_DIR_DEFAULT ")\n"
		"  --keep-routes  leave the announcements in place on SIGTERM\n"
		"  --coalesce-ms  quiet time that ends a burst (default %d)\n"
		"  --resync-s     re-check the daemon every N s (default %d)\n",
		DEFAULT_COALESCE_MS, DEFAULT_RESYNC_S);
}

/* A decimal number in [min, max], or a sentence naming the option. */
static int parse_num(const char *opt, const char *s, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < min || v > max) {
		fprintf(stderr, "bgpd-bridge: %s: \"%s\" is not a number "
			"%lu..%lu\n", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* What the options say beyond their own syntax. */
static int check_options(const struct bgpd_opts *o)
{
	const char *why = NULL;

	if (!!o->bird.socket + o->frr_mode != 1)
		why = "exactly one of --bird SOCKET and --frr is required";
	else if (o->bird.socket && !o->bird.include_dir)
		why = "--bird needs --include-dir DIR";
	else if (o->frr_mode && !o->frr.asn)
		why = "--frr needs --asn N";
	else if (!o->frr_mode && (o->frr.asn || o->frr.vty_socket ||
				  o->frr_vtysh_set || o->frr_rm_set))
		why = "--asn, --vtysh, --vty-socket and --route-map go with "
		      "--frr";
	else if (o->frr_mode && o->bird.include_dir)
		why = "--include-dir goes with --bird";
	if (why) {
		fprintf(stderr, "bgpd-bridge: %s\n", why);
		return -1;
	}
	return 0;
}

/* A route-map name FRR takes as one word. */
static int check_route_map(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				     "nopqrstuvwxyz0123456789_-.") != n) {
		fprintf(stderr, "bgpd-bridge: --route-map: \"%s\" is not 1..63 "
			"letters, digits, '_', '-' or '.'\n", s);
		return -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct bgpd_opts *o)
{
	static const struct option longs[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "bird", required_argument, NULL, 'b' },
		{ "include-dir", required_argument, NULL, 'i' },
		{ "frr", no_argument, NULL, 'f' },
		{ "vtysh", required_argument, NULL, 't' },
		{ "vty-socket", required_argument, NULL, 's' },
		{ "asn", required_argument, NULL, 'a' },
		{ "route-map", required_argument, NULL, 'm' },
		{ "keep-routes", no_argument, NULL, 'k' },
		{ "coalesce-ms", required_argument, NULL, 'c' },
		{ "resync-s", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long n;
	int c;

	memset(o, 0, sizeof(*o));
	o->pin_dir = XLB_PIN_DIR_DEFAULT;
	o->frr.vtysh = "vtysh";
	o->frr.route_map = DEFAULT_ROUTE_MAP;
	o->coalesce_ms = DEFAULT_COALESCE_MS;
	o->resync_s = DEFAULT_RESYNC_S;
	while ((c = getopt_long(argc, argv, "v", longs, NULL)) != -1) {
		switch (c) {
		case 'r': o->rundir = optarg; break;
		case 'p': o->pin_dir = optarg; break;
		case 'b': o->bird.socket = optarg; break;
		case 'i': o->bird.include_dir = optarg; break;
		case 'f': o->frr_mode = true; break;
		case 't': o->frr.vtysh = optarg; o->frr_vtysh_set = true; break;
		case 's': o->frr.vty_socket = optarg; break;
		case 'a':
			if (parse_num("--asn", optarg, 1, 4294967295UL, &n))
				return -1;
			o->frr.asn = n;
			break;
		case 'm':
			if (check_route_map(optarg))
				return -1;
			o->frr.route_map = optarg;
			o->frr_rm_set = true;
			break;
		case 'k': o->keep_routes = true; break;
		case 'c':
			if (parse_num("--coalesce-ms", optarg, 0, 10000, &n))
				return -1;
			o->coalesce_ms = (unsigned int)n;
			break;
		case 'R':
			if (parse_num("--resync-s", optarg, 1, 3600, &n))
				return -1;
			o->resync_s = (unsigned int)n;
			break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bgpd-bridge: unexpected argument \"%s\"\n",
			argv[optind]);
		return -1;
	}
	return check_options(o);
}

static void handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* vtysh's pipe closing early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

static int make_backend(const struct bgpd_opts *o, struct bgpd_backend **b)
{
	int err = o->frr_mode ? frr_backend_new(&o->frr, b) :
				bird_backend_new(&o->bird, b);

	if (!err && (*b)->start)
		err = (*b)->start(*b);
	if (err)
		xlb_log(XLB_LOG_ERR, "%s: %s", o->frr_mode ? "frr" : "bird",
			 xlb_errmsg());
	return err;
}

int main(int argc, char **argv)
{
	struct bgpd_opts o;
	struct bgpd_bridge br = { 0 };
	int rc = 0;

	if (parse_options(argc, argv, &o))
		return 2;
	xlb_log_setup("bgpd-bridge", o.verbose ? XLB_LOG_DEBUG : XLB_LOG_INFO);
	handle_signals();
	if (make_backend(&o, &br.backend))
		return 1;
	if (bgpd_bridge_open(&br, &o)) {
		xlb_log(XLB_LOG_ERR, "lbd's sockets: %s", xlb_errmsg());
		rc = 1;
	}
	if (!rc) {
		bgpd_bridge_run(&br, &stop_signal);
		bgpd_bridge_stop(&br);
	}
	bgpd_bridge_close(&br);
	return rc;
}
