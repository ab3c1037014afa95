// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * watch.c - following the database: PRAGMA data_version says whether
 * another connection committed (one page read, polled every 100 ms); only
 * then is the revision log read past the last revision seen, and only a
 * change of a check, service or backend row means a reload.
 */
#include <string.h>

#include "hcd.h"
#include "xlb_db.h"

int hcd_watch_init(struct hcd_watch *w, sqlite3 *db)
{
	int err = xlb_db_data_version(db, &w->data_version);

	if (!err)
		err = xlb_db_revision_last(db, &w->revision);
	return err;
}

static int relevant(const struct xlb_db_rev *rev, void *arg)
{
	bool *hit = arg;

	if (!strcmp(rev->tbl, "health_check") || !strcmp(rev->tbl, "service") ||
	    !strcmp(rev->tbl, "backend"))
		*hit = true;
	return 0;
}

int hcd_watch_poll(struct hcd_watch *w, sqlite3 *db)
{
	int64_t dv, last;
	bool hit = false;
	int err = xlb_db_data_version(db, &dv);

	if (err || dv == w->data_version)
		return err;
	w->data_version = dv;
	err = xlb_db_revision_last(db, &last);
	if (err || last == w->revision)
		return err;
	/* A log cut back (a new file in place) also means: read again. */
	if (last < w->revision)
		hit = true;
	else
		err = xlb_db_revisions_after(db, w->revision, relevant, &hit);
	if (err)
		return err;
	w->revision = last;
	return hit;
}
