#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_3105.py: end-to-end TAP test of the "postfix-tlsrpt" reply
profile driving the MX-pattern enforcement of Postfix 3.10.5 and later
(smtp_tls_enforce_sts_mx_patterns, default yes), with Debian 13's
Postfix in a debootstrap'ed trixie root.

The root is built once by trixie_lib.trixie_root("postfix") and cached
in /var/cache/mtastsd-tests/trixie-postfix ($MTASTS_TEST_CACHE);
tests/e2e/postfix_lib.py runs the whole instance chrooted in it
(`sysroot`), chrooted smtp(8) included, with socketmap over TCP as in
contrib/postfix/main.cf.inet and the map name postfix-tlsrpt.  When
Postfix gets `policy_type=sts` with `mx_host_pattern=` attributes, it
contacts only the MX hosts whose name matches a pattern (exactly, or
"*.rest" = one label + ".rest") and checks the certificate against the
MX name it dialled (match=hostname), instead of accepting a
certificate for any policy name from any MX.

Checked: trixie's Postfix is 3.10.5 or later with the enforcement on;
the daemon's answers carry the mx_host_pattern attributes (the "*.x"
form) and the root's postmap reads the same; then real mail:
  1. policy mx1.ok.test, MX mx1.ok.test, valid certificate: delivered,
     Verified TLS, SNI the MX name;
  2. (the CERT-Bund case) policy mx1.cb.test and mx2.cb.test, MX only
     evil.cb.test, whose certificate is valid for mx1.cb.test:
     deferred, "MX name 'evil.cb.test' does not match STS MX pattern",
     evil.cb.test never contacted;
  3. policy "*.wild.test", MX a.b.wild.test (10) and a.wild.test (20):
     a.b.wild.test (two labels) skipped with the warning, delivered to
     a.wild.test; policy "*.deep.test", MX only a.b.deep.test:
     deferred, never contacted;
  4. policy mx1.cross.test and mx2.cross.test, MX only mx2.cross.test,
     whose certificate is for mx1.cross.test: contacted (it matches a
     pattern), the certificate fails the host name check, deferred
     4.7.5, nothing delivered;
no attribute or policy lookup error in Postfix's log.  Contrast: the
same Postfix restarted with the plain "postfix" profile (match= only,
no TLSRPT attributes) delivers cases 2, 3 (a.b.deep.test) and 4 over
"Verified" TLS: the certificate matches some policy name, which is all
match= asks for.

Fails under CI=true when the trixie root cannot be built (no
debootstrap, no mirror); skips with the reason otherwise.
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from daemon import Client  # noqa: E402
from world import policy_text  # noqa: E402
import postfix_lib as mta  # noqa: E402
import postfix_37 as p37  # noqa: E402
import trixie_lib  # noqa: E402

PROFILE = "postfix-tlsrpt"
MIN_VERSION = (3, 10, 5)
# domain: (policy mx lines, DNS MX records)
DOMAINS = {
    "ok.test": (["mx1.ok.test"], [(10, "mx1.ok.test")]),
    "cb.test": (["mx1.cb.test", "mx2.cb.test"], [(10, "evil.cb.test")]),
    "wild.test": (["*.wild.test"], [(10, "a.b.wild.test"),
                                     (20, "a.wild.test")]),
    "deep.test": (["*.deep.test"], [(10, "a.b.deep.test")]),
    "cross.test": (["mx1.cross.test", "mx2.cross.test"],
                   [(10, "mx2.cross.test")]),
}
# MX host: (address, the name its receiver's certificate is valid for)
HOSTS = {
    "mx1.ok.test": ("127.0.4.1", "mx1.ok.test"),
    "evil.cb.test": ("127.0.4.2", "mx1.cb.test"),
    "a.b.wild.test": ("127.0.4.3", "a.b.wild.test"),
    "a.wild.test": ("127.0.4.4", "a.wild.test"),
    "a.b.deep.test": ("127.0.4.5", "a.b.deep.test"),
    "mx2.cross.test": ("127.0.4.6", "mx1.cross.test"),
}
MISMATCH = "warning: MX name '%s' does not match STS MX pattern for '%s'"


def build_root():
    """The trixie root with Postfix: (root, a line about it) or (None,
    reason)."""
    try:
        root, info = trixie_lib.trixie_root("postfix")
    except Exception as e:      # no debootstrap, no mirror: say why
        return None, (str(e).splitlines() or ["failed"])[0][:200]
    return root, "postfix %s cached at %s (%s MB, %s s to build%s)" % (
        info["version"], root, info["mb"], info["seconds"],
        ", built now" if info["built_now"] else "")


def build(w):
    for dom, (pol, mxs) in DOMAINS.items():
        w.add_domain(dom, policy=policy_text(mx=pol), mx=mxs)
    for host, (addr, _name) in HOSTS.items():
        w.add_address(host, addr)


