#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""dane.py: the DANE check (resolver/danechk.c) against real DNSSEC.

A test world (tests/lib/world.py) signs the TLD "sec" with
ldns-signzone and its unbound validates it with that key as trust
anchor; "test" stays unsigned.  tests/integ/dane_driver checks every
domain of the case table at once and prints one JSON line per domain;
each line is checked for the verdict, the reason, the MX status and
every MX host's TLSA status.  A second world whose unbound does not
validate shows that every domain then looks unsigned (no DANE).
`mtasts resolve --direct` ($MTASTS), JSON and human, shows the same
verdicts per MX host beside the MTA-STS discovery, and its Postfix
answer puts DANE first.

The driver is tests/integ/dane_driver under $MTASTS_BUILDDIR (or the
current directory).  Missing driver, not root or missing tools: SKIP.
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from world import Tap, World, skip_reason  # noqa: E402

H32 = "2b" * 32                       # a SHA2-256 digest's length
USABLE = "3 1 1 " + H32
PKIX_EE = "1 1 1 " + H32              # usage 1: not for SMTP (RFC 7672)
SHORT = "3 1 1 " + "2b" * 20          # SHA2-256 with 20 bytes

W_ALL = ("the MX RRset is validated and every MX host has usable TLSA "
         "records")
W_SOME = "only some MX hosts have TLSA records"
W_PARAM = "some TLSA records have parameters DANE cannot use"
W_MXINS = "the MX RRset is not signed, some MX hosts have TLSA records"
W_NONE = "no MX host has validated TLSA records"
W_NOMX = "no MX host"
W_MXF = "the MX lookup failed (server failure, bogus or timeout)"
W_TLSAF = ("a TLSA lookup of a signed domain's MX host failed (server "
           "failure, bogus or timeout)")

# domain -> (MX hosts with their TLSA rdata list, verdict, why, mx status,
#            {host: tlsa status})
CASES = [
    ("all.sec", {"mx1.all.sec": [USABLE], "mx2.all.sec": [USABLE, PKIX_EE]},
     "dane-only", W_ALL, "secure",
     {"mx1.all.sec": "usable", "mx2.all.sec": "usable"}),
    ("some.sec", {"mx1.some.sec": [USABLE], "mx2.some.sec": []},
     "dane", W_SOME, "secure",
     {"mx1.some.sec": "usable", "mx2.some.sec": "none"}),
    ("param.sec", {"mx1.param.sec": [USABLE], "mx2.param.sec": [PKIX_EE,
                                                                 SHORT]},
     "dane", W_PARAM, "secure",
     {"mx1.param.sec": "usable", "mx2.param.sec": "unusable"}),
    ("notlsa.sec", {"mx.notlsa.sec": []}, "no-dane", W_NONE, "secure",
     {"mx.notlsa.sec": "none"}),
    ("unsigned.test", {"mx.unsigned.test": [USABLE]}, "no-dane", W_NONE,
     "insecure", {"mx.unsigned.test": "insecure"}),
    # An unsigned domain whose MX host is signed and has TLSA.
    ("hosted.test", {"mx1.all.sec": None}, "dane", W_MXINS, "insecure",
     {"mx1.all.sec": "usable"}),
    # An unsigned domain at a signed host whose TLSA is bogus: the
    # domain's MX could be forged anyway, so no TEMP (dane.h).
    ("hostedbad.test", {"mx.bogus.sec": None}, "no-dane", W_NONE,
     "insecure", {"mx.bogus.sec": "fail"}),
    ("bogus.sec", {"mx.bogus.sec": [USABLE]}, "temp", W_TLSAF, "secure",
     {"mx.bogus.sec": "fail"}),
    ("servfail.sec", {"mx.sf.sec": [USABLE]}, "temp", W_TLSAF, "secure",
     {"mx.sf.sec": "fail"}),
    # No TLSA answer at all (the query is dropped): c-ares times out.
    ("hang.sec", {"mx.hang.sec": [USABLE]}, "temp", W_TLSAF, "secure",
     {"mx.hang.sec": "fail"}),
    ("bogusmx.sec", {"mx.bogusmx.sec": [USABLE]}, "temp", W_MXF, "fail",
     {}),
    ("nomx.sec", {}, "no-dane", W_NOMX, "secure", {}),
    ("nxdomain.sec", None, "no-dane", W_NOMX, "secure", {}),
]


def build(w):
    w.sign_tld("sec")
    for domain, hosts, *_ in CASES:
        if hosts is None:
            continue
        if not hosts:
            w.add_address(domain, "127.0.0.1")   # exists, no MX
        for host, tlsa in hosts.items():
            w.add_mx(domain, host)
            if tlsa is None:
                continue                         # host defined elsewhere
            w.add_address(host, "127.0.0.1")
            for rdata in tlsa:
                w.add_record("_25._tcp." + host, "TLSA", rdata)
    w.break_signature("_25._tcp.mx.bogus.sec", "TLSA")
    w.break_signature("bogusmx.sec", "MX")
    w.dns_fault("_25._tcp.mx.sf.sec", "servfail")
    w.dns_fault("_25._tcp.mx.hang.sec", "hang")


def run(w, driver, domains):
    r = w.run([driver, "--dns-server", w.dns_server] + domains, timeout=60)
    out = {}
    for line in r.stdout.splitlines():
        j = json.loads(line)
        out[j["domain"]] = j
    return r, out


