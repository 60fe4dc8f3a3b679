#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""deb.py: TAP test: the Debian package, built from the tree under test,
installed into a clean Debian 12 root and run by real systemd.

Package (tests/pkg/pkg_lib.py):
  1. debian/control's Build-Depends are tests/deps.sh's build packages
     (compiler and make aside: build-essential);
  2. `dpkg-buildpackage -us -uc -b` on a copy of the tree builds it
     (DEB_BUILD_OPTIONS=nocheck: the unit tests and fuzz replays that
     dh_auto_test would run are part of this `make check` already;
     tests/pkg/trixie.py runs them in the package build);
  3. lintian reports no error and no warning (its output and the
     package's file list are printed);
  4. the conffiles and the shipped files the package promises.

systemd, as PID 1 of a Debian 12 root booted by systemd-nspawn (the root:
debootstrap --variant=minbase with systemd, Postfix and the package's
Depends, cached in $MTASTS_TEST_CACHE by tests/e2e/trixie_lib.py's
cached(); every run works on an overlay and changes nothing in the
cache), inside a test world's network namespace (tests/lib/world.py:
its unbound and nginx serve example.test's MTA-STS policy; nothing else
is reachable):
  5. `dpkg -i` on the running system creates the user, enables the unit
     and starts it: active, Type=notify (so it sent READY=1), running as
     mtastsd;
  6. Postfix in the same root, set up as docs/postfix.md's first
     set-up (contrib/postfix/main.cf.inet, listen_tcp 127.0.0.1:8461),
     gets example.test's policy with `postmap -q`; `mtasts
     check-postfix` finds no problem;
  7. `systemd-analyze security mtastsd` is printed, exposure <= 2.5;
  8. the two Unix-socket set-ups, each with the mtastsd.conf lines its
     contrib/postfix file names and the example files the package ships
     in /usr/share/doc/mtastsd/examples/systemd (docs/postfix.md):
     without a drop-in `socket_group = postfix` stops the start, and
     the journal points to the drop-ins; with postfix-proxy.conf
     (SupplementaryGroups=postfix) the socket is postfix's, mode 0660,
     and `postmap -q` through proxymap(8) (main.cf.proxy) gets the
     policy; with postfix-unix.conf and postfix-unix.tmpfiles the socket
     in /var/spool/postfix/mtastsd answers Postfix's relative map
     (main.cf.unix) asked as user postfix with group postfix alone from
     the queue directory, as the chrooted smtp(8) asks, and the
     absolute path; check-postfix is happy with each; the exposure
     with the drop-in is printed, <= 2.5;
  9. `systemctl reload mtastsd` rereads the file: log_level debug takes
     effect (debug lines at priority 7 appear only after the reload);
 10. a provoked warning (an option that needs a restart, changed by a
     reload) is in `journalctl -p warning -u mtastsd`, which holds no
     info or debug line of the daemon;
 11. `dpkg -r`: unit stopped, programs gone, conffiles, the cache and the
     user kept; `dpkg -P`: /etc/mtastsd and /var/lib/mtastsd gone, the
     unit unknown and no longer enabled, the user kept (Debian never
     removes system users).

Needs root, debhelper, lintian, systemd-container, debootstrap and the
world's tools (tests/deps.sh); otherwise SKIP.  The first run
debootstraps the root from deb.debian.org (about a minute); later runs
reuse it.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from world import Tap, World, policy_text  # noqa: E402
import trixie_lib  # noqa: E402
import postfix_lib  # noqa: E402
import pkg_lib  # noqa: E402

SRCDIR = os.path.realpath(os.environ.get("MTASTS_SRCDIR") or
                          os.path.join(HERE, "..", ".."))
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# The root's own packages; the package's Depends are added to them.
ROOT_PACKAGES = ["systemd", "systemd-sysv", "dbus", "postfix"]
EXPOSURE_MAX = 2.5
SOCKET = "/run/mtastsd/mtastsd.sock"
LISTEN_TCP = "127.0.0.1:8461"
CA_IN_ROOT = "/etc/ssl/mtastsd-test-ca.pem"
CONF = "/etc/mtastsd/mtastsd.conf"
EXAMPLES = "/usr/share/doc/mtastsd/examples/systemd/"
DROPIN_DIR = "/etc/systemd/system/mtastsd.service.d"
POLICY = "secure match=mx.example.test servername=hostname"


def skip_reason():
    reason = world.skip_reason()
    if reason:
        return reason
    missing = pkg_lib.missing_tools(pkg_lib.BUILD_TOOLS + pkg_lib.BOOT_TOOLS)
    if missing:
        return "not installed: %s (tests/deps.sh)" % " ".join(missing)
    if not os.path.isdir(os.path.join(SRCDIR, "debian")):
        return "no debian/ in %s" % SRCDIR
    return None


# ------------------------------------------------------------- package

def check_build_depends(t):
    deps = pkg_lib.shell_var_words(
        os.path.join(SRCDIR, "tests", "deps.sh"), "PKGS_BUILD")
    # build-essential brings the compiler and make; clang is for the
    # fuzzers only.
    deps -= {"make", "gcc", "clang"}
    bdeps = pkg_lib.build_depends_names(
        os.path.join(SRCDIR, "debian", "control"))
    # gnupg, gpgv: the unit tests (test_listsig) make a key and verify
    # with it (deps.sh has them among the test and run-time packages);
    # systemd-dev (or, before Debian 13, systemd) has systemd's
    # pkg-config file, which a systemd host always has.
    bdeps -= {"debhelper-compat", "gnupg", "gpgv", "systemd-dev"}
    t.is_(sorted(bdeps), sorted(deps), "debian/control's Build-Depends "
          "are tests/deps.sh's PKGS_BUILD")


def build(t, tmp):
    tree = os.path.join(tmp, "src", "mtastsd")
    how = pkg_lib.copy_tree(SRCDIR, tree)
    t.diag("building from a copy of the %s %s" % (how, SRCDIR))
    rc, secs, log, made = pkg_lib.build_deb(tree, nocheck=True)
    debs = {n: p for n, p in made.items() if n.endswith(".deb")}
    main = [p for n, p in debs.items() if n.startswith("mtastsd_")]
    t.ok(rc == 0 and len(main) == 1, "dpkg-buildpackage -us -uc -b: "
         "exit %s in %.0f s, made %s" % (rc, secs, sorted(made)),
         diag=pkg_lib.tail(log))
    if rc != 0 or len(main) != 1:
        return None, None
    changes = [p for n, p in made.items() if n.endswith(".changes")]
    return main[0], changes[0] if changes else None


def lintian(t, changes):
    ver = subprocess.run(["lintian", "--version"],
                                 capture_output=True, text=True).stdout
    r = subprocess.run(["lintian", "--info", changes],
                               capture_output=True, text=True, timeout=600)
    out = (r.stdout + r.stderr).strip()
    t.diag("%s on %s:\n%s" % (ver.strip(), os.path.basename(changes),
                               out or "(no output)"))
    bad = [ln for ln in out.splitlines() if ln.startswith(("E:", "W:"))]
    t.is_(bad, [], "lintian: no error, no warning")


def contents(t, deb):
    r = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                               text=True, check=True)
    files = [ln.split()[-1].lstrip(".") for ln in r.stdout.splitlines()]
    t.diag("%s:\n%s" % (os.path.basename(deb), r.stdout.rstrip()))
    t.diag("Depends: " + pkg_lib.control_field(deb, "Depends"))
    r = subprocess.run(["dpkg-deb", "--info", deb, "conffiles"],
                               capture_output=True, text=True)
    conffiles = sorted(r.stdout.split())
    t.is_(conffiles, ["/etc/mtastsd/mtastsd.conf",
                      "/etc/mtastsd/table-mtasts.conf"], "conffiles")
    want = ["/usr/sbin/mtastsd", "/usr/bin/mtasts",
            "/usr/lib/sysusers.d/mtastsd.conf",
            "/usr/share/mtastsd/policy.json",
            "/usr/share/doc/mtastsd/copyright"]
    units = [f for f in files if f.endswith("/systemd/system/mtastsd.service")]
    t.ok(all(w in files for w in want) and len(units) == 1,
         "ships the programs, the unit, the sysusers entry, the list",
         got=[w for w in want if w not in files] + units)
    t.ok(not [f for f in files if f.startswith(("/run/", "/var/run/",
                                                 "/var/lib/mtastsd/"))],
         "ships nothing in /run or /var/lib/mtastsd (made at run time)")


# ------------------------------------------------------------- systemd

def bookworm_root(deb):
    """The cached root for this package's Depends (a new set of
    Depends makes a new entry)."""
    pkgs = sorted(set(ROOT_PACKAGES + pkg_lib.depends_names(deb)))
    key = hashlib.sha256(" ".join(pkgs).encode()).hexdigest()[:12]

    def make(tmp):
        root = os.path.join(tmp, "root")
        # Postfix configured as an Internet site (debconf's default).
        trixie_lib.run_checked(["debootstrap", "--variant=minbase",
                                "--include=" + ",".join(pkgs), SUITE, root,
                                MIRROR], timeout=1800)
        shutil.rmtree(os.path.join(root, "var/cache/apt/archives"),
                      ignore_errors=True)
        return {"packages": pkgs}
    return trixie_lib.cached("%s-systemd-%s" % (SUITE, key), make)


def must(t, m, argv, name, timeout=60):
    r = m.run(argv, timeout=timeout)
    t.ok(r.returncode == 0, name, diag=(r.stdout + r.stderr)[-1500:])
    return r


def show(m, unit, *props):
    r = m.run(["systemctl", "show", unit, "-p", ",".join(props)])
    return dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)


def journal(m, *args):
    """The daemon's journal entries (not systemd's lines about the unit),
    as (priority, message) pairs."""
    r = m.run(["journalctl", "-u", "mtastsd", "-o", "json", "--no-pager"]
              + list(args))
    out = []
    for ln in r.stdout.splitlines():
        try:
            e = json.loads(ln)
        except ValueError:
            continue
        if e.get("SYSLOG_IDENTIFIER") == "mtastsd":
            msg = e.get("MESSAGE")
            if isinstance(msg, list):
                msg = bytes(msg).decode("utf-8", "replace")
            out.append((int(e.get("PRIORITY", -1)), msg))
    return out


def wait_for(cond, timeout=15.0):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    return cond()


def set_conf(m, lines):
    """Append `lines` to the installed mtastsd.conf (as an administrator
    would edit it); an option set again loses its earlier line (the
    daemon rejects a file that repeats one)."""
    keys = {ln.split("=", 1)[0].strip() for ln in lines
            if "=" in ln and not ln.startswith("#")}
    with open(m.path(CONF)) as f:
        kept = [ln for ln in f if ln.startswith("#") or "=" not in ln or
                ln.split("=", 1)[0].strip() not in keys]
    with open(m.path(CONF), "w") as f:
        f.write("".join(kept) + "".join("%s\n" % ln for ln in lines))


def install(t, m, deb):
    shutil.copy(deb, m.path("/root/"))
    t0 = time.monotonic()
    r = m.run(["dpkg", "-i", "/root/" + os.path.basename(deb)], timeout=180)
    t.ok(r.returncode == 0, "dpkg -i mtastsd on the running system (%.0f s)"
         % (time.monotonic() - t0), diag=(r.stdout + r.stderr)[-1500:])
    t.ok(m.run(["getent", "passwd", "mtastsd"]).returncode == 0,
         "postinst created the user mtastsd")
    t.is_(m.run(["systemctl", "is-enabled", "mtastsd"]).stdout.strip(),
          "enabled", "the unit is enabled")
    p = wait_for(lambda: show(m, "mtastsd", "ActiveState").get(
        "ActiveState") == "active")
    s = show(m, "mtastsd", "ActiveState", "SubState", "Type", "MainPID",
             "NRestarts")
    t.ok(p and s.get("Type") == "notify" and s.get("SubState") == "running"
         and s.get("NRestarts") == "0", "postinst started it: active "
         "(running) at the first try, Type=notify, so the daemon sent "
         "READY=1", got=s,
         diag=m.run(["journalctl", "-u", "mtastsd", "--no-pager"]).stdout)
    st = m.run(["cat", "/proc/%s/status" % s.get("MainPID", "0")]).stdout
    uid = [ln.split()[1] for ln in st.splitlines() if ln.startswith("Uid:")]
    user = m.run(["getent", "passwd", uid[0]]).stdout.split(":")[0] \
        if uid else None
    t.is_(user, "mtastsd", "the daemon runs as mtastsd")


def postfix(t, m):
    lines = postfix_lib.contrib_lines("main.cf.inet")
    pmap = lines.get("smtp_tls_policy_maps")
    t.is_(pmap, "socketmap:inet:%s:postfix" % LISTEN_TCP,
          "contrib/postfix/main.cf.inet: the map of docs/postfix.md")
    for k, v in lines.items():
        must(t, m, ["postconf", "-e", "%s = %s" % (k, v)],
             "postconf -e %s" % k)
    must(t, m, ["systemctl", "reload", "postfix"], "systemctl reload postfix")
    r = m.run(["postmap", "-q", "example.test", pmap], timeout=30)
    t.is_((r.returncode, r.stdout.strip()), (0, POLICY),
          "postmap -q example.test %s: the policy, from the world's DNS "
          "and HTTPS server through the daemon" % pmap, diag=r.stderr)
    r = m.run(["mtasts", "check-postfix", "-f", CONF], timeout=30)
    t.ok(r.returncode == 0, "mtasts check-postfix -f %s: no problem" % CONF,
         diag=r.stdout + r.stderr)


def contrib_conf(name):
    """The mtastsd.conf lines contrib/postfix/<name> asks for (its
    "# mtastsd.conf" comment block), as "key = value" strings."""
    out, inside = [], False
    with open(os.path.join(postfix_lib.CONTRIB, name)) as f:
        for ln in f:
            if ln.startswith("# mtastsd.conf"):
                inside = True
            elif inside and re.match(r"^#   \w+ = \S", ln):
                out.append(ln[1:].strip())
            elif inside and out:
                break
    return out


def use_setup(t, m, name, dropin, tmpfiles=None):
    """Set up Postfix as contrib/postfix/<name> says, and mtastsd with
    that file's mtastsd.conf lines and the shipped example drop-in
    (and tmpfiles.d line), as the docs tell an administrator to."""
    conf = contrib_conf(name)
    t.ok(conf, "contrib/postfix/%s names its mtastsd.conf lines" % name,
         got=conf)
    set_conf(m, conf)
    os.makedirs(m.path(DROPIN_DIR), exist_ok=True)
    shutil.copy(m.path(EXAMPLES + dropin),
                m.path(DROPIN_DIR + "/postfix.conf"))
    if tmpfiles:
        shutil.copy(m.path(EXAMPLES + tmpfiles),
                    m.path("/etc/tmpfiles.d/mtastsd-postfix.conf"))
        must(t, m, ["systemd-tmpfiles", "--create",
                    "/etc/tmpfiles.d/mtastsd-postfix.conf"],
             "systemd-tmpfiles --create the shipped %s" % tmpfiles)
    must(t, m, ["systemctl", "daemon-reload"], "systemctl daemon-reload")
    r = m.run(["systemctl", "restart", "mtastsd"], timeout=60)
    s = show(m, "mtastsd", "ActiveState", "SubState")
    t.ok(r.returncode == 0 and s.get("SubState") == "running",
         "%s: the unit with the shipped drop-in %s (%s) starts" % (
             name, dropin, "; ".join(conf)), got=s,
         diag=r.stderr + m.run(["journalctl", "-u", "mtastsd", "-n", "15",
                                "--no-pager"]).stdout)
    lines = postfix_lib.contrib_lines(name)
    for k, v in lines.items():
        must(t, m, ["postconf", "-e", "%s = %s" % (k, v)],
             "%s: postconf -e %s" % (name, k))
    must(t, m, ["systemctl", "reload", "postfix"],
         "%s: systemctl reload postfix" % name)
    return dict(kv.split(" = ", 1) for kv in conf), lines


def as_postfix(m, argv, cwd="/"):
    """argv as Postfix's daemons run: user and group postfix, no other
    group (Postfix's set_ugid), in `cwd`."""
    return m.run(["sh", "-c", 'cd "$0" && exec "$@"', cwd, "setpriv",
                  "--reuid=postfix", "--regid=postfix", "--clear-groups",
                  "--"] + argv, timeout=30)


def socket_owner(t, m, name, path):
    # Asked inside: /run is the container's own tmpfs.
    r = m.run(["stat", "-c", "%U %G %a %F", path])
    t.is_(r.stdout.strip(), "mtastsd postfix 660 socket",
          "%s: %s is mtastsd's, group postfix, mode 0660" % (name, path),
          diag=r.stderr)


def unix_setups(t, m):
    """The two Unix-socket set-ups of docs/postfix.md under the shipped
    unit (User=mtastsd, ProtectSystem=strict) with the drop-ins the
    package ships as examples."""
    # Without the drop-in the daemon cannot give its socket to postfix.
    set_conf(m, contrib_conf("main.cf.proxy"))
    r = m.run(["systemctl", "restart", "mtastsd"], timeout=60)
    j = m.run(["journalctl", "-u", "mtastsd", "-n", "20", "--no-pager",
               "-o", "cat"]).stdout
    t.ok(r.returncode != 0 and "mtastsd.sock" in j and
         "mtastsd(8) SYSTEMD" in j,
         "socket_group = postfix without the drop-in: the start fails, "
         "the journal names the socket and points to the drop-ins",
         got=j[-600:])
    m.run(["systemctl", "stop", "mtastsd"])
    m.run(["systemctl", "reset-failed", "mtastsd"])

    conf, lines = use_setup(t, m, "main.cf.proxy", "postfix-proxy.conf")
    pmap = lines.get("smtp_tls_policy_maps")
    t.is_(pmap, "proxy:socketmap:unix:%s:postfix" % SOCKET,
          "contrib/postfix/main.cf.proxy: proxymap and the default socket")
    socket_owner(t, m, "proxy", conf.get("socket", SOCKET))
    # postmap asks proxymap(8), which opens the socket as postfix.
    r = m.run(["postmap", "-q", "example.test", pmap], timeout=30)
    t.is_((r.returncode, r.stdout.strip()), (0, POLICY),
          "postmap -q example.test %s: through proxymap(8)" % pmap,
          diag=r.stderr)
    r = m.run(["mtasts", "check-postfix", "-f", CONF], timeout=30)
    t.ok(r.returncode == 0, "proxy: mtasts check-postfix: no problem",
         diag=r.stdout + r.stderr)

    conf, lines = use_setup(t, m, "main.cf.unix", "postfix-unix.conf",
                            "postfix-unix.tmpfiles")
    pmap = lines.get("smtp_tls_policy_maps")
    sock = conf.get("socket", "")
    t.ok(pmap == "socketmap:unix:mtastsd/mtastsd.sock:postfix" and
         sock == "/var/spool/postfix/mtastsd/mtastsd.sock",
         "contrib/postfix/main.cf.unix: a socket in the queue directory, "
         "named relative to it", got=(pmap, sock))
    socket_owner(t, m, "unix", sock)
    # smtp(8) runs chrooted in the queue directory as postfix: the
    # relative name from there, with only Postfix's credentials.
    r = as_postfix(m, ["postmap", "-q", "example.test", pmap],
                   cwd="/var/spool/postfix")
    t.is_((r.returncode, r.stdout.strip()), (0, POLICY),
          "postmap -q example.test %s as user postfix (group postfix "
          "only) in /var/spool/postfix, as smtp(8) sees it" % pmap,
          diag=r.stderr)
    absmap = "socketmap:unix:%s:postfix" % sock
    r = m.run(["postmap", "-q", "example.test", absmap], timeout=30)
    t.is_((r.returncode, r.stdout.strip()), (0, POLICY),
          "postmap -q example.test %s" % absmap, diag=r.stderr)
    r = m.run(["mtasts", "check-postfix", "-f", CONF], timeout=30)
    t.ok(r.returncode == 0, "unix: mtasts check-postfix: no problem",
         diag=r.stdout + r.stderr)


def reload_and_journal(t, m):
    before = journal(m)
    t.ok(before and not [e for e in before if e[0] == 7],
         "log_level info: no debug line in the journal", got=before[-5:])
    set_conf(m, ["log_level = debug"])
    must(t, m, ["systemctl", "reload", "mtastsd"], "systemctl reload mtastsd")

    def debug_after_reload():
        m.run(["postmap", "-q", "other.test", "socketmap:inet:%s:postfix"
               % LISTEN_TCP], timeout=30)
        j = journal(m)
        at = [i for i, e in enumerate(j) if i >= len(before) and
              e[0] == 6 and e[1].startswith("SIGHUP: reloading")]
        return j if at and [e for e in j[at[0]:] if e[0] == 7] else None
    after = wait_for(debug_after_reload) or journal(m)
    t.ok(debug_after_reload(), "the reload reread the file (\"SIGHUP: "
         "reloading\" at priority 6) and log_level debug is in force: "
         "debug lines at priority 7 after it", got=after[len(before):][-8:])
    # socket_mode needs a restart: a reload keeps the old one and warns.
    mark = len(after)
    set_conf(m, ["socket_mode = 0666"])
    must(t, m, ["systemctl", "reload", "mtastsd"],
         "systemctl reload mtastsd (socket_mode changed)")
    warned = wait_for(lambda: [e for e in journal(m)[mark:] if e[0] == 4
                               and "socket_mode" in e[1]])
    t.ok(warned, "the provoked warning has priority 4 (warning)",
         got=journal(m)[mark:])
    r = m.run(["journalctl", "-p", "warning", "-u", "mtastsd", "--no-pager",
               "-o", "cat"])
    t.diag("journalctl -p warning -u mtastsd:\n" + r.stdout.rstrip())
    t.ok("socket_mode" in r.stdout and "reload" in r.stdout,
         "journalctl -p warning -u mtastsd shows it")
    infos = [msg for prio, msg in journal(m) if prio >= 6]
    leaked = [msg for msg in infos if msg in r.stdout.splitlines()]
    t.ok(infos and not leaked, "... and none of the daemon's %d info and "
         "debug lines" % len(infos), got=leaked[:5])


def security(t, m, what):
    r = m.run(["systemd-analyze", "security", "--no-pager", "mtastsd"],
              timeout=60)
    t.diag("systemd-analyze security mtastsd (in the container), %s:"
           % what)
    t.diag("\n".join(ln for ln in r.stdout.splitlines()
                     if ln.startswith(("\u2717", "→")) or "exposure" in ln))
    score = None
    for ln in r.stdout.splitlines():
        if "Overall exposure level" in ln:
            try:
                score = float(ln.split(":", 1)[1].split()[0])
            except (IndexError, ValueError):
                pass
    t.ok(score is not None and score <= EXPOSURE_MAX,
         "systemd-analyze security mtastsd, %s: %s (at most %.1f)" % (
             what, score, EXPOSURE_MAX), diag=r.stderr)


def remove_purge(t, m):
    must(t, m, ["dpkg", "-r", "mtastsd"], "dpkg -r mtastsd", timeout=120)
    s = show(m, "mtastsd", "ActiveState", "LoadState")
    t.ok(s.get("ActiveState") in ("inactive", "failed") and
         not os.path.exists(m.path("/usr/sbin/mtastsd")),
         "remove: the unit is stopped, the programs are gone", got=s)
    t.ok(os.path.exists(m.path(CONF)) and
         m.run(["getent", "passwd", "mtastsd"]).returncode == 0 and
         os.path.isdir(m.path("/var/lib/mtastsd")) and
         os.listdir(m.path("/var/lib/mtastsd")),
         "remove: conffiles, the user and the cache (%s) are kept" % (
             sorted(os.listdir(m.path("/var/lib/mtastsd")))
             if os.path.isdir(m.path("/var/lib/mtastsd")) else "none"))
    must(t, m, ["dpkg", "-P", "mtastsd"], "dpkg -P mtastsd", timeout=120)
    s = show(m, "mtastsd", "LoadState", "UnitFileState")
    wants = m.path("/etc/systemd/system/multi-user.target.wants/"
                   "mtastsd.service")
    t.ok(not os.path.exists(m.path("/etc/mtastsd")) and
         not os.path.exists(m.path("/var/lib/mtastsd")),
         "purge: /etc/mtastsd and /var/lib/mtastsd are gone")
    t.ok(s.get("LoadState") == "not-found" and not os.path.lexists(wants),
         "purge: the unit is unknown and no longer enabled", got=s)
    t.ok(m.run(["getent", "passwd", "mtastsd"]).returncode == 0,
         "purge: the system user stays (Debian policy)")


def systemd_part(t, tmp, deb):
    t0 = time.monotonic()
    try:
        root, info = bookworm_root(deb)
    except (RuntimeError, OSError) as e:
        t.ok(False, "debootstrap a Debian 12 root", diag=str(e))
        return
    t.diag("Debian 12 root %s: %s" % (root, "built now" if info["built_now"]
                                      else "cached") +
           " (%s s to build, %s MB)" % (info["seconds"], info["mb"]))
    with World() as w:
        w.add_domain("example.test", policy=policy_text(
            mx=["mx.example.test"]))
        w.start()
        with pkg_lib.Machine(root, os.path.join(tmp, "machine"),
                             "/run/netns/" + w.ns,
                             "mtastsd-pkg-%d" % os.getpid()) as m:
            try:
                state = m.boot()
            except (RuntimeError, OSError, subprocess.SubprocessError) \
                    as e:
                t.ok(False, "systemd boots the root", diag=str(e))
                return
            t.ok(True, "systemd-nspawn -b: systemd is PID 1 of the root, "
                 "system %s after %.0f s" % (state, time.monotonic() - t0))
            shutil.copy(w.ca_file, m.path(CA_IN_ROOT))
            os.chmod(m.path(CA_IN_ROOT), 0o644)
            install(t, m, deb)
            set_conf(m, ["# tests/pkg/deb.py: the test world",
                         "dns_servers = %s" % w.dns_server,
                         "ca_file = %s" % CA_IN_ROOT,
                         "starttls_list_url =",
                         "listen_tcp = " + LISTEN_TCP])
            must(t, m, ["systemctl", "restart", "mtastsd"],
                 "systemctl restart mtastsd (the world's DNS and CA, "
                 "listen_tcp)")
            postfix(t, m)
            security(t, m, "the shipped unit")
            unix_setups(t, m)
            security(t, m, "with the drop-in postfix-unix.conf")
            reload_and_journal(t, m)
            remove_purge(t, m)
        t.ok(m.stopped_cleanly, "the container powered off cleanly")


def _on_signal(sig, _frame):
    raise SystemExit(128 + sig)


def main():
    reason = skip_reason()
    if reason:
        Tap.skip_all(reason)
    # SIGTERM/SIGHUP (make, CI) unwind the with-blocks: the container
    # is powered off and its overlay unmounted before the world goes.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    pkg_lib.reap_stale(world.tmp_base())
    t = Tap()
    check_build_depends(t)
    tmp = pkg_lib.make_tmp(world.tmp_base())
    try:
        deb, changes = build(t, tmp)
        if deb:
            lintian(t, changes)
            contents(t, deb)
            systemd_part(t, tmp, deb)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
