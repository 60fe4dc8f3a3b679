#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""bench_smoke.py: TAP smoke test of the benchmark (bench/bench.py).

Runs bench/bench.py --smoke (100 domains, 1 s per row) so the benchmark
keeps working: it must complete, print the Markdown table, and every
mtastsd answer must be the expected one, cold and hot, over TCP and Unix.
The null server and, when installed (tests/deps.sh --bench; the suite
itself does not need it), Debian's postfix-mta-sts-resolver must have
answered too (the resolver's answers checked with its match=
list as a set).  Timings are printed as diagnostics, never asserted: the
real numbers come from running bench/bench.py by hand
(docs/PERFORMANCE.md).

Needs root, the test world's tools, and the build's src/mtastsd and
bench/ programs ($MTASTS_BUILDDIR); otherwise SKIP.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("MTASTS_SRCDIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))
from world import Tap, skip_reason  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", os.getcwd())
RESOLVER = "/usr/bin/mta-sts-daemon"
TRANSPORTS = ("tcp", "unix")
CONNS = (1, 8, 64)


def why_skip():
    why = skip_reason()
    if why:
        return why
    for prog in ("src/mtastsd", "bench/mtasts-bench", "bench/nullmap"):
        if not os.access(os.path.join(BUILDDIR, prog), os.X_OK):
            return "%s not built in %s" % (prog, BUILDDIR)
    return None


def all_answered(out, n):
    """Every request answered, and correctly when checked."""
    return (out is not None and "failed" not in out and
            out["requests"] >= n and out["wrong"] == 0 and
            out["timeouts"] == 0 and out["errors"] == 0)


def check_server(t, res, name, checked):
    t.ok(res is not None and "failed" not in res, "%s ran" % name,
         got=res and res.get("failed"))
    if res is None or "failed" in res:
        return
    out = res["cold"].get("100")
    t.ok(all_answered(out, 100) and out["checked"] == checked,
         "%s cold: 100 domains answered%s" % (
             name, ", all correct" if checked else ""), got=out)
    for tr in TRANSPORTS:
        for c in CONNS:
            out = res["hot"].get("%s/%d" % (tr, c))
            t.ok(all_answered(out, 1), "%s hot %s %d conn: answered%s" % (
                name, tr, c, ", all correct" if checked else ""), got=out)
    for key in ("mem_idle", "mem_cold", "mem_hot"):
        rss = res.get(key, {}).get("VmRSS")
        t.ok(isinstance(rss, float) and rss > 0,
             "%s %s: RSS measured" % (name, key), got=res.get(key))


def main():
    why = why_skip()
    if why:
        Tap.skip_all(why)
    t = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        out_json = os.path.join(tmp, "bench.json")
        r = subprocess.run(
            ["/usr/bin/python3", os.path.join(SRCDIR, "bench", "bench.py"),
             "--smoke", "--builddir", BUILDDIR, "--json", out_json],
            capture_output=True, text=True, timeout=600)
        t.is_(r.returncode, 0, "bench.py --smoke exits 0",
              diag=r.stderr[-2000:])
        t.ok("| hot Unix, 64 conns | req/s |" in r.stdout and
             "| cold 100 domains, 50 conns |" in r.stdout,
             "the Markdown table is printed", got=r.stdout[-500:])
        try:
            with open(out_json) as f:
                results = json.load(f)["results"]
        except (OSError, ValueError) as e:
            t.ok(False, "bench.py wrote its JSON", got=str(e))
            return t.done()
    t.diag(r.stdout)
    check_server(t, results.get("mtastsd"), "mtastsd", True)
    check_server(t, results.get("null"), "null server", False)
    if os.path.exists(RESOLVER):
        check_server(t, results.get("resolver"), "resolver", True)
    else:
        t.diag("%s not installed: resolver not run" % RESOLVER)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
