#!/usr/bin/env bash
# tests/lab/test_lbd_lab.sh - lbd driving the lab (tools/lab/) from SQLite.
#
# The lab's client, router and backends, but lb1's datapath configured by
# lbd alone: the node, services and backends are rows written with the
# sqlite3 shell; lbd (in lb1's namespace, attached in native mode) puts
# them in the maps.  Asserts that real HTTP and UDP reach every VIP and
# spread over the backends, that a backend put in maintenance by one UPDATE
# gets no new flows, that one put back gets them again, that lbd killed
# with SIGKILL under steady traffic loses no exchange and no flow and,
# started again, writes nothing in its first pass, and that lbd, stopped
# with SIGTERM, leaves the program attached and forwarding.
#
# Needs root and BPF; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_lbd_lab.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh

N=12 # requests per (VIP, protocol): all on one backend by chance: 3^-11
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh

exec 3>&1 4>&2
finish() {
	local rc=$?
	exec 1>&3 2>&4
	trap - EXIT
	trap '' INT TERM
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	if [ "$failed" -gt 0 ]; then
		[ ! -f "${LOG:-}" ] || { echo "--- lbd log"; cat "$LOG"; }
		[ ! -f "${LOG2:-}" ] || { echo "--- restarted lbd's log"; cat "$LOG2"; }
		[ ! -f "${TRAFFIC:-}" ] || { echo "--- traffic failures"; grep FAIL "$TRAFFIC" || true; }
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
LOG=$LAB_DIR/lb1/lbd.log
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

# --- kill -9 under traffic, then a restart ------------------------------------------------
# The client's traffic, in one process until STOP exists: first one held
# TCP connection per VIP (source port 23900 + i), opened and left idle; then
# rounds, each two UDP exchanges with VIP i from the same source ports
# every round (23800 + 10 * i and 23801 + 10 * i: the same flows again) and
# an HTTP GET on a new connection (source port 24000 + 3 * round + i), a line
# per exchange ("x ROUND PROTO VIP SPORT BACKEND", or FAIL and the error)
# and "done ROUND"; at STOP, a GET on every held connection ("held VIP SPORT
# BACKEND"): only the backend that accepted it can answer.
TRAFFIC_PY=$(cat <<'EOF'
import socket, sys, os, time
tools, out, stop, http_port, udp_port = sys.argv[1:6]
vips = sys.argv[6:]
sys.path.insert(0, tools)
from client import http_get, udp_exchange
log = open(out, "a", buffering=1)
held = []
for i, vip in enumerate(vips):
    try:
        s = socket.create_connection((vip, int(http_port)), 2, ("", 23900 + i))
        held.append((vip, 23900 + i, s))
        log.write("held-open %s %d\n" % (vip, 23900 + i))
    except OSError as e:
        log.write("held %s %d FAIL %s\n" % (vip, 23900 + i, e))
r = 0
while not os.path.exists(stop) and r < 2000:
    for i, vip in enumerate(vips):
        for proto, ask, port, sport in (
                ("udp", udp_exchange, udp_port, 23800 + 10 * i),
                ("udp", udp_exchange, udp_port, 23801 + 10 * i),
                ("tcp", http_get, http_port, 24000 + 3 * r + i)):
            try:
                who = ask(vip, int(port), sport, 2.0)
            except Exception as e:
                who = "FAIL %s" % e
            log.write("x %d %s %s %d %s\n" % (r, proto, vip, sport, who))
    log.write("done %d\n" % r)
    r += 1
    time.sleep(0.01)
for vip, sport, s in held:
    try:
        s.settimeout(2.0)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n")[0] + b" ":
            raise OSError("answer %r" % data[:40])
        who = body.decode().strip()
    except Exception as e:
        who = "FAIL %s" % e
    finally:
        s.close()
    log.write("held %s %d %s\n" % (vip, sport, who))
EOF
)
TRAFFIC=$LAB_DIR/traffic
: >"$TRAFFIC"
nsx "$(nsname cl)" python3 -c "$TRAFFIC_PY" "$LAB_TOOLS" "$TRAFFIC" "$LAB_DIR/traffic.stop" \
	"$HTTP_PORT" "$UDP_PORT" "$VIP4" "$VIP6" "$VIP46" 2>"$LAB_DIR/traffic.err" &
TRAFFIC_PID=$!
rounds() { grep -c '^done ' "$TRAFFIC" || true; }
wait_rounds() { # N: true once N rounds are done (polled, at most 5 s)
	local t
	for ((t = 0; t < 100; t++)); do
		[ "$(rounds)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# The backend holding each held connection, from the backends' own sockets.
held_on() { # sport
	local b
	for b in $(lab_backends); do
		if nsx "$(nsname "$b")" ss -Htn state established "( dport = :$1 )" | grep -q .; then
			echo "$b"
		fi
	done
}
held_by() { # "the backend of each held connection, in order"
	local i
	for i in 0 1 2; do
		grep -q "^held-open .* $((23900 + i))\$" "$TRAFFIC" && held_on $((23900 + i)) || echo none
	done | paste -sd' '
}
one_each() { [[ $1 =~ ^b[0-9]\ b[0-9]\ b[0-9]$ ]]; }
check "traffic runs with lbd up (3 rounds)" wait_rounds 3
held_before=$(held_by)
echo "held connections before the kill: $held_before"
check "every held connection is on exactly one backend" one_each "$held_before"

kill -KILL "$LBD_PID"
rc=0
{ wait "$LBD_PID"; } 2>/dev/null || rc=$? # without bash's "Killed" line
sed -i "/^$LBD_PID\$/d" "$LAB_DIR/pids" # gone: nothing to stop at teardown
check "lbd killed with SIGKILL under traffic" [ "$rc" -eq 137 ]
killed_at=$(rounds)
check "traffic goes on without lbd (2 rounds after the kill)" wait_rounds $((killed_at + 3))
check "the program stays attached after kill -9" \
	eval "ip -n $(nsname lb1) link show eth0 | grep -q xdp"
maps_match() { # lbd --check: exit status 0 and "writes 0"
	local out
	out=$(nsx "$(nsname lb1)" "$LBD" --db "$LAB_DB" --pin-dir "$LAB_PIN" --check 2>/dev/null) &&
		[[ $out == *" writes 0 "* ]]
}
check "lbd --check: the pinned maps still match the database" maps_match

# lbd started again the way lab_lbd_up starts it (the maps and state are there).
LOG2=$LAB_DIR/lbd.restart.log
ip netns exec "$(nsname lb1)" "$LBD" --db "$LAB_DB" --pin-dir "$LAB_PIN" \
	--rundir "$(lab_rundir lb1)" >"$LOG2" 2>&1 &
LBD_PID=$!
echo "$LBD_PID" >>"$LAB_DIR/pids"
for ((t = 0; t < 100; t++)); do
	grep -qs following "$LOG2" && break
	sleep 0.05
done
check "lbd restarted, attached in native mode" grep -q "attached to eth0 (native)" "$LOG2"
check "the restart's full pass writes 0 map entries" \
	grep -Eq "full pass at revision [0-9]+: [0-9]+ services, 0 map writes," "$LOG2"
restarted_at=$(rounds)
check "traffic goes on after the restart (2 rounds)" wait_rounds $((restarted_at + 3))
touch "$LAB_DIR/traffic.stop"
rc=0
wait "$TRAFFIC_PID" || rc=$?
echo "traffic: $(rounds) rounds, $(grep -c '^x ' "$TRAFFIC") exchanges and 3 held connections," \
	"$(grep -c FAIL "$TRAFFIC" || true) failed; kill -9 after round $killed_at, restart after round $restarted_at"
held_after=$(awk '$1 == "held" { print $4 }' "$TRAFFIC" | paste -sd' ')
echo "held connections answered by: $held_after"
check "the traffic client ended cleanly" eval "[ $rc -eq 0 ] && [ ! -s $LAB_DIR/traffic.err ]"
check "no exchange failed, before, during or after the kill and restart" \
	eval "! grep -q FAIL $TRAFFIC"
# shellcheck disable=SC2016 # awk's fields
check "every UDP flow answered by one backend in every round" \
	awk '$1 == "x" && $3 == "udp" { k = $4 " " $5; n++
		if (k in b && b[k] != $6) bad = 1; b[k] = $6 }
		END { exit !(n > 0 && !bad) }' "$TRAFFIC"
check "every held TCP connection answered by the backend that held it before the kill" \
	eval "one_each '$held_after' && [ '$held_before' = '$held_after' ]"

# --- lbd stops; the datapath goes on ------------------------------------------------------
kill -TERM "$LBD_PID"
rc=0
wait "$LBD_PID" || rc=$?
sed -i "/^$LBD_PID\$/d" "$LAB_DIR/pids" # gone: nothing to stop at teardown
check "lbd exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "the program stays attached to lb1's eth0" \
	eval "ip -n $(nsname lb1) link show eth0 | grep -q xdp"
exchange after tcp "$VIP4" "$HTTP_PORT" 23000
check "forwarding goes on without lbd" all_ok after
