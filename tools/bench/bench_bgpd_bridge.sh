#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench_bgpd_bridge - how long a VIP's route takes to leave (and come back
# to) a real router's RIB once its last usable backend is gone (is back),
# through xlb: one UPDATE of the backend rows in the real database, lbd's
# pass, VIP_READY, bgpd-bridge (coalescing, then BIRD's include file and
# `configure`, or FRR's vtysh), the speaker's UPDATE to the router.
#
# Baseline, in the same run, on the same namespaces, speaker and router:
# the speaker told directly, with nothing of xlb in the path — BIRD: the
# include file rewritten and `birdc configure`; FRR: `vtysh -c 'no network
# ...'` (and back).  That is the floor the speaker and BGP set; the ratio
# says what lbd and bgpd-bridge add to it.  Each figure is the median (and
# 90th percentile) of TRIALS withdrawals and TRIALS announcements, timed
# from the moment the change starts to the first look at the router's RIB
# (birdc, every 5 ms) that shows it.  Target (issue 6): withdrawn at the
# router within 1 s.
#
# Environment: XLB_BUILD (default build), BENCH_BGPD_TRIALS (default 20).
# Needs root, BPF, bird2 and frr (the lab test's setup, tests/lab/bgpd_lab.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
BGPD_LAB_NAME=bench_bgpd_bridge
BGPD_LAB_ID=b$$
BGPD_LAB_POLL_S=0.005
# shellcheck source=tests/lab/bgpd_lab.sh
source tests/lab/bgpd_lab.sh
TRIALS=${BENCH_BGPD_TRIALS:-20}

trap 'bgpd_lab_down' EXIT
trap 'exit 130' INT TERM
set -e

# Runs the command, then waits until the router has (want=1) or has not
# (want=0) VIP4; prints the milliseconds from the command's start.
timed() { # want cmd...
	local want=$1 t0 t
	shift
	t0=$(ms)
	"$@" >/dev/null
	while :; do
		if rt_has "$VIP4/32"; then [ "$want" = 1 ] && break; else [ "$want" = 0 ] && break; fi
		t=$(($(ms) - t0))
		[ "$t" -lt 10000 ] || die "VIP4 did not $([ "$want" = 1 ] && echo come || echo go) in 10 s"
		sleep "$POLL_S"
	done
	echo $(($(ms) - t0))
}

# "median p90" of the numbers on standard input.
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]
		printf "%g %g\n", m, p }'
}

# TRIALS withdrawals and announcements: "withdraw_median p90 announce_median p90".
trials() { # down-cmd up-cmd
	local i w=() a=()
	for ((i = 0; i < TRIALS; i++)); do
		w+=("$(timed 0 "$1")")
		sleep 0.05
		a+=("$(timed 1 "$2")")
		sleep 0.05
	done
	echo "$(printf '%s\n' "${w[@]}" | stats) $(printf '%s\n' "${a[@]}" | stats)"
}

report() { # speaker xlb-figures direct-figures
	local xw xwp xa xap dw dwp da dap
	read -r xw xwp xa xap <<<"$2"
	read -r dw dwp da dap <<<"$3"
	printf '%s withdraw: %s ms median (p90 %s) through lbd + bgpd-bridge, %s ms (p90 %s) told directly: ratio %.2f; target <= 1000 ms: %s\n' \
		"$1" "$xw" "$xwp" "$dw" "$dwp" "$(awk -v a="$xw" -v b="$dw" 'BEGIN { print a / b }')" \
		"$(awk -v v="$xw" 'BEGIN { print v <= 1000 ? "met" : "MISSED" }')"
	printf '%s announce: %s ms median (p90 %s) through lbd + bgpd-bridge, %s ms (p90 %s) told directly: ratio %.2f\n' \
		"$1" "$xa" "$xap" "$da" "$dap" "$(awk -v a="$xa" -v b="$da" 'BEGIN { print a / b }')"
}

# The xlb path: one UPDATE of the VIP's backend rows.
xlb_down() { set_backends "$VIP4" maint; }
xlb_up() { set_backends "$VIP4" active; }

# BIRD told directly: the include file without (with) the VIP, configure.
bird_direct() { # 0|1
	local f=$INC/vips4.conf
	grep -v "^route $VIP4/32 " "$f" >"$f.new"
	[ "$1" = 0 ] || echo "route $VIP4/32 blackhole;" >>"$f.new"
	mv "$f.new" "$f"
	birdc -s "$DIR/lb.ctl" configure
}
bird_down() { bird_direct 0; }
bird_up() { bird_direct 1; }

# FRR told directly, the statement bgpd-bridge would send.
frr_down() { vtysh_lb $'configure terminal\nrouter bgp 65001\naddress-family ipv4 unicast\nno network '"$VIP4"'/32 route-map XLB-VIP'; }
frr_up() { vtysh_lb $'configure terminal\nrouter bgp 65001\naddress-family ipv4 unicast\nnetwork '"$VIP4"'/32 route-map XLB-VIP'; }

require
topology
lbd_up
router_conf >"$DIR/rt.conf"
lb_bird_conf >"$DIR/lb.conf"
start_bird "$NS_RT" rt
start_bird "$NS_LB" lb
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $TRIALS trials each"

# --- BIRD --------------------------------------------------------------------------------
bird_bridge bridge.log
within "$(wait_rt 1 "$VIP4/32" 20000)" 20000 || die "BIRD: VIP4 never announced"
xlb=$(trials xlb_down xlb_up)
stop_bridge || true # withdraws: the direct runs start from nothing
bird_up >/dev/null
within "$(wait_rt 1 "$VIP4/32" 5000)" 5000 || die "BIRD: VIP4 not back"
direct=$(trials bird_down bird_up)
report "BIRD" "$xlb" "$direct"

# --- FRR ----------------------------------------------------------------------------------
kill "$(cat "$DIR/lb.pid")"
mkdir -p "$DIR/frr"
frr_conf >"$DIR/frr/bgpd.conf"
start_frr
frr_bridge bridge-frr.log
within "$(wait_rt 1 "$VIP4/32" 20000)" 20000 || die "FRR: VIP4 never announced"
xlb=$(trials xlb_down xlb_up)
stop_bridge || true
frr_up >/dev/null
within "$(wait_rt 1 "$VIP4/32" 10000)" 10000 || die "FRR: VIP4 not back"
direct=$(trials frr_down frr_up)
report "FRR" "$xlb" "$direct"
