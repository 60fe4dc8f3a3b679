#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""faults.py: misbehaving servers for the test world, and a readiness probe.

Run inside the world's network namespace by world.py (stdlib only):

    faults.py serve CONFIG.json
        One process, one thread per listener, one per connection:
          dns_servfail  UDP+TCP :53  answers SERVFAIL to every query
          tls-hang      :443  accepts TCP, never reads or writes
          http-hang     :443  completes TLS, reads the request, never answers
          trickle       :443  completes TLS, sends 200 headers with a
                              Content-Length, then the body one byte per
                              `trickle_interval` seconds
          garbage       :443  reads the ClientHello, answers plain-text HTTP
        TLS listeners pick <certdir>/<SNI>.pem (key <keyfile>) per
        handshake, like nginx does, so certificates come from the same
        factory; the trickled body is <policydir>/<SNI> when present.

    faults.py probe [--tcp ADDR:PORT]... [--dns ADDR[:PORT]]... [--timeout S]
        Exit 0 as soon as every TCP target accepts and every DNS server
        answers a query, 1 (listing what is not ready) at the timeout.

Limits: at most MAX_CONN open connections per listener (more are closed
at once); every wait is bounded by HOLD_MAX seconds, so a forgotten
client cannot pin a thread for ever.
"""

import collections
import json
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time

MAX_CONN = 2048
HOLD_MAX = 120.0
HEAD_MAX = 16384
DEFAULT_BODY = (b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\n"
                b"max_age: 86400\r\n")


# ------------------------------------------------------------------- DNS

def dns_question_end(msg):
    """Offset just past the first question, or None if malformed."""
    if len(msg) < 12 or struct.unpack(">H", msg[4:6])[0] < 1:
        return None
    i = 12
    while i < len(msg):
        n = msg[i]
        if n == 0:
            return i + 5 if i + 5 <= len(msg) else None
        if n & 0xC0:
            return None
        i += n + 1
    return None


def dns_servfail(query):
    """A SERVFAIL reply to `query` (question echoed), or None."""
    end = dns_question_end(query)
    if end is None:
        return None
    flags = struct.unpack(">H", query[2:4])[0]
    if flags & 0x8000:          # a response: never answer those
        return None
    flags = 0x8000 | (flags & 0x7900) | 0x0080 | 2   # QR, opcode, RD, RA
    return query[:2] + struct.pack(">HHHHH", flags, 1, 0, 0, 0) + \
        query[12:end]


def dns_query_packet(name, qtype=6, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        if label:
            q += bytes([len(label)]) + label.encode("ascii")
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def serve_dns_udp(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    while True:
        data, peer = s.recvfrom(4096)
        reply = dns_servfail(data)
        if reply:
            s.sendto(reply, peer)


def dns_tcp_conn(conn):
    with conn:
        conn.settimeout(10)
        while True:
            hdr = recv_exact(conn, 2)
            if not hdr:
                return
            msg = recv_exact(conn, struct.unpack(">H", hdr)[0])
            reply = dns_servfail(msg or b"")
            if reply is None:
                return
            conn.sendall(struct.pack(">H", len(reply)) + reply)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


# ------------------------------------------------------------------- TLS

class Tls:
    """Server contexts chosen by SNI from the certificate directory."""

    def __init__(self, conf):
        self.certdir = conf["certdir"]
        self.keyfile = conf["keyfile"]
        self.policydir = conf["policydir"]
        self._ctx = {}
        self._lock = threading.Lock()
        self.default = self._load(os.path.join(self.certdir, ".pem"))
        self.default.sni_callback = self._on_sni

    def _load(self, path):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(path, self.keyfile)
        return ctx

    def _on_sni(self, sock, name, _ctx):
        sock.mtasts_sni = name
        if not name or "/" in name or name.startswith("."):
            return None
        with self._lock:
            ctx = self._ctx.get(name)
            if ctx is None:
                try:
                    ctx = self._load(os.path.join(self.certdir,
                                                  name + ".pem"))
                except (OSError, ssl.SSLError):
                    return None      # keep the default certificate
                self._ctx[name] = ctx
        sock.context = ctx
        return None

    def wrap(self, conn):
        conn.settimeout(10)
        s = self.default.wrap_socket(conn, server_side=True)
        return s

    def body(self, sni):
        if sni and "/" not in sni and not sni.startswith("."):
            try:
                with open(os.path.join(self.policydir, sni), "rb") as f:
                    return f.read()
            except OSError:
                pass
        return DEFAULT_BODY


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < HEAD_MAX:
        chunk = s.recv(4096)
        if not chunk:
            return None
        buf += chunk
    return buf


def hold(s):
    """Keep a connection open, silent, until the peer closes it."""
    s.settimeout(HOLD_MAX)
    try:
        while s.recv(4096):
            pass
    except (OSError, ssl.SSLError):
        pass


# -------------------------------------------------------------- handlers

def on_http_hang(conn, tls, _conf):
    s = tls.wrap(conn)
    read_head(s)
    hold(s)


def on_trickle(conn, tls, conf):
    s = tls.wrap(conn)
    if read_head(s) is None:
        return
    body = tls.body(getattr(s, "mtasts_sni", None))
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
    deadline = time.monotonic() + HOLD_MAX
    for i in range(len(body)):
        if time.monotonic() > deadline:
            return
        s.sendall(body[i:i + 1])
        time.sleep(conf["trickle_interval"])


def on_garbage(conn, _tls, _conf):
    conn.settimeout(10)
    conn.recv(4096)          # the ClientHello: read it so close() sends FIN
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\n"
                 b"Connection: close\r\n\r\nnot TLS\r\n")
    conn.shutdown(socket.SHUT_WR)
    hold(conn)


HANDLERS = {"http-hang": on_http_hang, "trickle": on_trickle,
            "garbage": on_garbage}


def run_conn(handler, conn, tls, conf, slots):
    try:
        handler(conn, tls, conf)
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass
        slots.release()


def listen(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1024)
    return s


def serve_tls_hang(lsock):
    held = collections.deque()
    while True:
        conn, _ = lsock.accept()
        held.append(conn)
        if len(held) > MAX_CONN:
            held.popleft().close()


def serve_stream(lsock, handler, tls, conf):
    slots = threading.BoundedSemaphore(MAX_CONN)
    while True:
        conn, _ = lsock.accept()
        if not slots.acquire(blocking=False):
            conn.close()
            continue
        threading.Thread(target=run_conn, daemon=True,
                         args=(handler, conn, tls, conf, slots)).start()


def serve_dns_tcp(lsock):
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=dns_tcp_conn, args=(conn,),
                         daemon=True).start()


def serve(conf_path):
    with open(conf_path) as f:
        conf = json.load(f)
    tls = Tls(conf)
    threads = []
    for kind, addr in conf["listeners"].items():
        lsock = listen(addr, 443)
        if kind == "tls-hang":
            threads.append((serve_tls_hang, (lsock,)))
        else:
            threads.append((serve_stream, (lsock, HANDLERS[kind], tls, conf)))
    dns = conf.get("dns_servfail")
    if dns:
        threads.append((serve_dns_udp, (dns,)))
        threads.append((serve_dns_tcp, (listen(dns, 53),)))
    for fn, args in threads:
        threading.Thread(target=fn, args=args, daemon=True).start()
    print("faults: serving %s" % ", ".join(conf["listeners"]), flush=True)
    while True:
        time.sleep(3600)


# ----------------------------------------------------------------- probe

def split_hostport(s, default_port):
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if s.count(":") == 1:
        host, port = s.split(":")
        return host, int(port)
    return s, default_port


def probe_tcp(target):
    host, port = split_hostport(target, 443)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        try:
            s.connect((host, port))
            return True
        except OSError:
            return False


def probe_dns(target):
    host, port = split_hostport(target, 53)
    q = dns_query_packet("test.", 6)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(q, (host, port))
            while True:
                data = s.recv(4096)
                if data[:2] == q[:2]:
                    return True
        except OSError:
            return False


def probe(args):
    todo, timeout = [], 10.0
    it = iter(args)
    for a in it:
        if a == "--tcp":
            todo.append((probe_tcp, next(it)))
        elif a == "--dns":
            todo.append((probe_dns, next(it)))
        elif a == "--timeout":
            timeout = float(next(it))
        else:
            print("probe: bad argument %r" % a, file=sys.stderr)
            return 2
    deadline = time.monotonic() + timeout
    while todo:
        todo = [(fn, t) for fn, t in todo if not fn(t)]
        if not todo:
            break
        if time.monotonic() > deadline:
            print("probe: not ready: %s" % " ".join(t for _, t in todo),
                  file=sys.stderr)
            return 1
        time.sleep(0.02)
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "serve":
        serve(argv[2])
        return 0
    if len(argv) >= 2 and argv[1] == "probe":
        return probe(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
