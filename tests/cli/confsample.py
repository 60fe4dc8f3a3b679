#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""confsample.py: the installed mtastsd.conf lists every option.

The commented configuration "make install" puts in sysconfdir
(gen/mtastsd.conf, from contrib/mtastsd/mtastsd.conf) must hold every
option of the table in src/conf.c once, as "#name = default", each
after a comment saying what it is for, and those defaults must be the
daemon's: the file with every option uncommented must give exactly
what "mtastsd -n" prints with no file.  The installed table-mtasts.conf
must name the socket the daemon uses by default.  Prints TAP.
"""
import os
import re
import subprocess
import sys
import tempfile

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
MTASTSD = os.path.join(BUILDDIR, "src", "mtastsd")
SAMPLE = os.path.join(BUILDDIR, "gen", "mtastsd.conf")
TABLE = os.path.join(BUILDDIR, "gen", "table-mtasts.conf")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()
OPTION = re.compile(r"^#([a-z_0-9]+) =(?: (.*))?$")


def dump(path):
    p = subprocess.run([MTASTSD, "-n", "-f", path], capture_output=True,
                       text=True, timeout=30)
    T.ok(p.returncode == 0, "mtastsd -n -f %s" % os.path.basename(path),
         diag=p.stderr)
    return p.stdout


def main():
    if not os.access(MTASTSD, os.X_OK):
        T.skip_all("%s not built" % MTASTSD)
    with open(SAMPLE) as f:
        lines = f.read().splitlines()
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as empty:
        defaults = dump(empty.name)
    names = [ln.split(" = ")[0] for ln in defaults.splitlines()]
    listed = [OPTION.match(ln).group(1) for ln in lines if OPTION.match(ln)]
    T.is_(sorted(set(listed)), sorted(names),
          "the sample lists every option of src/conf.c, and no other")
    T.ok(len(listed) == len(set(listed)), "no option listed twice",
         got=sorted(n for n in listed if listed.count(n) > 1))
    # Each option follows a comment (its reason) in its block; options
    # may share one comment (socket_owner and socket_group).
    bare = []
    for i, ln in enumerate(lines):
        if not OPTION.match(ln):
            continue
        j = i - 1
        while j >= 0 and OPTION.match(lines[j]):
            j -= 1
        if j < 0 or not re.match(r"^# \S", lines[j]):
            bare.append(OPTION.match(ln).group(1))
    T.ok(not bare, "every option comes after a comment saying why",
         got=bare)
    T.is_(dump(SAMPLE), defaults, "the installed file, as it is, changes "
          "nothing")
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("\n".join(ln[1:] if OPTION.match(ln) else ln
                          for ln in lines) + "\n")
        f.flush()
        T.is_(dump(f.name), defaults, "with every option uncommented, the "
              "values are exactly the daemon's defaults")
    socket = dict(ln.split(" = ", 1) for ln in
                  defaults.splitlines())["socket"]
    with open(TABLE) as f:
        m = re.search(r"^#socket = (\S+)$", f.read(), re.M)
    T.is_(m.group(1) if m else None, socket,
          "installed table-mtasts.conf names the daemon's socket")
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
