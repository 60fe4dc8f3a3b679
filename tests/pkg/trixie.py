#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""trixie.py: TAP test, run by hand (too slow for `make check` on a cold
cache): the Debian package builds in a Debian 13 (trixie) root, with
trixie's compiler, debhelper, c-ares, curl and OpenSSL, and the unit
tests and fuzz-corpus replays pass there (dh_auto_test in the build).

The root: `debootstrap --variant=minbase` of trixie with build-essential
and debian/control's Build-Depends (the first of each alternative),
cached by tests/e2e/trixie_lib.py's cached() under $MTASTS_TEST_CACHE
(a new set of Build-Depends makes a new entry).  Each run copies the tree
under test (tests/pkg/pkg_lib.py) into an overlay of the root and runs
`dpkg-buildpackage -us -uc -b` there under `systemd-nspawn` (no boot, no
network), so the cached root is never written.  dpkg-buildpackage checks
the Build-Depends against trixie's packages first.

    sudo tests/pkg/trixie.py        (from the top of the source tree)
"""

import hashlib
import os
import shutil
import subprocess
import signal
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
from tap import Tap  # noqa: E402
import trixie_lib  # noqa: E402
import pkg_lib  # noqa: E402

SRCDIR = os.path.realpath(os.environ.get("MTASTS_SRCDIR") or
                          os.path.join(HERE, "..", ".."))
TMP_BASE = "/dev/shm" if os.access("/dev/shm", os.W_OK) else "/tmp"


def build_depends():
    """debian/control's Build-Depends as packages to install."""
    out = []
    for name in sorted(pkg_lib.build_depends_names(
            os.path.join(SRCDIR, "debian", "control"))):
        out.append("debhelper" if name == "debhelper-compat" else name)
    return out


def trixie_build_root():
    pkgs = sorted(set(["build-essential", "fakeroot"] + build_depends()))
    key = hashlib.sha256(" ".join(pkgs).encode()).hexdigest()[:12]

    def make(tmp):
        root = os.path.join(tmp, "root")
        trixie_lib.run_checked(["debootstrap", "--variant=minbase",
                                "--include=" + ",".join(pkgs),
                                trixie_lib.TRIXIE_SUITE, root,
                                trixie_lib.TRIXIE_MIRROR], timeout=1800)
        shutil.rmtree(os.path.join(root, "var/cache/apt/archives"),
                      ignore_errors=True)
        vers = {}
        for p in ("gcc", "debhelper", "libc-ares-dev", "libcurl4-openssl-dev",
                  "libssl-dev"):
            vers[p] = trixie_lib.run_checked(
                ["chroot", root, "dpkg-query", "-W", "-f", "${Version}",
                 p]).stdout.strip()
        return {"packages": pkgs, "versions": vers}
    return trixie_lib.cached("trixie-build-" + key, make)


def _on_signal(sig, _frame):
    raise SystemExit(128 + sig)


def main():
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    if os.geteuid() != 0:
        Tap.skip_all("needs root (debootstrap, mounts)")
    missing = pkg_lib.missing_tools(("debootstrap", pkg_lib.NSPAWN, "mount"))
    if missing:
        Tap.skip_all("not installed: %s" % " ".join(missing))
    t = Tap()
    t0 = time.monotonic()
    try:
        root, info = trixie_build_root()
    except (RuntimeError, OSError) as e:
        t.ok(False, "debootstrap a trixie build root", diag=str(e))
        return t.done()
    t.diag("trixie root %s: %s (%s s to build, %s MB); %s" % (
        root, "built now" if info["built_now"] else "cached",
        info["seconds"], info["mb"], ", ".join(
            "%s %s" % kv for kv in sorted(info["versions"].items()))))
    pkg_lib.reap_stale(TMP_BASE)
    tmp = pkg_lib.make_tmp(TMP_BASE)
    merged = os.path.join(tmp, "merged")
    mounted = False
    try:
        for d in ("upper", "work", "merged"):
            os.makedirs(os.path.join(tmp, d))
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" % (
                            root, tmp, tmp), merged], check=True)
        mounted = True
        pkg_lib.copy_tree(SRCDIR, os.path.join(merged, "build", "mtastsd"))
        t1 = time.monotonic()
        log = os.path.join(tmp, "build.log")
        with open(log, "wb") as f:
            r = subprocess.run(
                [pkg_lib.NSPAWN, "--register=no", "--keep-unit", "--quiet",
                 "--private-network", "--machine=mtastsd-trixie-%d"
                 % os.getpid(), "-D", merged, "--chdir=/build/mtastsd",
                 "--setenv=DEB_BUILD_OPTIONS=parallel=%d" % (
                     os.cpu_count() or 1), "--setenv=LC_ALL=C.UTF-8",
                 "dpkg-buildpackage", "-us", "-uc", "-b"],
                stdout=f, stderr=subprocess.STDOUT, env=pkg_lib.clean_env(),
                timeout=1800)
        secs = time.monotonic() - t1
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        debs = sorted(n for n in os.listdir(os.path.join(merged, "build"))
                      if n.endswith(".deb"))
        t.ok(r.returncode == 0 and "mtastsd_0" in " ".join(debs),
             "dpkg-buildpackage -us -uc -b in trixie: exit %s in %.0f s, "
             "made %s" % (r.returncode, secs, debs), diag=text[-3000:])
        counts = " ".join(ln.strip() for ln in text.splitlines()
                          if ln.startswith(("# TOTAL:", "# PASS:", "# SKIP:",
                                            "# FAIL:", "# ERROR:")))
        t.diag("\n".join(ln for ln in text.splitlines()
                          if ln.startswith("SKIP:")))
        t.ok("# FAIL:  0" in text and "# ERROR: 0" in text and
             "# PASS:" in text, "unit tests and fuzz replays pass in "
             "trixie: %s" % counts)
        for deb in debs:
            if deb.startswith("mtastsd_"):
                t.diag("Depends (trixie): " + pkg_lib.control_field(
                    os.path.join(merged, "build", deb), "Depends"))
        t.diag("total %.0f s" % (time.monotonic() - t0))
    finally:
        if mounted:
            if subprocess.run(["umount", merged]).returncode != 0:
                subprocess.run(["umount", "-l", merged])
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
