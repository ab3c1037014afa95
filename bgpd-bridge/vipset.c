// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vipset.c - a sorted array of VIPs.  Sets are small (a node announces
 * tens to thousands of VIPs) and change a few entries at a time, so a
 * sorted array with binary search beats a hash: diffs and rendering walk
 * it in order, and the include files come out the same for the same set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgpd.h"

static int vip_cmp(const struct bgpd_vip *a, const union xlb_addr *addr,
		   __u8 fam)
{
	if (a->family != fam)
		return a->family < fam ? -1 : 1;
	return memcmp(&a->addr, addr, sizeof(*addr));
}

/* Index of the first entry not below (addr, fam). */
static size_t lower_bound(const struct bgpd_vipset *s,
			  const union xlb_addr *addr, __u8 fam)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vip_cmp(&s->v[mid], addr, fam) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void vipset_init(struct bgpd_vipset *s)
{
	memset(s, 0, sizeof(*s));
}

void vipset_free(struct bgpd_vipset *s)
{
	free(s->v);
	vipset_init(s);
}

void vipset_clear(struct bgpd_vipset *s)
{
	s->n = 0;
}

static int reserve(struct bgpd_vipset *s, size_t n)
{
	struct bgpd_vip *v;
	size_t cap;

	if (n <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 16;
	while (cap < n)
		cap *= 2;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

int vipset_add(struct bgpd_vipset *s, const union xlb_addr *addr, __u8 fam)
{
	size_t i = lower_bound(s, addr, fam);

	if (i < s->n && !vip_cmp(&s->v[i], addr, fam))
		return 0;
	if (reserve(s, s->n + 1))
		return -ENOMEM;
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(s->v[0]));
	memset(&s->v[i], 0, sizeof(s->v[i]));
	s->v[i].addr = *addr;
	s->v[i].family = fam;
	s->n++;
	return 1;
}

int vipset_del(struct bgpd_vipset *s, const union xlb_addr *addr, __u8 fam)
{
	size_t i = lower_bound(s, addr, fam);

	if (i >= s->n || vip_cmp(&s->v[i], addr, fam))
		return 0;
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
	s->n--;
	return 1;
}

bool vipset_has(const struct bgpd_vipset *s, const union xlb_addr *addr,
		__u8 fam)
{
	size_t i = lower_bound(s, addr, fam);

	return i < s->n && !vip_cmp(&s->v[i], addr, fam);
}

bool vipset_equal(const struct bgpd_vipset *a, const struct bgpd_vipset *b)
{
	return a->n == b->n &&
	       (!a->n || !memcmp(a->v, b->v, a->n * sizeof(a->v[0])));
}

int vipset_copy(struct bgpd_vipset *dst, const struct bgpd_vipset *src)
{
	if (reserve(dst, src->n))
		return -ENOMEM;
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(src->v[0]));
	dst->n = src->n;
	return 0;
}

size_t vipset_count(const struct bgpd_vipset *s, __u8 fam)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].family == fam;
	return n;
}

int vipset_prefix(const struct bgpd_vip *v, char *buf, size_t len)
{
	return xlb_prefix_format(&v->addr, v->family, xlb_addr_bits(v->family),
				 buf, len);
}
