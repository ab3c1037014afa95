// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_lbsh_e2e.c - lbsh in batch mode against the real thing: a real
 * database, the real lbd (attached in generic mode to a veth the test
 * makes) and its pinned maps, and packets run through the real XDP
 * program with BPF_PROG_TEST_RUN.  What lbsh's live tables show is
 * checked against the packets sent and the frames the program put out
 * (which backend each flow went to, read from the outer header), never
 * against the library lbsh reads with.
 *
 * Needs root and BPF; fails (never skips) without them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "lbd_fixture.h"
#include "pkt.h"
#include "xlb_loader.h"

static char lbsh_path[PATH_MAX];

#define VIP_WEB "203.0.113.10"
#define VIP_DNS "203.0.113.11"
static const char *const web_backends[] = { "198.51.100.7", "198.51.100.8",
					    "198.51.100.9" };
#define NWEB 3

/* Runs lbsh -csv -c sql; stdout (and stderr when merge) into out. */
static int lbsh(struct lf *t, bool merge, char *out, size_t len,
		const char *sql)
{
	int p[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		if (merge)
			dup2(p[1], 2);
		close(p[0]);
		execl(lbsh_path, "lbsh", "--db", t->db, "--pin-dir", t->pin_dir,
		      "--rundir", t->dir, "-csv", "-c", sql, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < len && (r = read(p[0], out + n, len - n - 1)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* One integer from a query through lbsh. */
static long long lbsh_int(struct lf *t, const char *fmt, ...)
{
	char sql[1024], out[256], *end;
	va_list ap;
	long long v;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_int_equal(lbsh(t, false, out, sizeof(out), sql), 0);
	v = strtoll(out, &end, 10);
	if (end == out || (*end && *end != '\n'))
		fail_msg("lbsh: '%s' gave '%s'", sql, out);
	return v;
}

/* ---- the node ----------------------------------------------------------- */

struct run {
	struct xlb_dp *dp; /* the program again, over the pinned maps */
	int prog;
};

static void make_veth(struct lf *t)
{
	char cmd[256];

	snprintf(t->ifname, sizeof(t->ifname), "xlbsh%d",
		 (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %sp && "
		 "ip link set %s up", t->ifname, t->ifname, t->ifname);
	assert_int_equal(system(cmd), 0);
}

/* Two services, lbd attached and following, the program at hand. */
static void node_up(struct lf *t, struct run *r)
{
	struct xlb_dp_opts o = { .pin_dir = t->pin_dir };

	make_veth(t);
	lf_sql(t, "UPDATE node SET interface = '%s', xdp_mode = 'generic'",
	       t->ifname);
	lf_sql(t, "INSERT INTO service (vip, proto, port, ring_size) VALUES "
	       "('" VIP_WEB "', 'tcp', 80, 1021), ('" VIP_DNS "', 'udp', 53, 251)");
	for (int i = 0; i < NWEB; i++)
		lf_sql(t, "INSERT INTO backend (vip, proto, port, address) "
		       "VALUES ('" VIP_WEB "', 'tcp', 80, '%s')", web_backends[i]);
	lf_sql(t, "INSERT INTO backend (vip, proto, port, address) VALUES "
	       "('" VIP_DNS "', 'udp', 53, '198.51.100.20')");
	lf_start_attached(t);
	assert_int_equal(xlb_dp_open(&o, &r->dp), 0);
	r->prog = xlb_dp_prog_fd(r->dp);
}

static void node_down(struct lf *t, struct run *r)
{
	xlb_dp_close(r->dp);
	lf_stop(t);
}

/* Runs one packet; returns the XDP action, the outer destination (the
 * backend) in be when the frame was encapsulated. */
static __u32 send_pkt(struct run *r, const char *src, uint16_t sport,
		      const char *dst, uint8_t proto, uint16_t dport,
		      char be[INET_ADDRSTRLEN])
{
	struct pkt_eth e = { .dst = { 2, 0, 0x5e, 0, 0x53, 2 },
			     .src = { 2, 0, 0x5e, 0, 0x53, 3 } };
	struct pkt_ipv4 ip = { .src = pkt_v4(src), .dst = pkt_v4(dst),
			       .ttl = 64, .proto = proto };
	static uint8_t out[PKT_MAX + 256];
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, &e, PKT_ETH_P_IP);
	pkt_ipv4(&p, &ip);
	if (proto == IPPROTO_TCP)
		pkt_tcp(&p, sport, dport);
	else
		pkt_udp(&p, sport, dport);
	pkt_pattern(&p, 64, 7);
	pkt_done(&p);

	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.data,
		    .data_size_in = (__u32)p.len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(r->prog, &o), 0);
	be[0] = '\0';
	if (o.retval == XDP_TX && o.data_size_out >= 34 && out[12] == 0x08 &&
	    out[13] == 0x00 && out[14 + 9] == IPPROTO_IPIP)
		inet_ntop(AF_INET, out + 14 + 16, be, INET_ADDRSTRLEN);
	return o.retval;
}

/* What the test sent, by backend as the frames said. */
struct sent {
	unsigned long web_pkts, web_flows, dns_pkts, other;
	unsigned long be_pkts[NWEB];
	unsigned long be_flows[NWEB];
	char flow_a_be[INET_ADDRSTRLEN];
};

static int web_index(const char *addr)
{
	for (int i = 0; i < NWEB; i++)
		if (!strcmp(addr, web_backends[i]))
			return i;
	fail_msg("a web packet went to '%s'", addr);
	return -1;
}

/* Flow A: 7 packets; 11 more flows of 1..3 packets; 3 DNS packets of
 * one flow; 4 packets for no VIP. */
static void traffic(struct run *r, struct sent *s)
{
	char be[INET_ADDRSTRLEN], src[32];

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 7; i++) {
		assert_int_equal(send_pkt(r, "192.0.2.50", 40000, VIP_WEB,
					  IPPROTO_TCP, 80, be), XDP_TX);
		if (i == 0) {
			strcpy(s->flow_a_be, be);
			s->be_flows[web_index(be)]++;
		}
		assert_string_equal(be, s->flow_a_be); /* a flow stays */
		s->be_pkts[web_index(be)]++;
	}
	s->web_pkts = 7;
	s->web_flows = 1;
	for (int f = 0; f < 11; f++) {
		snprintf(src, sizeof(src), "192.0.2.%d", 60 + f);
		for (int k = 0; k <= f % 3; k++) {
			assert_int_equal(send_pkt(r, src, (uint16_t)(41000 + f),
						  VIP_WEB, IPPROTO_TCP, 80, be),
					 XDP_TX);
			s->be_pkts[web_index(be)]++;
			if (k == 0)
				s->be_flows[web_index(be)]++;
			s->web_pkts++;
		}
		s->web_flows++;
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(send_pkt(r, "192.0.2.99", 5353, VIP_DNS,
					  IPPROTO_UDP, 53, be), XDP_TX);
		assert_string_equal(be, "198.51.100.20");
		s->dns_pkts++;
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(send_pkt(r, "192.0.2.1", 1234, "198.51.100.200",
					  IPPROTO_TCP, 22, be), XDP_PASS);
		s->other++;
	}
}

/* ---- tests ------------------------------------------------------------- */

/* Per-service, per-backend and reason counters read through lbsh equal
 * the packets sent and where the program sent them. */
static void test_counters_match_packets(void **state)
{
	struct lf *t = *state;
	struct run r;
	struct sent s;

	node_up(t, &r);
	traffic(&r, &s);
	assert_int_equal(lbsh_int(t, "SELECT packets FROM live_service WHERE "
				  "vip = '" VIP_WEB "' AND proto = 'tcp' AND "
				  "port = 80"), s.web_pkts);
	assert_int_equal(lbsh_int(t, "SELECT new_flows FROM live_service WHERE "
				  "vip = '" VIP_WEB "'"), s.web_flows);
	assert_int_equal(lbsh_int(t, "SELECT packets FROM live_service WHERE "
				  "vip = '" VIP_DNS "' AND port = 53"),
			 s.dns_pkts);
	for (int i = 0; i < NWEB; i++)
		assert_int_equal(lbsh_int(t, "SELECT coalesce(sum(packets), 0) "
					  "FROM live_backend WHERE vip = '"
					  VIP_WEB "' AND address = '%s'",
					  web_backends[i]), s.be_pkts[i]);
	assert_int_equal(lbsh_int(t, "SELECT count FROM live_reason WHERE "
				  "reason = 'forwarded'"),
			 s.web_pkts + s.dns_pkts);
	assert_int_equal(lbsh_int(t, "SELECT count FROM live_reason WHERE "
				  "reason = 'passed'"), s.other);
	/* A join of live and configured state: bytes per configured
	 * backend add up to the service's. */
	assert_int_equal(lbsh_int(t, "SELECT sum(l.bytes) = (SELECT bytes FROM "
				  "live_service WHERE port = 80) FROM backend b "
				  "JOIN live_backend l USING (vip, proto, port, "
				  "address, backend_port) WHERE b.port = 80"), 1);
	node_down(t, &r);
}

/* The connection table: every flow, and vip/port/proto/backend
 * constraints and LIMIT give exactly the flows the frames showed. */
static void test_conntrack_filters(void **state)
{
	struct lf *t = *state;
	char out[4096], want[128];
	struct run r;
	struct sent s;

	node_up(t, &r);
	traffic(&r, &s);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM live_conntrack"),
			 s.web_flows + 1);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM live_conntrack "
				  "WHERE vip = '" VIP_WEB "'"), s.web_flows);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM live_conntrack "
				  "WHERE vip = '" VIP_WEB "' AND port = 80 AND "
				  "proto = 'tcp'"), s.web_flows);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM live_conntrack "
				  "WHERE vip = '" VIP_WEB "' AND proto = 'udp'"),
			 0);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM live_conntrack "
				  "WHERE proto = 'udp' AND port = 53"), 1);
	for (int i = 0; i < NWEB; i++)
		assert_int_equal(lbsh_int(t, "SELECT count(*) FROM "
					  "live_conntrack WHERE backend = '%s'",
					  web_backends[i]), s.be_flows[i]);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM (SELECT * FROM "
				  "live_conntrack WHERE vip = '" VIP_WEB "' "
				  "LIMIT 5)"), 5);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM (SELECT * FROM "
				  "live_conntrack LIMIT 2 OFFSET 11)"), 2);
	/* A constraint lbsh does not take, with a LIMIT: still right. */
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM (SELECT * FROM "
				  "live_conntrack WHERE client_port = 40000 "
				  "LIMIT 3)"), 1);
	/* The plans say which terms lbsh took (idxNum: 1 vip, 2 port,
	 * 4 proto, 8 backend, 16 LIMIT). */
	assert_int_equal(lbsh(t, false, out, sizeof(out), "EXPLAIN QUERY PLAN "
			      "SELECT * FROM live_conntrack WHERE vip = '"
			      VIP_WEB "' LIMIT 5"), 0);
	assert_non_null(strstr(out, "VIRTUAL TABLE INDEX 17:"));
	assert_int_equal(lbsh(t, false, out, sizeof(out), "EXPLAIN QUERY PLAN "
			      "SELECT * FROM live_conntrack WHERE backend = "
			      "'198.51.100.7' AND proto = 'tcp' AND port = 80"),
			 0);
	assert_non_null(strstr(out, "VIRTUAL TABLE INDEX 14:"));
	assert_int_equal(lbsh(t, false, out, sizeof(out), "EXPLAIN QUERY PLAN "
			      "SELECT * FROM live_conntrack WHERE client_port "
			      "= 40000 LIMIT 3"), 0);
	assert_non_null(strstr(out, "VIRTUAL TABLE INDEX 0:"));
	/* Flow A, whole row. */
	assert_int_equal(lbsh(t, false, out, sizeof(out),
			      "SELECT proto, client, client_port, vip, port, "
			      "backend FROM live_conntrack WHERE client = "
			      "'192.0.2.50'"), 0);
	snprintf(want, sizeof(want), "tcp,192.0.2.50,40000," VIP_WEB ",80,%s\n",
		 s.flow_a_be);
	assert_string_equal(out, want);
	node_down(t, &r);
}

