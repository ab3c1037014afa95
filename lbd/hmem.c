// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * hmem.c - health as last heard from hcd, in memory: (backend address,
 * backend port, check) -> up or down, and the check names as small ids.
 *
 * lbd decides from this table, not from backend_health: a HEALTH batch is
 * applied to the maps first and written to the database afterwards
 * (health.c), so a pass in between must still see it.  The table is
 * loaded from backend_health at start, which is what makes a restarted
 * lbd keep the health it last applied.  Both hashes use open addressing
 * with linear probing, at most half full, and never delete: a key once
 * heard stays (hcd's checks are bounded by the configuration).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbd.h"
#include "xlb_errmsg.h"

struct lbd_hent {
	union xlb_addr addr;
	uint32_t check;   /* 0: empty slot */
	uint16_t port;
	uint8_t family;
	uint8_t down;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return mix64(h);
}

static uint64_t key_hash(const struct lbd_hkey *k)
{
	uint64_t a[2];

	memcpy(a, &k->addr, sizeof(a));
	return mix64(a[0] * 31 + mix64(a[1] ^ ((uint64_t)k->check << 24 |
					       (uint64_t)k->port << 8 |
					       k->family)));
}

void lbd_hmem_free(struct lbd_hmem *h)
{
	free(h->names);
	free(h->name_slots);
	free(h->ents);
	memset(h, 0, sizeof(*h));
}

/* ---- check names ----------------------------------------------------------- */

static size_t name_find(const struct lbd_hmem *h, const char *name)
{
	size_t i = str_hash(name) & (h->name_cap - 1);

	while (h->name_slots[i] &&
	       strcmp(h->names[h->name_slots[i] - 1], name))
		i = (i + 1) & (h->name_cap - 1);
	return i;
}

static int names_grow(struct lbd_hmem *h)
{
	size_t cap = h->name_cap ? h->name_cap * 2 : 64;
	uint32_t *slots = calloc(cap, sizeof(*slots));
	char (*names)[XLB_MSG_CHECK_MAX + 1];

	if (!slots)
		return -ENOMEM;
	names = realloc(h->names, cap / 2 * sizeof(*names));
	if (!names) {
		free(slots);
		return -ENOMEM;
	}
	free(h->name_slots);
	h->names = names;
	h->name_slots = slots;
	h->name_cap = cap;
	for (uint32_t id = 1; id <= h->nnames; id++)
		h->name_slots[name_find(h, h->names[id - 1])] = id;
	return 0;
}

uint32_t lbd_hmem_check(struct lbd_hmem *h, const char *name)
{
	size_t i;

	if (!name || !*name || strlen(name) > XLB_MSG_CHECK_MAX)
		return 0;
	if (h->name_cap && h->name_slots[i = name_find(h, name)])
		return h->name_slots[i];
	if ((h->nnames + 1) * 2 > h->name_cap && names_grow(h))
		return 0;
	i = name_find(h, name);
	snprintf(h->names[h->nnames], sizeof(h->names[0]), "%s", name);
	h->name_slots[i] = ++h->nnames;
	return h->nnames;
}

/* ---- health ------------------------------------------------------------------ */

static size_t ent_find(const struct lbd_hmem *h, const struct lbd_hkey *k)
{
	size_t i = key_hash(k) & (h->cap - 1);

	while (h->ents[i].check &&
	       (h->ents[i].check != k->check || h->ents[i].port != k->port ||
		h->ents[i].family != k->family ||
		memcmp(&h->ents[i].addr, &k->addr, sizeof(k->addr))))
		i = (i + 1) & (h->cap - 1);
	return i;
}

static int ents_grow(struct lbd_hmem *h)
{
	struct lbd_hmem old = *h;
	size_t cap = h->cap ? h->cap * 2 : 1024;

	h->ents = calloc(cap, sizeof(*h->ents));
	if (!h->ents) {
		h->ents = old.ents;
		return -ENOMEM;
	}
	h->cap = cap;
	for (size_t i = 0; i < old.cap; i++) {
		const struct lbd_hent *e = &old.ents[i];
		struct lbd_hkey k = { .addr = e->addr, .family = e->family,
				      .port = e->port, .check = e->check };

		if (e->check)
			h->ents[ent_find(h, &k)] = *e;
	}
	free(old.ents);
	return 0;
}

int lbd_hmem_down(const struct lbd_hmem *h, const struct lbd_hkey *k)
{
	size_t i;

	if (!k->check || !h->cap)
		return 0;
	i = ent_find(h, k);
	return h->ents[i].check ? h->ents[i].down : 0;
}

int lbd_hmem_set(struct lbd_hmem *h, const struct lbd_hkey *k, bool down)
{
	struct lbd_hent *e;
	int was;

	if (!k->check)
		return -EINVAL;
	if ((h->used + 1) * 2 > h->cap && ents_grow(h))
		return -ENOMEM;
	e = &h->ents[ent_find(h, k)];
	was = e->check ? e->down : 0; /* never heard: up, as with no row */
	if (!e->check) {
		*e = (struct lbd_hent){ .addr = k->addr, .family = k->family,
					.port = k->port, .check = k->check };
		h->used++;
	}
	e->down = down;
	return was;
}

#define LOAD_SQL \
	"SELECT address, backend_port, health_check, status FROM backend_health"

/* A row lbd cannot read (an address it would not write) is skipped: it
 * names no backend lbd applies. */
static int load_row(struct lbd_hmem *h, sqlite3_stmt *q)
{
	const char *addr = (const char *)sqlite3_column_text(q, 0);
	const char *status = (const char *)sqlite3_column_text(q, 3);
	struct lbd_hkey k = { .port = (uint16_t)sqlite3_column_int(q, 1) };
	int err;

	if (!addr || xlb_addr_parse(addr, &k.addr, &k.family))
		return 0;
	k.check = lbd_hmem_check(h, (const char *)sqlite3_column_text(q, 2));
	if (!k.check)
		return 0;
	err = lbd_hmem_set(h, &k, status && !strcmp(status, "down"));
	return err < 0 ? err : 0;
}

int lbd_hmem_load(struct lbd_hmem *h, sqlite3 *db)
{
	sqlite3_stmt *q;
	int rc = SQLITE_DONE, err = 0;

	if (sqlite3_prepare_v2(db, LOAD_SQL, -1, &q, NULL) != SQLITE_OK)
		return xlb_errmsg_set(-EIO, "backend_health: %s",
				      sqlite3_errmsg(db));
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = load_row(h, q);
	if (!err && rc != SQLITE_DONE)
		err = xlb_errmsg_set(-EIO, "backend_health: %s",
				     sqlite3_errmsg(db));
	sqlite3_finalize(q);
	if (err == -ENOMEM)
		xlb_errmsg_set(err, "out of memory loading backend_health");
	return err;
}
