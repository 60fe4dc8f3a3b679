#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""daemon_dane.py: DANE first, through the real daemon's sockets.

A test world signs the TLD "sec" (its unbound validates it) and keeps
"test" unsigned; every domain also publishes an MTA-STS policy.  The
daemon (dane = yes, the default) is asked over socketmap (profiles
postfix and postfix-tlsrpt), tcp_table and the JSON resolve op, and
each answer is checked against the precedence of docs/postfix.md §5:
  every MX with TLSA     -> dane-only   (never "secure", no TLSRPT)
  some MX with TLSA      -> dane
  bogus TLSA signature   -> TEMP        (never the MTA-STS policy)
  signed, no TLSA        -> secure match=...  (today's answer)
  unsigned, with TLSA    -> secure match=...  (TLSA not trusted)
The JSON reply keeps the MTA-STS part for table-mtasts (mtasts_verdict)
and says why (dane, dane_why); stats count the DANE answers.  The
resolver probe (dane_probe_name) logs that the world's unbound validates
the signed TLD, and warns, after a reload, for an unsigned name.  A
reload with dane = no gives every domain its MTA-STS answer again.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from world import Tap, World, policy_text  # noqa: E402
from daemon import (Client, Daemon, mtastsd_binary,  # noqa: E402
                    run_skip_reason)

USER = "nobody"
USABLE = "3 1 1 " + "2b" * 32


def add(w, domain, hosts, tlsa):
    w.add_domain(domain, policy=policy_text(mx=hosts), mx=hosts)
    for h in hosts:
        w.add_address(h, "127.0.0.1")
        if h in tlsa:
            w.add_record("_25._tcp." + h, "TLSA", USABLE)


def secure(hosts):
    return "secure match=%s servername=hostname" % ":".join(hosts)


# domain, MX hosts, hosts with TLSA, socketmap reply, tlsrpt reply,
# tcp_table reply, dane, mtasts_verdict
CASES = [
    ("all.sec", ["mx1.all.sec", "mx2.all.sec"], ["mx1.all.sec",
                                                  "mx2.all.sec"],
     "OK dane-only", "OK dane-only", "200 dane-only", "dane-only", "OK"),
    ("some.sec", ["mx1.some.sec", "mx2.some.sec"], ["mx1.some.sec"],
     "OK dane", "OK dane", "200 dane", "dane", "OK"),
    ("bogus.sec", ["mx.bogus.sec"], ["mx.bogus.sec"],
     "TEMP dnssec-lookup-failed", "TEMP dnssec-lookup-failed",
     "400 dnssec-lookup-failed", "temp", "OK"),
    ("plain.sec", ["mx.plain.sec"], [], None, None, None, "none", "OK"),
    ("uns.test", ["mx.uns.test"], ["mx.uns.test"], None, None, None,
     "none", "OK"),
]


def main():
    binary = mtastsd_binary()
    reason = (world.skip_reason(("ldns-signzone", "ldns-keygen")) or
              run_skip_reason(binary, USER))
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        w.sign_tld("sec")
        for domain, hosts, tlsa, *_ in CASES:
            add(w, domain, hosts, tlsa)
        w.break_signature("_25._tcp.mx.bogus.sec", "TLSA")
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, binary, "dane", 0, user=USER, lookup_timeout=5)
        d.opts["dane_probe_name"] = "sec"
        d.write_conf()
        if not t.ok(d.start(), "daemon starts"):
            t.diag(d.log()[-3000:])
            return t.done()
        t.ok(d.wait_log("DANE: the DNS resolver validates DNSSEC "
                        "(DNSKEY of sec authenticated)"),
             "probe at start: the resolver validates")
        c, ct, cj = Client(d), Client(d), Client(d)
        for domain, hosts, _, sm, tr, tcp, dane, mv in CASES:
            want_sm = sm or "OK " + secure(hosts)
            t.is_(c.sockmap(domain), want_sm, "%s: socketmap postfix"
                  % domain)
            got = c.sockmap(domain, "postfix-tlsrpt")
            if tr is not None:
                t.is_(got, tr, "%s: postfix-tlsrpt, no TLSRPT "
                      "attributes" % domain)
            else:
                t.ok(got.startswith("OK " + secure(hosts) +
                                    " policy_type=sts"),
                     "%s: postfix-tlsrpt: the MTA-STS answer with its "
                     "TLSRPT attributes" % domain, got=got)
            t.is_(ct.tcp(domain), tcp or "200 " +
                  secure(hosts).replace(" ", "%20"),
                  "%s: tcp_table" % domain)
            r = cj.json({"op": "resolve", "domain": domain}) or {}
            t.is_((r.get("dane"), r.get("mtasts_verdict"),
                   r.get("source")), (dane, mv, "mta-sts"),
                  "%s: resolve: dane %s, MTA-STS part kept" % (domain, dane))
            t.ok(bool(r.get("dane_why")), "%s: resolve says why" % domain,
                 got=r.get("dane_why"))
        mtasts = os.environ.get("MTASTS") or os.path.join(
            os.environ.get("MTASTS_BUILDDIR") or os.getcwd(), "src",
            "mtasts")
        r = w.run([mtasts, "resolve", "--socket", d.sock, "some.sec"],
                  timeout=30)
        t.ok("  dane: dane (only some MX hosts have TLSA records)" in
             r.stdout and "  postfix: dane" in r.stdout and
             "    TLSA _25._tcp.mx2.some.sec: none" in r.stdout,
             "mtasts resolve (daemon, human): the DANE verdict, why, "
             "the TLSA status per MX host", got=r.stdout)
        cj = Client(d)
        r = cj.json({"op": "resolve", "domain": "some.sec"}) or {}
        cj.close()
        t.is_([(h["name"], h["tlsa"]) for h in
               (r.get("dane_check") or {}).get("hosts", [])],
              [("mx1.some.sec", "usable"), ("mx2.some.sec", "none")],
              "resolve (daemon, JSON): dane_check, per MX host")
        svc = d.stats()["service"]
        t.ok(svc["dane_answers"]["dane-only"] >= 4 and
             svc["dane_answers"]["temp"] >= 4 and
             svc["dane_checks"] == len(CASES),
             "stats: one check per domain, answers counted by verdict",
             got=(svc["dane_checks"], svc["dane_answers"]))
        for x in (c, ct, cj):
            x.close()
        mark = len(d.log())
        t.ok(d.hup({"dane_probe_name": "test"}), "reload: probe name test")
        t.ok(d.wait_log("DANE: the DNS resolver does not validate DNSSEC "
                        "(DNSKEY of test not authenticated)", after=mark),
             "probe on reload: warns for an unsigned probe name")
        t.ok(d.hup({"dane": "no"}), "reload with dane = no")
        c = Client(d)
        for domain, hosts, *_ in CASES:
            t.is_(c.sockmap(domain), "OK " + secure(hosts),
                  "dane = no: %s gets its MTA-STS answer" % domain)
        c.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
