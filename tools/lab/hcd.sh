# shellcheck shell=bash
# tools/lab/hcd.sh - hcd in the lab, as functions; sourced after lib.sh
# (which starts hcd with lab_hcd_start and waits with lab_wait_health).
#
# Times come from hcd's log: each line starts with the UTC time of day in
# milliseconds, and these helpers read the clock the same way, so "how
# long until hcd said down" is measured on one clock.

# The UTC time of day in milliseconds, as hcd's log lines carry it.
hcd_lab_now_ms() {
	local t
	t=$(date -u +%H:%M:%S.%3N)
	hcd_lab_ms "$t"
}

# HH:MM:SS.mmm -> milliseconds since midnight.
hcd_lab_ms() {
	local h m s ms
	IFS=':.' read -r h m s ms <<<"$1"
	echo $(((10#$h * 3600 + 10#$m * 60 + 10#$s) * 1000 + 10#$ms))
}

# The time (ms) of the first log line of lbN's hcd, after line number
# FROM, saying ADDR's CHECK went STATE; empty if none yet.
hcd_lab_said_at() { # lbN from addr check up|down
	local line
	line=$(tail -n +"$(($2 + 1))" "$LAB_DIR/$1/hcd.log" |
		grep -m1 " hcd info: $3 [0-9]* $4: $5 " || true)
	[ -n "$line" ] && hcd_lab_ms "${line%% *}"
}

# Lines in lbN's hcd log so far (for hcd_lab_said_at's FROM).
hcd_lab_log_lines() { wc -l <"$LAB_DIR/$1/hcd.log"; }

# Waits up to SECONDS for hcd_lab_said_at; prints the time, fails if never.
hcd_lab_wait_said() { # lbN from addr check up|down seconds
	local t at
	for ((t = 0; t < $6 * 50; t++)); do
		at=$(hcd_lab_said_at "$1" "$2" "$3" "$4" "$5")
		[ -n "$at" ] && { echo "$at"; return 0; }
		sleep 0.02
	done
	return 1
}

# backend_health as lbd recorded it for ADDR and CHECK on lbN.
hcd_lab_recorded() { # lbN addr check
	lab_sql_on "$1" "SELECT status FROM backend_health WHERE address = '$2'
		AND backend_port = 0 AND health_check = '$3'"
}

# Waits until lbd on lbN recorded ADDR's CHECK as STATUS.
hcd_lab_wait_recorded() { # lbN addr check status seconds
	local t
	for ((t = 0; t < $5 * 20; t++)); do
		[ "$(hcd_lab_recorded "$1" "$2" "$3")" = "$4" ] && return 0
		sleep 0.05
	done
	return 1
}

# Backend N's servers (HTTP and UDP, on the VIPs and its own addresses)
# killed, as a crashed server would be: the process ends, its ports close.
hcd_lab_kill_server() { # N
	local pid
	pid=$(cat "$LAB_DIR/b$1.pid")
	kill -9 "$pid" 2>/dev/null || true
	# The lab shell started it: reaping it here keeps bash's "Killed"
	# notice out of the output.
	{ wait "$pid"; } 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
}

# Backend N's servers started again, listening when this returns.
hcd_lab_start_server() { # N
	lab_backend_start "b$1"
	lab_backend_wait "b$1"
}

# hcd on lbN stopped with SIGTERM; its exit status.
hcd_lab_stop() { # lbN
	local pid rc=0
	pid=$(cat "$LAB_DIR/$1/hcd.pid")
	kill "$pid" 2>/dev/null || return 0
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}
