#!/usr/bin/env bash
# tests/lab/test_lab_health.sh - health checks, readiness and restarts in
# the whole lab, under load.
#
# The two-node lab (tools/lab/lib.sh, lab_full_up): lb1 and lb2 each run
# lbd, hcd (HTTP checks every 200 ms, down after 3 failures), bgpd-bridge
# and BIRD; the router's BIRD installs ECMP routes through both.  Asserts:
# - a backend's server killed under steady load (held HTTP/1.1
#   connections, a fresh connection and a UDP exchange every ~50 ms): both
#   nodes' hcd report it, both lbd take it out of the Maglev tables, the
#   router still routes the VIP through both nodes, connections held by
#   other backends go on untouched, and every new connection once the
#   tables switched is answered, never by the dead backend; its server back,
#   it is checked up and gets new flows again;
# - every backend of one VIP failing its check: the router loses the route
#   to that VIP within 1 s of the later node's detection, while the other
#   VIPs keep theirs; the checks passing again: announced again within 1 s;
# - lbd, hcd and bgpd-bridge each killed with SIGKILL, on each node in
#   turn, and started again, under load: not one request fails, every held
#   connection and the UDP flow stay on their backend, and the router keeps
#   both nodes as next hops throughout.
#
# Needs root, BPF and BIRD 2; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_lab_health.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh

K=12 # held connections: all on one backend by chance: 3^-11
LAB_LBS="lb1 lb2"
# Checks that allow a busy machine a late answer: a backend flapping down
# would move held flows (they are rescheduled), which this test counts.
LAB_HC_TIMEOUT=200 LAB_HC_FALL=3
lab_names "h$$"
LAB_TEST_LOGS="$LAB_DIR/load.* $LAB_DIR/*/*.log"
lab_test_frame test_lab_health
lab_full_up
echo "[==========] lab $LAB_ID up"

ms() { echo $(($(date +%s%N) / 1000000)); }
iso_ms() { date -d "$1" +%s%3N; } # lbd's timestamps (UTC, ms)
sql_nodes() { local n; for n in $LAB_LBS; do lab_sql_on "$n" "$1"; done; }

# --- load ----------------------------------------------------------------------------
LOADS=()
load_start() { # name vip sport fresh-base udp-sport
	: >"$LAB_DIR/load.$1"
	rm -f "$LAB_DIR/load.$1.stop"
	nsx "$(nsname cl)" python3 "$LAB_TOOLS/hold.py" "$2" "$HTTP_PORT" --sport "$3" \
		--count $K --fresh "$4" --udp "$UDP_PORT:$5" --out "$LAB_DIR/load.$1" \
		--stop "$LAB_DIR/load.$1.stop" --seconds 120 2>>"$LAB_DIR/load.err" &
	LOADS+=("$1:$!")
	echo $! >>"$LAB_DIR/pids"
}
load_stop() { # name: stops it; status of the client
	local l rc=0
	touch "$LAB_DIR/load.$1.stop"
	for l in "${LOADS[@]}"; do [ "${l%%:*}" != "$1" ] || wait "${l#*:}" || rc=$?; done
	return $rc
}
rounds() { grep -c '^done ' "$LAB_DIR/load.$1" || true; }
wait_rounds() { # name N: N more rounds than now, at most 10 s
	local want=$(($(rounds "$1") + $2)) t
	for ((t = 0; t < 200; t++)); do
		[ "$(rounds "$1")" -ge "$want" ] && return 0
		sleep 0.05
	done
	return 1
}
# The backend that first answered each held connection: "SPORT BACKEND".
held_backends() { awk '$1 == "r" && !($3 in b) { b[$3] = $4; print $3, $4 }' "$LAB_DIR/load.$1"; }
# Held connections never failed, answered every round by one backend.
held_steady() { # name [sports to leave out]
	awk -v skip=" ${2:-} " '$1 == "FAIL" && index(skip, " " $3 " ") == 0 &&
			$4 != "fresh:" && $4 != "udp:" { bad = 1 }
		$1 == "r" && index(skip, " " $3 " ") == 0 {
			if ($3 in b && b[$3] != $4) bad = 1; b[$3] = $4; n[$3]++ }
		$1 == "done" { r++ }
		END { for (s in n) if (n[s] != r) bad = 1; exit !(r > 0 && length(n) > 0 && !bad) }' \
		"$LAB_DIR/load.$1"
}

