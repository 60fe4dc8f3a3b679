#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_310.py: end-to-end TAP test of the "postfix-tlsrpt" reply
profile with Postfix 3.10 from Debian's bookworm-backports.

Postfix 3.10 is not installed: postfix-backports.sh extracts the
package once into /var/cache/mtastsd-tests/postfix-bpo/<version>/
($MTASTS_TEST_CACHE overrides the base) and tests/e2e/postfix_lib.py
runs it in a private mount namespace (its libraries bind-mounted over
/usr/lib/postfix), chrooted smtp(8), socketmap over TCP as in
contrib/postfix/main.cf.inet with the map name postfix-tlsrpt.

Checked: the binaries are 3.10; the daemon's answer carries
policy_type=sts, policy_domain, mx_host_pattern ("*.x" form) and
policy_string, and Postfix 3.10's own postmap reads the same value;
case 1 (enforce, matching certificate: delivered, Verified) and case 2
(wrong name: deferred 4.7.5, nothing delivered); a "*.x" pattern; policy
lines with braces and UTF-8 (cleaned); a policy too large for one reply
with every attribute (answered without policy_string, logged, still
verified); no "invalid attribute" or other policy warning anywhere in
Postfix's log; mtasts check-postfix finds no problem.

The 3.7 counterpart (tests/e2e/postfix_37.py) shows the same profile
rejected by Postfix 3.7.  Fetching the package needs the machine's
Debian mirror: when that fails the test fails under CI=true, and is
skipped otherwise.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from daemon import Client  # noqa: E402
from world import policy_text  # noqa: E402
import postfix_lib as mta  # noqa: E402
import postfix_37 as p37  # noqa: E402

PROFILE = "postfix-tlsrpt"
EXT_LINES = ["x-note: a {b} c {d}", "x-utf8: b\u00fccher"]
# 128 patterns of 253 bytes: every TLSRPT attribute would pass 100,000.
BIG_MX = ["mx.big.test"] + [
    "%03d%058d.%063d.%063d.%s" % (i, 0, 0, 0, "z" * 63) for i in range(127)]


def fetch_postfix():
    """The extracted Postfix 3.10 root, or (None, reason)."""
    r = subprocess.run([os.path.join(HERE, "postfix-backports.sh")],
                       capture_output=True, text=True, timeout=600)
    root = r.stdout.strip()
    if r.returncode != 0 or not os.path.isdir(root):
        return None, (r.stderr.strip().splitlines() or ["failed"])[-1]
    return root, None


def build(w):
    mta.build(w)
    w.add_domain("ext.test", policy=policy_text(mx=["mx.ext.test"],
                                                extra=EXT_LINES),
                 mx=["mx.ext.test"])
    w.add_address("mx.ext.test", "127.0.3.10")
    w.add_domain("big.test", policy=policy_text(mx=BIG_MX),
                 mx=["mx.big.test"])
    w.add_address("mx.big.test", "127.0.3.11")


def answers(t, w, pf, d, port):
    """The daemon's TLSRPT answers, as Postfix 3.10's postmap reads them."""
    c = Client(d)
    ok = c.sockmap("enf-ok.test", PROFILE)
    wild = c.sockmap("wild.test", PROFILE)
    ext = c.sockmap("ext.test", PROFILE)
    big = c.sockmap("big.test", PROFILE)
    c.close()
    t.is_(ok, "OK secure match=mx.enf-ok.test servername=hostname "
          "policy_type=sts policy_domain=enf-ok.test "
          "mx_host_pattern=mx.enf-ok.test "
          "{ policy_string = version: STSv1 } "
          "{ policy_string = mode: enforce } "
          "{ policy_string = mx: mx.enf-ok.test } "
          "{ policy_string = max_age: 86400 }", "TLSRPT answer")
    t.ok(wild is not None and "match=.wild.test " in wild and
         "mx_host_pattern=*.wild.test " in wild, "\"*.x\": match=.x, "
         "mx_host_pattern=*.x", got=wild)
    t.ok(ext is not None and "{ policy_string = x-note: a b c d }" in ext
         and "{ policy_string = x-utf8: b\u00fccher }" in ext,
         "policy lines cleaned of braces, UTF-8 kept", got=ext)
    t.ok(big is not None and big.startswith("OK secure match=") and
         "policy_string" not in big and "mx_host_pattern=" in big and
         len(big.encode()) <= 100000, "a policy too large for every "
         "attribute: answered without policy_string (%d bytes)" %
         len((big or "").encode()))
    t.ok(d.wait_log("policy too large for one Postfix reply"),
         "the daemon logs the shortened answer")
    r = pf.run([pf.command("postmap"), "-c", pf.conf_dir, "-q",
                "enf-ok.test", "socketmap:inet:127.0.0.1:%d:%s" % (
                    port, PROFILE)])
    t.is_(("OK " + r.stdout.strip(), r.rc), (ok, 0),
          "Postfix 3.10's postmap reads the same answer", diag=r.stderr)


