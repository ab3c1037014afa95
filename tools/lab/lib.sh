# shellcheck shell=bash
# tools/lab/lib.sh - the xlb network-namespace lab, as functions.
# Sourced by tools/lab/run, tools/lab/down and tests/lab/test_lab.sh.
#
#   client ── router ──── lb1     XDP program (native) on eth0: encapsulates
#    (cl)     (rt)   │            and sends back to the router with XDP_TX
#                    ├─── b1      tc decap on eth0, VIPs on lo, python
#                    ├─── b2      HTTP (port 80) and UDP (port 7) servers
#                    └─── b3      that answer with their name
#
# Requests: client -> router -> lb1 -> router -> backend.  Answers leave the
# backend from the VIP and go client-wards through the router only: lb1
# never sees them (direct server return).
#
# Everything is named after a lab id (default: the caller's PID), so labs of
# parallel runs never collide: namespaces xlb<ID>-{cl,rt,lb1,b1..b3}, state
# and the bpffs holding lb1's pins under /run/xlb-lab-<ID>/.  Interface
# names only exist inside those namespaces.  Every neighbour entry is static,
# so no ARP or neighbour discovery adds packets to the counters the tests
# compare.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_TOOLS=$LAB_ROOT/tools/lab
LAB_BUILD=${XLB_BUILD:-build}
case $LAB_BUILD in /*) ;; *) LAB_BUILD=$LAB_ROOT/$LAB_BUILD ;; esac
XLBCTL=$LAB_BUILD/xlbctl
LBD=$LAB_BUILD/lbd
DECAP_OBJ=$LAB_BUILD/tools/decap_tc.bpf.o
XDP_PASS_OBJ=$LAB_BUILD/tools/xdp_pass.bpf.o

LAB_NBACKENDS=3
LAB_MTU_CLIENT=1500 # the client's link: what any Internet client has
LAB_MTU_CORE=1600   # router, lb1, backends: room for the outer header

# --- the embedded default configuration ------------------------------------
VIP4=203.0.113.10     # IPv4 VIP, IPv4 backends: IPv4-in-IPv4
VIP6=2001:db8:100::10 # IPv6 VIP, IPv6 backends: IPv6-in-IPv6
VIP46=203.0.113.20    # IPv4 VIP, IPv6 backends: IPv4-in-IPv6
HTTP_PORT=80
UDP_PORT=7
# id vip proto port backends'-family; every service has all backends.
LAB_SERVICES="1 $VIP4 tcp $HTTP_PORT 4
2 $VIP4 udp $UDP_PORT 4
3 $VIP6 tcp $HTTP_PORT 6
4 $VIP6 udp $UDP_PORT 6
5 $VIP46 tcp $HTTP_PORT 6
6 $VIP46 udp $UDP_PORT 6"

CL4=198.51.100.2 RT_CL4=198.51.100.1 # client link, /28
CL6=2001:db8:1::2 RT_CL6=2001:db8:1::1
LB4=192.0.2.2 RT_LB4=192.0.2.1 # lb1 link, /28; lb1's outer source too
LB6=2001:db8:2::2 RT_LB6=2001:db8:2::1
be4() { echo "192.0.2.$((16 * $1 + 2))"; }  # backend N's link: 192.0.2.16N/28
rt_be4() { echo "192.0.2.$((16 * $1 + 1))"; }
be6() { echo "2001:db8:b$1::2"; }           # and 2001:db8:bN::/64
rt_be6() { echo "2001:db8:b$1::1"; }

# MACs are fixed so static neighbour entries and xlbctl config need no
# lookups: 02:78:6c:LL:00:SS, LL = link (01 client, 02 lb1, 1N backend N),
# SS = 01 on the router's side, 02 on the other.
mac() { printf '02:78:6c:%02x:00:%02x\n' "$1" "$2"; }
link_no() { case $1 in cl) echo 1 ;; lb1) echo 2 ;; b*) echo $((0x10 + ${1#b})) ;; esac; }

# Entry id of backend N in service S (ids are per service-backend pair).
be_entry() { echo $((($1 - 1) * LAB_NBACKENDS + $2)); }
lab_service_ids() { cut -d' ' -f1 <<<"$LAB_SERVICES"; }
be_entries() { # backend N's entry ids, one per service
	local id
	while read -r id; do be_entry "$id" "$1"; done < <(lab_service_ids)
}

# --- helpers ------------------------------------------------------------------
lab_log() { echo "lab: $*" >&2; }
lab_die() { echo "lab: error: $*" >&2; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; } # run inside a namespace
nsname() { echo "xlb$LAB_ID-$1"; }                     # cl rt lb1 b1 ...
lab_backends() { local i; for ((i = 1; i <= LAB_NBACKENDS; i++)); do echo "b$i"; done; }
lab_nodes() { echo cl rt lb1; lab_backends; }

# xlbctl on lb1, with lb1's pin folder.
xlbctl() { nsx "$(nsname lb1)" "$XLBCTL" -p "$LAB_PIN" "$@"; }

# Sets the lab's names from its id.  lab_down removes a lab only once
# lab_up started it (LAB_OWNED=1) or the caller says it is theirs.
lab_names() {
	LAB_ID=$1
	LAB_DIR=/run/xlb-lab-$LAB_ID
	LAB_PIN=$LAB_DIR/lb1/bpf
	LAB_DB=$LAB_DIR/xlb.db
}

# Fails loudly when the lab cannot run here; never skips.
lab_require() {
	[ "$(id -u)" -eq 0 ] || lab_die "the lab needs root (network namespaces, BPF)"
	local c f
	for c in ip tc ethtool python3 bpftool mount; do
		command -v "$c" >/dev/null || lab_die "$c not found (run tools/install-deps)"
	done
	bpftool prog show >/dev/null 2>&1 || lab_die "BPF is not usable here (bpftool prog show failed)"
	[ -x "$XLBCTL" ] || lab_die "$XLBCTL missing (make)"
	for f in "$DECAP_OBJ" "$XDP_PASS_OBJ"; do [ -f "$f" ] || lab_die "$f missing (make)"; done
	[ ! -e "$LAB_DIR" ] || lab_die "$LAB_DIR exists: lab $LAB_ID is up (tools/lab/down $LAB_ID)"
}

# --- topology -----------------------------------------------------------------
# Sysctls go in before any link exists so every interface inherits them:
# no router advertisements or DAD, and MLD reports all sent at once when an
# address is added, so no packet but the tests' own crosses the links once
# the lab is up; no reverse-path filter (answers from a VIP cross the router
# on a path other than the one the VIP is routed on).
lab_ns_create() {
	local node ns
	mkdir -p "$LAB_DIR"
	for node in $(lab_nodes); do
		ns=$(nsname "$node")
		ip netns add "$ns"
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.mldv1_unsolicited_report_interval=0 \
			net.ipv6.conf.default.mldv2_unsolicited_report_interval=0 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		ip -n "$ns" link set lo up
	done
	nsx "$(nsname rt)" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# Connects node's eth0 to the router's interface named after the node.
lab_link() { # node mtu
	local node=$1 mtu=$2 n
	n=$(link_no "$node")
	ip link add name eth0 address "$(mac "$n" 2)" mtu "$mtu" netns "$(nsname "$node")" \
		type veth peer name "$node" address "$(mac "$n" 1)" mtu "$mtu" netns "$(nsname rt)"
	ip -n "$(nsname "$node")" link set eth0 up
	ip -n "$(nsname rt)" link set "$node" up
}

# Addresses, a default route and a static neighbour for the router on a node.
lab_node_net() { # node addr4 rt4 addr6 rt6 plen4
	local ns n
	ns=$(nsname "$1"); n=$(link_no "$1")
	ip -n "$ns" addr add "$2/$6" dev eth0
	ip -n "$ns" -6 addr add "$4/64" dev eth0 nodad
	ip -n "$ns" route add default via "$3"
	ip -n "$ns" -6 route add default via "$5"
	ip -n "$ns" neigh replace "$3" lladdr "$(mac "$n" 1)" dev eth0 nud permanent
	ip -n "$ns" -6 neigh replace "$5" lladdr "$(mac "$n" 1)" dev eth0 nud permanent
	# The router's side of the same link.
	ns=$(nsname rt)
	ip -n "$ns" addr add "$3/$6" dev "$1"
	ip -n "$ns" -6 addr add "$5/64" dev "$1" nodad
	ip -n "$ns" neigh replace "$2" lladdr "$(mac "$n" 2)" dev "$1" nud permanent
	ip -n "$ns" -6 neigh replace "$4" lladdr "$(mac "$n" 2)" dev "$1" nud permanent
}

lab_topology() {
	local b i rt
	rt=$(nsname rt)
	lab_ns_create
	lab_link cl "$LAB_MTU_CLIENT"
	lab_node_net cl "$CL4" "$RT_CL4" "$CL6" "$RT_CL6" 28
	lab_link lb1 "$LAB_MTU_CORE"
	lab_node_net lb1 "$LB4" "$RT_LB4" "$LB6" "$RT_LB6" 28
	for b in $(lab_backends); do
		i=${b#b}
		lab_link "$b" "$LAB_MTU_CORE"
		lab_node_net "$b" "$(be4 "$i")" "$(rt_be4 "$i")" "$(be6 "$i")" "$(rt_be6 "$i")" 28
	done
	# The router sends VIP traffic to lb1 (in production: ECMP over LB nodes).
	ip -n "$rt" route add "$VIP4/32" via "$LB4"
	ip -n "$rt" route add "$VIP46/32" via "$LB4"
	ip -n "$rt" -6 route add "$VIP6/128" via "$LB6"
	lab_offloads
}

# Two veth quirks, both because XDP_TX turns an skb into a bare frame:
# - a veth takes XDP_TX frames from its peer only when it runs an XDP
#   program itself (only then does the sender wake its NAPI): the router's
#   side of lb1's link gets one that passes everything;
# - the frame loses "checksum to be completed by hardware" state, so the
#   client must send complete TCP/UDP checksums (tx checksum offload off)
#   or backends would see only the pseudo-header sum and drop the packet.
#   A real NIC puts complete checksums on the wire.
lab_offloads() {
	ip -n "$(nsname rt)" link set dev lb1 xdpdrv obj "$XDP_PASS_OBJ" sec xdp
	nsx "$(nsname cl)" ethtool -K eth0 tx off >/dev/null
}

# --- backends -----------------------------------------------------------------
lab_backend_up() { # node
	local b=$1 ns
	ns=$(nsname "$b")
	ip -n "$ns" addr add "$VIP4/32" dev lo
	ip -n "$ns" addr add "$VIP46/32" dev lo
	ip -n "$ns" -6 addr add "$VIP6/128" dev lo nodad
	tc -n "$ns" qdisc add dev eth0 clsact
	tc -n "$ns" filter add dev eth0 ingress bpf direct-action obj "$DECAP_OBJ" sec tc
	nsx "$ns" python3 "$LAB_TOOLS/backend.py" --name "$b" --ready "$LAB_DIR/$b.ready" \
		--addr "$VIP4" --addr "$VIP46" --addr "$VIP6" \
		--http-port "$HTTP_PORT" --udp-port "$UDP_PORT" >"$LAB_DIR/$b.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
}

lab_backends_up() {
	local b t
	for b in $(lab_backends); do lab_backend_up "$b"; done
	for b in $(lab_backends); do
		for ((t = 0; t < 100; t++)); do
			[ -e "$LAB_DIR/$b.ready" ] && break
			sleep 0.05
		done
		[ -e "$LAB_DIR/$b.ready" ] || lab_die "backend $b did not start: $(cat "$LAB_DIR/$b.log")"
	done
}

# --- the load balancer ----------------------------------------------------------
# lb1's pins live on a bpffs of their own under /run: `ip netns exec`
# remounts /sys, so /sys/fs/bpf is not what processes in the namespace see.
lab_lb_up() {
	local id vip proto port fam args i
	mkdir -p "$LAB_PIN"
	mount -t bpf bpf "$LAB_PIN"
	xlbctl load --services 16 --backends 64 --conntrack 4096 --frags 256 >/dev/null
	[ "$(xlbctl attach eth0 --mode native)" = native ] || lab_die "lb1: XDP not attached in native mode"
	xlbctl config --src-mac "$(mac "$(link_no lb1)" 2)" --nh-mac "$(mac "$(link_no lb1)" 1)" \
		--src4 "$LB4" --src6 "$LB6" --mtu "$LAB_MTU_CORE" --ttl 64 >/dev/null
	while read -r id vip proto port fam; do
		args=()
		for ((i = 1; i <= LAB_NBACKENDS; i++)); do
			args+=(--backend "$(be_entry "$id" "$i")=$(be"$fam" "$i")")
		done
		xlbctl service add "$vip" "$proto" "$port" --id "$id" "${args[@]}" >/dev/null
	done <<<"$LAB_SERVICES"
}

# The embedded default configuration as SQL rows for the state file: the
# node (lb1's interface, the router as next hop, outer sources, small
# tables) and every service of LAB_SERVICES with all the backends.
lab_config_sql() {
	local id vip proto port fam i
	echo "BEGIN;"
	echo "INSERT INTO node (id, interface, xdp_mode, next_hop_mac, src4, src6,
		mtu, ttl, max_services, max_backends, max_flows) VALUES (1, 'eth0',
		'native', '$(mac "$(link_no lb1)" 1)', '$LB4', '$LB6',
		$LAB_MTU_CORE, 64, 16, 64, 4096);"
	while read -r id vip proto port fam; do
		echo "INSERT INTO service (vip, proto, port) VALUES ('$vip', '$proto', $port);"
		for ((i = 1; i <= LAB_NBACKENDS; i++)); do
			echo "INSERT INTO backend (vip, proto, port, address) VALUES
				('$vip', '$proto', $port, '$(be"$fam" "$i")');"
		done
	done <<<"$LAB_SERVICES"
	echo "COMMIT;"
}

# SQL on the lab's state file: arguments, or standard input.
lab_sql() { sqlite3 -bail -cmd ".timeout 5000" "$LAB_DB" "$@"; }

# lb1 run by lbd: the state file gets the embedded configuration through
# the sqlite3 shell, as an operator's import would, and lbd (in lb1's
# namespace) loads, attaches and fills the maps from it.
lab_lbd_up() {
	local t
	mkdir -p "$LAB_PIN"
	mount -t bpf bpf "$LAB_PIN"
	# lbd creates and migrates the file; without a node row it stops there.
	"$LBD" --db "$LAB_DB" --check >/dev/null 2>&1 || true
	lab_config_sql | lab_sql
	# ip netns exec execs lbd: $! is lbd itself.
	ip netns exec "$(nsname lb1)" "$LBD" --db "$LAB_DB" --pin-dir "$LAB_PIN" \
		--rundir "$LAB_DIR/run" \
		>"$LAB_DIR/lbd.log" 2>&1 &
	LBD_PID=$!
	echo "$LBD_PID" >>"$LAB_DIR/pids"
	for ((t = 0; t < 100; t++)); do
		grep -qs following "$LAB_DIR/lbd.log" && break
		sleep 0.1
	done
	grep -q "attached to eth0 (native)" "$LAB_DIR/lbd.log" ||
		lab_die "lbd did not attach in native mode: $(cat "$LAB_DIR/lbd.log")"
}

# The lab up to its backends; the caller then brings lb1 up (lab_lb_up with
# xlbctl, or lab_lbd_up with lbd).
lab_base_up() {
	lab_require
	LAB_OWNED=1 # from here on, lab_down has something of ours to remove
	lab_log "lab $LAB_ID: namespaces $(nsname '{cl,rt,lb1,b1..b3}'), state in $LAB_DIR"
	lab_topology
	lab_backends_up
}

lab_up() {
	lab_base_up
	lab_lb_up
}

# --- traffic and counters ---------------------------------------------------------
# COUNT requests from the client; prints "tcp VIP:PORT ok=N/COUNT b1=.. b2=..".
lab_client() { # tcp|udp vip port count
	nsx "$(nsname cl)" python3 "$LAB_TOOLS/client.py" "$@"
}

# Frames the interface's XDP program sent back out with XDP_TX (veth).
lab_xdp_tx() { # node ifname
	nsx "$(nsname "$1")" ethtool -S "$2" | awk '/rx_queue_[0-9]+_xdp_tx:/ { n += $2 } END { print n + 0 }'
}

# Packets a backend's decap program stripped (all kinds: 4in4, 6in6, 4in6),
# and those it had to drop: "decap.bN N" and "decap_failed.bN N".
lab_decap_stats() { # node
	local prog map
	prog=$(tc -n "$(nsname "$1")" filter show dev eth0 ingress | sed -n 's/.* id \([0-9]*\) .*/\1/p')
	[ -n "$prog" ] || lab_die "no decap program on $1"
	map=$(bpftool prog show id "$prog" | sed -n 's/.*map_ids \([0-9]*\).*/\1/p')
	bpftool -j map dump id "$map" | python3 -c '
