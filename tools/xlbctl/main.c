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

#include "xlbctl.h"

const char xlbctl_usage[] =
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
	"  services   (ID VIP PROTO PORT: the ids stats uses)\n"
	"  backends   (ID SERVICE-ID ADDR PORT STATE)\n"
	"  unpin\n"
	"PIN_DIR defaults to " XLB_PIN_DIR_DEFAULT ".  `ip netns exec` hides\n"
	"/sys/fs/bpf: use a folder elsewhere (xlbctl mounts a bpffs on it) and\n"
	"run the first load outside the namespace, so the mount outlives it.\n";


static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
} xlbctl_cmds[] = {
	{ "load", cmd_load },       { "attach", cmd_attach },
	{ "detach", cmd_detach },   { "config", cmd_config },
	{ "service", cmd_service }, { "backend", cmd_backend },
	{ "stats", cmd_stats },     { "conntrack", cmd_conntrack },
	{ "services", cmd_services }, { "backends", cmd_backends },
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
