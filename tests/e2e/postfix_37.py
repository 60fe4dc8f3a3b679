#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_37.py: end-to-end TAP test: Debian 12's Postfix (3.7) sends real
mail through mtastsd's answers to STARTTLS receivers, in a test world
(tests/lib/world.py) with its own DNS, policy hosts and CA.

Postfix is a private instance (tests/e2e/postfix_lib.py) whose smtp(8) runs
chrooted, as in Debian's master.cf; its smtp_tls_policy_maps and CA lines
are read from contrib/postfix/ (the port, socket path and CA file
replaced by the test's).  Every case checks the mail log (status, DSN,
relay, the TLS line) and the receivers (what arrived where, over which
TLS, with which SNI).

  inet socket (contrib/postfix/main.cf.inet):
    1. enforce, certificate matches: delivered, "Verified TLS connection
       established", SNI = the MX name (servername=hostname);
    2. enforce, certificate for another name: deferred 4.7.5, nothing
       delivered to that receiver, although it completed a handshake;
    3. enforce, the first MX is outside the policy's mx list (with a
       certificate valid for its own name): nothing delivered to it; the
       mail goes to the MX the policy names;
    4. no policy: delivered with opportunistic ("Trusted", not
       "Verified") TLS;
    5. testing policy, receiver with a certificate for another name:
       delivered;
    6. mixed-case recipient domains, an IDN domain (U-labels, SMTPUTF8)
       in lower and upper case: the policy of the normalised name;
       a "*.x" policy pattern;
    7. the daemon restarted between messages: every message as its
       policy says, no lookup error;
    8. the daemon's deadlines against Postfix's reuse of an idle
       socketmap connection: the first MX of an enforced domain never
       answers a connect (a listener whose accept queue is full), so
       smtp(8) looks the policy up again on the same connection after
       smtp_connect_timeout (5 s) idle, longer than the daemon's
       client_request_timeout and client_idle_timeout (1 s): delivered
       to the second MX, no lookup error.  Counter-check: with
       socketmap_idle_timeout below the connect timeout, the same mail
       is deferred with a lookup error (so the case can fail);
  unix socket in the queue directory (main.cf.unix) and proxy: with an
  absolute path (main.cf.proxy): enforce ok and bad;
  counter-checks that show what the set-up protects against: an absolute
  socket path without proxy: while chrooted defers all mail; the
  "postfix-tlsrpt" profile on Postfix 3.7 defers the mail with "invalid
  attribute name";
  mtasts check-postfix on each configuration: no problem for the contrib
  ones, the right problem for the broken ones.

Needs root, the world's tools, postfix, python3-aiosmtpd and nsenter;
otherwise SKIP.  Binaries: $MTASTSD / $MTASTS or under $MTASTS_BUILDDIR.
"""

import json
import os
import pwd
import shutil
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from daemon import Client, Daemon  # noqa: E402
from world import Tap, World  # noqa: E402
import postfix_lib as mta  # noqa: E402

USER = "nobody"


def binaries():
    build = os.environ.get("MTASTS_BUILDDIR") or os.getcwd()
    return (os.path.abspath(os.environ.get("MTASTSD") or
                            os.path.join(build, "src", "mtastsd")),
            os.path.abspath(os.environ.get("MTASTS") or
                            os.path.join(build, "src", "mtasts")))


def skip_reason(mtastsd, mtasts):
    reason = world.skip_reason(("nsenter",))
    if reason:
        return reason
    if shutil.which("postfix", path="/usr/sbin:/usr/bin") is None:
        return "postfix not installed"
    try:
        pwd.getpwnam("postfix")
        pwd.getpwnam(USER)
    except KeyError as e:
        return "no user %s" % e
    r = os.system("%s -c 'import aiosmtpd' 2>/dev/null" % world.PYTHON)
    if r != 0:
        return "python3-aiosmtpd not installed"
    for b in (mtastsd, mtasts):
        if not os.access(b, os.X_OK):
            return "no binary %s" % b
    return None


def start_daemon(t, w, mtastsd, pf, port):
    """mtastsd on 127.0.0.1:port and on a socket in pf's queue dir."""
    d = Daemon(w, mtastsd, "mtastsd", port, user=USER, lookup_timeout=10)
    d.sock = os.path.join(pf.queue, "mtastsd", "mtastsd.sock")
    d.opts.update(socket=d.sock, socket_group="postfix")
    d.write_conf()
    if not t.ok(d.start(), "mtastsd starts"):
        t.diag(d.log()[-3000:])
        return None
    return d


