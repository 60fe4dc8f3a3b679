# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""pkg_lib.py: build the Debian package from the tree under test and
boot a Debian root under real systemd (tests/pkg/deb.py,
tests/pkg/trixie-build.py).

copy_tree(srcdir, dest): the files of the tree under test, never its
build output: in a git checkout the tracked and untracked-but-not-ignored
files (what `git status` would commit, uncommitted edits included); in a
tree without git (the tarball `make distcheck` unpacks) every file but
distcheck's _build/_inst directories.

build_deb(tree): `dpkg-buildpackage -us -uc -b` in `tree` with a clean
environment (no make jobserver or test variables from the calling
`make check`); the .deb, .changes and the log land in tree's parent.

Machine: a Debian root booted with systemd as PID 1 by
`systemd-nspawn --register=no --keep-unit -D ROOT -b`, on an overlay
(the cached root is the lower layer and is never written), inside a
network namespace the caller owns (a test world's: the container sees
its DNS and HTTPS servers and nothing else).  Commands run in the
container's namespaces through nsenter.  stop() powers it off
(SIGTERM to nspawn: an orderly shutdown of PID 1), kills it if it does
not stop, unmounts the overlay and removes every file; it is safe to
call twice and is called by the context manager.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

NSPAWN = "systemd-nspawn"
BUILD_TOOLS = ("dpkg-buildpackage", "dh", "lintian", "fakeroot")
BOOT_TOOLS = (NSPAWN, "nsenter", "debootstrap", "mount", "umount")
# A PATH and locale for commands run in a Debian root.
ROOT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL": "C.UTF-8",
    "HOME": "/root",
    "DEBIAN_FRONTEND": "noninteractive",
    "SYSTEMD_PAGER": "",
    "SYSTEMD_COLORS": "0",
}


