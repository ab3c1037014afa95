// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live_conntrack.c - live_conntrack: the connection table, one row per
 * flow, streamed.  The table may hold millions of flows; the cursor holds
 * one batch of sets (lib/xlb_dpmap_scan.h) and the backend entries, never
 * the table, so memory stays flat whatever its size.
 *
 * The table is hashed on the whole 5-tuple, so no constraint narrows the
 * walk itself; equality on vip, port, proto and backend is tested here,
 * before SQLite sees a row (no text is built for flows that do not
 * match), and a LIMIT ends the walk early.  LIMIT is taken only when every
 * WHERE term is one of those four and there is no ORDER BY or OFFSET, so
 * the rows the walk stops at are exactly the ones SQLite would return.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "live.h"
#include "xlb_dpmap_scan.h"
#include "xlb_errmsg.h"

const char live_conntrack_schema[] =
	"CREATE TABLE x(proto TEXT, client TEXT, client_port INTEGER, "
	"vip TEXT, port INTEGER, backend TEXT, backend_port INTEGER, "
	"backend_id INTEGER, service_id INTEGER)";

enum { C_PROTO, C_CLIENT, C_CLIENT_PORT, C_VIP, C_PORT, C_BACKEND,
       C_BACKEND_PORT, C_BACKEND_ID, C_SERVICE_ID };

/* idxNum bits: the constraints taken, in argv order. */
#define F_VIP     (1 << 0)
#define F_PORT    (1 << 1)
#define F_PROTO   (1 << 2)
#define F_BACKEND (1 << 3)
#define F_LIMIT   (1 << 4)

struct ctvtab {
	sqlite3_vtab base;
	struct lbsh *sh;
};

struct want {
	int flags;
	union xlb_addr vip, backend;
	__u8 vip_fam, backend_fam, proto;
	__u16 port;
	sqlite3_int64 limit;
	bool none; /* a constraint no flow can meet */
};

struct ctcursor {
	sqlite3_vtab_cursor base;
	struct live_ctx ctx;
	struct xlb_ct_scan scan;
	struct want w;
	struct xlb_flow_key key;
	struct xlb_flow flow;
	sqlite3_int64 rowid;
	bool eof;
};

static int ct_connect(sqlite3 *db, void *aux, int argc,
		      const char *const *argv, sqlite3_vtab **out, char **err)
{
	struct ctvtab *v;

	(void)argc;
	(void)argv;
	(void)err;
	if (sqlite3_declare_vtab(db, live_conntrack_schema) != SQLITE_OK)
		return SQLITE_ERROR;
	v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->sh = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int ct_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int column_flag(int col)
{
	switch (col) {
	case C_VIP: return F_VIP;
	case C_PORT: return F_PORT;
	case C_PROTO: return F_PROTO;
	case C_BACKEND: return F_BACKEND;
	default: return 0;
	}
}

static int ct_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	int taken = 0, limit = -1, pos[5] = { -1, -1, -1, -1, -1 }, argv = 0;
	bool all = info->nOrderBy == 0;

	(void)vt;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int f = column_flag(c->iColumn);

		if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT && c->usable) {
			limit = i;
			continue;
		}
		if (c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->usable && f &&
		    !(taken & f)) {
			taken |= f;
			pos[__builtin_ctz((unsigned int)f)] = i;
			continue;
		}
		all = false; /* a term we leave to SQLite (OFFSET too) */
	}
	if (limit >= 0 && all) {
		taken |= F_LIMIT;
		pos[4] = limit;
	}
	for (int b = 0; b < 5; b++) {
		if (pos[b] < 0)
			continue;
		info->aConstraintUsage[pos[b]].argvIndex = ++argv;
		info->aConstraintUsage[pos[b]].omit = 1;
	}
	info->idxNum = taken;
	/* Every plan walks the whole table; filters only cut the rows. */
	info->estimatedCost = 1e6;
	info->estimatedRows = taken & (F_VIP | F_BACKEND) ? 1000 : 1000000;
	return SQLITE_OK;
}

static int ct_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct ctcursor *c = sqlite3_malloc(sizeof(*c));

	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->ctx.sh = ((struct ctvtab *)vt)->sh;
	*out = &c->base;
	return SQLITE_OK;
}

static int ct_close(sqlite3_vtab_cursor *cur)
{
	struct ctcursor *c = (struct ctcursor *)cur;

	xlb_ct_scan_close(&c->scan);
	live_ctx_close(&c->ctx);
	sqlite3_free(c);
	return SQLITE_OK;
}

static void parse_addr(sqlite3_value *v, union xlb_addr *a, __u8 *fam,
		       bool *none)
{
	const char *s = (const char *)sqlite3_value_text(v);

	if (!s || xlb_addr_parse(s, a, fam))
		*none = true;
}

static void read_want(struct want *w, int flags, sqlite3_value **argv)
{
	const char *s;
	int i = 0;

	memset(w, 0, sizeof(*w));
	w->flags = flags;
	if (flags & F_VIP)
		parse_addr(argv[i++], &w->vip, &w->vip_fam, &w->none);
	if (flags & F_PORT) {
		sqlite3_int64 p = sqlite3_value_int64(argv[i++]);

		w->none |= p < 0 || p > 65535;
		w->port = (__u16)p;
	}
	if (flags & F_PROTO) {
		s = (const char *)sqlite3_value_text(argv[i++]);
		w->none |= !s || xlb_proto_parse(s, &w->proto);
	}
	if (flags & F_BACKEND)
		parse_addr(argv[i++], &w->backend, &w->backend_fam, &w->none);
	if (flags & F_LIMIT) {
		w->limit = sqlite3_value_int64(argv[i++]);
		w->none |= w->limit == 0;
	}
}

