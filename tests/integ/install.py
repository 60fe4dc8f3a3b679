#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""install.py: "make install" gives a daemon that starts as installed.

Runs "make install DESTDIR=<tmp>" in the build tree and checks the
installed tree (programs, man pages, configuration, unit, sysusers.d,
tmpfiles.d, list, docs), and that every installed text names the
configured directories.  Then, in new mount, network and PID namespaces
(nothing reaches the host: /etc, /run, /var and the prefix are overlays
whose writes go to a tmpfs, and the namespace's processes die with it):

- "make install" without DESTDIR, as root, creates the user from the
  installed sysusers.d entry (unless configured --disable-install-user,
  as distcheck does: then systemd-sysusers is run on it here);
- the installed unit passes "systemd-analyze verify";
- the installed daemon, started as root with no option (as after
  "sudo make install"), makes its directories, answers "mtasts stats"
  at the compiled-in socket, and stops on SIGTERM;
- the daemon started exactly as the unit's ExecStart says, as the
  unit's User= in its RuntimeDirectory=/StateDirectory=, sends READY=1
  to a NOTIFY_SOCKET, RELOADING=1 and READY=1 around SIGHUP and
  STOPPING=1 on SIGTERM, and writes its log lines with the journal's
  "<N>" priorities to a stderr that JOURNAL_STREAM names (a refused
  reload is a "<4>" warning).

Not root, or unshare, mount, setpriv, systemd-sysusers missing: SKIP.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()
DIRS = ("prefix bindir sbindir libexecdir sysconfdir localstatedir "
        "runstatedir pkgdatadir docdir mandir systemdsystemunitdir "
        "sysusersdir tmpfilesdir enable_install_user").split()


def configured_dirs():
    """The installation directories of the build tree's Makefile."""
    rule = "print:\n" + "".join("\t@echo '%s=$(%s)'\n" % (d, d)
                                for d in DIRS)
    p = subprocess.run(["make", "-s", "--no-print-directory", "-C", BUILDDIR,
                        "-f", "Makefile", "-f", "-", "print"], input=rule,
                       capture_output=True, text=True, timeout=60)
    return dict(line.split("=", 1) for line in p.stdout.splitlines()
                if "=" in line)


def expected(d):
    """Every file "make install" must install."""
    conf = d["sysconfdir"] + "/mtastsd"
    files = [d["bindir"] + "/mtasts", d["sbindir"] + "/mtastsd",
             d["libexecdir"] + "/opensmtpd/table-mtasts",
             conf + "/mtastsd.conf", conf + "/table-mtasts.conf",
             d["pkgdatadir"] + "/policy.json",
             d["pkgdatadir"] + "/policy.json.asc",
             d["pkgdatadir"] + "/starttls-policy-authority.gpg",
             d["pkgdatadir"] + "/starttls-policy-authority.asc",
             d["mandir"] + "/man1/mtasts.1", d["mandir"] + "/man8/mtastsd.8",
             d["mandir"] + "/man5/mtastsd.conf.5",
             d["mandir"] + "/man8/table-mtasts.8"]
    files += [d["docdir"] + "/" + f for f in (
        "README.md", "LICENSE", "PROTOCOLS.md", "postfix.md", "opensmtpd.md",
        "examples/postfix/README", "examples/postfix/main.cf.inet",
        "examples/postfix/main.cf.proxy", "examples/postfix/main.cf.unix",
        "examples/opensmtpd/smtpd.conf",
        "examples/opensmtpd/table-mtasts.conf",
        "examples/systemd/postfix-proxy.conf",
        "examples/systemd/postfix-unix.conf",
        "examples/systemd/postfix-unix.tmpfiles")]
    for key, name in (("systemdsystemunitdir", "mtastsd.service"),
                      ("sysusersdir", "mtastsd.conf"),
                      ("tmpfilesdir", "mtastsd.conf")):
        if d[key] != "no":
            files.append(d[key] + "/" + name)
    return sorted(files)


def check_tree(dest, d):
    got = sorted("/" + os.path.relpath(os.path.join(top, f), dest)
                 for top, _, names in os.walk(dest) for f in names)
    want = expected(d)
    T.ok(got == want, "make install installs exactly the expected files",
         diag="missing: %s\nunexpected: %s" % (
             sorted(set(want) - set(got)), sorted(set(got) - set(want))))
    T.diag("installed files:\n" + "\n".join(got))
    fhs = re.compile(r"(?<![\w./-])(/etc/mtastsd|/run/mtastsd|"
                     r"/var/lib/mtastsd|/usr/share/mtastsd|/usr/sbin/mtastsd)")
    for f in want:
        # README.md describes the FHS and the /usr/local layouts by name.
        if "/bin/" in f or "/sbin/" in f or "/libexec/" in f or \
                f.endswith("/README.md") or not os.path.isfile(dest + f):
            continue
        with open(dest + f, "rb") as fp:
            text = fp.read().decode("utf-8", "replace")
        stray = sorted(set(m.group(1) for m in fhs.finditer(text)))
        ok_paths = {d["sysconfdir"] + "/mtastsd", d["runstatedir"] + "/mtastsd",
                    d["localstatedir"] + "/lib/mtastsd", d["pkgdatadir"],
                    d["sbindir"] + "/mtastsd"}
        stray = [s for s in stray if s not in ok_paths]
        T.ok(not stray, "%s names only the configured directories" % f,
             diag="names %s" % stray)


# --- inside the namespaces ------------------------------------------------

def sh(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True,
                          timeout=kw.pop("timeout", 60), **kw)


def overlay(dest, tmp, top):
    """/top becomes dest/top over the host's /top; writes go to tmp."""
    os.makedirs(dest + "/" + top, exist_ok=True)
    up, work = tmp + "/" + top + ".u", tmp + "/" + top + ".w"
    os.makedirs(up)
    os.makedirs(work)
    p = sh("mount", "-t", "overlay", "overlay", "-o",
           "lowerdir=%s/%s:/%s,upperdir=%s,workdir=%s" % (dest, top, top, up,
                                                          work), "/" + top)
    return p.returncode == 0, p.stderr


def wait_gone(pid, secs):
    """The detached daemon is our child once its parent exits (we are
    PID 1 here): reap it, or it would live on as a zombie."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def owner(path):
    import pwd
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except (OSError, KeyError):
        return None


def start_as_root(d):
    """As after "sudo make install": no option, daemon mode."""
    run, state = d["runstatedir"] + "/mtastsd", d["localstatedir"] + \
        "/lib/mtastsd"
    p = sh(d["sbindir"] + "/mtastsd")
    T.ok(p.returncode == 0, "installed mtastsd starts as root with the "
         "installed configuration", diag=p.stderr)
    T.is_(owner(run), "mtastsd", "it made %s for its user" % run)
    T.is_(owner(state), "mtastsd", "it made %s for its user" % state)
    q = sh(d["bindir"] + "/mtasts", "stats")
    T.ok(q.returncode == 0, "mtasts finds the daemon at the compiled-in "
         "socket", diag=q.stdout + q.stderr)
    try:
        with open(run + "/mtastsd.pid") as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
        T.ok(wait_gone(pid, 10), "SIGTERM stops it")
    except (OSError, ValueError) as e:
        T.ok(False, "SIGTERM stops it", diag=str(e))
    T.ok(not os.path.exists(run + "/mtastsd.pid"), "pidfile removed at exit")


def unit_lines(unit):
    with open(unit) as f:
        text = f.read()
    return {k: v for k, v in re.findall(r"^(\w+)=(.*)$", text, re.M)}


def notify_wait(sock, want, secs=20):
    """Datagrams until one is `want` (a prefix); all seen."""
    seen = []
    end = time.monotonic() + secs
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if msg.startswith(want):
            return True, seen
    return False, seen


def start_as_unit(d, unit):
    """ExecStart as the unit runs it: its User=, NOTIFY_SOCKET, journal."""
    u = unit_lines(unit)
    user = u.get("User")
    argv = u["ExecStart"].split()
    # The directories systemd makes for the unit (or tmpfiles.d does).
    run, state = d["runstatedir"] + "/mtastsd", d["localstatedir"] + \
        "/lib/mtastsd"
    shutil.rmtree(run, ignore_errors=True)
    if "RuntimeDirectory" in u or "StateDirectory" in u:
        for path, mode in ((run, 0o755), (state, 0o700)):
            os.makedirs(path, exist_ok=True)
            os.chmod(path, mode)
            shutil.chown(path, user, u.get("Group", user))
    else:
        sh("systemd-tmpfiles", "--create", d["tmpfilesdir"] + "/mtastsd.conf")
    nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nsock.bind("/run/test-notify")
    log = tempfile.TemporaryFile()
    st = os.fstat(log.fileno())
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
           "NOTIFY_SOCKET": "/run/test-notify",
           "JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}
    os.chmod("/run/test-notify", 0o666)
    T.ok(user is not None and user != "root", "the unit never runs as root",
         got=user)
    proc = subprocess.Popen(["setpriv", "--reuid", user, "--regid",
                             u.get("Group", user), "--clear-groups"] + argv,
                            env=env, stdout=log, stderr=log)
    ready, seen = notify_wait(nsock, "READY=1")
    T.ok(ready, "ExecStart as %s: READY=1 to NOTIFY_SOCKET" % user, diag=seen)
    q = sh(d["bindir"] + "/mtasts", "stats")
    T.ok(q.returncode == 0, "READY=1 means the socket answers",
         diag=q.stdout + q.stderr)
    conf = argv[argv.index("-f") + 1]
    with open(conf) as f:
        saved = f.read()
    with open(conf, "a") as f:
        f.write("no_such_option = 1\n")
    proc.send_signal(signal.SIGHUP)
    reloading, seen = notify_wait(nsock, "RELOADING=1")
    T.ok(reloading and "MONOTONIC_USEC=" in seen[-1],
         "SIGHUP: RELOADING=1 with MONOTONIC_USEC", diag=seen)
    ready, seen = notify_wait(nsock, "READY=1")
    T.ok(ready, "SIGHUP: READY=1 once the reload is over", diag=seen)
    with open(conf, "w") as f:
        f.write(saved)
    proc.send_signal(signal.SIGTERM)
    stopping, seen = notify_wait(nsock, "STOPPING=1")
    T.ok(stopping, "SIGTERM: STOPPING=1", diag=seen)
    try:
        rc = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    T.is_(rc, 0, "exit status 0 after SIGTERM")
    log.seek(0)
    lines = log.read().decode("utf-8", "replace").splitlines()
    T.ok(lines and all(re.match(r"<[0-7]>", ln) for ln in lines),
         "every line on the journal stream has a <N> priority", diag=lines)
    T.ok(any(re.match(r"<4>reload failed.*no_such_option|<4>reload failed",
                      ln) for ln in lines),
         "the refused reload is a warning (<4>)", diag=lines)
    T.ok(any(ln.startswith("<6>ready") for ln in lines),
         "\"ready\" is info (<6>)", diag=lines)


def inside(dest, dirs):
    """PID 1 of the test's namespaces."""
    # Every directory make install may write to lies under one of these,
    # or "make install" below would write to the host.
    tops = set(os.listdir(dest)) | {"etc", "run", "var"} | \
        {v.split("/")[1] for k, v in dirs.items()
         if k != "enable_install_user" and v.startswith("/")}
    # The overlays' upper layers may not lie under what they cover (a
    # prefix in /tmp, as under make distcheck from a tree in /tmp).
    base = tempfile.gettempdir()
    if os.path.realpath(base).split("/")[1] in tops:
        base = "/dev/shm"
    tmp = tempfile.mkdtemp(dir=base)
    sh("mount", "-t", "tmpfs", "tmpfs", tmp)
    if os.path.realpath(dest).split("/")[1] in tops:
        # Nor may one lower layer lie under another: the installed tree
        # goes to the tmpfs first.
        shutil.copytree(dest, tmp + "/root", symlinks=True)
        dest = tmp + "/root"
    bad = [k for k, v in dirs.items() if k != "enable_install_user" and
           v != "no" and not v.startswith("/")]
    if bad:
        T.ok(False, "configured directories are absolute", got=bad)
        return T.done()
    for top in sorted(tops):
        if os.path.islink("/" + top):
            # Merged /usr: /lib is usr/lib, so is what was installed there.
            if os.path.isdir(dest + "/" + top):
                shutil.copytree(dest + "/" + top,
                                dest + os.path.realpath("/" + top),
                                symlinks=True, dirs_exist_ok=True)
            continue
        done, err = overlay(dest, tmp, top)
        if not done:
            T.ok(False, "overlay /%s" % top, diag=err)
            return T.done()
    sh("ip", "link", "set", "lo", "up")
    # "sudo make install", for this machine (the overlays): it creates the
    # user as a package would, unless configured not to.
    p = sh("make", "-s", "-C", BUILDDIR, "install", timeout=600)
    T.ok(p.returncode == 0, "make install as root, without DESTDIR",
         diag=p.stdout[-2000:] + p.stderr[-2000:])
    if dirs["enable_install_user"] == "yes":
        T.ok("systemd-sysusers" in p.stdout and
             sh("getent", "passwd", "mtastsd").returncode == 0,
             "it created the user mtastsd from the installed sysusers.d "
             "entry", diag=p.stdout[-2000:])
    else:
        T.skip("make install creates the user", "--disable-install-user")
        p = sh("systemd-sysusers", dirs["sysusersdir"] + "/mtastsd.conf")
        T.ok(p.returncode == 0 and sh("getent", "passwd",
                                      "mtastsd").returncode == 0,
             "the installed sysusers.d entry creates the user mtastsd",
             diag=p.stderr)
    unit = dirs["systemdsystemunitdir"] + "/mtastsd.service"
    p = sh("systemd-analyze", "verify", "--man=no", unit)
    T.ok(p.returncode == 0, "systemd-analyze verify: the installed unit",
         diag=p.stderr)
    start_as_root(dirs)
    start_as_unit(dirs, unit)
    return T.done()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        import json
        with open(sys.argv[2]) as f:
            args = json.load(f)
        return inside(args["dest"], args["dirs"])
    if os.geteuid() != 0:
        T.skip_all("needs root (namespaces, overlays)")
    for tool in ("unshare", "mount", "setpriv", "systemd-sysusers",
                 "systemd-analyze", "make"):
        if shutil.which(tool) is None:
            T.skip_all("%s not installed" % tool)
    dirs = configured_dirs()
    if any(k not in dirs for k in DIRS):
        T.skip_all("cannot read the configured directories")
    if "no" in (dirs["systemdsystemunitdir"], dirs["sysusersdir"]):
        T.skip_all("configured without the unit or sysusers.d")
    tmp = tempfile.mkdtemp(prefix="mtastsd-install.")
    try:
        dest = tmp + "/root"
        p = subprocess.run(["make", "-s", "-C", BUILDDIR, "install",
                            "DESTDIR=" + dest], capture_output=True,
                           text=True, timeout=600)
        if not T.ok(p.returncode == 0, "make install DESTDIR=...",
                    diag=p.stdout[-2000:] + p.stderr[-2000:]):
            return T.done()
        check_tree(dest, dirs)
        import json
        with open(tmp + "/args.json", "w") as f:
            json.dump({"dest": dest, "dirs": dirs}, f)
        p = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork",
                            "--mount-proc", "--propagation", "private",
                            sys.executable, os.path.abspath(__file__),
                            "--inside", tmp + "/args.json"],
                           capture_output=True, text=True, timeout=300)
        # The inner run numbers its own results: renumber after ours.
        for line in p.stdout.splitlines():
            m = re.match(r"(not )?ok \d+ - (.*)", line)
            if m:
                T.ok(m.group(1) is None, m.group(2))
            elif line.startswith("#"):
                print(line)
        T.ok(p.returncode == 0, "the namespace run ended cleanly",
             diag=p.stderr[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
