#!/usr/bin/env bash
# tests/lab/test_lab_ecmp.sh - every kind of VIP through both LB nodes.
#
# The two-node lab (tools/lab/lib.sh, lab_full_up): lb1 and lb2 run lbd on
# the same configuration, each announces the VIPs with its own BIRD 2, and
# the router installs one ECMP route per VIP through both, hashed on the
# 5-tuple.  Asserts:
# - the router's route to the IPv4 VIP, the IPv6 VIP and the IPv4 VIP with
#   IPv6 backends has exactly lb1 and lb2 as next hops; both nodes' Maglev
#   tables give every backend the same number of slots;
# - HTTP and UDP to each of them (IPv4-in-IPv4, IPv6-in-IPv6, IPv4-in-IPv6)
#   all answered, the flows split between the nodes (each flow in exactly
#   one node's connection table, both nodes with some) and spread over the
#   backends; each node encapsulates from its own address and the backends
#   answer whichever node sent;
# - the same UDP flows (same source ports), sent through lb1 alone (lb2's
#   sessions disabled with birdc), then through lb2 alone, then through
#   both, reach the same backend every time: the nodes' Maglev tables are
#   the same, and the node that did not see a flow before picks the
#   backend the other did; while a node is withdrawn it forwards nothing.
#
# Needs root, BPF and BIRD 2; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_lab_ecmp.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh

N=24 # flows per (VIP, protocol): all through one node by chance: 2^-23
LAB_LBS="lb1 lb2"
LAB_HC_TIMEOUT=200 LAB_HC_FALL=3 # no flapping backend under a busy machine
lab_names "e$$"
LAB_TEST_LOGS="$LAB_DIR/*/bird.log $LAB_DIR/*/lbd.log"
lab_test_frame test_lab_ecmp
[ -x "$LBD" ] || lab_die "$LBD missing (make)"
lab_full_up
echo "[==========] lab $LAB_ID up"
lab_routes | sed 's/^/    /'

for v in "$VIP4" "$VIP6" "$VIP46"; do
	check "the router routes $v through lb1 and lb2 (ECMP)" \
		eval "[ \"\$(lab_route_via $v)\" = 'lb1 lb2' ]"
done
check "the router hashes ECMP on the 5-tuple (IPv4 and IPv6)" eval \
	"[ \"\$(nsx $(nsname rt) sysctl -n net.ipv4.fib_multipath_hash_policy \
		net.ipv6.fib_multipath_hash_policy | paste -sd' ')\" = '1 1' ]"
maglev() { # node: every service's table, as slots per backend (lbsh, live_maglev)
	nsx "$(nsname "$1")" "$LBSH" --db "$(lab_db "$1")" --pin-dir "$(lab_pin "$1")" -csv -c \
		"SELECT vip, proto, port, address, slots FROM live_maglev ORDER BY 1, 2, 3, 4"
}
check "both nodes' Maglev tables give every backend the same slots (lbsh)" \
	eval "[ \"\$(maglev lb1)\" = \"\$(maglev lb2)\" ] && [ \$(maglev lb1 | wc -l) -eq 18 ]"
