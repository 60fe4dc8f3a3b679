#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""table_mtasts.py: TAP protocol test of table-mtasts, the OpenSMTPD
table back end, in both protocol generations, against the real mtastsd
in a test world (tests/lib/world.py) and against fake daemons.

The test plays smtpd: it runs table-mtasts inside the world's network
namespace (so its MX lookups reach the world's DNS) with a socketpair
as stdin and stdout, and speaks
  - the imsg protocol (API 2) of OpenSMTPD <= 7.5, as 6.8.0p2 frames it
    (16-byte host-order header; int service, size_t nparams, key\\0);
  - the text protocol 0.1 of OpenSMTPD >= 7.6 (config|..., table|0.1|...).
Checked, for each generation: the handshake; check domain (enforce,
testing, none, no policy, not a domain, mixed case); lookup relayhost
(policy-matching MX only, rotation, implicit MX, no MX matching, no
policy, MX lookup that hangs: bounded by dns_timeout); other services
and fetch -> not found; update (good file, broken file: old one kept);
malformed and truncated input (never a reply smtpd would choke on, the
table keeps answering and never exits); a domain whose discovery is
under way (on_pending); an unreachable daemon: no socket, a daemon
that never answers (bounded by timeout), garbage, a closed connection,
an over-long answer (on_unreachable); an unusable configuration file.
The table must exit (status 0) only when smtpd closes its end or sends
CLOSE.

Binary: $TABLE_MTASTS, else src/table-mtasts under $MTASTS_BUILDDIR.
Not root, tools missing, binaries not built: SKIP.
"""

import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from daemon import Client, Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from world import World, policy_text, skip_reason  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
TABLE = os.environ.get("TABLE_MTASTS",
                       os.path.join(BUILDDIR, "src", "table-mtasts"))
MTASTSD = os.environ.get("MTASTSD", os.path.join(BUILDDIR, "src",
                                                 "mtastsd"))
IO_TIMEOUT = 10.0

# imsg (smtpd-api.h)
OK, OPEN, CLOSE, UPDATE, CHECK, LOOKUP, FETCH = 0, 2, 3, 4, 5, 6, 7
K_ALIAS, K_DOMAIN, K_CREDENTIALS, K_RELAYHOST = 0x1, 0x2, 0x4, 0x200
SIZE_T = "Q" if struct.calcsize("N") == 8 else "I"

ENFORCE_MX = ["mx1.enforce.test", "*.backup.enforce.test"]
# RFC 8461 sets no limit on mx lines: every pattern counts, the last too.
MANY_MX = ["m%d.mm.test" % i for i in range(3000)]


# ------------------------------------------------------------ the world

def build_world(w):
    w.add_domain("enforce.test", policy=policy_text(mx=ENFORCE_MX),
                 mx=[(10, "mx1.enforce.test"), (5, "evil.example.test"),
                     (20, "mx.backup.enforce.test")])
    w.add_domain("testing.test", policy=policy_text(
        mode="testing", mx=["mx.testing.test"]), mx=["mx.testing.test"])
    w.add_domain("none.test", policy=policy_text(mode="none", mx=[]))
    w.add_domain("nopolicy.test", mx=[(10, "mx.nopolicy.test"),
                                      (20, "mx2.nopolicy.test")])
    w.add_domain("nomx.test", policy=policy_text(mx=["nomx.test"]))
    w.add_address("nomx.test", "127.0.3.1")
    w.add_domain("mismatch.test", policy=policy_text(
        mx=["mx.mismatch.test"]), mx=["mx.elsewhere.test"])
    for cold in ("cold-nf.test", "cold-err.test", "cold-wait.test"):
        w.add_domain(cold, policy=policy_text(mx=["mx." + cold]))
    w.add_domain("hang.test")
    w.dns_fault("hang.test", "hang")
    w.add_domain("manymx.test", policy=policy_text(mx=MANY_MX),
                 mx=[(10, MANY_MX[-1]), (20, "mx.elsewhere.test")])


WARM = ["enforce.test", "testing.test", "none.test", "nopolicy.test",
        "nomx.test", "mismatch.test", "manymx.test"]


# ---------------------------------------------------------- the "smtpd"

class Table:
    """table-mtasts run as smtpd runs it: argv[1] = the config file,
    stdin = stdout = a socketpair (argv[0], the table name for smtpd,
    is the path here: `ip netns exec` sets it)."""

    def __init__(self, w, conf_path):
        self.s, theirs = socket.socketpair()
        self.s.settimeout(IO_TIMEOUT)
        self.log = os.path.join(w.dir, "logs", "table-%d.log" % id(self))
        with open(self.log, "wb") as err:
            self.p = subprocess.Popen(
                w.argv([TABLE, conf_path]), stdin=theirs, stdout=theirs,
                stderr=err, start_new_session=True)
        theirs.close()
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        b = self.s.recv(65536)
        if not b:
            raise EOFError
        self.buf += b

    def line(self):
        try:
            while b"\n" not in self.buf:
                self._fill()
        except (EOFError, socket.timeout):
            return None
        out, self.buf = self.buf.split(b"\n", 1)
        return out.decode("utf-8", "replace")

    def frame(self):
        """One imsg reply: (type, payload), or None."""
        try:
            while len(self.buf) < 16:
                self._fill()
            typ, ln, _fl, _peer, _pid = struct.unpack("=IHHII",
                                                      self.buf[:16])
            while len(self.buf) < ln:
                self._fill()
        except (EOFError, socket.timeout):
            return None
        out, self.buf = self.buf[16:ln], self.buf[ln:]
        return typ, out

    def quiet(self, wait=0.3):
        """True when nothing arrives within `wait` seconds."""
        self.s.settimeout(wait)
        try:
            self._fill()
            return False
        except (EOFError, socket.timeout):
            return True
        finally:
            self.s.settimeout(IO_TIMEOUT)

    def close(self):
        """Close smtpd's end; the table's exit status."""
        self.s.close()
        try:
            return self.p.wait(IO_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None

    def alive(self):
        return self.p.poll() is None

    def stderr(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()


def imsg(typ, payload=b"", ln=None):
    return struct.pack("=IHHII", typ, 16 + len(payload) if ln is None
                       else ln, 0, 0, 4242) + payload


def keyed(service, key, params=()):
    b = struct.pack("=i" + SIZE_T, service, len(params))
    for k, v in params:
        b += k + b"\0" + v + b"\0"
    return b + key + b"\0"


def r_int(frame):
    """The int of an OK reply, and the value after it (or None)."""
    if frame is None or frame[0] != OK or len(frame[1]) < 4:
        return ("bad", frame)
    r = struct.unpack("=i", frame[1][:4])[0]
    rest = frame[1][4:]
    if r == 1 and rest:
        return (r, rest)
    return (r, None) if not rest else ("bad", frame)


class Imsg:
    """smtpd <= 7.5 talking to a Table."""

    def __init__(self, table):
        self.t = table

    def open(self, version=2, name=b"sts"):
        self.t.send(imsg(OPEN, struct.pack("=I", version) +
                         name.ljust(2048, b"\0")))
        return self.t.frame()

    def check(self, service, key):
        self.t.send(imsg(CHECK, keyed(service, key)))
        return r_int(self.t.frame())

    def lookup(self, service, key):
        self.t.send(imsg(LOOKUP, keyed(service, key)))
        return r_int(self.t.frame())

    def raw(self, data):
        self.t.send(data)
        return r_int(self.t.frame())


class Text:
    """smtpd >= 7.6 talking to a Table."""

    def __init__(self, table):
        self.t = table
        self.n = 0

    def handshake(self, name="sts"):
        self.t.send(("config|smtpd-version|7.6.0p1\nconfig|protocol|0.1\n"
                     "config|tablename|%s\nconfig|ready\n" % name).encode())
        return [self.t.line() for _ in range(3)]

    def req(self, op, rest, name="sts"):
        self.n += 1
        rid = "%08x" % (0x1000 + self.n)
        line = "table|0.1|1790000000.%06d|%s|%s|%s" % (
            self.n, name, op, rest.replace("ID", rid))
        self.t.send(line.encode() + b"\n")
        return rid

    def check(self, service, key):
        rid = self.req("check", "%s|ID|%s" % (service, key))
        return strip_id(self.t.line(), "check-result", rid)

    def lookup(self, service, key):
        rid = self.req("lookup", "%s|ID|%s" % (service, key))
        return strip_id(self.t.line(), "lookup-result", rid)


def strip_id(line, kind, rid):
    """"<kind>|<rid>|<rest>" -> rest; anything else -> ("bad", line)."""
    head = "%s|%s|" % (kind, rid)
    if line is None or not line.startswith(head):
        return ("bad", line)
    return line[len(head):]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def conf_text(sock, **opts):
    lines = ["socket = %s" % sock, "log = stderr", "log_level = debug",
             "dns_timeout = 500ms"]
    lines += ["%s = %s" % kv for kv in sorted(opts.items())]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------- fake daemons

class FakeDaemon:
    """A Unix socket that misbehaves: "silent" (reads, never answers),
    "garbage", "close", "huge" (an answer line over 256 KiB) or a fixed
    JSON line."""

    def __init__(self, path, mode):
        self.path, self.mode = path, mode
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        os.chmod(path, 0o666)
        self.srv.listen(16)
        self.conns = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            try:
                c.recv(65536)
                if self.mode == "garbage":
                    c.sendall(b"hello, I am not mtastsd\n")
                elif self.mode == "close":
                    c.close()
                elif self.mode == "huge":
                    c.sendall(b"{" + b" " * (300 * 1024))
                elif self.mode != "silent":
                    c.sendall(self.mode.encode() + b"\n")
            except OSError:
                pass

    def close(self):
        self.srv.close()
        for c in self.conns:
            c.close()


# ---------------------------------------------------------------- tests

def test_text_services(t, w, conf):
    tb = Table(w, conf)
    x = Text(tb)
    t.is_(x.handshake(), ["register|domain", "register|relayhost",
                          "register|ready"], "text: handshake registers "
          "domain and relayhost")
    for key, want in (("enforce.test", "found"),
                      ("testing.test", "not-found"),
                      ("none.test", "not-found"),
                      ("nopolicy.test", "not-found"),
                      ("EnForce.TEST.", "found"),
                      ("[192.0.2.1]", "not-found"), ("", "not-found"),
                      ("a|b.test", "not-found"),
                      (".enforce.test", "not-found")):
        t.is_(x.check("domain", key), want, "text: check domain %r" % key)
    got = [x.lookup("relayhost", "enforce.test") for _ in range(3)]
    t.is_(got, ["found|smtp+tls://mx1.enforce.test:25",
                "found|smtp+tls://mx.backup.enforce.test:25",
                "found|smtp+tls://mx1.enforce.test:25"],
          "text: relayhost rotates among policy-matching MX in "
          "preference order, never the non-matching one")
    got = [x.lookup("relayhost", "nopolicy.test") for _ in range(2)]
    t.is_(got, ["found|smtp+tls://mx.nopolicy.test:25",
                "found|smtp+tls://mx2.nopolicy.test:25"],
          "text: relayhost without a policy rotates among all MX")
    t.is_(x.lookup("relayhost", "nomx.test"),
          "found|smtp+tls://nomx.test:25", "text: relayhost, no MX: the "
          "domain itself (implicit MX)")
    t.is_(x.lookup("relayhost", "mismatch.test"),
          "error|no MX host matches the MTA-STS policy",
          "text: relayhost, no MX matches the policy: error")
    got = [x.lookup("relayhost", "manymx.test") for _ in range(2)]
    t.is_(got, ["found|smtp+tls://%s:25" % MANY_MX[-1]] * 2,
          "text: relayhost, 3000 mx patterns: the MX matching the last "
          "one, never the other")
    t0 = time.monotonic()
    got = x.lookup("relayhost", "hang.test")
    el = time.monotonic() - t0
    t.ok(got == "error|MX lookup failed" and el < 2.0,
         "text: relayhost, MX lookup never answered: error within "
         "dns_timeout (%.2f s)" % el, got=got)
    for svc, key in (("alias", "enforce.test"), ("credentials", "x"),
                     ("netaddr", "127.0.0.1"), ("auth", "u:p"),
                     ("frobnicate", "enforce.test")):
        t.is_(x.check(svc, key), "not-found", "text: check %s" % svc)
    t.is_(x.lookup("domain", "enforce.test"), "not-found",
          "text: lookup domain (a check-only service)")
    t.is_(x.lookup("alias", "enforce.test"), "not-found", "text: lookup "
          "alias")
    rid = x.req("fetch", "relayhost|ID")
    t.is_(strip_id(tb.line(), "fetch-result", rid), "not-found",
          "text: fetch relayhost")
    rid = x.req("update", "ID")
    t.is_(tb.line(), "update-result|%s|ok" % rid, "text: update")
    t.ok(tb.alive(), "text: table alive")
    t.is_(tb.close(), 0, "text: table exits 0 when smtpd closes")


def test_imsg_services(t, w, conf):
    tb = Table(w, conf)
    x = Imsg(tb)
    t.is_(x.open(), (OK, b""), "imsg: OPEN answered OK, empty payload")
    for key, want in ((b"enforce.test", 1), (b"testing.test", 0),
                      (b"none.test", 0), (b"nopolicy.test", 0),
                      (b"[192.0.2.1]", 0), (b"", 0)):
        t.is_(x.check(K_DOMAIN, key), (want, None),
              "imsg: check domain %r" % key)
    got = [x.lookup(K_RELAYHOST, b"enforce.test") for _ in range(3)]
    t.is_(got, [(1, b"smtp+tls://mx1.enforce.test:25\0"),
                (1, b"smtp+tls://mx.backup.enforce.test:25\0"),
                (1, b"smtp+tls://mx1.enforce.test:25\0")],
          "imsg: relayhost rotates among policy-matching MX")
    t.is_(x.lookup(K_RELAYHOST, b"mismatch.test"), (-1, None),
          "imsg: relayhost, no MX matches: -1")
    t.is_(x.check(K_ALIAS, b"enforce.test"), (0, None), "imsg: check alias")
    t.is_(x.check(0x4000, b"enforce.test"), (0, None),
          "imsg: check unknown service number")
    t.is_(x.lookup(K_DOMAIN, b"enforce.test"), (0, None),
          "imsg: lookup domain")
    t.is_(x.lookup(K_CREDENTIALS, b"u"), (0, None), "imsg: lookup "
          "credentials")
    t.is_(x.raw(imsg(FETCH, struct.pack("=i" + SIZE_T, K_RELAYHOST, 0))),
          (0, None), "imsg: fetch relayhost")
    t.is_(x.raw(imsg(UPDATE)), (1, None), "imsg: update -> 1")
    t.is_(x.raw(imsg(CHECK, keyed(K_DOMAIN, b"enforce.test",
                                  [(b"k", b"v"), (b"k2", b"")]))),
          (1, None), "imsg: check with parameters before the key")
    t.ok(tb.alive(), "imsg: table alive")
    tb.send(imsg(CLOSE))
    try:
        code = tb.p.wait(IO_TIMEOUT)
    except subprocess.TimeoutExpired:
        code = None
    t.is_(code, 0, "imsg: CLOSE ends the table, status 0")
    tb.s.close()


def test_text_malformed(t, w, conf):
    tb = Table(w, conf)
    x = Text(tb)
    x.handshake()
    cases = [
        ("unknown op", b"table|0.1|1.0|sts|frobnicate|00000001|x\n", None),
        ("request id too long", b"table|0.1|1.0|sts|check|domain|" +
         b"9" * 65 + b"|enforce.test\n", None),
        ("request id with a space", b"table|0.1|1.0|sts|check|domain|"
         b"a b|enforce.test\n", None),
        ("short table line", b"table|0.1|1.0\n", None),
        ("garbage line", b"hello\n", None),
        ("empty line", b"\n", None),
        ("config without value", b"config|lonely\n", None),
        ("check without key", b"table|0.1|1.0|sts|check|domain|0000000a\n",
         "check-result|0000000a|error|key missing"),
        ("update with junk", b"table|0.1|1.0|sts|update|0b|x\n", None),
        ("NUL in key", b"table|0.1|1.0|sts|check|domain|0000000c|enf\0"
         b"orce.test\n", "check-result|0000000c|not-found"),
        ("CR in key", b"table|0.1|1.0|sts|check|domain|0000000d|"
         b"enforce.test\r\n", "check-result|0000000d|not-found"),
        ("over-long line", b"table|0.1|1.0|sts|check|domain|0000000e|" +
         b"a" * 70000 + b"\n", "check-result|0000000e|error|line too long"),
        ("over-long line, id unknown", b"x" * 9000 + b"\n", None),
        ("binary junk", bytes(range(1, 256)) + b"\n", None),
    ]
    for name, data, want in cases:
        tb.send(data)
        got = tb.line() if want is not None else None
        if want is None:
            t.ok(tb.quiet(), "text malformed: %s: no reply" % name)
        else:
            t.is_(got, want, "text malformed: %s" % name)
        t.is_(x.check("domain", "enforce.test"), "found",
              "text malformed: %s: next request answered" % name)
    tb.send(b"table|0.1|1.0|sts|check|domain|0000000f|enfor")
    t.ok(tb.quiet(), "text: a truncated line waits for its end")
    t.is_(tb.close(), 0, "text: EOF in a truncated line: exit 0")


def test_imsg_malformed(t, w, conf):
    tb = Table(w, conf)
    x = Imsg(tb)
    t.is_(x.open(version=3, name=b"x" * 10), (OK, b""),
          "imsg malformed: OPEN with API version 3 still answered OK")
    pack = struct.pack
    cases = [
        ("key not NUL-terminated", imsg(CHECK, pack("=i" + SIZE_T,
                                                     K_DOMAIN, 0) + b"abc")),
        ("data after the key", imsg(CHECK, keyed(K_DOMAIN, b"enforce.test")
                                    + b"junk")),
        ("no key", imsg(CHECK, pack("=i" + SIZE_T, K_DOMAIN, 0))),
        ("short payload", imsg(CHECK, b"\x02")),
        ("nparams too large", imsg(CHECK, pack("=i" + SIZE_T, K_DOMAIN,
                                               1 << 40) + b"k\0")),
        ("unknown type", imsg(42, b"whatever")),
        ("FAIL type", imsg(1)),
        ("lookup, key not terminated", imsg(LOOKUP, pack(
            "=i" + SIZE_T, K_RELAYHOST, 0) + b"enforce.test")),
    ]
    for name, data in cases:
        t.is_(x.raw(data), (-1, None), "imsg malformed: %s -> -1" % name)
        t.is_(x.check(K_DOMAIN, b"enforce.test"), (1, None),
              "imsg malformed: %s: next request answered" % name)
    t.is_(x.raw(imsg(CHECK, keyed(K_DOMAIN, b"a" * 40000))), (0, None),
          "imsg: a 40 KB key (over smtpd's 16 KiB frames) -> 0")
    tb.send(imsg(CHECK, b"", ln=8))     # a length below the header size
    t.ok(tb.quiet(), "imsg malformed: length below the header: no reply")
    time.sleep(0.2)
    t.is_(x.check(K_DOMAIN, b"enforce.test"), (1, None),
          "imsg malformed: framing lost, next write starts afresh")
    t.ok("imsg frame shorter than its header" in tb.stderr(),
         "imsg malformed: the lost framing is logged")
    tb.send(imsg(CHECK, keyed(K_DOMAIN, b"enforce.test"))[:20])
    t.ok(tb.quiet(), "imsg: a truncated frame waits for the rest")
    t.is_(tb.close(), 0, "imsg: EOF in a truncated frame: exit 0")


def test_pending(t, w, d):
    """Each case needs a domain the daemon has never seen (cold-*)."""
    for on_pending, dom, want in (
            ("not-found", "cold-nf.test", "not-found"),
            ("error", "cold-err.test", "error|MTA-STS discovery under way")):
        conf = write(os.path.join(w.dir, "pending-%s.conf" % on_pending),
                     conf_text(d.sock, on_pending=on_pending))
        tb = Table(w, conf)
        x = Text(tb)
        x.handshake()
        t.is_(x.check("domain", dom), want,
              "on_pending = %s: a domain under discovery" % on_pending)
        c = Client(d)
        r = c.json({"op": "resolve", "domain": dom})
        c.close()
        t.is_(r and r.get("verdict"), "OK", "%s: discovery done" % dom)
        t.is_(x.check("domain", dom), "found",
              "%s after discovery: found" % dom)
        tb.close()
    conf = write(os.path.join(w.dir, "pending-wait.conf"),
                 conf_text(d.sock, wait="1s", timeout="3s"))
    tb = Table(w, conf)
    x = Text(tb)
    x.handshake()
    t.is_(x.check("domain", "cold-wait.test"), "found",
          "wait = 1s: the daemon discovers a cold domain before answering")
    tb.close()


def unreachable_cases(w):
    base = os.path.join(w.dir, "fake")
    os.makedirs(base, exist_ok=True)
    fakes = []
    cases = [("no socket", os.path.join(base, "nothing.sock"), None)]
    for mode, label in (("silent", "never answers"),
                        ("garbage", "answers garbage"),
                        ("close", "closes at once"),
                        ("huge", "answer line over 256 KiB"),
                        ('{"ok":true,"verdict":"MAYBE"}', "unknown verdict"),
                        ('[1,2,3]', "JSON but not an object")):
        path = os.path.join(base, "%d.sock" % len(cases))
        fakes.append(FakeDaemon(path, mode))
        cases.append((label, path, mode))
    return cases, fakes


def test_unreachable(t, w):
    cases, fakes = unreachable_cases(w)
    for label, path, mode in cases:
        for on_unr in ("error", "not-found"):
            conf = write(os.path.join(w.dir, "unr.conf"), conf_text(
                path, timeout="300ms", on_unreachable=on_unr))
            tb, ti = Table(w, conf), Table(w, conf)
            x = Text(tb)
            x.handshake()
            xi = Imsg(ti)
            xi.open()
            t0 = time.monotonic()
            got = x.check("domain", "enforce.test")
            el = time.monotonic() - t0
            want = "error|mtastsd unreachable" if on_unr == "error" else \
                "not-found"
            t.ok(got == want and el < 1.0, "daemon %s, on_unreachable = "
                 "%s: text check -> %s (%.2f s)" % (label, on_unr, want, el),
                 got=got, want=want)
            t.is_(xi.check(K_DOMAIN, b"enforce.test"),
                  (-1 if on_unr == "error" else 0, None),
                  "daemon %s, on_unreachable = %s: imsg check" % (
                      label, on_unr))
            t.ok("answering %s (on_unreachable)" % on_unr in tb.stderr(),
                 "daemon %s: logged" % label, diag=tb.stderr()[-500:])
            t.ok(tb.alive() and ti.alive(), "daemon %s: tables alive" %
                 label)
            tb.close()
            ti.close()
    for f in fakes:
        f.close()


FAKE_ANSWERS = [  # (daemon answer, text check reply, relayhost reply)
    ('{"ok":true,"verdict":"OK","policy":{"mode":"enforce","mx":['
     '"mx1.enforce.test",5,"' + "x" * 300 + '"]}}', "found",
     "found|smtp+tls://mx1.enforce.test:25"),
    ('{"ok":true,"verdict":"TEMP","policy":{"mode":"enforce","mx":['
     '"*.backup.enforce.test"]}}', "found",
     "found|smtp+tls://mx.backup.enforce.test:25"),
    ('{"ok":true,"verdict":"OK","policy":{"mode":"testing","mx":['
     '"mx1.enforce.test"]}}', "found",
     "found|smtp+tls://mx1.enforce.test:25"),
    ('{"ok":true,"verdict":"TEMP","policy":null}',
     "error|mtastsd: temporary failure",
     "error|no MTA-STS answer from mtastsd"),
    ('{"ok":true,"verdict":"NOTFOUND","error":"overload"}', "not-found",
     "found|smtp+tls://evil.example.test:25"),
    ('{"ok":false,"error":"temporary","detail":"cache-error: x"}',
     "error|mtastsd: temporary failure",
     "error|no MTA-STS answer from mtastsd"),
    ('{"ok":false,"error":"domain-invalid"}', "not-found",
     "found|smtp+tls://evil.example.test:25"),
    # DANE first is for Postfix only: the MTA-STS part (mtasts_verdict)
    # decides here, whatever "verdict" (the Postfix verb) says.
    ('{"ok":true,"verdict":"OK","postfix":"dane-only","dane":"dane-only",'
     '"mtasts_verdict":"OK","policy":{"mode":"enforce","mx":['
     '"mx1.enforce.test"]}}', "found",
     "found|smtp+tls://mx1.enforce.test:25"),
    ('{"ok":true,"verdict":"OK","postfix":"dane-only","dane":"dane-only",'
     '"mtasts_verdict":"NOTFOUND","policy":null}', "not-found",
     "found|smtp+tls://evil.example.test:25"),
    ('{"ok":true,"verdict":"TEMP","dane":"temp","mtasts_verdict":"OK",'
     '"policy":{"mode":"enforce","mx":["mx1.enforce.test"]}}', "found",
     "found|smtp+tls://mx1.enforce.test:25"),
]


def test_fake_answers(t, w):
    """Daemon answers with odd but valid contents: non-strings and
    over-long patterns skipped, an enforced policy Postfix cannot take
    (TEMP) still enforced, overload taken as discovery under way, a
    DANE verdict ignored (the MTA-STS part, mtasts_verdict, decides)."""
    for i, (answer, check, relay) in enumerate(FAKE_ANSWERS):
        path = os.path.join(w.dir, "fake", "answer%d.sock" % i)
        f = FakeDaemon(path, answer)
        conf = write(os.path.join(w.dir, "fake%d.conf" % i),
                     conf_text(path))
        tb = Table(w, conf)
        x = Text(tb)
        x.handshake()
        t.is_((x.check("domain", "enforce.test"),
               x.lookup("relayhost", "enforce.test")), (check, relay),
              "daemon answers %s" % answer[:70])
        tb.close()
        f.close()


def test_conf(t, w, d):
    good = conf_text(d.sock)
    conf = write(os.path.join(w.dir, "reload.conf"), good)
    tb = Table(w, conf)
    x = Text(tb)
    x.handshake()
    write(conf, good + "frobnicate = yes\n")
    rid = x.req("update", "ID")
    line = tb.line() or ""
    t.ok(line.startswith("update-result|%s|error|" % rid) and
         "unknown option" in line, "update with a broken file: error",
         got=line)
    t.is_(x.check("domain", "enforce.test"), "found",
          "broken file on update: the old configuration is kept")
    tb.close()
    for name, text in (("unknown option", good + "frobnicate = yes\n"),
                       ("bad duration", good + "timeout = soon\n"),
                       ("twice", good + "log = stderr\n"),
                       ("wait not below timeout", good +
                        "wait = 1s\ntimeout = 1s\n")):
        write(conf, text)
        tb = Table(w, conf)
        ti = Table(w, conf)
        x, xi = Text(tb), Imsg(ti)
        t.is_(x.handshake(), ["register|domain", "register|relayhost",
                              "register|ready"],
              "unusable file (%s): the handshake still works" % name)
        t.is_(x.check("domain", "enforce.test"),
              "error|table-mtasts configuration error",
              "unusable file (%s): text check -> error" % name)
        t.is_((xi.open(), xi.check(K_DOMAIN, b"enforce.test")),
              ((OK, b""), (-1, None)),
              "unusable file (%s): imsg OPEN, check -> -1" % name)
        if name == "unknown option":
            write(conf, good)
            rid = x.req("update", "ID")
            t.is_(tb.line(), "update-result|%s|ok" % rid,
                  "the file fixed: update -> ok")
            t.is_(x.check("domain", "enforce.test"), "found",
                  "the file fixed: answers again")
        tb.close()
        ti.close()
    tb = Table(w, os.path.join(w.dir, "no-such-file.conf"))
    x = Text(tb)
    x.handshake()
    t.is_(x.check("domain", "enforce.test"),
          "error|table-mtasts configuration error",
          "missing file: check -> error")
    tb.close()


def main():
    reason = skip_reason()
    for prog in (TABLE, MTASTSD):
        if reason is None and not os.access(prog, os.X_OK):
            reason = "%s not built" % prog
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        build_world(w)
        w.start()
        os.chmod(w.dir, 0o711)      # the daemon runs as nobody
        d = Daemon(w, MTASTSD, "d", 0)
        t.ok(d.start(), "mtastsd started")
        c = Client(d)
        for dom in WARM:
            c.json({"op": "resolve", "domain": dom})
        c.close()
        conf = write(os.path.join(w.dir, "table.conf"), conf_text(d.sock))
        test_text_services(t, w, conf)
        test_imsg_services(t, w, conf)
        test_text_malformed(t, w, conf)
        test_imsg_malformed(t, w, conf)
        test_pending(t, w, d)
        test_unreachable(t, w)
        test_fake_answers(t, w)
        test_conf(t, w, d)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
