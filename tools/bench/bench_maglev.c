// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_maglev - how long a weighted Maglev table takes to build.
 *
 * The baseline, measured in the same run, is the paper's pseudocode taken
 * literally: equal weights, the j-th choice computed as (offset + j * skip)
 * % M at every step, -1 marking free slots.  It uses the same preference
 * lists (xlb_maglev_perm), so the two differ only in how they fill.
 * Each figure is the median of RUNS builds after WARMUP unmeasured ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "xlb_maglev.h"

#define RUNS 21
#define WARMUP 3
#define TARGET_US 1000.0  /* M = 65537, N = 1000 */
#define PAPER_US 1800.0   /* Eisenbud et al. 2016, same size */

struct textbook {
	__u32 *offset, *skip, *next;
	__s64 *entry;
};

/* The baseline: Maglev pseudocode, allocation included as the paper's
 * population step would. */
static int textbook_fill(const struct xlb_maglev_backend *bes, __u32 n,
			 __u32 m, __u32 *table)
{
	struct textbook t;
	__u32 i, filled = 0;
	int err = -ENOMEM;

	t.offset = malloc(n * sizeof(__u32));
	t.skip = malloc(n * sizeof(__u32));
	t.next = calloc(n, sizeof(__u32));
	t.entry = malloc(m * sizeof(__s64));
	if (!t.offset || !t.skip || !t.next || !t.entry)
		goto out;
	for (i = 0; i < n; i++)
		xlb_maglev_perm(&bes[i], m, &t.offset[i], &t.skip[i]);
	for (i = 0; i < m; i++)
		t.entry[i] = -1;
	for (;;) {
		for (i = 0; i < n; i++) {
			__u32 c = (__u32)((t.offset[i] +
					   (__u64)t.next[i] * t.skip[i]) % m);

			while (t.entry[c] >= 0) {
				t.next[i]++;
				c = (__u32)((t.offset[i] +
					     (__u64)t.next[i] * t.skip[i]) % m);
			}
			t.entry[c] = bes[i].id;
			t.next[i]++;
			if (++filled == m)
				goto done;
		}
	}
done:
	for (i = 0; i < m; i++)
		table[i] = (__u32)t.entry[i];
	err = 0;
out:
	free(t.offset);
	free(t.skip);
	free(t.next);
	free(t.entry);
	return err;
}

enum builder { B_TEXTBOOK, B_XLB, B_XLB_SCRATCH };

struct job {
	const struct xlb_maglev_backend *bes;
	__u32 n, m;
	__u32 *table;
	struct xlb_maglev_scratch *scratch;
};

static int run_once(const struct job *j, enum builder b)
{
	switch (b) {
	case B_TEXTBOOK:
		return textbook_fill(j->bes, j->n, j->m, j->table);
	case B_XLB:
		return xlb_maglev_build(j->bes, j->n, j->m, j->table);
	default:
		return xlb_maglev_build_with(j->scratch, j->bes, j->n, j->m,
					     j->table);
	}
}

/* Median build time in microseconds, or a negative errno. */
static double median_us(const struct job *j, enum builder b)
{
	double t[RUNS];
	int i, err;

	for (i = 0; i < WARMUP; i++)
		if ((err = run_once(j, b)))
			return err;
	for (i = 0; i < RUNS; i++) {
		double t0 = bench_now_us();

		if ((err = run_once(j, b)))
			return err;
		t[i] = bench_now_us() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), bench_cmp_double);
	return t[RUNS / 2];
}

/* n IPv4 backends 10.x.y.z:8080 with id i + 1; weight(i) or 1; in address
 * order, or shuffled with a fixed seed. */
static struct xlb_maglev_backend *make_backends(__u32 n,
						__u32 (*weight)(__u32 i),
						int shuffled)
{
	struct xlb_maglev_backend *bes = calloc(n, sizeof(*bes));
	__u32 i;

	if (!bes)
		return NULL;
	for (i = 0; i < n; i++) {
		bes[i].family = XLB_FAM_V4;
		bes[i].addr.b[0] = 10;
		bes[i].addr.b[1] = (__u8)(i >> 16);
		bes[i].addr.b[2] = (__u8)(i >> 8);
		bes[i].addr.b[3] = (__u8)i;
		bes[i].port = 8080;
		bes[i].weight = weight ? weight(i) : 1;
		bes[i].id = i + 1;
	}
	srand(1);
	for (i = n; shuffled && i > 1; i--) {
		__u32 j = (__u32)rand() % i;
		struct xlb_maglev_backend t = bes[i - 1];

		bes[i - 1] = bes[j];
		bes[j] = t;
	}
	return bes;
}

static __u32 weight_1_to_10(__u32 i)
{
	return 1 + i % 10;
}

static __u32 weight_one_huge(__u32 i)
{
	return i == 0 ? 1000000 : 1;
}

struct bench_case {
	__u32 m, n;
	__u32 (*weight)(__u32 i);
	int shuffled;
	const char *label;
};

static int bench_case(const struct bench_case *c,
		      struct xlb_maglev_scratch *scratch)
{
	struct xlb_maglev_backend *bes = make_backends(c->n, c->weight,
						       c->shuffled);
	__u32 *table = malloc(c->m * sizeof(*table));
	struct job j = { bes, c->n, c->m, table, scratch };
	double base, fresh, reuse;
	int err = -ENOMEM;

	if (!bes || !table)
		goto out;
	base = median_us(&j, B_TEXTBOOK);
	fresh = median_us(&j, B_XLB);
	reuse = median_us(&j, B_XLB_SCRATCH);
	if (base < 0 || fresh < 0 || reuse < 0) {
		err = (int)(base < 0 ? base : fresh < 0 ? fresh : reuse);
		goto out;
	}
	printf("maglev_build M=%u N=%u%s: %.0f us (%.2fx textbook fill)",
	       c->m, c->n, c->label, fresh, fresh / base);
	if (c->m == 65537 && c->n == 1000 && !c->weight && !c->shuffled)
		printf(", target <= %.0f us, paper %.0f us", TARGET_US,
		       PAPER_US);
	printf("\n");
	printf("  with reused scratch: %.0f us (%.2fx textbook fill)\n", reuse,
	       reuse / base);
	printf("  textbook fill (modulo per step, equal weights): %.0f us\n",
	       base);
	err = 0;
out:
	free(bes);
	free(table);
	return err;
}

int main(void)
{
	static const struct bench_case cases[] = {
		{ 65537, 1000, NULL, 0, "" },
		{ 16381, 100, NULL, 0, "" },
		{ 13313, 10, NULL, 0, "" },
		{ 65537, 1000, NULL, 1, " rows shuffled" },
		{ 65537, 1000, weight_1_to_10, 0, " weights 1..10" },
		{ 65537, 1000, weight_one_huge, 0, " one weight 1e6, rest 1" },
	};
	struct xlb_maglev_scratch *scratch = xlb_maglev_scratch_new();
	size_t i;
	int err = 0;

	if (!scratch) {
		fprintf(stderr, "bench_maglev: out of memory\n");
		return 1;
	}
	printf("median of %d builds after %d warm-up builds, one thread\n",
	       RUNS, WARMUP);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && !err; i++)
		err = bench_case(&cases[i], scratch);
	xlb_maglev_scratch_free(scratch);
	if (err) {
		fprintf(stderr, "bench_maglev: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