import json, sys
node, done, failed = sys.argv[1], 0, 0
for e in json.load(sys.stdin):
    e = e.get("formatted", e)
    n = sum(v["value"] for v in e["values"])
    if e["key"] == 3:  # DECAP_FAILED in tools/decap_tc.bpf.c
        failed += n
    else:
        done += n
print("decap.%s %d\ndecap_failed.%s %d" % (node, done, node, failed))' "$1"
}

# Every counter the tests compare, as "name value" lines: `xlbctl stats`,
# packets of every interface (if.NODE.IFNAME.rx / .tx), frames lb1 sent
# with XDP_TX (xdp_tx.lb1) and the backends' decap counters.
lab_snapshot() {
	local node
	xlbctl stats
	for node in $(lab_nodes); do
		# shellcheck disable=SC2016 # expanded by the inner shell
		nsx "$(nsname "$node")" sh -c 'cd /sys/class/net && for i in *; do
			[ "$i" = lo ] || echo "if.$0.$i.rx $(cat "$i/statistics/rx_packets")
if.$0.$i.tx $(cat "$i/statistics/tx_packets")"; done' "$node"
	done
	echo "xdp_tx.lb1 $(lab_xdp_tx lb1 eth0)"
	for node in $(lab_backends); do lab_decap_stats "$node"; done
}