def cli(t, w):
    mtasts = os.environ.get("MTASTS") or os.path.join(
        os.environ.get("MTASTS_BUILDDIR") or os.getcwd(), "src", "mtasts")
    if not t.ok(os.access(mtasts, os.X_OK), "mtasts built"):
        return
    doms = ["all.sec", "some.sec", "bogus.sec", "unsigned.test", "hang.sec"]
    r = w.run([mtasts, "resolve", "--direct", "--json", "--timeout", "3",
               "--dns-server", w.dns_server, "--ca-file", w.ca_file] + doms,
              timeout=30)
    lines = {}
    for x in r.stdout.splitlines():
        j = json.loads(x)
        lines[j["domain"]] = j
    want = {"all.sec": ("dane-only", "dane-only"),
            "some.sec": ("dane", "dane"),
            "bogus.sec": ("temp", None),
            "unsigned.test": ("no-dane", None),
            "hang.sec": (None, None)}
    for d, (verdict, postfix) in want.items():
        j = lines.get(d, {})
        t.is_((j.get("dane", {}).get("verdict"), j.get("postfix")),
              (verdict, postfix), "resolve --direct --json %s: DANE %s, "
              "postfix %s" % (d, verdict, postfix))
    t.is_([(h["name"], h["tlsa"]) for h in
           lines.get("some.sec", {}).get("dane", {}).get("hosts", [])],
          [("mx1.some.sec", "usable"), ("mx2.some.sec", "none")],
          "resolve --direct --json: TLSA per MX host")
    t.is_(lines.get("hang.sec", {}).get("dane", {}).get("why"),
          "no answer within --timeout", "resolve --direct: the DANE check "
          "keeps to --timeout")
    r = w.run([mtasts, "resolve", "--direct", "--timeout", "3",
               "--dns-server", w.dns_server, "--ca-file", w.ca_file,
               "some.sec"], timeout=30)
    t.ok("DANE: dane, MX RRset secure: only some MX hosts have TLSA "
         "records" in r.stdout and
         "TLSA _25._tcp.mx2.some.sec: none (nxdomain)" in r.stdout and
         "postfix with dane = yes: dane (DANE first)" in r.stdout,
         "resolve --direct (human): verdict, TLSA per MX host, the "
         "Postfix answer", got=r.stdout)


def probe(w, driver, name):
    r = w.run([driver, "--dns-server", w.dns_server, "--probe", name],
              timeout=30)
    try:
        return json.loads(r.stdout)["result"]
    except (ValueError, KeyError):
        return "driver rc %s: %s" % (r.rc, r.stderr.strip())


def check(t, got, domain, verdict, why, mx, hosts):
    if got is None:
        t.ok(False, "%s: reported" % domain)
        return
    t.is_(got["verdict"], verdict, "%s: verdict" % domain)
    t.is_(got["why"], why, "%s: why" % domain)
    t.is_(got["mx"], mx, "%s: MX RRset %s" % (domain, mx))
    t.is_({h["name"]: h["tlsa"] for h in got["hosts"]}, hosts,
          "%s: TLSA per MX host" % domain)


def main():
    build_dir = os.environ.get("MTASTS_BUILDDIR") or os.getcwd()
    driver = os.path.join(build_dir, "tests", "integ", "dane_driver")
    reason = skip_reason(("ldns-signzone", "ldns-keygen"))
    if reason is None and not os.access(driver, os.X_OK):
        reason = "%s not built" % driver
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        build(w)
        w.start()
        r, out = run(w, driver, [c[0] for c in CASES])
        t.is_(r.rc, 0, "driver exit status (%s)" % r.stderr.strip())
        for domain, _, verdict, why, mx, hosts in CASES:
            check(t, out.get(domain), domain, verdict, why, mx, hosts)
        t.ok(out.get("all.sec", {}).get("ttl", 0) > 0,
             "all.sec: the verdict has a TTL to be cached for")

        cli(t, w)
        t.is_(probe(w, driver, "sec"), "validating",
              "probe: the signed TLD's DNSKEY validates")
        t.is_(probe(w, driver, "test"), "not-validating",
              "probe: an unsigned name cannot tell (the probe name must "
              "be under the trust anchor)")
        t.is_(probe(w, driver, "."), "not-validating",
              "probe: the root (no trust anchor in the world)")

        # Cancelled checks (at once, and with TLSA lookups in flight:
        # hang.sec's for sure) never report; the checks started after
        # them still do.
        doms = ["all.sec", "some.sec", "bogus.sec", "unsigned.test",
                "hang.sec"]
        r = w.run([driver, "--dns-server", w.dns_server, "--cancel"] + doms,
                  timeout=60)
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        t.is_(r.rc, 0, "cancel: exit status (%s)" % r.stderr.strip())
        t.is_(sorted(x.get("domain", "?") for x in lines), sorted(doms),
              "cancel: one report per domain, none from a cancelled check")

        # DANE appears, then goes: the answer follows the zone.
        w.add_record("_25._tcp.mx.notlsa.sec", "TLSA", USABLE)
        w.apply()
        _, out = run(w, driver, ["notlsa.sec"])
        t.is_(out.get("notlsa.sec", {}).get("verdict"), "dane-only",
              "TLSA added to a signed host: dane-only")
        w.remove_records("_25._tcp.mx.notlsa.sec", "TLSA")
        w.apply()
        _, out = run(w, driver, ["notlsa.sec"])
        t.is_(out.get("notlsa.sec", {}).get("verdict"), "no-dane",
              "TLSA removed again: no DANE")

    with World(validate=False) as w:
        build(w)
        w.start()
        r, out = run(w, driver, ["all.sec", "bogus.sec"])
        t.is_(r.rc, 0, "no validation: driver exit status")
        t.is_(probe(w, driver, "sec"), "not-validating",
              "no validation: the probe says so")
        for d in ("all.sec", "bogus.sec"):
            got = out.get(d, {})
            t.is_((got.get("verdict"), got.get("mx")), ("no-dane",
                                                         "insecure"),
                  "no validation: %s looks unsigned" % d)
    sys.exit(t.done())


if __name__ == "__main__":
    main()
