/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * live.h - the live_* virtual tables: the datapath's pinned maps read
 * straight from bpffs, no daemon in between, so they answer while lbd is
 * down.  They are eponymous (nothing is written to the database file,
 * which other clients open without lbsh's modules) and read-only.
 *
 * Every table but live_conntrack is small (bounded by the configured
 * services and backends): xFilter reads it whole into rows (live.c's
 * generic module).  live_conntrack streams (live_conntrack.c).
 */
#ifndef LBSH_LIVE_H
#define LBSH_LIVE_H

#include "lbsh.h"
#include "xlb_addr.h"
#include "xlb_dpmap.h"

/* One value of a materialised row. */
struct live_val {
	int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
	sqlite3_int64 i;
	double d;
	char *s;
};

struct live_rows {
	int ncol;
	struct live_val *v; /* nrows * ncol */
	size_t nrows, cap;
};

/* Starts a new row (all NULL); returns its first value or NULL. */
struct live_val *live_row(struct live_rows *r);
void live_int(struct live_val *v, sqlite3_int64 i);
void live_real(struct live_val *v, double d);
/* Copies s (NULL: NULL); -ENOMEM. */
int live_text(struct live_val *v, const char *s);
void live_rows_free(struct live_rows *r);

/* What a fill function reads from. */
struct live_ctx {
	struct lbsh *sh;
	struct xlb_dpmaps m;
	bool maps_open;
	struct xlb_vip_key *svc; /* by service id, proto 0: none */
	struct xlb_backend *be;  /* by entry id - 1 */
};

/* Opens the pinned maps: 0, or -errno with the reason in xlb_errmsg(). */
int live_open_maps(struct live_ctx *c);
/* svc[] and be[] (each once). */
int live_load_services(struct live_ctx *c);
int live_load_backends(struct live_ctx *c);
void live_ctx_close(struct live_ctx *c);

/* The service of id (vip, proto, port) into three values. */
int live_service_vals(const struct live_ctx *c, __u32 id,
		      struct live_val *vip, struct live_val *proto,
		      struct live_val *port);
/* "active", "drain", "down", "removed". */
const char *live_be_state(__u8 state);

typedef int (*live_fill_fn)(struct live_ctx *c, struct live_rows *r);

struct live_table {
	const char *name;
	const char *schema; /* CREATE TABLE x(...) */
	int ncol;           /* its columns */
	live_fill_fn fill;
	bool maps;          /* needs the pinned maps */
};

extern const struct live_table live_service_table, live_backend_table,
	live_reason_table, live_maglev_table, live_interface_table;

/* live_conntrack's own module. */
extern const sqlite3_module live_conntrack_module;
extern const char live_conntrack_schema[];

/* An error message for a vtab: sqlite3_mprintf'd, for zErrMsg. */
char *live_errmsg(const struct lbsh *sh, int err);

#endif /* LBSH_LIVE_H */
