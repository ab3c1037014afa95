// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * validate.c - what SQL cannot tell, checked before anything of a service
 * is written: addresses that parse and are spelled canonically (two
 * spellings of one address would be two rows for one map key), backend
 * families the encapsulation supports, sizes within the maps.  A failure
 * is recorded as a reject and the service keeps what is applied.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lbd.h"
#include "xlb_maglev.h"

int lbd_reject_add(struct lbd_rejects *rj, const char *tbl, const char *key,
		   const char *field, const char *value, const char *fmt, ...)
{
	struct lbd_reject *r;
	va_list ap;

	if (rj->n == rj->cap) {
		size_t cap = rj->cap ? rj->cap * 2 : 16;

		r = realloc(rj->r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		rj->r = r;
		rj->cap = cap;
	}
	r = &rj->r[rj->n++];
	snprintf(r->tbl, sizeof(r->tbl), "%s", tbl);
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->field, sizeof(r->field), "%s", field);
	snprintf(r->value, sizeof(r->value), "%s", value);
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* 0, or a reason in why: not an address, or not spelled canonically. */
static int check_addr(const char *text, union xlb_addr *a, __u8 *fam,
		      char *why, size_t len)
{
	char canon[XLB_ADDR_STRLEN];

	if (xlb_addr_parse(text, a, fam)) {
		snprintf(why, len, "\"%s\" is not an IPv4 or IPv6 address",
			 text);
		return -EINVAL;
	}
	xlb_addr_format(a, *fam, canon, sizeof(canon));
	if (strcmp(canon, text)) {
		snprintf(why, len, "\"%s\" is not canonical: write \"%s\"",
			 text, canon);
		return -EINVAL;
	}
	return 0;
}

static int reject(struct lbd_job *job, struct lbd_rejects *rj,
		  const char *tbl, const char *key, const char *field,
		  const char *value, const char *why)
{
	job->rejected = true;
	return lbd_reject_add(rj, tbl, key, field, value, "%s", why);
}

static int check_service(struct lbd_job *job, const struct lbd_state *st,
			 struct lbd_rejects *rj)
{
	char why[160], num[16];

	if (check_addr(job->vip, &job->key.addr, &job->key.family, why,
		       sizeof(why)))
		return reject(job, rj, "service", job->text, "vip", job->vip,
			      why);
	if (xlb_proto_parse(job->proto, &job->key.proto))
		return reject(job, rj, "service", job->text, "proto",
			      job->proto, "not tcp or udp");
	job->key.port = htons((__u16)job->port);
	snprintf(num, sizeof(num), "%u", job->ring_size);
	if (!xlb_is_prime(job->ring_size) || job->ring_size > XLB_MAX_RING)
		return reject(job, rj, "service", job->text, "ring_size", num,
			      "not a prime of 2..65537");
	snprintf(num, sizeof(num), "%zu", job->nrows);
	if (job->nrows > st->m.max_be_id) {
		snprintf(why, sizeof(why), "%zu backends exceed max_backends "
			 "%u", job->nrows, st->m.max_be_id);
		return reject(job, rj, "service", job->text, "backends", num,
			      why);
	}
	return 0;
}

static int check_row(struct lbd_job *job, struct lbd_row *r,
		     struct lbd_rejects *rj)
{
	char key[160], why[160];

	snprintf(key, sizeof(key), "%s %s %u", job->text, r->address,
		 r->be.port);
	if (check_addr(r->address, &r->be.addr, &r->be.family, why,
		       sizeof(why)))
		return reject(job, rj, "backend", key, "address", r->address,
			      why);
	/* IPv6 packets cannot be carried to an IPv4 backend. */
	if (job->key.family == XLB_FAM_V6 && r->be.family != XLB_FAM_V6)
		return reject(job, rj, "backend", key, "address", r->address,
			      "an IPv6 VIP needs IPv6 backends");
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return lbd_entry_cmp(&((const struct lbd_row *)a)->be,
			     &((const struct lbd_row *)b)->be);
}

int lbd_validate(struct lbd_job *job, const struct lbd_state *st,
		 struct lbd_rejects *rj)
{
	int err = check_service(job, st, rj);

	if (err || job->rejected)
		return err;
	for (size_t i = 0; i < job->nrows; i++) {
		err = check_row(job, &job->rows[i], rj);
		if (err)
			return err;
	}
	/* Ordered by key: how rows are merged with the entries in force. */
	if (!job->rejected && job->nrows > 1)
		qsort(job->rows, job->nrows, sizeof(*job->rows), row_cmp);
	return 0;
}
