// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * target.c - one worker's targets and keys, deduplicated: a target is
 * (probe parameters, address, port) and is probed once however many keys
 * use it; its result fans out through links to each key's rise/fall
 * state.  A reload builds a new set from the new specs, taking over every
 * target and key that did not change, so a changed check restarts only
 * its own targets and keys; the others keep their schedule and state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hcd.h"

/* FNV-1a, then a final mix: cheap and good enough for bucket picking. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t hcd_target_hash(const struct hcd_params *p,
			 const union xlb_addr *a, uint8_t family,
			 uint16_t port)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, &p->id, sizeof(p->id));
	h = fnv(h, a, sizeof(*a));
	h = fnv(h, &family, 1);
	h = fnv(h, &port, sizeof(port));
	return mix(h);
}

uint64_t hcd_key_hash(const struct hcd_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, &k->addr, sizeof(k->addr));
	h = fnv(h, &k->family, 1);
	h = fnv(h, &k->port, sizeof(k->port));
	h = fnv(h, k->check, strlen(k->check));
	return mix(h);
}

static bool key_eq(const struct hcd_key *a, const struct hcd_key *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr)) &&
	       !strcmp(a->check, b->check);
}

static bool target_is(const struct hcd_target *t, const struct hcd_params *p,
		      const union xlb_addr *a, uint8_t family, uint16_t port)
{
	return t->params == p && t->family == family && t->port == port &&
	       !memcmp(&t->addr, a, sizeof(*a));
}

static size_t buckets_for(size_t n)
{
	size_t b = 64;

	while (b < n)
		b *= 2;
	return b;
}

/* Unhooks and returns old's target of this identity, if any. */
static struct hcd_target *take_target(struct hcd_set *old, uint64_t h,
				      const struct hcd_spec *s)
{
	struct hcd_target **pp;

	if (!old || !old->nbuckets)
		return NULL;
	for (pp = &old->tbuckets[h & (old->nbuckets - 1)]; *pp;
	     pp = &(*pp)->next) {
		struct hcd_target *t = *pp;

		if (t->hash == h && target_is(t, s->params, &s->key.addr,
					      s->key.family, s->probe_port)) {
			*pp = t->next;
			old->ntargets--;
			return t;
		}
	}
	return NULL;
}

static struct hcd_target *new_target(const struct hcd_spec *s, uint64_t h)
{
	struct hcd_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->params = s->params;
	t->addr = s->key.addr;
	t->family = s->key.family;
	t->port = s->probe_port;
	t->heap_idx = UINT32_MAX;
	t->hash = h;
	return t;
}

static struct hcd_target *target_get(struct hcd_set *set,
				     struct hcd_set *old,
				     const struct hcd_spec *s)
{
	uint64_t h = hcd_target_hash(s->params, &s->key.addr, s->key.family,
				     s->probe_port);
	struct hcd_target **b = &set->tbuckets[h & (set->nbuckets - 1)];
	struct hcd_target *t;

	for (t = *b; t; t = t->next)
		if (t->hash == h && target_is(t, s->params, &s->key.addr,
					      s->key.family, s->probe_port))
			return t;
	t = take_target(old, h, s);
	if (t)
		t->nlinks = 0; /* its links are rebuilt below */
	else if (!(t = new_target(s, h)))
		return NULL;
	t->next = *b;
	*b = t;
	set->ntargets++;
	return t;
}

static struct hcd_kstate *key_get(struct hcd_set *set, const struct hcd_key *k)
{
	uint64_t h = hcd_key_hash(k);
	struct hcd_kstate **b = &set->kbuckets[h & (set->nbuckets - 1)];
	struct hcd_kstate *ks;

	for (ks = *b; ks; ks = ks->next)
		if (ks->hash == h && key_eq(&ks->key, k))
			return ks;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return NULL;
	ks->key = *k;
	ks->hash = h;
	ks->next = *b;
	*b = ks;
	set->nkeys++;
	return ks;
}

static int push_link(struct hcd_link ***v, uint32_t *n, uint32_t *cap,
		     struct hcd_link *l)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 2;
		struct hcd_link **nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = l;
	return 0;
}

static int link_add(struct hcd_set *set, struct hcd_kstate *ks,
		    struct hcd_target *t, const struct hcd_spec *s)
{
	struct hcd_link *l = &set->links[set->nlinks];
	uint32_t kcap = ks->nlinks; /* key arrays grow one by one: rare */

	for (uint32_t i = 0; i < ks->nlinks; i++)
		if (ks->links[i]->target == t && ks->links[i]->rise == s->rise &&
		    ks->links[i]->fall == s->fall)
			return 0;
	memset(l, 0, sizeof(*l));
	l->key = ks;
	l->target = t;
	l->rise = s->rise;
	l->fall = s->fall;
	if (push_link(&ks->links, &ks->nlinks, &kcap, l) ||
	    push_link(&t->links, &t->nlinks, &t->caplinks, l))
		return -ENOMEM;
	set->nlinks++;
	return 0;
}