def version_ok(t, pf):
    r = pf.run([pf.command("postconf"), "-d", "-h", "mail_version"])
    ver = r.stdout.strip()
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", ver)
    got = tuple(int(x) for x in m.groups()) if m else None
    t.ok(got is not None and got >= MIN_VERSION, "trixie's Postfix %s is "
         "3.10.5 or later (MX-pattern enforcement)" % (ver or "?"),
         diag=r.stderr)
    r = pf.run([pf.command("postconf"), "-c", pf.conf_dir, "-h",
                "smtp_tls_enforce_sts_mx_patterns"])
    t.is_(r.stdout.strip(), "yes", "smtp_tls_enforce_sts_mx_patterns = "
          "yes (the default)", diag=r.stderr)


def warm(t, d):
    """Every policy cached before Postfix asks."""
    c = Client(d)
    got = {dom: (c.json({"op": "resolve", "domain": dom}) or {}).get(
        "source") for dom in DOMAINS}
    c.close()
    t.is_(set(got.values()), {"mta-sts"}, "every test policy discovered",
          diag=got)


def answers(t, pf, d, port):
    c = Client(d)
    cb = c.sockmap("cb.test", PROFILE)
    wild = c.sockmap("wild.test", PROFILE)
    plain = c.sockmap("cb.test", "postfix")
    c.close()
    t.ok(cb is not None and cb.startswith(
        "OK secure match=mx1.cb.test:mx2.cb.test servername=hostname "
        "policy_type=sts policy_domain=cb.test mx_host_pattern=mx1.cb.test "
        "mx_host_pattern=mx2.cb.test "), "cb.test: one mx_host_pattern "
         "per policy mx", got=cb)
    t.ok(wild is not None and " mx_host_pattern=*.wild.test " in wild,
         "wild.test: mx_host_pattern=*.wild.test", got=wild)
    t.is_(plain, "OK secure match=mx1.cb.test:mx2.cb.test "
          "servername=hostname", "profile postfix: match= only")
    r = pf.run([pf.command("postmap"), "-c", pf.conf_dir, "-q", "cb.test",
                "socketmap:inet:127.0.0.1:%d:%s" % (port, PROFILE)])
    t.is_(("OK " + r.stdout.strip(), r.rc), (cb, 0),
          "trixie's postmap reads the same answer", diag=r.stderr)


def not_contacted(t, rcv, dv, host, case):
    """host was never dialled for this delivery: no "host[" in the
    smtp(8) lines (Postfix names a host it connects to as host[addr]),
    no handshake or message at its receiver."""
    addr = HOSTS[host][0]
    t.ok(not any(host + "[" in ln for ln in dv.lines) and
         rcv.events(addr, "tls") == [] and rcv.got(case, addr) == [],
         "%s: %s never contacted" % (case, host), diag="\n".join(dv.lines))


def mismatch_logged(t, pf, mark, host, dom, case):
    want = MISMATCH % (host, dom)
    t.ok(want in pf.log()[mark:], "%s: \"%s\"" % (case, want),
         diag=pf.log()[mark:][-2000:])


def deferred_no_mx(t, pf, rcv, rcpt, case, host):
    """Every MX outside the policy: deferred, nothing sent anywhere."""
    dom = rcpt.split("@")[1]
    mark = len(pf.log())
    dv = pf.deliver(rcpt, case)
    t.is_((dv.status, dv.relay), ("deferred", "none"), "%s: deferred, "
          "relay=none (dsn=%s, %s)" % (case, dv.dsn, dv.text),
          diag="\n".join(dv.lines))
    mismatch_logged(t, pf, mark, host, dom, case)
    not_contacted(t, rcv, dv, host, case)
    t.is_(rcv.got(case), [], "%s: nothing delivered anywhere" % case)


def enforced(t, pf, rcv):
    """The four cases with the postfix-tlsrpt profile."""
    mark = len(pf.log())
    dv = pf.deliver("user@ok.test", "c1")
    got = p37.verified(t, rcv, dv, "mx1.ok.test", "c1", "127.0.4.1")
    t.is_([g.get("sni") for g in got], ["mx1.ok.test"], "c1: SNI")
    t.ok("does not match STS MX pattern" not in pf.log()[mark:],
         "c1: no MX pattern warning")

    deferred_no_mx(t, pf, rcv, "user@cb.test", "c2", "evil.cb.test")

    mark = len(pf.log())
    dv = pf.deliver("user@wild.test", "c3")
    p37.verified(t, rcv, dv, "a.wild.test", "c3", "127.0.4.4")
    mismatch_logged(t, pf, mark, "a.b.wild.test", "wild.test", "c3")
    not_contacted(t, rcv, dv, "a.b.wild.test", "c3")
    deferred_no_mx(t, pf, rcv, "user@deep.test", "c3-deep", "a.b.deep.test")

    mark = len(pf.log())
    dv = pf.deliver("user@cross.test", "c4")
    p37.deferred(t, rcv, dv, "c4", "127.0.4.6")
    t.ok(any("mx2.cross.test[" in ln and ("hostname mismatch" in ln or
                                          "verification failed" in ln)
             for ln in dv.lines), "c4: mx2.cross.test contacted, its "
         "certificate fails the host name check", diag="\n".join(dv.lines))
    t.ok("does not match STS MX pattern" not in pf.log()[mark:],
         "c4: no MX pattern warning (mx2.cross.test is in the policy)")
    t.ok(len(rcv.events("127.0.4.6", "tls")) >= 1, "c4: the receiver saw "
         "the handshake, then no mail")


