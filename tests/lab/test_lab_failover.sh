#!/usr/bin/env bash
# tests/lab/test_lab_failover.sh - an LB node fails over without breaking
# a connection.
#
# The two-node lab (tools/lab/lib.sh, lab_full_up): lb1 and lb2 run lbd on
# the same configuration and each its own BIRD 2 speaker; the router's BIRD
# installs one ECMP route per VIP through both, hashed on the 5-tuple.  The
# client holds 12 long-lived HTTP/1.1 connections to each VIP (IPv4, IPv6,
# IPv4 with IPv6 backends) and asks each one who it is every ~50 ms.  The
# test finds in the nodes' connection tables which node A carries some of
# them, then stops A's BGP speaker with SIGTERM (a BGP Cease), with
# SIGKILL (only the kernel closes its session), and takes A's link down
# (the router's side loses its carrier).  Each time asserts that the
# router's routes drop A within seconds, that A then forwards nothing,
# that A's flows appear in B's connection table, that A returns to every
# route once its speaker or link is back and carries traffic again, and,
# at the end, that no connection failed and each was answered in every round by
# the backend that held it first: B's Maglev table is A's, so the backends
# never see a packet of a connection they do not hold.
#
# Needs root, BPF and BIRD 2; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_lab_failover.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh

K=12 # held connections per VIP: none of 36 on a node by chance: 2^-35
LAB_LBS="lb1 lb2"
# Checks that allow a busy machine a late answer: a backend flapping down
# would move held flows (they are rescheduled), which this test counts.
LAB_HC_TIMEOUT=200 LAB_HC_FALL=3
lab_names "f$$"
LAB_TEST_LOGS="$LAB_DIR/hold.* $LAB_DIR/*/bird.log $LAB_DIR/*/lbd.log"
lab_test_frame test_lab_failover
[ -x "$LBD" ] || lab_die "$LBD missing (make)"
lab_full_up
echo "[==========] lab $LAB_ID up: $(lab_route "$VIP4")"

# --- held connections ------------------------------------------------------------
HOLD_PIDS=()
TAGS="v4 v6 v46"
vip_of() { case $1 in v4) echo "$VIP4" ;; v6) echo "$VIP6" ;; v46) echo "$VIP46" ;; esac; }
base_of() { case $1 in v4) echo 31000 ;; v6) echo 32000 ;; v46) echo 33000 ;; esac; }
for tag in $TAGS; do
	: >"$LAB_DIR/hold.$tag"
	nsx "$(nsname cl)" python3 "$LAB_TOOLS/hold.py" "$(vip_of "$tag")" "$HTTP_PORT" \
		--sport "$(base_of "$tag")" --count $K --out "$LAB_DIR/hold.$tag" \
		--stop "$LAB_DIR/hold.stop" --seconds 100 2>>"$LAB_DIR/hold.err" &
	HOLD_PIDS+=($!)
	echo $! >>"$LAB_DIR/pids"
done
rounds() { # the fewest rounds any client completed
	local tag n min=999999
	for tag in $TAGS; do
		n=$(grep -c '^done ' "$LAB_DIR/hold.$tag" || true)
		[ "$n" -ge "$min" ] || min=$n
	done
	echo "$min"
}
wait_rounds() { # N more rounds than now, polled for at most 10 s
	local want t
	want=$(($(rounds) + $1))
	for ((t = 0; t < 200; t++)); do
		[ "$(rounds)" -ge "$want" ] && return 0
		sleep 0.05
	done
	return 1
}
check "every client holds its $K connections and gets answers (3 rounds)" wait_rounds 3

