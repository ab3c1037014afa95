/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xlb_bpffs.h - the bpffs folder that holds xlb's pins.
 *
 * Pins only live on a bpffs.  /sys/fs/bpf is one, but it is not visible
 * everywhere (`ip netns exec` remounts /sys), so a pin folder elsewhere (a
 * test's /run/... folder) gets a bpffs of its own mounted on it.  The mount
 * belongs to the caller's mount namespace: one made from inside `ip netns
 * exec` (a private namespace) vanishes with that process, pins included.
 * Functions return 0 or a negative errno with xlb_errmsg() set.
 */
#ifndef XLB_BPFFS_H
#define XLB_BPFFS_H

#include <stddef.h>

/* mkdir -p dir, then mount a bpffs on it unless it already is one. */
int xlb_bpffs_ensure(const char *dir);

/* 1 if dir exists on a bpffs, 0 if it exists elsewhere, -errno if not. */
int xlb_bpffs_is(const char *dir);

/*
 * Unlinks every pin under dir (recursively), unmounts a bpffs mounted on
 * dir and removes dir.  The bpffs root /sys/fs/bpf itself is refused.
 * A missing dir is success.
 */
int xlb_bpffs_remove(const char *dir);

/* "<dir>/<name>" into buf; -ENAMETOOLONG when it does not fit. */
int xlb_pin_path(char *buf, size_t len, const char *dir, const char *name);

#endif /* XLB_BPFFS_H */
