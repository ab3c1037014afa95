# tests/lab/checks.sh - the lab tests' checks, sourced: each prints one
# cmocka-like line and counts it; the test's end prints the totals.
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "[       OK ] $1"; }
bad() { failed=$((failed + 1)); echo "[  FAILED  ] $1"; }
check() { # description, command...
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
