#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""list_precedence.py: TAP test of where the STARTTLS Policy List stands
among the answers of mtastsd (docs/DESIGN.md §Lookup: cached MTA-STS >
fresh MTA-STS > list > nothing; MTA-STS testing and none beat the list).

One daemon in a test world (tests/lib/world.py), pinned to a key made at
test time, installs a list served over HTTPS (tests/integ/list_world.py)
in which every domain below is listed in mode enforce with list-only mx
patterns, then each case is asked through the JSON op resolve and
through socketmap:
  - no TXT record, a negative entry, a DNS SERVFAIL, a policy host that
    answers 404, an invalid policy, a discovery that outlives the wait
    (deadline): the list's answer, source "starttls-list";
  - MTA-STS testing, MTA-STS none: NOTFOUND from MTA-STS (source
    "mta-sts"), whatever the list says;
  - fresh MTA-STS enforce: the MTA-STS mx, not the list's;
  - cached MTA-STS enforce whose host then fails: the cached MTA-STS
    answer;
  - a list answer is never stored as an MTA-STS policy (cache.show);
  - a testing entry: NOTFOUND by default, the list's answer after
    starttls_list_enforce_testing = yes (SIGHUP);
  - an unlisted domain: NOTFOUND; stats count the list answers;
  - cache.flush empties the MTA-STS cache, not the list;
  - when the clock passes the list's expiry (test.clock): no list answer.