def warm(t, d):
    """Every policy in the cache before Postfix asks: the cases test
    what Postfix does with the answers, not discovery deadlines."""
    c = Client(d)
    got = {}
    for dom in mta.policy_domains():
        r = c.json({"op": "resolve", "domain": dom})
        got[dom] = (r or {}).get("source")
    c.close()
    t.is_(set(got.values()), {"mta-sts"}, "every test policy discovered",
          diag=got)


def contrib(name, port, sock, ca):
    """main.cf lines of contrib/postfix/<name> for this test."""
    lines = mta.contrib_lines(name)
    for k, v in lines.items():
        v = v.replace("127.0.0.1:8461", "127.0.0.1:%d" % port)
        v = v.replace("/run/mtastsd/mtastsd.sock", sock)
        if k == "smtp_tls_CAfile":
            v = ca
        lines[k] = v
    return lines


def restart(pf, main):
    pf.stop()
    pf.flush_queue()
    pf.main_cf(main, chroot=True)
    r = pf.start()
    return r.rc == 0 and pf.master_pid is not None


# ------------------------------------------------------------ assertions

def verified(t, rcv, dv, host, case, addr=None):
    """Delivered to host (at addr, default its SCENARIO address) over
    verified TLS, as the receiver saw."""
    addr = addr or mta.mx_addr(host)
    ok = t.is_((dv.status, dv.dsn), ("sent", "2.0.0"),
               "%s: delivered" % case, diag="\n".join(dv.lines))
    t.ok(dv.relay is not None and dv.relay.lower().startswith(
        "%s[%s]" % (host, addr)), "%s: relay %s" % (case, host),
         got=dv.relay)
    t.ok(any("verified tls connection established to %s[" % host in
             ln.lower() for ln in dv.lines),
         "%s: \"Verified TLS connection established\"" % case,
         diag="\n".join(dv.lines))
    got = rcv.got(case, addr)
    t.ok(ok and len(got) == 1 and got[0]["tls"] is not None,
         "%s: the receiver got it over TLS" % case, got=got)
    return got


def deferred(t, rcv, dv, case, addr, why="Server certificate not verified"):
    """Deferred 4.7.5, nothing delivered at addr."""
    t.is_((dv.status, dv.dsn), ("deferred", "4.7.5"), "%s: deferred "
          "4.7.5" % case, diag="\n".join(dv.lines))
    t.ok(dv.text is not None and why in dv.text, "%s: %s" % (case, why),
         got=dv.text)
    t.is_(rcv.got(case, addr), [], "%s: nothing delivered to %s" % (
        case, addr))


# ------------------------------------------------------------ the cases

