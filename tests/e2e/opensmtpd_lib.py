# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""opensmtpd_lib.py: real OpenSMTPD for the end-to-end tests of
table-mtasts, without installing it on the machine.

Two generations, cached under $MTASTS_TEST_CACHE (default
/var/cache/mtastsd-tests, see trixie_lib.py), built once and reused by
later runs:
  - opensmtpd68(): Debian 12's opensmtpd 6.8.0p2 (imsg table protocol),
    fetched with `apt-get download` and unpacked with `dpkg -x` (the
    package conflicts with postfix, so it is never installed);
  - trixie_root(): a minimal Debian 13 root made by debootstrap with
    trixie's opensmtpd 7.6.0p1 (text table protocol) installed in it.
Both run inside the test world's network namespace, in a private mount
namespace (unshare -m) whose bind mounts give smtpd what a package
install would: its users (a private /etc/passwd and /etc/group), its
spool, libexec directory (with table-mtasts in it), control socket
directory and the world's CA as the system CA bundle.  Nothing outside
the namespace changes.  The 7.6 smtpd runs chrooted in the trixie
root; table-mtasts, built on this machine, runs there through this
machine's dynamic loader (the root is bound at /host inside it).

Also here: Receiver (an aiosmtpd STARTTLS receiver per MX address) and
send() (SMTP submission from inside the namespace).
"""

import json
import os
import shutil
import smtplib
import subprocess
import time

import trixie_lib
from daemon import ns_socket
from trixie_lib import cached, run_checked

OSMTPD68_VERSION = "6.8.0p2-4+b4"
HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "opensmtpd_receiver.py")
PYTHON = "/usr/bin/python3"
TABLE_NAME = "sts"
# uids/gids of the private /etc/passwd (unused on Debian: < 65534).
USERS = {"opensmtpd": 64901, "opensmtpq": 64902}
SMTPD_ADDR = "127.0.0.1"
# With only 127.0.0.1 on lo, libasr's AI_ADDRCONFIG makes smtpd find
# "No MX": lo gets a second address.
ADDRCONFIG_ADDR = "127.0.0.10"


def which(prog):
    for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if os.access(os.path.join(d, prog), os.X_OK):
            return os.path.join(d, prog)
    return None


def table_binary():
    """The table-mtasts under test."""
    if os.environ.get("TABLE_MTASTS"):
        return os.environ["TABLE_MTASTS"]
    return os.path.join(os.environ.get("MTASTS_BUILDDIR", "."), "src",
                        "table-mtasts")


def skip_reason_e2e(extra=()):
    for prog in ("unshare", "nsenter", "apt-get", "dpkg") + tuple(extra):
        if which(prog) is None:
            return "%s not installed" % prog
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        return "python3-aiosmtpd not installed"
    if not os.access(table_binary(), os.X_OK):
        return "%s not built" % table_binary()
    return None


# ---------------------------------------------------------------- cache

def opensmtpd68():
    """Debian 12's opensmtpd, unpacked: (root, info)."""
    def build(tmp):
        run_checked(["apt-get", "download",
                     "opensmtpd=" + OSMTPD68_VERSION], cwd=tmp)
        deb = [f for f in os.listdir(tmp) if f.endswith(".deb")][0]
        run_checked(["dpkg", "-x", os.path.join(tmp, deb),
                     os.path.join(tmp, "root")])
        os.unlink(os.path.join(tmp, deb))
        return {"version": OSMTPD68_VERSION}
    return cached("opensmtpd-" + OSMTPD68_VERSION, build)