/* A write through lbsh reaches the datapath (.sync shows the revision
 * lbd applied), and a join finds the backend configured but absent from
 * the Maglev table; slot shares add up to M. */
static void test_write_sync_maglev(void **state)
{
	struct lf *t = *state;
	char out[4096], want[128];
	long long rev;
	struct run r;

	node_up(t, &r);
	assert_int_equal(lbsh_int(t, "SELECT sum(slots) FROM live_maglev "
				  "WHERE vip = '" VIP_WEB "'"), 1021);
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM live_maglev WHERE "
				  "vip = '" VIP_WEB "'"), NWEB);
	/* A write alone: lbsh nudges lbd and takes its answer (the revision
	 * applied) before it leaves, so the change is in force when lbsh
	 * returns, whenever lbd would have looked by itself. */
	assert_int_equal(lbsh(t, true, out, sizeof(out),
			      "UPDATE backend SET weight = 2 WHERE address = "
			      "'198.51.100.8'"), 0);
	assert_int_equal(lf_int(t, "SELECT revision FROM applied"),
			 lf_int(t, "SELECT max(rev) FROM revision"));
	assert_int_equal(lbsh(t, true, out, sizeof(out),
			      "UPDATE backend SET state = 'maint' WHERE "
			      "address = '198.51.100.9';\n.sync 10"), 0);
	rev = lf_int(t, "SELECT max(rev) FROM revision");
	snprintf(want, sizeof(want), "applied revision %lld (last logged "
		 "%lld)\n", rev, rev);
	assert_string_equal(out, want);
	assert_int_equal(lf_int(t, "SELECT revision FROM applied"), rev);
	assert_int_equal(lbsh(t, false, out, sizeof(out),
			      "SELECT b.address FROM backend b LEFT JOIN "
			      "live_maglev m USING (vip, proto, port, address, "
			      "backend_port) WHERE m.slots IS NULL"), 0);
	assert_string_equal(out, "198.51.100.9\n");
	assert_int_equal(lbsh_int(t, "SELECT sum(slots) FROM live_maglev "
				  "WHERE vip = '" VIP_WEB "'"), 1021);
	/* Where it runs: the veth, generic, with the program's ids. */
	snprintf(want, sizeof(want), "%s,%u,generic\n", t->ifname,
		 if_nametoindex(t->ifname));
	assert_int_equal(lbsh(t, false, out, sizeof(out),
			      "SELECT interface, ifindex, mode FROM "
			      "live_interface"), 0);
	assert_string_equal(out, want);
	assert_true(lbsh_int(t, "SELECT prog_id FROM live_interface") > 0);
	node_down(t, &r);
}

/* Without pins the live tables say so; the database still answers. */
static void test_no_datapath(void **state)
{
	struct lf *t = *state;
	char out[1024];

	assert_int_equal(lbsh(t, true, out, sizeof(out),
			      "SELECT * FROM live_service"), 1);
	assert_non_null(strstr(out, "no datapath pinned in"));
	assert_non_null(strstr(out, t->pin_dir));
	assert_int_equal(lbsh_int(t, "SELECT count(*) FROM node"), 1);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, lf_setup, lf_teardown)
	const struct CMUnitTest tests[] = {
		T(test_counters_match_packets),
		T(test_conntrack_filters),
		T(test_write_sync_maglev),
		T(test_no_datapath),
	};
	char self[PATH_MAX];

	(void)argc;
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(lbsh_path, sizeof(lbsh_path), "%s/../lbsh", dirname(self));
	if (access(lbsh_path, X_OK)) {
		fprintf(stderr, "%s: %s not built\n", argv[0], lbsh_path);
		return 1;
	}
	if (lf_init(argv[0]))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
