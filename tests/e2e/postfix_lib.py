# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_lib.py: real Postfix instances, SMTP receivers and mail for
the MTA end-to-end tests (tests/e2e/postfix_37.py, postfix_310.py,
postfix_3105.py),
inside a test world (tests/lib/world.py).

A `Postfix` is a private instance: its own config directory, queue
directory, data directory and mail log under the world's temp dir, its
own master.cf (mail is injected on 127.0.0.1:2525 of the world's
namespace, delivered by smtp(8), chrooted or not), started with
"postfix -c DIR start" inside the world's network namespace and stopped
by signalling its master, so neither the machine's /etc/postfix nor a
Postfix the package may have started is used or touched.

`root` selects the binaries: None for the machine's Postfix (Debian
12's 3.7), or a directory holding an extracted Postfix package (see
postfix-backports.sh): that instance runs in a private mount namespace
where root/usr/lib/postfix is bind-mounted over /usr/lib/postfix (the
binaries find their shared libraries there: RUNPATH), with
command_directory and meta_directory pointing into root.  `sysroot`
instead selects a whole Debian root with Postfix installed
(trixie_lib.trixie_root("postfix")): that instance, its commands
included, runs chrooted in sysroot, in a private mount namespace where
/dev (with /dev/shm, where the world's dir usually is), /proc, the
world's dir (at its own path, so every path of the instance is the same
inside and out: through /dev/shm, or by binding its parent directory)
and the world's resolv.conf are bound into sysroot; its mail_owner is
sysroot's postfix user.  Every command of an extracted or chrooted
instance runs in the master's mount namespace (nsenter) once the master
runs.

