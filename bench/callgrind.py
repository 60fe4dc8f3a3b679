#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""callgrind.py: user-space instructions per cached lookup, and per
metrics scrape, counted by valgrind's callgrind (docs/PERFORMANCE.md).

usage: bench/callgrind.py [-n DOMAINS] [--k1 N] [--k2 N] [-c CONNS]
           [--scrapes S1,S2] VARIANT...
  VARIANT   NAME=MTASTSD[,option=value...]: a daemon binary and the
            options added to the test configuration, e.g.
            main=/tmp/main/src/mtastsd  log=src/mtastsd,log_lookups=yes

A test world (tests/lib/world.py) serves DOMAINS policies; a plain run of
the first variant's daemon discovers them all, so every variant starts on
the same cache.  Each variant's daemon then runs under callgrind twice,
once for K1 and once for K2 cached socketmap lookups (bench/mtasts-bench,
CONNS connections, keys cycling over the domains), and stops; the
difference of the two totals divided by K2 - K1 is the cost of one
lookup, start-up and shutdown cancelling out.  With --scrapes, a variant
with metrics_listen is also run for S1 and S2 GET /metrics and no
lookup: the cost of one scrape.  Needs root, valgrind, the world's tools.
"""

import argparse
import os
import pwd
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from daemon import Client, Daemon, ns_socket  # noqa: E402
from world import World, policy_text  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
BENCH = os.path.join(BUILDDIR, "bench", "mtasts-bench")
METRICS_PORT = 9109


def parse_variant(s):
    name, _, rest = s.partition("=")
    parts = rest.split(",")
    opts = dict(p.split("=", 1) for p in parts[1:])
    return name, os.path.abspath(parts[0]), opts


def total_ir(path):
    with open(path) as f:
        for ln in f:
            m = re.match(r"(?:summary|totals): (\d+)", ln)
            if m:
                return int(m.group(1))
    raise RuntimeError("no total in " + path)


def scrape(w, n):
    for _ in range(n):
        s = ns_socket(w.ns)
        s.settimeout(60)
        s.connect(("127.0.0.1", METRICS_PORT))
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        while s.recv(65536):
            pass
        s.close()


def run_once(w, d, binary, opts, tag, lookups=0, scrapes=0, conns=8,
             ndom=1000):
    """One daemon run under callgrind; returns its total Ir."""
    # Written at exit, after the daemon dropped to its user.
    cg = os.path.join(w.dir, "callgrind")
    os.makedirs(cg, exist_ok=True)
    os.chmod(cg, 0o1777)
    out = os.path.join(cg, "callgrind.%s" % tag)
    # valgrind creates it at start (as root) and writes it at exit (as
    # the daemon's user): make it that user's first.
    with open(out, "w"):
        pass
    pw = pwd.getpwnam(d.opts["user"])
    os.chown(out, pw.pw_uid, pw.pw_gid)
    d.binary = binary
    d.write_conf(opts)
    if not d.start(wrap=["valgrind", "--tool=callgrind",
                         "--callgrind-out-file=" + out]):
        raise RuntimeError("daemon did not start:\n" + d.log()[-2000:])
    if lookups:
        r = w.run([os.path.abspath(BENCH), "-c", str(conns), "-n",
                   str(lookups), "-P", "d{n}.test", "-N", str(ndom),
                   "-T", "600", "unix:" + d.sock], timeout=3600)
        if r.rc != 0 or "OK" not in r.stdout:
            raise RuntimeError("bench failed: %s %s" % (r.stdout,
                                                        r.stderr))
    if scrapes:
        # Bound after the lookup socket that d.start() waits for.
        w.wait_tcp("127.0.0.1", METRICS_PORT, timeout=60)
        scrape(w, scrapes)
    w.stop_process(d.p, timeout=120)
    return total_ir(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--k1", type=int, default=5000)
    ap.add_argument("--k2", type=int, default=15000)
    ap.add_argument("-c", type=int, default=8)
    ap.add_argument("--scrapes", default="")
    ap.add_argument("variants", nargs="+")
    a = ap.parse_args()
    variants = [parse_variant(v) for v in a.variants]
    with World() as w:
        for i in range(a.n):
            w.add_domain("d%d.test" % i, policy=policy_text(
                mx=["mx.d%d.test" % i]))
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, variants[0][1], "cg", 0, test=False)
        d.opts["log_level"] = "info"
        d.write_conf()
        if not d.start():
            raise RuntimeError(d.log()[-2000:])
        r = w.run([os.path.abspath(BENCH), "-c", "50", "-n", str(a.n),
                   "-P", "d{n}.test", "-N", str(a.n), "-T", "120",
                   "unix:" + d.sock], timeout=600)
        w.stop_process(d.p)
        print("warm-up (discovery of %d domains): rc %s" % (a.n, r.rc))
        for name, binary, opts in variants:
            ir1 = run_once(w, d, binary, opts, name + ".1", a.k1, 0, a.c,
                           a.n)
            ir2 = run_once(w, d, binary, opts, name + ".2", a.k2, 0, a.c,
                           a.n)
            print("%-10s %8.0f instructions per cached lookup "
                  "(%d, %d lookups: %d, %d Ir)" % (
                      name, (ir2 - ir1) / (a.k2 - a.k1), a.k1, a.k2, ir1,
                      ir2), flush=True)
            if a.scrapes and "metrics_listen" in opts:
                s1, s2 = (int(x) for x in a.scrapes.split(","))
                ir1 = run_once(w, d, binary, opts, name + ".s1", 0, s1)
                ir2 = run_once(w, d, binary, opts, name + ".s2", 0, s2)
                print("%-10s %8.0f instructions per scrape (%d, %d "
                      "scrapes)" % (name, (ir2 - ir1) / (s2 - s1), s1,
                                    s2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
