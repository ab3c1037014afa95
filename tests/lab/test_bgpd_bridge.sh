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
# -> kept while the program is attached; `lbd detach` -> withdrawn.  With
# FRR's bgpd as the speaker: announced, withdrawn within 1 s and back, a
# restarted bgpd brought back to the set, SIGTERM -> withdrawn.
#
# Needs root, BPF, bird2 and frr; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_bgpd_bridge.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh

BUILD=${XLB_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
LBD=$BUILD/lbd
BRIDGE=$BUILD/bgpd-bridge
BGPD=/usr/lib/frr/bgpd

ID=g$$
NS_LB=xlb$ID-lb NS_RT=xlb$ID-rt
DIR=/run/xlb-bgp-$ID # under /run: the pins need a bpffs of their own
PIN=$DIR/bpf RUN=$DIR/run INC=$DIR/bird-include DB=$DIR/xlb.db
LB4=192.0.2.2 RT4=192.0.2.1 LB6=2001:db8:2::2 RT6=2001:db8:2::1
LB_MAC=02:78:6c:02:00:02 RT_MAC=02:78:6c:02:00:01
VIP4=203.0.113.10 VIP6=2001:db8:100::10 VIP_DOWN=203.0.113.30
BURST_VIPS=$(for i in $(seq 40 49); do echo 203.0.113.$i; done)
PIDS=()

die() { echo "test_bgpd_bridge: error: $*" >&2; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- teardown: whatever point setup reached ------------------------------------
teardown() (
	set +e
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ns in "$NS_LB" "$NS_RT"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" # the veth, and the XDP link with it
	done
	if mountpoint -q "$PIN"; then
		find "$PIN" -mindepth 1 -delete 2>/dev/null
		umount "$PIN"
	fi
	rm -rf "$DIR"
)

exec 3>&1 4>&2
finish() {
	local rc=$? f
	exec 1>&3 2>&4
	trap - EXIT
	trap '' INT TERM
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	if [ "$failed" -gt 0 ]; then
		for f in "$DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f"; tail -n 60 "$f"
		done
	fi
	teardown
	echo "[==========] test_bgpd_bridge: $passed passed, $failed failed"
	exit $((failed > 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

require() {
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, BPF)"
	local c
	for c in ip bird birdc sqlite3 vtysh mountpoint; do
		command -v "$c" >/dev/null || die "$c not found (run tools/install-deps)"
	done
	[ -x "$BGPD" ] || die "$BGPD not found (frr; run tools/install-deps)"
	[ -x "$LBD" ] || die "$LBD missing (make)"
	[ -x "$BRIDGE" ] || die "$BRIDGE missing (make)"
	bpftool prog show >/dev/null 2>&1 || die "BPF is not usable here"
	[ ! -e "$DIR" ] || die "$DIR exists"
}

# ---- topology: two namespaces, one veth ------------------------------------------
topology() {
	mkdir -p "$DIR" "$RUN" "$INC" "$PIN"
	ip netns add "$NS_LB"
	ip netns add "$NS_RT"
	for ns in "$NS_LB" "$NS_RT"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0
		ip -n "$ns" link set lo up
	done
	ip link add name eth0 address "$LB_MAC" netns "$NS_LB" type veth \
		peer name lb address "$RT_MAC" netns "$NS_RT"
	ip -n "$NS_LB" addr add "$LB4/28" dev eth0
	ip -n "$NS_LB" -6 addr add "$LB6/64" dev eth0 nodad
	ip -n "$NS_RT" addr add "$RT4/28" dev lb
	ip -n "$NS_RT" -6 addr add "$RT6/64" dev lb nodad
	ip -n "$NS_LB" link set eth0 up
	ip -n "$NS_RT" link set lb up
}

# ---- lbd: a real database, the XDP program attached natively -----------------
sql() { sqlite3 -bail -cmd ".timeout 5000" "$DB" "$@"; }

config_sql() {
	local v
	echo "BEGIN;"
	echo "INSERT INTO node (id, interface, xdp_mode, next_hop_mac, src4, src6,
		mtu, ttl, max_services, max_backends, max_flows) VALUES (1, 'eth0',
		'native', '$RT_MAC', '$LB4', '$LB6', 1500, 64, 64, 256, 4096);"
	for v in "$VIP4 198.51.100.10" "$VIP4 198.51.100.11" "$VIP6 2001:db8:b1::2" \
		"$VIP_DOWN 198.51.100.12"; do
		set -- $v
		echo "INSERT OR IGNORE INTO service (vip, proto, port) VALUES ('$1', 'tcp', 80);"
		echo "INSERT INTO backend (vip, proto, port, address) VALUES ('$1', 'tcp', 80, '$2');"
	done
	echo "UPDATE backend SET state = 'maint' WHERE vip = '$VIP_DOWN';"
	for v in $BURST_VIPS; do
		echo "INSERT INTO service (vip, proto, port) VALUES ('$v', 'udp', 53);"
		echo "INSERT INTO backend (vip, proto, port, address) VALUES ('$v', 'udp', 53, '198.51.100.20');"
	done
	echo "COMMIT;"
}

start_lbd() { # log
	ip netns exec "$NS_LB" "$LBD" --db "$DB" --pin-dir "$PIN" --rundir "$RUN" \
		>>"$DIR/$1" 2>&1 &
	LBD_PID=$!
	PIDS+=("$LBD_PID")
	local t
	for ((t = 0; t < 100; t++)); do
		grep -qs following "$DIR/$1" && return 0
		sleep 0.1
	done
	die "lbd did not start: $(cat "$DIR/$1")"
}

lbd_up() {
	mount -t bpf bpf "$PIN"
	"$LBD" --db "$DB" --check >/dev/null 2>&1 || true # creates the schema
	config_sql | sql
	start_lbd lbd.log
	grep -q "attached to eth0 (native)" "$DIR/lbd.log" ||
		die "lbd did not attach natively: $(cat "$DIR/lbd.log")"
}

# ---- BIRD: the router, and the LB node's speaker ------------------------------
# No graceful restart at the router: a killed speaker's routes go at once
# instead of staying stale for the restart time, so the test sees a
# restarted bgpd announce them again.
router_conf() {
	cat <<EOF
router id $RT4;
protocol device { scan time 1; }
protocol bgp lb4 {
	local $RT4 as 65000; neighbor $LB4 as 65001; graceful restart off;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
protocol bgp lb6 {
	local $RT6 as 65000; neighbor $LB6 as 65001; graceful restart off;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv6 { import all; export none; };
}
EOF
}

# The snippet of bgpd-bridge(8): one static protocol per family includes
# bgpd-bridge's file; the sessions export what those protocols hold.
lb_bird_conf() {
	cat <<EOF
router id $LB4;
protocol device { scan time 1; }
protocol static xlb_vips4 {
	ipv4;
include "$INC/vips4*.conf";
}
protocol static xlb_vips6 {
	ipv6;
include "$INC/vips6*.conf";
}
protocol bgp rt4 {
	local $LB4 as 65001; neighbor $RT4 as 65000;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import none; export where proto = "xlb_vips4"; };
}
protocol bgp rt6 {
	local $LB6 as 65001; neighbor $RT6 as 65000;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv6 { import none; export where proto = "xlb_vips6"; };
}
EOF
}

start_bird() { # namespace name
	ip netns exec "$1" bird -f -c "$DIR/$2.conf" -s "$DIR/$2.ctl" -P "$DIR/$2.pid" \
		>>"$DIR/$2.log" 2>&1 &
	PIDS+=("$!")
	local t
	for ((t = 0; t < 50; t++)); do
		[ -S "$DIR/$2.ctl" ] && return 0
		sleep 0.1
	done
	die "BIRD $2 did not start: $(cat "$DIR/$2.log")"
}

# ---- the router's RIB ------------------------------------------------------------------
rt_has() { # prefix: in the router's RIB, learnt from the LB node
	birdc -s "$DIR/rt.ctl" show route "$1" 2>/dev/null | grep -q "via $LB4 \|via $LB6 "
}

# Waits until the router has (want=1) or has not (want=0) prefix; prints
# the milliseconds it took, or "timeout".
wait_rt() { # want prefix max_ms
	local t0 now
	t0=$(ms)
	while :; do
		if rt_has "$2"; then [ "$1" = 1 ] && break; else [ "$1" = 0 ] && break; fi
		now=$(ms)
		[ $((now - t0)) -lt "$3" ] || { echo timeout; return 0; }
		sleep 0.02
	done
	echo $(($(ms) - t0))
}
within() { [ "$1" != timeout ] && [ "$1" -le "$2" ]; }

# The prefix stays as it is (want) for ms milliseconds.
stays() { # want prefix ms
	local end=$(($(ms) + $3))
	while [ "$(ms)" -lt "$end" ]; do
		if rt_has "$2"; then [ "$1" = 1 ] || return 1; else [ "$1" = 0 ] || return 1; fi
		sleep 0.1
	done
}

# ---- bgpd-bridge -----------------------------------------------------------------
start_bridge() { # log args...
	local log=$1; shift
	ip netns exec "$NS_LB" "$BRIDGE" --rundir "$RUN" --pin-dir "$PIN" -v "$@" \
		>>"$DIR/$log" 2>&1 &
	BRIDGE_PID=$!
	PIDS+=("$BRIDGE_PID")
}

# SIGTERM; then its exit status must be 0 (a sanitizer build's report of
# a leak or an error at exit makes it non-zero).
stop_bridge() {
	local rc=0
	kill -TERM "$BRIDGE_PID"
	wait "$BRIDGE_PID" || rc=$?
	check "bgpd-bridge exited with status 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
}

bird_bridge() { start_bridge "$1" --bird "$DIR/lb.ctl" --include-dir "$INC" "${@:2}"; }
set_backends() { # vip state
	sql "UPDATE backend SET state = '$2' WHERE vip = '$1';"
}
configures() { grep -c "BIRD: 0003" "$DIR/bridge.log" || true; }

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
stop_bridge
t=$(wait_rt 0 "$VIP4/32" 3000)
check "SIGTERM: withdrawn at the router ($t ms)" within "$t" 2000
check "SIGTERM: the IPv6 VIP too" eval "! rt_has $VIP6/128"
bird_bridge bridge.log --keep-routes
t=$(wait_rt 1 "$VIP4/32" 5000)
check "started again: announced ($t ms)" within "$t" 5000
stop_bridge
check "SIGTERM with --keep-routes: still announced 2 s later" stays 1 "$VIP4/32" 2000

# --- lbd gone: kept while attached; detached: withdrawn ------------------------------
bird_bridge bridge.log
sleep 1.5
kill -9 "$LBD_PID"
check "lbd killed: still announced 3 s later (the program is attached)" stays 1 "$VIP4/32" 3000
check "bgpd-bridge noticed lbd is gone" grep -q "lbd does not answer\|lbd is not there" "$DIR/bridge.log"
nsx "$NS_LB" "$LBD" detach --db "$DB" --pin-dir "$PIN" >>"$DIR/lbd.log" 2>&1
t=$(wait_rt 0 "$VIP4/32" 3000)
check "lbd detach: withdrawn at the router within 1 s ($t ms)" within "$t" 1000
check "lbd detach: the IPv6 VIP too" eval "! rt_has $VIP6/128"
stop_bridge

# ======================================================================================
# FRR's bgpd as the LB node's speaker.
kill "$(cat "$DIR/lb.pid")"
start_lbd lbd2.log
grep -q "attached to eth0 (native)" "$DIR/lbd2.log" || bad "lbd attached again"
mkdir -p "$DIR/frr"
cat >"$DIR/frr/bgpd.conf" <<EOF
router bgp 65001
 bgp router-id $LB4
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor $RT4 remote-as 65000
 neighbor $RT4 timers connect 1
 neighbor $RT6 remote-as 65000
 neighbor $RT6 timers connect 1
 address-family ipv4 unicast
  neighbor $RT4 advertisement-interval 0
  no neighbor $RT6 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor $RT6 activate
  neighbor $RT6 advertisement-interval 0
 exit-address-family
EOF
start_frr() {
	ip netns exec "$NS_LB" "$BGPD" -Z -S -f "$DIR/frr/bgpd.conf" --vty_socket "$DIR/frr" \
		-i "$DIR/frr/bgpd.pid" >>"$DIR/frr.log" 2>&1 &
	FRR_PID=$!
	PIDS+=("$FRR_PID")
	local t
	for ((t = 0; t < 50; t++)); do
		[ -S "$DIR/frr/bgpd.vty" ] && return 0
		sleep 0.1
	done
	die "bgpd did not start: $(cat "$DIR/frr.log")"
}
frr_bridge() {
	start_bridge bridge-frr.log --frr --vty-socket "$DIR/frr" --asn 65001 --resync-s 1
}
vtysh_lb() { vtysh --vty_socket "$DIR/frr" -d bgpd -c "$@"; }
start_frr
frr_bridge
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
stop_bridge
t=$(wait_rt 0 "$VIP4/32" 3000)
check "FRR: SIGTERM: withdrawn at the router ($t ms)" within "$t" 2000
check "FRR: SIGTERM: only the operator's network is left" \
	eval "[ \"\$(vtysh_lb 'show running-config' | grep -c '^  network ')\" = 1 ]"
