#!/usr/bin/env bash
# tests/lab/test_lbd_lab.sh - lbd driving the lab (tools/lab/) from SQLite.
#
# The lab's client, router and backends, but lb1's datapath configured by
# lbd alone: the node, services and backends are rows written with the
# sqlite3 shell; lbd (in lb1's namespace, attached in native mode) puts
# them in the maps.  Asserts that real HTTP and UDP reach every VIP and
# spread over the backends, that a backend put in maintenance by one UPDATE
# gets no new flows, that one put back gets them again, and that lbd,
# stopped with SIGTERM, leaves the program attached and forwarding.
#
# Needs root and BPF; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_lbd_lab.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh

N=12 # requests per (VIP, protocol): all on one backend by chance: 3^-11
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "[       OK ] $1"; }
bad() { failed=$((failed + 1)); echo "[  FAILED  ] $1"; }
check() { # description, command...
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

exec 3>&1 4>&2
finish() {
	local rc=$?
	exec 1>&3 2>&4
	trap - EXIT
	trap '' INT TERM
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	if [ "$failed" -gt 0 ] && [ -f "${LOG:-}" ]; then
		echo "--- lbd log"; cat "$LOG"
	fi
	lab_down
	echo "[==========] test_lbd_lab: $passed passed, $failed failed"
	exit $((failed > 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

[ -x "$LBD" ] || lab_die "$LBD missing (make)"
command -v sqlite3 >/dev/null || lab_die "sqlite3 not found (run tools/install-deps)"
lab_names "d$$"
lab_base_up
LOG=$LAB_DIR/lbd.log
sql() { lab_sql "$@"; }
lab_lbd_up
check "lbd started, attached in native mode" grep -q "attached to eth0 (native)" "$LOG"

# --- traffic -----------------------------------------------------------------------------
exchange() { # name proto vip port sport [count]
	lab_client "$2" "$3" "$4" "${6:-$N}" --sport "$5" >"$LAB_DIR/out.$1" || true
	cat "$LAB_DIR/out.$1"
}
all_ok() { grep -Eq " ok=([0-9]+)/\1( |$)" "$LAB_DIR/out.$1"; }
answered_by() { grep -o "b[0-9]*=[0-9]*" "$LAB_DIR/out.$1" | cut -d= -f1; }
spread() { [ "$(answered_by "$1" | wc -l)" -ge 2 ]; }
ok_without() { all_ok "$1" && ! answered_by "$1" | grep -qx "$2"; }
ok_with() { all_ok "$1" && answered_by "$1" | grep -qx "$2"; }

i=0
while read -r name proto vip port; do
	exchange "$name" "$proto" "$vip" "$port" $((20000 + 100 * i))
	check "$name: $N of $N answered, spread over the backends" \
		eval "all_ok $name && spread $name"
	i=$((i + 1))
done <<EOF
tcp4 tcp $VIP4 $HTTP_PORT
udp4 udp $VIP4 $UDP_PORT
tcp6 tcp $VIP6 $HTTP_PORT
udp6 udp $VIP6 $UDP_PORT
tcp46 tcp $VIP46 $HTTP_PORT
udp46 udp $VIP46 $UDP_PORT
EOF

# --- one UPDATE takes b1 out of every service --------------------------------------------
sql "UPDATE backend SET state = 'maint' WHERE address IN ('$(be4 1)', '$(be6 1)')"
sleep 0.2 # lbd applies within 100 ms
exchange down4 tcp "$VIP4" "$HTTP_PORT" 21000
exchange down6 udp "$VIP6" "$UDP_PORT" 21100
check "b1 in maintenance: new IPv4 flows answered by b2 and b3 only" ok_without down4 b1
check "b1 in maintenance: new IPv6 flows answered by b2 and b3 only" ok_without down6 b1
check "vip_state: every VIP still ready" \
	eval "[ \"\$(sql 'SELECT count(*) FROM vip_state WHERE ready = 1')\" = 3 ]"

sql "UPDATE backend SET state = 'active' WHERE address IN ('$(be4 1)', '$(be6 1)')"
sleep 0.2
exchange up4 tcp "$VIP4" "$HTTP_PORT" 22000 40 # none on b1 by chance: 1e-7
check "b1 active again: it answers new flows" ok_with up4 b1

# --- lbd stops; the datapath goes on ------------------------------------------------------
kill -TERM "$LBD_PID"
rc=0
wait "$LBD_PID" || rc=$?
check "lbd exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "the program stays attached to lb1's eth0" \
	eval "ip -n $(nsname lb1) link show eth0 | grep -q xdp"
exchange after tcp "$VIP4" "$HTTP_PORT" 23000
check "forwarding goes on without lbd" all_ok after