# --- 1: one backend's server dies under load --------------------------------------------
echo "[----------] a backend's server killed under load"
load_start a "$VIP4" 31000 40000 30999
check "load on $VIP4 runs (3 rounds)" wait_rounds a 3
held_backends a >"$LAB_DIR/held.a"
victim=$(awk '{ print $2 }' "$LAB_DIR/held.a" | sort | uniq -c | sort -n | awk 'NR == 1 { print $2 }')
vn=${victim#b}
echo "    held connections per backend: $(awk '{ print $2 }' "$LAB_DIR/held.a" | sort | uniq -c | paste -sd' ');" \
	"killing $victim's server"
check "the held connections are on at least 2 backends" \
	eval "[ \$(awk '{ print \$2 }' $LAB_DIR/held.a | sort -u | wc -l) -ge 2 ]"
victim_sports=$(awk -v v="$victim" '$2 == v { print $1 }' "$LAB_DIR/held.a" | paste -sd' ')
t_kill=$(ms)
kill -KILL "$(cat "$LAB_DIR/$victim.pid")"
down_on_all() { # address check: every node's lbd recorded it down
	[ "$(sql_nodes "SELECT count(*) FROM backend_health WHERE address = '$1'
		AND health_check = '$2' AND status = 'down'" | awk '{ s += $1 } END { print s + 0 }')" -eq 2 ]
}
not_in_tables() { # address: no Maglev slot on any node
	local n
	for n in $LAB_LBS; do
		[ "$(nsx "$(nsname "$n")" "$LBSH" --db "$(lab_db "$n")" --pin-dir "$(lab_pin "$n")" \
			-list -noheader -c "SELECT count(*) FROM live_maglev WHERE address = '$1'")" = 0 ] ||
			return 1
	done
}
switched() { down_on_all "$(be4 "$vn")" lab-http && not_in_tables "$(be4 "$vn")"; }
wait_for() { # seconds cmd...: polled every 20 ms
	local secs=$1 t; shift
	for ((t = 0; t < secs * 50; t++)); do "$@" && return 0; sleep 0.02; done
	return 1
}
check "both nodes' hcd report $victim down and both lbd drop it from the Maglev tables (5 s)" \
	wait_for 5 switched
t_switch=$(ms)
echo "    $victim down in the tables of both nodes $((t_switch - t_kill)) ms after its server died"
switch_round=$(rounds a)
check "the router still routes $VIP4 through both nodes" \
	eval "[ \"\$(lab_route_via $VIP4)\" = 'lb1 lb2' ]"
check "load goes on (11 rounds after the switch)" wait_rounds a 11
load_stop a || true
check "connections held by the other backends: no failure, one backend each, every round" \
	held_steady a "$victim_sports"
# shellcheck disable=SC2016 # awk's fields
# Round ROUND may have begun before the switch: from the next one on.
fresh_avoid() { # load round victim: new connections after ROUND all answered, not by VICTIM
	awk -v r0="$2" -v v="$3" '
		($1 == "n" || ($1 == "FAIL" && $4 == "fresh:")) && $2 > r0 {
			n++; if ($1 == "FAIL" || $4 == v) { bad = 1; print "    " $0 > "/dev/stderr" } }
		END { exit !(n >= 10 && !bad) }' "$LAB_DIR/load.$1"
}
check "every new connection after the switch answered, none by $victim" \
	fresh_avoid a "$switch_round" "$victim"
echo "    fresh connections that failed between the kill and the switch:" \
	"$(awk -v r0="$switch_round" '$1 == "FAIL" && $4 == "fresh:" && $2 <= r0' "$LAB_DIR/load.a" | wc -l)"

lab_backend_start "$victim"
lab_backend_wait "$victim"
check "$victim's server back: both nodes' lbd record it up (5 s)" \
	eval "lab_wait_health lb1 5 && lab_wait_health lb2 5"
lab_client tcp "$VIP4" "$HTTP_PORT" 30 --sport 45000 >"$LAB_DIR/out.back" || true
check "$victim answers new flows again" grep -q " ok=30/30 .*$victim=" "$LAB_DIR/out.back"

# --- 2: every backend of one VIP fails its check ----------------------------------------------
echo "[----------] every backend of $VIP46 fails its check"
max_since() { # check status: the latest change to STATUS among rows of CHECK, on any node, in ms
	local n t best=0
	for n in $LAB_LBS; do
		while read -r t; do
			t=$(iso_ms "$t")
			[ "$t" -le "$best" ] || best=$t
		done < <(lab_sql_on "$n" "SELECT since FROM backend_health WHERE health_check = '$1'
			AND status = '$2'")
	done
	echo "$best"
}
all46() { # status: every backend's vip46 check in that status on every node
	[ "$(sql_nodes "SELECT count(*) FROM backend_health WHERE health_check = 'lab-http46'
		AND status = '$1'" | awk '{ s += $1 } END { print s + 0 }')" -eq $((2 * LAB_NBACKENDS)) ]
}
for b in $(lab_backends); do touch "$LAB_DIR/$b.down.vip46"; done
check "both nodes see every backend of $VIP46 down (5 s)" wait_for 5 all46 down
check "the router withdraws $VIP46 (5 s)" wait_for 5 lab_wait_routes 0 "" "$VIP46"
t_gone=$(ms)
t_det=$(max_since lab-http46 down)
echo "    route withdrawn $((t_gone - t_det)) ms after the later detection"
check "withdrawn within 1 s of detection" [ $((t_gone - t_det)) -le 1000 ]
check "both nodes' lbd say $VIP46 is not ready" \
	eval "[ \"\$(sql_nodes \"SELECT ready FROM vip_state WHERE vip = '$VIP46'\" | paste -sd' ')\" = '0 0' ]"
check "$VIP4 and $VIP6 still routed through both nodes" \
	eval "[ \"\$(lab_route_via $VIP4)\" = 'lb1 lb2' ] && [ \"\$(lab_route_via $VIP6)\" = 'lb1 lb2' ]"
for b in $(lab_backends); do rm -f "$LAB_DIR/$b.down.vip46"; done
check "both nodes see them up again (5 s)" wait_for 5 all46 up
check "the router routes $VIP46 through both nodes again (5 s)" \
	wait_for 5 lab_wait_routes 0 "lb1 lb2" "$VIP46"
t_back=$(ms)
t_det=$(max_since lab-http46 up)
echo "    route back $((t_back - t_det)) ms after the later detection"
check "announced again within 1 s of detection" [ $((t_back - t_det)) -le 1000 ]
lab_client tcp "$VIP46" "$HTTP_PORT" 12 --sport 46000 >"$LAB_DIR/out.46" || true
check "$VIP46 answers again" grep -q " ok=12/12 " "$LAB_DIR/out.46"

# --- 3: kill -9 of each daemon under load ---------------------------------------------------
echo "[----------] lbd, hcd and bgpd-bridge killed with SIGKILL under load"
load_start k4 "$VIP4" 32000 50000 32999
load_start k6 "$VIP6" 33000 52000 33999
check "load on $VIP4 and $VIP6 runs (3 rounds)" eval "wait_rounds k4 3 && wait_rounds k6 3"
restart() { # node daemon
	case $2 in
	lbd) lab_lbd_start "$1" ;;
	hcd) lab_hcd_start "$1" ;;
	bgpd-bridge) lab_bridge_start "$1" ;;
	esac
}
pidfile() { case $2 in lbd) echo "$LAB_DIR/$1/lbd.pid" ;; hcd) echo "$LAB_DIR/$1/hcd.pid" ;;
	bgpd-bridge) echo "$LAB_DIR/$1/bridge.pid" ;; esac; }
