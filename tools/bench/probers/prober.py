#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""prober.py - the Python asyncio baseline of bench_hcd: the shape of LINE's
benchmark (seed 002), N concurrent HTTP GETs to N distinct targets, each
with its own timeout, all started at once on one event loop.

    prober.py --targets FILE [--timeout-ms 3000]

FILE holds "ADDRESS PORT [http PATH | tcp]" per line (hc_responder --list
writes "ADDRESS PORT": an HTTP GET of /).  A probe is up when the answer's
status line is 2xx/3xx, down on any other answer or error, a timeout when
connect + request + answer take longer than the timeout.  One process
holds at most RLIMIT_NOFILE descriptors (20,000 here, the hard limit), so
probes in flight are capped below it and the rest wait for a slot (their
timeout starts when they start, as hcd's queued probes do).

Prints one line, the same shape as `hcd --once`:
    prober.py: probes=N up=U down=D timeouts=T wall_ms=W cpu_ms=C cap=K
wall and CPU (user + system, this process) cover the probing only, not
reading the file or starting Python.
"""
import argparse
import asyncio
import resource
import sys
import time

FD_RESERVE = 256  # descriptors left for the interpreter and the loop


def load(path):
    checks = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            w = line.split()
            if not w:
                continue
            if len(w) < 2 or not w[1].isdigit():
                sys.exit(f"prober.py: {path}:{n}: \"{line.strip()}\" is not ADDRESS PORT [http PATH | tcp]")
            kind = w[2] if len(w) > 2 else "http"
            path_ = w[3] if len(w) > 3 else "/"
            if kind not in ("http", "tcp"):
                sys.exit(f"prober.py: {path}:{n}: type \"{kind}\" is not http or tcp")
            checks.append((w[0], int(w[1]), kind, path_))
    return checks


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def exchange(addr, port, kind, path):
    reader, writer = await asyncio.open_connection(addr, port)
    try:
        if kind == "tcp":
            return True
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {addr}:{port}\r\n"
                     "User-Agent: xlb-prober\r\nConnection: close\r\n\r\n".encode())
        data = await reader.read()  # to EOF: the responder closes
        status = data.split(b"\r\n", 1)[0].split()
        return len(status) >= 2 and status[0].startswith(b"HTTP/1.") \
            and status[1][:1] in (b"2", b"3")
    finally:
        writer.close()


async def probe(sem, check, timeout, counts):
    async with sem:
        try:
            ok = await asyncio.wait_for(exchange(*check), timeout)
            counts["up" if ok else "down"] += 1
        except asyncio.TimeoutError:
            counts["timeouts"] += 1
        except OSError:
            counts["down"] += 1


async def run(checks, timeout, cap):
    sem = asyncio.Semaphore(cap)
    counts = {"up": 0, "down": 0, "timeouts": 0}
    await asyncio.gather(*(probe(sem, c, timeout, counts) for c in checks))
    return counts


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", required=True)
    ap.add_argument("--timeout-ms", type=int, default=3000)
    a = ap.parse_args()
    checks = load(a.targets)
    cap = max(1, raise_nofile() - FD_RESERVE)
    c0, t0 = cpu_s(), time.monotonic()
    counts = asyncio.run(run(checks, a.timeout_ms / 1000, cap))
    wall, cpu = time.monotonic() - t0, cpu_s() - c0
    print(f"prober.py: probes={len(checks)} up={counts['up']} down={counts['down']} "
          f"timeouts={counts['timeouts']} wall_ms={wall * 1000:.0f} cpu_ms={cpu * 1000:.0f} "
          f"cap={cap}", flush=True)


if __name__ == "__main__":
    main()
