# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""trixie_lib.py: the package caches of the end-to-end tests, among them
debootstrap'ed Debian 13 (trixie) roots with one MTA installed.

Every entry lives in $MTASTS_TEST_CACHE (default /var/cache/mtastsd-tests)
as <name>/root plus <name>/DONE (JSON: version, seconds to build, size
in MB); it is built once under an exclusive lock (<CACHE>/.<name>.lock),
in <name>.tmp, and renamed when complete, so a half-built entry is never
used and two test runs never build the same entry at once.  Later runs
(CI's second pass included) reuse it without the network.

trixie_root(package) is CACHE/trixie-<package>/root: `debootstrap
--variant=minbase --include=<package> trixie` from deb.debian.org, apt's
downloaded .debs removed.  One root per MTA, because Debian's MTAs
conflict with one another (opensmtpd and postfix both provide and
conflict with mail-transport-agent).  Users: opensmtpd_lib.py (OpenSMTPD
7.6, root "trixie-opensmtpd") and postfix_lib.py (Postfix 3.10.5 or
later, root "trixie-postfix"); each runs its MTA chrooted in the root,
inside a private mount namespace, and changes nothing on the machine.
"""

import fcntl
import json
import os
import shutil
import subprocess
import time

CACHE = os.environ.get("MTASTS_TEST_CACHE", "/var/cache/mtastsd-tests")
TRIXIE_SUITE = "trixie"
TRIXIE_MIRROR = "http://deb.debian.org/debian"


class _Lock:
    """An exclusive lock on CACHE/.<name>.lock."""

    def __init__(self, name):
        os.makedirs(CACHE, exist_ok=True)
        self.f = open(os.path.join(CACHE, "." + name + ".lock"), "w")

    def __enter__(self):
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def _du(path):
    r = subprocess.run(["du", "-sm", path], capture_output=True, text=True)
    return int(r.stdout.split()[0]) if r.returncode == 0 else -1


def cached(name, build):
    """CACHE/<name>/root, built by build(tmp_dir) once (it makes
    tmp_dir/root and may return a dict for DONE).  Returns (root, info)
    where info also says whether it was built now, how long it took and
    its size in MB."""
    top = os.path.join(CACHE, name)
    done = os.path.join(top, "DONE")
    with _Lock(name):
        if os.path.exists(done):
            with open(done) as f:
                info = json.load(f)
            info["built_now"] = False
            return os.path.join(top, "root"), info
        shutil.rmtree(top, ignore_errors=True)
        tmp = top + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        t0 = time.monotonic()
        extra = build(tmp)
        os.rename(tmp, top)
        info = dict(extra or {}, seconds=round(time.monotonic() - t0, 1),
                    mb=_du(top))
        with open(done, "w") as f:
            json.dump(info, f)
        info["built_now"] = True
        return os.path.join(top, "root"), info


def run_checked(argv, **kw):
    """subprocess.run, raising RuntimeError (with the output's tail) on
    a non-zero exit."""
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %s: %s" % (
            " ".join(argv), r.returncode, (r.stderr or r.stdout)[-2000:]))
    return r


def trixie_root(package):
    """A debootstrap'ed trixie root with `package` installed: (root,
    info), info["version"] being the package's version.  Raises on
    failure (no mirror, no debootstrap)."""
    def build(tmp):
        root = os.path.join(tmp, "root")
        run_checked(["debootstrap", "--variant=minbase",
                     "--include=" + package, TRIXIE_SUITE, root,
                     TRIXIE_MIRROR], timeout=1800)
        ver = run_checked(["chroot", root, "dpkg-query", "-W", "-f",
                           "${Version}", package]).stdout.strip()
        shutil.rmtree(os.path.join(root, "var/cache/apt/archives"),
                      ignore_errors=True)
        return {"version": ver}
    return cached("trixie-" + package, build)
