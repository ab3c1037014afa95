/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * lbd.h - the node's brain: desired state in SQLite reconciled into the
 * pinned BPF maps.  lbd is the only writer of the maps.
 *
 * The shape of one pass (reconcile.c):
 *   desired.c  reads the rows of the services a change touched,
 *   validate.c checks what SQL cannot (canonical addresses, families, sizes),
 *   ids.c      hands out ids to new services and rows (numeric ids exist
 *              only in lbd and the maps; identity is by address), rows
 *              that match an entry in force keeping its id,
 *   compute.c  derives each entry's datapath state and the Maglev table
 *              (built only when its input changed), services in parallel
 *              (pool.c),
 *   apply.c    writes only what differs from what the maps hold (state.c
 *              mirrors them), batched, counting every write,
 *   record.c   records the applied revision, vip_state and rejects in one
 *              transaction.
 * loop.c watches the database for commits and the message sockets
 * (bus.c: lbd-ctl requests, VIP_READY and REVISION out; health.c: HEALTH
 * from hcd) in one poll loop and drives the passes.
 *
 * Health lives in memory (hmem.c), and each service keeps the rows it was
 * last applied from, so a HEALTH batch is applied without reading the
 * database: the tables switched and VIP readiness published first, the
 * reports, vip_state and service_panic written right after (health.c).
 */
#ifndef LBD_H
#define LBD_H

#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <linux/types.h>
#include <sqlite3.h>

#include "xlb_abi.h"
#include "xlb_addr.h"
#include "xlb_bus.h"
#include "xlb_dpmap.h"
#include "xlb_loader.h"
#include "xlb_log.h"
#include "xlb_maglev.h"

struct lbd_pool;            /* pool.c */
struct xlb_maglev_scratch; /* lib/xlb_maglev.h */

/* ---- keymap.c: open-addressing hash, xlb_vip_key -> u32 ---------------- */
struct lbd_keymap {
	struct lbd_keymap_slot *slots;
	size_t cap, used; /* cap: a power of two */
};
int lbd_keymap_init(struct lbd_keymap *km, size_t hint);
void lbd_keymap_free(struct lbd_keymap *km);
/* 1 and *val when present, else 0. */
int lbd_keymap_get(const struct lbd_keymap *km, const struct xlb_vip_key *k,
		   uint32_t *val);
int lbd_keymap_put(struct lbd_keymap *km, const struct xlb_vip_key *k,
		   uint32_t val);
void lbd_keymap_del(struct lbd_keymap *km, const struct xlb_vip_key *k);

/* ---- hmem.c: health as last heard, in memory ---------------------------- */
/* A check is named by a small id (0: none); port is backend_port as in the
 * schema (host order, 0: the service's port). */
struct lbd_hkey {
	union xlb_addr addr;
	uint32_t check;
	uint16_t port;
	uint8_t family;
};

struct lbd_hmem {
	char (*names)[XLB_MSG_CHECK_MAX + 1]; /* check id - 1 -> name */
	uint32_t nnames;
	uint32_t *name_slots;  /* hash of names: id, 0 empty */
	size_t name_cap;
	struct lbd_hent *ents; /* hash of lbd_hkey -> down */
	size_t cap, used;
};
void lbd_hmem_free(struct lbd_hmem *h);
/* The id of a check name, added when new; 0 for NULL, "" or no memory. */
uint32_t lbd_hmem_check(struct lbd_hmem *h, const char *name);
/* 1 when k was last heard down; 0 up or never heard (as no row). */
int lbd_hmem_down(const struct lbd_hmem *h, const struct lbd_hkey *k);
/* Sets k; returns what it was (0/1) or a negative errno. */
int lbd_hmem_set(struct lbd_hmem *h, const struct lbd_hkey *k, bool down);
/* Everything backend_health holds. */
int lbd_hmem_load(struct lbd_hmem *h, sqlite3 *db);

/* ---- ids.c: entry / service id allocation ------------------------------ */
/*
 * The connection table trusts a (backend id, service id) pair while the
 * entry still names the service, so an id freed in this run is not handed
 * out again before LBD_ID_QUARANTINE_S: flows pinned to the old meaning are
 * rescheduled first.  Order of preference: ids never used, then ids removed
 * before this run (lowest first), then freed ids, longest freed first.
 */
#define LBD_ID_QUARANTINE_S 60

