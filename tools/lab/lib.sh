# shellcheck shell=bash
# tools/lab/lib.sh - the xlb network-namespace lab, as functions.
# Sourced by tools/lab/run, tools/lab/down, tests/lab/test_*.sh and the lab
# benchmarks.
#
#   client ── router ──┬── lb1    XDP program (native) on eth0: encapsulates
#    (cl)     (rt)     ├── lb2    and sends back to the router with XDP_TX
#                      ├── b1     tc decap on eth0, VIPs on lo, python
#                      ├── b2     HTTP (port 80) and UDP (port 7) servers
#                      └── b3     that answer with their name
#
# Requests: client -> router -> lbN -> router -> backend.  Answers leave the
# backend from the VIP and go client-wards through the router only: no LB
# node sees them (direct server return).
#
# Two ways to route the VIPs (LAB_ROUTING, set after sourcing):
# - static (default): one LB node (LAB_LBS=lb1) and static routes on the
#   router; no control traffic at all on lb1's link, so tests can compare
#   packet counters exactly;
# - bgp (lab_full_up): every LB node of LAB_LBS runs lbd, hcd, bgpd-bridge
#   and its own BIRD 2 speaker, which announces what bgpd-bridge says is
#   ready and peers over IPv4 and IPv6 with a BIRD 2 on the router, whose
#   kernel protocol merges equal paths: each VIP gets one ECMP route with
#   every announcing node as a next hop, hashed on the 5-tuple
#   (fib_multipath_hash_policy=1).
#
# Everything is named after a lab id (default: the caller's PID), so labs of
# parallel runs never collide: namespaces xlb<ID>-{cl,rt,lb1,lb2,b1..b3},
# state under /run/xlb-lab-<ID>/ (per LB node, lbN/: its state file xlb.db,
# the bpffs holding its pins bpf/, the daemons' sockets run/, BIRD's
# config, control socket and include files, every daemon's log).
# Interface names only exist inside those namespaces.  Every neighbour
# entry is static, so no ARP or neighbour discovery adds packets to the
# counters the tests compare.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_TOOLS=$LAB_ROOT/tools/lab
LAB_BUILD=${XLB_BUILD:-build}
case $LAB_BUILD in /*) ;; *) LAB_BUILD=$LAB_ROOT/$LAB_BUILD ;; esac
XLBCTL=$LAB_BUILD/xlbctl
LBD=$LAB_BUILD/lbd
HCD=$LAB_BUILD/hcd
BRIDGE=$LAB_BUILD/bgpd-bridge
# shellcheck disable=SC2034 # used by the main job and the tests
LBSH=$LAB_BUILD/lbsh
DECAP_OBJ=$LAB_BUILD/tools/decap_tc.bpf.o
XDP_PASS_OBJ=$LAB_BUILD/tools/xdp_pass.bpf.o

LAB_NBACKENDS=3
LAB_LBS=lb1          # the LB nodes (lb1 lb2 ...); callers set it after sourcing
LAB_ROUTING=static   # static | bgp; callers set it after sourcing
LAB_EXTRA_NODES=""   # more namespaces a caller links itself (benchmarks)
LAB_AS_RT=65000 LAB_AS_LB=65001 # private ASNs: the router, every LB node
# hcd's checks of the backends (ms, ms, successes, failures); callers may
# set them after sourcing, before the LB nodes come up.
LAB_HC_INTERVAL=200 LAB_HC_TIMEOUT=150 LAB_HC_RISE=2 LAB_HC_FALL=2
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
# LB node N's link: lb1 192.0.2.0/28, lbN (N >= 2) 192.0.2.(256 - 16(N-1))/28
# (backends count up from 192.0.2.16), and 2001:db8:(N+1)::/64.  A node's
# own address is the outer source of what it encapsulates: each node has its
# own, and backends do not care which (DSR).
lb_net4() { if [ "${1#lb}" = 1 ]; then echo 0; else echo $((256 - 16 * (${1#lb} - 1))); fi; }
lb4() { echo "192.0.2.$(($(lb_net4 "$1") + 2))"; }  # lb4 lbN
rt_lb4() { echo "192.0.2.$(($(lb_net4 "$1") + 1))"; }
lb6() { echo "2001:db8:$((${1#lb} + 1))::2"; }
rt_lb6() { echo "2001:db8:$((${1#lb} + 1))::1"; }
# shellcheck disable=SC2034 # lb1, as the static lab and its tests know it
LB4=$(lb4 lb1) RT_LB4=$(rt_lb4 lb1) LB6=$(lb6 lb1) RT_LB6=$(rt_lb6 lb1)
be4() { echo "192.0.2.$((16 * $1 + 2))"; }  # backend N's link: 192.0.2.16N/28
rt_be4() { echo "192.0.2.$((16 * $1 + 1))"; }
be6() { echo "2001:db8:b$1::2"; }           # and 2001:db8:bN::/64
rt_be6() { echo "2001:db8:b$1::1"; }

# MACs are fixed so static neighbour entries and xlbctl config need no
# lookups: 02:78:6c:LL:00:SS, LL = link (01 client, N+1 LB node N, 1N
# backend N, 4N extra node N), SS = 01 on the router's side, 02 on the other.
mac() { printf '02:78:6c:%02x:00:%02x\n' "$1" "$2"; }
link_no() {
	case $1 in
	cl) echo 1 ;; lb*) echo $((${1#lb} + 1)) ;; b*) echo $((0x10 + ${1#b})) ;;
	*) echo $((0x40 + $(lab_extra_no "$1"))) ;;
	esac
}
lab_extra_no() { # position of an extra node in LAB_EXTRA_NODES, from 1
	local n i=0
	for n in $LAB_EXTRA_NODES; do i=$((i + 1)); [ "$n" != "$1" ] || { echo $i; return; }; done
	lab_die "unknown node $1"
}

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
# Every namespace a lab may have; lab_down removes those that exist.
# shellcheck disable=SC2086 # lists of names
lab_nodes() { echo cl rt $LAB_LBS $LAB_EXTRA_NODES; lab_backends; }

# An LB node's files: lab_db lbN, lab_pin lbN, lab_rundir lbN ...
lab_nodedir() { echo "$LAB_DIR/$1"; }
lab_db() { echo "$LAB_DIR/$1/xlb.db"; }
lab_pin() { echo "$LAB_DIR/$1/bpf"; }
lab_rundir() { echo "$LAB_DIR/$1/run"; }

# xlbctl on lb1, with lb1's pin folder; xlbctl_on lbN ... on any LB node.
xlbctl() { xlbctl_on lb1 "$@"; }
xlbctl_on() { local n=$1; shift; nsx "$(nsname "$n")" "$XLBCTL" -p "$(lab_pin "$n")" "$@"; }

# Sets the lab's names from its id.  lab_down removes a lab only once
# lab_up started it (LAB_OWNED=1) or the caller says it is theirs.
lab_names() {
	LAB_ID=$1
	LAB_DIR=/run/xlb-lab-$LAB_ID
	# shellcheck disable=SC2034 # lb1's, as the one-node lab knows them
	LAB_PIN=$(lab_pin lb1) LAB_DB=$(lab_db lb1)
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
	if [ "$LAB_ROUTING" = bgp ]; then
		for f in "$LBD" "$HCD" "$BRIDGE" "$LBSH"; do [ -x "$f" ] || lab_die "$f missing (make)"; done
		for c in bird birdc; do
			command -v "$c" >/dev/null ||
				lab_die "$c not found (run tools/install-deps: BIRD 2 is the lab's BGP daemon)"
		done
	fi
	[ ! -e "$LAB_DIR" ] || lab_die "$LAB_DIR exists: lab $LAB_ID is up (tools/lab/down $LAB_ID)"
}

# --- topology -----------------------------------------------------------------
# Sysctls go in before any link exists so every interface inherits them:
# no router advertisements or DAD, and MLD reports all sent at once when an
# address is added, so no packet but the tests' own crosses the links once
# the lab is up; no reverse-path filter (answers from a VIP cross the router
# on a path other than the one the VIP is routed on); IPv6 addresses kept
# while a link is down (lab_link_down).  The router hashes ECMP routes on
# the 5-tuple (policy 1, IPv4 and IPv6) so that flows, not hosts, spread
# over the LB nodes, and never uses a next hop whose link is down.
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
			net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		ip -n "$ns" link set lo up
	done
	nsx "$(nsname rt)" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.ignore_routes_with_linkdown=1 \
		net.ipv6.conf.all.ignore_routes_with_linkdown=1
}

# A node's link fails (its eth0 goes down: the router's side loses its
# carrier), then comes back: the node's routes, which the kernel dropped
# with the link, are put back.  IPv4 and IPv6 addresses and the XDP
# program stay.
lab_link_down() { ip -n "$(nsname "$1")" link set eth0 down; } # node
lab_link_up() { # lbN
	local ns n
	ns=$(nsname "$1"); n=$(link_no "$1")
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route replace default via "$(rt_lb4 "$1")"
	ip -n "$ns" -6 route replace default via "$(rt_lb6 "$1")"
	ip -n "$ns" neigh replace "$(rt_lb4 "$1")" lladdr "$(mac "$n" 1)" dev eth0 nud permanent
	ip -n "$ns" -6 neigh replace "$(rt_lb6 "$1")" lladdr "$(mac "$n" 1)" dev eth0 nud permanent
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
	local b i rt n
	rt=$(nsname rt)
	lab_ns_create
	lab_link cl "$LAB_MTU_CLIENT"
	lab_node_net cl "$CL4" "$RT_CL4" "$CL6" "$RT_CL6" 28
	for n in $LAB_LBS; do
		lab_link "$n" "$LAB_MTU_CORE"
		lab_node_net "$n" "$(lb4 "$n")" "$(rt_lb4 "$n")" "$(lb6 "$n")" "$(rt_lb6 "$n")" 28
	done
	for b in $(lab_backends); do
		i=${b#b}
		lab_link "$b" "$LAB_MTU_CORE"
		lab_node_net "$b" "$(be4 "$i")" "$(rt_be4 "$i")" "$(be6 "$i")" "$(rt_be6 "$i")" 28
	done
	if [ "$LAB_ROUTING" = static ]; then
		# The router sends VIP traffic to lb1; with bgp, BIRD installs
		# the routes the LB nodes announce.
		ip -n "$rt" route add "$VIP4/32" via "$LB4"
		ip -n "$rt" route add "$VIP46/32" via "$LB4"
		ip -n "$rt" -6 route add "$VIP6/128" via "$LB6"
	fi
	lab_offloads
}

# Two veth quirks, both because XDP_TX turns an skb into a bare frame:
# - a veth takes XDP_TX frames from its peer only when it runs an XDP
#   program itself (only then does the sender wake its NAPI): the router's
#   side of every LB node's link gets one that passes everything;
# - the frame loses "checksum to be completed by hardware" state, so the
#   client must send complete TCP/UDP checksums (tx checksum offload off)
#   or backends would see only the pseudo-header sum and drop the packet.
#   A real NIC puts complete checksums on the wire.
lab_offloads() {
	local n
	for n in $LAB_LBS; do
		ip -n "$(nsname rt)" link set dev "$n" xdpdrv obj "$XDP_PASS_OBJ" sec xdp
	done
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
	lab_backend_start "$b"
}

# The backend's servers: on the VIPs, and on its own addresses for hcd's
# checks (GET /health...; LAB_DIR/bN.down.KEY makes /health/KEY fail).
lab_backend_start() { # node
	local b=$1 i=${1#b}
	rm -f "$LAB_DIR/$b.ready"
	# ip netns exec, not nsx: $! must be the server itself, for tests to kill.
	ip netns exec "$(nsname "$b")" python3 "$LAB_TOOLS/backend.py" --name "$b" --ready "$LAB_DIR/$b.ready" \
		--addr "$VIP4" --addr "$VIP46" --addr "$VIP6" --addr "$(be4 "$i")" --addr "$(be6 "$i")" \
		--http-port "$HTTP_PORT" --udp-port "$UDP_PORT" --down-prefix "$LAB_DIR/$b.down." \
		>>"$LAB_DIR/$b.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	echo $! >"$LAB_DIR/$b.pid"
}

# Waits for a backend's servers to listen.
lab_backend_wait() { # node
	local t
	for ((t = 0; t < 100; t++)); do
		[ -e "$LAB_DIR/$1.ready" ] && return 0
		sleep 0.05
	done
	lab_die "backend $1 did not start: $(cat "$LAB_DIR/$1.log")"
}

lab_backends_up() {
	local b
	for b in $(lab_backends); do lab_backend_up "$b"; done
	for b in $(lab_backends); do lab_backend_wait "$b"; done
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

# The embedded default configuration as SQL rows for an LB node's state
# file: the node (its interface, the router as next hop, its own outer
# sources, small tables) and every service of LAB_SERVICES with all the
# backends.  Every node gets the same services and backends, so every node
# computes the same Maglev tables.  hcd checks each backend over HTTP on
# its own address (LAB_HC_*: every 200 ms, 150 ms to answer, down after 2
# failures, up after 2 successes; tests under load allow more, since a
# python backend on a busy 2-core machine can miss an answer): /health for
# the services of VIP4 and VIP6, /health/vip46 for those of VIP46, so a
# test can fail one VIP's backends alone.
lab_config_sql() { # [lbN]
	local n=${1:-lb1} id vip proto port fam i check
	local hc="$LAB_HC_INTERVAL, $LAB_HC_TIMEOUT, $LAB_HC_RISE, $LAB_HC_FALL"
	echo "BEGIN;"
	echo "INSERT INTO health_check (name, type, port, path, interval_ms, timeout_ms,
		rise, fall) VALUES ('lab-http', 'http', $HTTP_PORT, '/health', $hc),
		('lab-http46', 'http', $HTTP_PORT, '/health/vip46', $hc);"
	echo "INSERT INTO node (id, interface, xdp_mode, next_hop_mac, src4, src6,
		mtu, ttl, max_services, max_backends, max_flows) VALUES (1, 'eth0',
		'native', '$(mac "$(link_no "$n")" 1)', '$(lb4 "$n")', '$(lb6 "$n")',
		$LAB_MTU_CORE, 64, 16, 64, 4096);"
	while read -r id vip proto port fam; do
		check=lab-http
		[ "$vip" != "$VIP46" ] || check=lab-http46
		echo "INSERT INTO service (vip, proto, port, health_check) VALUES
			('$vip', '$proto', $port, '$check');"
		for ((i = 1; i <= LAB_NBACKENDS; i++)); do
			echo "INSERT INTO backend (vip, proto, port, address) VALUES
				('$vip', '$proto', $port, '$(be"$fam" "$i")');"
		done
	done <<<"$LAB_SERVICES"
	echo "COMMIT;"
}

# SQL on lb1's state file (lab_sql_on lbN: any node's): arguments, or
# standard input.
lab_sql() { lab_sql_on lb1 "$@"; }
lab_sql_on() { local n=$1; shift; sqlite3 -bail -cmd ".timeout 5000" "$(lab_db "$n")" "$@"; }
# The same SQL on every LB node's state file, as an operator's
# configuration management would apply it.
lab_sql_all() { local n; for n in $LAB_LBS; do lab_sql_on "$n" "$@" || return; done; }

# An LB node run by lbd: its state file gets the embedded configuration
# through the sqlite3 shell, as an operator's import would, and lbd (in the
# node's namespace) loads, attaches and fills the maps from it.  LBD_PID is
# the last lbd started; lbN/lbd.pid each node's.
lab_lbd_start() { # lbN: starts lbd (state, maps and attachment kept)
	local n=$1 d
	d=$(lab_nodedir "$n")
	# ip netns exec execs lbd: $! is lbd itself.
	ip netns exec "$(nsname "$n")" "$LBD" --db "$(lab_db "$n")" --pin-dir "$(lab_pin "$n")" \
		--rundir "$(lab_rundir "$n")" >>"$d/lbd.log" 2>&1 &
	LBD_PID=$!
	echo "$LBD_PID" >>"$LAB_DIR/pids"
	echo "$LBD_PID" >"$d/lbd.pid"
}

lab_lbd_up() { # [lbN], default lb1
	local n=${1:-lb1} t d
	d=$(lab_nodedir "$n")
	mkdir -p "$(lab_pin "$n")" "$(lab_rundir "$n")"
	mount -t bpf bpf "$(lab_pin "$n")"
	# lbd creates and migrates the file; without a node row it stops there.
	"$LBD" --db "$(lab_db "$n")" --check >/dev/null 2>&1 || true
	lab_config_sql "$n" | lab_sql_on "$n"
	lab_lbd_start "$n"
	for ((t = 0; t < 100; t++)); do
		grep -qs following "$d/lbd.log" && break
		sleep 0.05
	done
	grep -q "attached to eth0 (native)" "$d/lbd.log" ||
		lab_die "$n: lbd did not attach in native mode: $(cat "$d/lbd.log")"
}

# The lab up to its backends; the caller then brings the LB nodes up
# (lab_lb_up with xlbctl, or lab_lbd_up with lbd; lab_bgp_up for BGP).
lab_base_up() {
	lab_require
	LAB_OWNED=1 # from here on, lab_down has something of ours to remove
	lab_log "lab $LAB_ID: namespaces $(nsname "{cl,rt,${LAB_LBS// /,},b1..b$LAB_NBACKENDS}"), state in $LAB_DIR"
	lab_topology
	lab_backends_up
}

lab_up() {
	lab_base_up
	lab_lb_up
}

# The whole lab: every LB node of LAB_LBS with lbd, hcd and bgpd-bridge
# driving its own BIRD, the router's BIRD, until every VIP has a route
# through every node.
lab_full_up() {
	local n
	LAB_ROUTING=bgp
	lab_base_up
	# The nodes' lbd start side by side (each waits for its attachment).
	local pids=() p
	for n in $LAB_LBS; do lab_lbd_up "$n" & pids+=($!); done
	for p in "${pids[@]}"; do wait "$p" || exit 1; done
	for n in $LAB_LBS; do lab_hcd_start "$n"; done
	for n in $LAB_LBS; do
		lab_wait_health "$n" 5 || lab_die "$n: hcd did not report every backend up:
$(lab_sql_on "$n" 'SELECT * FROM backend_health')
$(cat "$LAB_DIR/$n/hcd.log")"
	done
	lab_bgp_up
}

# hcd on an LB node: reads the node's checks, publishes on its rundir.
lab_hcd_start() { # lbN
	local d=$LAB_DIR/$1
	ip netns exec "$(nsname "$1")" "$HCD" --db "$(lab_db "$1")" --rundir "$(lab_rundir "$1")" \
		>>"$d/hcd.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	echo $! >"$d/hcd.pid"
}

# True once lbd on the node recorded every (backend, check) up, in SECONDS.
lab_wait_health() { # lbN seconds
	local t want=$((LAB_NBACKENDS * 3)) # IPv4 /health, IPv6 /health and /health/vip46
	for ((t = 0; t <= $2 * 20; t++)); do
		[ "$(lab_sql_on "$1" "SELECT count(*) FROM backend_health WHERE status = 'up'")" = $want ] &&
			return 0
		sleep 0.05
	done
	return 1
}

# bgpd-bridge on an LB node: lbd's VIP readiness into the node's BIRD,
# through the include files BIRD's static protocols read.
lab_bridge_start() { # lbN
	local d=$LAB_DIR/$1
	mkdir -p "$d/bird-include"
	ip netns exec "$(nsname "$1")" "$BRIDGE" --rundir "$(lab_rundir "$1")" \
		--pin-dir "$(lab_pin "$1")" --bird "$(lab_bird_ctl "$1")" \
		--include-dir "$d/bird-include" >>"$d/bridge.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	echo $! >"$d/bridge.pid"
}

# --- BGP: BIRD 2 on the router and on every LB node --------------------------------
# Each BIRD runs in the foreground in its node's namespace, with its own
# config, control socket (birdc -s), pidfile and log under the node's
# folder.  Timers are short so the lab converges in a second or two and a
# lost speaker is noticed in 3 s even without a goodbye: connect delay 1 s
# (BIRD's default is 5), hold 3 s, retry 1 s.
LAB_BGP_TIMERS="hold time 3; keepalive time 1; connect delay time 1;
	connect retry time 1; error wait time 1, 2;"
lab_bird_ctl() { echo "$LAB_DIR/$1/bird.ctl"; }
lab_birdc() { local n=$1; shift; birdc -s "$(lab_bird_ctl "$n")" "$@"; } # node cmd...

# The router: one BGP session per LB node and address family, import only
# VIP-sized prefixes from the VIP ranges, install them in the kernel with
# equal paths merged into one multipath route.
lab_bird_conf_rt() {
	local n
	cat <<EOF
# BIRD 2 of lab $LAB_ID's router: learns the VIPs from the LB nodes.
log stderr all;
router id $RT_LB4;
protocol device { scan time 10; }
protocol kernel kernel4 { ipv4 { import none; export all; }; merge paths on; }
protocol kernel kernel6 { ipv6 { import none; export all; }; merge paths on; }
template bgp lbnode {
	local as $LAB_AS_RT;
	check link yes; # a link that goes down ends the session at once
	$LAB_BGP_TIMERS
}
EOF
	for n in $LAB_LBS; do
		cat <<EOF
protocol bgp ${n}_4 from lbnode {
	neighbor $(lb4 "$n") as $LAB_AS_LB;
	ipv4 { import where net ~ [ 203.0.113.0/24{32,32} ]; export none; };
}
protocol bgp ${n}_6 from lbnode {
	neighbor $(lb6 "$n") as $LAB_AS_LB;
	ipv6 { import where net ~ [ 2001:db8:100::/48{128,128} ]; export none; };
}
EOF
	done
}

# An LB node: the VIPs it announces are those bgpd-bridge writes into the
# include files of two static protocols (bgpd-bridge(8)): exactly the VIPs
# lbd says are ready.  No kernel protocol, so BIRD changes nothing in the
# node's own routing.  BIRD wants `include` at the start of a line.
lab_bird_conf_lb() { # lbN
	local n=$1
	cat <<EOF
# BIRD 2 of lab $LAB_ID's LB node $n: announces the ready VIPs to the router.
log stderr all;
router id $(lb4 "$n");
protocol device { scan time 10; }
protocol static vips4 {
	ipv4;
include "$LAB_DIR/$n/bird-include/vips4*.conf";
}
protocol static vips6 {
	ipv6;
include "$LAB_DIR/$n/bird-include/vips6*.conf";
}
template bgp uplink {
	local as $LAB_AS_LB;
	$LAB_BGP_TIMERS
}
protocol bgp up4 from uplink {
	neighbor $(rt_lb4 "$n") as $LAB_AS_RT;
	ipv4 { import none; export where proto = "vips4"; };
}
protocol bgp up6 from uplink {
	neighbor $(rt_lb6 "$n") as $LAB_AS_RT;
	ipv6 { import none; export where proto = "vips6"; };
}
EOF
}

# Starts BIRD on a node (rt or lbN) with the config in NODE/bird.conf;
# returns once its control socket answers.  NODE/bird.pid is BIRD's
# pidfile.
lab_bird_start() { # node
	local n=$1 d t
	d=$LAB_DIR/$n
	ip netns exec "$(nsname "$n")" bird -f -c "$d/bird.conf" -s "$d/bird.ctl" \
		-P "$d/bird.pid" >>"$d/bird.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	echo $! >"$d/bird.started"
	disown # stopped by tests with any signal: no "Killed" line from bash
	for ((t = 0; t < 100; t++)); do
		lab_birdc "$n" show status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	lab_die "BIRD on $n did not start: $(cat "$d/bird.log")"
}

# Stops a node's BIRD with SIGTERM: it closes its sessions (a BGP Cease),
# so its peers withdraw what it announced at once.
lab_bird_stop() { # node
	local pid
	pid=$(cat "$LAB_DIR/$1/bird.started")
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
}

lab_bgp_up() {
	local n
	mkdir -p "$LAB_DIR/rt"
	lab_bird_conf_rt >"$LAB_DIR/rt/bird.conf"
	lab_bird_start rt
	for n in $LAB_LBS; do
		mkdir -p "$LAB_DIR/$n/bird-include"
		lab_bird_conf_lb "$n" >"$LAB_DIR/$n/bird.conf"
		lab_bird_start "$n"
		lab_bridge_start "$n"
	done
	lab_wait_routes 10 "$LAB_LBS" || lab_die "the router did not learn every VIP from $LAB_LBS:
$(lab_routes)"
}

# The router's kernel route to a VIP: the LB nodes it goes through, sorted
# (interface names on the router are node names); nothing without a route.
lab_route_via() { # vip
	lab_route "$1" | grep -o 'dev [^ ]*' | cut -d' ' -f2 | sort | paste -sd' '
}
lab_route() { # vip: the router's route, on one line (ip needs -6 to show one)
	local fam=-4
	[[ $1 != *:* ]] || fam=-6
	ip -n "$(nsname rt)" "$fam" -o route show "$1" 2>/dev/null | sed 's/\\\t/ /g; s/  */ /g'
}
lab_vips() { echo "$VIP4 $VIP6 $VIP46"; }
lab_routes() { local v; for v in $(lab_vips); do lab_route "$v"; done; } # every VIP's

