#!/usr/bin/env python3
"""The lab client: sends COUNT requests to a VIP and tells who answered.

    client.py tcp 203.0.113.10 80 12   ->  tcp 203.0.113.10:80 ok=12/12 b1=5 b2=4 b3=3

Every request is its own flow (a new TCP connection or a new UDP socket, so a
new source port) so the load balancer schedules each one afresh.  With
--sport BASE request i leaves from port BASE + i: tests then know exactly
which flows are new, and can send a flow again; --flows then prints a line
per request first, "flow SPORT BACKEND" (or "flow SPORT FAIL").  UDP sockets
are connected: the kernel only accepts an answer whose source is the VIP, so
an answer counts only if it came back from the address the client asked.
Failures are described on stderr; the exit status is 1 if any request failed.
"""
import argparse
import collections
import http.client
import socket
import sys


def http_get(vip, port, sport, timeout):
    src = ("", sport) if sport else None
    conn = http.client.HTTPConnection(vip, port, timeout=timeout, source_address=src)
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise OSError("HTTP status %d" % resp.status)
        return resp.read().decode().strip()
    finally:
        conn.close()


def udp_exchange(vip, port, sport, timeout):
    fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        if sport:
            sock.bind(("", sport))
        sock.connect((vip, port))
        sock.send(b"who are you?")
        return sock.recv(512).decode().strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("proto", choices=("tcp", "udp"))
    ap.add_argument("vip")
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--sport", type=int, default=0, help="first source port (default: any)")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per request")
    ap.add_argument("--flows", action="store_true", help="a line per request (needs --sport)")
    args = ap.parse_args()
    ask = {"tcp": http_get, "udp": udp_exchange}[args.proto]
    where = "%s %s:%d" % (args.proto, args.vip, args.port)

    answers = collections.Counter()
    for i in range(args.count):
        sport = args.sport + i if args.sport else 0
        try:
            who = ask(args.vip, args.port, sport, args.timeout)
            answers[who] += 1
        except (OSError, http.client.HTTPException) as e:
            who = "FAIL"
            print("client: %s request %d: %s" % (where, i + 1, e), file=sys.stderr)
        if args.flows:
            print("flow %d %s" % (sport, who))
    ok = sum(answers.values())
    who = " ".join("%s=%d" % kv for kv in sorted(answers.items()))
    print("%s ok=%d/%d %s" % (where, ok, args.count, who))
    sys.exit(0 if ok == args.count else 1)


if __name__ == "__main__":
    main()
