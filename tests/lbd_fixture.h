/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbd_fixture.h - running the real lbd against a real database file and
 * real pinned maps, for tests/test_lbd.c.
 *
 * Each test gets a temp folder holding its database, its own pin folder
 * under /sys/fs/bpf and at most one lbd in the background; teardown stops
 * the process and removes both folders, also after a failed assertion.
 */
#ifndef LBD_FIXTURE_H
#define LBD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "xlb_dpmap.h"

struct lf {
	char dir[64];      /* temp folder */
	char db[96];       /* dir/xlb.db */
	char log[96];      /* dir/lbd.log: stderr of the background lbd */
	char pin_dir[64];
	sqlite3 *sql;      /* the test's own connection */
	pid_t bg;          /* background lbd, 0: none */
	struct xlb_dpmaps m;
	int have_maps;
	char out[4096];    /* output of the last lf_once() */
	char ifname[16];   /* an interface the test made, removed in teardown */
	int hcd_quiet_ms;  /* lbd --hcd-quiet, 0: lbd's default */
};

/* A backend as a test wants it in a table. */
struct lf_be {
	const char *addr;
	uint16_t port;
	uint32_t weight;
};

/* Finds build/lbd beside the test binary (argv[0]). */
int lf_init(const char *argv0);
int lf_setup(void **state);
int lf_teardown(void **state);

/* SQL on the test's connection; fails the test on error. */
void lf_sql(struct lf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same through the sqlite3 command-line shell, a separate process;
 * returns its exit status. */
int lf_cli(struct lf *t, const char *sql);
/* One integer from a query on the test's connection. */
long long lf_int(struct lf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Runs `lbd --once`; returns the map writes it reported. */
unsigned long long lf_once(struct lf *t);
/* Runs `lbd --check`; returns its exit status (0 in sync, 3 not), the
 * writes a reconcile would make in *writes. */
int lf_check(struct lf *t, unsigned long long *writes);
/* Starts lbd in the background and waits until it follows the db. */
void lf_start(struct lf *t);
/* The same, attached to the node's interface (no --no-attach). */
void lf_start_attached(struct lf *t);
/* Runs `lbd detach`; returns its exit status. */
int lf_detach(struct lf *t);
/* SIGTERM; asserts a clean exit. */
void lf_stop(struct lf *t);
/* 1 when the background log holds needle within ms, else 0. */
int lf_log_wait(struct lf *t, const char *needle, int ms);
/* Reads the background log into buf. */
void lf_log_read(struct lf *t, char *buf, size_t len);

/* The pinned maps (opened on first use). */
const struct xlb_dpmaps *lf_maps(struct lf *t);
/* Service id of (vip, proto, port) in xlb_services, 0 when absent. */
uint32_t lf_svc_id(struct lf *t, const char *vip, const char *proto,
		   uint16_t port, uint32_t *flags);
/* Live (not REMOVED) entries of a service: count, and ids/values. */
size_t lf_entries(struct lf *t, uint32_t svc_id, uint32_t *ids,
		  struct xlb_backend *bes, size_t cap);
/* The live entry of svc_id for (addr, port); 0 when none. */
uint32_t lf_entry(struct lf *t, uint32_t svc_id, const char *addr,
		  uint16_t port, struct xlb_backend *be);
/* Asserts the service's table is xlb_maglev_build over usable[0..n-1]
 * (entry ids looked up by address) with m slots. */
void lf_assert_table(struct lf *t, uint32_t svc_id,
		     const struct lf_be *usable, size_t n, uint32_t m);
/* Reads the table in force; returns M (0: none); *slots malloc'd. */
uint32_t lf_table(struct lf *t, uint32_t svc_id, uint32_t **slots);
/* Counts xlb_services entries: services (proto != 0) and VIP markers. */
void lf_count_services(struct lf *t, size_t *services, size_t *markers);
double lf_ms(void);

#endif /* LBD_FIXTURE_H */