def trixie_root():
    """The debootstrap'ed trixie root with opensmtpd (trixie_lib.py):
    (root, info)."""
    root, info = trixie_lib.trixie_root("opensmtpd")
    # Mount points of Smtpd's bind mounts (idempotent).
    for d in ("mtasts", "host", "etc/ssl/certs", "var/spool/smtpd", "run",
              "proc", "dev"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for f in ("usr/libexec/opensmtpd/table-mtasts",
              "etc/ssl/certs/ca-certificates.crt", "etc/resolv.conf"):
        p = os.path.join(root, f)
        if not os.path.lexists(p):
            open(p, "w").close()
    return root, info


# ------------------------------------------------------------ receivers

class Receiver:
    """An SMTP receiver at addr:25 in the world, STARTTLS with a
    certificate for `names` of `kind` (None: no STARTTLS)."""

    def __init__(self, w, addr, names=None, kind="good"):
        self.w, self.addr = w, addr
        self.log = os.path.join(w.dir, "received-%s.jsonl" % addr)
        argv = [PYTHON, RECEIVER, addr, "25", self.log]
        if names:
            cert, key = w.issue_cert(names, kind,
                                     basename="smtp-%s" % addr)
            argv += [cert, key]
        self.p = w.spawn(argv)

    def wait(self):
        return self.w.wait_tcp(self.addr, 25)

    def messages(self):
        try:
            with open(self.log) as f:
                return [json.loads(x) for x in f if x.strip()]
        except FileNotFoundError:
            return []

    def got(self, rcpt):
        return [m for m in self.messages() if rcpt in m["rcpt"]]


def send(w, rcpt, sender="", port=25, timeout=15):
    """Submit one message to smtpd in the world; returns (code, text) of
    the first refusal, or (250, "") when it was accepted."""
    class NsSMTP(smtplib.SMTP):
        def _get_socket(self, host, port, timeout):
            s = ns_socket(w.ns)
            s.settimeout(timeout)
            s.connect((host, port))
            return s
    body = ("From: e2e@lab.test\r\nTo: %s\r\nSubject: e2e\r\n\r\n"
            "table-mtasts end-to-end test\r\n" % rcpt)
    try:
        with NsSMTP(SMTPD_ADDR, port, timeout=timeout) as s:
            s.sendmail(sender, [rcpt], body)
        return 250, ""
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        return code, text.decode("utf-8", "replace")
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, str(e.smtp_error)


def wait_for(cond, timeout=30.0, step=0.2):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


# ---------------------------------------------------------------- smtpd

def _passwd_files(work):
    """Private /etc/passwd and /etc/group with smtpd's users added."""
    with open("/etc/passwd") as f:
        pw = f.read()
    with open("/etc/group") as f:
        gr = f.read()
    for user, uid in USERS.items():
        pw += "%s:x:%d:%d::/var/lib/opensmtpd/empty:/usr/sbin/nologin\n" % (
            user, uid, uid)
        gr += "%s:x:%d:\n" % (user, uid)
    for name, text in (("passwd", pw), ("group", gr)):
        with open(os.path.join(work, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(work, name), 0o644)


class Smtpd:
    """One smtpd in the world: gen "6.8" (host, unpacked package) or
    "7.6" (chrooted in the trixie root).  `conf` is smtpd.conf with
    "%(conf)s" where the table's configuration path goes; `table_conf`
    is that file's text."""

    runs = 0

    def __init__(self, w, gen, root, conf, table_conf):
        self.w, self.gen, self.root = w, gen, root
        self.work = os.path.join(w.dir, "smtpd-" + gen)
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o755)
        self.p = None
        self.table = os.path.join(self.work, "table-mtasts")
        shutil.copy(table_binary(), self.table)
        os.chmod(self.table, 0o755)
        self.table_conf = os.path.join(self.work, "table-mtasts.conf")
        self._write(self.table_conf, table_conf)
        self.conf = os.path.join(self.work, "smtpd.conf")
        self._write(self.conf, conf % {"conf": self.inner(self.table_conf)})

    def _write(self, path, text, mode=0o644):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def inner(self, path):
        """A path of the work dir as smtpd sees it."""
        if self.gen == "6.8":
            return path
        return "/mtasts" + path[len(self.w.dir):]

    def _script_68(self):
        wk = self.work
        for d, mode in (("libexec/opensmtpd", 0o755),
                        ("varlib/opensmtpd/empty", 0o755),
                        ("spool/smtpd", 0o711), ("run", 0o755)):
            os.makedirs(os.path.join(wk, d), exist_ok=True)
            os.chmod(os.path.join(wk, d), mode)
        shutil.copy(self.table, os.path.join(wk, "libexec/opensmtpd",
                                             "table-mtasts"))
        _passwd_files(wk)
        shutil.copy(self.w.ca_file, os.path.join(wk, "ca.crt"))
        smtpctl = os.path.join(wk, "smtpctl")
        shutil.copy(os.path.join(self.root, "usr/sbin/smtpctl"), smtpctl)
        os.chown(smtpctl, 0, USERS["opensmtpq"])
        os.chmod(smtpctl, 0o2755)
        self.smtpctl_path = smtpctl
        binds = [("libexec", "/usr/libexec"), ("varlib", "/var/lib"),
                 ("spool", "/var/spool"), ("run", "/run"),
                 ("passwd", "/etc/passwd"), ("group", "/etc/group"),
                 ("ca.crt", "/etc/ssl/certs/ca-certificates.crt")]
        lines = ["set -e"]
        lines += ["mount --bind '%s' '%s'" % (os.path.join(wk, a), b)
                  for a, b in binds]
        lines.append("exec '%s' -d -v -T lookup -f '%s'" % (
            os.path.join(self.root, "usr/sbin/smtpd"), self.conf))
        return "\n".join(lines)

    def _script_76(self):
        r, wk = self.root, self.work
        wrapper = os.path.join(wk, "table-wrapper")
        # smtpd runs the table as <libexec>/table-mtasts with argv[0] =
        # the table name; the wrapper runs our binary with this machine's
        # loader and libraries (bound at /host), argv[0] kept.
        # The loader by its real path: /lib64's link is absolute and
        # would lead to trixie's loader inside the chroot.
        ld = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
        self._write(wrapper, "#!/bin/sh\nexec /host%s --library-path "
                    "/host%s --argv0 %s %s \"$@\"\n" % (
                        ld, os.path.dirname(ld), TABLE_NAME,
                        self.inner(self.table)), 0o755)
        resolv = os.path.join(wk, "resolv.conf")
        self._write(resolv, "nameserver %s\n" % self.w.dns_server)
        shutil.copy(self.w.ca_file, os.path.join(wk, "ca.crt"))
        self.smtpctl_path = "/usr/sbin/smtpctl"
        lines = [
            "set -e",
            "mount --bind '%s' '%s/mtasts'" % (self.w.dir, r),
            "mount --bind -o ro / '%s/host'" % r,
            "mount --bind '%s' '%s/usr/libexec/opensmtpd/table-mtasts'" % (
                wrapper, r),
            "mount --bind '%s' '%s/etc/ssl/certs/ca-certificates.crt'" % (
                os.path.join(wk, "ca.crt"), r),
            "mount --bind '%s' '%s/etc/resolv.conf'" % (resolv, r),
            "mount -t tmpfs -o mode=0711 tmpfs '%s/var/spool/smtpd'" % r,
            "mount -t tmpfs -o mode=0755 tmpfs '%s/run'" % r,
            "mount -t proc proc '%s/proc'" % r,
            "mount --bind /dev '%s/dev'" % r,
            "exec chroot '%s' /usr/sbin/smtpd -d -v -T lookup -f '%s'" % (
                r, self.inner(self.conf)),
        ]
        return "\n".join(lines)

    def start(self):
        script = self._script_68() if self.gen == "6.8" else \
            self._script_76()
        Smtpd.runs += 1
        self.p = self.w.spawn([which("unshare"), "-m", "--propagation",
                               "private", "sh", "-c", script],
                              log=os.path.join(self.w.dir, "logs",
                                               "smtpd-%s-%d.log" % (
                                                   self.gen, Smtpd.runs)))
        return self.w.wait_tcp(SMTPD_ADDR, 25, timeout=20)

    def stop(self):
        if self.p is not None:
            self.w.stop_process(self.p)
            self.p = None

    def log(self):
        with open(self.p.log_file, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_log(self, text, after=0, timeout=30.0):
        return wait_for(lambda: text in self.log()[after:], timeout)

    def smtpctl(self, *args):
        """smtpctl inside smtpd's mount namespace (its socket is there)."""
        argv = [which("nsenter"), "-t", str(self.p.pid), "-m", "-n"]
        if self.gen == "7.6":
            argv += ["chroot", self.root]
        return subprocess.run(argv + [self.smtpctl_path] + list(args),
                              capture_output=True, text=True, timeout=30)


def prepare_world(w):
    """What every OpenSMTPD test world needs after start()."""
    os.chmod(w.dir, 0o711)      # smtpd's users reach the table config
    subprocess.run(["ip", "-n", w.ns, "addr", "add", ADDRCONFIG_ADDR + "/32",
                    "dev", "lo"], check=True)


def table_conf(socket, **opts):
    """A table-mtasts.conf for the tests."""
    lines = ["socket = %s" % socket, "log = stderr", "log_level = debug"]
    lines += ["%s = %s" % kv for kv in sorted(opts.items())]
    return "\n".join(lines) + "\n"
