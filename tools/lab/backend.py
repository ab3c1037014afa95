#!/usr/bin/env python3
"""A lab backend: answers HTTP GET and UDP datagrams with its own name.

    backend.py --name b1 --ready FILE --addr 203.0.113.10 --addr 2001:db8:100::10

Every server is bound to one VIP address, not the wildcard: a UDP reply
then leaves from the VIP the client sent to (a wildcard socket would answer
from the interface address and the client would drop it), which is what
direct server return needs.  FILE is created once every socket listens.

GET /health and /health/KEY are health endpoints for hcd: they answer 503
while the file PREFIX + KEY exists (KEY "health" for /health), 200
otherwise, so a test can make one VIP's check fail without stopping the
servers (--down-prefix PREFIX).
"""
import os
import argparse
import http.server
import socket
import socketserver
import sys
import threading


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def health_down(prefix, path):
    """True when the health endpoint PATH is made to fail (503)."""
    if not prefix or not (path == "/health" or path.startswith("/health/")):
        return False
    key = path[len("/health/"):] if path.startswith("/health/") else "health"
    return "/" not in key and os.path.exists(prefix + key)


def http_server(name, addr, port, down_prefix):
    body = (name + "\n").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        # HTTP/1.1: a client may keep its connection for many requests
        # (tools/lab/hold.py, wrk); one that asks to close, or speaks
        # HTTP/1.0, gets its answer and the connection closed.
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(503 if health_down(down_prefix, self.path) else 200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("%s http %s %s\n" % (name, self.client_address[0], fmt % args))

    class Server(http.server.ThreadingHTTPServer):
        address_family = family_of(addr)
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A health checker may reset the connection once it has the
            # status line: one line, not a traceback.
            err = sys.exc_info()[1]
            if isinstance(err, (ConnectionResetError, BrokenPipeError)):
                sys.stderr.write("%s http %s %s\n" % (name, client_address[0], err))
                return
            super().handle_error(request, client_address)

        def server_bind(self):
            # The base class looks the address up in DNS (getfqdn), which
            # in a namespace without a resolver only waits for a timeout.
            socketserver.TCPServer.server_bind(self)
            self.server_name, self.server_port = addr, port

    return Server((addr, port), Handler)


def udp_server(name, addr, port):
    reply = name.encode()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            _, sock = self.request
            sock.sendto(reply, self.client_address)

    class Server(socketserver.ThreadingUDPServer):
        address_family = family_of(addr)
        daemon_threads = True

    return Server((addr, port), Handler)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--addr", action="append", required=True, help="VIP to serve (repeat)")
    ap.add_argument("--http-port", type=int, default=80)
    ap.add_argument("--udp-port", type=int, default=7)
    ap.add_argument("--ready", required=True, help="file created when listening")
    ap.add_argument("--down-prefix", default="", help="health endpoints fail while PREFIX+KEY exists")
    args = ap.parse_args()

    servers = []
    for addr in args.addr:
        servers.append(http_server(args.name, addr, args.http_port, args.down_prefix))
        servers.append(udp_server(args.name, addr, args.udp_port))
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(args.ready, "w") as f:
        f.write("ready\n")
    threading.Event().wait()


if __name__ == "__main__":
    main()