struct lbd_ids {
	uint32_t max;        /* ids 1..max */
	uint8_t *used;       /* [max + 1]: 0 never, 1 in use, 2 freed */
	uint32_t next_fresh; /* lowest id that may be never-used */
	uint32_t nfresh;     /* never-used ids left */
	struct lbd_freed *fifo; /* freed ids in the order they may return */
	size_t head, len, cap;
};
int lbd_ids_init(struct lbd_ids *p, uint32_t max);
void lbd_ids_free(struct lbd_ids *p);
/* Marks id in use / removed-before-this-run while rebuilding from maps. */
void lbd_ids_mark_used(struct lbd_ids *p, uint32_t id);
int lbd_ids_mark_removed(struct lbd_ids *p, uint32_t id);
/* Takes a never-used id out of alloc's reach / gives it back. */
void lbd_ids_reserve(struct lbd_ids *p, uint32_t id);
void lbd_ids_unreserve(struct lbd_ids *p, uint32_t id);
/* How many ids alloc can hand out now. */
size_t lbd_ids_available(const struct lbd_ids *p, time_t now);
/* 0 when none is available. */
uint32_t lbd_ids_alloc(struct lbd_ids *p, time_t now);
/* Returns an id, usable again after the quarantine. */
int lbd_ids_release(struct lbd_ids *p, uint32_t id, time_t now);
/* The next never-used ids alloc would hand out, at most k, into out. */
size_t lbd_ids_peek_fresh(const struct lbd_ids *p, uint32_t *out, size_t k);

/* ---- tmpl.c: one Maglev build per shape of input ------------------------- */
#define LBD_NO_TMPL ((size_t)-1)

struct lbd_tmpl {
	uint64_t shape;   /* digest of the backends' shape and M */
	uint32_t m;
	size_t n;
	struct xlb_maglev_backend *bes; /* the shape; ids are their index */
	uint32_t *slots;  /* m indexes into bes, once built */
	uint64_t used;    /* the last grouping that used it */
	size_t users;     /* jobs of the current grouping */
	bool ready;
	int err;
};

struct lbd_tmpls {
	struct lbd_tmpl *t;
	size_t n, cap;
	uint64_t clock;
};

/* A digest of bes[0..n-1] ((family, addr, port, weight) in their order,
 * with or without the ids) and m. */
uint64_t lbd_bes_digest(const struct xlb_maglev_backend *bes, size_t n,
			uint32_t m, bool ids);
struct lbd_job;
/* Gives each job that needs a table a template (job->tix) where its shape
 * is shared or kept; todo[0..*ntodo-1]: the templates to build. */
int lbd_tmpl_group(struct lbd_tmpls *ts, struct lbd_job *jobs, size_t n,
		   size_t *todo, size_t *ntodo);
void lbd_tmpl_build(struct lbd_tmpl *t, struct xlb_maglev_scratch *s);
/* Drops unbuilt templates and all but the most recently used few. */
void lbd_tmpl_trim(struct lbd_tmpls *ts);
void lbd_tmpls_free(struct lbd_tmpls *ts);

/* ---- state.c: what the maps hold, as lbd knows it ---------------------- */
enum lbd_admin { LBD_ADMIN_ACTIVE, LBD_ADMIN_DRAIN, LBD_ADMIN_MAINT };

/* A backend row as last applied: what a health pass recomputes from. */
struct lbd_crow {
	struct xlb_backend be; /* addr, family, port */
	uint32_t weight;
	uint32_t id;           /* entry id */
	uint32_t check;        /* hmem check id of the row, 0: none */
	uint8_t admin;         /* enum lbd_admin */
};

struct lbd_svc {
	struct xlb_vip_key key;
	uint32_t flags;       /* XLB_SVC_F_* in force */
	uint32_t ring_size;   /* M of the table in force, 0: no table */
	uint64_t ring_digest; /* lbd_ring_digest() of that table */
	uint64_t input;       /* what that table was built from (compute.c),
			       * 0: unknown, as after a restart */
	uint32_t *be;         /* entry ids in force, by (family, addr, port) */
	size_t nbe, cap;
	uint32_t vip;         /* index into lbd_state.vips */
	bool live;            /* in xlb_services */
	bool ready;           /* has a usable backend */
	/* The desired state last applied (NULL rows: none applied yet). */
	struct lbd_crow *rows;
	size_t nrows;
	uint32_t want_ring;   /* ring_size of the service row */
	int panic_thr;        /* the row's panic_threshold, -1: node's */
	/* Panic: too many active backends down, health ignored. */
	bool panic;
	bool panic_recorded;  /* what service_panic holds */
	uint32_t panic_down, panic_total, panic_at; /* counts, threshold */
};

