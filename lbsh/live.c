// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * live.c - what the live_* tables share: opening the pins, the service
 * and backend-entry views of the maps, and one generic read-only module
 * for the tables that are read whole at xFilter (see live.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "xlb_errmsg.h"

const char *const lbsh_live_names[] = {
	"live_backend", "live_conntrack", "live_interface", "live_maglev",
	"live_reason", "live_service", NULL
};

static const struct live_table *const tables[] = {
	&live_backend_table, &live_interface_table, &live_maglev_table,
	&live_reason_table, &live_service_table,
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

const char *lbsh_live_schema(const char *name)
{
	if (!strcmp(name, "live_conntrack"))
		return live_conntrack_schema;
	for (size_t i = 0; i < NTABLES; i++)
		if (!strcmp(name, tables[i]->name))
			return tables[i]->schema;
	return NULL;
}

/* ---- rows ------------------------------------------------------------------ */

struct live_val *live_row(struct live_rows *r)
{
	size_t n = (size_t)r->ncol;

	if (r->nrows == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct live_val *p = realloc(r->v, cap * n * sizeof(*p));

		if (!p)
			return NULL;
		r->v = p;
		r->cap = cap;
	}
	memset(&r->v[r->nrows * n], 0, n * sizeof(*r->v));
	for (size_t i = 0; i < n; i++)
		r->v[r->nrows * n + i].type = SQLITE_NULL;
	return &r->v[r->nrows++ * n];
}

void live_int(struct live_val *v, sqlite3_int64 i)
{
	v->type = SQLITE_INTEGER;
	v->i = i;
}

void live_real(struct live_val *v, double d)
{
	v->type = SQLITE_FLOAT;
	v->d = d;
}

int live_text(struct live_val *v, const char *s)
{
	if (!s)
		return 0;
	v->s = strdup(s);
	if (!v->s)
		return -ENOMEM;
	v->type = SQLITE_TEXT;
	return 0;
}

void live_rows_free(struct live_rows *r)
{
	for (size_t i = 0; i < r->nrows * (size_t)r->ncol; i++)
		free(r->v[i].s);
	free(r->v);
	r->v = NULL;
	r->nrows = r->cap = 0;
}

/* ---- the maps ---------------------------------------------------------------- */

char *live_errmsg(const struct lbsh *sh, int err)
{
	if (err == -ENOENT)
		return sqlite3_mprintf("no datapath pinned in %s (%s); is lbd "
				       "running, or is --pin-dir another "
				       "folder?", sh->pin_dir, xlb_errmsg());
	return sqlite3_mprintf("%s", xlb_errmsg());
}

int live_open_maps(struct live_ctx *c)
{
	int err;

	if (c->maps_open)
		return 0;
	err = xlb_dpmaps_open_pinned(c->sh->pin_dir, &c->m);
	if (!err)
		c->maps_open = true;
	return err;
}

static int add_service(const struct xlb_vip_key *key,
		       const struct xlb_service *svc, void *arg)
{
	struct live_ctx *c = arg;

	if (key->proto && svc->id && svc->id <= c->m.max_svc_id)
		c->svc[svc->id] = *key;
	return 0;
}

int live_load_services(struct live_ctx *c)
{
	if (c->svc)
		return 0;
	c->svc = calloc((size_t)c->m.max_svc_id + 1, sizeof(*c->svc));
	if (!c->svc)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	return xlb_dpmap_service_walk(&c->m, add_service, c);
}

int live_load_backends(struct live_ctx *c)
{
	if (c->be)
		return 0;
	c->be = calloc((size_t)c->m.max_be_id, sizeof(*c->be));
	if (!c->be)
		return xlb_errmsg_set(-ENOMEM, "out of memory");
	return xlb_dpmap_backends_read(&c->m, 1, c->m.max_be_id, c->be);
}

void live_ctx_close(struct live_ctx *c)
{
	free(c->svc);
	free(c->be);
	c->svc = NULL;
	c->be = NULL;
	if (c->maps_open)
		xlb_dpmaps_close(&c->m);
	c->maps_open = false;
}

int live_service_vals(const struct live_ctx *c, __u32 id,
		      struct live_val *vip, struct live_val *proto,
		      struct live_val *port)
{
	const struct xlb_vip_key *k;
	char addr[XLB_ADDR_STRLEN];

	if (!c->svc || id == 0 || id > c->m.max_svc_id || !c->svc[id].proto)
		return 0; /* a service no longer in the maps: NULLs */
	k = &c->svc[id];
	if (xlb_addr_format(&k->addr, k->family, addr, sizeof(addr)) < 0)
		return 0;
	live_int(port, ntohs(k->port));
	if (live_text(vip, addr) || live_text(proto, xlb_proto_name(k->proto)))
		return -ENOMEM;
	return 0;
}

const char *live_be_state(__u8 state)
{
	static const char *const names[] = {
		[XLB_BE_REMOVED] = "removed", [XLB_BE_ACTIVE] = "active",
		[XLB_BE_DRAIN] = "drain",     [XLB_BE_DOWN] = "down",
	};

	return state <= XLB_BE_DOWN ? names[state] : "?";
}

/* ---- the generic module ---------------------------------------------------- */

struct gvtab {
	sqlite3_vtab base;
	const struct live_table *t;
	struct lbsh *sh;
};

struct gcursor {
	sqlite3_vtab_cursor base;
	struct live_rows rows;
	size_t at;
};

static int g_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		     sqlite3_vtab **out, char **err)
{
	const struct live_table *t = NULL;
	struct gvtab *v;

	(void)argc;
	(void)err;
	for (size_t i = 0; i < NTABLES; i++)
		if (!strcmp(argv[0], tables[i]->name))
			t = tables[i];
	if (!t)
		return SQLITE_ERROR;
	if (sqlite3_declare_vtab(db, t->schema) != SQLITE_OK)
		return SQLITE_ERROR;
	v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->t = t;
	v->sh = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int g_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* Rows are few: SQLite filters them itself. */
static int g_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	info->estimatedCost = 1000;
	info->estimatedRows = 1000;
	return SQLITE_OK;
}

static int g_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct gcursor *c = sqlite3_malloc(sizeof(*c));

	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int g_close(sqlite3_vtab_cursor *cur)
{
	struct gcursor *c = (struct gcursor *)cur;

	live_rows_free(&c->rows);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int g_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str,
		    int argc, sqlite3_value **argv)
{
	struct gcursor *c = (struct gcursor *)cur;
	struct gvtab *v = (struct gvtab *)cur->pVtab;
	struct live_ctx ctx = { .sh = v->sh };
	int err = 0;

	(void)idx;
	(void)idx_str;
	(void)argc;
	(void)argv;
	live_rows_free(&c->rows);
	c->rows.ncol = v->t->ncol;
	c->at = 0;
	if (v->t->maps)
		err = live_open_maps(&ctx);
	if (!err)
		err = v->t->fill(&ctx, &c->rows);
	live_ctx_close(&ctx);
	if (err) {
		sqlite3_free(v->base.zErrMsg);
		v->base.zErrMsg = live_errmsg(v->sh, err);
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

static int g_next(sqlite3_vtab_cursor *cur)
{
	((struct gcursor *)cur)->at++;
	return SQLITE_OK;
}

static int g_eof(sqlite3_vtab_cursor *cur)
{
	struct gcursor *c = (struct gcursor *)cur;

	return c->at >= c->rows.nrows;
}

static int g_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	struct gcursor *c = (struct gcursor *)cur;
	const struct live_val *v = &c->rows.v[c->at * c->rows.ncol + i];

	switch (v->type) {
	case SQLITE_INTEGER:
		sqlite3_result_int64(ctx, v->i);
		break;
	case SQLITE_FLOAT:
		sqlite3_result_double(ctx, v->d);
		break;
	case SQLITE_TEXT:
		sqlite3_result_text(ctx, v->s, -1, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_null(ctx);
	}
	return SQLITE_OK;
}

static int g_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((struct gcursor *)cur)->at + 1;
	return SQLITE_OK;
}

static const sqlite3_module generic_module = {
	.iVersion = 0,
	.xConnect = g_connect, /* no xCreate: eponymous only */
	.xBestIndex = g_best_index,
	.xDisconnect = g_disconnect,
	.xOpen = g_open,
	.xClose = g_close,
	.xFilter = g_filter,
	.xNext = g_next,
	.xEof = g_eof,
	.xColumn = g_column,
	.xRowid = g_rowid,
};

int lbsh_live_register(struct lbsh *sh)
{
	for (size_t i = 0; i < NTABLES; i++)
		if (sqlite3_create_module(sh->db, tables[i]->name,
					  &generic_module, sh) != SQLITE_OK)
			return -1;
	if (sqlite3_create_module(sh->db, "live_conntrack",
				  &live_conntrack_module, sh) != SQLITE_OK)
		return -1;
	return 0;
}
