#!/usr/bin/env bash
# tests/lab/test_systemd.sh - the units in tools/systemd/ and what they
# promise of the daemons.
#
# - every unit, rendered for this build, passes `systemd-analyze verify`;
# - lbd, run with exactly the capabilities its unit grants (setpriv with
#   the unit's CapabilityBoundingSet, nothing else), loads, attaches in
#   native mode to a veth and fills its maps, reads its Maglev tables
#   back from their pins (no CAP_SYS_ADMIN, which the unit must not grant)
#   and a restart writes nothing; without any one capability of the set
#   it fails (attach or --check) with a message, so the set is the one
#   lbd needs, not a guess; tables with no pin are written again, pinned;
# - lbd speaks Type=notify: READY=1 once serving, WATCHDOG=1 at half of
#   WATCHDOG_USEC, STOPPING=1 on SIGTERM (a real AF_UNIX datagram socket
#   stands where systemd's would).
# - hcd, run as an ordinary user with only its unit's CAP_NET_RAW, probes
#   an ICMP check up (raw sockets; without the capability the same check
#   cannot be sent, so the capability is what makes it work), and says
#   READY=1 too.
#
# Needs root, BPF and namespaces; fails (never skips) without them.
# Usage: [XLB_BUILD=build] tests/lab/test_systemd.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${XLB_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "[       OK ] $*"; }
bad() { failed=$((failed + 1)); echo "[  FAILED  ] $*"; }

ID=sd$$
TMP=$(mktemp -d "/tmp/xlb-test-systemd.XXXXXX")
NS=xlb-$ID
PIN=$TMP/bpf
LISTENER=

