# shellcheck shell=bash
# tests/lab/checks.sh - the lab tests' checks, sourced: each prints one
# cmocka-like line and counts it; the test's end prints the totals.
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "[       OK ] $1"; }
bad() { failed=$((failed + 1)); echo "[  FAILED  ] $1"; }
check() { # description, command...
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# The frame of a lab test: on any exit the lab is removed and the totals
# printed; a run that did not reach its end (setup failed, an unexpected
# error, Ctrl-C) counts as a failure.  When a check failed, the tails of
# the files named by LAB_TEST_LOGS (globs, expanded at the end) are shown.
# A signal can land while output goes to a file: the report goes to the
# original outputs, saved as fds 3 and 4.
lab_test_frame() { # name
	LAB_TEST_NAME=$1
	exec 3>&1 4>&2
	trap lab_test_finish EXIT
	trap 'exit 130' INT TERM
}
lab_test_finish() {
	local rc=$? f
	exec 1>&3 2>&4
	# The teardown must complete: a second Ctrl-C (or a signal sent to the
	# whole process group, as timeout(1) does) must not cut it short.
	trap - EXIT
	trap '' INT TERM
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	if [ "$failed" -gt 0 ]; then
		# shellcheck disable=SC2086 # globs
		for f in ${LAB_TEST_LOGS:-}; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
		done
	fi
	lab_down
	echo "[==========] $LAB_TEST_NAME: $passed passed, $failed failed"
	exit $((failed > 0))
}