def cases_1_to_6(t, pf, rcv):
    dv = pf.deliver("user@enf-ok.test", "c1")
    got = verified(t, rcv, dv, "mx.enf-ok.test", "c1")
    t.is_([g.get("sni") for g in got], ["mx.enf-ok.test"],
          "c1: SNI is the MX name (servername=hostname)")

    dv = pf.deliver("user@enf-bad.test", "c2")
    deferred(t, rcv, dv, "c2", "127.0.3.2")
    t.ok(any("hostname mismatch" in ln or "verification failed" in ln
             for ln in dv.lines), "c2: certificate check failed",
         diag="\n".join(dv.lines))
    t.ok(len(rcv.events("127.0.3.2", "tls")) >= 1, "c2: the receiver "
         "saw the TLS handshake, then no mail (not sent in clear)")

    dv = pf.deliver("user@outside.test", "c3")
    t.is_(rcv.got("c3", "127.0.3.3"), [], "c3: nothing delivered to the "
          "MX outside the policy")
    t.ok(any("mx.rogue.test" in ln and ("verification failed" in ln or
                                        "not verified" in ln)
             for ln in dv.lines), "c3: the outside MX failed the "
         "policy's name check", diag="\n".join(dv.lines))
    verified(t, rcv, dv, "mx.outside.test", "c3")

    dv = pf.deliver("user@nopolicy.test", "c4")
    t.is_((dv.status, dv.dsn), ("sent", "2.0.0"), "c4: delivered",
          diag="\n".join(dv.lines))
    t.ok(any("Trusted TLS connection established to mx.nopolicy.test"
             in ln for ln in dv.lines) and
         not any("Verified TLS" in ln for ln in dv.lines),
         "c4: opportunistic TLS (Trusted, not Verified)",
         diag="\n".join(dv.lines))
    t.is_(len(rcv.got("c4", "127.0.3.5")), 1, "c4: the receiver got it")

    dv = pf.deliver("user@testing.test", "c5")
    t.is_((dv.status, dv.dsn), ("sent", "2.0.0"), "c5: testing policy: "
          "delivered despite the certificate", diag="\n".join(dv.lines))
    t.is_(len(rcv.got("c5", "127.0.3.6")), 1, "c5: the receiver got it")

    case6(t, pf, rcv)


def case6(t, pf, rcv):
    for rcpt, case in (("user@EnF-Ok.TEST", "c6-mixed"),
                       ("user@ENF-OK.TEST.", "c6-dot")):
        dv = pf.deliver(rcpt, case)
        verified(t, rcv, dv, "mx.enf-ok.test", case)
    dv = pf.deliver("user@Enf-Bad.Test", "c6-mixed-bad")
    deferred(t, rcv, dv, "c6-mixed-bad", "127.0.3.2")
    for rcpt, case in (("user@b\u00fccher.test", "c6-idn"),
                       ("user@B\u00dcCHER.TEST", "c6-idn-upper"),
                       ("user@xn--bcher-kva.test", "c6-alabel")):
        dv = pf.deliver(rcpt, case, smtputf8=not rcpt.isascii())
        verified(t, rcv, dv, "mx.xn--bcher-kva.test", case)
    dv = pf.deliver("user@wild.test", "c6-wildcard")
    verified(t, rcv, dv, "mx1.wild.test", "c6-wildcard")


def no_lookup_errors(t, text, case):
    bad = [ln for ln in text.splitlines()
           if "socketmap" in ln or "lookup error" in ln or
           "policy table" in ln or "TLS configuration problem" in ln]
    t.is_(bad, [], "%s: no policy lookup error in the log" % case)


def case7(t, w, pf, rcv, d):
    mark = len(pf.log())
    dv = pf.deliver("user@enf-ok.test", "c7-before")
    verified(t, rcv, dv, "mx.enf-ok.test", "c7-before")
    t.is_(w.stop_process(d.p), 0, "c7: daemon stops (SIGTERM)")
    if not t.ok(d.start(), "c7: daemon starts again"):
        return
    dv = pf.deliver("user@enf-ok.test", "c7-after")
    verified(t, rcv, dv, "mx.enf-ok.test", "c7-after")
    dv = pf.deliver("user@enf-bad.test", "c7-after-bad")
    deferred(t, rcv, dv, "c7-after-bad", "127.0.3.2")
    no_lookup_errors(t, pf.log()[mark:], "c7")


# Case 8: the first MX's address takes no connection (see blackhole()).
G4_DOMAIN = "stale.test"
G4_MX = [(10, "mx1.stale.test", "127.0.3.9"), (20, "mx2.stale.test",
                                               "127.0.3.10")]


def g4_build(w):
    w.add_domain(G4_DOMAIN, policy=world.policy_text(
        mode="enforce", mx=[h for _, h, _ in G4_MX]),
        mx=[(p, h) for p, h, _ in G4_MX])
    for _, host, addr in G4_MX:
        w.add_address(host, addr)


def blackhole(w, addr):
    """A listener on addr:25 whose accept queue is full: the kernel drops
    further SYNs, so connect() there times out.  Returns the sockets to
    keep open."""
    from daemon import ns_socket
    lst = ns_socket(w.ns)
    lst.bind((addr, 25))
    lst.listen(0)
    held = [lst]
    for _ in range(2):          # fill the queue (backlog 0 holds one)
        c = ns_socket(w.ns)
        c.setblocking(False)
        try:
            c.connect((addr, 25))
        except BlockingIOError:
            pass
        held.append(c)
    return held


