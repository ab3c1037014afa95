/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * hcd.h - the health checker's parts and how they fit.
 *
 * hcd reads the checks from SQLite (config.c) as specs: one per
 * (key, target), where a key is what lbd knows a report by - the backend
 * row's (address, backend_port, check name), backend_port 0 included - and
 * a target is what is probed: (probe parameters, address, port).  Identical
 * targets are probed once however many keys use them (target.c).
 *
 * Targets are sharded by address over the worker threads (worker.c), so
 * every target of a key lives in one thread.  A worker owns its targets,
 * keys and probes: an epoll loop, one timer heap (sched.c) holding each
 * target's next start or its probe's deadline, and a FIFO of due targets
 * waiting for an in-flight slot (the cap keeps descriptors below the
 * open-file limit, fdlimit.c).  A probe's result feeds the rise/fall state
 * machine of every key using the target (state.c); a key whose verdict
 * moves is handed to the main thread, which publishes it (publish.c).
 *
 * The main thread owns the database (config.c, watch.c), the nng sockets
 * and signals; workers touch neither.
 */
#ifndef HCD_H
#define HCD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "xlb_addr.h"
#include "xlb_log.h"
#include "xlb_msg.h"

/* ---- sched.c (also the heap, below) ---------------------------------- */
/* Monotonic time in microseconds. */
uint64_t hcd_now_us(void);

/* ---- params.c: a check's probe parameters, interned ---------------------- */
enum hcd_type { HCD_TCP, HCD_HTTP, HCD_HTTPS, HCD_ICMP, HCD_UDP };

#define HCD_BODY_MAX 1024 /* expect_body bytes */
#define HCD_SEND_MAX 1024 /* udp payload bytes */

/*
 * Everything that decides how a target is probed, except its address and
 * port.  Immutable once interned, shared by every target using it, and
 * kept until exit (distinct parameter sets are few: one per check edit).
 */
struct hcd_params {
	uint32_t id; /* stable across reloads: the interning order */
	enum hcd_type type;
	char method[8];
	char *path;
	char *host;        /* Host header and TLS SNI; NULL: the address */
	uint16_t status_lo, status_hi;
	char *expect_body; /* NULL: any body */
	size_t body_len;
	int *body_kmp;     /* failure function of expect_body */
	uint8_t *send;     /* udp payload */
	size_t send_len;
	bool tls_verify;
	uint32_t interval_ms, timeout_ms;
	/* source: an address to bind, or an interface (SO_BINDTODEVICE) */
	union xlb_addr src;
	uint8_t src_family; /* 0: no source address */
	char ifname[16];    /* "": no interface */
	char *canon;        /* the identity, as interned */
};

/* The raw fields of a health_check row, as read. */
struct hcd_check_row {
	const char *name, *type, *method, *path, *host, *expect_status;
	const char *expect_body, *source;
	const void *send;
	int send_len;
	int port; /* 0: none */
	int tls_verify, interval_ms, timeout_ms, rise, fall;
};

struct hcd_interns;
int hcd_interns_new(struct hcd_interns **out);
void hcd_interns_free(struct hcd_interns *in);
/* The interned parameters of a row (owned by in); -EINVAL naming the
 * field for a value hcd cannot probe with. */
int hcd_params_intern(struct hcd_interns *in, const struct hcd_check_row *r,
		      const struct hcd_params **out);
const char *hcd_type_name(enum hcd_type t);

/* ---- config.c: specs from the database ------------------------------------ */
struct hcd_key {
	union xlb_addr addr;
	uint8_t family;
	uint16_t port;     /* the row's backend_port: 0 stays 0 */
	char check[XLB_MSG_CHECK_MAX + 1];
};

/* One (key, target) pair. */
struct hcd_spec {
	struct hcd_key key;
	const struct hcd_params *params;
	uint16_t probe_port; /* 0 for icmp */
	uint8_t rise, fall;
};

