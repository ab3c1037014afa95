/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_dpmap_pin.h - the pins of the Maglev tables (xlb_dpmap_pin.c), for
 * xlb_dpmap_ring.c.  Functions return 0 / an fd or a negative errno with
 * xlb_errmsg() set.
 */
#ifndef XLB_DPMAP_PIN_H
#define XLB_DPMAP_PIN_H

#include "xlb_dpmap.h"

/* Pins table fd as svc_id's: under a temporary name, then renamed over
 * the old pin, so a reader finds the old pin or the new one.  0 without
 * doing anything when m has no pin folder. */
int xlb_table_pin(const struct xlb_dpmaps *m, __u32 svc_id, int fd);
/* Removes svc_id's pin; 0 when there is none. */
int xlb_table_unpin(const struct xlb_dpmaps *m, __u32 svc_id);
/* The fd of svc_id's pinned table if that is map id; else -1 and
 * *pinned_id: the pin's map (0: no pin, *why the negative errno why). */
int xlb_table_pin_open(const struct xlb_dpmaps *m, __u32 svc_id, __u32 id,
		       __u32 *pinned_id, int *why);
/* The fd of map id, svc_id's table in force: from the pin when it is
 * that map, else by id; -EPERM (without CAP_SYS_ADMIN) says which service
 * and whether its pin is missing or stale. */
int xlb_table_open(const struct xlb_dpmaps *m, __u32 svc_id, __u32 id);

#endif /* XLB_DPMAP_PIN_H */
