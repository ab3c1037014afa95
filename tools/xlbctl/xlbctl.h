/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlbctl.h - what the parts of xlbctl share: the command context, error
 * reporting, argument parsing and opening the datapath.
 */
#ifndef XLBCTL_H
#define XLBCTL_H

#include <bpf/libbpf.h>

#include "xlb_addr.h"
#include "xlb_dpmap.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"
#include "xlb_maglev.h"

#define XLBCTL_DEF_MTU 1500
#define XLBCTL_DEF_TTL 64
#define XLBCTL_MAX_WEIGHT 65535

struct ctl {
	const char *pin_dir;
};

extern const char xlbctl_usage[];

/* Errors: print "xlbctl: <message>" to stderr and return exit status 1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_lib(int err);
int usage_error(const char *what);

/* Arguments (args.c). */
int parse_u32(const char *field, const char *s, __u32 min, __u32 max,
	      __u32 *out);
int parse_vip(const char *s, union xlb_addr *a, __u8 *fam);
int parse_proto(const char *s, __u8 *proto);
int parse_service_key(char **argv, struct xlb_vip_key *key);
void getopt_reset(void);
int bad_option(char **argv);

/* The datapath (open.c). */
int open_maps(const struct ctl *c, struct xlb_dpmaps *m);
int open_dp(const struct ctl *c, const struct xlb_sizes *sizes,
	    struct xlb_dp **out);

/* Commands: argv[0] is the command's name. */
int cmd_load(struct ctl *c, int argc, char **argv);
int cmd_attach(struct ctl *c, int argc, char **argv);
int cmd_detach(struct ctl *c, int argc, char **argv);
int cmd_unpin(struct ctl *c, int argc, char **argv);
int cmd_config(struct ctl *c, int argc, char **argv);
int cmd_service(struct ctl *c, int argc, char **argv);
int cmd_backend(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
int cmd_conntrack(struct ctl *c, int argc, char **argv);
int cmd_services(struct ctl *c, int argc, char **argv);
int cmd_backends(struct ctl *c, int argc, char **argv);

#endif /* XLBCTL_H */
