#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""mtasts_check.py: TAP test of `mtasts check DOMAIN` against real things:
a test world (tests/lib/world.py: unbound, nginx, a test CA) whose MX
hosts are one real Debian Postfix instance listening on one address per
case, each smtpd with its own STARTTLS set-up (master.cf -o overrides):

  127.0.3.1  a certificate for every "good" MX name
  127.0.3.2  a certificate for another name
  127.0.3.3  an expired certificate
  127.0.3.4  no STARTTLS (smtpd_tls_security_level=none)
  127.0.3.5  TLS 1.0 only
  127.0.3.9  nothing listens (refused)
  127.0.4.N  TCP accepted, never a greeting (a socket this test holds:
             Postfix always greets)
  127.0.4.20 STARTTLS and a handshake, then no reply to QUIT (a thread
             of this test: Postfix always answers QUIT); the probe does
             not wait for it

Every case runs `mtasts check --json` and checks the exit status and the
findings by name, level and subject; the human output of one good and
one broken domain is checked too.  The timing case has 10 MX hosts that
never answer and one that does: `check` must take about one step
timeout, not ten.

Needs root, the world's tools and postfix; otherwise SKIP.  Binary:
$MTASTS or src/mtasts under $MTASTS_BUILDDIR (or the current directory).
"""

import hashlib
import json
import os
import pwd
import shutil
import socket
import ssl
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from world import Tap, World  # noqa: E402
import postfix_lib as mta  # noqa: E402

GOOD, WRONG, EXPIRED, NOTLS, TLS10, REFUSED = (
    "127.0.3.1", "127.0.3.2", "127.0.3.3", "127.0.3.4", "127.0.3.5",
    "127.0.3.9")
HANG = ["127.0.4.%d" % i for i in range(1, 11)]
MUTE = "127.0.4.20"     # TLS done, then no answer to QUIT
UNREACHABLE6 = "2001:db8::25"
STEP = 2.0          # --timeout of the timing cases, seconds
RUA = "v=TLSRPTv1; rua=mailto:tlsrpt@example.test"
MAX_AGE = 1209600

# Good MX names: all on GOOD, all in its certificate.
GOOD_HOSTS = []


def mtasts_binary():
    build = os.environ.get("MTASTS_BUILDDIR") or os.getcwd()
    return os.path.abspath(os.environ.get("MTASTS") or
                           os.path.join(build, "src", "mtasts"))


def skip_reason(mtasts):
    reason = world.skip_reason(())
    if reason:
        return reason
    if shutil.which("postfix", path="/usr/sbin:/usr/bin") is None:
        return "postfix not installed"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no user postfix"
    if not os.access(mtasts, os.X_OK):
        return "no binary %s" % mtasts
    return None


# ------------------------------------------------------------ the world

def domain(w, name, mx, mx_hosts=None, tlsrpt=RUA, policy_mx=None,
           mode="enforce", max_age=MAX_AGE, **kw):
    """A domain whose MX records are `mx` [(host, [addresses])] and whose
    policy names `policy_mx` (default: every MX host)."""
    if policy_mx is None:
        policy_mx = [h for h, _ in mx]
    if "policy" not in kw and "http" not in kw:
        kw["policy"] = world.policy_text(mode=mode, mx=policy_mx,
                                         max_age=max_age)
    elif "http" in kw and "policy" not in kw:
        kw["policy"] = world.policy_text(mode=mode, mx=policy_mx,
                                         max_age=max_age)
    w.add_domain(name, mx=[h for h, _ in mx], **kw)
    for h, addrs in mx:
        w.add_address(h, *addrs)
    if tlsrpt is not None:
        w.add_txt("_smtp._tls." + name, tlsrpt)


def good(name):
    GOOD_HOSTS.append(name)
    return (name, [GOOD])


def build(w):
    domain(w, "ok.test", [good("mx.ok.test")])
    domain(w, "uncovered.test", [good("mx1.uncovered.test"),
                                 good("mx2.uncovered.test")],
           policy_mx=["mx1.uncovered.test", "mx9.uncovered.test"])
    domain(w, "wild.test", [good("a.b.wild.test")],
           policy_mx=["*.wild.test"])
    domain(w, "wrongname.test", [("mx.wrongname.test", [WRONG])])
    domain(w, "expired.test", [("mx.expired.test", [EXPIRED])])
    domain(w, "nostarttls.test", [("mx.nostarttls.test", [NOTLS])])
    domain(w, "tls10.test", [("mx.tls10.test", [TLS10])])
    domain(w, "refused.test", [("mx.refused.test", [REFUSED])])
    domain(w, "hang.test", [("mx.hang.test", [HANG[0]])])
    domain(w, "v6.test", [good("mx.v6.test")])
    w.add_address("mx.v6.test", UNREACHABLE6)
    domain(w, "notlsrpt.test", [good("mx.notlsrpt.test")], tlsrpt=None)
    domain(w, "badtlsrpt.test", [good("mx.badtlsrpt.test")],
           tlsrpt="v=TLSRPTv1; rua=http://reports.example.test/")
    domain(w, "testing.test", [good("mx.testing.test")], mode="testing",
           max_age=3600)
    # The publishing errors of tests/integ/discovery.py.
    domain(w, "redirect.test", [good("mx.redirect.test")],
           http={"status": 301,
                 "location": "https://mta-sts.ok.test/.well-known/"
                             "mta-sts.txt"})
    domain(w, "ctype.test", [good("mx.ctype.test")],
           http={"content_type": "text/html"})
    domain(w, "notfound.test", [good("mx.notfound.test")],
           http={"status": 404})
    domain(w, "badcert.test", [good("mx.badcert.test")], cert="expired")
    domain(w, "nosts.test", [good("mx.nosts.test")], policy=None,
           txt=[])
    domain(w, "mute.test", [("mx.mute.test", [MUTE])])
    # DANE: a signed TLD, an MX host with a usable TLSA record, and one
    # whose only record is PKIX-EE (usage 1: not for SMTP).
    w.sign_tld("sec")
    domain(w, "dane.sec", [good("mx.dane.sec")])   # TLSA: dane_records()
    domain(w, "danemis.sec", [good("mx.danemis.sec")])
    w.add_record("_25._tcp.mx.danemis.sec", "TLSA", "3 1 1 " + "ab" * 32)
    domain(w, "danebad.sec", [good("mx.danebad.sec")])
    w.add_record("_25._tcp.mx.danebad.sec", "TLSA", "1 1 1 " + "ab" * 32)
    # Ten MX hosts that answer (TLS and all), to time against ok.test.
    domain(w, "manyok.test", [good("mx%d.manyok.test" % i)
                              for i in range(10)])
    # Ten MX hosts that never answer and one that does.
    hosts = [("mx%d.many.test" % i, [a]) for i, a in enumerate(HANG)]
    domain(w, "many.test", hosts + [good("mx.many.test")])


def dane_records(w):
    """dane.sec's TLSA record: 3 1 1 and the SHA-256 of the public key
    every world certificate carries (known only after start())."""
    from cryptography.hazmat.primitives import serialization
    with open(w.key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    w.add_record("_25._tcp.mx.dane.sec", "TLSA",
                 "3 1 1 " + hashlib.sha256(spki).hexdigest())
    w.apply()


# ------------------------------------------------------------ the MTAs

def master_cf(w):
    """master.cf lines: one smtpd per case address."""
    good_cert, key = w.issue_cert(GOOD_HOSTS, basename="smtp-good")
    wrong, _ = w.issue_cert(["mx.wrongname.test"], "wrong-name",
                            basename="smtp-wrong")
    expired, _ = w.issue_cert(["mx.expired.test"], "expired",
                              basename="smtp-expired")
    tls10, _ = w.issue_cert(["mx.tls10.test"], basename="smtp-tls10")

    def smtpd(addr, cert=None, *extra):
        opts = ["smtpd_tls_security_level=%s" % ("may" if cert else
                                                  "none")]
        if cert:
            opts += ["smtpd_tls_cert_file=" + cert,
                     "smtpd_tls_key_file=" + key]
        opts += list(extra)
        return "%s:25 inet n - n - - smtpd %s\n" % (
            addr, " ".join("-o " + o for o in opts))
    return (smtpd(GOOD, good_cert) + smtpd(WRONG, wrong) +
            smtpd(EXPIRED, expired) + smtpd(NOTLS) +
            smtpd(TLS10, tls10, "smtpd_tls_protocols=TLSv1,!TLSv1.1,"
                  "!TLSv1.2,!TLSv1.3",
                  "tls_medium_cipherlist=DEFAULT@SECLEVEL=0"))


def start_postfix(t, w):
    os.chmod(w.dir, 0o711)      # the postfix user reaches its files
    pf = mta.Postfix(w, "inbound")
    pf.main_cf({"myhostname": "inbound.e2e.test",
                "inet_interfaces": "all",
                "smtpd_tls_loglevel": "1"})
    with open(os.path.join(pf.conf_dir, "master.cf"), "a") as f:
        f.write(master_cf(w))
    r = pf.start()
    ok = r.rc == 0 and pf.master_pid is not None
    for addr in (GOOD, WRONG, EXPIRED, NOTLS, TLS10):
        ok = ok and w.wait_tcp(addr, 25)
    if not t.ok(ok, "Postfix listens on every case address"):
        t.diag(r.stderr[-2000:] + pf.log()[-2000:])
    return pf


def hang_listeners(w):
    """Sockets that accept (the kernel's backlog does) and never speak,
    bound in the world's namespace; closed at the end of the test."""
    from daemon import ns_socket
    socks = []
    for a in HANG:
        s = ns_socket(w.ns)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, 25))
        s.listen(16)
        socks.append(s)
    return socks


