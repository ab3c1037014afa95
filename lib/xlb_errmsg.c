// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_errmsg.c - per-thread detail of the last library failure. */
#include <stdarg.h>
#include <stdio.h>

#include "xlb_errmsg.h"

/* Long enough for two paths and a sentence. */
static _Thread_local char xlb_errmsg_buf[512];

const char *xlb_errmsg(void)
{
	return xlb_errmsg_buf;
}

int xlb_errmsg_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(xlb_errmsg_buf, sizeof(xlb_errmsg_buf), fmt, ap);
	va_end(ap);
	return err;
}

void xlb_errmsg_clear(void)
{
	xlb_errmsg_buf[0] = '\0';
}
