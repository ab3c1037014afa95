#!/usr/bin/env python3
"""Long-lived TCP connections to a VIP, each asked again and again who it is.

    hold.py 203.0.113.10 80 --sport 31000 --count 16 --out FILE --stop FILE

Opens COUNT connections from source ports SPORT..SPORT+COUNT-1 (known
ports, so a test can find each flow in an LB node's connection table) and
then, in rounds, sends an HTTP/1.1 keep-alive GET on every one of them and
reads the answer: the name of the backend holding the connection.  A
connection is never reopened: a reset or a timeout is a failure and the
connection is dropped from the rounds, so "no failure" means every
connection lived through whatever the test did.  With --fresh BASE every
round also makes one request on a new connection from port BASE + round;
with --udp PORT:SPORT, one UDP exchange with the VIP's PORT from SPORT,
the same flow every round.

FILE gets one line per event, flushed as written:
    open SPORT                       connection established
    r ROUND SPORT BACKEND            an answer on a held connection
    n ROUND SPORT BACKEND            an answer on a fresh connection
    u ROUND SPORT BACKEND            an answer to the UDP flow
    FAIL ROUND SPORT what            a failure (open: ROUND is -1)
    done ROUND                       every connection asked once more
It stops when the stop file exists (or after --seconds) and exits 1 if
anything failed.
"""
import argparse
import os
import socket
import sys
import time


def open_conn(vip, port, sport, timeout):
    fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    try:
        s.bind(("", sport))
        s.connect((vip, port))
    except OSError:
        s.close()
        raise
    return s


def ask(s, vip, close=False):
    """One GET on the connection; returns the body (the backend's name)."""
    req = "GET / HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (vip, "Connection: close\r\n" if close else "")
    s.sendall(req.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("connection closed by peer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if " 200 " not in lines[0] + " ":
        raise OSError("answer %r" % lines[0])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError("connection closed mid-answer")
        body += chunk
    return body.decode().strip()


def udp_ask(vip, port, sport, timeout):
    fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(timeout)
        s.bind(("", sport))
        s.connect((vip, port))
        s.send(b"who are you?")
        return s.recv(512).decode().strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vip")
    ap.add_argument("port", type=int)
    ap.add_argument("--sport", type=int, required=True, help="first source port")
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--fresh", type=int, default=0, help="first source port of fresh connections")
    ap.add_argument("--udp", default="", help="PORT:SPORT of a UDP flow asked every round")
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between rounds")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per answer")
    ap.add_argument("--seconds", type=float, default=120.0, help="stop after this long")
    args = ap.parse_args()
    log = open(args.out, "a", buffering=1)
    failed = False

    held = {}
    for sport in range(args.sport, args.sport + args.count):
        try:
            held[sport] = open_conn(args.vip, args.port, sport, args.timeout)
            log.write("open %d\n" % sport)
        except OSError as e:
            log.write("FAIL -1 %d open: %s\n" % (sport, e))
            failed = True
    end = time.monotonic() + args.seconds
    r = 0
    while not os.path.exists(args.stop) and time.monotonic() < end:
        for sport, s in list(held.items()):
            try:
                log.write("r %d %d %s\n" % (r, sport, ask(s, args.vip)))
            except (OSError, ValueError) as e:
                log.write("FAIL %d %d %s\n" % (r, sport, e))
                failed = True
                s.close()
                del held[sport]
        if args.fresh:
            sport = args.fresh + r
            try:
                s = open_conn(args.vip, args.port, sport, args.timeout)
                with s:
                    log.write("n %d %d %s\n" % (r, sport, ask(s, args.vip, close=True)))
            except (OSError, ValueError) as e:
                log.write("FAIL %d %d fresh: %s\n" % (r, sport, e))
                failed = True
        if args.udp:
            port, sport = (int(x) for x in args.udp.split(":"))
            try:
                log.write("u %d %d %s\n" % (r, sport, udp_ask(args.vip, port, sport, args.timeout)))
            except OSError as e:
                log.write("FAIL %d %d udp: %s\n" % (r, sport, e))
                failed = True
        log.write("done %d\n" % r)
        r += 1
        time.sleep(args.interval)
    for s in held.values():
        s.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
