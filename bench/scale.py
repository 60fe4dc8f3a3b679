#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""scale.py: mtastsd with a large cache (docs/PERFORMANCE.md, "Scale").

usage: bench/scale.py --builddir DIR [--small N] [--policies N]
                      [--negatives N] [--secs S] [--conns LIST]
                      [--callgrind] [--smoke] [--json FILE]

Builds two caches with bench/cachefill (store API, 10,000 records per
transaction): a small one (--small policies, default 10,000) and a large
one (--policies, default 100,000, and --negatives, default 1,000,000,
half of them stale so that the sweeper has work).  For each it starts
src/mtastsd (-T, as user nobody, in a network namespace of its own with
only loopback: nothing can leave the machine; no DNS server; the
STARTTLS list off) and measures:
  - the data file's size on disk and the daemon's RSS (and its parts);
  - hot lookups with bench/mtasts-bench over the Unix socket, every
    cached policy in turn, --secs seconds per row: req/s, p50, p99;
  - cache.list: the time to stream every entry, and the lookups' p99
    while it runs (large cache only);
  - one sweep pass (test.sweep): its duration, its longest batch, what
    it removed, and the lookups' p99 while it runs (large cache only).
--callgrind: instead, the user-space instructions of one cached lookup
with each cache, exactly (valgrind's callgrind, which counts, so the
shared machine's noise does not matter): the daemon under callgrind
answers 10,000 and then, in a second run, 30,000 lookups (8
connections, every cached policy in turn); the difference of the
totals divided by 20,000.
Runs as root.  --smoke: tiny sizes, 1 s rows, checks only that every
step works (tests/integ/bench_smoke.py style), never the timings.
The machine is shared: latencies are noisy; compare within one run.
"""

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

USER = "nobody"


def sh(*argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True,
                          capture_output=True, text=True, **kw).stdout


class Daemon:
    def __init__(self, build, top, name):
        self.dir = os.path.join(top, name)
        self.state = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "mtastsd.sock")
        self.conf = os.path.join(self.dir, "mtastsd.conf")
        self.binary = os.path.join(build, "src", "mtastsd")
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o711)
        pw = pwd.getpwnam(USER)
        opts = {
            "user": USER, "socket": self.sock, "socket_owner": "root",
            "socket_group": "root", "socket_mode": "0600",
            "pidfile": os.path.join(self.dir, "mtastsd.pid"),
            "state_dir": self.state, "dns_servers": "127.0.0.1:9",
            "cache_map_size": "16M", "cache_map_max": "4G",
            "starttls_list": "no", "starttls_list_url": "",
            "max_connections": "200", "log_level": "info",
        }
        with open(self.conf, "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in opts.items()))
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.p = None

    def fill(self, build, *args):
        out = sh(os.path.join(build, "bench", "cachefill"), *args,
                 self.state)
        for root, _, files in os.walk(self.state):
            for n in [root] + [os.path.join(root, f) for f in files]:
                os.chown(n, self.uid, self.gid)
        return dict(line.split() for line in out.splitlines())

    def start(self, wrap=()):
        log = open(os.path.join(self.dir, "log"), "w")
        self.p = subprocess.Popen(
            ["unshare", "-n", "sh", "-c",
             'ip link set lo up && exec "$@"', "sh"] + list(wrap) +
            [self.binary, "-d", "-T", "-f", self.conf],
            stdout=log, stderr=log)
        t_end = time.monotonic() + 120
        while time.monotonic() < t_end:
            try:
                self.json({"op": "stats"})
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("mtastsd did not start")

    def pid(self):
        # unshare execs sh, which execs mtastsd: the same pid.
        return self.p.pid

    def json(self, obj):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(600)
        s.connect(self.sock)
        try:
            s.sendall((json.dumps(obj) + "\n").encode())
            buf = b""
            while b"\n" not in buf:
                b = s.recv(65536)
                if not b:
                    raise OSError("closed")
                buf += b
            return json.loads(buf.split(b"\n", 1)[0])
        finally:
            s.close()

    def stop(self):
        if self.p is not None:
            self.p.terminate()
            self.p.wait(30)

    def rss(self):
        out = {}
        with open("/proc/%d/status" % self.pid()) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(v.split()[0]) / 1024.0
        return out


def bench(build, d, pattern, n, secs, conns):
    out = sh(os.path.join(build, "bench", "mtasts-bench"), "-j", "-c",
             conns, "-d", secs, "-w", 1, "-P", pattern, "-N", n,
             "-p", d.pid(), d.sock)
    return json.loads(out)


def cache_list(d):
    """Stream cache.list; returns (entries, seconds)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(600)
    s.connect(d.sock)
    t0 = time.monotonic()
    s.sendall(b'{"op":"cache.list"}\n')
    n, buf = 0, b""
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        buf += b
        lines = buf.split(b"\n")
        buf = lines.pop()
        for line in lines:
            if b'"end":true' in line:
                s.close()
                return n, time.monotonic() - t0
            n += 1
    s.close()
    return n, time.monotonic() - t0


def during(fn, build, d, pattern, n, secs, conns):
    """Run fn() while lookups run; both results."""
    box = {}
    th = threading.Thread(target=lambda: box.update(
        b=bench(build, d, pattern, n, secs, conns)))
    th.start()
    time.sleep(1.2)             # past the warm-up
    r = fn()
    th.join()
    return r, box.get("b")


def sweep(d):
    n = d.json({"op": "test.sweep"})["passes"]
    while True:
        c = d.json({"op": "stats"})["cache"]
        if c["sweep"]["passes"] > n:
            return c
        time.sleep(0.05)


def callgrind_ir(build, d, pattern, npol, count):
    """Total instructions of a daemon run that answers `count`."""
    out = os.path.join(d.dir, "cg.%d" % count)
    # callgrind creates it as root and writes it at exit as nobody.
    open(out, "w").close()
    os.chown(out, d.uid, d.gid)
    d.start(["valgrind", "--tool=callgrind", "--vgdb=no",
             "--callgrind-out-file=" + out])
    sh(os.path.join(build, "bench", "mtasts-bench"), "-c", 8, "-n", count,
       "-P", pattern, "-N", npol, d.sock)
    d.stop()
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + out)


