#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# bench_hcd - LINE's health-checker benchmark (seed 002) against the real
# hcd: N concurrent HTTP probes to N distinct loopback targets, 3 s
# timeout, N = 3,000 / 8,000 / 16,000 / 28,000; wall time to complete all,
# CPU time, false timeouts.
#
# Per N: hc_responder listens on N targets (127.1.0.1.. x ports
# 8000-8099, one listening socket each, over several processes), a state
# database of the real schema gets one HTTP check (GET /, 3 s timeout) and
# one backend row per target, and in the same run, RUNS times each (the
# median wall, the CPU of that run, the timeouts of every run):
#   hcd --once       the real hcd (--threads = CPUs, its default), its
#                    own line (probing only: after reading the database)
#   C minimal        tools/bench/probers/prober.c, as many processes: about
#                    the least a prober does (non-blocking connect, GET,
#                    read to end, one epoll loop each, no scheduling or
#                    state); its CPU is mostly the kernel's cost of the
#                    loopback exchanges.  Not a strict lower bound: a
#                    checker that closes differently or batches better
#                    can beat it
#   Node.js          prober.js, plain node, as many processes
#   Python asyncio   prober.py, one process (LINE's shape)
# Every target answers at once (the responder's counters are printed), so
# every timeout is a false one.  Beside each run: the packets the
# loopback's per-CPU backlog dropped meanwhile (/proc/net/softnet_stat;
# netdev_max_backlog is 1,000 here): a prober that connects in bursts
# beyond it loses SYNs, each a second's retransmission.  Each prober caps its probes in flight
# below the 20,000-descriptor limit (hcd chooses its own cap).  Ratios are
# hcd's figure over the other's (below 1: hcd is faster / uses less).
# LINE's figures (Rust tokio, Go, Python asyncio; their machine, their
# responder) are printed beside, for reference only.  Target: 28,000 in at
# most 1 s with zero false timeouts.
#
# The responder, the probers and hcd share the machine's CPUs: both sides
# of every loopback exchange are spent here, so hcd's run cannot take less
# than (hcd's CPU + the responder's CPU in that run) / CPUs, printed as
# the machine bound.  The load average before each size is printed: other
# work on the machine moves every figure.
#
# Environment: XLB_BUILD (default build), BENCH_HCD_SIZES, BENCH_HCD_RUNS
# (default 3), BENCH_HCD_THREADS (default: CPUs), BENCH_HCD_PYTHON=0 skips
# Python (slow: ~15 s a run at 28,000).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tools/bench/probers/lib.sh
. tools/bench/probers/lib.sh

SIZES=${BENCH_HCD_SIZES:-3000 8000 16000 28000}
RUNS=${BENCH_HCD_RUNS:-3}
THREADS=${BENCH_HCD_THREADS:-$(nproc)}
PYTHON=${BENCH_HCD_PYTHON:-1}
TIMEOUT_MS=3000
TCK=$(getconf CLK_TCK)
CHECK=bench-http
declare -A LINE_RUST=([3000]=0.63 [8000]=1.08 [16000]=1.98 [28000]=3.34)
declare -A LINE_GO=([3000]=0.96 [8000]=1.38 [16000]=2.43 [28000]=4.03)
declare -A LINE_PY=([3000]=2.65 [8000]=6.04 [16000]=10.0 [28000]=16.4)

hb_init bench_hcd
HCD=$HB_BUILD/hcd
[ -x "$HCD" ] || hb_die "$HCD is not built (make BUILD=$HB_BUILD)"
MINIMAL=$HB_DIR/prober_c
${CC:-gcc} -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	tools/bench/probers/prober.c -o "$MINIMAL" || hb_die "prober.c does not build"
rc=0

