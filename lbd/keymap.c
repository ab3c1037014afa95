// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * keymap.c - service key -> id, VIP -> index: an open-addressing hash with
 * linear probing and backward-shift deletion (no tombstones), kept at most
 * half full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lbd.h"

struct lbd_keymap_slot {
	struct xlb_vip_key key;
	uint32_t val;
	uint32_t full;
};

static uint64_t key_hash(const struct xlb_vip_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

int lbd_keymap_init(struct lbd_keymap *km, size_t hint)
{
	size_t cap = 16;

	while (cap < hint * 2)
		cap <<= 1;
	km->slots = calloc(cap, sizeof(*km->slots));
	if (!km->slots)
		return -ENOMEM;
	km->cap = cap;
	km->used = 0;
	return 0;
}

void lbd_keymap_free(struct lbd_keymap *km)
{
	free(km->slots);
	km->slots = NULL;
	km->cap = km->used = 0;
}

static size_t find(const struct lbd_keymap *km, const struct xlb_vip_key *k)
{
	size_t i = key_hash(k) & (km->cap - 1);

	while (km->slots[i].full &&
	       memcmp(&km->slots[i].key, k, sizeof(*k)))
		i = (i + 1) & (km->cap - 1);
	return i;
}

int lbd_keymap_get(const struct lbd_keymap *km, const struct xlb_vip_key *k,
		   uint32_t *val)
{
	size_t i = find(km, k);

	if (!km->slots[i].full)
		return 0;
	*val = km->slots[i].val;
	return 1;
}

static int grow(struct lbd_keymap *km)
{
	struct lbd_keymap old = *km;
	int err = lbd_keymap_init(km, old.cap);

	if (err) {
		*km = old;
		return err;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].full)
			km->slots[find(km, &old.slots[i].key)] = old.slots[i];
	km->used = old.used;
	free(old.slots);
	return 0;
}

int lbd_keymap_put(struct lbd_keymap *km, const struct xlb_vip_key *k,
		   uint32_t val)
{
	size_t i;

	if ((km->used + 1) * 2 > km->cap) {
		int err = grow(km);

		if (err)
			return err;
	}
	i = find(km, k);
	if (!km->slots[i].full) {
		km->slots[i].key = *k;
		km->slots[i].full = 1;
		km->used++;
	}
	km->slots[i].val = val;
	return 0;
}

void lbd_keymap_del(struct lbd_keymap *km, const struct xlb_vip_key *k)
{
	size_t mask = km->cap - 1, i = find(km, k), j = i;

	if (!km->slots[i].full)
		return;
	km->slots[i].full = 0;
	km->used--;
	/* Shift back the followers whose home is at or before the hole. */
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!km->slots[j].full)
			return;
		home = key_hash(&km->slots[j].key) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			km->slots[i] = km->slots[j];
			km->slots[j].full = 0;
			i = j;
		}
	}
}