def case8(t, w, pf, rcv, d):
    held = blackhole(w, G4_MX[0][2])
    try:
        c = Client(d)
        r = c.json({"op": "resolve", "domain": G4_DOMAIN})
        c.close()
        t.is_((r or {}).get("source"), "mta-sts", "c8: stale.test policy "
              "cached")
        t.ok(d.hup({"client_request_timeout": "1s"}), "c8: daemon "
             "reloaded with client_request_timeout = 1s")
        mark = len(pf.log())
        dv = pf.deliver("user@" + G4_DOMAIN, "c8")
        t.ok(any("connect to mx1.stale.test" in ln and "timed out" in ln
                 for ln in pf.log()[mark:].splitlines()),
             "c8: the first MX timed out (smtp_connect_timeout 5s)",
             diag=pf.log()[mark:][-2000:])
        verified(t, rcv, dv, "mx2.stale.test", "c8", G4_MX[1][2])
        no_lookup_errors(t, pf.log()[mark:], "c8")
        # Counter-check: an idle deadline shorter than the connect
        # timeout is what Postfix cannot take.
        t.ok(d.hup({"socketmap_idle_timeout": "2s"}), "c8: daemon "
             "reloaded with socketmap_idle_timeout = 2s")
        pf.deliver("user@enf-ok.test", "c8-open")   # a fresh connection
        mark = len(pf.log())
        dv = pf.deliver("user@" + G4_DOMAIN, "c8-short")
        t.is_(dv.status, "deferred", "c8 counter-check: idle close during "
              "the MX connect timeout defers the mail",
              diag="\n".join(dv.lines))
        bad = [ln for ln in pf.log()[mark:].splitlines()
               if "lookup error" in ln or "TLS configuration problem" in ln]
        t.ok(bad, "c8 counter-check: a policy lookup error in the log",
             diag=pf.log()[mark:][-2000:])
        for ln in bad[:2]:
            t.diag("c8 counter-check: %s" % ln[-160:])
        t.ok(d.hup(), "c8: daemon back to the test configuration")
    finally:
        for s in held:
            s.close()


def ok_and_bad(t, pf, rcv, style):
    mark = len(pf.log())
    dv = pf.deliver("user@enf-ok.test", style)
    verified(t, rcv, dv, "mx.enf-ok.test", style)
    dv = pf.deliver("user@enf-bad.test", style + "-bad")
    deferred(t, rcv, dv, style + "-bad", "127.0.3.2")
    no_lookup_errors(t, pf.log()[mark:], style)


def check_postfix(t, w, mtasts, pf, d, want_rc, want_codes, name):
    """mtasts check-postfix on pf's configuration, as the daemon has it."""
    r = w.run([mtasts, "check-postfix", "--json", "--postconf",
               pf.command("postconf"), "-c", pf.conf_dir, "-f", d.conf],
              timeout=30)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {"checks": []}
    codes = {(c["level"], c["code"]) for c in out.get("checks", [])}
    t.is_(r.rc, want_rc, "check-postfix %s: exit status" % name,
          diag=r.stdout + r.stderr)
    for want in want_codes:
        t.ok(want in codes, "check-postfix %s: %s %s" % ((name,) + want),
             got=sorted(codes))