def deliveries(t, pf, rcv):
    dv = pf.deliver("user@enf-ok.test", "t1")
    got = p37.verified(t, rcv, dv, "mx.enf-ok.test", "t1")
    t.is_([g.get("sni") for g in got], ["mx.enf-ok.test"], "t1: SNI")
    dv = pf.deliver("user@enf-bad.test", "t2")
    p37.deferred(t, rcv, dv, "t2", "127.0.3.2")
    dv = pf.deliver("user@Wild.Test", "t-wild")
    p37.verified(t, rcv, dv, "mx1.wild.test", "t-wild")
    dv = pf.deliver("user@ext.test", "t-ext")
    p37.verified(t, rcv, dv, "mx.ext.test", "t-ext", "127.0.3.10")
    dv = pf.deliver("user@big.test", "t-big")
    p37.verified(t, rcv, dv, "mx.big.test", "t-big", "127.0.3.11")


def clean_log(t, pf):
    bad = [ln for ln in pf.log().splitlines()
           if "invalid attribute" in ln or "unexpected attribute" in ln
           or "TLS configuration problem" in ln or "lookup error" in ln
           or ("warning" in ln and ("policy" in ln or "socketmap" in ln))]
    t.is_(bad, [], "no attribute or policy warning in Postfix 3.10's log")


def check(t, w, mtasts, pf, d):
    r = pf.run([mtasts, "check-postfix", "--json", "--postconf",
                pf.command("postconf"), "-c", pf.conf_dir, "-f", d.conf])
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    codes = {(c["level"], c["code"]) for c in out.get("checks", [])}
    t.is_((r.rc, out.get("problems")), (0, 0), "check-postfix: no "
          "problem", diag=r.stdout + r.stderr)
    t.ok({("ok", "profile"), ("ok", "daemon-answers")} <= codes,
         "check-postfix: profile suits 3.10, daemon answers",
         got=sorted(codes))


def run(t, w, mtastsd, mtasts, root):
    port = 21000 + (os.getpid() + 7) % 20000
    rcv = mta.Receivers(w)
    mta.build_receivers(rcv)
    rcv.add("127.0.3.10", "mx.ext.test")
    rcv.add("127.0.3.11", "mx.big.test")
    if not t.ok(rcv.start(), "receivers listen"):
        return
    pf = mta.Postfix(w, "postfix310", root=root)
    d = p37.start_daemon(t, w, mtastsd, pf, port)
    if d is None:
        return
    p37.warm(t, d)
    main = p37.contrib("main.cf.inet", port, d.sock, w.ca_file)
    main["smtp_tls_policy_maps"] = main["smtp_tls_policy_maps"].replace(
        ":postfix", ":" + PROFILE)
    try:
        if not t.ok(p37.restart(pf, main), "Postfix 3.10 starts"):
            t.diag(pf.log()[-2000:])
            return
        r = pf.run([pf.command("postconf"), "-c", pf.conf_dir, "-h",
                    "mail_version"])
        t.ok(r.stdout.startswith("3.1"), "running Postfix %s" %
             r.stdout.strip(), diag=r.stderr)
        answers(t, w, pf, d, port)
        deliveries(t, pf, rcv)
        clean_log(t, pf)
        check(t, w, mtasts, pf, d)
    finally:
        pf.stop()


def main():
    return p37.main_elsewhere("Postfix 3.10 from bookworm-backports",
                              fetch_postfix, build, run)


if __name__ == "__main__":
    sys.exit(main())
