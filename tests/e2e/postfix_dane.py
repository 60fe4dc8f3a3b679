#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_dane.py: end-to-end TAP test of DANE first: Debian 12's Postfix
(3.7) with smtp_dns_support_level = dnssec sends real mail through
mtastsd's answers (dane = yes) to STARTTLS receivers, in a test world
whose TLD "sec" is signed (ldns-signzone) and validated by its unbound.

Each domain publishes an MTA-STS policy in mode enforce and MX records;
TLSA records (3 1 1, the SHA-256 of the receiver's public key, or of
another key) decide which check Postfix makes:
  1. dane-match.sec: TLSA matches the receiver's key, but its MTA-STS
     policy names another MX (MTA-STS alone would defer): mtastsd
     answers dane-only and the mail is delivered over a verified TLS
     connection;
  2. dane-mismatch.sec: the receiver's certificate is valid for the
     WebPKI (the world's CA) and for the policy, but the TLSA record is
     for another key: dane-only, and Postfix defers (TLSA does not
     match);
  3. plain.sec: signed, no TLSA: held to its MTA-STS policy as today
     (secure match=...), delivered verified;
  4. the counter-check: mtastsd reloaded with dane = no, the mail of
     case 1 is deferred (its MTA-STS policy names another MX).
The Postfix instance uses the world's resolver (resolv.conf with
"options trust-ad", which glibc needs to pass the AD flag on).

Needs root, the world's tools, ldnsutils, postfix, python3-aiosmtpd,
python3-cryptography; otherwise SKIP.
"""

import hashlib
import os
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
from postfix_37 import binaries, skip_reason, USER  # noqa: E402

# domain, policy mx, MX host, receiver address, TLSA kind
CASES = [
    ("dane-match.sec", "mx.elsewhere.sec", "mx.dane-match.sec",
     "127.0.4.1", "match"),
    ("dane-mismatch.sec", "mx.dane-mismatch.sec", "mx.dane-mismatch.sec",
     "127.0.4.2", "other"),
    ("plain.sec", "mx.plain.sec", "mx.plain.sec", "127.0.4.3", None),
]


def spki_sha256(cert_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def main():
    mtastsd, mtasts = binaries()
    reason = (skip_reason(mtastsd, mtasts) or
              world.skip_reason(("ldns-signzone", "ldns-keygen")))
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    t0 = time.monotonic()
    port = 21000 + (os.getpid() + 7) % 20000
    with World() as w:
        w.sign_tld("sec")
        for dom, pmx, host, addr, _ in CASES:
            w.add_domain(dom, policy=world.policy_text(mx=[pmx]), mx=[host])
            w.add_address(host, addr)
        w.start()
        os.chmod(w.dir, 0o711)
        rcv = mta.Receivers(w)
        for dom, pmx, host, addr, _ in CASES:
            rcv.add(addr, host, "good")
        # TLSA from the receivers' keys (issued by rcv.add), re-signed;
        # the mismatch is the digest of another key's bytes (the world
        # may give every leaf certificate the same key).
        other = hashlib.sha256(b"another key").hexdigest()
        for (dom, pmx, host, addr, kind), lst in zip(CASES, rcv.listeners):
            if kind is not None:
                w.add_record("_25._tcp." + host, "TLSA", "3 1 1 " + (
                    spki_sha256(lst["cert"]) if kind == "match" else other))
        w.apply()
        if not t.ok(rcv.start(), "receivers listen"):
            return t.done()
        pf = mta.Postfix(w, "postfix-dane")
        d = Daemon(w, mtastsd, "mtastsd", port, user=USER,
                   lookup_timeout=10)
        d.opts["dane_probe_name"] = "sec"
        d.write_conf()
        if not t.ok(d.start(), "mtastsd starts"):
            t.diag(d.log()[-3000:])
            return t.done()
        c = Client(d)
        answers = {dom: (c.json({"op": "resolve", "domain": dom}) or {})
                   .get("postfix") for dom, *_ in CASES}
        c.close()
        t.is_(answers, {"dane-match.sec": "dane-only",
                        "dane-mismatch.sec": "dane-only",
                        "plain.sec": "secure match=mx.plain.sec "
                        "servername=hostname"},
              "mtastsd's answers: DANE first, MTA-STS for plain.sec")
        pf.main_cf({
            "smtp_dns_support_level": "dnssec",
            "smtp_tls_security_level": "may",
            "smtp_tls_policy_maps": "socketmap:inet:127.0.0.1:%d:postfix"
                                    % port,
            "smtp_tls_CAfile": w.ca_file,
        }, chroot=False)
        r = pf.start()
        if not t.ok(r.rc == 0 and pf.master_pid is not None,
                    "Postfix 3.7 starts"):
            t.diag(pf.log()[-2000:])
            return t.done()
        try:
            dv = pf.deliver("user@dane-match.sec", "dane-match")
            t.is_((dv.status, dv.dsn), ("sent", "2.0.0"),
                  "TLSA matches, MTA-STS would not: delivered",
                  diag="\n".join(dv.lines))
            t.ok(any("verified tls connection established to "
                     "mx.dane-match.sec[" in ln.lower() for ln in dv.lines),
                 "TLSA matches: \"Verified TLS connection established\" "
                 "(DANE)", diag="\n".join(dv.lines))
            t.is_(len(rcv.got("dane-match", "127.0.4.1")), 1,
                  "TLSA matches: the receiver got it")
            dv = pf.deliver("user@dane-mismatch.sec", "dane-mismatch")
            t.is_(dv.status, "deferred", "TLSA does not match, the "
                  "WebPKI certificate would: deferred",
                  diag="\n".join(dv.lines))
            t.ok(dv.text is not None and "not verified" in dv.text.lower(),
                 "TLSA does not match: \"Server certificate not verified\"",
                 got=dv.text)
            t.is_(rcv.got("dane-mismatch", "127.0.4.2"), [],
                  "TLSA does not match: nothing delivered")
            dv = pf.deliver("user@plain.sec", "plain")
            t.is_((dv.status, dv.dsn), ("sent", "2.0.0"),
                  "signed, no TLSA: delivered under its MTA-STS policy",
                  diag="\n".join(dv.lines))
            t.ok(any("verified tls connection established to "
                     "mx.plain.sec[" in ln.lower() for ln in dv.lines),
                 "signed, no TLSA: verified TLS as today",
                 diag="\n".join(dv.lines))
            # The counter-check: without DANE first, the same mail is
            # held to the MTA-STS policy, which names another MX.
            t.ok(d.hup({"dane": "no"}), "mtastsd reloaded with dane = no")
            dv = pf.deliver("user@dane-match.sec", "dane-off")
            t.is_(dv.status, "deferred", "dane = no: the MTA-STS answer "
                  "defers the mail DANE delivered", diag="\n".join(dv.lines))
        finally:
            pf.stop()
        t.diag("postfix_dane.py: %.1f s" % (time.monotonic() - t0))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