# after - before of one counter of two snapshot files (absent: 0).
lab_delta() { # before after name
	awk -v n="$3" 'FNR == NR { if ($1 == n) b = $2; next }
		$1 == n { a = $2 } END { print a - b }' "$1" "$2"
}

# --- backend state ------------------------------------------------------------------
# Takes backend N out of every service the way lbd does: the Maglev tables
# are rebuilt without it (xlbctl marks its entries removed), then its
# entries are marked down, so flows pinned to it are rescheduled.
# `xlbctl backend state` alone does not rebuild tables: new flows would
# still be hashed onto the backend.
lab_backend_down() { # N
	local id vip proto port fam i args
	while read -r id vip proto port fam; do
		args=()
		for ((i = 1; i <= LAB_NBACKENDS; i++)); do
			[ "$i" -eq "$1" ] || args+=(--backend "$(be_entry "$id" "$i")=$(be"$fam" "$i")")
		done
		xlbctl service add "$vip" "$proto" "$port" --id "$id" "${args[@]}" >/dev/null
		xlbctl backend state "$(be_entry "$id" "$1")" down >/dev/null
	done <<<"$LAB_SERVICES"
}

# --- teardown -------------------------------------------------------------------
# Undoes everything lab_up may have done, whatever point it reached; runs in
# a subshell with errexit off so one failure does not stop the rest.
lab_down() (
	set +e
	[ "${LAB_OWNED:-0}" = 1 ] || return 0
	local node ns pid
	if [ -e "/run/netns/$(nsname lb1)" ] && [ -x "$XLBCTL" ] && mountpoint -q "$LAB_PIN"; then
		xlbctl detach eth0 >/dev/null 2>&1
		xlbctl unpin >/dev/null 2>&1
	fi
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r pid; do kill "$pid" 2>/dev/null; done <"$LAB_DIR/pids"
	fi
	for node in $(lab_nodes); do
		ns=$(nsname "$node")
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns"
	done
	mountpoint -q "$LAB_PIN" && umount "$LAB_PIN"
	rm -rf "$LAB_DIR"
	return 0
)
