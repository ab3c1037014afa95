# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lib.sh - what bench_hcd.sh and bench_hcd_steady.sh share: a temp folder
# and every process they start, removed and stopped on every exit path
# (also Ctrl-C); the responder; state databases of the real schema; the
# figures out of "key=value" lines.  Sourced, not run (run-all runs only
# tools/bench/bench_*.sh).

HB_BUILD=${XLB_BUILD:-build}
HB_DIR=
HB_PIDS=()      # every process started, stopped at exit
HB_NAME=bench_hcd

hb_log() { echo "$HB_NAME: $*" >&2; }
hb_die() { hb_log "$*"; exit 1; }

hb_cleanup() {
	local p
	for p in "${HB_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${HB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	HB_PIDS=()
	[ -n "$HB_DIR" ] && rm -rf "$HB_DIR"
}

# Sets the name, the temp folder and the traps; checks the programs.
hb_init() { # name
	HB_NAME=$1
	HB_DIR=$(mktemp -d "/tmp/xlb-$1-XXXXXX") || exit 1
	trap hb_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	local b
	for b in hc_responder lbd; do
		[ -x "$HB_BUILD/$b" ] || hb_die "$HB_BUILD/$b is not built (make BUILD=$HB_BUILD)"
	done
	command -v node >/dev/null || hb_die "node is not installed"
	command -v sqlite3 >/dev/null || hb_die "sqlite3 is not installed"
}

# Forgets a pid that has been waited for.
hb_forget() { # pid
	local p keep=()
	for p in "${HB_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	HB_PIDS=("${keep[@]}")
}

# Sleeps, or runs a command with its output into a file, in the background
# and waits for it: a trapped signal (SIGTERM, Ctrl-C) interrupts `wait` at
# once, where a foreground child would hold the trap until it ends.
hb_sleep() { # seconds
	sleep "$1" &
	hb_wait_bg $!
}
hb_run() { # output-file command args...
	local out=$1
	shift
	"$@" >"$out" &
	hb_wait_bg $!
}
hb_wait_bg() { # pid
	local rc
	HB_PIDS+=("$1")
	wait "$1"
	rc=$?
	hb_forget "$1"
	return $rc
}

# Starts hc_responder with its arguments; waits until it listens.  Sets
# HB_RESP (its pid), HB_RESP_WORKERS (array: the workers' pids),
# HB_RESP_LOG.  Each run takes its own 127.B.0.0/16 (B random), and
# another when an address is taken, so two benchmarks at once never
# share a target.  As root its workers run at nice -10: they stand for
# backends on machines of their own, and a busy machine must not starve
# them first (then the probers would measure the responder).
hb_responder_start() { # list-file responder-args...
	local try
	for ((try = 0; try < 8; try++)); do
		hb_responder_try "$@" && return
		grep -qs 'in use' "$HB_RESP_LOG.err" || break
	done
	hb_die "hc_responder did not start: $(cat "$HB_RESP_LOG.err")"
}

hb_responder_try() { # list-file responder-args...
	local list=$1 t nice=()
	shift
	[ "$EUID" = 0 ] && nice=(--nice -10)
	HB_RESP_LOG=$HB_DIR/responder.$$.$RANDOM
	"$HB_BUILD/hc_responder" --list "$list" --base "127.$((RANDOM % 250 + 2)).0.1" \
		"${nice[@]}" "$@" >"$HB_RESP_LOG.out" 2>"$HB_RESP_LOG.err" &
	HB_RESP=$!
	HB_PIDS+=("$HB_RESP")
	for ((t = 0; t < 600; t++)); do
		grep -qs ready "$HB_RESP_LOG.out" && break
		kill -0 "$HB_RESP" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -qs ready "$HB_RESP_LOG.out"; then
		hb_wait_bg "$HB_RESP"
		return 1
	fi
	# shellcheck disable=SC2034 # read by the benchmarks
	read -r -a HB_RESP_WORKERS <<<"$(sed 's/.*(pids //; s/)//' "$HB_RESP_LOG.out")"
}

# Stops the responder; its last counters line into HB_RESP_STATS (not in
# a subshell: only this shell can wait for it).
hb_responder_stop() {
	kill -TERM "$HB_RESP" 2>/dev/null
	wait "$HB_RESP" 2>/dev/null
	hb_forget "$HB_RESP"
	HB_RESP_STATS=$(grep 'hc_responder stats' "$HB_RESP_LOG.err" | tail -1)
	HB_RESP_STATS=${HB_RESP_STATS#hc_responder stats: }
}

# A state database of the real schema (lbd creates and migrates it; with
# no node row it stops there, as intended), then SQL from stdin imported
# with the sqlite3 tool in one transaction, as an operator would.
hb_db() { # file
	"$HB_BUILD/lbd" --db "$1" --check >/dev/null 2>&1
	[ "$(sqlite3 "$1" 'PRAGMA user_version')" -ge 1 ] 2>/dev/null ||
		hb_die "lbd did not create $1"
	{ echo "BEGIN;"; cat; echo "COMMIT;"; } | sqlite3 -bail "$1" >/dev/null ||
		hb_die "importing the checks into $1 failed"
}

# SQL for backend rows: one per line of a target list ("ADDRESS PORT"),
# in the service (VIP, tcp, PORT); and the services of every port.
hb_sql_services() { # vip check list-file
	awk -v vip="$1" -v chk="$2" '!seen[$2]++ {
		printf "INSERT INTO service (vip, proto, port, health_check) VALUES (\x27%s\x27, \x27tcp\x27, %d, \x27%s\x27);\n", vip, $2, chk }' "$3"
}
hb_sql_backends() { # vip list-file
	awk -v vip="$1" '{
		printf "INSERT INTO backend (vip, proto, port, address, backend_port) VALUES (\x27%s\x27, \x27tcp\x27, %d, \x27%s\x27, %d);\n", vip, $2, $1, $2 }' "$2"
}

# The value of key in a "... key=value ..." line.
hb_field() { # line key
	sed -n "s/.*[ :]$2=\([^ ]*\).*/\1/p" <<<"$1"
}

# CPU time (user + system, clock ticks) of processes; their threads count.
hb_ticks() { # pid...
	local p t=0 f
	for p in "$@"; do
		# After "pid (comm) ": state is f[0], utime f[11], stime f[12].
		read -r -a f <<<"$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)"
		[ ${#f[@]} -gt 12 ] && t=$((t + f[11] + f[12]))
	done
	echo "$t"
}

# The median of numbers.
hb_median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Load average and what else ran: figures on a shared machine need it.
hb_load() { cut -d' ' -f1-3 /proc/loadavg; }