# Packets the loopback's per-CPU backlog dropped (netdev_max_backlog, 1,000
# here): a burst of connects beyond it loses SYNs, each a second's
# retransmission, the usual cause of false timeouts on loopback.
backlog_drops() {
	local n=0 dropped rest
	while read -r _ dropped rest; do
		n=$((n + 16#$dropped))
	done </proc/net/softnet_stat
	echo "$n"
}

# One run of one prober (the program itself in the background, so a
# signal stops it at once): its "... probes=..." line, with the backlog's
# drops and the responder's CPU (ms) meanwhile added, appended to
# LINES[key].
run_one() { # key command args...
	local key=$1 d0 r0 line
	shift
	d0=$(backlog_drops) r0=$(hb_ticks "${HB_RESP_WORKERS[@]}")
	hb_run "$HB_DIR/out" "$@" 2>"$HB_DIR/err"
	line=$(grep -m1 'probes=' "$HB_DIR/out")
	if [ -z "$line" ]; then
		hb_log "$key gave no result line: $(tail -3 "$HB_DIR/err")"
		return
	fi
	line+=" backlog_drops=$(($(backlog_drops) - d0))"
	line+=" responder_ms=$((($(hb_ticks "${HB_RESP_WORKERS[@]}") - r0) * 1000 / TCK))"
	LINES[$key]+="$line"$'\n'
}

# Per prober of this size: the lines of its runs.
declare -A LINES

# One prober's row from its runs: median wall, the CPU of the median run,
# timeouts and downs of every run.  Sets ROW_WALL / ROW_CPU / ROW_RESP
# (ms; the last the responder's CPU in that run) and ROW_CLEAN (1 when no
# run had a timeout or a down).
row() { # name n
	local name=$1 n=$2 l walls=() med w c="" rs="" to="" dn="" dr="" probes ok=1
	ROW_WALL='' ROW_CPU='' ROW_RESP='' ROW_CLEAN=0
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		walls+=("$(hb_field "$l" wall_ms)")
	done <<<"${LINES[$name]}"
	if [ ${#walls[@]} -eq 0 ]; then
		printf '    %-18s no result\n' "$name"
		return
	fi
	med=$(hb_median "${walls[@]}")
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		w=$(hb_field "$l" wall_ms)
		probes=$(hb_field "$l" probes)
		to+="${to:+,}$(hb_field "$l" timeouts)"
		dn+="${dn:+,}$(hb_field "$l" down)"
		dr+="${dr:+,}$(hb_field "$l" backlog_drops)"
		[ "$(hb_field "$l" timeouts)" = 0 ] && [ "$(hb_field "$l" down)" = 0 ] &&
			[ "$probes" = "$n" ] || ok=0
		if [ -z "$c" ] && [ "$w" = "${med%.*}" ]; then
			c=$(hb_field "$l" cpu_ms) rs=$(hb_field "$l" responder_ms)
		fi
	done <<<"${LINES[$name]}"
	if [ -z "$c" ]; then # an even number of runs: the first one's
		l=$(head -1 <<<"${LINES[$name]}")
		c=$(hb_field "$l" cpu_ms) rs=$(hb_field "$l" responder_ms)
	fi
	ROW_WALL=$med ROW_CPU=$c ROW_RESP=$rs ROW_CLEAN=$ok
	printf '    %-18s %8.2f s %8.2f s   %-18s %-10s %s\n' "$name" \
		"$(awk -v v="$med" 'BEGIN { print v / 1000 }')" \
		"$(awk -v v="$c" 'BEGIN { print v / 1000 }')" "$to" "$dn" "$dr"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

print_intro() {
	cat <<EOF
bench_hcd: N concurrent HTTP GETs to N distinct loopback targets (hc_responder), 3 s
  timeout; real hcd --once (--threads $THREADS) beside, in the same run, a minimal
  C prober ($THREADS procs), Node.js ($THREADS procs) and Python asyncio (1 proc).
  Median wall of $RUNS runs, CPU of that run, timeouts / downs / loopback backlog
  drops of every run (every target answers at once: each timeout is a false one).
  Ratios: hcd / other.
  LINE (seed 002, their machine): Rust 0.63/1.08/1.98/3.34 s, Go 0.96/1.38/2.43/4.03 s,
  Python 2.65/6.04/10.0/16.4 s for 3,000/8,000/16,000/28,000.
  Target: 28,000 in <= 1 s with zero false timeouts.  $(nproc) CPUs.
EOF
}

# The rows of one size, hcd's ratios, LINE's figures, the target.
report_size() { # n
	local n=$1 hw hc hr=0 hclean=0 name key
	local -A W C
	for key in hcd minimal node python; do
		case $key in
		hcd) name="hcd --once" ;;
		minimal) name="C minimal" ;;
		node) name="Node.js" ;;
		python) name="Python asyncio" ;;
		esac
		[ -n "${LINES[$key]:-}" ] || continue
		LINES[$name]=${LINES[$key]}
		row "$name" "$n"
		W[$key]=$ROW_WALL C[$key]=$ROW_CPU
		[ "$key" = hcd ] && hclean=$ROW_CLEAN hr=${ROW_RESP:-0}
	done
	hw=${W[hcd]:-} hc=${C[hcd]:-}
	if [ -z "$hw" ]; then
		echo "    hcd: no result"
		rc=1
		return
	fi
	# Both sides of every exchange run here: hcd's run cannot end before
	# its CPU and the responder's have been spent on these CPUs.
	awk -v h="$hc" -v r="$hr" -v n="$(nproc)" 'BEGIN {
		printf "    machine bound for hcd'"'"'s run: (hcd %.2f s + responder %.2f s CPU) / %d CPUs = %.2f s\n",
			h / 1000, r / 1000, n, (h + r) / 1000 / n }'
	for key in minimal node python; do
		[ -n "${W[$key]:-}" ] || continue
		printf '    hcd / %-13s wall %s  CPU %s\n' "$key" "$(ratio "$hw" "${W[$key]}")" \
			"$(ratio "$hc" "${C[$key]}")"
	done
	printf '    LINE: Rust %s s, Go %s s, Python %s s -> hcd / Rust %s, / Go %s\n' \
		"${LINE_RUST[$n]:--}" "${LINE_GO[$n]:--}" "${LINE_PY[$n]:--}" \
		"$(ratio "$hw" "$(awk -v v="${LINE_RUST[$n]:-0}" 'BEGIN { print v * 1000 }')")" \
		"$(ratio "$hw" "$(awk -v v="${LINE_GO[$n]:-0}" 'BEGIN { print v * 1000 }')")"
	if [ "$n" = 28000 ]; then
		if [ "$hclean" = 1 ] && awk -v w="$hw" 'BEGIN { exit !(w <= 1000) }'; then
			echo "    target 28,000 in <= 1 s, zero false timeouts: MET"
		else
			echo "    target 28,000 in <= 1 s, zero false timeouts: NOT MET"
		fi
	fi
}

