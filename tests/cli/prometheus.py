#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""prometheus.py: contrib/prometheus against promtool and the daemon's
metric names.

  - promtool check rules and promtool test rules (the rules' own test
    file: each alert fires on the series that should wake someone and
    stays quiet on the others);
  - the Grafana dashboard is valid JSON with panels and queries;
  - every mtastsd_* name in the rules and the dashboard is a metric the
    daemon writes (src/metrics.c; a histogram's _bucket, _sum, _count),
    and docs/metrics.md documents every one of them.
Prints TAP; skips (with the reason) when promtool is not installed.
"""
import json
import os
import re
import shutil
import subprocess
import sys

SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")
PROM = os.path.join(SRCDIR, "contrib", "prometheus")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402


def promtool(t, args, name):
    p = subprocess.run(["promtool"] + args, cwd=PROM, capture_output=True,
                       text=True, timeout=120)
    t.ok(p.returncode == 0, name, got=(p.returncode, p.stdout[-2000:],
                                        p.stderr[-2000:]))


def metric_names():
    """The families src/metrics.c writes, with histogram series."""
    with open(os.path.join(SRCDIR, "src", "metrics.c")) as f:
        src = f.read()
    names = set(re.findall(r'"(mtastsd_[a-z_]+)"', src))
    for n in list(names):
        if n.endswith("_seconds") and "histogram" in src.split(n, 1)[1][:40]:
            names |= {n + s for s in ("_bucket", "_sum", "_count")}
    return names


def referenced(text):
    return set(re.findall(r"\b(mtastsd_[a-z_]+)\b", text))


def main():
    t = Tap()
    if shutil.which("promtool") is None:
        Tap.skip_all("promtool not installed (Debian: prometheus)")
        return 0
    promtool(t, ["check", "rules", "mtastsd-rules.yml"],
             "promtool check rules")
    promtool(t, ["test", "rules", "mtastsd-rules.test.yml"],
             "promtool test rules: every alert fires and stays quiet as "
             "its test says")
    known = metric_names()
    t.ok(len(known) > 30, "%d metric names found in src/metrics.c" %
         len(known))
    with open(os.path.join(PROM, "mtastsd-dashboard.json")) as f:
        text = f.read()
    try:
        dash = json.loads(text)
    except ValueError as e:
        dash = None
        t.ok(False, "dashboard: valid JSON", got=str(e))
    if dash is not None:
        exprs = [tg["expr"] for p in dash.get("panels", [])
                 for tg in p.get("targets", [])]
        t.ok(dash.get("title") and len(exprs) >= 10,
             "dashboard: valid JSON, %d queries" % len(exprs))
        t.is_(sorted(referenced(" ".join(exprs)) - known), [],
              "dashboard: every metric it queries exists")
    with open(os.path.join(PROM, "mtastsd-rules.yml")) as f:
        rules = f.read()
    t.is_(sorted(referenced(rules) - known), [],
          "rules: every metric they use exists")
    with open(os.path.join(SRCDIR, "docs", "metrics.md")) as f:
        doc = f.read()
    families = {n for n in known
                if not re.search(r"_(bucket|sum|count)$", n) or
                n[:n.rfind("_")] not in known}
    t.is_(sorted(n for n in families if "`%s`" % n not in doc), [],
          "docs/metrics.md documents every metric")
    t.is_(sorted(referenced(doc) - known), [],
          "docs/metrics.md names no metric that does not exist")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
