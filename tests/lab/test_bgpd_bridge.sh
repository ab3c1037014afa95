#!/usr/bin/env bash
# tests/lab/test_bgpd_bridge.sh - bgpd-bridge between a real lbd and a real
# BGP speaker, seen from a real BGP peer.
#
#   lb (namespace)                                  rt (namespace)
#   lbd: SQLite file, XDP attached natively on eth0 ─── veth ─── BIRD, AS 65000
#   bgpd-bridge -> BIRD (or FRR's bgpd), AS 65001       (the router: the
#                                                        assertions read its RIB)
#
# With BIRD as the node's speaker: a VIP with a usable backend is announced
# and in the router's RIB, one without is not; all its backends put in
# maintenance by one UPDATE -> withdrawn at the router within 1 s, back ->
# announced within 1 s; a burst of changes to ten VIPs -> a few BIRD
# reconfigurations, not ten; a broken bird.conf -> the error is logged,
# BIRD keeps announcing the old set, and the change goes through once the
# file is fixed; SIGTERM -> withdrawn; --keep-routes -> kept; lbd killed
# -> kept while the program is attached, a change made meanwhile taken
# from lbd's snapshot once it is back; `lbd detach` -> withdrawn.  With
# FRR's bgpd as the speaker: announced, withdrawn within 1 s and back, a
# restarted bgpd brought back to the set, SIGTERM -> withdrawn.
#
# Needs root, BPF, bird2 and frr; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_bgpd_bridge.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh
BGPD_LAB_NAME=test_bgpd_bridge
# shellcheck source=tests/lab/bgpd_lab.sh
source tests/lab/bgpd_lab.sh

# checks.sh's frame: on any exit the namespaces go and the totals print;
# when a check failed, the tails of every daemon's log first.
lab_down() { bgpd_lab_down; }
LAB_TEST_LOGS="$DIR/*.log"
lab_test_frame test_bgpd_bridge

# SIGTERM to bgpd-bridge: it must exit with status 0.
stop_bridge_ok() {
	local rc=0
	stop_bridge || rc=$?
	check "bgpd-bridge exited with status 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
}

# ======================================================================================
require
topology
lbd_up
check "lbd attached the XDP program natively on the LB node's veth" \
	grep -q "attached to eth0 (native)" "$DIR/lbd.log"

router_conf >"$DIR/rt.conf"
lb_bird_conf >"$DIR/lb.conf"
start_bird "$NS_RT" rt
start_bird "$NS_LB" lb
bird_bridge bridge.log

# --- announced -----------------------------------------------------------------------------
t=$(wait_rt 1 "$VIP4/32" 15000)
check "IPv4 VIP with usable backends announced, in the router's RIB via the LB node ($t ms)" \
	within "$t" 15000
t=$(wait_rt 1 "$VIP6/128" 15000)
check "IPv6 VIP announced as a /128, in the router's RIB ($t ms)" within "$t" 15000
check "VIP whose only backend is in maintenance is not announced" eval "! rt_has $VIP_DOWN/32"
check "the include file holds one blackhole route per ready IPv4 VIP" \
	eval "[ \$(grep -c '^route .*/32 blackhole;$' $INC/vips4.conf) -eq 11 ]"
check "the include files are group-readable and nothing else" \
	eval "[ \$(stat -c %a $INC/vips4.conf $INC/vips6.conf | sort -u) = 640 ]"

# --- all backends down -> withdrawn within 1 s, back -> announced -----------------
set_backends "$VIP4" maint
t=$(wait_rt 0 "$VIP4/32" 3000)
check "all backends in maintenance: withdrawn at the router within 1 s ($t ms)" within "$t" 1000
check "the other VIPs stay announced" rt_has "$VIP6/128"
set_backends "$VIP4" active
t=$(wait_rt 1 "$VIP4/32" 3000)
check "a backend back: announced again within 1 s ($t ms)" within "$t" 1000

