# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""opensmtpd_scenario.py: the end-to-end scenario of table-mtasts with
a real OpenSMTPD relaying real mail, for both table protocols:
opensmtpd_68.py runs it with Debian 12's 6.8.0p2 (imsg protocol),
opensmtpd_76.py with Debian 13's 7.6.0p1 (text protocol 0.1).

The world (tests/lib/world.py) serves the MTA-STS policies; mtastsd runs
in it; smtpd (cached, see opensmtpd_lib.py) runs in the same network
namespace with table-mtasts as its table "sts", and relays to STARTTLS
receivers (python3-aiosmtpd, certificates from the world's CA):

  pattern 1, decided at RCPT time (contrib/opensmtpd/smtpd.conf):
      match from any for domain <sts> action "sts"   # relay tls
      match from any for any action "plain"         # relay
    good.test   enforce, MX cert valid         -> delivered over TLS
    bad.test    enforce, MX cert for another name -> deferred (cert check)
    plain.test  no policy, MX cert for another name -> delivered
    mtastsd down, good.test                     -> 451 at RCPT
    smtpctl update table sts                    -> table reloads its file
  pattern 2, decided per delivery attempt (relay domain <sts> tls):
    other.test  policy allows mx2 only; MX mx1 (pref 10, valid cert)
                and mx2 (pref 20)               -> delivered to mx2 only
    rot.test    policy *.rot.test; mx1 refuses connections, mx2 works
                                                -> attempt 1 to mx1
                  fails, smtpctl schedule, attempt 2 to mx2 delivers
    good.test                                   -> delivered over TLS

Skips (with the reason) when not root, a tool is missing, table-mtasts
is not built, or the package cannot be fetched.  What differs between
the generations (handshake and log lines) is in GEN below.
"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from daemon import Client, Daemon  # noqa: E402
from opensmtpd_lib import (Receiver, Smtpd, opensmtpd68,  # noqa: E402
                           prepare_world, send, skip_reason_e2e,
                           table_conf, trixie_root, wait_for)
from tap import Tap  # noqa: E402
from world import World, policy_text, skip_reason  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
MTASTSD = os.environ.get("MTASTSD", os.path.join(BUILDDIR, "src",
                                                 "mtastsd"))

MX = {  # host: (address, certificate kind or None for "nothing listens")
    "mx.good.test": ("127.0.2.1", "good"),
    "mx.bad.test": ("127.0.2.2", "wrong-name"),
    "mx.plain.test": ("127.0.2.3", "wrong-name"),
    "mx1.other.test": ("127.0.2.4", "good"),
    "mx2.other.test": ("127.0.2.5", "good"),
    "mx1.rot.test": ("127.0.2.6", None),
    "mx2.rot.test": ("127.0.2.7", "good"),
}
DOMAINS = {  # domain: (policy mx patterns or None, MX records)
    "good.test": (["mx.good.test"], ["mx.good.test"]),
    "bad.test": (["mx.bad.test"], ["mx.bad.test"]),
    "plain.test": (None, ["mx.plain.test"]),
    "other.test": (["mx2.other.test"], [(10, "mx1.other.test"),
                                        (20, "mx2.other.test")]),
    "rot.test": (["*.rot.test"], [(10, "mx1.rot.test"),
                                  (20, "mx2.rot.test")]),
}

GEN = {
    "6.8": {
        "cache": opensmtpd68,
        "tools": (),
        "handshake": ["table sts: smtpd opened the table (imsg protocol, "
                      "API version 2)"],
        "cert_failed": "mta error reason=SSL certificate check failed",
        "name_mismatch": "ssl_check_name: no match for 'mx.bad.test'",
        "verified": 'mta server-cert-check result="success"',
    },
    "7.6": {
        "cache": trixie_root,
        "tools": ("debootstrap", "chroot"),
        "handshake": ["table sts: smtpd protocol 0.1",
                      "table sts: smtpd tablename sts"],
        "cert_failed": "mta error reason=IO Error: ",
        "name_mismatch": "name `mx.bad.test' not present in server "
                         "certificate",
        "verified": 'mta cert-check result="valid"',
    },
}

PATTERN1 = """\
table sts mtasts:%(conf)s
listen on 127.0.0.1 port 25
action "sts" relay tls helo relay.e2e.test
action "plain" relay helo relay.e2e.test
match from any for domain <sts> action "sts"
match from any for any action "plain"
"""

PATTERN2 = """\
table sts mtasts:%(conf)s
listen on 127.0.0.1 port 25
action "sts" relay domain <sts> tls helo relay.e2e.test
action "plain" relay helo relay.e2e.test
match from any for domain <sts> action "sts"
match from any for any action "plain"
"""


def build(w):
    for dom, (pol, mxs) in DOMAINS.items():
        if pol is None:
            w.add_domain(dom, mx=mxs)
        else:
            w.add_domain(dom, policy=policy_text(mx=pol), mx=mxs)
    for host, (addr, _kind) in MX.items():
        w.add_address(host, addr)


def receivers(w):
    r = {}
    for host, (addr, kind) in MX.items():
        if kind is not None:
            r[host] = Receiver(w, addr, [host], kind)
    for rcv in r.values():
        rcv.wait()
    return r


def warm(t, d):
    """Let the daemon discover every policy first (table-mtasts asks with
    wait 0, so a cold domain would be "discovery under way")."""
    c = Client(d)
    for dom, (pol, _mxs) in DOMAINS.items():
        r = c.json({"op": "resolve", "domain": dom})
        want = "OK" if pol else "NOTFOUND"
        t.is_(r and r.get("verdict"), want, "mtastsd knows %s" % dom)
    c.close()


def delivered(rcv, rcpt, timeout=30):
    return wait_for(lambda: rcv.got(rcpt), timeout)


def verified(s, rcpt, addr):
    """smtpd delivered rcpt to addr on a session whose server
    certificate check succeeded (chain and name: "relay tls")."""
    sessions = set()
    for line in s.log().splitlines():
        f = line.split(" ", 1)
        if len(f) == 2 and GEN[s.gen]["verified"] in line:
            sessions.add(f[0])
        if ("mta delivery" in line and "to=<%s>" % rcpt in line and
                'relay="%s' % addr in line and 'result="Ok"' in line):
            return f[0] in sessions
    return False


def pattern1(t, w, s, rcv, d):
    g = GEN[s.gen]
    if not t.ok(s.start(), "smtpd %s with pattern 1 started" % s.gen,
                diag=s.log()[-3000:]):
        return
    for line in g["handshake"]:
        t.ok(s.wait_log(line), "handshake: %s" % line,
             diag=s.log()[-2000:])
    t.is_(send(w, "user@good.test"), (250, ""), "good.test accepted")
    got = delivered(rcv["mx.good.test"], "user@good.test")
    t.ok(got and got[0]["tls"], "good.test delivered over TLS", got=got)
    t.ok(wait_for(lambda: verified(s, "user@good.test", "127.0.2.1"),
                  5), "good.test: smtpd verified the certificate")
    t.ok("check domain good.test -> found" in s.log(),
         "table: check domain good.test -> found")

    mark = len(s.log())
    t.is_(send(w, "user@bad.test"), (250, ""), "bad.test accepted")
    t.ok(s.wait_log(g["cert_failed"], mark),
         "bad.test: certificate check failed", diag=s.log()[mark:][-2000:])
    t.ok(s.wait_log(g["name_mismatch"], mark, timeout=5),
         "bad.test: name mismatch logged")
    t.is_(rcv["mx.bad.test"].got("user@bad.test"), [],
          "bad.test not delivered")
    q = s.smtpctl("show", "queue")
    t.ok("user@bad.test" in q.stdout, "bad.test stays queued (deferred)",
         diag=q.stdout + q.stderr)

    t.is_(send(w, "user@plain.test"), (250, ""), "plain.test accepted")
    got = delivered(rcv["mx.plain.test"], "user@plain.test")
    t.ok(bool(got), "plain.test (no policy) delivered", got=got)
    t.ok("check domain plain.test -> not-found" in s.log(),
         "table: check domain plain.test -> not-found")

    mark = len(s.log())
    q = s.smtpctl("update", "table", "sts")
    t.ok(s.wait_log("table sts: configuration reloaded", mark, timeout=10),
         "smtpctl update table: the table reloads its file",
         diag=q.stdout + q.stderr)

    w.stop_process(d.p)
    code, text = send(w, "user@good.test")
    t.is_(code, 451, "mtastsd down: good.test gets 451 at RCPT (%s)" % text)
    t.ok("answering error (on_unreachable)" in s.log(),
         "the table logged the unreachable daemon")
    t.ok(s.p.poll() is None, "smtpd still running")
    s.stop()


def pattern2(t, w, s, rcv):
    if not t.ok(s.start(), "smtpd %s with pattern 2 started" % s.gen,
                diag=s.log()[-3000:]):
        return
    t.is_(send(w, "user@other.test"), (250, ""), "other.test accepted")
    got = delivered(rcv["mx2.other.test"], "user@other.test")
    t.ok(got and got[0]["tls"], "other.test delivered to mx2 (policy) over "
         "TLS", got=got)
    t.ok(verified(s, "user@other.test", "127.0.2.5"),
         "other.test: smtpd verified mx2's certificate")
    t.is_(rcv["mx1.other.test"].got("user@other.test"), [],
          "nothing went to mx1.other.test (not in the policy)")
    t.ok("relayhost other.test -> smtp+tls://mx2.other.test:25" in s.log(),
         "table: relayhost other.test -> mx2")

    mark = len(s.log())
    t.is_(send(w, "user@rot.test"), (250, ""), "rot.test accepted")
    t.ok(s.wait_log("relayhost rot.test -> smtp+tls://mx1.rot.test:25",
                    mark), "attempt 1: relayhost rot.test -> mx1")
    t.ok(s.wait_log("Connection refused", mark),
         "attempt 1 failed: mx1.rot.test refuses", diag=s.log()[mark:])
    # smtpd tries mx1 a few times (about 10 s), then defers the mail.
    t.ok(s.wait_log('to=<user@rot.test> rcpt=<-> source="-" '
                    'relay="mx1.rot.test" delay=', mark, timeout=40),
         "attempt 1 deferred")
    mark2 = len(s.log())
    q = s.smtpctl("schedule", "all")
    t.ok(s.wait_log("relayhost rot.test -> smtp+tls://mx2.rot.test:25",
                    mark2), "attempt 2: relayhost rot.test -> mx2",
         diag=q.stdout + q.stderr + s.log()[mark2:][-2000:])
    got = delivered(rcv["mx2.rot.test"], "user@rot.test")
    t.ok(got and got[0]["tls"], "rot.test delivered to mx2 over TLS",
         got=got)
    t.ok(verified(s, "user@rot.test", "127.0.2.7"),
         "rot.test: smtpd verified mx2's certificate")

    t.is_(send(w, "other@good.test"), (250, ""), "good.test accepted")
    got = delivered(rcv["mx.good.test"], "other@good.test")
    t.ok(got and got[0]["tls"], "good.test delivered over TLS via relayhost",
         got=got)
    t.ok(s.p.poll() is None, "smtpd still running")
    s.stop()


def run(gen):
    """The whole scenario with smtpd `gen` ("6.8" or "7.6"); returns the
    exit status."""
    g = GEN[gen]
    reason = skip_reason() or skip_reason_e2e(g["tools"])
    if reason is None and not os.access(MTASTSD, os.X_OK):
        reason = "%s not built" % MTASTSD
    if reason:
        Tap.skip_all(reason)
    try:
        root, info = g["cache"]()
    except Exception as e:      # no package mirror: say why
        Tap.skip_all("cannot build the OpenSMTPD %s cache: %s" % (
            gen, str(e).splitlines()[0][:200]))
    t = Tap()
    t.diag("opensmtpd %s cached at %s (%s MB, %s s to build%s)" % (
        info["version"], root, info["mb"], info["seconds"],
        ", built now" if info["built_now"] else ""))
    with World() as w:
        build(w)
        w.start()
        prepare_world(w)
        d = Daemon(w, MTASTSD, "d", 0)
        d.write_conf({"socket_mode": "0666"})
        t.ok(d.start(), "mtastsd started")
        warm(t, d)
        rcv = receivers(w)
        sock = d.sock if gen == "6.8" else "/mtasts" + d.sock[len(w.dir):]
        conf = table_conf(sock)
        pattern1(t, w, Smtpd(w, gen, root, PATTERN1, conf), rcv, d)
        t.ok(d.start(), "mtastsd restarted")
        pattern2(t, w, Smtpd(w, gen, root, PATTERN2, conf), rcv)
    return t.done()
