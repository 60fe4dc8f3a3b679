#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""version.py: every program answers --help and --version as a newcomer
types them: mtastsd -h/--help/-V/--version, mtasts --help/--version,
table-mtasts --help/--version.  Each exits 0 with the text on standard
output; the version is configure's (PACKAGE_VERSION in config.h) and the
one the man pages name.  A wrong option still exits non-zero with the
usage on standard error.  Prints TAP.
"""
import os
import re
import subprocess
import sys

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
SRCDIR = os.environ.get("MTASTS_SRCDIR", os.path.join(BUILDDIR, ".."))
PROGS = {
    "mtastsd": os.environ.get("MTASTSD") or
    os.path.join(BUILDDIR, "src", "mtastsd"),
    "mtasts": os.environ.get("MTASTS") or
    os.path.join(BUILDDIR, "src", "mtasts"),
    "table-mtasts": os.environ.get("TABLE_MTASTS") or
    os.path.join(BUILDDIR, "src", "table-mtasts"),
}
MANS = {"mtastsd": "mtastsd.8", "mtasts": "mtasts.1",
        "table-mtasts": "table-mtasts.8"}

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402


def package_version():
    with open(os.path.join(BUILDDIR, "config.h")) as f:
        m = re.search(r'#define PACKAGE_VERSION "([^"]+)"', f.read())
    return m.group(1) if m else None


def run(prog, *args):
    # stdin closed: table-mtasts must not wait for smtpd.
    return subprocess.run([PROGS[prog]] + list(args), capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)


def main():
    t = Tap()
    version = package_version()
    t.ok(version is not None, "PACKAGE_VERSION in config.h")
    asks = [("mtastsd", "-V"), ("mtastsd", "--version"),
            ("mtasts", "--version"), ("table-mtasts", "--version"),
            ("table-mtasts", "-V")]
    for prog, opt in asks:
        r = run(prog, opt)
        t.ok(r.returncode == 0 and r.stdout.startswith(prog) and
             r.stdout.strip().endswith(" %s" % version) and
             r.stderr == "", "%s %s: the version, exit 0" % (prog, opt),
             got=(r.returncode, r.stdout, r.stderr))
    for prog, opt in [("mtastsd", "-h"), ("mtastsd", "--help"),
                      ("mtasts", "--help"), ("mtasts", "-h"),
                      ("table-mtasts", "--help")]:
        r = run(prog, opt)
        t.ok(r.returncode == 0 and r.stdout.startswith("usage: %s" % prog)
             and "See %s(" % prog in r.stdout,
             "%s %s: the usage on stdout, exit 0" % (prog, opt),
             got=(r.returncode, r.stdout, r.stderr))
    r = run("mtastsd", "-x")
    t.ok(r.returncode == 1 and "usage: mtastsd" in r.stderr and
         r.stdout == "", "mtastsd -x: usage on stderr, exit 1",
         got=(r.returncode, r.stdout, r.stderr))
    r = run("mtastsd", "--versio")
    t.ok(r.returncode == 0 and r.stdout.strip() == "mtastsd " + version,
         "mtastsd --versio: a unique prefix is accepted (getopt_long)",
         got=(r.returncode, r.stdout, r.stderr))
    for prog, man in MANS.items():
        with open(os.path.join(SRCDIR, "docs", man)) as f:
            th = [x for x in f if x.startswith(".TH ")][0]
        t.ok('"mtastsd %s"' % version in th,
             "%s names version %s" % (man, version), got=th)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