main() {
	local n
	print_intro
	for n in $SIZES; do
		LOAD=$(hb_load)
		local list=$HB_DIR/targets-$n db=$HB_DIR/hcd-$n.db r
		hb_responder_start "$list" --targets "$n"
		{
			echo "INSERT INTO health_check (name, type, path, interval_ms, timeout_ms)" \
				"VALUES ('$CHECK', 'http', '/', 5000, $TIMEOUT_MS);"
			hb_sql_services 192.0.2.1 "$CHECK" "$list"
			hb_sql_backends 192.0.2.1 "$list"
		} | hb_db "$db"
		LINES=()
		for ((r = 0; r < RUNS; r++)); do
			run_one hcd "$HCD" --db "$db" --rundir "$HB_DIR/run" \
				--threads "$THREADS" --once
			run_one minimal "$MINIMAL" --targets "$list" \
				--timeout-ms $TIMEOUT_MS --procs "$THREADS"
			run_one node node tools/bench/probers/prober.js --targets "$list" \
				--timeout-ms $TIMEOUT_MS --procs "$THREADS"
			[ "$PYTHON" = 1 ] && run_one python python3 tools/bench/probers/prober.py \
				--targets "$list" --timeout-ms $TIMEOUT_MS
		done
		hb_responder_stop
		printf '  N = %s (load average before: %s)\n' "$n" "$LOAD"
		printf '    responder: %s\n' "$HB_RESP_STATS"
		printf '    %-18s %10s %10s   %-18s %-10s %s\n' prober wall CPU timeouts down \
			"backlog drops"
		report_size "$n"
		rm -f "$db" "$db"-* "$list"
	done
	return $rc
}

main