`Receivers` runs postfix_receiver.py (aiosmtpd with STARTTLS) for every MX
address of a test; `Postfix.deliver()` injects one message and waits for
its final status line in the mail log.
"""

import collections
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import time

import world
from daemon import ns_socket

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "postfix_receiver.py")
SRCDIR = os.environ.get("MTASTS_SRCDIR") or os.path.join(HERE, "..", "..")
CONTRIB = os.path.join(SRCDIR, "contrib", "postfix")
INJECT = ("127.0.0.1", 2525)
DELIVERY_TIMEOUT = 40.0

Delivery = collections.namedtuple(
    "Delivery", "qid status dsn relay text lines")

# master.cf: only what an outbound relay needs.  {c} is the chroot
# column of the delivery agents (smtp, relay); nothing else is chrooted.
MASTER_CF = """\
127.0.0.1:2525 inet n - n - - smtpd
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
tlsmgr    unix  -  -  n  1000? 1 tlsmgr
rewrite   unix  -  -  n  -    -  trivial-rewrite
bounce    unix  -  -  n  -    0  bounce
defer     unix  -  -  n  -    0  bounce
trace     unix  -  -  n  -    0  bounce
verify    unix  -  -  n  -    1  verify
flush     unix  n  -  n  1000? 0 flush
proxymap  unix  -  -  n  -    -  proxymap
proxywrite unix -  -  n  -    1  proxymap
smtp      unix  -  -  {c} -   -  smtp
relay     unix  -  -  {c} -   -  smtp
showq     unix  n  -  n  -    -  showq
error     unix  -  -  n  -    -  error
retry     unix  -  -  n  -    -  error
discard   unix  -  -  n  -    -  discard
anvil     unix  -  -  n  -    1  anvil
scache    unix  -  -  n  -    1  scache
postlog   unix-dgram n - n - 1  postlogd
"""

# Files a chrooted smtp(8) needs in the jail, as Debian's
# configure-instance.sh copies them (resolv.conf: the world's DNS).
JAIL_FILES = ("etc/services", "etc/hosts", "etc/host.conf",
              "etc/nsswitch.conf", "etc/localtime")


def contrib_lines(name):
    """The "name = value" lines of contrib/postfix/<name>, as a dict in
    file order (comments and blank lines dropped)."""
    out = collections.OrderedDict()
    with open(os.path.join(CONTRIB, name)) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


class Postfix:
    """A private Postfix instance inside world `w` (see module doc)."""

    def __init__(self, w, name, root=None, sysroot=None):
        self.w, self.root, self.sysroot = w, root, sysroot
        self.base = os.path.join(w.dir, name)
        self.conf_dir = os.path.join(self.base, "etc")
        self.queue = os.path.join(self.base, "queue")
        self.data = os.path.join(self.base, "data")
        self.maillog = os.path.join(self.base, "maillog")
        self.master_pid = None
        for d in (self.conf_dir, self.queue, self.data):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.base, 0o755)
        os.chown(self.data, *self._owner())

    def _owner(self):
        """uid and gid of the postfix user, as the instance sees it."""
        if not self.sysroot:
            pw = pwd.getpwnam("postfix")
            return pw.pw_uid, pw.pw_gid
        with open(os.path.join(self.sysroot, "etc", "passwd")) as f:
            for line in f:
                fields = line.split(":")
                if fields[0] == "postfix":
                    return int(fields[2]), int(fields[3])
        raise KeyError("no user postfix in %s" % self.sysroot)

    # -- configuration -----------------------------------------------------
    def main_cf(self, extra, chroot=False):
        """Write main.cf (the relay baseline plus `extra`, a dict whose
        later keys win) and master.cf."""
        conf = collections.OrderedDict([
            ("compatibility_level", "3.6"),
            ("queue_directory", self.queue),
            ("data_directory", self.data),
            ("myhostname", "relay.e2e.test"),
            ("mydomain", "e2e.test"),
            ("myorigin", "e2e.test"),
            ("mydestination", ""),
            ("local_transport", "error:local delivery disabled"),
            ("alias_maps", ""),
            ("alias_database", ""),
            ("inet_interfaces", "127.0.0.1"),
            ("inet_protocols", "ipv4"),
            ("mynetworks", "127.0.0.0/8"),
            ("smtpd_relay_restrictions", "permit_mynetworks, reject"),
            ("maillog_file", self.maillog),
            # Postfix refuses a log file outside these prefixes.
            ("maillog_file_prefixes", self.base),
            ("smtputf8_enable", "yes"),
            # No retries while a test runs: every status line in the
            # log is the first and only attempt of its message.
            ("queue_run_delay", "300s"),
            ("minimal_backoff_time", "300s"),
            ("maximal_backoff_time", "600s"),
            ("smtp_connect_timeout", "5s"),
            ("smtp_tls_security_level", "may"),
            ("smtp_tls_loglevel", "1"),
        ])
        if self.root:
            conf["command_directory"] = os.path.join(self.root, "usr/sbin")
            conf["meta_directory"] = os.path.join(self.root, "etc/postfix")
        conf.update(extra)
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF.replace("{c}", "y" if chroot else "n"))
        if chroot:
            self._jail()

    def _jail(self):
        for rel in JAIL_FILES:
            src = os.path.join(self.sysroot or "/", rel)
            dst = os.path.join(self.queue, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.exists(src):
                shutil.copyfile(src, dst)
        shutil.copyfile("/etc/netns/%s/resolv.conf" % self.w.ns,
                        os.path.join(self.queue, "etc", "resolv.conf"))

    # -- commands ------------------------------------------------------------
    def command(self, prog):
        """Absolute path of a Postfix command of this instance (inside
        sysroot for a chrooted one)."""
        return os.path.join(self.root or "/", "usr/sbin", prog)

    def _in_sysroot(self, argv):
        """argv run chrooted in sysroot, after the bind mounts (see the
        module doc) in the mount namespace of `ip netns exec`, which is
        private: nothing changes outside it."""
        script = (
            'set -e; r=$1 w=$2 resolv=$3; shift 3\n'
            'mount --rbind /dev "$r/dev"\n'
            'mount -t proc proc "$r/proc"\n'
            # Under /dev/shm the world's dir is there already; under
            # /tmp (say) bind /tmp; else make a mount point in sysroot.
            'p=${w%/*}\n'
            'if [ ! -d "$r$w" ] && [ -d "$r$p" ]; then\n'
            '  mount --bind "$p" "$r$p"\n'
            'elif [ ! -d "$r$w" ]; then\n'
            '  mkdir -p "$r$w"; mount --bind "$w" "$r$w"\n'
            'fi\n'
            'mount --bind "$resolv" "$r/etc/resolv.conf"\n'
            'exec chroot "$r" "$@"\n')
        return ["sh", "-c", script, "sh", self.sysroot, self.w.dir,
                "/etc/netns/%s/resolv.conf" % self.w.ns] + list(argv)

    def run(self, argv, timeout=60):
        """Run a command as the instance sees the world: in the world's
        namespace, and for an extracted or chrooted Postfix in the
        master's mount namespace (only while it runs; before, a chrooted
        instance's command gets its own mounts)."""
        if self.sysroot:
            if self.master_pid:
                argv = ["nsenter", "-t", str(self.master_pid), "-m", "--",
                        "chroot", self.sysroot] + list(argv)
            else:
                argv = self._in_sysroot(argv)
            return self.w.run(argv, timeout=timeout)
        if self.root and self.master_pid:
            return self.w.run(["nsenter", "-t", str(self.master_pid), "-m",
                               "--"] + argv, timeout=timeout)
        return self.w.run(argv, timeout=timeout)

    def start(self):
        """Start the instance; returns Result of "postfix start"."""
        argv = [self.command("postfix"), "-c", self.conf_dir, "start"]
        if self.sysroot:
            argv = self._in_sysroot(argv)
        elif self.root:
            # A mount made inside `ip netns exec` stays in its private
            # mount namespace, which the master inherits.
            argv = ["sh", "-c", 'mount --bind "$1" /usr/lib/postfix && '
                    'shift && exec "$@"', "sh",
                    os.path.join(self.root, "usr/lib/postfix")] + argv
        r = self.w.run(argv, timeout=60)
        self.master_pid = self._read_pid()
        return r

    def _read_pid(self, timeout=10.0):
        path = os.path.join(self.queue, "pid", "master.pid")
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            try:
                with open(path) as f:
                    pid = int(f.read().split()[0])
                os.kill(pid, 0)
                return pid
            except (OSError, ValueError, IndexError):
                time.sleep(0.05)
        return None

    def stop(self, timeout=15.0):
        """Stop the master (SIGTERM, as "postfix stop" does) and wait."""
        pid, self.master_pid = self.master_pid, None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def flush_queue(self):
        """Delete every queued message (between configurations)."""
        self.run([self.command("postsuper"), "-c", self.conf_dir, "-d",
                  "ALL"])

    # -- mail ----------------------------------------------------------------
    def log(self):
        try:
            with open(self.maillog, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def send(self, rcpt, case, smtputf8=False):
        """Inject one message for `rcpt` on 127.0.0.1:2525; returns the
        queue id."""
        body = ("From: <>\r\nTo: <%s>\r\nSubject: e2e %s\r\n"
                "X-E2E-Case: %s\r\n\r\ncase %s\r\n" % (rcpt, case, case,
                                                       case))
        s = NsSMTP(self.w.ns, timeout=20)
        try:
            s.connect(*INJECT)
            s.ehlo("client.e2e.test")
            opts = ["SMTPUTF8"] if smtputf8 else []
            if smtputf8:
                s.command_encoding = "utf-8"
            s.mail("", opts)
            code, resp = s.rcpt(rcpt)
            if code != 250:
                raise RuntimeError("RCPT %s: %d %s" % (rcpt, code, resp))
            code, resp = s.data(body.encode("utf-8"))
            if code != 250:
                raise RuntimeError("DATA: %d %s" % (code, resp))
        finally:
            s.close()
        m = re.search(r"queued as ([0-9A-Za-z]+)", resp.decode())
        if m is None:
            raise RuntimeError("no queue id in %r" % resp)
        return m.group(1)

    def wait_status(self, qid, mark, timeout=DELIVERY_TIMEOUT):
        """Wait for qid's delivery status in the log past offset `mark`;
        returns a Delivery (status None on timeout).  lines: the log
        lines of the smtp(8) process that wrote the status, from mark."""
        pat = re.compile(r"postfix(?:-\S+)?/(\w+)\[(\d+)\]: %s: "
                         r"to=<[^>]*>,(?: orig_to=<[^>]*>,)? relay=([^,]*), "
                         r".*dsn=([0-9.]+), status=(\w+) (.*)$"
                         % re.escape(qid), re.M)
        t_end = time.monotonic() + timeout
        while True:
            text = self.log()[mark:]
            m = pat.search(text)
            if m is not None:
                tag = "/%s[%s]: " % (m.group(1), m.group(2))
                lines = [ln for ln in text[:m.end()].splitlines()
                         if tag in ln]
                return Delivery(qid, m.group(5), m.group(4), m.group(3),
                                m.group(6), lines)
            if time.monotonic() > t_end:
                return Delivery(qid, None, None, None, None,
                                text.splitlines()[-30:])
            time.sleep(0.1)

    def deliver(self, rcpt, case, smtputf8=False):
        """send() and wait_status()."""
        mark = len(self.log())
        qid = self.send(rcpt, case, smtputf8)
        return self.wait_status(qid, mark)


class NsSMTP(smtplib.SMTP):
    """smtplib with its socket inside a network namespace."""

    def __init__(self, ns, **kw):
        self._ns = ns
        super().__init__(**kw)

    def _get_socket(self, host, port, timeout):
        s = ns_socket(self._ns)
        s.settimeout(timeout)
        s.connect((host, port))
        return s


class Receivers:
    """postfix_receiver.py for a set of listeners in world `w`."""

    def __init__(self, w):
        self.w = w
        self.listeners = []
        self.log_path = os.path.join(w.dir, "receivers.jsonl")
        self.p = None

    def add(self, addr, name, cert_kind="good", tls=True):
        """A receiver on addr:25 presenting a world certificate for `name`
        (of `cert_kind`, see world.CERT_KINDS), or without STARTTLS."""
        lst = {"addr": addr, "port": 25, "name": name}
        if tls:
            lst["cert"], lst["key"] = self.w.issue_cert(
                [name], cert_kind, basename="smtp-%s" % addr)
        self.listeners.append(lst)

    def start(self):
        conf = os.path.join(self.w.dir, "receivers.json")
        with open(conf, "w") as f:
            json.dump({"listeners": self.listeners}, f)
        self.p = self.w.spawn([world.PYTHON, RECEIVER, conf, self.log_path])
        return all(self.w.wait_tcp(lst["addr"], 25)
                   for lst in self.listeners)

    def events(self, addr=None, event="message"):
        out = []
        try:
            with open(self.log_path) as f:
                for line in f:
                    rec = json.loads(line)
                    if rec.get("event") == event and (
                            addr is None or rec["listen"] == addr):
                        out.append(rec)
        except FileNotFoundError:
            pass
        return out

    def got(self, case, addr=None):
        """Messages of test case `case` (X-E2E-Case), at addr if given."""
        return [r for r in self.events(addr) if r.get("case") == case]


# ------------------------------------------------------------- the world

# The domains of the end-to-end cases: policy (mode, mx lines) or None,
# and the DNS MX hosts, each (preference, host, address, certificate
# kind of its receiver).
SCENARIO = [
    ("enf-ok.test", ("enforce", ["mx.enf-ok.test"]),
     [(10, "mx.enf-ok.test", "127.0.3.1", "good")]),
    ("enf-bad.test", ("enforce", ["mx.enf-bad.test"]),
     [(10, "mx.enf-bad.test", "127.0.3.2", "wrong-name")]),
    # The first MX is not in the policy, though its certificate is valid
    # for its own name; the second is.
    ("outside.test", ("enforce", ["mx.outside.test"]),
     [(10, "mx.rogue.test", "127.0.3.3", "good"),
      (20, "mx.outside.test", "127.0.3.4", "good")]),
    ("nopolicy.test", None,
     [(10, "mx.nopolicy.test", "127.0.3.5", "good")]),
    ("testing.test", ("testing", ["mx.testing.test"]),
     [(10, "mx.testing.test", "127.0.3.6", "wrong-name")]),
    ("b\u00fccher.test", ("enforce", ["mx.xn--bcher-kva.test"]),
     [(10, "mx.xn--bcher-kva.test", "127.0.3.7", "good")]),
    ("wild.test", ("enforce", ["*.wild.test"]),
     [(10, "mx1.wild.test", "127.0.3.8", "good")]),
]


def build(w):
    """Publish SCENARIO in world `w` (call before w.start()); its
    receivers come from build_receivers(), after start."""
    for dom, pol, mxs in SCENARIO:
        if pol is None:
            w.add_domain(dom, mx=[(p, h) for p, h, _, _ in mxs])
        else:
            w.add_domain(dom, policy=world.policy_text(mode=pol[0],
                                                       mx=pol[1]),
                         mx=[(p, h) for p, h, _, _ in mxs])
        for _, host, addr, _ in mxs:
            w.add_address(host, addr)


def build_receivers(rcv):
    for _, _, mxs in SCENARIO:
        for _, host, addr, kind in mxs:
            rcv.add(addr, host, kind)


def mx_addr(host):
    for _, _, mxs in SCENARIO:
        for _, h, addr, _ in mxs:
            if h == host:
                return addr
    raise KeyError(host)


def policy_domains():
    return [dom for dom, pol, _ in SCENARIO if pol is not None]