def missing_tools(tools):
    """The programs of `tools` not in PATH (they are in sbin: PATH of
    the root user)."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [t for t in tools if shutil.which(t, path=path) is None]


def copy_tree(srcdir, dest):
    """Copy the tree under test at srcdir to dest (see module doc)."""
    top = subprocess.run(["git", "-C", srcdir, "rev-parse",
                          "--show-toplevel"], capture_output=True, text=True)
    in_git = (top.returncode == 0 and os.path.realpath(top.stdout.strip())
              == os.path.realpath(srcdir))
    if in_git:
        r = subprocess.run(["git", "-C", srcdir, "ls-files", "-z", "-c",
                            "-o", "--exclude-standard"], capture_output=True,
                           check=True)
        os.makedirs(dest)
        for rel in r.stdout.decode().split("\0"):
            src = os.path.join(srcdir, rel)
            if not rel or not os.path.lexists(src):
                continue    # deleted in the work tree
            dst = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst, follow_symlinks=False)
        return "git work tree"
    top = set(os.listdir(srcdir))
    skip = {n for n in top if n.startswith(("_build", "_inst", "_dev"))}
    shutil.copytree(srcdir, dest, symlinks=True,
                    ignore=lambda d, names: skip if d == srcdir else ())
    # A distcheck tree is read-only: the build writes into it.
    subprocess.run(["chmod", "-R", "u+w", dest], check=True)
    return "tree without git"


def clean_env(**extra):
    env = {"PATH": os.environ.get("PATH", ROOT_ENV["PATH"]),
           "LC_ALL": "C.UTF-8", "HOME": "/root"}
    env.update(extra)
    return env


def build_deb(tree, jobs=2, timeout=900, nocheck=False):
    """Run dpkg-buildpackage in `tree`: (returncode, seconds, log path,
    {name: path} of the files it made in tree's parent).  nocheck skips
    dh_auto_test (DEB_BUILD_OPTIONS)."""
    opts = "parallel=%d" % jobs + (" nocheck" if nocheck else "")
    parent = os.path.dirname(os.path.abspath(tree))
    before = set(os.listdir(parent))
    log = os.path.join(parent, "build.log")
    t0 = time.monotonic()
    with open(log, "wb") as f:
        r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"],
                           cwd=tree, stdout=f, stderr=subprocess.STDOUT,
                           env=clean_env(DEB_BUILD_OPTIONS=opts),
                           timeout=timeout)
    made = {n: os.path.join(parent, n)
            for n in set(os.listdir(parent)) - before - {"build.log"}}
    return r.returncode, time.monotonic() - t0, log, made


def tail(path, n=40):
    with open(path, encoding="utf-8", errors="replace") as f:
        return "".join(f.readlines()[-n:])


def control_field(deb, field):
    r = subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True,
                       text=True, check=True)
    return r.stdout.strip()


def depends_names(deb):
    """The packages the .deb depends on, without versions (the first of
    each alternative), sorted."""
    out = []
    for dep in control_field(deb, "Depends").split(","):
        name = dep.split("|")[0].strip().split(" ")[0].split(":")[0]
        if name:
            out.append(name)
    return sorted(set(out))


def build_depends_names(control):
    """Build-Depends of debian/control, without versions or profiles."""
    with open(control) as f:
        text = f.read()
    m = re.search(r"^Build-Depends:(.*?)(?=^\S)", text, re.M | re.S)
    names = set()
    for dep in (m.group(1) if m else "").split(","):
        name = dep.strip().split(" ")[0]
        if name:
            names.add(name)
    return names


def shell_var_words(path, var):
    """The words of VAR="..." in a shell script (tests/deps.sh)."""
    with open(path) as f:
        m = re.search(r'^%s="([^"]*)"' % var, f.read(), re.M)
    return set(m.group(1).split()) if m else set()


TMP_PREFIX = "mtastsd-pkg-"


def make_tmp(base):
    """A private temp dir named after this process, so reap_stale() can
    tell whether its owner still runs."""
    return tempfile.mkdtemp(prefix="%s%d-" % (TMP_PREFIX, os.getpid()),
                            dir=base)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def reap_stale(base):
    """Undo what a SIGKILLed test left in `base`: kill every process
    whose root or command line is inside its temp dir (the container
    and its systemd-nspawn), unmount the overlay, remove the dir."""
    for name in os.listdir(base):
        if not name.startswith(TMP_PREFIX):
            continue
        try:
            owner = int(name[len(TMP_PREFIX):].split("-")[0])
        except ValueError:
            continue
        if _alive(owner):
            continue
        top = os.path.join(base, name)
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                root = os.readlink("/proc/%s/root" % d)
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            if root.startswith(top) or top in cmd:
                _kill(int(d))
        for dirpath, _dirs, _files in os.walk(top):
            if os.path.ismount(dirpath):
                subprocess.run(["umount", "-l", dirpath])
        shutil.rmtree(top, ignore_errors=True)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Machine:
    """A Debian root booted under systemd (see the module doc)."""

    def __init__(self, root, tmp, netns, name):
        self.root, self.tmp, self.netns, self.name = root, tmp, netns, name
        self.merged = os.path.join(tmp, "merged")
        self.log = os.path.join(tmp, "nspawn.log")
        self.p = None
        self.pid1 = None
        self.mounted = False
        self.stopped_cleanly = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def path(self, rel):
        """A path inside the container, as the host sees it."""
        return os.path.join(self.merged, rel.lstrip("/"))

    def boot(self, timeout=90.0):
        """Mount the overlay, start nspawn, wait until systemd reports
        the system running (or degraded).  Returns the state text."""
        for d in ("upper", "work", "merged"):
            os.makedirs(os.path.join(self.tmp, d))
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        "lowerdir=%s,upperdir=%s,workdir=%s" % (
                            self.root, os.path.join(self.tmp, "upper"),
                            os.path.join(self.tmp, "work")),
                        self.merged], check=True)
        self.mounted = True
        with open(self.log, "wb") as f:
            self.p = subprocess.Popen(
                [NSPAWN, "--register=no", "--keep-unit", "--quiet",
                 "--machine=" + self.name, "--network-namespace-path=" +
                 self.netns, "-D", self.merged, "-b"],
                stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                start_new_session=True)
        t_end = time.monotonic() + timeout
        while self.pid1 is None and time.monotonic() < t_end:
            if self.p.poll() is not None:
                raise RuntimeError("systemd-nspawn exited %s: %s" % (
                    self.p.returncode, tail(self.log)))
            self.pid1 = self._child()
            time.sleep(0.1)
        state = ""
        while time.monotonic() < t_end:
            r = self.run(["systemctl", "is-system-running", "--wait"],
                         timeout=max(1.0, t_end - time.monotonic()))
            state = r.stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.2)
        raise RuntimeError("no boot within %ds (state %r): %s" % (
            timeout, state, tail(self.log)))

    def _child(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.p.pid,
                                                     self.p.pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
        return int(kids[0]) if kids else None

    def run(self, argv, timeout=60.0, input=None):
        """argv in the container's namespaces (root = its /): a
        CompletedProcess with text output; returncode None on timeout."""
        cmd = ["nsenter", "-t", str(self.pid1), "-m", "-u", "-i", "-n",
               "-p", "--"] + list(argv)
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  env=ROOT_ENV, timeout=timeout,
                                  input=input)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(
                cmd, None, e.stdout or "", e.stderr or "")

    def stop(self, timeout=30.0):
        """Power off, unmount, remove (see the module doc)."""
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
                self.stopped_cleanly = True
            except subprocess.TimeoutExpired:
                self.stopped_cleanly = False
                # Killing a PID namespace's init kills all of it.
                if self.pid1:
                    _kill(self.pid1)
                _kill(self.p.pid)
                self.p.wait()
        if self.mounted:
            if subprocess.run(["umount", self.merged]).returncode != 0:
                subprocess.run(["umount", "-l", self.merged])
            self.mounted = False
        shutil.rmtree(self.tmp, ignore_errors=True)
