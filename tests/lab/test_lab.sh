#!/usr/bin/env bash
# tests/lab/test_lab.sh - xlb end to end in network namespaces (tools/lab/).
#
# Real TCP (HTTP) and UDP from a client to an IPv4 VIP (IPv4-in-IPv4), an
# IPv6 VIP (IPv6-in-IPv6) and an IPv4 VIP with IPv6 backends (IPv4-in-IPv6)
# cross the XDP program in native mode and come back by direct server
# return.  Asserts that every exchange succeeds, that requests spread over
# the backends, that lb1 sees the requests and nothing else (every packet it
# sends is an XDP_TX frame, every answer reaches the client from a backend's
# link), that the datapath counters agree with the packets that crossed,
# and that a backend taken down gets no new flows and loses its pinned ones.
#
# Needs root and BPF; fails (never skips) without them.  Every request uses
# a known source port (client.py --sport) so the test knows which flows are
# new.  Usage: [XLB_BUILD=build] tests/lab/test_lab.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tools/lab/lib.sh
source tools/lab/lib.sh

N=12 # requests per (VIP, protocol): all on one backend by chance: 3^-11
# shellcheck source=tests/lab/checks.sh
source tests/lab/checks.sh
equal() { # got expected [what]
	[ "$1" -eq "$2" ] && return 0
	echo "    ${3:-value}: expected $2, got $1" >&2
	return 1
}