def clean_log(t, pf):
    bad = [ln for ln in pf.log().splitlines()
           if "invalid attribute" in ln or "unexpected attribute" in ln
           or "TLS configuration problem" in ln or "lookup error" in ln
           or "socketmap" in ln]
    t.is_(bad, [], "no attribute or policy lookup error in the log")


def check_postfix(t, w, mtasts, pf, d, profile, warned):
    """mtasts check-postfix on this Postfix (its own postconf, chrooted
    in the trixie root): it asks the real daemon who it is, and warns
    about the plain profile on 3.10.5 and later."""
    name = "check-postfix, profile %s" % profile
    postconf = os.path.join(w.dir, "postconf-trixie")
    with open(postconf, "w") as f:
        f.write('#!/bin/sh\nexec nsenter -t %d -m -- chroot %s '
                '/usr/sbin/postconf "$@"\n' % (pf.master_pid, pf.sysroot))
    os.chmod(postconf, 0o755)
    r = w.run([mtasts, "check-postfix", "--json", "--postconf", postconf,
               "-c", pf.conf_dir, "-f", d.conf], timeout=30)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    codes = {(c["level"], c["code"]) for c in out.get("checks", [])}
    t.ok(r.rc == 0 and out.get("problems") == 0 and
         ("ok", "daemon-answers") in codes and ("ok", "profile") in codes,
         "%s: no problem, mtastsd answers" % name, got=(r.rc, r.stdout,
                                                          r.stderr))
    t.is_(("warning", "mx-patterns") in codes, warned,
          "%s: %s about MX hosts outside the policy (Postfix %s)" %
          (name, "warns" if warned else "does not warn",
           out.get("postfix_version")), diag=r.stdout)


def contrast(t, w, mtasts, pf, rcv, d, main):
    """The same mail with the plain "postfix" profile: delivered."""
    main = dict(main, smtp_tls_policy_maps=main["smtp_tls_policy_maps"]
                .replace(":" + PROFILE, ":postfix"))
    if not t.ok(p37.restart(pf, main), "Postfix restarts with profile "
                "postfix"):
        return
    check_postfix(t, w, mtasts, pf, d, "postfix", True)
    for rcpt, case, host in (("user@cb.test", "p2", "evil.cb.test"),
                             ("user@deep.test", "p3-deep", "a.b.deep.test"),
                             ("user@cross.test", "p4", "mx2.cross.test")):
        mark = len(pf.log())
        dv = pf.deliver(rcpt, case)
        p37.verified(t, rcv, dv, host, case, HOSTS[host][0])
        t.ok("does not match STS MX pattern" not in pf.log()[mark:],
             "%s: no MX pattern check without mx_host_pattern" % case)


def run(t, w, mtastsd, _mtasts, root):
    port = 21000 + (os.getpid() + 13) % 20000
    rcv = mta.Receivers(w)
    for host, (addr, name) in HOSTS.items():
        rcv.add(addr, name)
    if not t.ok(rcv.start(), "receivers listen"):
        return
    pf = mta.Postfix(w, "postfix3105", sysroot=root)
    d = p37.start_daemon(t, w, mtastsd, pf, port)
    if d is None:
        return
    warm(t, d)
    main = p37.contrib("main.cf.inet", port, d.sock, w.ca_file)
    main["smtp_tls_policy_maps"] = main["smtp_tls_policy_maps"].replace(
        ":postfix", ":" + PROFILE)
    try:
        if not t.ok(p37.restart(pf, main), "Postfix starts (chrooted in "
                    "the trixie root)"):
            t.diag(pf.log()[-2000:])
            return
        version_ok(t, pf)
        check_postfix(t, w, _mtasts, pf, d, PROFILE, False)
        answers(t, pf, d, port)
        enforced(t, pf, rcv)
        clean_log(t, pf)
        contrast(t, w, _mtasts, pf, rcv, d, main)
    finally:
        pf.stop()


def main():
    return p37.main_elsewhere("Postfix in a trixie root", build_root,
                              build, run)


if __name__ == "__main__":
    sys.exit(main())
