// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * coalesce.c - when a burst of readiness changes is over.  hcd reports a
 * backend at a time and lbd publishes after each pass, so one failing
 * rack is tens of messages in a few milliseconds: applied one by one, that
 * is tens of BIRD reconfigurations.  A change starts (or extends) a burst;
 * the burst is applied once quiet_ms pass without another, and at the
 * latest 4 * quiet_ms after its first change, so a steady trickle of
 * changes cannot hold announcements back forever.
 */
#include <string.h>

#include "bgpd.h"

void coalesce_init(struct bgpd_coalesce *c, unsigned int quiet_ms)
{
	memset(c, 0, sizeof(*c));
	c->quiet_ms = quiet_ms;
	c->max_ms = 4 * quiet_ms;
}

void coalesce_note(struct bgpd_coalesce *c, double now)
{
	if (!c->first)
		c->first = now > 0 ? now : 1e-9; /* 0 means "none" */
	c->last = now;
}

bool coalesce_pending(const struct bgpd_coalesce *c)
{
	return c->first != 0;
}

double coalesce_due(const struct bgpd_coalesce *c)
{
	double quiet, cap;

	if (!c->first)
		return 0;
	quiet = c->last + c->quiet_ms;
	cap = c->first + c->max_ms;
	return quiet < cap ? quiet : cap;
}

bool coalesce_ready(const struct bgpd_coalesce *c, double now)
{
	return c->first && now >= coalesce_due(c);
}

void coalesce_done(struct bgpd_coalesce *c)
{
	c->first = 0;
	c->last = 0;
}
