// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_msg - what a HEALTH batch of 20,000 transitions costs to encode and
 * decode (validate the frame, then read every entry into a struct, as a
 * receiver does).
 *
 * The baseline, measured in the same run, is a plain memcpy of the same
 * frame bytes: the least any handling of them can cost.  Each figure is
 * the median of RUNS batches after WARMUP unmeasured ones; the buffers are
 * reused, as a daemon reuses its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "xlb_errmsg.h"
#include "xlb_msg.h"

#define RUNS 21
#define WARMUP 3
#define TRANSITIONS 20000

enum phase { P_MEMCPY, P_ENCODE, P_DECODE, P_ITERATE, P_MAX };

static const char *const phase_names[P_MAX] = {
	"memcpy of the frame", "encode", "decode (validate)",
	"read every entry",
};

struct job {
	struct xlb_health_tr *trs;
	struct xlb_msg_buf frame;
	__u8 *copy;
	struct xlb_msg msg;
	volatile __u32 sink; /* keeps the baseline and the reads alive */
};

/* Backend i: an IPv4 or IPv6 documentation address, a typical check name
 * ("http-ready-12345", 16 bytes: the batch is about 840 KB). */
static void tr_make(struct xlb_health_tr *t, unsigned int i)
{
	memset(t, 0, sizeof(*t));
	if (i % 2) {
		static const __u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		t->family = XLB_FAM_V6;
		memcpy(t->addr.b, v6, 16);
		t->addr.b[14] = (__u8)(i >> 8);
		t->addr.b[15] = (__u8)i;
	} else {
		t->family = XLB_FAM_V4;
		t->addr.b[0] = 198;
		t->addr.b[1] = 51;
		t->addr.b[2] = 100;
		t->addr.b[3] = (__u8)i;
	}
	t->port = (__u16)(1024 + i % 1000);
	t->state = i % 3 ? XLB_HEALTH_UP : XLB_HEALTH_DOWN;
	t->reason = (__u8)(i % XLB_HR_MAX);
	t->latency_us = 250 + i;
	snprintf(t->check, sizeof(t->check), "http-ready-%05u", i);
}

static int encode(struct job *j)
{
	unsigned int i;
	int err = xlb_msg_health_begin(&j->frame, 1, false);

	for (i = 0; !err && i < TRANSITIONS; i++)
		err = xlb_msg_health_add(&j->frame, &j->trs[i]);
	return err;
}

static int iterate(struct job *j)
{
	struct xlb_health_tr t;
	struct xlb_msg_iter it;
	__u32 n = 0;
	int err = xlb_msg_iter_init(&it, &j->msg);

	while (!err && (err = xlb_msg_health_next(&it, &t)) == 0)
		n += t.latency_us;
	j->sink = n;
	return err == -ENOENT ? 0 : err;
}

static int run_once(struct job *j, enum phase p)
{
	switch (p) {
	case P_MEMCPY:
		memcpy(j->copy, j->frame.data, j->frame.len);
		j->sink = j->copy[j->frame.len - 1];
		return 0;
	case P_ENCODE:
		return encode(j);
	case P_DECODE:
		return xlb_msg_decode(j->frame.data, j->frame.len, &j->msg,
				      NULL);
	default:
		return iterate(j);
	}
}

/* Median time of one phase in microseconds, or a negative errno. */
static double median_us(struct job *j, enum phase p)
{
	double t[RUNS];
	int i, err;

	for (i = 0; i < WARMUP; i++)
		if ((err = run_once(j, p)))
			return err;
	for (i = 0; i < RUNS; i++) {
		double t0 = bench_now_us();

		if ((err = run_once(j, p)))
			return err;
		t[i] = bench_now_us() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), bench_cmp_double);
	return t[RUNS / 2];
}

static int report(struct job *j)
{
	double us[P_MAX], total = 0;
	int p;

	for (p = 0; p < P_MAX; p++) {
		us[p] = median_us(j, p);
		if (us[p] < 0)
			return (int)us[p];
	}
	printf("HEALTH batch: %d transitions, %zu bytes\n", TRANSITIONS,
	       j->frame.len);
	for (p = 0; p < P_MAX; p++) {
		printf("  %-20s %9.1f us  %6.1f ns/transition\n",
		       phase_names[p], us[p], us[p] * 1e3 / TRANSITIONS);
		if (p != P_MEMCPY)
			total += us[p];
	}
	printf("  encode + decode + read: %.1f us per batch\n", total);
	printf("  = %.1fx a memcpy of the same bytes\n", total / us[P_MEMCPY]);
	return 0;
}

int main(void)
{
	struct job j = { 0 };
	unsigned int i;
	int err = -ENOMEM;

	j.trs = calloc(TRANSITIONS, sizeof(*j.trs));
	j.copy = malloc(XLB_MSG_FRAME_MAX);
	if (!j.trs || !j.copy)
		goto out;
	for (i = 0; i < TRANSITIONS; i++)
		tr_make(&j.trs[i], i);
	/* Every phase after the first needs the frame and its decoding. */
	err = encode(&j);
	if (!err)
		err = xlb_msg_decode(j.frame.data, j.frame.len, &j.msg, NULL);
	if (!err)
		err = report(&j);
out:
	if (err)
		fprintf(stderr, "bench_msg: %s: %s\n", strerror(-err),
			xlb_errmsg());
	xlb_msg_buf_fini(&j.frame);
	free(j.copy);
	free(j.trs);
	return err ? 1 : 0;
}