Not root or a tool missing: SKIP.
"""

import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from daemon import mtastsd_binary, run_skip_reason  # noqa: E402
from world import Tap, World, policy_text, sts_txt  # noqa: E402
from list_world import (DAY, ListKey, ListServer, enforce, json_op,  # noqa: E402
                        list_daemon, list_skip_reason, make_list, resolve,
                        sockmap, subset, testing, update)

USER = "nobody"
LOOKUP_TIMEOUT = 2


def listed(domain):
    return ["mx.list." + domain]


def ok_value(mx):
    return "secure match=%s servername=hostname" % ":".join(
        m[1:] if m.startswith("*.") else m for m in mx)


# (domain, world setup, want JSON source, want socketmap, name)
def cases():
    sts = ["mx.sts.%s" % "fresh.test"]
    return [
        ("notxt.test", {}, "starttls-list", "OK " + ok_value(
            listed("notxt.test")), "no TXT record"),
        ("servfail.test", {"txt_dns": "servfail", "policy": policy_text()},
         "starttls-list", "OK " + ok_value(listed("servfail.test")),
         "TXT lookup SERVFAIL"),
        ("404.test", {"policy": policy_text(), "http": {"status": 404}},
         "starttls-list", "OK " + ok_value(listed("404.test")),
         "policy fetch fails (HTTP 404)"),
        ("badpolicy.test", {"policy": "version: STSv1\nmode: bogus\n"},
         "starttls-list", "OK " + ok_value(listed("badpolicy.test")),
         "invalid policy"),
        ("hang.test", {"policy": policy_text(), "fault": "http-hang"},
         "starttls-list", "OK " + ok_value(listed("hang.test")),
         "discovery outlives the wait (deadline)"),
        ("testing.test", {"policy": policy_text(
            mode="testing", mx=["mx.sts.testing.test"])}, "mta-sts",
         "NOTFOUND ", "MTA-STS testing beats the list"),
        ("none.test", {"policy": policy_text(mode="none", mx=[])},
         "mta-sts", "NOTFOUND ", "MTA-STS none beats the list"),
        ("fresh.test", {"policy": policy_text(mx=sts)}, "mta-sts",
         "OK " + ok_value(sts), "fresh MTA-STS enforce beats the list"),
    ]


def build_world(w):
    for domain, kw, _, _, _ in cases():
        w.add_domain(domain, **kw)
    w.add_domain("cached.test", policy=policy_text(mx=["mx.sts.cached.test"]))
    w.add_domain("unlisted.test")
    w.add_domain("ltesting.test")


def the_list(now):
    pol = {d: enforce(*listed(d)) for d, _, _, _, _ in cases()}
    pol["cached.test"] = enforce(*listed("cached.test"))
    pol["ltesting.test"] = testing(*listed("ltesting.test"))
    return make_list(now - 60, now + 7 * DAY, pol)


def check(t, d, domain, want_source, want_sockmap, name):
    r = resolve(d, domain)
    t.is_(r.get("source") if r else None, want_source,
          "%s: JSON source" % name, diag=r)
    t.is_(sockmap(d, domain), want_sockmap, "%s: socketmap" % name)
    return r


def test_cases(t, d):
    for domain, _, source, want, name in cases():
        r = check(t, d, domain, source, want, name)
        if source == "starttls-list":
            t.is_(subset(r, ["origin", "cached", "error"]),
                  {"origin": "starttls-list", "cached": False,
                   "error": None}, name + ": list answer fields")
            t.is_((r.get("policy") or {}).get("mx"), listed(domain),
                  name + ": the list's mx patterns")
    r = check(t, d, "notxt.test", "starttls-list", "OK " + ok_value(
        listed("notxt.test")), "negative entry cached")
    t.ok("txt-none" in r.get("detail", ""),
         "list answer says why MTA-STS gave nothing", got=r.get("detail"))
    r = json_op(d, {"op": "cache.show", "domain": "notxt.test"})
    t.is_(subset(r, ["policy"]), {"policy": None},
          "a list answer is never stored as an MTA-STS policy")
    t.ok(r.get("negative") is not None, "the negative entry is there",
         got=r)
    check(t, d, "unlisted.test", "none", "NOTFOUND ", "unlisted, no TXT")


def test_cached(t, w, d):
    check(t, d, "cached.test", "mta-sts",
          "OK " + ok_value(["mx.sts.cached.test"]), "cached: discovered")
    w.remove_host("mta-sts.cached.test")
    w.apply()
    r = check(t, d, "cached.test", "mta-sts",
              "OK " + ok_value(["mx.sts.cached.test"]),
              "cached MTA-STS beats the list (host gone)")
    t.ok(r.get("cached") is True, "cached: answered from the cache", got=r)
    # A new id: the next lookup's TXT re-check refetches, which fails.
    w.remove_records("_mta-sts.cached.test", "TXT")
    w.add_txt("_mta-sts.cached.test", sts_txt("rotated"))
    w.apply()
    mark = len(d.log())
    json_op(d, {"op": "test.clock", "advance": 7200})
    check(t, d, "cached.test", "mta-sts",
          "OK " + ok_value(["mx.sts.cached.test"]),
          "cached: answered while the refresh runs")
    t.ok(d.wait_log("cached.test: policy refresh failed", after=mark),
         "cached: the refresh failed (new id, host gone)")
    check(t, d, "cached.test", "mta-sts",
          "OK " + ok_value(["mx.sts.cached.test"]),
          "cached MTA-STS still beats the list after a failed refresh")


def test_testing_entry(t, d):
    r = check(t, d, "ltesting.test", "none", "NOTFOUND ",
              "list testing entry, default")
    t.ok("mode testing: not applied" in (r or {}).get("detail", ""),
         "testing entry: the detail says why", got=r)
    t.ok(d.hup({"starttls_list_enforce_testing": "yes"}),
         "SIGHUP: starttls_list_enforce_testing = yes")
    r = check(t, d, "ltesting.test", "starttls-list",
              "OK " + ok_value(listed("ltesting.test")),
              "list testing entry, enforce_testing = yes")
    t.is_((r.get("policy") or {}).get("mode"), "enforce",
          "enforced testing entry is answered as enforce")


def test_stats_and_expiry(t, d):
    st = d.stats()["service"]
    t.ok(st.get("list_hits", 0) >= 8 and st.get("list_testing", 0) >= 1,
         "stats count list answers and unapplied testing entries",
         got=st)
    r = json_op(d, {"op": "cache.flush"})
    t.ok(r.get("ok") and r.get("purged", 0) > 0, "cache.flush", got=r)
    r = json_op(d, {"op": "list.status"})
    t.is_(subset(r, ["installed", "in_force", "entries"]),
          {"installed": True, "in_force": True, "entries": 10},
          "cache.flush leaves the STARTTLS list installed")
    check(t, d, "notxt.test", "starttls-list", "OK " + ok_value(
        listed("notxt.test")), "after cache.flush")
    json_op(d, {"op": "test.clock", "advance": 8 * DAY})
    check(t, d, "notxt.test", "none", "NOTFOUND ",
          "after the list's expiry (clock moved)")
    r = json_op(d, {"op": "list.status"})
    t.is_(subset(r, ["expired", "in_force"]),
          {"expired": True, "in_force": False}, "status: expired")


def main():
    binary = mtastsd_binary()
    reason = world.skip_reason() or list_skip_reason() or \
        run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        build_world(w)
        srv = ListServer(w)
        w.start()
        os.chmod(w.dir, 0o711)
        srv.start()
        key = ListKey(w.dir)
        try:
            fpr = key.new_key("list")
            data = the_list(int(time.time()))
            srv.publish(data, key.sign(fpr, data))
            d = list_daemon(w, binary, "prec", 0, url="",
                            keyring=key.keyring(os.path.join(
                                w.dir, "test.gpg"), fpr), fpr=fpr,
                            user=USER, lookup_timeout=LOOKUP_TIMEOUT)
            if not t.ok(d.start(), "daemon starts"):
                t.diag(d.log()[-2000:])
                return t.done()
            r = update(d, srv.url())
            if not t.is_(subset(r, ["ok", "result"]),
                         {"ok": True, "result": "installed"},
                         "the test list is installed", diag=r):
                t.diag(d.log()[-2000:])
                return t.done()
            test_cases(t, d)
            test_cached(t, w, d)
            test_testing_entry(t, d)
            test_stats_and_expiry(t, d)
            w.stop_process(d.p)
        finally:
            key.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