both_routed() { lab_wait_routes 0 "lb1 lb2"; }
for node in $LAB_LBS; do
	for d in lbd hcd bgpd-bridge; do
		echo "    $node $d killed after rounds $(rounds k4) (k4), $(rounds k6) (k6)"
		pid=$(cat "$(pidfile "$node" $d)")
		kill -KILL "$pid"
		{ wait "$pid"; } 2>/dev/null || true # ours: reaped; lbd: not our child
		while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
		check "$node: $d killed with SIGKILL, load goes on (5 rounds), both nodes still routed" \
			eval "wait_rounds k4 5 && wait_rounds k6 5 && both_routed"
		restart "$node" $d
		check "$node: $d started again, load goes on (5 rounds), both nodes still routed" \
			eval "wait_rounds k4 5 && wait_rounds k6 5 && both_routed"
	done
done
rc=0
load_stop k4 || rc=1
load_stop k6 || rc=1
for l in k4 k6; do
	echo "    $l: $(grep -c '^done ' "$LAB_DIR/load.$l") rounds, $(grep -Ec '^[rnu] ' "$LAB_DIR/load.$l")" \
		"answers, $(grep -c FAIL "$LAB_DIR/load.$l" || true) failures"
done
no_fail() { # files...: no FAIL line (those there are shown, with their rounds)
	! grep -H FAIL "$@" | sed 's/^/    /' | grep . >&2
}
check "not one request failed through the kills and restarts" \
	eval "[ $rc -eq 0 ] && no_fail $LAB_DIR/load.k4 $LAB_DIR/load.k6"
check "held connections: one backend each, answered every round" eval "held_steady k4 && held_steady k6"
# shellcheck disable=SC2016 # awk's fields
check "the UDP flows: one backend each, every round" eval \
	"awk '\$1 == \"u\" { if (\$3 in b && b[\$3] != \$4) bad = 1; b[\$3] = \$4; n++ }
		END { exit !(n > 0 && !bad) }' $LAB_DIR/load.k4 $LAB_DIR/load.k6"
check "every backend still up on both nodes after the restarts" eval "lab_wait_health lb1 2 && lab_wait_health lb2 2"
