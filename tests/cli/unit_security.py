#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""unit_security.py: the shipped systemd unit stays hardened.

"systemd-analyze security --offline=yes" rates the unit as "make
install" installs it (gen/mtastsd.service) and the copy in contrib/;
the exposure is printed and must be 2.5 or less (Debian's
postfix-mta-sts-resolver unit: 2.3).  Also checks the choices the
daemon's code relies on: Type=notify, a User= that is not root,
ExecReload, LimitNOFILE above max_connections' default.  Prints TAP;
SKIP when systemd-analyze is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")
MAX_EXPOSURE = 2.5

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()


def exposure(unit):
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        "--no-pager", unit], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                  p.stdout + p.stderr)
    return (float(m.group(1)) if m else None), p.stdout + p.stderr


def main():
    if shutil.which("systemd-analyze") is None:
        T.skip_all("systemd-analyze not installed")
    units = [os.path.join(SRCDIR, "contrib", "systemd", "mtastsd.service"),
             os.path.join(BUILDDIR, "gen", "mtastsd.service")]
    for unit in units:
        if not os.path.exists(unit):
            T.ok(False, "%s exists (make all builds it)" % unit)
            continue
        score, out = exposure(unit)
        T.diag("systemd-analyze security --offline=yes %s: %s" % (unit, score))
        T.ok(score is not None and score <= MAX_EXPOSURE,
             "%s: exposure %s <= %s" % (os.path.relpath(unit, BUILDDIR),
                                         score, MAX_EXPOSURE),
             diag="\n".join(ln for ln in out.splitlines() if "✗" in ln))
        with open(unit) as f:
            text = f.read()
        keys = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
        T.is_(keys.get("Type"), "notify", "Type=notify (sdnotify.c)")
        T.ok(keys.get("User") not in (None, "", "root", "0"),
             "User= set, not root", got=keys.get("User"))
        T.ok("ExecReload" in keys, "ExecReload= (SIGHUP)")
        T.ok(int(keys.get("LimitNOFILE", "0")) > 1024,
             "LimitNOFILE= above max_connections' default (1024)",
             got=keys.get("LimitNOFILE"))
    dropins(units[0])
    return T.done()


def dropins(unit):
    """The unit with each example drop-in of contrib/systemd (the
    Postfix Unix-socket set-ups) stays within the limit too.  A drop-in's
    [Service] lines are read as if they followed the unit's, so the
    unit is rated with the drop-in appended, under the unit's name."""
    tmp = tempfile.mkdtemp(prefix="unit_security.")
    try:
        for name in ("postfix-proxy.conf", "postfix-unix.conf"):
            path = os.path.join(SRCDIR, "contrib", "systemd", name)
            merged = os.path.join(tmp, "mtastsd.service")
            with open(unit) as u, open(path) as d, open(merged, "w") as f:
                f.write(u.read() + d.read())
            score, out = exposure(merged)
            T.diag("systemd-analyze security --offline=yes, unit + %s: %s"
                   % (name, score))
            T.ok(score is not None and score <= MAX_EXPOSURE,
                 "mtastsd.service with drop-in %s: exposure %s <= %s" % (
                     name, score, MAX_EXPOSURE),
                 diag="\n".join(ln for ln in out.splitlines() if "✗" in ln))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
