#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""lookup_dane.py: DANE in the lookup service (resolver/lookup.c, conf.dane).

A test world signs the TLD "sec" (tests/lib/world.py sign_tld) and its
unbound validates it; "test" stays unsigned.  tests/integ/lookup_driver
runs with --dane (and once without) and every answer is checked for its
MTA-STS part (unchanged by DANE) and its DANE verdict:
  all MX with TLSA + MTA-STS policy  -> policy, dane-only
  some MX with TLSA                  -> policy, dane
  signed, no TLSA + policy           -> policy, no DANE (today's answer)
  unsigned zone with TLSA + policy   -> policy, no DANE (not trusted)
  bogus TLSA signature               -> dane temp
  DANE off                           -> no DANE, no check
  TLSA never answered                -> MTA-STS at the wait, then temp
and the cache: the second lookup is synchronous with the cached verdict,
read from the copy in the policy record (version 4, one read), or from
the "dane" record when the policy has no copy (as an older mtastsd
wrote it),
a cached MTA-STS domain gains DANE at its next re-check once TLSA is
published, and goes back to MTA-STS alone once it is withdrawn.
"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from world import Tap, World, policy_text  # noqa: E402
from lookup import Driver  # noqa: E402

USABLE = "3 1 1 " + "2b" * 32
# The world's record TTL, so the verdict's life: the MX RRset's TTL
# bounds it even where no TLSA record has one.
TTL = world.DEFAULT_TTL


def policy_for(domain, hosts):
    return policy_text(mx=hosts)


def add(w, domain, hosts, tlsa):
    """domain with an MTA-STS policy naming `hosts`, MX records to them,
    and TLSA records on the hosts in `tlsa`."""
    d = w.add_domain(domain, policy=policy_for(domain, hosts), mx=hosts)
    for h in hosts:
        w.add_address(h, "127.0.0.1")
        if h in tlsa:
            w.add_record("_25._tcp." + h, "TLSA", USABLE)
    return d


def setup(w):
    w.sign_tld("sec")
    d = {}
    d["all"] = add(w, "all.sec", ["mx1.all.sec", "mx2.all.sec"],
                   ["mx1.all.sec", "mx2.all.sec"])
    d["some"] = add(w, "some.sec", ["mx1.some.sec", "mx2.some.sec"],
                    ["mx1.some.sec"])
    d["plain"] = add(w, "plain.sec", ["mx.plain.sec"], [])
    d["uns"] = add(w, "uns.test", ["mx.uns.test"], ["mx.uns.test"])
    d["bogus"] = add(w, "bogus.sec", ["mx.bogus.sec"], ["mx.bogus.sec"])
    w.break_signature("_25._tcp.mx.bogus.sec", "TLSA")
    # TLSA queries never answered: the DANE check outlasts the waits.
    d["hang"] = add(w, "hang.sec", ["mx.hang.sec"], ["mx.hang.sec"])
    w.dns_fault("_25._tcp.mx.hang.sec", "hang")
    return d


def want(t, a, name, status, dane, sync=None, cached=None):
    got = (a.get("status"), a.get("dane"))
    t.is_(got, (status, dane), "%s: %s, DANE %s" % (name, status, dane),
          diag=None if got == (status, dane) else
          "error %s detail %s dane_why %s" % (a.get("error"),
                                              a.get("detail"),
                                              a.get("dane_why")))
    if sync is not None:
        t.is_(a.get("sync"), sync, "%s: %s" % (name, "synchronous" if sync
                                                 else "waited"))
    if cached is not None:
        t.is_(a.get("dane_cached"), cached, "%s: verdict %s" % (
            name, "from the cache" if cached else "fresh"))


VERDICT = {"none": 0, "dane": 1, "dane-only": 2, "temp": 3}


def want_copy(t, dr, name, dane):
    """The policy record carries the verdict's copy (one read when hot)."""
    c = (dr.get(name).get("policy") or {}).get("dane")
    t.is_(c and c["verdict"], VERDICT[dane], "%s: the policy record's "
          "copy of the verdict is %s" % (name, dane))
    return c


def case_table(t, dr, d):
    rows = [("all", "policy", "dane-only"), ("some", "policy", "dane"),
            ("plain", "policy", "none"), ("uns", "policy", "none"),
            ("bogus", "policy", "temp")]
    for key, status, dane in rows:
        a = dr.query("t1-" + key, d[key].name)
        want(t, a, "%s first lookup" % d[key].name, status, dane,
             sync=False, cached=False)
        t.is_(a.get("source"), "discovery", "%s: MTA-STS discovered "
              "beside the DANE check" % d[key].name)
    for key, status, dane in rows:
        a = dr.query("t2-" + key, d[key].name)
        want(t, a, "%s second lookup" % d[key].name, status, dane,
             sync=True, cached=True)
        c = want_copy(t, dr, d[key].name, dane)
        t.ok(c is not None and c["expires_at"] > c["checked_at"],
             "%s: the copy has the verdict's life" % d[key].name)
    a = dr.query("why", d["some"].name)
    t.is_(a.get("dane_why"), "only some MX hosts have TLSA records",
          "dane_why says why DANE did not reach dane-only")
    # A policy written without the copy (older mtastsd): the "dane"
    # record answers, unchanged.
    dr.nodanecopy(d["all"].name)
    t.is_(dr.get(d["all"].name)["policy"]["dane"], None,
          "a policy record without the copy")
    a = dr.query("nocopy", d["all"].name)
    want(t, a, "no copy: the verdict from the dane record", "policy",
         "dane-only", sync=True, cached=True)
    st = dr.stats()
    t.is_(st["dane_checks"], len(rows), "one DANE check per domain")
    t.ok(st["dane_answers"][2] >= 2, "stats count dane-only answers")


def case_appears(t, w, dr, d):
    p = d["plain"]
    w.add_record("_25._tcp.mx.plain.sec", "TLSA", USABLE)
    w.apply()
    a = dr.query("ap1", p.name)
    want(t, a, "TLSA published, verdict still fresh", "policy", "none",
         sync=True)
    dr.advance(TTL * 3 // 4 + 1)
    a = dr.query("ap2", p.name)
    want(t, a, "past 3/4 of its life: cached answer, re-check starts",
         "policy", "none", sync=True, cached=True)
    dr.idle()
    a = dr.query("ap3", p.name)
    want(t, a, "after the re-check: DANE wins", "policy", "dane-only",
         sync=True, cached=True)
    want_copy(t, dr, p.name, "dane-only")


def case_disappears(t, w, dr, d):
    p = d["plain"]
    w.remove_records("_25._tcp.mx.plain.sec", "TLSA")
    w.apply()
    dr.advance(TTL * 3 // 4 + 1)
    a = dr.query("gone1", p.name)
    want(t, a, "TLSA withdrawn: cached dane-only, re-check starts",
         "policy", "dane-only", sync=True)
    dr.idle()
    a = dr.query("gone2", p.name)
    want(t, a, "after the re-check: back to MTA-STS alone", "policy",
         "none", sync=True)
    want_copy(t, dr, p.name, "none")


def case_expired(t, dr, d):
    a = d["all"]
    dr.advance(TTL + 1)
    r = dr.query("exp1", a.name)
    want(t, r, "verdict expired, policy cached: waits for the DANE check",
         "policy", "dane-only", sync=False, cached=False)
    t.is_(r.get("source"), "cache", "expired verdict: MTA-STS answer "
          "still from the cache")
    c = want_copy(t, dr, a.name, "dane-only")
    r = dr.query("exp2", a.name)
    want(t, r, "the fresh check renewed the copy", "policy", "dane-only",
         sync=True, cached=True)
    t.ok(c is not None and c["checked_at"] >= c["expires_at"] - TTL,
         "the copy is the fresh verdict's")


def case_late(t, dr, d):
    """DANE later than the caller's wait: MTA-STS as without DANE.  The
    TLSA query is dropped, so c-ares gives up after 1 + 2 s (the
    driver's dns timeout and tries); the waits of 600 ms end first."""
    h = d["hang"]
    a = dr.query("late1", h.name, wait=600)
    want(t, a, "first use, DANE late: the discovered MTA-STS policy",
         "policy", "none", sync=False)
    t.is_(a.get("dane_why"), "the DANE check did not end within the "
          "lookup wait", "first use, DANE late: says why")
    a = dr.query("late2", h.name, wait=600)
    want(t, a, "second lookup, DANE still late: the policy again",
         "policy", "none", sync=False)
    dr.idle(timeout=60)
    a = dr.query("late3", h.name, wait=600)
    want(t, a, "after the check timed out: TEMP (a signed domain)",
         "policy", "temp", sync=True, cached=True)
    dr.advance(61)          # LOOKUP_DANE_LIFE_TEMP: expired
    a = dr.query("late4", h.name, wait=600)
    want(t, a, "policy cached, verdict expired, DANE late again: the "
         "cached policy at the wait", "policy", "none", sync=False)
    t.is_((a.get("source"), a.get("dane_why")), ("cache", "the DANE check "
          "did not end within the lookup wait"), "... from the cache, "
          "saying why")
    dr.idle(timeout=60)


def case_off(t, w, binary, d):
    dr = Driver(w, binary, "off")
    try:
        a = dr.query("off1", d["all"].name)
        want(t, a, "DANE off", "policy", "none")
        t.is_(dr.stats()["dane_checks"], 0, "DANE off: no DANE check")
    finally:
        t.is_(dr.close(), 0, "DANE off driver: clean exit")


def main():
    reason = world.skip_reason(("ldns-signzone", "ldns-keygen"))
    build = os.environ.get("MTASTS_BUILDDIR") or os.getcwd()
    binary = os.path.abspath(os.path.join(build, "tests", "integ",
                                          "lookup_driver"))
    if reason is None and not os.access(binary, os.X_OK):
        reason = "no lookup_driver at %s" % binary
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        d = setup(w)
        w.start()
        dr = Driver(w, binary, "dane", "--dane")
        try:
            case_table(t, dr, d)
            case_appears(t, w, dr, d)
            case_disappears(t, w, dr, d)
            case_expired(t, dr, d)
            case_late(t, dr, d)
        finally:
            t.is_(dr.close(), 0, "driver: clean exit")
        case_off(t, w, binary, d)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