finish() {
	local rc=$?
	trap - EXIT
	[ "$rc" -eq 0 ] || bad "test stopped before its end (exit status $rc)"
	[ -z "$LISTENER" ] || kill "$LISTENER" 2>/dev/null || true
	# lbd and hcd (on a copy in $TMP/hc): every process with our folder.
	pkill -f -- "--db $TMP/" 2>/dev/null || true
	sleep 0.2
	ip netns del "$NS" 2>/dev/null || true
	umount "$PIN" 2>/dev/null || true
	rm -rf "$TMP"
	echo "[==========] test_systemd: $passed passed, $failed failed"
	exit $((failed > 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { bad "needs root (BPF, namespaces)"; exit 1; }
for t in systemd-analyze setpriv sqlite3 python3; do
	command -v "$t" >/dev/null || { bad "needs $t"; exit 1; }
done

# --- the units verify ---------------------------------------------------
tools/systemd/render "$BUILD" "$TMP/units"
for u in "$TMP"/units/*.service; do
	# --man=no: the man pages are installed by `make install`, not here.
	if out=$(systemd-analyze verify --man=no "$u" 2>&1); then
		ok "systemd-analyze verify $(basename "$u")"
	else
		bad "systemd-analyze verify $(basename "$u"): $out"
	fi
done

# --- lbd with the unit's capabilities -----------------------------------
# "CAP_BPF CAP_NET_ADMIN" -> "+bpf,+net_admin"
unit_caps() {
	sed -n 's/^CapabilityBoundingSet=//p' "$1" | tr ' ' '\n' |
		sed 's/^CAP_//' | tr '[:upper:]' '[:lower:]' | sed 's/^/+/' | paste -sd, -
}
# Runs lbd in the namespace as root holding only the capabilities $1.
# exec: called only in a subshell or in the background, so $! is lbd.
lbd_with_caps() {
	local caps=$1; shift
	exec ip netns exec "$NS" setpriv --bounding-set="-all,$caps" \
		--inh-caps="-all,$caps" --ambient-caps="-all,$caps" -- \
		"$BUILD/lbd" --db "$TMP/xlb.db" --pin-dir "$PIN" \
		--rundir "$TMP/run" "$@"
}

ip netns add "$NS"
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" link set lo up
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up
mkdir -p "$PIN" "$TMP/run"
mount -t bpf bpf "$PIN"
"$BUILD/lbd" --db "$TMP/xlb.db" --check >/dev/null 2>&1 || true
sqlite3 -bail "$TMP/xlb.db" <<'EOF'
INSERT INTO node (id, interface, xdp_mode, next_hop_mac, src4, max_services,
	max_backends, max_flows) VALUES (1, 'eth0', 'native',
	'02:00:00:00:00:01', '198.51.100.1', 16, 64, 4096);
INSERT INTO service (vip, proto, port) VALUES ('192.0.2.10', 'tcp', 80);
INSERT INTO backend (vip, proto, port, address) VALUES
	('192.0.2.10', 'tcp', 80, '203.0.113.1'),
	('192.0.2.10', 'tcp', 80, '203.0.113.2');
EOF

caps=$(unit_caps "$TMP/units/xlb-lbd.service")
case ",$caps," in
*,+sys_admin,*) bad "the lbd unit grants CAP_SYS_ADMIN, which subsumes the rest" ;;
*) ok "the lbd unit does without CAP_SYS_ADMIN ($caps)" ;;
esac
# Every capability is needed: without any one of them lbd cannot attach,
# or cannot read back what it wrote.
for drop in ${caps//,/ }; do
	less=$(tr ',' '\n' <<<"$caps" | grep -vx -- "$drop" | paste -sd, -)
	name=$(tr '[:lower:]' '[:upper:]' <<<"${drop#+}")
	if ! out=$(lbd_with_caps "$less" --once 2>&1); then
		ok "lbd without CAP_$name fails: $(tail -n1 <<<"$out")"
	elif ! out=$(lbd_with_caps "$less" --check 2>&1); then
		ok "lbd --check without CAP_$name fails: $(tail -n1 <<<"$out")"
	else
		bad "lbd without CAP_$name ($less) attached and checked anyway: $out"
	fi
	# A fresh start for the next: whatever the failed run pinned goes.
	"$BUILD/lbd" detach --db "$TMP/xlb.db" --pin-dir "$PIN" >/dev/null 2>&1 || true
	"$BUILD/xlbctl" -p "$PIN" unpin >/dev/null 2>&1 || true
	mountpoint -q "$PIN" || { mkdir -p "$PIN" && mount -t bpf bpf "$PIN"; }
done
if out=$(lbd_with_caps "$caps" --once 2>&1) &&
	ip -n "$NS" link show eth0 | grep -q 'xdp '; then
	ok "lbd with the unit's capabilities ($caps) attaches natively"
else
	bad "lbd with the unit's capabilities ($caps): $out"
fi
pins=$(find "$PIN/tables" -mindepth 1 -printf '%f ' 2>/dev/null || true)
if [ -n "$pins" ]; then
	ok "the Maglev tables are pinned: $pins"
else
	bad "no table pinned under $PIN/tables"
fi
if out=$(lbd_with_caps "$caps" --check 2>&1); then
	ok "the maps lbd wrote with those capabilities match the database"
else
	bad "lbd --check after the capped run: $out"
fi
# A restart reads every table back from its pin and writes nothing.
if out=$(lbd_with_caps "$caps" --once 2>&1) && grep -q ' writes 0 ' <<<"$out"; then
	ok "a capped restart reads the tables back and writes nothing"
else
	bad "a capped restart: $out"
fi
# Pins gone (an older xlb, a crash between a switch and its pin): a capped
# lbd cannot read the table by id, so it writes it again, pinned.
rm -f "$PIN"/tables/*
if out=$(lbd_with_caps "$caps" --check 2>&1); then
	bad "lbd --check read an unpinned table without CAP_SYS_ADMIN: $out"
elif why=$(grep -m1 -o 'service [0-9]*: its Maglev table has no pin.*' <<<"$out"); then
	ok "lbd --check fails on an unpinned table and says why: $why"
else
	bad "lbd --check on an unpinned table, no reason given: $out"
fi
if (lbd_with_caps "$caps" --once >/dev/null 2>&1) &&
	out=$(lbd_with_caps "$caps" --check 2>&1) &&
	[ -e "$PIN/tables/1" ]; then
	ok "a capped lbd rewrites and pins tables whose pins are missing"
else
	bad "after unpinned tables: $out"
fi
# lbd with every capability opens such a table by id and pins it again,
# writing nothing.
rm -f "$PIN"/tables/*
if out=$(ip netns exec "$NS" "$BUILD/lbd" --db "$TMP/xlb.db" --pin-dir "$PIN" \
	--rundir "$TMP/run" --once 2>&1) && grep -q ' writes 0 ' <<<"$out" &&
	grep -q 'pinned 1 Maglev tables again' <<<"$out" &&
	out=$(lbd_with_caps "$caps" --check 2>&1); then
	ok "lbd with CAP_SYS_ADMIN pins unpinned tables again, writing nothing"
else
	bad "lbd with CAP_SYS_ADMIN after unpinned tables: $out"
fi

# bgpd-bridge (its unit: user xlb, group xlb, nothing but
# CAP_DAC_READ_SEARCH) finds the link_<ifname> pin lbd made and asks the
# interface whether XDP is attached.  The pin root is 0700 as systemd
# mounts /sys/fs/bpf; the folder lbd creates is 0750 for its group.
chmod 0755 "$TMP"
chmod 0700 "$PIN"
"$BUILD/lbd" detach --db "$TMP/xlb.db" --pin-dir "$PIN" >/dev/null 2>&1 || true
ip netns exec "$NS" setpriv --regid=nogroup --clear-groups -- "$BUILD/lbd" \
	--db "$TMP/xlb.db" --pin-dir "$PIN/node" --rundir "$TMP/run" --once \
	>"$TMP/node.log" 2>&1 || true
gid=$(getent group nogroup | cut -d: -f3)
bcaps=$(unit_caps "$TMP/units/xlb-bgpd-bridge.service")
as_bridge() { # capabilities ("" or ",+cap..."), command...
	local c=$1; shift
	setpriv --reuid=nobody --regid=nogroup --groups="$gid" \
		--bounding-set="-all$c" --inh-caps="-all$c" \
		--ambient-caps="-all$c" -- "$@"
}
if out=$(as_bridge ",$bcaps" ls "$PIN/node" 2>&1) &&
	grep -q '^link_eth0$' <<<"$out" &&
	[ "$(stat -c %a "$PIN/node")" = 750 ]; then
	ok "with bgpd-bridge's unit ($bcaps, group of lbd) the pins are listed: link_eth0"
else
	bad "bgpd-bridge's view of the pins: $(stat -c '%a %G' "$PIN/node" 2>&1): $out; $(cat "$TMP/node.log")"
fi
if as_bridge "" ls "$PIN/node" >/dev/null 2>&1; then
	bad "the pins were listed without $bcaps: the check proves nothing"
else
	ok "without $bcaps the 0700 pin root hides them"
fi
"$BUILD/lbd" detach --db "$TMP/xlb.db" --pin-dir "$PIN/node" >/dev/null 2>&1 || true
"$BUILD/xlbctl" -p "$PIN/node" unpin >/dev/null 2>&1 || true
ip netns exec "$NS" "$BUILD/lbd" --db "$TMP/xlb.db" --pin-dir "$PIN" \
	--rundir "$TMP/run" --once >/dev/null 2>&1 || true

# --- Type=notify and the watchdog ---------------------------------------
python3 - "$TMP/notify.sock" "$TMP/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
EOF
LISTENER=$!
for ((t = 0; t < 50; t++)); do [ -S "$TMP/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=400000 \
	lbd_with_caps "$caps" >"$TMP/lbd.log" 2>&1 &
LBD=$!
saw() { grep -qs "$1" "$TMP/notify.log"; }
for ((t = 0; t < 100; t++)); do saw READY=1 && break; sleep 0.05; done
if saw READY=1; then ok "lbd sends READY=1"; else bad "no READY=1: $(cat "$TMP/lbd.log")"; fi
sleep 1
n=$(grep -c WATCHDOG=1 "$TMP/notify.log" || true)
# 400 ms watchdog: a ping every 200 ms, so about 5 in the second slept.
if [ "$n" -ge 3 ]; then ok "lbd pings the watchdog ($n in 1 s at WATCHDOG_USEC=400000)"
else bad "lbd pinged the watchdog $n times in 1 s (want >= 3)"; fi
kill -TERM "$LBD"
wait "$LBD" || true
if saw STOPPING=1; then ok "lbd sends STOPPING=1 on SIGTERM"; else bad "no STOPPING=1: $(cat "$TMP/notify.log" "$TMP/lbd.log")"; fi
if ip -n "$NS" link show eth0 | grep -q 'xdp '; then
	ok "the program stays attached after SIGTERM"
else
	bad "SIGTERM detached the program"
fi
"$BUILD/lbd" detach --db "$TMP/xlb.db" --pin-dir "$PIN" >/dev/null 2>&1 || true
if out=$("$BUILD/xlbctl" -p "$PIN" unpin 2>&1) && [ ! -e "$PIN/tables" ]; then
	ok "xlbctl unpin removes the pins, tables/ included"
else
	bad "xlbctl unpin: $out; left: $(ls "$PIN" 2>&1)"
fi

# --- hcd as an ordinary user with the unit's capability -----------------
# An ICMP check of an address in the namespace; hcd reads a copy of the
# database that user nobody may use (a WAL reader writes the -shm file).
ip -n "$NS" addr add 203.0.113.1/24 dev eth1
mkdir -m 0777 "$TMP/hc"
sqlite3 -bail "$TMP/xlb.db" "INSERT INTO health_check (name, type, interval_ms,
	timeout_ms) VALUES ('ping', 'icmp', 1000, 500);
	UPDATE service SET health_check = 'ping';
	DELETE FROM backend WHERE address = '203.0.113.2';"
sqlite3 "$TMP/xlb.db" ".backup $TMP/hc/xlb.db"
chmod 0666 "$TMP/hc/xlb.db"
chmod 0755 "$TMP"
hcd_as_nobody() {
	local caps=$1; shift
	exec ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups --bounding-set="-all$caps" \
		--inh-caps="-all$caps" --ambient-caps="-all$caps" -- \
		"$BUILD/hcd" --db "$TMP/hc/xlb.db" --rundir "$TMP/hc/run" "$@"
}
hcaps=$(unit_caps "$TMP/units/xlb-hcd.service")
if out=$(hcd_as_nobody ",$hcaps" --once 2>&1) && grep -q 'up=1 ' <<<"$out"; then
	ok "hcd as nobody with $hcaps: the ICMP check is up ($out)"
else
	bad "hcd as nobody with $hcaps: $out"
fi
if out=$(hcd_as_nobody "" --once 2>&1) && grep -q 'up=1 ' <<<"$out"; then
	bad "hcd with no capability probed ICMP up anyway: the test proves nothing"
else
	ok "hcd with no capability cannot probe ICMP: $(tail -n1 <<<"$out")"
fi
: >"$TMP/notify.log"
chmod 0666 "$TMP/notify.sock"
NOTIFY_SOCKET=$TMP/notify.sock hcd_as_nobody ",$hcaps" >"$TMP/hcd.log" 2>&1 &
HCD=$!
for ((t = 0; t < 100; t++)); do saw READY=1 && break; sleep 0.05; done
if saw READY=1; then ok "hcd sends READY=1"; else bad "hcd: no READY=1: $(cat "$TMP/hcd.log")"; fi
kill -TERM "$HCD"
wait "$HCD" || true
