#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""libinit.py: mtastsd opts out of GnuTLS's implicit initialisation.

Debian's libcurl maps GnuTLS (through librtmp), whose constructor would
initialise it in the daemon for nothing (src/mtastsd.c).  The opt-out
works only if GnuTLS's constructor, through the dynamic linker, calls
mtastsd's _gnutls_global_init_skip and not its own weak default: the
dynamic linker's own trace (LD_DEBUG=bindings) of "mtastsd -n" must
show that binding.  Skipped when GnuTLS is not mapped at all.  Prints
TAP.
"""
import os
import subprocess
import sys
import tempfile

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
MTASTSD = os.path.join(BUILDDIR, "src", "mtastsd")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()
SYM = "_gnutls_global_init_skip"


def main():
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "empty.conf")
        open(conf, "w").close()
        env = dict(os.environ, LD_DEBUG="bindings,files",
                   LD_DEBUG_OUTPUT=os.path.join(d, "ld"))
        p = subprocess.run([MTASTSD, "-n", "-f", conf], env=env,
                           capture_output=True, text=True, timeout=60)
        T.ok(p.returncode == 0, "mtastsd -n runs", diag=p.stderr)
        trace = ""
        for name in sorted(os.listdir(d)):
            if name.startswith("ld"):
                with open(os.path.join(d, name), errors="replace") as f:
                    trace += f.read()
    if "libgnutls" not in trace:
        T.skip("GnuTLS's constructor binds to mtastsd's opt-out",
               "GnuTLS is not mapped into mtastsd: nothing to opt out of")
        return T.done()
    binds = [line for line in trace.splitlines()
             if "`%s'" % SYM in line and "binding file" in line]
    T.ok(len(binds) > 0, "GnuTLS's constructor asks for %s" % SYM,
         diag=trace[-2000:])
    T.ok(binds and all(line.split(" to ", 1)[1].split()[0].endswith(
        "/mtastsd") for line in binds),
         "it binds to mtastsd's definition (GnuTLS skips its init)",
         diag="\n".join(binds))
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
