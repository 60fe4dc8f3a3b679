#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""cache_sweep.py: TAP test of the bounded cache (src/sweep.h,
mtastsd(8) "Cache size"), on caches built by bench/cachefill.

One daemon (mtastsd -T) in a test world:
  - a cache of valid, long-expired and just-expired policies and of
    stale and fresh negative entries: a sweep (test.sweep) removes the
    stale negatives and the policies expired for longer than
    cache_expired_keep, nothing else; valid policies are still answered
    from the cache; as the test clock moves, the rest goes in turn, and
    the counters say so;
  - cache.list of 20,000 entries is complete and in order;
  - a cache filled to 84% of cache_map_max: one warning at start, a
    sweep; filled to 98%: a second warning, fresh negative entries are
    evicted until the fill is under 90% ("back to"), policies are kept.
Not root or a tool missing: SKIP.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from daemon import (Client, Daemon, mtastsd_binary,  # noqa: E402
                    run_skip_reason)
from world import Tap, World  # noqa: E402

USER = "nobody"
WEEK = 604800


def cachefill():
    return os.path.abspath(os.path.join(
        os.environ.get("MTASTS_BUILDDIR") or os.getcwd(), "bench",
        "cachefill"))


def fill(d, *args):
    """Build d's cache anew with bench/cachefill, owned by the daemon
    user."""
    shutil.rmtree(d.state, ignore_errors=True)
    out = subprocess.run([cachefill()] + [str(a) for a in args] +
                         [d.state], check=True, capture_output=True,
                         text=True).stdout
    pw = pwd.getpwnam(USER)
    for root, dirs, files in os.walk(d.state):
        for n in [root] + [os.path.join(root, f) for f in files]:
            os.chown(n, pw.pw_uid, pw.pw_gid)
    return dict(line.split() for line in out.splitlines())


def op(d, obj):
    c = Client(d)
    try:
        return c.json(obj)
    finally:
        c.close()


def cache_stats(d):
    return d.stats()["cache"]


def sweep(d):
    """A whole pass (test.sweep), then the cache's stats."""
    n = op(d, {"op": "test.sweep"})["passes"]
    t_end = time.monotonic() + 60
    while time.monotonic() < t_end:
        s = cache_stats(d)
        if s["sweep"]["passes"] > n:
            return s
        time.sleep(0.05)
    return None


def stop(d):
    if d.p is not None and d.p.poll() is None:
        d.p.terminate()
        d.p.wait(10)


def list_all(d):
    c = Client(d, timeout=60)
    try:
        c.send(json.dumps({"op": "cache.list"}) + "\n")
        lines = []
        while True:
            o = json.loads(c.line())
            if o.get("end") or "error" in o:
                return lines, o
            lines.append(o)
    finally:
        c.close()