check "each node encapsulates from its own address" eval \
	"[ \"\$(lab_sql_on lb1 'SELECT src4, src6 FROM node')\" = '$(lb4 lb1)|$(lb6 lb1)' ] &&
	 [ \"\$(lab_sql_on lb2 'SELECT src4, src6 FROM node')\" = '$(lb4 lb2)|$(lb6 lb2)' ]"

# --- every kind of exchange through both nodes ---------------------------------------
exchange() { # name proto vip port sport
	lab_client "$2" "$3" "$4" $N --sport "$5" --flows >"$LAB_DIR/out.$1" || true
	tail -n 1 "$LAB_DIR/out.$1"
}
all_ok() { grep -q " ok=$N/$N " "$LAB_DIR/out.$1"; }
spread() { [ "$(awk '$1 == "flow" { print $3 }' "$LAB_DIR/out.$1" | sort -u | wc -l)" -ge 2 ]; }
ct_all() { lab_conntrack lb1 >"$LAB_DIR/ct.$1.lb1"; lab_conntrack lb2 >"$LAB_DIR/ct.$1.lb2"; }
in_range() { awk -v lo="$1" -v n=$N '$1 >= lo && $1 < lo + n'; }
split_ok() { # label vip port sport: each flow through one node, both used
	local a b
	a=$(lab_ct_sports "$LAB_DIR/ct.$1.lb1" "$2" "$3" | in_range "$4")
	b=$(lab_ct_sports "$LAB_DIR/ct.$1.lb2" "$2" "$3" | in_range "$4")
	echo "    through lb1: $(wc -w <<<"$a") flows, lb2: $(wc -w <<<"$b")"
	[ -n "$a" ] && [ -n "$b" ] &&
		[ "$(printf '%s\n%s\n' "$a" "$b" | sort | uniq -u | wc -l)" -eq $N ]
}

i=0
while read -r name proto vip port what; do
	sport=$((20000 + 100 * i))
	exchange "$name" "$proto" "$vip" "$port" $sport
	ct_all "$name"
	check "$what: $N of $N answered" all_ok "$name"
	check "$what: flows spread over the backends" spread "$name"
	check "$what: each flow through exactly one node, both nodes used" \
		split_ok "$name" "$vip" "$port" $sport
	i=$((i + 1))
done <<EOF
tcp4 tcp $VIP4 $HTTP_PORT HTTP, IPv4 VIP (IPv4-in-IPv4)
udp4 udp $VIP4 $UDP_PORT UDP, IPv4 VIP (IPv4-in-IPv4)
tcp6 tcp $VIP6 $HTTP_PORT HTTP, IPv6 VIP (IPv6-in-IPv6)
udp6 udp $VIP6 $UDP_PORT UDP, IPv6 VIP (IPv6-in-IPv6)
tcp46 tcp $VIP46 $HTTP_PORT HTTP, IPv4 VIP, IPv6 backends (IPv4-in-IPv6)
udp46 udp $VIP46 $UDP_PORT UDP, IPv4 VIP, IPv6 backends (IPv4-in-IPv6)
EOF

# --- the same flows through one node, the other, both ------------------------------------
# birdc disable closes the node's sessions (a BGP Cease): the router
# withdraws its next hop from every VIP.
alone() { # node: the other node's sessions disabled, wait for the routes
	local other=lb1
	[ "$1" != lb1 ] || other=lb2
	lab_birdc "$other" disable '"up*"' >/dev/null
	lab_birdc "$1" enable '"up*"' >/dev/null
	lab_wait_routes 10 "$1"
}
same_flows() { # phase: UDP flows from ports 26000 + 100 i to each VIP
	local vip i=0
	for vip in "$VIP4" "$VIP6" "$VIP46"; do
		lab_client udp "$vip" "$UDP_PORT" $N --sport $((26000 + 100 * i)) --flows |
			awk -v v="$vip" '$1 == "flow" { print v, $2, $3 }'
		i=$((i + 1))
	done >"$LAB_DIR/flows.$1"
}
for phase in lb1 lb2 both; do
	if [ $phase = both ]; then
		lab_birdc lb1 enable '"up*"' >/dev/null
		lab_birdc lb2 enable '"up*"' >/dev/null
		check "both nodes back: every VIP through lb1 and lb2" lab_wait_routes 10 "lb1 lb2"
	else
		check "$phase alone: the router withdraws the other node from every VIP" alone $phase
	fi
	f1=$(lab_forwarded lb1) f2=$(lab_forwarded lb2)
	same_flows $phase
	d1=$(($(lab_forwarded lb1) - f1)) d2=$(($(lab_forwarded lb2) - f2))
	echo "    $phase: lb1 forwarded $d1 packets, lb2 $d2"
	case $phase in
	lb1) check "lb1 alone: lb1 carried every flow, lb2 none" eval "[ $d1 -gt 0 ] && [ $d2 -eq 0 ]" ;;
	lb2) check "lb2 alone: lb2 carried every flow, lb1 none" eval "[ $d2 -gt 0 ] && [ $d1 -eq 0 ]" ;;
	both) check "both: both nodes carried flows" eval "[ $d1 -gt 0 ] && [ $d2 -gt 0 ]" ;;
	esac
	check "$phase: all $((3 * N)) UDP flows answered" \
		eval "[ \$(grep -vc FAIL $LAB_DIR/flows.$phase) -eq $((3 * N)) ]"
done
check "every flow reached the same backend through lb1, through lb2 and through both" \
	eval "cmp -s $LAB_DIR/flows.lb1 $LAB_DIR/flows.lb2 && cmp -s $LAB_DIR/flows.lb1 $LAB_DIR/flows.both"
check "and those flows spread over the backends" \
	eval "[ \$(cut -d' ' -f3 $LAB_DIR/flows.lb1 | sort -u | wc -l) -ge 2 ]"