struct hcd_specs {
	struct hcd_spec *v;
	size_t n, cap;
	size_t keys;    /* distinct keys */
	size_t skipped; /* rows that could not be probed (logged) */
};

void hcd_specs_free(struct hcd_specs *s);
/* Opens path read-only (never creates or migrates it). */
int hcd_db_open(const char *path, sqlite3 **db);
/* Every (backend row, check) the database names, deduplicated by (key,
 * target); rows that cannot be probed are logged and counted. */
int hcd_config_load(sqlite3 *db, struct hcd_interns *in,
		    struct hcd_specs *out);

/* ---- watch.c: following the database -------------------------------------- */
struct hcd_watch {
	int64_t data_version;
	int64_t revision; /* last revision seen */
};
/* Remembers where the database is now. */
int hcd_watch_init(struct hcd_watch *w, sqlite3 *db);
/* 1 when a check, service or backend changed since the last call, 0 if
 * not; cheap when nothing was committed (PRAGMA data_version). */
int hcd_watch_poll(struct hcd_watch *w, sqlite3 *db);

/* ---- state.c: rise/fall ----------------------------------------------------- */
enum hcd_verdict { HCD_UNKNOWN = 0, HCD_UP, HCD_DOWN };

struct hcd_rf {
	uint8_t verdict; /* enum hcd_verdict */
	uint8_t oks;     /* consecutive successes toward rise */
	uint8_t fails;   /* consecutive failures toward fall */
};

/* Feeds one result; true when the verdict changed.  From UNKNOWN (start,
 * or a changed check) it takes `rise` successes or `fall` failures to
 * decide, so a restarted hcd reports nothing it has not seen settle. */
bool hcd_rf_feed(struct hcd_rf *s, bool ok, unsigned int rise,
		 unsigned int fall);
/* A key checked through several targets: DOWN if any is, UNKNOWN while
 * any is undecided, else UP. */
enum hcd_verdict hcd_verdict_combine(enum hcd_verdict a, enum hcd_verdict b);

/* ---- http_parse.c: an HTTP/1.x response, byte by byte ----------------------- */
#define HCD_HTTP_LINE_MAX 1024   /* status line */
#define HCD_HTTP_HEAD_MAX 16384  /* status line and headers */
#define HCD_HTTP_BODY_MAX (1 << 20) /* body bytes read looking for the text */

enum hcd_http_rc {
	HCD_HTTP_MORE = 0,   /* feed more */
	HCD_HTTP_DONE,       /* the verdict is known */
	HCD_HTTP_BAD,        /* not an HTTP response */
	HCD_HTTP_TOO_BIG,    /* status line or headers over the limit */
};

struct hcd_http {
	const struct hcd_params *p; /* not owned */
	uint8_t phase;
	uint8_t pos;         /* within "HTTP/1.", the code, a header name */
	uint8_t hdr;         /* 0 other header, 1 Content-Length */
	bool cr;             /* a CR was just seen */
	bool cl_known;
	bool body_found;
	bool head_only;      /* HEAD: no body follows */
	uint16_t status;
	uint32_t head_bytes;
	uint32_t line_bytes;
	uint64_t content_length;
	uint64_t body_bytes;
	uint32_t kmp;        /* bytes of expect_body matched */
};

void hcd_http_init(struct hcd_http *h, const struct hcd_params *p);
/* Feeds bytes; returns an enum hcd_http_rc. */
int hcd_http_feed(struct hcd_http *h, const char *buf, size_t len);
/* The peer closed: DONE when what came is a complete answer, else BAD. */
int hcd_http_eof(struct hcd_http *h);
/* After DONE: the reason the check failed, XLB_HR_OK if it did not. */
int hcd_http_reason(const struct hcd_http *h, const struct hcd_params *p);
/* The request for a target into buf; its length, or -ENAMETOOLONG. */
int hcd_http_request(const struct hcd_params *p, const union xlb_addr *addr,
		     uint8_t family, uint16_t port, char *buf, size_t len);

