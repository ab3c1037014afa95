#!/usr/bin/env bash
# tools/bench/bench_lab_health.sh - from a backend's failure to what the
# network sees, in the whole lab: medians over 20 trials.
#
# The two-node lab (tools/lab/lib.sh, lab_full_up): lb1 and lb2 each run
# lbd, hcd (HTTP checks every 200 ms, down after 2 failures, up after 2
# successes), bgpd-bridge and BIRD; the router's BIRD installs the routes.
# A failure is a backend's health endpoint answering 503 (the file
# tools/lab/backend.py looks for), so the same failure can be repeated.
# Per trial:
# - withdrawal: every backend of the 4-in-6 VIP fails -> the router has no
#   route to it (polled every ~10 ms); also split into detection (the later
#   node's lbd recording the last backend down) and the rest (lbd, bridge,
#   both BIRDs, the router's kernel);
# - table switch: one backend fails -> lb1's Maglev tables of the IPv4 VIP
#   have no slot for it (lbsh's live_maglev, polled every ~15 ms).
# Baselines in the same run, 20 trials each: the same route withdrawn by
# BIRD alone (both nodes' static protocol disabled with birdc), and the
# same table switch caused by an operator's UPDATE (state = 'maint')
# instead of hcd.  Prints each median, its baseline and the ratio.
#
# Needs root, BPF and BIRD 2.  Usage: [XLB_BUILD=build] tools/bench/bench_lab_health.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh

TRIALS=${BENCH_TRIALS:-20}
LAB_LBS="lb1 lb2"
lab_names "benchh$$"
trap 'lab_down' EXIT
trap 'exit 130' INT TERM
lab_full_up 2>/dev/null

ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
until_true() { # seconds cmd...: polls, true once cmd is
	local end=$(($(ms) + $1 * 1000))
	shift
	until "$@"; do [ "$(ms)" -lt "$end" ] || return 1; done
}
routed46() { [ -n "$(lab_route_via "$VIP46")" ]; }
unrouted46() { ! routed46; }
b1_slots() { # lb1's Maglev slots of b1's IPv4 address
	nsx "$(nsname lb1)" "$LBSH" --db "$(lab_db lb1)" --pin-dir "$(lab_pin lb1)" -list -noheader \
		-c "SELECT count(*) FROM live_maglev WHERE address = '$(be4 1)'"
}
b1_out() { [ "$(b1_slots)" = 0 ]; }
b1_in() { [ "$(b1_slots)" != 0 ]; }
latest_down46() { # ms: the later node's record of the last vip46 check down
	local n t best=0
	for n in $LAB_LBS; do
		t=$(lab_sql_on "$n" "SELECT max(since) FROM backend_health
			WHERE health_check = 'lab-http46' AND status = 'down'")
		t=$(date -d "$t" +%s%3N)
		[ "$t" -le "$best" ] || best=$t
	done
	echo "$best"
}
settle() { # every backend up on both nodes, every VIP through both
	if ! { lab_wait_health lb1 10 && lab_wait_health lb2 10 && lab_wait_routes 10 "lb1 lb2"; }; then
		lab_die "the lab did not settle"
	fi
}

for f in withdraw detect bgp switch sql; do : >"$LAB_DIR/$f"; done
for ((i = 0; i < TRIALS; i++)); do
	# All backends of VIP46 fail their check.
	t0=$(ms)
	for b in $(lab_backends); do touch "$LAB_DIR/$b.down.vip46"; done
	until_true 10 unrouted46 || lab_die "trial $i: $VIP46 not withdrawn"
	t1=$(ms)
	echo $((t1 - t0)) >>"$LAB_DIR/withdraw"
	td=$(latest_down46)
	echo $((td - t0)) $((t1 - td)) >>"$LAB_DIR/detect"
	for b in $(lab_backends); do rm -f "$LAB_DIR/$b.down.vip46"; done
	settle

	# Baseline: BIRD alone withdraws it (both nodes' vips4 protocol).
	t0=$(ms)
	lab_birdc lb1 disable vips4 >/dev/null
	lab_birdc lb2 disable vips4 >/dev/null
	until_true 10 unrouted46 || lab_die "trial $i: birdc disable did not withdraw"
	echo $(($(ms) - t0)) >>"$LAB_DIR/bgp"
	lab_birdc lb1 enable vips4 >/dev/null
	lab_birdc lb2 enable vips4 >/dev/null
	settle

	# One backend fails: lb1's tables drop it.
	t0=$(ms)
	touch "$LAB_DIR/b1.down.health"
	until_true 10 b1_out || lab_die "trial $i: b1 still in lb1's tables"
	echo $(($(ms) - t0)) >>"$LAB_DIR/switch"
	rm -f "$LAB_DIR/b1.down.health"
	until_true 10 b1_in || lab_die "trial $i: b1 not back in lb1's tables"
	settle

	# Baseline: an operator's UPDATE takes it out.
	t0=$(ms)
	lab_sql_on lb1 "UPDATE backend SET state = 'maint' WHERE address = '$(be4 1)'"
	until_true 10 b1_out || lab_die "trial $i: b1 in maintenance still in lb1's tables"
	echo $(($(ms) - t0)) >>"$LAB_DIR/sql"
	lab_sql_on lb1 "UPDATE backend SET state = 'active' WHERE address = '$(be4 1)'"
	until_true 10 b1_in || lab_die "trial $i: b1 not back after maintenance"
done

w=$(median <"$LAB_DIR/withdraw") g=$(median <"$LAB_DIR/bgp")
det=$(cut -d' ' -f1 "$LAB_DIR/detect" | median) rest=$(cut -d' ' -f2 "$LAB_DIR/detect" | median)
s=$(median <"$LAB_DIR/switch") q=$(median <"$LAB_DIR/sql")
echo "medians over $TRIALS trials (hcd: HTTP check every $LAB_HC_INTERVAL ms, down after $LAB_HC_FALL failures):"
echo "  every backend of a VIP fails -> route withdrawn at the router: $w ms"
echo "    of which detection (the later node's lbd records the last backend down): $det ms,"
echo "    then lbd -> bgpd-bridge -> BIRD -> router's kernel: $rest ms"
echo "  baseline, BIRD alone withdrawing it (birdc disable on both nodes): $g ms"
awk -v a="$w" -v b="$g" 'BEGIN { printf "  ratio: %.1fx\n", a / b }'
echo "  one backend fails -> lb1's Maglev tables switched without it: $s ms"
echo "  baseline, an operator's UPDATE (state = 'maint') -> tables switched: $q ms"
awk -v a="$s" -v b="$q" 'BEGIN { printf "  ratio: %.1fx\n", a / b }'
