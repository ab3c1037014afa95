#!/usr/bin/env bash
# tests/lab/test_hcd_lab.sh - hcd checking the lab's backends and lbd
# acting on what it says.
#
# The lab's client, router, three backends and lb1 run by lbd from its
# state file; hcd on lb1 checks every backend over HTTP on its own address
# (lab_config_sql, LAB_HC_*: every 200 ms, timeout 150 ms, rise 2, fall 2).  Then
# backend 2's server process is killed: hcd says so within interval x
# fall + timeout, lbd records it and takes b2 out of the Maglev tables (its
# map entries leave the active state, lbd --check finds the maps equal to
# the database), and HTTP and UDP to every VIP go on, answered by b1 and
# b3 only.  The server started again comes back after `rise` successes,
# and traffic reaches it again.  hcd stops cleanly on SIGTERM.
#
# Needs root and BPF; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_hcd_lab.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh
# shellcheck source=tools/lab/hcd.sh
source tools/lab/hcd.sh
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh

# lab_config_sql's lab-http timings
INTERVAL=$LAB_HC_INTERVAL TIMEOUT=$LAB_HC_TIMEOUT RISE=$LAB_HC_RISE FALL=$LAB_HC_FALL
N=30 # requests per VIP: b2 missed by chance when up: (2/3)^30, 5e-6

[ -x "$HCD" ] || lab_die "$HCD missing (make)"
[ -x "$LBD" ] || lab_die "$LBD missing (make)"
command -v sqlite3 >/dev/null || lab_die "sqlite3 not found (run tools/install-deps)"
lab_names "h$$"
LAB_TEST_LOGS="$LAB_DIR/lb1/hcd.log $LAB_DIR/lb1/lbd.log"
lab_test_frame test_hcd_lab
lab_base_up
lab_lbd_up lb1
lab_hcd_start lb1
check "hcd reports every backend up and lbd records it" lab_wait_health lb1 5

# --- traffic -----------------------------------------------------------------------------
exchange() { # name proto vip port sport
	lab_client "$2" "$3" "$4" "$N" --sport "$5" >"$LAB_DIR/out.$1" || true
	cat "$LAB_DIR/out.$1"
}
all_ok() { grep -Eq " ok=([0-9]+)/\1( |$)" "$LAB_DIR/out.$1"; }
answered_by() { grep -o "b[0-9]*=[0-9]*" "$LAB_DIR/out.$1" | cut -d= -f1; }
ok_without() { all_ok "$1" && ! answered_by "$1" | grep -qx "$2"; }
ok_with() { all_ok "$1" && answered_by "$1" | grep -qx "$2"; }
traffic() { # round: every VIP, HTTP and UDP, from its own source ports
	local i=0 name proto vip port
	while read -r name proto vip port; do
		exchange "$name.$1" "$proto" "$vip" "$port" $((20000 + 1000 * $2 + 100 * i))
		i=$((i + 1))
	done <<EOT
tcp4 tcp $VIP4 $HTTP_PORT
udp4 udp $VIP4 $UDP_PORT
tcp6 tcp $VIP6 $HTTP_PORT
udp6 udp $VIP6 $UDP_PORT
tcp46 tcp $VIP46 $HTTP_PORT
udp46 udp $VIP46 $UDP_PORT
EOT
}
every() { # round how backend
	local name
	for name in tcp4 udp4 tcp6 udp6 tcp46 udp46; do "$2" "$name.$1" "$3" || return 1; done
}

traffic before 0
check "before: every VIP answered by every backend, b2 included" every before ok_with b2

# --- b2's server killed ---------------------------------------------------------------------
b2_4=$(be4 2) b2_6=$(be6 2)
from=$(hcd_lab_log_lines lb1)
killed=$(hcd_lab_now_ms)
hcd_lab_kill_server 2
down4=$(hcd_lab_wait_said lb1 "$from" "$b2_4" lab-http down 5) || down4=
down6=$(hcd_lab_wait_said lb1 "$from" "$b2_6" lab-http down 5) || down6=
bound=$((INTERVAL * FALL + TIMEOUT))
echo "b2 killed: hcd said down after $((${down4:-0} - killed)) ms (IPv4), $((${down6:-0} - killed)) ms (IPv6); bound $bound ms"
check "hcd reports b2 (IPv4) down within interval x fall + timeout" \
	test -n "$down4" -a "$((${down4:-0} - killed))" -le "$bound"
check "hcd reports b2 (IPv6) down within interval x fall + timeout" \
	test -n "$down6" -a "$((${down6:-0} - killed))" -le "$bound"
check "the reason is: refused" grep -q " $b2_4 0 lab-http: down (refused" "$LAB_DIR/lb1/hcd.log"
check "lbd records b2 down for all its checks" eval "
	hcd_lab_wait_recorded lb1 $b2_4 lab-http down 3 &&
	hcd_lab_wait_recorded lb1 $b2_6 lab-http down 3 &&
	hcd_lab_wait_recorded lb1 $b2_6 lab-http46 down 3"
b2_entries() { xlbctl backends | awk -v a4="$b2_4" -v a6="$b2_6" '$3 == a4 || $3 == a6 { print $5 }'; }
b2_out() { [ -n "$(b2_entries)" ] && ! b2_entries | grep -qx active; }
b2_in() { b2_entries | grep -qx active && ! b2_entries | grep -vqx active; }
check "b2's map entries leave the active state (out of the Maglev tables)" b2_out
check "lbd --check finds the maps equal to the database" \
	nsx "$(nsname lb1)" "$LBD" --db "$(lab_db lb1)" --pin-dir "$(lab_pin lb1)" --check
traffic without 1
check "without b2: every VIP still answers every request, never from b2" every without ok_without b2

# --- b2's server back ---------------------------------------------------------------------------
from=$(hcd_lab_log_lines lb1)
started=$(hcd_lab_now_ms)
hcd_lab_start_server 2
up4=$(hcd_lab_wait_said lb1 "$from" "$b2_4" lab-http up 5) || up4=
echo "b2 restarted: hcd said up after $((${up4:-0} - started)) ms (rise $RISE, interval $INTERVAL ms)"
check "hcd reports b2 up again" test -n "$up4"
# Up needs rise successes in a row: at least (rise - 1) intervals after
# the first, at most rise intervals (+ timeout) after the start.
check "it took rise successes, not one" \
	test "$((${up4:-0} - started))" -ge "$((INTERVAL * (RISE - 1) - 20))"
check "lbd records b2 up for all its checks" eval "
	hcd_lab_wait_recorded lb1 $b2_4 lab-http up 3 &&
	hcd_lab_wait_recorded lb1 $b2_6 lab-http up 3 &&
	hcd_lab_wait_recorded lb1 $b2_6 lab-http46 up 3"
check "b2's map entries are active again" b2_in
traffic after 2
check "after: every VIP answered by every backend, b2 included" every after ok_with b2

# --- stop ----------------------------------------------------------------------------------------
check "hcd stops on SIGTERM with status 0" hcd_lab_stop lb1
check "and prints its statistics line" grep -q "^hcd stats: checks=9 " "$LAB_DIR/lb1/hcd.log"
