// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bird_reply.c - BIRD's control socket replies, parsed as they arrive.
 *
 * A reply is lines of text.  "DDDD-..." is a line with code DDDD and more
 * to come; "DDDD ..." is the reply's last line; " ..." continues the
 * previous code (long tables); "+..." is a spontaneous message that is no
 * part of any reply.  The first digit tells the kind: 0 success, 1 and 2
 * table lines, 8 run-time error, 9 parse error.  A socket read may end
 * anywhere, inside a code or a line, so the parser keeps the partial line
 * between calls and says how many bytes belonged to this reply.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bgpd.h"
#include "xlb_errmsg.h"

void bird_reply_init(struct bird_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->code = -1;
}

static bool is_coded(const char *l, size_t len)
{
	return len >= 5 && isdigit((unsigned char)l[0]) &&
	       isdigit((unsigned char)l[1]) && isdigit((unsigned char)l[2]) &&
	       isdigit((unsigned char)l[3]) && (l[4] == ' ' || l[4] == '-');
}

static bool is_error(int code)
{
	return code >= 8000;
}

static int coded_line(struct bird_reply *r, const char *l)
{
	int code = (l[0] - '0') * 1000 + (l[1] - '0') * 100 +
		   (l[2] - '0') * 10 + (l[3] - '0');

	r->code = code;
	if (is_error(code) && !r->err_code) {
		r->err_code = code;
		snprintf(r->text, sizeof(r->text), "%s", l + 5);
	}
	if (l[4] == ' ') {
		r->done = true;
		r->final = code;
		if (!r->err_code)
			snprintf(r->text, sizeof(r->text), "%s", l + 5);
	}
	return 0;
}

/* One complete line (without its newline) in r->line. */
static int take_line(struct bird_reply *r)
{
	const char *l = r->line;

	r->line[r->len] = '\0';
	if (l[0] == '+') /* spontaneous: not ours */
		return 0;
	if (l[0] == ' ') {
		if (r->code < 0)
			goto bad;
		return 0;
	}
	/* A coded line cut short is still a coded line. */
	if (is_coded(l, r->len))
		return coded_line(r, l);
bad:
	r->bad = true;
	return xlb_errmsg_set(-EPROTO, "BIRD sent \"%.60s\", which is not a "
			      "reply line", l);
}

long bird_reply_feed(struct bird_reply *r, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !r->done; i++) {
		if (p[i] != '\n') {
			if (r->len < sizeof(r->line) - 1)
				r->line[r->len++] = p[i];
			else
				r->cut = true;
			continue;
		}
		if (take_line(r))
			return -EPROTO;
		r->len = 0;
	}
	return (long)i;
}

int bird_reply_configure_result(const struct bird_reply *r)
{
	if (!r->done)
		return xlb_errmsg_set(-EPROTO, "BIRD's reply to configure ended "
				      "early");
	switch (r->err_code ? r->err_code : r->final) {
	case 3:  /* Reconfigured */
	case 4:  /* Reconfiguration in progress */
	case 5:  /* already in progress, queueing the new config */
	case 17: /* already in progress, queued config removed */
	case 19: /* Nothing to do */
		return 0;
	case 6:
		return xlb_errmsg_set(-ESHUTDOWN, "BIRD is shutting down: %s",
				      r->text);
	case 8002:
		return xlb_errmsg_set(-EINVAL, "BIRD rejected the configuration "
				      "and keeps the previous one: %s",
				      r->text);
	case 16:   /* Access restricted */
	case 8007: /* Access denied */
		return xlb_errmsg_set(-EACCES, "BIRD's socket does not allow "
				      "configure: %s", r->text);
	default:
		return xlb_errmsg_set(-EPROTO, "BIRD answered configure with "
				      "%04d %s", r->err_code ? r->err_code :
				      r->final, r->text);
	}
}