def counter_checks(t, w, mtasts, pf, rcv, d, port):
    """Broken set-ups defer mail, and check-postfix says why."""
    main = contrib("main.cf.inet", port, d.sock, w.ca_file)
    main["smtp_tls_policy_maps"] = "socketmap:unix:%s:postfix" % d.sock
    t.ok(restart(pf, main), "absolute socket path, chrooted: Postfix "
         "starts")
    dv = pf.deliver("user@enf-ok.test", "abs")
    t.is_((dv.status, dv.dsn), ("deferred", "4.7.5"), "absolute socket "
          "path, chrooted: mail deferred", diag="\n".join(dv.lines))
    t.is_(rcv.got("abs"), [], "absolute socket path: nothing delivered")
    check_postfix(t, w, mtasts, pf, d, 1, [("problem", "socket-missing")],
                  "absolute path")

    main = contrib("main.cf.inet", port, d.sock, w.ca_file)
    main["smtp_tls_policy_maps"] = main["smtp_tls_policy_maps"].replace(
        ":postfix", ":postfix-tlsrpt")
    t.ok(restart(pf, main), "TLSRPT profile on 3.7: Postfix starts")
    mark = len(pf.log())
    dv = pf.deliver("user@enf-ok.test", "tlsrpt37")
    t.is_(dv.status, "deferred", "TLSRPT profile on Postfix 3.7: mail "
          "deferred", diag="\n".join(dv.lines))
    t.ok("invalid attribute name" in pf.log()[mark:], "TLSRPT profile on "
         "Postfix 3.7: \"invalid attribute name\" logged")
    check_postfix(t, w, mtasts, pf, d, 1, [("problem", "profile-tlsrpt")],
                  "tlsrpt on 3.7")
    del main["smtp_tls_CAfile"]
    pf.main_cf(main, chroot=True)
    check_postfix(t, w, mtasts, pf, d, 1, [("problem", "no-ca")], "no CA")


def main_elsewhere(name, fetch, build, run):
    """main() of a test of a Postfix from elsewhere (postfix_310.py,
    postfix_3105.py): fetch() gives (root, None) or (None, why), or
    (root, info) with info a line for the log; skipped when it fails,
    failed instead under CI=true.  Then build(w) and run(t, w, mtastsd,
    mtasts, root) in a started world."""
    mtastsd, mtasts = binaries()
    reason = skip_reason(mtastsd, mtasts)
    if reason:
        Tap.skip_all(reason)
    t0 = time.monotonic()
    root, note = fetch()
    if root is None and os.environ.get("CI") != "true":
        Tap.skip_all("%s: %s" % (name, note))
    t = Tap()
    if not t.ok(root is not None, "%s (%s)" % (name, root or note)):
        return t.done()
    if note:
        t.diag(note)
    with World() as w:
        build(w)
        w.start()
        os.chmod(w.dir, 0o711)
        run(t, w, mtastsd, mtasts, root)
    t.diag("%s: %.1f s" % (os.path.basename(sys.argv[0]),
                           time.monotonic() - t0))
    return t.done()


def main():
    mtastsd, mtasts = binaries()
    reason = skip_reason(mtastsd, mtasts)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    t0 = time.monotonic()
    port = 21000 + os.getpid() % 20000
    with World() as w:
        mta.build(w)
        g4_build(w)
        w.start()
        os.chmod(w.dir, 0o711)      # nobody and postfix reach their files
        rcv = mta.Receivers(w)
        mta.build_receivers(rcv)
        rcv.add(G4_MX[1][2], G4_MX[1][1], "good")
        if not t.ok(rcv.start(), "receivers listen"):
            return t.done()
        pf = mta.Postfix(w, "postfix37")
        d = start_daemon(t, w, mtastsd, pf, port)
        if d is None:
            return t.done()
        warm(t, d)
        styles = [("inet", "main.cf.inet"), ("unix", "main.cf.unix"),
                  ("proxy", "main.cf.proxy")]
        try:
            for style, name in styles:
                main = contrib(name, port, d.sock, w.ca_file)
                if not t.ok(restart(pf, main), "%s: Postfix starts "
                            "(chrooted smtp)" % style):
                    t.diag(pf.log()[-2000:])
                    continue
                if style == "inet":
                    cases_1_to_6(t, pf, rcv)
                    case7(t, w, pf, rcv, d)
                    case8(t, w, pf, rcv, d)
                else:
                    ok_and_bad(t, pf, rcv, style)
                check_postfix(t, w, mtasts, pf, d, 0,
                              [("ok", "daemon-answers")], style)
            counter_checks(t, w, mtasts, pf, rcv, d, port)
        finally:
            pf.stop()
        t.diag("postfix_37.py: %.1f s" % (time.monotonic() - t0))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
