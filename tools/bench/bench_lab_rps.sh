#!/usr/bin/env bash
# tools/bench/bench_lab_rps.sh - HTTP requests per second through one LB
# node of the lab, against the same path through a plain kernel forwarder,
# in the same run.
#
# The lab (tools/lab/lib.sh) with one LB node, lb1, run by lbd (XDP in
# native mode), and one more namespace, fw, linked to the router like lb1
# but forwarding with the kernel (ip_forward, no XDP).  Each backend runs
# tools/lab_httpd (a keep-alive C server: the lab's python servers would
# be the bottleneck) on the VIP, port 8080, a service of lb1 with the
# three backends.  wrk in the client namespace then sends keep-alive GETs
# to the VIP while the router routes it
# - to lb1: client -> router -> lb1 (XDP: Maglev, IP-in-IP, XDP_TX) ->
#   router -> backend (tc decap) -> client (DSR);
# - to fw:  client -> router -> fw (kernel forwarding) -> router (a policy
#   route for what comes back from fw: an ECMP route over the three
#   backends) -> backend -> client (DSR).
# Same links (the router's side of both with the same pass-all XDP
# program), same hops, same servers; the rounds alternate, and the figure
# is the median of each.  Prints both rates and their ratio.
#
# Needs root, BPF and wrk.  Usage: [XLB_BUILD=build] tools/bench/bench_lab_rps.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh

SECS=${BENCH_SECS:-4} ROUNDS=${BENCH_ROUNDS:-3} CONNS=32 PORT=8080
HTTPD=$LAB_BUILD/lab_httpd
command -v wrk >/dev/null || lab_die "wrk not found (run tools/install-deps)"
[ -x "$HTTPD" ] || lab_die "$HTTPD missing (make)"
[ -x "$LBD" ] || lab_die "$LBD missing (make)"

LAB_EXTRA_NODES=fw
FW4=192.0.2.194 RT_FW4=192.0.2.193 # 192.0.2.192/28: below lb2's and lb3's links
FW6=2001:db8:f0::2 RT_FW6=2001:db8:f0::1
lab_names "bench$$"
trap 'lab_down' EXIT
trap 'exit 130' INT TERM
lab_base_up
lab_lbd_up lb1
rt=$(nsname rt)

# The forwarder: forwards, and sends no redirects for what goes back out
# the interface it came in on.
lab_link fw "$LAB_MTU_CORE"
lab_node_net fw "$FW4" "$RT_FW4" "$FW6" "$RT_FW6" 28
nsx "$(nsname fw)" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.eth0.send_redirects=0
# The router's side of fw's link runs the same pass-all XDP program as
# lb1's (lab_offloads: the veth quirk XDP_TX needs), so the links cost the
# same and only what the node does differs.
ip -n "$rt" link set dev fw xdpdrv obj "$XDP_PASS_OBJ" sec xdp
nexthops=()
for b in $(lab_backends); do nexthops+=(nexthop via "$(be4 "${b#b}")" dev "$b"); done
ip -n "$rt" route add "$VIP4/32" table 100 "${nexthops[@]}"
ip -n "$rt" rule add iif fw lookup 100 priority 100

# The service and the servers.
lab_sql_on lb1 "INSERT INTO service (vip, proto, port) VALUES ('$VIP4', 'tcp', $PORT);
	INSERT INTO backend (vip, proto, port, address) SELECT '$VIP4', 'tcp', $PORT, address
		FROM backend WHERE vip = '$VIP4' AND proto = 'tcp' AND port = $HTTP_PORT;"
for b in $(lab_backends); do
	nsx "$(nsname "$b")" "$HTTPD" --name "$b" --port $PORT --ready "$LAB_DIR/$b.httpd" \
		"$VIP4" >"$LAB_DIR/$b.httpd.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
done
for ((t = 0; t < 100; t++)); do # lbd applies the service; the servers listen
	xlbctl services | awk -v p=$PORT '$4 == p { f = 1 } END { exit !f }' &&
		[ "$(find "$LAB_DIR" -maxdepth 1 -name 'b*.httpd' | wc -l)" -eq "$LAB_NBACKENDS" ] && break
	sleep 0.05
done

via() { # lb1 | fw: where the router sends the VIP
	case $1 in
	lb1) ip -n "$rt" route replace "$VIP4/32" via "$LB4" ;;
	fw) ip -n "$rt" route replace "$VIP4/32" via "$FW4" ;;
	esac
}
rps() { # one wrk run: "REQUESTS/S ERRORS"; fails if an answer was not 200
	local out
	out=$(nsx "$(nsname cl)" wrk -t1 -c$CONNS -d"${SECS}s" "http://$VIP4:$PORT/")
	if grep -q "Non-2xx" <<<"$out"; then
		echo "bench_lab_rps: answers other than 200:" >&2
		echo "$out" >&2
		return 1
	fi
	# Socket errors (a timeout on a starved machine) are counted, not fatal.
	awk '/^Requests\/sec:/ { r = $2 }
		/Socket errors:/ { gsub(/,/, ""); e = $4 + $6 + $8 + $10 }
		END { printf "%d %d\n", r, e }' <<<"$out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# A short warm-up through each path: every path answers before timing.
for p in fw lb1; do
	via $p
	nsx "$(nsname cl)" python3 "$LAB_TOOLS/client.py" tcp "$VIP4" $PORT 6 >/dev/null ||
		lab_die "no answer through $p"
done
: >"$LAB_DIR/rps.fw"
: >"$LAB_DIR/rps.lb1"
for ((r = 0; r < ROUNDS; r++)); do
	for p in fw lb1; do
		via $p
		rps >>"$LAB_DIR/rps.$p"
	done
done
fw=$(cut -d' ' -f1 "$LAB_DIR/rps.fw" | median)
xdp=$(cut -d' ' -f1 "$LAB_DIR/rps.lb1" | median)
errs() { awk '{ e += $2 } END { print e + 0 }' "$LAB_DIR/rps.$1"; }
fwd=$(xlbctl stats | awk '$1 == "forwarded" { print $2 }')
echo "HTTP keep-alive GETs, wrk -c$CONNS, ${SECS} s x $ROUNDS rounds per path (medians):"
echo "  through lb1 (XDP, IP-in-IP, DSR):      $xdp requests/s  (rounds:" \
	"$(cut -d' ' -f1 "$LAB_DIR/rps.lb1" | paste -sd' '); socket errors $(errs lb1))"
echo "  through a kernel forwarder (baseline): $fw requests/s  (rounds:" \
	"$(cut -d' ' -f1 "$LAB_DIR/rps.fw" | paste -sd' '); socket errors $(errs fw))"
awk -v x="$xdp" -v f="$fw" 'BEGIN { printf "  ratio xlb / kernel forwarder: %.2fx\n", x / f }'
echo "  (lb1 forwarded $fwd packets)"
