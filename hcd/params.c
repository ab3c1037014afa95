// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * params.c - a check's probe parameters, parsed once and interned: two
 * checks with the same type and parameters (whatever their names, rise
 * and fall) get the same struct, so their targets on one address and port
 * are one target.  The identity is a canonical text of every field that
 * changes what goes on the wire or how the answer is judged; a changed
 * check gets a new identity, and only its targets restart.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcd.h"
#include "xlb_errmsg.h"

struct hcd_interns {
	struct hcd_params **v;
	size_t n, cap;
};

int hcd_interns_new(struct hcd_interns **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void params_free(struct hcd_params *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->host);
	free(p->expect_body);
	free(p->body_kmp);
	free(p->send);
	free(p->canon);
	free(p);
}

void hcd_interns_free(struct hcd_interns *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++)
		params_free(in->v[i]);
	free(in->v);
	free(in);
}

static const char *const type_names[] = { "tcp", "http", "https", "icmp",
					  "udp" };

const char *hcd_type_name(enum hcd_type t)
{
	return (unsigned int)t < 5 ? type_names[t] : "?";
}

static int parse_type(const struct hcd_check_row *r, enum hcd_type *t)
{
	for (unsigned int i = 0; i < 5; i++)
		if (r->type && !strcmp(r->type, type_names[i])) {
			*t = (enum hcd_type)i;
			return 0;
		}
	return xlb_errmsg_set(-EINVAL, "health_check %s: type \"%s\" is not "
			      "tcp, http, https, icmp or udp", r->name,
			      r->type ? r->type : "");
}

static int parse_status(const struct hcd_check_row *r, struct hcd_params *p)
{
	unsigned int lo, hi;
	char end;
	const char *s = r->expect_status ? r->expect_status : "200-399";
	int n = sscanf(s, "%3u-%3u%c", &lo, &hi, &end);

	if (n == 1)
		hi = lo;
	if ((n != 1 && n != 2) || lo < 100 || hi > 599 || lo > hi)
		return xlb_errmsg_set(-EINVAL, "health_check %s: expect_status "
				      "\"%s\" is not like 200 or 200-399",
				      r->name, s);
	p->status_lo = (uint16_t)lo;
	p->status_hi = (uint16_t)hi;
	return 0;
}

/* Knuth-Morris-Pratt: the body is searched as it streams in, one state
 * per probe, whatever the read sizes. */
static int build_kmp(struct hcd_params *p)
{
	size_t n = p->body_len;
	int k = 0;

	p->body_kmp = calloc(n, sizeof(int));
	if (!p->body_kmp)
		return -ENOMEM;
	for (size_t i = 1; i < n; i++) {
		while (k && p->expect_body[i] != p->expect_body[k])
			k = p->body_kmp[k - 1];
		if (p->expect_body[i] == p->expect_body[k])
			k++;
		p->body_kmp[i] = k;
	}
	return 0;
}

/* An address to bind probes to, else an interface to bind them to. */
static int parse_source(const struct hcd_check_row *r, struct hcd_params *p)
{
	if (!r->source || !*r->source)
		return 0;
	if (!xlb_addr_parse(r->source, &p->src, &p->src_family))
		return 0;
	if (strlen(r->source) >= sizeof(p->ifname) ||
	    strspn(r->source, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		   "VWXYZ0123456789_.@-") != strlen(r->source))
		return xlb_errmsg_set(-EINVAL, "health_check %s: source \"%s\" "
				      "is neither an address nor an interface "
				      "name", r->name, r->source);
	strcpy(p->ifname, r->source);
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int fill(const struct hcd_check_row *r, struct hcd_params *p)
{
	int err = parse_type(r, &p->type);

	if (!err)
		err = parse_status(r, p);
	if (!err)
		err = parse_source(r, p);
	if (err)
		return err;
	if (r->interval_ms < 100 || r->timeout_ms < 10 ||
	    r->timeout_ms > r->interval_ms)
		return xlb_errmsg_set(-EINVAL, "health_check %s: timeout_ms %d "
				      "/ interval_ms %d out of range", r->name,
				      r->timeout_ms, r->interval_ms);
	p->interval_ms = (uint32_t)r->interval_ms;
	p->timeout_ms = (uint32_t)r->timeout_ms;
	p->tls_verify = r->tls_verify == 1;
	snprintf(p->method, sizeof(p->method), "%s",
		 r->method ? r->method : "GET");
	p->path = strdup(r->path ? r->path : "/");
	p->host = dup_or_null(r->host && *r->host ? r->host : NULL);
	if (r->expect_body && *r->expect_body) {
		p->body_len = strlen(r->expect_body);
		if (p->body_len > HCD_BODY_MAX)
			return xlb_errmsg_set(-EINVAL, "health_check %s: "
					      "expect_body is %zu bytes, over "
					      "%d", r->name, p->body_len,
					      HCD_BODY_MAX);
		p->expect_body = strdup(r->expect_body);
		if (!p->expect_body || build_kmp(p))
			return -ENOMEM;
	}
	if (r->send && r->send_len > 0) {
		if (r->send_len > HCD_SEND_MAX)
			return xlb_errmsg_set(-EINVAL, "health_check %s: send "
					      "is %d bytes, over %d", r->name,
					      r->send_len, HCD_SEND_MAX);
		p->send = malloc((size_t)r->send_len);
		if (!p->send)
			return -ENOMEM;
		memcpy(p->send, r->send, (size_t)r->send_len);
		p->send_len = (size_t)r->send_len;
	}
	if (!p->path || (r->host && *r->host && !p->host))
		return -ENOMEM;
	if (strpbrk(p->path, " \r\n") || (p->host && strpbrk(p->host, " \r\n")))
		return xlb_errmsg_set(-EINVAL, "health_check %s: path or host "
				      "holds a space or line break", r->name);
	return 0;
}

/* The identity: every field that decides the probe, in one text. */
static char *canon(const struct hcd_params *p)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s|%s|%s|%s|%u-%u|%u|%u|%u|%s|", hcd_type_name(p->type),
		p->method, p->path, p->host ? p->host : "", p->status_lo,
		p->status_hi, p->tls_verify, p->interval_ms, p->timeout_ms,
		p->ifname);
	for (size_t i = 0; p->src_family && i < 16; i++)
		fprintf(f, "%02x", p->src.b[i]);
	fprintf(f, "|%zu:", p->body_len);
	if (p->body_len)
		fwrite(p->expect_body, 1, p->body_len, f);
	fprintf(f, "|");
	for (size_t i = 0; i < p->send_len; i++)
		fprintf(f, "%02x", p->send[i]);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

static int keep(struct hcd_interns *in, struct hcd_params *p)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		struct hcd_params **v = realloc(in->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		in->v = v;
		in->cap = cap;
	}
	p->id = (uint32_t)in->n;
	in->v[in->n++] = p;
	return 0;
}

int hcd_params_intern(struct hcd_interns *in, const struct hcd_check_row *r,
		      const struct hcd_params **out)
{
	struct hcd_params *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	err = fill(r, p);
	if (!err && !(p->canon = canon(p)))
		err = -ENOMEM;
	if (err) {
		params_free(p);
		return err == -ENOMEM ? xlb_errmsg_set(err, "out of memory")
				      : err;
	}
	/* Linear: distinct parameter sets are few (one per check edit). */
	for (size_t i = 0; i < in->n; i++)
		if (!strcmp(in->v[i]->canon, p->canon)) {
			params_free(p);
			*out = in->v[i];
			return 0;
		}
	err = keep(in, p);
	if (err) {
		params_free(p);
		return err;
	}
	*out = p;
	return 0;
}