struct lbd_vip {
	union xlb_addr addr;
	uint8_t family;
	uint32_t nsvc;   /* live services on this address */
	uint32_t nready; /* ... of which ready */
	bool marker;     /* marker in xlb_services */
	int recorded;    /* readiness in vip_state: -1 unknown, 0, 1, -2 gone */
	int published;   /* ... last published in VIP_READY, the same values */
};

struct lbd_state {
	struct xlb_dpmaps m;
	struct lbd_svc *svc;      /* [m.max_svc_id + 1], by service id */
	struct xlb_backend *be;   /* [m.max_be_id + 1]: mirror of xlb_backends */
	struct lbd_keymap by_key; /* service key -> service id */
	struct lbd_keymap vip_ix; /* VIP (proto 0, port 0) -> index in vips */
	struct lbd_vip *vips;
	size_t nvips, capvips;
	struct lbd_ids svc_ids, be_ids;
	uint32_t *orphans;        /* entries in use by no live service */
	size_t norphans;
	uint32_t *stale_rings;    /* tables of ids with no live service */
	size_t nstale;
	uint64_t writes;          /* map writes since start */
	bool dry;                 /* a check: count writes, make none */
	int panic_default;        /* node.panic_threshold */
	size_t npanic;            /* live services in panic */
	struct xlb_vip_key *panic_gone; /* removed while in service_panic */
	size_t npanic_gone;
	bool panic_synced;        /* service_panic rewritten since start */
	struct xlb_ring_pool *rings; /* tables replaced, refilled next */
	struct lbd_tmpls tmpls;   /* Maglev builds shared by shape (compute) */
	uint8_t *spare;           /* [max_svc_id + 1]: a spare table waits */
	size_t nspare;
	uint64_t spare_fills;     /* tables filled into spares since start */
	struct lbd_spares *spares; /* spare.c: the step in flight, or NULL */
};

/* Spare tables kept under the next service ids (lib/xlb_dpmap.h): a new
 * service of the default M gets its first table without a kernel wait. */
#define LBD_SPARES     128
#define LBD_SPARE_RING XLB_DEF_RING
#define LBD_SPARE_STEP 32  /* per kernel wait */
#define LBD_SPARE_IDLE_MS 20 /* no map write for this long first */

/* ---- spare.c: spare tables placed by a helper thread -------------------- */
struct lbd_spares;
/* Takes a finished step in; starts the next when spares are missing.
 * Never waits: the kernel's wait is the helper's. */
int lbd_spares_step(struct lbd_state *st);
/* Waits for a step in flight and takes it in (at exit). */
void lbd_spares_stop(struct lbd_state *st);

/* Table memory kept for reuse (lib/xlb_dpmap.h, xlb_ring_pool). */
#define LBD_RING_POOL_BYTES (64u << 20)

/* Reads what the maps hold; the tables in force are read on pool. */
int lbd_state_load(struct lbd_state *st, const struct xlb_dpmaps *m,
		   struct lbd_pool *pool);
void lbd_state_free(struct lbd_state *st);
/* Pins the tables read back whose pins are missing or stale (a crash
 * between a switch and its pin, pins of an older xlb), so that readers
 * without CAP_SYS_ADMIN can open them; right pins are left alone.  A pin
 * that fails is logged: serving does not depend on it. */
void lbd_state_repin(struct lbd_state *st);
/* The VIP of addr, created (nsvc 0) if unknown; NULL on ENOMEM. */
struct lbd_vip *lbd_state_vip(struct lbd_state *st, const union xlb_addr *a,
			      uint8_t family);
/* Orders entries by (family, addr, port): how rows and entries are merged. */
int lbd_entry_cmp(const struct xlb_backend *a, const struct xlb_backend *b);
uint64_t lbd_ring_digest(const uint32_t *slots, uint32_t m);

/* ---- node.c: the node row ---------------------------------------------- */
struct lbd_node {
	char ifname[16];
	enum xlb_xdp_mode mode;
	struct xlb_sizes sizes;
	struct xlb_config cfg;
	int panic;           /* panic_threshold, percent */
	char bad_field[16];  /* on -EINVAL: the field at fault */
	char bad_value[64];  /* ... and its value */
};
/* Reads the node row into *n; a bad field is -EINVAL with xlb_errmsg()
 * naming it. */