def test_sweep(t, d):
    f = fill(d, "-p", 300, "-e", 100, "-n", 3000, "-s", 1000, "-d", 300)
    t.is_((f["policies"], f["negatives"], f["dane"]), ("300", "3000", "300"),
          "filled")
    if not t.ok(d.start(), "daemon starts on the filled cache"):
        return
    s = cache_stats(d)
    t.is_((s["policies"], s["negatives"]), (300, 3000),
          "stats: entries by kind")
    t.ok("kept" not in s["sweep"], "no counts by kind before a pass")
    t0 = int(time.time())
    s = sweep(d)
    t1 = int(time.time())
    t.ok(s is not None, "test.sweep: a pass ends")
    if s is None:
        return
    k = s["sweep"].get("kept", {})
    t.ok(t0 <= k.get("at", 0) <= t1, "kept.at: when the pass ended "
         "(%s in [%d, %d])" % (k.get("at"), t0, t1))
    t.is_((k.get("policy"), k.get("negative"), k.get("dane")),
          ({"enforce": 200, "testing": 0, "none": 0},
           {"no-record": 2000, "dns-error": 0, "fetch-error": 0,
            "policy-invalid": 0}, 200),
          "kept: what the pass kept, by mode, reason and kind")
    t.is_((s["policies"], s["negatives"], s["dane_entries"],
           s["sweep"]["policies"], s["sweep"]["negatives"],
           s["sweep"]["dane"], s["sweep"]["evicted"]),
          (200, 2000, 200, 100, 1000, 100, 0), "sweep: the 100 policies "
          "and DANE verdicts expired 30 days ago and the 1000 stale "
          "negatives go, nothing else")
    c = Client(d)
    # dane = yes: the cached DANE verdict ("dane") comes first.
    t.is_(c.sockmap("p150.fill.test"), "OK dane",
          "a valid policy and its DANE verdict are still answered")
    t.is_(c.sockmap("p50.fill.test"), "NOTFOUND ",
          "a swept (expired) policy's domain is a miss (NXDOMAIN here)")
    c.close()
    lines, end = list_all(d)
    doms = [o["domain"] for o in lines]
    t.ok(end.get("count") == len(lines) and
         doms[:200] == sorted(doms[:200]) and
         doms[200:] == sorted(doms[200:]) and
         len(set(doms)) == len(doms), "cache.list: every entry once, "
         "in order (%d)" % len(lines))
    # Fresh negatives: retry 900 s, cap 3600 s.
    op(d, {"op": "test.clock", "advance": 900 + 3600})
    s = sweep(d)
    # The lookup of p50 above stored a DANE verdict of its own.
    t.is_((s["policies"], s["negatives"], s["sweep"]["dane"],
           s["dane_entries"] >= 200), (200, 0, 100, True),
          "clock +4500 s: the rest of the negatives go, policies and "
          "DANE verdicts (a day) stay")
    k = s["sweep"]["kept"]
    t.is_((k["policy"]["enforce"], sum(k["negative"].values()), k["dane"]),
          (200, 0, s["dane_entries"]), "kept: the second pass's counts")
    op(d, {"op": "test.clock", "advance": WEEK + 7 * 86400 + 10})
    s = sweep(d)
    t.is_((s["policies"], s["dane_entries"]), (0, 0), "clock +2 weeks: "
          "expired past cache_expired_keep, the policies go, and the "
          "DANE verdicts a day past their expiry")
    t.ok("cache sweep: " in d.log(), "the log says what a pass removed")
    stop(d)


def test_list_big(t, d):
    fill(d, "-p", 200, "-n", 20000)
    if not t.ok(d.start(), "daemon starts on 20,200 entries"):
        return
    t0 = time.monotonic()
    lines, end = list_all(d)
    dt = time.monotonic() - t0
    doms = [o["domain"] for o in lines]
    t.ok(len(lines) == 20000 + 200 and end.get("count") == len(lines) and
         doms[200:] == sorted(doms[200:]), "cache.list of 20,200 entries: "
         "complete, in order, %.2f s" % dt)
    stop(d)


def test_fill(t, d):
    d.write_conf({"cache_map_size": "1M", "cache_map_max": "4M"})
    fill(d, "-m", 4 << 20, "-n", 27000)
    if not t.ok(d.start(), "daemon starts on a cache at ~84%"):
        return
    t.ok(d.wait_log("of cache_map_max used"), "a warning at the first "
         "check")
    s = sweep(d)
    t.is_((s["negatives"], s["sweep"]["evicted"]), (27000, 0),
          "under 95%: fresh negatives are kept")
    t.is_(d.log().count("of cache_map_max used"), 1, "one warning only")
    stop(d)
    fill(d, "-m", 4 << 20, "-b", 100, "-n", 32000, "-p", 20)
    d.start()
    t.ok(d.wait_log("evicting negative entries"), "at 98%: the second "
         "warning, evicting")
    t.ok(d.wait_log("back to", timeout=30), "evicted until under 90%")
    s = cache_stats(d)
    pct = 100 * s["used_bytes"] / s["map_max"]
    t.ok(pct < 90 and s["policies"] == 20 and
         0 < s["sweep"]["evicted"] < 32000,
         "fill %.0f%%, %d evicted, every policy kept" %
         (pct, s["sweep"]["evicted"]))
    stop(d)


def main():
    binary = mtastsd_binary()
    reason = world.skip_reason() or run_skip_reason(binary, USER)
    if not reason and not os.access(cachefill(), os.X_OK):
        reason = "no bench/cachefill"
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, binary, "sweep", 0, user=USER)
        d.write_conf({"cache_expired_keep": "7d"})
        for name, fn in (("sweep", test_sweep), ("list", test_list_big),
                         ("fill", test_fill)):
            t0 = time.monotonic()
            try:
                fn(t, d)
            except Exception as e:     # report, keep the TAP stream valid
                t.ok(False, "%s: %s: %s" % (name, type(e).__name__, e))
                if d.p is not None:
                    t.diag(d.log()[-2000:])
            finally:
                if d.p is not None:
                    stop(d)
            t.diag("%s: %.2f s" % (name, time.monotonic() - t0))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