# True once every VIP given (default: all) is routed through exactly the
# LB nodes given (sorted, space-separated; "" = no route), within SECONDS.
lab_wait_routes() { # seconds "lb1 lb2" [vip...]
	local secs=$1 want t v good
	want=$(tr ' ' '\n' <<<"$2" | { grep . || true; } | sort | paste -sd' ')
	shift 2
	# shellcheck disable=SC2046 # one VIP per word
	[ $# -gt 0 ] || set -- $(lab_vips)
	for ((t = 0; t <= secs * 50; t++)); do # looks at least once
		good=1
		for v in "$@"; do [ "$(lab_route_via "$v")" = "$want" ] || { good=0; break; }; done
		[ "$good" = 0 ] || return 0
		sleep 0.02
	done
	return 1
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
# Undoes everything a lab may have done, whatever point it reached and
# whichever nodes it had (tools/lab/down does not know LAB_LBS): every
# namespace named after the lab, every bpffs mounted under its folder.
# Runs in a subshell with errexit off so one failure does not stop the rest.
lab_down() (
	set +e
	[ "${LAB_OWNED:-0}" = 1 ] || return 0
	local ns pid n mnt
	for n in $LAB_LBS; do
		if [ -e "/run/netns/$(nsname "$n")" ] && [ -x "$XLBCTL" ] &&
			mountpoint -q "$(lab_pin "$n")"; then
			xlbctl_on "$n" detach eth0 >/dev/null 2>&1
			xlbctl_on "$n" unpin >/dev/null 2>&1
		fi
	done
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r pid; do kill "$pid" 2>/dev/null; done <"$LAB_DIR/pids"
	fi
	for ns in /run/netns/"$(nsname '')"*; do
		ns=${ns#/run/netns/}
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns"
	done
	while read -r _ mnt _; do
		case $mnt in "$LAB_DIR"/*) umount "$mnt" ;; esac
	done < <(tac /proc/mounts)
	rm -rf "$LAB_DIR"
	return 0
)

# --- the two-node lab's views ----------------------------------------------------
# An LB node's connection table, one flow a line ("tcp SRC:SPORT -> VIP:PORT
# BACKEND-ID"; IPv6 addresses in brackets), and its forwarded counter.
lab_conntrack() { xlbctl_on "$1" conntrack; } # lbN
lab_forwarded() { xlbctl_on "$1" stats | awk '$1 == "forwarded" { print $2 }'; } # lbN
# The source ports of the flows to VIP:PORT in a saved connection table.
lab_ct_sports() { # file vip port
	local dst=$2:$3
	[[ $2 != *:* ]] || dst="[$2]:$3"
	awk -v d="$dst" '$4 == d { n = split($2, a, ":"); print a[n] }' "$1" | sort -n
}