int lbd_node_read(sqlite3 *db, struct lbd_node *n);

/* ---- desired.c / validate.c: one service as the database wants it ------- */
struct lbd_row {
	char address[XLB_ADDR_STRLEN + 2];
	struct xlb_backend be; /* addr, family, port (svc_id, state later) */
	uint32_t weight;
	enum lbd_admin admin;
	bool health_down;
	uint32_t check;        /* hmem id of the row's check, 0: none */
	uint32_t id;           /* entry id (existing or newly allocated) */
	bool fresh;            /* id allocated in this pass */
};

struct lbd_reject {
	char tbl[16];
	char key[160];
	char field[24];
	char value[64];
	char reason[192];
};

struct lbd_rejects {
	struct lbd_reject *r;
	size_t n, cap;
};
int lbd_reject_add(struct lbd_rejects *rj, const char *tbl, const char *key,
		   const char *field, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

struct lbd_job {
	char text[96];            /* "vip proto port" as in the revision log */
	char vip[XLB_ADDR_STRLEN + 8], proto[8];
	int port;
	struct xlb_vip_key key;
	bool present;             /* the service row exists */
	bool rejected;            /* a check failed: keep what is applied */
	bool cached;              /* rows from the service's last apply */
	uint32_t ring_size, flags;
	int panic_thr;            /* the row's panic_threshold, -1: node's */
	struct lbd_row *rows;
	size_t nrows;
	uint32_t svc_id;          /* 0 until given one */
	bool fresh_svc;
	/* compute.c */
	uint32_t *table;          /* ring_size slots when the table changes */
	uint64_t digest;
	uint64_t input;           /* of the usable rows and M, 0: none usable */
	bool built;               /* a table was built (input not in force) */
	size_t usable;
	bool panic;               /* health ignored: too many down */
	uint32_t panic_down, panic_total, panic_at;
	struct xlb_maglev_backend *bes; /* usable, while computing */
	bool need;                /* a table must be built */
	uint64_t shape;           /* tmpl.c */
	size_t tix;               /* its template, LBD_NO_TMPL: alone */
	int err;
};

struct lbd_desired; /* prepared statements */
int lbd_desired_open(sqlite3 *db, struct lbd_desired **out);
void lbd_desired_close(struct lbd_desired *d);
/* Every service key in the database, canonical or not ("vip proto port"). */
int lbd_desired_keys(struct lbd_desired *d, char ***keys, size_t *n);
/* Fills job from the rows of job->text; job->present says if it exists.
 * Health comes from hm (check names are added to it). */
int lbd_desired_read(struct lbd_desired *d, struct lbd_hmem *hm,
		     struct lbd_job *job);
/* Fills job from what svc_id was last applied from, health from hm. */
int lbd_job_from_cache(const struct lbd_state *st, const struct lbd_hmem *hm,
		       uint32_t svc_id, struct lbd_job *job);
void lbd_job_clear(struct lbd_job *job);

/* Checks job; on failure records rejects and sets job->rejected. */
int lbd_validate(struct lbd_job *job, const struct lbd_state *st,
		 struct lbd_rejects *rj);

/* ---- pool.c: a small fixed pool of threads that only read ------------- */
int lbd_pool_new(unsigned int nthreads, struct lbd_pool **out);
void lbd_pool_free(struct lbd_pool *p);
/* Calls fn(arg, i, scratch of the thread) for i in 0..n-1, on the pool's
 * threads and the caller's when n >= parallel_min, else on the caller's. */
typedef void (*lbd_pool_fn)(void *arg, size_t i,
			    struct xlb_maglev_scratch *s);
void lbd_pool_run(struct lbd_pool *p, lbd_pool_fn fn, void *arg, size_t n,
		  size_t parallel_min);

/* ---- compute.c: entry states and Maglev tables -------------------------- */
uint8_t lbd_row_state(const struct lbd_row *r, bool panic);
/* Computes every job (in parallel when there are many); job->err per job. */
void lbd_compute(struct lbd_pool *p, struct lbd_state *st,
		 struct lbd_job *jobs, size_t n);

/* ---- apply.c: write what differs ---------------------------------------- */
/* Applies computed jobs; returns 0 or the first map error (the mirror in
 * st always says what the maps hold). */
int lbd_apply(struct lbd_state *st, struct lbd_job *jobs, size_t n,
	      time_t now);
/* Writes config if it differs from what the map holds. */
int lbd_apply_config(struct lbd_state *st, const struct xlb_config *cfg);
/* Removes tables left under ids without a service (a pass cut short
 * between removing a service and its table): before the id is reused. */
int lbd_apply_stale_rings(struct lbd_state *st);
/* Removes markers of VIPs without services, entries of no live service and
 * sets missing filter bits: what a full pass cleans up. */
int lbd_apply_sweep(struct lbd_state *st, time_t now);

/* ---- record.c: runtime tables, in one transaction ----------------------- */
int lbd_record(sqlite3 *db, struct lbd_state *st, int64_t rev,
	       const struct lbd_rejects *rj);
/* vip_state and service_panic where they differ from the maps, inside the
 * caller's transaction. */
int lbd_record_runtime(sqlite3 *db, struct lbd_state *st);
/* After a failed transaction: what the tables hold is unknown again. */
void lbd_record_forget(struct lbd_state *st);
/* A service removed while service_panic lists it: its row goes next. */
int lbd_panic_gone(struct lbd_state *st, const struct xlb_vip_key *key);
struct lbd;
/*
 * Called after every applied pass: logs the VIPs whose readiness differs
 * from what was last published and, when lbd has its sockets (bus.c),
 * publishes VIP_READY (that delta) and REVISION.
 */
void lbd_publish(struct lbd *l, int64_t rev);

/* ---- reconcile.c: one pass ---------------------------------------------- */
struct lbd {
	sqlite3 *db;
	struct lbd_hmem health;  /* as last heard from hcd */
	struct xlb_dp *dp;       /* loaded and pinned, or NULL in a check */
	struct xlb_dpmaps pinned; /* a check's maps, opened from the pins */
	struct lbd_state st;
	struct lbd_desired *desired;
	struct lbd_pool *pool;
	struct lbd_node node;
	int64_t applied_rev;
	struct lbd_bus *bus;      /* NULL in --once and --check, or not open */
	bool want_bus;            /* following: open it, retry if taken */
	const char *rundir;       /* NULL: XLB_BUS_RUNDIR */
	double bus_retry_at;      /* next attempt, monotonic ms */
	int bus_err;              /* last failure, logged once */
	int hcd_quiet_ms;         /* silence before "hcd silent" */
};

struct lbd_pass_stats {
	size_t services;  /* recomputed */
	size_t tables;    /* Maglev tables built */
	size_t spares;    /* ... of them filled into a spare, no kernel wait */
	uint64_t writes;  /* map writes */
	size_t rejects;
	double ms;
};

/* Reconciles every service (start-up, node changes). */
int lbd_reconcile_full(struct lbd *l, int64_t rev, struct lbd_pass_stats *ps);
/* Sorts service keys and frees duplicates; returns the new count. */
size_t lbd_keys_unique(char **keys, size_t n);
/* Reconciles the services named by keys ("vip proto port"). */
int lbd_reconcile_keys(struct lbd *l, char **keys, size_t n, int64_t rev,
		       struct lbd_pass_stats *ps);
/* Recomputes services ids[0..n-1] from the rows they were last applied
 * from and the health in memory; applies and publishes, records nothing
 * (health.c does, after). */
int lbd_reconcile_cached(struct lbd *l, const uint32_t *ids, size_t n,
			 struct lbd_pass_stats *ps);

/* ---- health.c: HEALTH from hcd into the maps, then backend_health ------ */
/*
 * Transitions are gathered until HEALTH_QUIET_MS pass without a new one
 * (at most HEALTH_MAX_MS after the first), then taken into memory and
 * applied in one pass over exactly the services whose backend changed
 * between down and not down; the reports (and vip_state, service_panic)
 * are written to the database LBD_PERSIST_MS later in one transaction,
 * with whatever came meanwhile.  Nothing else ever changes health: a
 * silent or restarted hcd leaves the last known state in force, a
 * restarted lbd starts from what backend_health holds.
 */
#define LBD_HEALTH_QUIET_MS 5
#define LBD_HEALTH_MAX_MS   50
#define LBD_PERSIST_MS      20

struct lbd_htr {
	struct xlb_health_tr tr;
	char since[32];  /* when lbd heard it, as the schema's timestamps */
	uint32_t order;  /* arrival: the last word on a backend wins */
};

struct lbd_health {
	struct lbd_htr *tr;      /* waiting to be written */
	size_t n, cap;
	unsigned int frames;     /* HEALTH messages in the batch */
	double first_ms, last_ms;
	uint32_t *retry;         /* services taken but not yet applied */
	size_t nretry;
	double retry_at;
	struct lbd_htr *done;    /* applied, not yet in backend_health */
	size_t ndone, capdone;
	double persist_at;       /* when to write them, 0: nothing waits */
	sqlite3_stmt *put;       /* prepared on first use */
};

/* Takes a decoded HEALTH batch (delta or snapshot) into the batch. */
int lbd_health_take(struct lbd_health *h, const struct xlb_msg *msg);
/* When the batch is due (monotonic ms), 0 when nothing waits. */
double lbd_health_due(const struct lbd_health *h);
/* Applies the batch now; on failure it is kept for a retry. */
int lbd_health_flush(struct lbd *l);
/* Writes what was applied to backend_health (and vip_state,
 * service_panic) now; on failure it is kept for a retry. */
int lbd_health_persist(struct lbd *l);
/* Whether it is time to (a batch waiting to be applied goes first). */
bool lbd_health_persist_due(const struct lbd_health *h, double now);
void lbd_health_free(struct lbd_health *h);

/* ---- bus.c: the sockets --------------------------------------------------- */
struct lbd_bus {
	char rundir[128];
	struct xlb_bus health;   /* SUB on hcd's `health` */
	struct xlb_bus pub;      /* PUB `lbd` */
	struct xlb_bus ctl;      /* REP `lbd-ctl` */
	struct xlb_bus hcd;      /* REQ `hcd-ctl`, opened when first needed */
	struct xlb_msg_stats stats; /* every frame received */
	uint64_t refused;        /* decoded, but wrong for the socket */
	struct xlb_msg_seq hcd_seq;
	uint64_t hcd_changed;    /* sequence of the last report with entries */
	uint64_t seq;            /* the next to publish */
	struct xlb_msg_buf in, out;
	struct lbd_health hb;
	/* SNAPSHOT_HEALTH: wanted since, sent (awaiting the reply) */
	double snap_since;
	bool snap_sent;
	bool snap_again;         /* lost more while one was in flight */
	double heard_ms;         /* last HEALTH from hcd, 0: never */
	bool silent;             /* "hcd silent" logged */
	bool restarted;          /* hcd restarted and has reported nothing */
	double log_window;       /* rate limit of reject lines */
	unsigned int log_lines;
	uint64_t log_dropped;
};

/* Opens the three endpoints in rundir (NULL: XLB_BUS_RUNDIR). */
int lbd_bus_open(const char *rundir, struct lbd_bus **out);
/* Opens l->bus when wanted and due.  Sockets another process holds (a
 * second lbd, a test) are logged once and tried again every few seconds:
 * the database is still applied meanwhile. */
void lbd_bus_ensure(struct lbd *l);
void lbd_bus_close(struct lbd_bus *b);
/* Fills fds (room for 3) with what to poll; returns how many. */
int lbd_bus_pollfds(struct lbd_bus *b, struct pollfd *fds);
/* Handles every frame waiting on the sockets; never blocks for long. */
void lbd_bus_work(struct lbd *l);
/* The earliest time (monotonic ms) the bus wants lbd_bus_work, or 0. */
double lbd_bus_due(const struct lbd_bus *b);
/* Messages rejected since start (STATUS, the status line). */
uint64_t lbd_bus_rejected(const struct lbd_bus *b);
/* What lbd makes of hcd (STATUS, the status line). */
enum xlb_hcd_state lbd_bus_hcd_state(const struct lbd_bus *b);
/* ctl.c: answers every request waiting on lbd-ctl. */
void lbd_ctl_serve(struct lbd *l);
/* Logs a rejected frame, at most a few lines a second. */
void lbd_bus_log_reject(struct lbd_bus *b, const char *where,
			const char *why);

/* ---- loop.c ------------------------------------------------------------- */
#define LBD_POLL_MS 25
/* Set by signal handlers, read by the loop. */
struct lbd_signals {
	volatile sig_atomic_t stop;   /* SIGTERM, SIGINT */
	volatile sig_atomic_t status; /* SIGUSR1: log a status line */
};
/* Applies new revisions and messages until sig->stop; returns 0, or 1
 * when it cannot wait any more. */
int lbd_loop(struct lbd *l, struct lbd_signals *sig);
/* One line: revision, services, entries, VIPs ready, map writes. */
void lbd_log_status(const struct lbd *l);
/* Applies what is new once (revisions after applied.revision). */
int lbd_catch_up(struct lbd *l);

#endif /* LBD_H */