def row(name, b):
    return "%-36s %9.0f req/s  p50 %7.1f µs  p99 %7.1f µs  cpu/req %5.2f µs" \
        % (name, b["rps"], b["p50_us"], b["p99_us"],
           b.get("server_cpu_us", float("nan")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--small", type=int, default=10000)
    ap.add_argument("--policies", type=int, default=100000)
    ap.add_argument("--negatives", type=int, default=1000000)
    ap.add_argument("--secs", type=int, default=5)
    ap.add_argument("--conns", default="1,8")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.smoke:
        a.small, a.policies, a.negatives, a.secs = 200, 500, 2000, 1
    build = os.path.abspath(a.builddir)
    top = tempfile.mkdtemp(prefix="mtasts-scale.")
    os.chmod(top, 0o711)
    res = {"command": " ".join(sys.argv), "when": time.strftime(
        "%Y-%m-%d %H:%M UTC", time.gmtime()), "uname": os.uname().release}
    print("# %s, %s" % (res["when"], res["command"]))
    try:
        for name, pol, neg in (("small", a.small, 0),
                               ("large", a.policies, a.negatives)):
            d = Daemon(build, top, name)
            t0 = time.monotonic()
            f = d.fill(build, "-p", pol, "-n", neg, "-s", neg // 2)
            r = {"fill": f, "fill_s": time.monotonic() - t0}
            data = os.path.join(d.state, "data.mdb")
            st = os.stat(data)
            r["file_bytes"], r["disk_bytes"] = st.st_size, st.st_blocks * 512
            pattern = "p{n}.fill.test"
            if a.callgrind:
                n1 = callgrind_ir(build, d, pattern, pol, 10000)
                n2 = callgrind_ir(build, d, pattern, pol, 30000)
                r["ir_per_lookup"] = (n2 - n1) / 20000.0
                print("%s: %d policies, %d negatives: %.0f instructions "
                      "per cached lookup (callgrind: %d and %d in all)" % (
                          name, pol, neg, r["ir_per_lookup"], n1, n2))
                res[name] = r
                continue
            d.start()
            r["rss_start"] = d.rss()
            for c in a.conns.split(","):
                r["hot_%s" % c] = bench(build, d, pattern, pol, a.secs, c)
            r["rss_hot"] = d.rss()
            print("%s: %d policies, %d negatives; file %.1f MiB (%.1f on "
                  "disk); filled in %.1f s; RSS %.1f MiB (anon %.1f, file "
                  "%.1f, shmem %.1f) after the hot rows" % (
                      name, pol, neg, st.st_size / 2**20,
                      r["disk_bytes"] / 2**20, r["fill_s"],
                      r["rss_hot"]["VmRSS"], r["rss_hot"]["RssAnon"],
                      r["rss_hot"]["RssFile"], r["rss_hot"]["RssShmem"]))
            for c in a.conns.split(","):
                print(row("  hot, %s conns" % c, r["hot_%s" % c]))
            if name == "large":
                (n, secs), b = during(lambda: cache_list(d), build, d,
                                      pattern, pol, a.secs, 1)
                r["list"] = {"entries": n, "secs": secs, "hot": b}
                print("  cache.list: %d entries in %.2f s" % (n, secs))
                print(row("  hot, 1 conn, during cache.list", b))
                s, b = during(lambda: sweep(d), build, d, pattern, pol,
                              a.secs, 1)
                r["sweep"] = {"stats": s, "hot": b}
                sw = s["sweep"]
                print("  sweep: %d ms for the pass, %d batches, mean %.0f "
                      "µs, longest %d µs, removed %d negatives; now %d "
                      "policies, %d negatives" % (
                          sw["last_pass_ms"], sw["batches"],
                          sw["batch_us_total"] / max(sw["batches"], 1),
                          sw["batch_us_max"],
                          s["sweep"]["negatives"], s["policies"],
                          s["negatives"]))
                print(row("  hot, 1 conn, during the sweep", b))
                r["rss_end"] = d.rss()
            d.stop()
            res[name] = r
    finally:
        if not os.environ.get("SCALE_KEEP"):
            shutil.rmtree(top, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