# Which node carries each held connection: its connection table.
ct() { lab_conntrack "$1" >"$LAB_DIR/ct.$2.$1"; } # node label
on_node() { # label node tag: the held sports in that node's table
	lab_ct_sports "$LAB_DIR/ct.$1.$2" "$(vip_of "$3")" "$HTTP_PORT" |
		awk -v lo="$(base_of "$3")" -v k=$K '$1 >= lo && $1 < lo + k'
}
ct lb1 0
ct lb2 0
held_once() { # every held connection in exactly one node's table
	local tag
	for tag in $TAGS; do
		[ "$( (on_node 0 lb1 "$tag"; on_node 0 lb2 "$tag") | sort | uniq -u | wc -l)" -eq $K ] ||
			return 1
	done
}
check "each of the $((3 * K)) connections is in exactly one LB node's connection table" held_once
n1=$(for t in $TAGS; do on_node 0 lb1 "$t"; done | wc -l)
n2=$(for t in $TAGS; do on_node 0 lb2 "$t"; done | wc -l)
echo "connections through lb1: $n1, through lb2: $n2"
check "the router spreads the connections over both LB nodes" eval "[ $n1 -gt 0 ] && [ $n2 -gt 0 ]"
A=lb1 B=lb2
[ "$n1" -gt 0 ] || { A=lb2 B=lb1; }

# --- A's speaker stops, then comes back: twice ---------------------------------------
moved() { # every flow A held is now in B's table
	local tag
	ct "$B" "$1"
	for tag in $TAGS; do
		[ -z "$(comm -23 <(on_node 0 "$A" "$tag") <(on_node "$1" "$B" "$tag"))" ] || return 1
	done
}
for how in TERM KILL LINK; do
	t0=$(date +%s%N)
	if [ $how = LINK ]; then
		echo "[----------] $A's link down"
		lab_link_down "$A"
	else
		echo "[----------] $A's BIRD stopped with SIG$how"
		pid=$(cat "$LAB_DIR/$A/bird.started")
		kill -"$how" "$pid"
	fi
	check "$how: the router's route to every VIP drops $A within 5 s" \
		lab_wait_routes 5 "$B"
	echo "    route moved in $((($(date +%s%N) - t0) / 1000000)) ms: $(lab_route "$VIP6")"
	[ $how = LINK ] || while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
	sleep 0.1 # packets already past the router
	f0=$(lab_forwarded "$A")
	check "$how: traffic goes on through $B alone (5 rounds)" wait_rounds 5
	check "$how: $A forwards nothing while it is not a next hop" \
		[ "$(lab_forwarded "$A")" -eq "$f0" ]
	check "$how: every flow $A carried is now in $B's connection table" moved "$how"
	f0=$(lab_forwarded "$A")
	if [ $how = LINK ]; then lab_link_up "$A"; else lab_bird_start "$A"; fi
	check "$how: $A back, every VIP routed through both nodes again" \
		lab_wait_routes 10 "lb1 lb2"
	check "$how: traffic goes on (5 rounds)" wait_rounds 5
	check "$how: $A forwards its flows again" [ "$(lab_forwarded "$A")" -gt "$f0" ]
done

# --- the verdict of the connections themselves ------------------------------------------
touch "$LAB_DIR/hold.stop"
rc=0
for pid in "${HOLD_PIDS[@]}"; do wait "$pid" || rc=1; done
for tag in $TAGS; do
	echo "$tag: $(grep -c '^r ' "$LAB_DIR/hold.$tag") answers in $(grep -c '^done ' \
		"$LAB_DIR/hold.$tag") rounds, $(grep -c FAIL "$LAB_DIR/hold.$tag" || true) failures"
done
check "the clients ended cleanly" eval "[ $rc -eq 0 ] && [ ! -s $LAB_DIR/hold.err ]"
for tag in $TAGS; do
	check "$tag: no held connection was reset or timed out" \
		eval "! grep -q FAIL $LAB_DIR/hold.$tag"
	# shellcheck disable=SC2016 # awk's fields
	check "$tag: each connection answered in every round, always by the same backend" \
		awk -v k=$K '$1 == "r" { n[$3]++; if ($3 in b && b[$3] != $4) bad = 1; b[$3] = $4 }
			$1 == "done" { r++ }
			END { if (length(n) != k) bad = 1
				for (s in n) if (n[s] != r) bad = 1
				exit !(r > 0 && !bad) }' "$LAB_DIR/hold.$tag"
done
