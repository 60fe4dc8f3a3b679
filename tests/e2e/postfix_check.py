#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_check.py: TAP test of "mtasts check-postfix" against a fake
postconf(1), one Postfix configuration per case: every finding the
command knows, each shown by a case that has it and a case that does
not.  No root, no Postfix needed (a live Postfix is checked by
tests/e2e/postfix_37.py and postfix_310.py).

The fake postconf (written into a temporary directory) answers
"postconf -c DIR -x NAME..." and "postconf -c DIR -M" from DIR/fake.json.
Sockets are real: a small socketmap/tcp_table server in a thread answers
like mtastsd (NOTFOUND for the probe key, and mtastsd's JSON "version"
op on the same socket), like a server that does not know the map name
(PERM), or like another resolver that holds the port (the socketmap
answer alike, but no JSON).  The real daemon's answer to the version op
is checked by tests/e2e/postfix_37.py, postfix_310.py and
postfix_3105.py, which run check-postfix against it.
A small DNS server on 127.0.0.1 (UDP) answers the DANE resolver probe
(a DNSKEY query) with or without the AD flag, or SERVFAIL, so the probe
never leaves the machine.
"""

import json
import os
import pwd
import socket
import stat
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tap import Tap  # noqa: E402

FAKE = r'''#!/usr/bin/python3
import json, sys
args = sys.argv[1:]
conf = "/etc/postfix"
if args[:1] == ["-c"]:
    conf, args = args[1], args[2:]
with open(conf + "/fake.json") as f:
    fake = json.load(f)
if fake.get("fail"):
    sys.stderr.write("postconf: fatal: open %s/main.cf: No such file\n" % conf)
    sys.exit(1)
if args == ["-M"]:
    sys.stdout.write(fake["master"])
    sys.exit(0)
assert args[0] == "-x", args
params = fake["params"]
for name in args[1:]:
    if name in params:
        value = params[name]
        for k, v in params.items():       # -x: expand $name
            value = value.replace("$" + k, v)
        print("%s = %s" % (name, value))
    else:
        sys.stderr.write("postconf: warning: %s: unknown parameter\n" % name)
'''

MASTER_CHROOT = """\
smtp       inet  n       -       y       -       -       smtpd
smtp       unix  -       -       y       -       -       smtp
relay      unix  -       -       y       -       -       smtp
proxymap   unix  -       -       n       -       -       proxymap
"""
MASTER_PLAIN = MASTER_CHROOT.replace("       y       ", "       n       ")
MASTER_DASH = MASTER_CHROOT.replace("       y       ", "       -       ")


class FakeDaemon:
    """A socketmap (or tcp_table) server on a Unix or TCP socket."""

    def __init__(self, path=None, tcp=False, answer=b"NOTFOUND ",
                 mtastsd=True):
        self.answer, self.tcp, self.mtastsd = answer, tcp, mtastsd
        if path:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.bind(path)
        else:
            self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.s.bind(("127.0.0.1", 0))
            self.port = self.s.getsockname()[1]
        self.s.listen(8)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            req = c.recv(4096)
            if req.startswith(b"{"):
                if self.mtastsd and b'"op":"version"' in req:
                    c.sendall(b'{"ok":true,"daemon":"mtastsd",'
                              b'"version":"0.1.0"}\n')
            elif self.tcp:
                c.sendall(b"500 not found\n")
            else:
                c.sendall(b"%d:%s," % (len(self.answer), self.answer))
            c.close()

    def close(self):
        try:
            self.s.shutdown(socket.SHUT_RDWR)   # wakes accept()
        except OSError:
            pass
        self.s.close()


class FakeDNS:
    """Answers every query with one DNSKEY record: AD set when
    self.mode is "validating", not set for "plain", SERVFAIL for
    "servfail"."""

    def __init__(self):
        self.mode = "validating"
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                q, peer = self.s.recvfrom(2048)
            except OSError:
                return
            if len(q) < 12:
                continue
            end = 12
            while end < len(q) and q[end] != 0:
                end += 1 + q[end]
            question = q[12:end + 5]
            flags = 0x8180 | (0x20 if self.mode == "validating" else 0)
            if self.mode == "servfail":
                flags, an, rr = 0x8182, 0, b""
            else:
                # Owner: pointer to the question; DNSKEY 257 3 13 key.
                rdata = b"\x01\x01\x03\x0d" + b"k" * 64
                rr = (b"\xc0\x0c\x00\x30\x00\x01\x00\x00\x0e\x10" +
                      len(rdata).to_bytes(2, "big") + rdata)
                an = 1
            hdr = (q[:2] + flags.to_bytes(2, "big") + b"\x00\x01" +
                   an.to_bytes(2, "big") + b"\x00\x00\x00\x00")
            self.s.sendto(hdr + question + rr, peer)

    def close(self):
        self.s.close()


def mtasts():
    b = os.environ.get("MTASTS") or os.path.join(
        os.environ.get("MTASTS_BUILDDIR") or os.getcwd(), "src", "mtasts")
    return os.path.abspath(b)


class Env:
    def __init__(self, tmp, dns):
        self.tmp = tmp
        self.dns = dns
        self.postconf = os.path.join(tmp, "postconf")
        with open(self.postconf, "w") as f:
            f.write(FAKE)
        os.chmod(self.postconf, 0o755)
        self.queue = os.path.join(tmp, "queue")
        os.makedirs(os.path.join(self.queue, "mtastsd"))
        os.chmod(tmp, 0o755)
        self.ca = os.path.join(tmp, "ca.pem")
        with open(self.ca, "w") as f:
            f.write("not checked\n")
        self.n = 0

    def run(self, params, master=MASTER_CHROOT, conf=None, fail=False,
            confopt="-f"):
        """check-postfix on a fake configuration; (rc, {code: level})."""
        self.n += 1
        d = os.path.join(self.tmp, "pf%d" % self.n)
        os.mkdir(d)
        base = {"mail_version": "3.7.11", "compatibility_level": "3.6",
                "queue_directory": self.queue, "mail_owner": "postfix",
                "smtp_tls_CAfile": self.ca, "smtp_tls_CApath": "",
                "tls_append_default_CA": "no",
                "proxy_read_maps": "$smtp_tls_policy_maps "
                "proxy:unix:passwd.byname"}
        base.update(params)
        with open(os.path.join(d, "fake.json"), "w") as f:
            json.dump({"params": base, "master": master, "fail": fail}, f)
        cf = os.path.join(d, "mtastsd.conf")
        with open(cf, "w") as f:
            # Every probe goes to the fake DNS server, never further.
            f.write("dns_servers = 127.0.0.1:%d\ndns_timeout = 500ms\n"
                    "dns_tries = 1\n%s" % (self.dns.port, conf or ""))
        r = subprocess.run([mtasts(), "check-postfix", "--json",
                            "--postconf", self.postconf, "-c", d, confopt,
                            cf],
                           capture_output=True, text=True, timeout=30)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = {"checks": []}
        codes = {}
        for c in out.get("checks", []):
            codes.setdefault(c["code"], set()).add(c["level"])
        return r.returncode, codes, r.stdout + r.stderr


def case(t, env, name, params, want_rc, has=(), lacks=(), **kw):
    rc, codes, out = env.run(params, **kw)
    ok = t.is_(rc, want_rc, "%s: exit status" % name, diag=out)
    for code, level in has:
        ok &= t.ok(level in codes.get(code, ()), "%s: %s %s" % (
            name, level, code), got=codes)
    for code in lacks:
        ok &= t.ok(code not in codes, "%s: no %s" % (name, code), got=codes)
    return ok


def maps(t, env):
    sm = "socketmap:unix:mtastsd/mtastsd.sock:postfix"
    case(t, env, "postconf fails", {}, 2, fail=True)
    case(t, env, "no map", {"smtp_tls_policy_maps": "hash:/etc/x"}, 1,
         has=[("no-map", "problem")])
    case(t, env, "Postfix 2.9", {"mail_version": "2.9.6",
                                  "smtp_tls_policy_maps": sm}, 1,
         has=[("version", "problem")])
    case(t, env, "servername on 3.3", {"mail_version": "3.3.2",
                                        "smtp_tls_policy_maps": sm}, 1,
         has=[("profile-servername", "problem")])
    case(t, env, "postfix_version 3.3 on 3.3",
         {"mail_version": "3.3.2", "smtp_tls_policy_maps": sm}, 0,
         has=[("profile", "ok"), ("daemon-answers", "ok")],
         lacks=["profile-servername"], conf="postfix_version = 3.3\n")
    case(t, env, "--config names mtastsd.conf as -f does",
         {"mail_version": "3.3.2", "smtp_tls_policy_maps": sm}, 0,
         has=[("profile", "ok")], lacks=["profile-servername"],
         conf="postfix_version = 3.3\n", confopt="--config")
    case(t, env, "tlsrpt on 3.7", {"smtp_tls_policy_maps": sm + "-tlsrpt"},
         1, has=[("profile-tlsrpt", "problem")])
    case(t, env, "tlsrpt on 3.10", {"mail_version": "3.10.3",
                                     "smtp_tls_policy_maps": sm + "-tlsrpt"},
         0, has=[("profile", "ok")], lacks=["profile-tlsrpt",
                                            "tlsrpt-available"])
    case(t, env, "postfix on 3.10", {"mail_version": "3.10.3",
                                      "smtp_tls_policy_maps": sm}, 0,
         has=[("tlsrpt-available", "note")], lacks=["mx-patterns"])
    case(t, env, "postfix on 3.10.4", {"mail_version": "3.10.4",
                                        "smtp_tls_policy_maps": sm}, 0,
         has=[("tlsrpt-available", "note")], lacks=["mx-patterns"])
    case(t, env, "postfix on 3.10.5: MX outside the policy",
         {"mail_version": "3.10.5", "smtp_tls_policy_maps": sm}, 0,
         has=[("mx-patterns", "warning")], lacks=["tlsrpt-available"])
    case(t, env, "postfix on 3.11: MX outside the policy",
         {"mail_version": "3.11.1", "smtp_tls_policy_maps": sm}, 0,
         has=[("mx-patterns", "warning")])
    case(t, env, "tlsrpt on 3.10.5", {"mail_version": "3.10.5",
                                       "smtp_tls_policy_maps":
                                       sm + "-tlsrpt"}, 0,
         has=[("profile", "ok")], lacks=["mx-patterns"])
    case(t, env, "snapshot version", {"mail_version": "3.11-20250901",
                                       "smtp_tls_policy_maps": sm}, 0,
         has=[("version", "ok")])
    case(t, env, "unknown map name", {"smtp_tls_policy_maps":
                                      sm.replace(":postfix", ":QUERY")}, 1,
         has=[("unknown-profile", "problem")])
    case(t, env, "good: relative path, chrooted",
         {"smtp_tls_policy_maps": "hash:/x, " + sm}, 0,
         has=[("profile", "ok"), ("daemon-answers", "ok"), ("ca", "ok")])


def sockets(t, env):
    sock = os.path.join(env.queue, "mtastsd", "mtastsd.sock")
    case(t, env, "absolute path, chrooted",
         {"smtp_tls_policy_maps": "socketmap:unix:%s:postfix" % sock}, 1,
         has=[("socket-missing", "problem"), ("chroot-hint", "note")])
    case(t, env, "absolute path, not chrooted",
         {"smtp_tls_policy_maps": "socketmap:unix:%s:postfix" % sock}, 0,
         has=[("daemon-answers", "ok")], master=MASTER_PLAIN)
    case(t, env, "chroot \"-\" is n with compatibility_level 3.6",
         {"smtp_tls_policy_maps": "socketmap:unix:%s:postfix" % sock}, 0,
         has=[("daemon-answers", "ok")], master=MASTER_DASH)
    case(t, env, "chroot \"-\" is y with compatibility_level 0",
         {"smtp_tls_policy_maps": "socketmap:unix:%s:postfix" % sock,
          "compatibility_level": "0"}, 1,
         has=[("socket-missing", "problem")], master=MASTER_DASH)
    case(t, env, "proxy: absolute path, chrooted smtp",
         {"smtp_tls_policy_maps": "proxy:socketmap:unix:%s:postfix" % sock},
         0, has=[("daemon-answers", "ok")], lacks=["proxy-read-maps"])
    case(t, env, "proxy: not in proxy_read_maps",
         {"smtp_tls_policy_maps": "proxy:socketmap:unix:%s:postfix" % sock,
          "proxy_read_maps": "proxy:unix:passwd.byname"}, 1,
         has=[("proxy-read-maps", "problem")])
    case(t, env, "not a socket", {"smtp_tls_policy_maps":
                                  "socketmap:unix:fake.json:postfix"}, 1,
         has=[("socket-missing", "problem")])


def permissions(t, env):
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        t.diag("no user postfix: socket permission cases skipped")
        return
    path = os.path.join(env.queue, "private.sock")
    d = FakeDaemon(path)
    sm = "socketmap:unix:private.sock:postfix"
    os.chmod(path, 0o600)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    case(t, env, "socket not writable for postfix",
         {"smtp_tls_policy_maps": sm}, 1,
         has=[("socket-permission", "problem")])
    os.chmod(path, 0o666)
    case(t, env, "socket writable for postfix",
         {"smtp_tls_policy_maps": sm}, 0, lacks=["socket-permission"])
    d.close()


def daemons(t, env):
    perm = FakeDaemon(os.path.join(env.queue, "perm.sock"),
                      answer=b"PERM unknown map name")
    os.chmod(os.path.join(env.queue, "perm.sock"), 0o666)
    case(t, env, "daemon does not know the map name",
         {"smtp_tls_policy_maps": "socketmap:unix:perm.sock:postfix"}, 1,
         has=[("unknown-profile", "problem")])
    perm.close()
    tcp = FakeDaemon(tcp=True)
    case(t, env, "tcp_table", {"smtp_tls_policy_maps":
                               "tcp:127.0.0.1:%d" % tcp.port}, 0,
         has=[("daemon-answers", "ok"), ("profile", "ok")])
    case(t, env, "tcp_table on 3.10.5: MX outside the policy",
         {"mail_version": "3.10.13", "smtp_tls_policy_maps":
          "tcp:127.0.0.1:%d" % tcp.port}, 0,
         has=[("mx-patterns", "warning")])
    other = FakeDaemon(mtastsd=False)
    case(t, env, "another resolver holds the port",
         {"smtp_tls_policy_maps": "socketmap:inet:127.0.0.1:%d:postfix"
          % other.port}, 1, has=[("not-mtastsd", "problem")],
         lacks=["daemon-answers"])
    other.close()
    inet = FakeDaemon()
    case(t, env, "socketmap inet", {"smtp_tls_policy_maps":
                                    "socketmap:inet:127.0.0.1:%d:postfix"
                                    % inet.port}, 0,
         has=[("daemon-answers", "ok")])
    port = inet.port
    inet.close()
    case(t, env, "nothing listens", {"smtp_tls_policy_maps":
                                     "socketmap:inet:127.0.0.1:%d:postfix"
                                     % port}, 1,
         has=[("daemon-unreachable", "problem")])
    tcp.close()


def cas(t, env):
    sm = "socketmap:unix:mtastsd/mtastsd.sock:postfix"
    case(t, env, "no CA", {"smtp_tls_policy_maps": sm,
                           "smtp_tls_CAfile": ""}, 1,
         has=[("no-ca", "problem")])
    case(t, env, "tls_append_default_CA", {
        "smtp_tls_policy_maps": sm, "smtp_tls_CAfile": "",
        "tls_append_default_CA": "yes"}, 0, has=[("ca", "ok")])
    case(t, env, "CA file missing", {"smtp_tls_policy_maps": sm,
                                     "smtp_tls_CAfile": "/nonexistent.pem"},
         1, has=[("ca-file", "problem")])
    case(t, env, "CA path not in the jail", {
        "smtp_tls_policy_maps": sm, "smtp_tls_CAfile": "",
        "smtp_tls_CApath": "/nonexistent-certs"}, 0,
         has=[("ca-path-jail", "warning")])
    os.makedirs(os.path.join(env.queue, "etc", "ssl", "certs"))
    case(t, env, "CA path in the jail", {
        "smtp_tls_policy_maps": sm, "smtp_tls_CAfile": "",
        "smtp_tls_CApath": "/etc/ssl/certs"}, 0, has=[("ca", "ok")],
         lacks=["ca-path-jail"])
    case(t, env, "CA path missing, not chrooted", {
        "smtp_tls_policy_maps": sm, "smtp_tls_CAfile": "",
        "smtp_tls_CApath": "/nonexistent-certs"}, 1,
         has=[("ca-path", "problem")], master=MASTER_PLAIN)


def dane(t, env):
    sm = "socketmap:unix:mtastsd/mtastsd.sock:postfix"
    env.dns.mode = "validating"
    case(t, env, "DANE: dnssec and a validating resolver", {
        "smtp_tls_policy_maps": sm, "smtp_dns_support_level": "dnssec"},
         0, has=[("dane-dns", "ok"), ("dane-resolver", "ok")])
    case(t, env, "DANE: Postfix without dnssec", {
        "smtp_tls_policy_maps": sm, "smtp_dns_support_level": ""}, 0,
         has=[("dane-dns", "warning"), ("dane-resolver", "ok")])
    env.dns.mode = "plain"
    case(t, env, "DANE: the resolver does not validate", {
        "smtp_tls_policy_maps": sm, "smtp_dns_support_level": "dnssec"},
         0, has=[("dane-resolver", "warning"), ("dane-dns", "ok")])
    env.dns.mode = "servfail"
    case(t, env, "DANE: the probe fails", {
        "smtp_tls_policy_maps": sm, "smtp_dns_support_level": "dnssec"},
         0, has=[("dane-resolver", "warning")])
    case(t, env, "DANE off: nothing probed", {
        "smtp_tls_policy_maps": sm, "smtp_dns_support_level": ""}, 0,
         has=[("dane", "note")], lacks=["dane-dns", "dane-resolver"],
         conf="dane = no\n")
    env.dns.mode = "validating"


def main():
    if not os.access(mtasts(), os.X_OK):
        Tap.skip_all("no mtasts binary at %s" % mtasts())
    t = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        fdns = FakeDNS()
        env = Env(tmp, fdns)
        sock = os.path.join(env.queue, "mtastsd", "mtastsd.sock")
        d = FakeDaemon(sock)
        os.chmod(sock, 0o666)
        st = os.stat(sock)
        t.ok(stat.S_ISSOCK(st.st_mode), "fake daemon listens")
        maps(t, env)
        sockets(t, env)
        permissions(t, env)
        daemons(t, env)
        cas(t, env)
        dane(t, env)
        d.close()
        fdns.close()
        r = subprocess.run([mtasts(), "check-postfix", "extra"],
                           capture_output=True, text=True)
        t.is_(r.returncode, 2, "usage error: exit 2")
        t.ok("usage: mtasts check-postfix" in r.stderr, "usage message")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