/* ---- target.c: deduplicated targets and keys of one worker ------------------- */
struct hcd_probe;
struct hcd_target;

struct hcd_link {
	struct hcd_kstate *key;
	struct hcd_target *target;
	struct hcd_rf rf;
	uint8_t rise, fall;
};

/* A key's state in its worker. */
struct hcd_kstate {
	struct hcd_key key;
	uint8_t verdict;   /* enum hcd_verdict, as last combined */
	uint32_t nlinks;
	struct hcd_link **links;
	struct hcd_kstate *next; /* hash chain */
	uint64_t hash;
};

struct hcd_target {
	const struct hcd_params *params;
	union xlb_addr addr;
	uint8_t family;
	uint16_t port;
	uint64_t hash;
	struct hcd_target *next;   /* hash chain */
	/* schedule */
	uint64_t due_us;           /* next start */
	uint64_t heap_at;          /* heap key: due, or the probe's deadline */
	uint32_t heap_idx;         /* UINT32_MAX: not in the heap */
	bool queued;               /* waiting for an in-flight slot */
	bool gone;                 /* removed by a reload; freed when idle */
	bool once_done;
	struct hcd_target *qnext;  /* FIFO of queued targets */
	struct hcd_probe *probe;   /* in flight, or NULL */
	/* fan-out */
	uint32_t nlinks, caplinks;
	struct hcd_link **links;
	/* last result */
	uint8_t reason;
	uint32_t latency_us;
};

struct hcd_set {
	struct hcd_target **tbuckets;
	struct hcd_kstate **kbuckets;
	size_t nbuckets;
	size_t ntargets, nkeys;
	struct hcd_link *links; /* one array for the set */
	size_t nlinks;
};

uint64_t hcd_target_hash(const struct hcd_params *p,
			 const union xlb_addr *a, uint8_t family,
			 uint16_t port);
uint64_t hcd_key_hash(const struct hcd_key *k);
/*
 * Builds the set of specs[0..n), taking over from old (may be NULL) every
 * target whose identity is unchanged (its schedule, probe in flight and
 * last result) and every key whose links are unchanged (its verdict and
 * counters).  Targets of old no longer used are marked gone and listed in
 * *gone for the caller to retire.  old is emptied.
 */
int hcd_set_build(struct hcd_set *set, const struct hcd_spec *specs,
		  size_t n, struct hcd_set *old, struct hcd_target ***gone,
		  size_t *ngone);
void hcd_set_free(struct hcd_set *set); /* targets, keys, links */
void hcd_target_free(struct hcd_target *t);
/* Calls fn for every target. */
void hcd_set_each(struct hcd_set *set, void (*fn)(struct hcd_target *,
						  void *), void *arg);

/* ---- sched.c: the timer heap and jitter ----------------------------------- */
struct hcd_heap {
	struct hcd_target **v;
	uint32_t n, cap;
};

int hcd_heap_push(struct hcd_heap *h, struct hcd_target *t, uint64_t at);
/* Moves t (in the heap) to a new time. */
void hcd_heap_update(struct hcd_heap *h, struct hcd_target *t, uint64_t at);
void hcd_heap_remove(struct hcd_heap *h, struct hcd_target *t);
struct hcd_target *hcd_heap_top(const struct hcd_heap *h);
void hcd_heap_free(struct hcd_heap *h);
/* A target's first start: a random point in its first interval, so that
 * checks added together spread over it instead of starting as a herd. */
uint64_t hcd_sched_first(uint64_t now_us, uint32_t interval_ms,
			 uint64_t *rng);
/* The start after one that was due at due_us and began at started_us: one
 * interval later, on the same phase; a start that fell behind by more
 * than an interval skips the missed ones rather than bunching them. */
