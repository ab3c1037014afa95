# shellcheck shell=bash
# tests/lab/bgpd_lab.sh - the namespaces, daemons and checks of
# tests/lab/test_bgpd_bridge.sh and tools/bench/bench_bgpd_bridge.sh,
# sourced by both:
#
#   lb (namespace)                                  rt (namespace)
#   lbd: SQLite file, XDP attached natively on eth0 ─── veth ─── BIRD, AS 65000
#   bgpd-bridge -> BIRD (or FRR's bgpd), AS 65001       (the router: callers
#                                                        read its RIB)
#
# Every name comes from BGPD_LAB_ID (the caller's PID by default), so runs
# never collide: namespaces xlb<ID>-{lb,rt}, everything else (pins on a
# bpffs of their own, lbd's sockets, BIRD's and FRR's files, every log)
# under /run/xlb-bgp-<ID>/.  bgpd_lab_down undoes whatever was set up.

BUILD=${XLB_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
LBD=$BUILD/lbd
BRIDGE=$BUILD/bgpd-bridge
BGPD=/usr/lib/frr/bgpd

ID=${BGPD_LAB_ID:-g$$}
NS_LB=xlb$ID-lb NS_RT=xlb$ID-rt
DIR=/run/xlb-bgp-$ID # under /run: the pins need a bpffs of their own
PIN=$DIR/bpf RUN=$DIR/run INC=$DIR/bird-include DB=$DIR/xlb.db
LB4=192.0.2.2 RT4=192.0.2.1 LB6=2001:db8:2::2 RT6=2001:db8:2::1
LB_MAC=02:78:6c:02:00:02 RT_MAC=02:78:6c:02:00:01
VIP4=203.0.113.10 VIP6=2001:db8:100::10 VIP_DOWN=203.0.113.30
BURST_VIPS=$(for i in $(seq 40 49); do echo "203.0.113.$i"; done)
PIDS=()
POLL_S=${BGPD_LAB_POLL_S:-0.02} # between two looks at the router's RIB

die() { echo "${BGPD_LAB_NAME:-bgpd_lab}: error: $*" >&2; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- teardown: whatever point setup reached ------------------------------------
bgpd_lab_down() (
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
	local v vip addr
	echo "BEGIN;"
	echo "INSERT INTO node (id, interface, xdp_mode, next_hop_mac, src4, src6,
		mtu, ttl, max_services, max_backends, max_flows) VALUES (1, 'eth0',
		'native', '$RT_MAC', '$LB4', '$LB6', 1500, 64, 64, 256, 4096);"
	while read -r vip addr; do
		echo "INSERT OR IGNORE INTO service (vip, proto, port) VALUES ('$vip', 'tcp', 80);"
		echo "INSERT INTO backend (vip, proto, port, address) VALUES ('$vip', 'tcp', 80, '$addr');"
	done <<EOF
$VIP4 198.51.100.10
$VIP4 198.51.100.11
$VIP6 2001:db8:b1::2
$VIP_DOWN 198.51.100.12
EOF
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
		sleep "$POLL_S"
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

# SIGTERM, then its exit status (a sanitizer build's report of a leak or
# an error at exit makes it non-zero).
stop_bridge() {
	kill -TERM "$BRIDGE_PID"
	wait "$BRIDGE_PID"
}

bird_bridge() { start_bridge "$1" --bird "$DIR/lb.ctl" --include-dir "$INC" "${@:2}"; }
set_backends() { # vip state
	sql "UPDATE backend SET state = '$2' WHERE vip = '$1';"
}
configures() { grep -c "BIRD: 0003" "$DIR/bridge.log" || true; }

# FRR's bgpd as the LB node's speaker: what bgpd-bridge(8) asks of it.
frr_conf() {
	cat <<EOF
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
}

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
frr_bridge() { # log
	start_bridge "$1" --frr --vty-socket "$DIR/frr" --asn 65001 --resync-s 1
}
vtysh_lb() { vtysh --vty_socket "$DIR/frr" -d bgpd -c "$@"; }