# --- a burst: ten VIPs, ten transactions, a few reconfigurations -------------------
before=$(configures)
for v in $BURST_VIPS; do echo "UPDATE backend SET state = 'maint' WHERE vip = '$v';"; done | sql
last=${BURST_VIPS##*$'\n'}
t=$(wait_rt 0 "$last/32" 3000)
sleep 0.3
n=$(($(configures) - before))
check "a burst of 10 VIPs withdrawn ($t ms) in $n BIRD reconfigurations (at most 3)" \
	eval "within $t 1000 && [ $n -ge 1 ] && [ $n -le 3 ] && ! rt_has ${BURST_VIPS%%$'\n'*}/32"
for v in $BURST_VIPS; do echo "UPDATE backend SET state = 'active' WHERE vip = '$v';"; done | sql
t=$(wait_rt 1 "$last/32" 3000)
check "the burst's VIPs back ($t ms)" within "$t" 1000

# --- a broken bird.conf: BIRD keeps the old set, the change goes through once fixed ---
echo "this is not bird configuration;" >>"$DIR/lb.conf"
set_backends "$VIP4" maint
sleep 1
check "BIRD's configuration error is logged with BIRD's words" \
	grep -q "BIRD rejected the configuration and keeps the previous one: .*lb.conf" "$DIR/bridge.log"
check "BIRD keeps announcing the old set" rt_has "$VIP4/32"
lb_bird_conf >"$DIR/lb.conf"
t=$(wait_rt 0 "$VIP4/32" 5000)
check "configuration fixed: the withdrawal goes through on the next try ($t ms)" within "$t" 5000
set_backends "$VIP4" active
t=$(wait_rt 1 "$VIP4/32" 3000)
check "and the VIP is back ($t ms)" within "$t" 1000

# --- SIGTERM withdraws; --keep-routes keeps -------------------------------------------
stop_bridge_ok
t=$(wait_rt 0 "$VIP4/32" 3000)
check "SIGTERM: withdrawn at the router ($t ms)" within "$t" 2000
check "SIGTERM: the IPv6 VIP too" eval "! rt_has $VIP6/128"
# This run under a stand-in for systemd's notify socket, with a watchdog.
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")' "$DIR/notify.sock" "$DIR/notify.txt" &
PIDS+=("$!")
for ((i = 0; i < 50; i++)); do [ -S "$DIR/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$DIR/notify.sock WATCHDOG_USEC=400000 bird_bridge bridge.log --keep-routes
t=$(wait_rt 1 "$VIP4/32" 5000)
check "started again: announced ($t ms)" within "$t" 5000
sleep 0.5
stop_bridge_ok
check "SIGTERM with --keep-routes: still announced 2 s later" stays 1 "$VIP4/32" 2000
check "systemd told READY=1, STATUS with the VIPs announced, STOPPING=1" eval \
	"grep -qx READY=1 $DIR/notify.txt && grep -q '^STATUS=announcing 12 VIPs through BIRD' $DIR/notify.txt && grep -qx STOPPING=1 $DIR/notify.txt"
check "systemd's watchdog pinged every 200 ms (half of WATCHDOG_USEC)" \
	eval "[ \$(grep -cx WATCHDOG=1 $DIR/notify.txt) -ge 3 ]"

# --- lbd gone: kept while attached; detached: withdrawn ------------------------------
bird_bridge bridge.log
sleep 1.5
kill -9 "$LBD_PID"
check "lbd killed: still announced 3 s later (the program is attached)" stays 1 "$VIP4/32" 3000
check "bgpd-bridge noticed lbd is gone" grep -q "lbd does not answer\|lbd is not there" "$DIR/bridge.log"
# Readiness changes while lbd is away; lbd back: its snapshot says so.
set_backends "$VIP4" maint
check "the database changed while lbd is away: nothing moves" stays 1 "$VIP4/32" 1000
start_lbd lbd-again.log
t=$(wait_rt 0 "$VIP4/32" 5000)
check "lbd started again: the bridge takes its state, withdrawn ($t ms)" within "$t" 5000
set_backends "$VIP4" active
t=$(wait_rt 1 "$VIP4/32" 3000)
check "and follows it again: announced within 1 s ($t ms)" within "$t" 1000
kill -9 "$LBD_PID"
nsx "$NS_LB" "$LBD" detach --db "$DB" --pin-dir "$PIN" >>"$DIR/lbd.log" 2>&1
t=$(wait_rt 0 "$VIP4/32" 3000)
check "lbd detach: withdrawn at the router within 1 s ($t ms)" within "$t" 1000
check "lbd detach: the IPv6 VIP too" eval "! rt_has $VIP6/128"
stop_bridge_ok

# ======================================================================================
# FRR's bgpd as the LB node's speaker.
kill "$(cat "$DIR/lb.pid")"
start_lbd lbd2.log
grep -q "attached to eth0 (native)" "$DIR/lbd2.log" || bad "lbd attached again"
mkdir -p "$DIR/frr"
frr_conf >"$DIR/frr/bgpd.conf"
start_frr
frr_bridge bridge-frr.log
t=$(wait_rt 1 "$VIP4/32" 20000)
check "FRR: IPv4 VIP announced, in the router's RIB ($t ms)" within "$t" 20000
t=$(wait_rt 1 "$VIP6/128" 20000)
check "FRR: IPv6 VIP announced ($t ms)" within "$t" 20000
check "FRR: VIP without a usable backend not announced" eval "! rt_has $VIP_DOWN/32"
check "FRR: our networks carry the route-map tag" \
	eval "vtysh_lb 'show running-config' | grep -q 'network $VIP4/32 route-map XLB-VIP'"
set_backends "$VIP4" maint
t=$(wait_rt 0 "$VIP4/32" 3000)
check "FRR: all backends in maintenance: withdrawn within 1 s ($t ms)" within "$t" 1000
set_backends "$VIP4" active
t=$(wait_rt 1 "$VIP4/32" 5000)
check "FRR: a backend back: announced again ($t ms)" within "$t" 3000
kill -9 "$FRR_PID"
wait "$FRR_PID" 2>/dev/null || true
rm -f "$DIR/frr/bgpd.vty"
t=$(wait_rt 0 "$VIP4/32" 5000)
check "FRR: bgpd killed: the router lost the VIP ($t ms)" within "$t" 5000
start_frr
t=$(wait_rt 1 "$VIP4/32" 20000)
check "FRR: bgpd restarted without our networks: brought back to the set ($t ms)" \
	within "$t" 20000
# An operator's own network is not ours: it survives every diff.
vtysh_lb $'configure terminal\nrouter bgp 65001\naddress-family ipv4 unicast\nnetwork 198.51.100.64/26' >/dev/null
sleep 2.5
check "FRR: a network of the operator's is left alone" \
	eval "vtysh_lb 'show running-config' | grep -qx '  network 198.51.100.64/26'"
# One of ours removed by hand: the next resync (every second here) puts it back.
vtysh_lb $'configure terminal\nrouter bgp 65001\naddress-family ipv4 unicast\nno network '"$VIP4"'/32 route-map XLB-VIP' >/dev/null
t=$(wait_rt 0 "$VIP4/32" 3000)
check "FRR: our network removed by hand: gone from the router ($t ms)" within "$t" 3000
t=$(wait_rt 1 "$VIP4/32" 5000)
check "FRR: and put back by the next resync ($t ms)" within "$t" 3000
stop_bridge_ok
t=$(wait_rt 0 "$VIP4/32" 3000)
check "FRR: SIGTERM: withdrawn at the router ($t ms)" within "$t" 2000
check "FRR: SIGTERM: only the operator's network is left" \
	eval "[ \"\$(vtysh_lb 'show running-config' | grep -c '^  network ')\" = 1 ]"