static struct hcd_kstate *key_find(struct hcd_set *set,
				   const struct hcd_kstate *k)
{
	struct hcd_kstate *ks;

	if (!set || !set->nbuckets)
		return NULL;
	for (ks = set->kbuckets[k->hash & (set->nbuckets - 1)]; ks;
	     ks = ks->next)
		if (ks->hash == k->hash && key_eq(&ks->key, &k->key))
			return ks;
	return NULL;
}

/* The same targets with the same rise and fall, in the same order (specs
 * are sorted, so an unchanged key lists them alike). */
static bool same_links(const struct hcd_kstate *a, const struct hcd_kstate *b)
{
	if (a->nlinks != b->nlinks)
		return false;
	for (uint32_t i = 0; i < a->nlinks; i++)
		if (a->links[i]->target != b->links[i]->target ||
		    a->links[i]->rise != b->links[i]->rise ||
		    a->links[i]->fall != b->links[i]->fall)
			return false;
	return true;
}

static void carry_state(struct hcd_set *set, struct hcd_set *old)
{
	for (size_t b = 0; b < set->nbuckets; b++)
		for (struct hcd_kstate *ks = set->kbuckets[b]; ks;
		     ks = ks->next) {
			struct hcd_kstate *o = key_find(old, ks);

			if (!o || !same_links(ks, o))
				continue;
			ks->verdict = o->verdict;
			for (uint32_t i = 0; i < ks->nlinks; i++)
				ks->links[i]->rf = o->links[i]->rf;
		}
}

static void keys_free(struct hcd_set *set)
{
	for (size_t b = 0; b < set->nbuckets; b++) {
		struct hcd_kstate *ks = set->kbuckets[b];

		while (ks) {
			struct hcd_kstate *next = ks->next;

			free(ks->links);
			free(ks);
			ks = next;
		}
	}
	free(set->kbuckets);
	set->kbuckets = NULL;
	set->nkeys = 0;
}

/* What old still holds after the build: targets no spec wants. */
static int list_gone(struct hcd_set *old, struct hcd_target ***gone,
		     size_t *ngone)
{
	size_t n = 0;

	*gone = NULL;
	*ngone = 0;
	if (!old || !old->ntargets)
		return 0;
	*gone = malloc(old->ntargets * sizeof(**gone));
	if (!*gone)
		return -ENOMEM;
	for (size_t b = 0; b < old->nbuckets; b++)
		for (struct hcd_target *t = old->tbuckets[b]; t; t = t->next) {
			t->gone = true;
			t->nlinks = 0;
			(*gone)[n++] = t;
		}
	*ngone = n;
	return 0;
}

static void old_release(struct hcd_set *old)
{
	if (!old)
		return;
	keys_free(old);
	free(old->tbuckets);
	free(old->links);
	memset(old, 0, sizeof(*old));
}

int hcd_set_build(struct hcd_set *set, const struct hcd_spec *specs,
		  size_t n, struct hcd_set *old, struct hcd_target ***gone,
		  size_t *ngone)
{
	int err = 0;

	memset(set, 0, sizeof(*set));
	set->nbuckets = buckets_for(n);
	set->tbuckets = calloc(set->nbuckets, sizeof(*set->tbuckets));
	set->kbuckets = calloc(set->nbuckets, sizeof(*set->kbuckets));
	set->links = malloc((n ? n : 1) * sizeof(*set->links));
	if (!set->tbuckets || !set->kbuckets || !set->links)
		err = -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		struct hcd_target *t = target_get(set, old, &specs[i]);
		struct hcd_kstate *ks = t ? key_get(set, &specs[i].key) : NULL;

		err = ks ? link_add(set, ks, t, &specs[i]) : -ENOMEM;
	}
	if (!err) {
		carry_state(set, old);
		err = list_gone(old, gone, ngone);
	}
	if (err) { /* old keeps what it still holds; the caller decides */
		hcd_set_free(set);
		return err;
	}
	old_release(old);
	return 0;
}

void hcd_target_free(struct hcd_target *t)
{
	if (!t)
		return;
	free(t->links);
	free(t);
}

void hcd_set_each(struct hcd_set *set,
		  void (*fn)(struct hcd_target *, void *), void *arg)
{
	for (size_t b = 0; b < set->nbuckets; b++) {
		struct hcd_target *t = set->tbuckets[b];

		while (t) {
			struct hcd_target *next = t->next;

			fn(t, arg);
			t = next;
		}
	}
}

void hcd_set_free(struct hcd_set *set)
{
	for (size_t b = 0; set->tbuckets && b < set->nbuckets; b++) {
		struct hcd_target *t = set->tbuckets[b];

		while (t) {
			struct hcd_target *next = t->next;

			hcd_target_free(t);
			t = next;
		}
	}
	keys_free(set);
	free(set->tbuckets);
	free(set->links);
	memset(set, 0, sizeof(*set));
}