def mute_server(w):
    """MUTE: greets, offers STARTTLS, completes the handshake with a
    good certificate, then reads QUIT and never answers it."""
    from daemon import ns_socket
    cert, key = w.issue_cert(["mx.mute.test"], basename="smtp-mute")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = ns_socket(w.ns)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((MUTE, 25))
    ls.listen(4)

    def serve(c):
        try:
            f = c.makefile("rwb")
            f.write(b"220 mx.mute.test ESMTP\r\n")
            f.flush()
            f.readline()
            f.write(b"250-mx.mute.test\r\n250 STARTTLS\r\n")
            f.flush()
            f.readline()
            f.write(b"220 go ahead\r\n")
            f.flush()
            t = ctx.wrap_socket(c, server_side=True)
            t.recv(100)             # QUIT, never answered
            time.sleep(3 * STEP)
            t.close()
        except (OSError, ValueError):
            pass

    def loop():
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls


# ------------------------------------------------------------ checks

def write_list(w):
    """A STARTTLS list naming ok.test (its MX) and uncovered.test (one
    of its two MX hosts), in force for a year."""
    now = int(time.time())
    doc = {"version": "0.1", "timestamp": now - 86400,
           "expires": now + 365 * 86400, "policies": {
               "ok.test": {"mode": "enforce", "mxs": ["mx.ok.test"]},
               "uncovered.test": {"mode": "testing",
                                  "mxs": ["mx1.uncovered.test"]}}}
    path = os.path.join(w.dir, "policy.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


LIST = None


def check(w, mtasts, *domains, json_out=True, timeout=None):
    argv = [mtasts, "check", "--dns-server", w.dns_server,
            "--ca-file", w.ca_file, "--list-file", LIST]
    if json_out:
        argv.append("--json")
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    return w.run(argv + list(domains), timeout=120)


def parse(r):
    try:
        return [json.loads(ln) for ln in r.stdout.splitlines() if ln]
    except ValueError:
        return []


def find(obj, name, subject=None):
    return [f for f in obj.get("findings", [])
            if f["name"] == name and (subject is None or
                                      f["subject"] == subject)]


def expect(t, obj, name, level, subject=None, text=None):
    got = find(obj, name, subject)
    label = "%s: %s%s is %s" % (obj.get("domain"), name,
                                " " + subject if subject else "", level)
    ok = bool(got) and all(f["level"] == level for f in got)
    if ok and text is not None:
        ok = any(text in f["text"] for f in got)
        label += " (\"%s\")" % text
    if not t.ok(ok, label):
        t.diag(json.dumps(obj.get("findings"), indent=1)[:3000])


def case(t, w, mtasts, dom, rc, expects, timeout=None):
    r = check(w, mtasts, dom, timeout=timeout)
    objs = parse(r)
    t.is_(r.rc, rc, "%s: exit status" % dom, diag=r.stderr[-500:])
    if not t.ok(len(objs) == 1 and objs[0].get("domain") == dom,
                "%s: one JSON object" % dom):
        t.diag(r.stdout[-2000:])
        return {}
    obj = objs[0]
    t.is_(obj["exit"], rc, "%s: JSON exit" % dom)
    for e in expects:
        expect(t, obj, *e)
    return obj


def addr_of(obj, host, address):
    for h in obj.get("hosts", []):
        if h["host"] == host:
            for a in h["addresses"]:
                if a["address"] == address:
                    return a
    return {}


def run_cases(t, w, mtasts):
    obj = case(t, w, mtasts, "ok.test", 0, [
        ("sts-txt", "ok"), ("sts-policy-fetch", "ok"), ("sts-policy", "ok"),
        ("sts-mode", "ok"), ("sts-max-age", "ok"),
        ("sts-line-endings", "ok", None, "CRLF"), ("mx", "ok"),
        ("mx-covered", "ok", "mx.ok.test"),
        ("smtp-starttls", "ok", "mx.ok.test [127.0.3.1]"),
        ("smtp-tls", "ok", "mx.ok.test [127.0.3.1]", "TLSv1.3"),
        ("smtp-certificate", "ok", "mx.ok.test [127.0.3.1]"),
        ("smtp-certificate-expiry", "ok"), ("tlsrpt", "ok"),
        ("starttls-list", "ok", None, "covers every MX host"),
        ("dane", "ok", None, "no-dane")])
    t.ok(all(f["level"] == "ok" for f in obj.get("findings", [])),
         "ok.test: every finding ok")
    a = addr_of(obj, "mx.ok.test", GOOD)
    t.ok(a.get("smtp") == "ok" and a.get("certificate_valid") is True and
         a.get("protocol") == "TLSv1.3" and a.get("not_after"),
         "ok.test: the address in \"hosts\"", diag=a)
    t.is_((obj.get("policy") or {}).get("mode"), "enforce",
          "ok.test: the policy in the JSON")

    case(t, w, mtasts, "uncovered.test", 1, [
        ("mx-covered", "ok", "mx1.uncovered.test"),
        ("mx-covered", "error", "mx2.uncovered.test",
         "add \"mx: mx2.uncovered.test\""),
        ("mx-pattern-unused", "warning", "mx9.uncovered.test"),
        ("starttls-list", "warning", "mx2.uncovered.test",
         "does not cover this MX host")])
    case(t, w, mtasts, "wild.test", 1, [
        ("starttls-list", "ok", None, "not on the STARTTLS list")])
    case(t, w, mtasts, "wild.test", 1, [
        ("mx-covered", "error", "a.b.wild.test",
         "matches exactly one label")])
    case(t, w, mtasts, "wrongname.test", 1, [
        ("smtp-tls", "ok"),
        ("smtp-certificate", "error", "mx.wrongname.test [127.0.3.2]",
         "hostname mismatch")])
    case(t, w, mtasts, "expired.test", 1, [
        ("smtp-certificate", "error", None, "expired"),
        ("smtp-certificate-expiry", "error", None, "ago")])
    case(t, w, mtasts, "nostarttls.test", 1, [
        ("smtp-starttls", "error", "mx.nostarttls.test [127.0.3.4]",
         "not offered")])
    # Counter-check: that listener does speak TLS 1.0.
    r = w.run(["openssl", "s_client", "-connect", TLS10 + ":25",
               "-starttls", "smtp", "-tls1", "-cipher", "DEFAULT@SECLEVEL=0"],
              input="", timeout=20)
    t.ok(r.rc == 0 and "Protocol  : TLSv1\n" in r.stdout,
         "tls10.test: the receiver does TLS 1.0 (openssl s_client -tls1)",
         diag=r.stdout[-800:] + r.stderr[-800:])
    case(t, w, mtasts, "tls10.test", 1, [
        ("smtp-starttls", "ok"),
        ("smtp-tls", "error", "mx.tls10.test [127.0.3.5]", "TLS 1.2")])
    case(t, w, mtasts, "refused.test", 1, [
        ("smtp-connect", "error", "mx.refused.test [127.0.3.9]",
         "refused")])
    obj = case(t, w, mtasts, "hang.test", 1, [
        ("smtp-session", "error", "mx.hang.test [127.0.4.1]",
         "during greeting")], timeout=STEP)
    ms = addr_of(obj, "mx.hang.test", HANG[0]).get("ms", -1)
    # libevent's timer and our clock may round apart by a millisecond
    t.ok(STEP * 1000 - 50 <= ms < STEP * 1000 + 1000,
         "hang.test: the greeting timeout holds (%s ms)" % ms)
    case(t, w, mtasts, "dane.sec", 0, [
        ("dane", "ok", None, "dane-only"),
        ("dane", "ok", None, "MX RRset secure"),
        ("dane-tlsa", "ok", "mx.dane.sec", "validated TLSA records DANE "
         "can use (1 record)"),
        ("dane-match", "ok", "mx.dane.sec [127.0.3.1]",
         "matches TLSA 3 1 1")])
    case(t, w, mtasts, "danemis.sec", 1, [
        ("dane", "ok", None, "dane-only"),
        ("dane-match", "error", "mx.danemis.sec [127.0.3.1]",
         "matches none of the usable TLSA records")])
    case(t, w, mtasts, "danebad.sec", 0, [
        ("dane", "ok", None, "parameters DANE cannot use"),
        ("dane-tlsa", "warning", "mx.danebad.sec", "none DANE can use")])
    t.ok(not find(parse(check(w, mtasts, "danebad.sec"))[0], "dane-match"),
         "danebad.sec: no dane-match without a usable record")
    obj = case(t, w, mtasts, "mute.test", 0, [
        ("smtp-tls", "ok", "mx.mute.test [%s]" % MUTE),
        ("smtp-certificate", "ok")], timeout=STEP)
    ms = addr_of(obj, "mx.mute.test", MUTE).get("ms", -1)
    t.ok(0 <= ms < STEP * 1000 / 2,
         "mute.test: the reply to QUIT is not awaited (%s ms)" % ms)
    case(t, w, mtasts, "v6.test", 1, [
        ("smtp-tls", "ok", "mx.v6.test [127.0.3.1]"),
        ("smtp-connect", "error", "mx.v6.test [%s]" % UNREACHABLE6,
         "unreachable")])
    case(t, w, mtasts, "notlsrpt.test", 0, [
        ("tlsrpt", "warning", None, "no TLSRPT record")])
    case(t, w, mtasts, "badtlsrpt.test", 1, [
        ("tlsrpt", "error", None, "neither mailto: nor https:")])
    case(t, w, mtasts, "testing.test", 0, [
        ("sts-mode", "warning", None, "testing"),
        ("sts-max-age", "warning", None, "under a day")])
    for dom, text in (("redirect.test", "https-redirect"),
                      ("ctype.test", "https-content-type"),
                      ("notfound.test", "https-status"),
                      ("badcert.test", "https-certificate")):
        case(t, w, mtasts, dom, 1, [("sts-txt", "ok"),
                                    ("sts-policy-fetch", "error", None,
                                     text),
                                    ("smtp-certificate", "ok")])
    case(t, w, mtasts, "nosts.test", 1, [
        ("sts-txt", "error", None, "no \"v=STSv1;\" TXT record"),
        ("smtp-certificate", "ok")])


def run_human(t, w, mtasts):
    r = check(w, mtasts, "ok.test", "uncovered.test", "wrongname.test",
              "redirect.test", json_out=False)
    t.is_(r.rc, 1, "human: exit status of ok.test + 3 broken domains")
    lines = r.stdout.splitlines()
    t.ok(lines and lines[0].startswith("ok.test: 0 errors, 0 warnings"),
         "human: ok.test summary first", diag=r.stdout[:600])
    t.ok(any(ln.split()[:3] == ["error", "mx-covered", "mx2.uncovered.test:"]
             for ln in lines), "human: the uncovered MX named",
         diag=r.stdout[-1500:])
    heads = [ln.split(":")[0] for ln in lines if ln and ln[0] != " "]
    t.is_(heads, ["ok.test", "uncovered.test", "wrongname.test",
                  "redirect.test"], "human: domains in argument order")
    t.diag("human output:\n" + r.stdout)


def run_timing(t, w, mtasts):
    r = check(w, mtasts, "many.test", timeout=STEP)
    objs = parse(r)
    hosts = objs[0]["hosts"] if objs else []
    t.is_(len(hosts), 11, "many.test: 11 MX hosts checked")
    t.is_(r.rc, 1, "many.test: exit status")
    # Sequential would be 10 x STEP; parallel is one STEP and a bit.
    t.ok(r.elapsed < STEP + 1.5, "many.test: %.2f s for 10 hosts that "
         "never answer (step timeout %.1f s)" % (r.elapsed, STEP))
    # Ten working hosts against one: the best of three runs each.
    one = min(check(w, mtasts, "ok.test").elapsed for _ in range(3))
    runs = [check(w, mtasts, "manyok.test") for _ in range(3)]
    ten = min(r.elapsed for r in runs)
    t.is_(runs[0].rc, 0, "manyok.test: 10 MX hosts, all right")
    t.ok(ten < one + 0.5, "manyok.test: 10 hosts in %.3f s, 1 host "
         "(ok.test) in %.3f s" % (ten, one))


def main():
    mtasts = mtasts_binary()
    reason = skip_reason(mtasts)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    global LIST
    with World() as w:
        build(w)
        w.start()
        LIST = write_list(w)
        dane_records(w)
        socks = hang_listeners(w)
        socks.append(mute_server(w))
        pf = start_postfix(t, w)
        try:
            run_cases(t, w, mtasts)
            run_human(t, w, mtasts)
            run_timing(t, w, mtasts)
        finally:
            pf.stop()
            for s in socks:
                s.close()
    sys.exit(t.done())


if __name__ == "__main__":
    main()