uint64_t hcd_sched_next(uint64_t due_us, uint64_t now_us,
			uint32_t interval_ms);
uint64_t hcd_rand(uint64_t *state);

/* ---- stats ------------------------------------------------------------------- */
struct hcd_stats {
	atomic_uint_fast64_t probes, up, down, timeouts;
	atomic_uint_fast64_t inflight, inflight_max;
	atomic_uint_fast64_t late_us_max;
	atomic_uint_fast64_t checks;
	uint64_t cap;
};

void hcd_stats_line(const struct hcd_stats *s, char *buf, size_t len);
void hcd_stats_max(atomic_uint_fast64_t *a, uint64_t v);

/* ---- worker.c: event-loop threads --------------------------------------- */
/* A key whose verdict moved, for the publisher. */
struct hcd_report {
	struct xlb_health_tr tr;
};

struct hcd_outbox {
	pthread_mutex_t lock;
	struct hcd_report *v;
	size_t n, cap;
	int efd; /* eventfd: written when v becomes non-empty */
};

struct hcd_worker;

struct hcd_pool {
	struct hcd_worker **w;
	unsigned int n;
	struct hcd_stats *stats;
	struct hcd_outbox *out;
};

struct hcd_pool_opts {
	unsigned int threads;
	uint64_t cap;          /* probes in flight, all threads together */
	bool once;
};

int hcd_pool_start(struct hcd_pool *p, const struct hcd_pool_opts *o,
		   struct hcd_stats *stats, struct hcd_outbox *out);
/* Hands each worker its share of specs (copied). */
int hcd_pool_assign(struct hcd_pool *p, const struct hcd_spec *specs,
		    size_t n);
/* Once mode: waits until every worker probed everything once. */
void hcd_pool_wait(struct hcd_pool *p);
void hcd_pool_stop(struct hcd_pool *p);
unsigned int hcd_worker_of(const struct hcd_key *k, unsigned int n);

/* ---- probe.c: one probe's life --------------------------------------------- */
struct hcd_wctx; /* what a probe needs of its worker */

enum hcd_outcome { HCD_OUT_UP, HCD_OUT_DOWN, HCD_OUT_TIMEOUT };

/* ---- fdlimit.c ---------------------------------------------------------- */
/* Raises RLIMIT_NOFILE's soft limit to the hard one and returns the cap on
 * probes in flight: want (0: as many as the limit allows), never above
 * the limit less what the process needs besides. */
uint64_t hcd_fd_cap(uint64_t want, unsigned int threads);

/* ---- publish.c ------------------------------------------------------------- */
struct hcd_pub;
int hcd_pub_open(const char *rundir, struct hcd_pub **out);
void hcd_pub_close(struct hcd_pub *p);
/* Reports gathered from the workers, published as deltas. */
int hcd_pub_reports(struct hcd_pub *p, const struct hcd_report *r, size_t n);
/* Keys no longer configured are forgotten (snapshots list the rest). */
int hcd_pub_retain(struct hcd_pub *p, const struct hcd_specs *specs);
/* An empty delta when nothing went out for a while, so lbd can tell a
 * quiet hcd from a gone one. */
void hcd_pub_heartbeat(struct hcd_pub *p, uint64_t now_us);
/* Answers waiting requests on hcd-ctl. */
void hcd_pub_serve(struct hcd_pub *p);
/* Descriptors to poll: the hcd-ctl socket. */
int hcd_pub_fd(struct hcd_pub *p);

/* ---- privs.c ---------------------------------------------------------------- */
/* With --user: no_new_privs, before any thread starts. */
int hcd_no_new_privs(const char *user);
/* As root with a user: become it, keeping only CAP_NET_RAW. */
int hcd_drop_privileges(const char *user);
/* Once the workers run: the main thread gives up CAP_NET_RAW too. */
int hcd_drop_main_caps(const char *user);

#endif /* HCD_H */