static const struct xlb_backend *backend_of(const struct ctcursor *c)
{
	__u32 id = c->flow.backend_id;

	if (!c->ctx.be || id == 0 || id > c->ctx.m.max_be_id)
		return NULL;
	return &c->ctx.be[id - 1];
}

static bool matches(const struct ctcursor *c)
{
	const struct want *w = &c->w;
	const struct xlb_flow_key *k = &c->key;
	const struct xlb_backend *be;

	if ((w->flags & F_VIP) && (k->family != w->vip_fam ||
				   memcmp(&k->dst, &w->vip, sizeof(w->vip))))
		return false;
	if ((w->flags & F_PORT) && ntohs(k->dport) != w->port)
		return false;
	if ((w->flags & F_PROTO) && k->proto != w->proto)
		return false;
	if (w->flags & F_BACKEND) {
		be = backend_of(c);
		if (!be || be->family != w->backend_fam ||
		    memcmp(&be->addr, &w->backend, sizeof(w->backend)))
			return false;
	}
	return true;
}

/* Moves to the next matching flow, or to the end. */
static int advance(struct ctcursor *c)
{
	int r;

	if (c->w.none || ((c->w.flags & F_LIMIT) && c->w.limit > 0 &&
			  c->rowid >= c->w.limit)) {
		c->eof = true;
		return SQLITE_OK;
	}
	while ((r = xlb_ct_scan_next(&c->scan, &c->key, &c->flow)) == 1) {
		if (matches(c)) {
			c->rowid++;
			return SQLITE_OK;
		}
		if (lbsh_interrupted)
			return SQLITE_INTERRUPT;
	}
	c->eof = true;
	return r < 0 ? SQLITE_ERROR : SQLITE_OK;
}

static int fail(struct ctcursor *c, int err)
{
	struct ctvtab *v = (struct ctvtab *)c->base.pVtab;

	sqlite3_free(v->base.zErrMsg);
	v->base.zErrMsg = live_errmsg(v->sh, err);
	return SQLITE_ERROR;
}

static int ct_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str,
		     int argc, sqlite3_value **argv)
{
	struct ctcursor *c = (struct ctcursor *)cur;
	int err, rc;

	(void)idx_str;
	(void)argc;
	xlb_ct_scan_close(&c->scan);
	read_want(&c->w, idx, argv);
	c->rowid = 0;
	c->eof = false;
	err = live_open_maps(&c->ctx);
	if (!err)
		err = live_load_backends(&c->ctx);
	if (!err)
		err = xlb_ct_scan_open(&c->scan, &c->ctx.m);
	if (err)
		return fail(c, err);
	rc = advance(c);
	return rc == SQLITE_ERROR ? fail(c, -EIO) : rc;
}

static int ct_next(sqlite3_vtab_cursor *cur)
{
	struct ctcursor *c = (struct ctcursor *)cur;
	int rc = advance(c);

	return rc == SQLITE_ERROR ? fail(c, -EIO) : rc;
}

static int ct_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct ctcursor *)cur)->eof;
}

static void result_addr(sqlite3_context *ctx, const union xlb_addr *a,
			__u8 fam)
{
	char buf[XLB_ADDR_STRLEN];

	if (xlb_addr_format(a, fam, buf, sizeof(buf)) < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static int ct_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	struct ctcursor *c = (struct ctcursor *)cur;
	const struct xlb_flow_key *k = &c->key;
	const struct xlb_backend *be = backend_of(c);
	const char *p;

	switch (i) {
	case C_PROTO:
		p = xlb_proto_name(k->proto);
		if (p)
			sqlite3_result_text(ctx, p, -1, SQLITE_STATIC);
		else
			sqlite3_result_int(ctx, k->proto);
		break;
	case C_CLIENT:
		result_addr(ctx, &k->src, k->family);
		break;
	case C_CLIENT_PORT:
		sqlite3_result_int(ctx, ntohs(k->sport));
		break;
	case C_VIP:
		result_addr(ctx, &k->dst, k->family);
		break;
	case C_PORT:
		sqlite3_result_int(ctx, ntohs(k->dport));
		break;
	case C_BACKEND:
		if (be && be->state != XLB_BE_REMOVED)
			result_addr(ctx, &be->addr, be->family);
		break;
	case C_BACKEND_PORT:
		if (be && be->state != XLB_BE_REMOVED)
			sqlite3_result_int(ctx, be->port);
		break;
	case C_BACKEND_ID:
		sqlite3_result_int64(ctx, c->flow.backend_id);
		break;
	case C_SERVICE_ID:
		sqlite3_result_int64(ctx, c->flow.svc_id);
		break;
	}
	return SQLITE_OK;
}

static int ct_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = ((struct ctcursor *)cur)->rowid;
	return SQLITE_OK;
}

const sqlite3_module live_conntrack_module = {
	.iVersion = 0,
	.xConnect = ct_connect, /* no xCreate: eponymous only */
	.xBestIndex = ct_best_index,
	.xDisconnect = ct_disconnect,
	.xOpen = ct_open,
	.xClose = ct_close,
	.xFilter = ct_filter,
	.xNext = ct_next,
	.xEof = ct_eof,
	.xColumn = ct_column,
	.xRowid = ct_rowid,
};
