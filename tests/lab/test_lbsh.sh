#!/usr/bin/env bash
# tests/lab/test_lbsh.sh - lbsh as people and scripts use it, on a real
# database file (no datapath needed: tests/test_lbsh_e2e.c covers the
# live tables with packets).
#
# - batch: -c, a SCRIPT, standard input; -csv and -json; the first error
#   stops the script with exit status 1, -bail off / --keep-going go on;
# - writes: a schema check's error names the table, key and field; a
#   failed script's transaction is rolled back (nothing partial); runtime
#   and live tables refuse writes, saying so; .import takes all or none;
# - a user who may not write the database (nobody, on a copy) gets a
#   read-only shell with a message, and a clear error on a write;
# - .watch with per-second rates;
# - at a real pseudo-terminal (python3's pty): the prompt, multi-line
#   statements, tab completion (table, column, dot-command), Ctrl-C that
#   cancels the statement being typed, one that interrupts a running
#   query and one that stops .watch, all leaving the shell alive, and
#   history kept across runs.
#
# Needs root (setpriv to nobody); fails, never skips, without it.
# Usage: [XLB_BUILD=build] tests/lab/test_lbsh.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${XLB_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
LBSH=$BUILD/lbsh

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "[       OK ] $*"; }
bad() { failed=$((failed + 1)); echo "[  FAILED  ] $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# Exit status $1 was $2 and file $4 holds pattern $3.
failed_with() { [ "$1" = "$2" ] && grep -q -- "$3" "$4"; }

TMP=$(mktemp -d "/tmp/xlb-test-lbsh.XXXXXX")
finish() {
	local rc=$?
	trap - EXIT
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	rm -rf "$TMP"
	echo "[==========] test_lbsh: $passed passed, $failed failed"
	exit $((failed > 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { bad "needs root (setpriv to nobody)"; exit 1; }
[ -x "$LBSH" ] || { bad "$LBSH not built"; exit 1; }

DB=$TMP/xlb.db
# A datapath folder that does not exist: the database side needs none.
sh_() { "$LBSH" --db "$DB" --pin-dir "$TMP/no-pins" --rundir "$TMP" "$@"; }

sh_ -c "INSERT INTO node (id, interface, next_hop_mac, src4) VALUES
  (1, 'eth0', '02:00:5e:00:53:01', '192.0.2.1');
INSERT INTO service (vip, proto, port) VALUES ('203.0.113.10', 'tcp', 80);
INSERT INTO backend (vip, proto, port, address) VALUES
  ('203.0.113.10', 'tcp', 80, '198.51.100.7');" >/dev/null
rows() { sqlite3 "$DB" "SELECT count(*) FROM backend"; }

# ---- batch ------------------------------------------------------------------
out=$(sh_ -csv -c "SELECT vip, port FROM service")
check "-c with -csv prints the row" [ "$out" = "203.0.113.10,80" ]
out=$(sh_ -json -c "SELECT vip, port FROM service")
check "-json prints an array of objects" \
	[ "$out" = '[{"vip":"203.0.113.10","port":80}]' ]
printf '.mode csv\nSELECT address\n  FROM backend;\n' >"$TMP/q.sql"
out=$(sh_ "$TMP/q.sql")
check "a SCRIPT argument, multi-line statement" [ "$out" = "198.51.100.7" ]
out=$(sh_ <"$TMP/q.sql")
check "the same from standard input" [ "$out" = "198.51.100.7" ]

printf "SELECT 'one';\nSELECT nosuch FROM backend;\nSELECT 'three';\n" >"$TMP/err.sql"
rc=0; out=$(sh_ -list "$TMP/err.sql" 2>"$TMP/err.txt") || rc=$?
check "the first error stops a script, exit status 1" \
	[ "$rc" = 1 -a "$out" = "one" ]
check "the error names the script and line" \
	grep -q "Error: $TMP/err.sql line 2: no such column: nosuch" "$TMP/err.txt"
rc=0; out=$(sh_ -list -bail off "$TMP/err.sql" 2>/dev/null) || rc=$?
check "-bail off goes on (and still exits 1)" \
	[ "$rc" = 1 -a "$out" = "$(printf 'one\nthree')" ]
rc=0; out=$(sh_ -list --keep-going <"$TMP/err.sql" 2>/dev/null) || rc=$?
check "--keep-going on standard input" \
	[ "$rc" = 1 -a "$out" = "$(printf 'one\nthree')" ]

# ---- writes -------------------------------------------------------------------
cat >"$TMP/tx.sql" <<'SQL'
BEGIN;
INSERT INTO backend (vip, proto, port, address) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.8');
INSERT INTO backend (vip, proto, port, address, weight) VALUES ('203.0.113.10', 'tcp', 80, '198.51.100.9', 70000);
COMMIT;
SQL
rc=0; sh_ "$TMP/tx.sql" >/dev/null 2>"$TMP/tx.txt" || rc=$?
check "a rejected row fails the script" [ "$rc" = 1 ]
check "the error names table, key, field and value" grep -q \
	'backend 203.0.113.10 tcp 80 198.51.100.9 0: weight "70000" is not 0..65535' \
	"$TMP/tx.txt"
check "the transaction is rolled back: nothing partial" [ "$(rows)" = 1 ]
check "and lbsh says so" grep -q "rolled back: nothing of it was committed" "$TMP/tx.txt"

rc=0; sh_ -c "INSERT INTO service (vip, proto, port) VALUES ('203.0.113.10', 'tcp', 80)" 2>"$TMP/dup.txt" || rc=$?
check "a duplicate key names the table and key columns, and what to do" \
	failed_with "$rc" 1 "UNIQUE constraint failed: service.vip, service.proto, service.port (a row with this key exists: UPDATE it, or INSERT OR REPLACE)" "$TMP/dup.txt"
rc=0; sh_ -c "DELETE FROM vip_state" 2>"$TMP/ro.txt" || rc=$?
check "a runtime table refuses writes" \
	failed_with "$rc" 1 "vip_state is read-only: runtime state written by lbd" "$TMP/ro.txt"
rc=0; sh_ -c "INSERT INTO revision (tbl, op, key) VALUES ('x', 'insert', 'y')" 2>"$TMP/ro.txt" || rc=$?
check "the revision log refuses writes" \
	failed_with "$rc" 1 "revision is read-only" "$TMP/ro.txt"
rc=0; sh_ -c "UPDATE live_service SET packets = 0" 2>"$TMP/ro.txt" || rc=$?
check "a live table refuses writes" failed_with "$rc" 1 \
	"live_service is read-only: live datapath state read from the pinned maps" "$TMP/ro.txt"
rc=0; sh_ -c "DROP TABLE backend" 2>"$TMP/ro.txt" || rc=$?
check "the schema's tables cannot be dropped" \
	failed_with "$rc" 1 "backend is part of xlb's schema: only its migrations change it" "$TMP/ro.txt"
out=$(sh_ -list -c "CREATE TEMP TABLE t(a); INSERT INTO t VALUES (1); CREATE TABLE mine(a);
INSERT INTO mine SELECT a + 1 FROM t; SELECT a FROM mine; DROP TABLE mine;")
check "TEMP tables and the user's own tables are writable" [ "$out" = 2 ]
revs=$(sqlite3 "$DB" "SELECT count(*) FROM revision")
sh_ -c "UPDATE backend SET weight = 5 WHERE address = '198.51.100.7'" 2>/dev/null
check "a config write still logs its revision (triggers are allowed)" \
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM revision")" = $((revs + 1)) ]

printf 'address,vip,port,proto,weight\n198.51.100.21,203.0.113.10,80,tcp,2\n198.51.100.22,203.0.113.10,80,tcp,-1\n' >"$TMP/bad.csv"
rc=0; sh_ -c ".import $TMP/bad.csv backend" 2>"$TMP/imp.txt" || rc=$?
check ".import of a bad row: error with file, line, key and field" \
	failed_with "$rc" 1 "$TMP/bad.csv:3: backend 203.0.113.10 tcp 80 198.51.100.22 0: weight \"-1\"" "$TMP/imp.txt"
check ".import keeps nothing of a failed file" [ "$(rows)" = 1 ]
printf 'address,vip,port,proto,weight\n198.51.100.21,203.0.113.10,80,tcp,2\n"198.51.100.22",203.0.113.10,80,tcp,3\n' >"$TMP/good.csv"
sh_ -c ".import $TMP/good.csv backend"
check ".import with a header of some columns" [ "$(rows)" = 3 ]
check ".import reads quoted fields and digits as integers" \
	[ "$(sqlite3 "$DB" "SELECT weight, typeof(weight) FROM backend WHERE address = '198.51.100.22'")" = "3|integer" ]

out=$(sh_ -c "SELECT vip, backends, usable FROM services" -csv)
check "the services view counts backends" [ "$out" = "203.0.113.10,3,3" ]
out=$(sh_ -csv -c "SELECT services, serves FROM backends WHERE address = '198.51.100.7'")
check "the backends view lists the services served" [ "$out" = "1,203.0.113.10 tcp 80" ]

# ---- read-only user ---------------------------------------------------------------
mkdir "$TMP/ro" && cp "$DB" "$TMP/ro/xlb.db" && chmod 755 "$TMP" "$TMP/ro" && chmod 644 "$TMP/ro/xlb.db"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$LBSH" --db "$TMP/ro/xlb.db" --pin-dir "$TMP/no-pins" --rundir "$TMP/ro" "$@"; }
rc=0; out=$(as_nobody -csv -c "SELECT count(*) FROM backend" 2>"$TMP/nb.txt") || rc=$?
check "nobody reads the database" [ "$rc" = 0 -a "$out" = 3 ]
check "and is told the shell is read-only" \
	grep -q "is not writable by this user (uid [0-9]*): read-only shell" "$TMP/nb.txt"
rc=0; as_nobody -c "DELETE FROM backend" 2>"$TMP/nb.txt" || rc=$?
check "a write by nobody fails with a clear error, no crash" \
	failed_with "$rc" 1 "xlb.db is read-only for this user" "$TMP/nb.txt"
check "and changes nothing" [ "$(sqlite3 "$TMP/ro/xlb.db" "SELECT count(*) FROM backend")" = 3 ]

# ---- .watch ----------------------------------------------------------------------------
# The wall clock in ms as a counter: its rate is about 1000 per second
# (the window allows a loaded machine's scheduling delays).
out=$(sh_ -csv -c ".watch 1 2 SELECT 'clock' AS k, CAST(julianday('now') * 86400000 AS INTEGER) AS ms")
rate=$(echo "$out" | tail -n 1 | cut -d, -f3)
check ".watch redraws with a per-second rate (ms/s about 1000: $rate)" \
	python3 -c "import sys; r=float('$rate'); sys.exit(0 if 800 <= r <= 1200 else 1)"
check ".watch names the rate column" grep -q "^k,ms,ms/s$" <<<"$out"

# ---- a real pseudo-terminal ----------------------------------------------------------------
mkdir -p "$TMP/home"
python3 - "$LBSH" "$DB" "$TMP" >"$TMP/pty.txt" 2>&1 <<'PY' && ok "pty: prompt, multi-line, completion, Ctrl-C, history" || { bad "pty: prompt, multi-line, completion, Ctrl-C, history"; cat "$TMP/pty.txt"; }
import os, pty, re, select, sys, time

lbsh, db, tmp = sys.argv[1:4]
env = dict(os.environ, HOME=tmp + "/home", TERM="xterm", INPUTRC="/dev/null")

def start():
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(lbsh, [lbsh, "--db", db, "--pin-dir", tmp + "/no-pins",
                         "--rundir", tmp], env)
    return pid, fd

def expect(fd, pattern, timeout=5.0):
    buf, end = b"", time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if re.search(pattern, buf, re.S):
                return buf
    raise SystemExit("expected %r, got %r" % (pattern, buf))

def step(name, fd, send, pattern, timeout=5.0):
    os.write(fd, send)
    out = expect(fd, pattern, timeout)
    print("ok:", name)
    return out

pid, fd = start()
expect(fd, rb"lbsh> ")
step("multi-line statement: continuation prompt", fd, b"SELECT 40\r", rb"\.\.\.> ")
step("multi-line statement: runs at ;", fd, b"+ 2 AS answer;\r", rb"\|\s+42 \|.*lbsh> ", )
# Completion echoes what it adds; the statement's result shows it right.
step("tab completes a table name", fd, b"SELECT count(*) AS n FROM vip_st\t", rb"ate")
step("... and the statement runs", fd, b";\r", rb"\| n \|.*\|\s+0 \|.*lbsh> ")
step("tab completes a column name", fd, b"SELECT next_ho\t", rb"p_mac")
step("... which runs", fd, b" FROM node;\r", rb"02:00:5e:00:53:01.*lbsh> ")
step("tab completes a dot-command", fd, b".tab\t", rb"les")
step("... which lists tables and live tables", fd, b"\r", rb"live_conntrack.*lbsh> ")
step("Ctrl-C while typing: continuation", fd, b"SELECT 'abandoned'\r", rb"\.\.\.> ")
step("Ctrl-C while typing: a fresh prompt", fd, b"\x03", rb"\^C\r?\nlbsh> ")
out = step("the statement was dropped", fd, b"SELECT 'after';\r", rb"after.*lbsh> ")
assert b"abandoned" not in out.split(b"after", 1)[0].split(b"\n", 1)[-1], out
os.write(fd, b"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\r")
time.sleep(0.7)
step("Ctrl-C interrupts a running query", fd, b"\x03", rb"Error: interrupted.*lbsh> ")
step(".watch redraws until Ctrl-C", fd, b".watch 0.2 SELECT 'tick' AS t\r",
     rb"Every 0\.2s.*tick.*Every 0\.2s.*tick")
step("Ctrl-C stops .watch, back at the prompt", fd, b"\x03", rb"lbsh> ")
step("the shell is still alive", fd, b"SELECT 6 * 7 AS n;\r", rb"\|\s+42 \|.*lbsh> ")
os.write(fd, b".quit\r")
os.waitpid(pid, 0)
hist = open(tmp + "/home/.lbsh_history").read()
assert "SELECT 6 * 7 AS n;" in hist, hist
print("ok: history file written")
pid, fd = start()
expect(fd, rb"lbsh> ")
step("history comes back after a restart (Up, Up: before .quit)", fd,
     b"\x1b[A\x1b[A", rb"SELECT 6 \* 7 AS n;")
os.write(fd, b"\x15.quit\r")
os.waitpid(pid, 0)
PY