# Runs on every exit: a run that did not reach its end (setup failed, an
# unexpected error, Ctrl-C) counts as a failure.  A signal can land while a
# command's output is redirected to a file: the report goes to the saved
# original outputs (fds 3 and 4).
exec 3>&1 4>&2
finish() {
	local rc=$?
	exec 1>&3 2>&4
	# The teardown must complete: a second Ctrl-C (or a signal sent to the
	# whole process group, as timeout(1) does) must not cut it short.
	trap - EXIT
	trap '' INT TERM
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	lab_down
	echo "[==========] test_lab: $passed passed, $failed failed"
	exit $((failed > 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

lab_names "t$$"
lab_up
echo "[==========] lab $LAB_ID up"

# --- helpers over snapshots --------------------------------------------------------
SNAP=$LAB_DIR/snap
d() { lab_delta "$SNAP.$1" "$SNAP.$2" "$3"; } # d before after counter
snap() { lab_snapshot >"$SNAP.$1"; }
sum_d() { # before after counter... -> sum of deltas
	local a=$1 b=$2 n t=0; shift 2
	for n in "$@"; do t=$((t + $(d "$a" "$b" "$n"))); done
	echo "$t"
}
svc_counters() { lab_service_ids | sed "s/.*/service.&.$1/"; }   # one counter, every service
be_counters() { be_entries "$1" | sed 's/.*/backend.&.packets/'; } # backend N's packets

# Runs the client; saves its summary line to $LAB_DIR/out.NAME.
exchange() { # name proto vip port count sport
	lab_client "$2" "$3" "$4" "$5" --sport "$6" >"$LAB_DIR/out.$1" || true
	cat "$LAB_DIR/out.$1"
}
all_ok() { grep -q " ok=$2/$2 " "$LAB_DIR/out.$1"; }
answered_by() { grep -o "b[0-9]*=[0-9]*" "$LAB_DIR/out.$1" | cut -d= -f1; }
spread() { [ "$(answered_by "$1" | wc -l)" -ge 2 ]; }
not_by() { ! answered_by "$1" | grep -qx "$2"; }
all_ok_not_by() { all_ok "$1" "$2" && not_by "$1" "$3"; } # name count backend

# --- 1: every kind of exchange ------------------------------------------------------
snap 0
i=0
while read -r name proto vip port; do
	exchange "$name" "$proto" "$vip" "$port" "$N" $((20000 + 100 * i))
	i=$((i + 1))
done <<EOF
tcp4 tcp $VIP4 $HTTP_PORT
udp4 udp $VIP4 $UDP_PORT
tcp6 tcp $VIP6 $HTTP_PORT
udp6 udp $VIP6 $UDP_PORT
tcp46 tcp $VIP46 $HTTP_PORT
udp46 udp $VIP46 $UDP_PORT
EOF
snap 1

check "HTTP over TCP to the IPv4 VIP (IPv4-in-IPv4)" all_ok tcp4 $N
check "UDP to the IPv4 VIP (IPv4-in-IPv4)" all_ok udp4 $N
check "HTTP over TCP to the IPv6 VIP (IPv6-in-IPv6)" all_ok tcp6 $N
check "UDP to the IPv6 VIP (IPv6-in-IPv6)" all_ok udp6 $N
check "HTTP over TCP to the IPv4 VIP with IPv6 backends (IPv4-in-IPv6)" all_ok tcp46 $N
check "UDP to the IPv4 VIP with IPv6 backends (IPv4-in-IPv6)" all_ok udp46 $N
for name in tcp4 udp4 tcp6 udp6 tcp46 udp46; do
	check "$name: $N flows spread over at least 2 of 3 backends" spread "$name"
done

fwd=$(d 0 1 forwarded)
check "lb1 forwarded every packet the client sent, nothing else" \
	equal "$fwd" "$(d 0 1 if.cl.eth0.tx)" "forwarded vs client tx"
check "lb1 received only those packets (no answer reached it)" \
	equal "$(d 0 1 if.lb1.eth0.rx)" "$fwd" "lb1 rx vs forwarded"
check "lb1 sent only XDP_TX frames, one per forwarded packet" \
	equal "$(d 0 1 if.lb1.eth0.tx)" "$(d 0 1 xdp_tx.lb1)" "lb1 tx vs XDP_TX" &&
	equal "$(d 0 1 xdp_tx.lb1)" "$fwd" "XDP_TX vs forwarded"
check "backends decapsulated every forwarded packet" \
	equal "$(sum_d 0 1 decap.b1 decap.b2 decap.b3)" "$fwd" "decapsulated vs forwarded"
replies=$(d 0 1 if.cl.eth0.rx)
check "every answer reached the client from a backend's link (DSR), $replies answers" \
	equal "$(sum_d 0 1 if.rt.b1.rx if.rt.b2.rx if.rt.b3.rx)" "$replies" "router rx from backends vs client rx"
check "answers were sent (client received > 0 packets)" [ "$replies" -gt 0 ]

# --- 2: the datapath's own counters ------------------------------------------------------
# shellcheck disable=SC2046
{
check "one new flow per request" \
	equal "$(sum_d 0 1 $(svc_counters new_flows))" $((6 * N)) "new flows"
check "every other packet hit the connection table" \
	equal "$(d 0 1 ct_hit)" $((fwd - 6 * N)) "ct_hit"
check "service packets add up to forwarded" \
	equal "$(sum_d 0 1 $(svc_counters packets))" "$fwd" "service packets"
for b in 1 2 3; do
	check "b$b: backend entry packets = packets b$b decapsulated" \
		equal "$(sum_d 0 1 $(be_counters $b))" "$(d 0 1 decap.b$b)" "b$b"
done
check "no drops, passes, reschedules or decap failures" equal \
	"$(sum_d 0 1 $(svc_counters drops) passed parse_err no_service no_backend ct_resched \
		encap_fail decap_failed.b1 decap_failed.b2 decap_failed.b3)" 0 "sum"
}

# --- 3: a backend taken down --------------------------------------------------------------
# The backend serving one pinned UDP flow goes down: that flow moves, and no
# new flow of any service reaches the backend.
exchange pin udp "$VIP4" "$UDP_PORT" 1 30000 >/dev/null
victim=$(answered_by pin)
n=${victim#b}
echo "[----------] taking $victim down"
snap 2
lab_backend_down "$n"
exchange pin2 udp "$VIP4" "$UDP_PORT" 1 30000
i=0
while read -r name proto vip port; do
	exchange "$name" "$proto" "$vip" "$port" "$N" $((40000 + 100 * i))
	i=$((i + 1))
done <<EOF
dtcp4 tcp $VIP4 $HTTP_PORT
dudp6 udp $VIP6 $UDP_PORT
dtcp46 tcp $VIP46 $HTTP_PORT
EOF
snap 3
check "the flow pinned to $victim is answered by another backend" \
	all_ok_not_by pin2 1 "$victim"
check "that flow was rescheduled (ct_resched)" equal "$(d 2 3 ct_resched)" 1 ct_resched
for name in dtcp4 dudp6 dtcp46; do
	check "$name: all $N new flows answered, none by $victim" \
		all_ok_not_by "$name" $N "$victim"
done
# shellcheck disable=SC2046
check "$victim's entries forwarded nothing, it decapsulated nothing" \
	equal "$(sum_d 2 3 $(be_counters "$n") "decap.$victim")" 0 "$victim packets"
