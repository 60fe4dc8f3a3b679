#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""lookup.py: TAP test of resolver/lookup.c (the policy service) against
real DNS and HTTPS (tests/lib/world.py), with a controllable clock.

The service runs in tests/integ/lookup_driver (built by make check),
inside the world's namespace, with its own LMDB cache; this script
sends it commands (query, move the clock, reopen the cache, ...) and
reads its JSON lines (lookup_driver.c lists the commands).  Checked:
  - cold lookup -> discovery -> stored; the next lookup is a synchronous
    cache hit; 100 simultaneous cold lookups make one DNS query per
    name (counted in unbound's query log) and one HTTPS fetch;
  - TXT id change after txt_recheck_interval -> the old policy is still
    answered at once, a background refetch stores the new one; the same
    id only moves txt_checked_at (no fetch);
  - a failed refresh keeps the valid policy (failures, retry_at,
    last_error stored; no refresh during the backoff, then doubling);
  - TXT gone (NXDOMAIN) keeps a valid policy until it expires, then
    "no record";
  - expiry with a failing server -> discovery, never the stale policy;
  - negative entries: txt-none (no-record), SERVFAIL (dns-error, a
    shorter TTL), invalid policy, HTTP 404, no policy host; doubling;
  - the caller's wait: a hung server answers "deadline" within wait +
    1 s, the discovery goes on, and a later lookup finds the policy once
    the server recovers; wait 0; a wait above wait_ms is cut to it;
  - limits: waiters per domain, pending domains, background refreshes;
  - cancel, a corrupt record (deleted, treated as a miss), a failed
    cache write (the policy is still answered), a nested lookup from a
    callback, and a restart (reopened cache answers without the
    network).
Needs root, unbound, nginx, python3-cryptography; otherwise SKIP.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from world import Tap, World, policy_text, sts_txt  # noqa: E402

T0 = 1700000000          # the driver's clock at start
WAIT = 5000              # ms a caller waits in most cases
LOOKUP_TIMEOUT = 4000    # ms, the background job's own deadline
CAP = 2000               # ms, wait_ms of the limits driver (the fetch
                         # itself times out after 3000 ms)
RECHECK = 3600           # refresh_conf_default(): TXT re-check
REFETCH = 86400          # refetch interval / refresh_before
BACKOFF = 300            # backoff_min
NEG_NO_RECORD = 900      # negative TTLs (refresh_conf_default)
NEG_DNS = 60
NEG_FETCH = 300
MX = ["mx1.example.test", "*.example.net"]
P_WEEK = policy_text(mx=MX, max_age=604800)
P_DAY = policy_text(mx=MX, max_age=86400)
# Valid, and about 60 KB: too big for the 64 KiB map of the "tiny" driver.
P_BIG = policy_text(mx=MX, max_age=604800,
                    extra=["pad%d: %s" % (i, "x" * 90) for i in range(600)])


class Driver:
    """lookup_driver inside the namespace, spoken to line by line."""

    def __init__(self, w, binary, name, *extra):
        self.w = w
        cache = os.path.join(w.dir, "cache-" + name)
        log = open(os.path.join(w.dir, "logs", "driver-%s.log" % name), "ab")
        argv = [binary, "--cache-dir", cache, "--dns-server",
                w.dns_server, "--ca-file", w.ca_file,
                "--lookup-timeout-ms", str(LOOKUP_TIMEOUT),
                "--wait-ms", str(WAIT), "--clock", str(T0)] + list(extra)
        self.p = subprocess.Popen(w.argv(argv), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=log,
                                  start_new_session=True)
        log.close()
        self.buf = b""
        self.lines = []       # not yet consumed (other than answers)
        self.answers = {}     # tag -> [answer, ...]
        self.events = []
        self.clock = T0
        self.next("ready")

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def _read(self, deadline):
        """One more JSON line into the queues; False at the deadline."""
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return False
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("lookup_driver exited (rc %s)"
                                   % self.p.poll())
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        obj = json.loads(line)
        if obj["ev"] == "answer":
            self.answers.setdefault(obj["tag"], []).append(obj)
        elif obj["ev"] == "event":
            self.events.append(obj)
        else:
            self.lines.append(obj)
        return True

    def next(self, ev, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, obj in enumerate(self.lines):
                if obj["ev"] == ev:
                    return self.lines.pop(i)
                if obj["ev"] == "error":
                    raise RuntimeError("driver: %s" % obj)
            if not self._read(deadline):
                raise RuntimeError("no %r line within %ss" % (ev, timeout))

    def answer(self, tag, n=1, timeout=30):
        """The first n answers of tag (waits for them)."""
        deadline = time.monotonic() + timeout
        while len(self.answers.get(tag, [])) < n:
            if not self._read(deadline):
                break
        got = self.answers.get(tag, [])
        return got[0] if n == 1 and got else got

    def query(self, tag, domain, wait=WAIT, timeout=30):
        self.send("q %s %s %d" % (tag, domain, wait))
        return self.answer(tag, timeout=timeout)

    def advance(self, secs):
        self.clock += secs
        self.send("advance %d" % secs)
        self.next("ok")

    def idle(self, timeout=30):
        self.send("idle")
        return self.next("idle", timeout)

    def stats(self):
        self.send("stats")
        return self.next("stats")

    def get(self, domain):
        self.send("get " + domain)
        return self.next("record")

    def nodanecopy(self, domain):
        self.send("nodanecopy " + domain)
        return self.next("ok")

    def drain(self, secs):
        """Read whatever arrives for secs (answers that must not)."""
        deadline = time.monotonic() + secs
        while self._read(deadline):
            pass

    def close(self):
        if self.p.poll() is None:
            try:
                self.send("quit")
                self.p.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        return self.p.returncode


def fetches(w, host, at_least=0, timeout=5.0):
    """HTTPS requests for host in nginx's access log.  nginx logs a
    request after sending the answer, so the line may come a moment
    after our client has it: wait (bounded) for at_least lines."""
    deadline = time.monotonic() + timeout
    while True:
        n = sum(1 for r in w.access_log() if r["host"] == host)
        if n >= at_least or time.monotonic() > deadline:
            return n
        time.sleep(0.01)        # polls a condition, bounded


def pol(a):
    return (a or {}).get("policy") or {}


def summary(a):
    """The fields a check compares, for got/want messages."""
    if not a:
        return None
    return {"status": a["status"], "source": a["source"],
            "error": a["error"], "sync": a["sync"],
            "id": pol(a).get("id"), "mx": pol(a).get("mx")}


def want_policy(t, a, name, id_, source, sync, mx=MX, mode="enforce"):
    want = {"status": "policy", "source": source, "error": None,
            "sync": sync, "id": id_, "mx": mx}
    got = summary(a)
    ok = got == want and pol(a).get("mode") == mode
    return t.ok(ok, name, got=dict(got or {}, mode=pol(a).get("mode")),
                want=dict(want, mode=mode))


def want_none(t, a, name, error, source, sync, status="none"):
    want = {"status": status, "source": source, "error": error,
            "sync": sync, "id": None, "mx": None}
    return t.ok(summary(a) == want, name, got=summary(a), want=want)


def setup(w):
    d = {}
    d["cold"] = w.add_domain("cold.test", policy=P_WEEK)
    d["flood"] = w.add_domain("flood.test", policy=P_WEEK)
    d["zero"] = w.add_domain("zero.test", policy=P_WEEK)
    d["none"] = w.add_domain("modenone.test", policy=policy_text(
        mode="none", mx=[], max_age=86400))
    d["rotate"] = w.add_domain("rotate.test", policy=P_WEEK,
                               policy_id="r1")
    d["keep"] = w.add_domain("keep.test", policy=P_WEEK)
    d["expire"] = w.add_domain("expire.test", policy=P_DAY)
    d["gone"] = w.add_domain("txtgone.test", policy=P_DAY)
    d["nxd"] = w.add_domain("nxd.test")
    d["servfail"] = w.add_domain("servfail.test", policy=P_WEEK,
                                 txt_dns="servfail")
    d["invalid"] = w.add_domain("invalid.test", policy="mode: enforce\n")
    d["s404"] = w.add_domain("status404.test", policy=None,
                             http={"status": 404})
    d["hostnone"] = w.add_domain("hostnone.test", txt=[sts_txt("h1")])
    d["hang"] = w.add_domain("hang.test", policy=P_WEEK, fault="http-hang")
    d["hang2"] = w.add_domain("hang2.test", policy=P_WEEK,
                              fault="tls-hang")
    d["corrupt"] = w.add_domain("corrupt.test", policy=P_WEEK)
    d["newer"] = w.add_domain("newer.test", policy=P_WEEK)
    d["restart"] = w.add_domain("restart.test", policy=P_WEEK)
    d["big"] = w.add_domain("big.test", policy=P_BIG)
    for i in (1, 2, 3, 4):
        d["slow%d" % i] = w.add_domain("slow%d.test" % i, policy=P_WEEK,
                                       fault="http-hang")
    for i in (1, 2):
        d["refr%d" % i] = w.add_domain("refr%d.test" % i, policy=P_WEEK)
    return d


def case_cold(t, w, dr, d):
    c = d["cold"]
    a = dr.query("cold1", c.name)
    want_policy(t, a, "cold: discovered and answered", c.id, "discovery",
                False)
    r = dr.get(c.name)
    # P_WEEK is the canonical rendering with CRLF line ends: kept as
    # text form 2 (store/record.h), and regenerated to its full length.
    t.is_((pol(r).get("fetched_at"), pol(r).get("text_len"),
           pol(r).get("text_form"), r["negative"]),
          (T0, len(P_WEEK), 2, None),
          "cold: stored with fetched_at = now and the raw text")
    a = dr.query("cold2", c.name)
    want_policy(t, a, "cold: second lookup is a synchronous cache hit",
                c.id, "cache", True)
    t.is_(fetches(w, c.host, 1), 1, "cold: one HTTPS fetch in all")
    dr.advance(10)
    a = dr.query("cold3", c.name)
    t.is_((a["age"], a["expires_in"]), (10, 604800 - 10),
          "cold: age and expires_in follow the clock")


def case_flood(t, w, dr, d):
    f = d["flood"]
    before = dr.stats()
    dr.send("flood fl %s 100 %d" % (f.name, WAIT))
    fl = dr.next("flooded")
    got = dr.answer("fl", n=100)
    after = dr.stats()
    t.is_(fl["pending"], 100, "flood: 100 cold lookups all pending")
    good = [a for a in got if summary(a) == {
        "status": "policy", "source": "discovery", "error": None,
        "sync": False, "id": f.id, "mx": MX}]
    t.is_(len(good), 100, "flood: 100 answers with the policy")
    t.is_(fetches(w, f.host, 1), 1,
          "flood: one HTTPS fetch for 100 lookups")
    # Counted by the DNS server: coalescing lives in lookup.c only
    # (resolve.c runs one discovery per call), so this fails if lookup.c
    # ever starts a resolve per caller.
    t.is_([len(w.dns_queries(n, q)) for n, q in (
        ("_mta-sts." + f.name, "TXT"), (f.host, "A"), (f.host, "AAAA"))],
          [1, 1, 1], "flood: one _mta-sts TXT, one A, one AAAA query "
          "for 100 lookups")
    t.is_(after["discoveries"] - before["discoveries"], 1,
          "flood: one discovery started")


def case_zero_and_none(t, w, dr, d):
    z = d["zero"]
    a = dr.query("zero1", z.name, wait=0)
    want_none(t, a, "wait 0: cold domain answered 'deadline' at once",
              "deadline", "none", True)
    dr.idle()
    a = dr.query("zero2", z.name, wait=0)
    want_policy(t, a, "wait 0: background discovery filled the cache",
                z.id, "cache", True)
    n = d["none"]
    a = dr.query("none1", n.name)
    want_policy(t, a, "mode none: stored and answered as a policy", n.id,
                "discovery", False, mx=[], mode="none")
    a = dr.query("none2", n.name)
    want_policy(t, a, "mode none: then from the cache", n.id, "cache", True,
                mx=[], mode="none")
    # Both cached: the callback of the first looks up the second.
    dr.send("qq nest %s %s" % (d["cold"].name, n.name))
    a, b = dr.answer("nest"), dr.answer("nest-nested")
    t.ok(summary(a) == dict(summary(a) or {}, id=d["cold"].id, mx=MX) and
         summary(b) == dict(summary(b) or {}, id=n.id, mx=[]) and
         a["i"] == b["i"] == 0 and a["sync"] and b["sync"],
         "nested lookup from a callback leaves the outer answer intact",
         got=[summary(a), summary(b)], want="cold then modenone, both sync")


def neg_of(r):
    n = r.get("negative") or {}
    return (n.get("reason"), n.get("code"), n.get("count"),
            n.get("retry_at"))


def case_negative(t, w, dr, d):
    nxd, sf = d["nxd"], d["servfail"]
    a = dr.query("nxd1", nxd.name)
    want_none(t, a, "no TXT: txt-none", "txt-none", "discovery", False)
    t.is_(neg_of(dr.get(nxd.name)), ("no-record", "txt-none", 1,
                                     dr.clock + NEG_NO_RECORD),
          "no TXT: negative entry no-record, TTL 900 s")
    a = dr.query("nxd2", nxd.name)
    want_none(t, a, "no TXT: next lookup from the negative entry",
              "txt-none", "negative", True)
    a = dr.query("sf1", sf.name)
    want_none(t, a, "TXT SERVFAIL: dns-servfail", "dns-servfail",
              "discovery", False)
    t.is_(neg_of(dr.get(sf.name)), ("dns-error", "dns-servfail", 1,
                                    dr.clock + NEG_DNS),
          "TXT SERVFAIL: cached as dns-error (not no-record), TTL 60 s")
    a = dr.query("sf2", sf.name)
    want_none(t, a, "TXT SERVFAIL: next lookup from the negative entry",
              "dns-servfail", "negative", True)
    dr.advance(NEG_DNS + 1)
    a = dr.query("sf3", sf.name)
    want_none(t, a, "TXT SERVFAIL: after its TTL, discovered again",
              "dns-servfail", "discovery", False)
    t.is_(neg_of(dr.get(sf.name)), ("dns-error", "dns-servfail", 2,
                                    dr.clock + 2 * NEG_DNS),
          "TXT SERVFAIL: second result in a row doubles the TTL")
    a = dr.query("nxd3", nxd.name)
    t.is_(a and a["source"], "negative",
          "no TXT: still negative after 61 s (its own, longer TTL)")
    dr.advance(NEG_NO_RECORD)
    a = dr.query("nxd4", nxd.name)
    want_none(t, a, "no TXT: discovered again after 900 s", "txt-none",
              "discovery", False)
    t.is_(neg_of(dr.get(nxd.name))[2:], (2, dr.clock + 2 * NEG_NO_RECORD),
          "no TXT: backoff doubles (count 2, 1800 s)")
    for key, code, reason in (("invalid", "policy-invalid",
                               "policy-invalid"),
                              ("s404", "https-status", "fetch-error"),
                              ("hostnone", "host-none", "fetch-error")):
        a = dr.query("neg-" + key, d[key].name)
        want_none(t, a, "%s: answered none" % code, code, "discovery",
                  False)
        t.is_(neg_of(dr.get(d[key].name))[:3], (reason, code, 1),
              "%s: negative entry %s" % (code, reason))


def case_rotate(t, w, dr, d):
    r = d["rotate"]
    a = dr.query("rot1", r.name)
    want_policy(t, a, "rotate: policy r1 discovered", "r1", "discovery",
                False)
    new_mx = ["mx-new.rotate.test"]
    w.remove_records(r.txt_name, "TXT")
    w.add_txt(r.txt_name, sts_txt("r2"))
    w.set_policy(r.host, policy_text(mx=new_mx, max_age=604800))
    w.apply()
    before = dr.stats()
    a = dr.query("rot2", r.name)
    after = dr.stats()
    want_policy(t, a, "rotate: before the re-check interval, cached r1",
                "r1", "cache", True)
    t.is_(after["refreshes"], before["refreshes"],
          "rotate: no refresh before txt_recheck_interval")
    dr.advance(RECHECK + 1)
    a = dr.query("rot3", r.name)
    want_policy(t, a, "rotate: re-check due: old policy answered at once",
                "r1", "cache", True)
    dr.idle()
    a = dr.query("rot4", r.name)
    want_policy(t, a, "rotate: new id -> background refetch -> new policy",
                "r2", "cache", True, mx=new_mx)
    t.is_(fetches(w, r.host, 2), 2,
          "rotate: two fetches (discovery, refetch)")
    t.ok(any(e["kind"] == "stored" and e["domain"] == r.name and
             pol(e).get("id") == "r2" for e in dr.events),
         "rotate: 'stored' event for the new policy")
    dr.advance(RECHECK + 1)
    dr.query("rot5", r.name)
    dr.idle()
    rec = dr.get(r.name)
    t.is_((fetches(w, r.host), pol(rec).get("txt_checked_at"),
           pol(rec).get("fetched_at")),
          (2, dr.clock, dr.clock - RECHECK - 1),
          "rotate: same id on re-check: txt_checked_at moves, no fetch")


def case_keep(t, w, dr, d):
    k = d["keep"]
    a = dr.query("keep1", k.name)
    want_policy(t, a, "keep: discovered", k.id, "discovery", False)
    w.set_policy(k.host, None)          # nginx answers 404 from now on
    dr.advance(REFETCH + 1)
    before = dr.stats()
    a = dr.query("keep2", k.name)
    want_policy(t, a, "keep: refetch due: cached policy answered at once",
                k.id, "cache", True)
    dr.idle()
    mid = dr.stats()
    t.is_(mid["refreshes"] - before["refreshes"], 1,
          "keep: one background refetch")
    a = dr.query("keep3", k.name)
    want_policy(t, a, "keep: failed refetch keeps the valid policy", k.id,
                "cache", True)
    p = pol(dr.get(k.name))
    t.is_((p.get("failures"), p.get("retry_at"), p.get("last_error")),
          (1, dr.clock + BACKOFF, "https-status"),
          "keep: failures 1, retry_at now + 300 s, last_error stored")
    t.ok(any(e["kind"] == "refresh-failed" and e["domain"] == k.name
             for e in dr.events), "keep: 'refresh-failed' event")
    dr.query("keep4", k.name)
    t.is_(dr.stats()["refreshes"], mid["refreshes"],
          "keep: no refresh during the backoff")
    dr.advance(BACKOFF + 1)
    a = dr.query("keep5", k.name)
    dr.idle()
    p = pol(dr.get(k.name))
    t.is_((a["status"], p.get("failures"), p.get("retry_at")),
          ("policy", 2, dr.clock + 2 * BACKOFF),
          "keep: after the backoff, tried again; backoff doubles")


def case_expire(t, w, dr, d):
    e = d["expire"]
    a = dr.query("exp1", e.name)
    want_policy(t, a, "expire: discovered (max_age 86400)", e.id,
                "discovery", False)
    w.set_policy(e.host, None)
    dr.advance(86400)
    a = dr.query("exp2", e.name)
    t.is_((a["status"], a["source"], a["expires_in"]),
          ("policy", "cache", 0), "expire: valid at exactly max_age")
    dr.idle()
    dr.advance(1)
    a = dr.query("exp3", e.name)
    want_none(t, a, "expire: past max_age with the server failing: "
              "discovery, not the stale policy", "https-status",
              "discovery", False)


def case_txt_gone(t, w, dr, d):
    g = d["gone"]
    a = dr.query("gone1", g.name)
    want_policy(t, a, "TXT gone: discovered (max_age 86400)", g.id,
                "discovery", False)
    w.remove_records(g.txt_name, "TXT")
    w.apply()
    dr.advance(RECHECK + 1)
    dr.query("gone2", g.name)
    dr.idle()
    a = dr.query("gone3", g.name)
    want_policy(t, a, "TXT gone (NXDOMAIN): the valid policy is kept", g.id,
                "cache", True)
    p = pol(dr.get(g.name))
    t.is_((p.get("failures"), p.get("last_error")), (1, "txt-none"),
          "TXT gone: counted as a refresh failure")
    dr.advance(86400 - RECHECK)
    a = dr.query("gone4", g.name)
    want_none(t, a, "TXT gone: after expiry, no record", "txt-none",
              "discovery", False)


def case_deadline(t, w, dr, d):
    h = d["hang"]
    before = dr.stats()
    dr.send("q hang1 %s 1000" % h.name)
    dr.send("q hang2 %s 500" % h.name)
    a = dr.answer("hang1", timeout=10)
    b = dr.answer("hang2", timeout=10)
    want_none(t, a, "hung server: 'deadline' answer", "deadline", "none",
              False)
    # The driver's clock has millisecond steps: 990 is "1000".
    t.ok(a and 990 <= a["ms"] <= 2000, "hung server: answered within "
         "wait 1000 ms + 1 s", got=a and a["ms"], want="990..2000")
    t.ok(b and b["error"] == "deadline" and 490 <= b["ms"] < 1000,
         "hung server: second caller keeps its own wait (500 ms)",
         got=b and (b["error"], b["ms"]), want="deadline in 490..999 ms")
    t.is_(dr.stats()["discoveries"] - before["discoveries"], 1,
          "hung server: both callers share one discovery")
    # The server recovers while the discovery is still hung.
    w.remove_records(h.host, "A")
    w.add_address(h.host, "127.0.0.1")
    w.apply()
    dr.idle()
    t.is_(neg_of(dr.get(h.name))[:2], ("fetch-error", "https-timeout"),
          "hung server: background job ended at its own deadline, "
          "negative fetch-error")
    dr.advance(NEG_FETCH + 1)
    a = dr.query("hang3", h.name)
    want_policy(t, a, "hung server recovered: a later lookup finds the "
                "policy", h.id, "discovery", False)
    h2 = d["hang2"]
    dr.send("qc hangc %s 1000" % h2.name)
    dr.next("cancelled")
    dr.idle()
    t.is_(dr.answers.get("hangc"), None,
          "cancel: no answer after lookup_cancel, the job still ends")


def case_corrupt(t, w, dr, d):
    c = d["corrupt"]
    dr.query("cor1", c.name)
    dr.send("corrupt " + c.name)
    dr.next("ok")
    before = dr.stats()
    # One write: the record is read before the discovery can end.
    dr.send("q cor2 %s 0\nget %s" % (c.name, c.name))
    a, r = dr.answer("cor2"), dr.next("record")
    t.is_((a["error"], r["policy_result"]), ("deadline", "not-found"),
          "corrupt record: a miss; the bad record is deleted")
    dr.idle()
    a = dr.query("cor3", c.name)
    after = dr.stats()
    want_policy(t, a, "corrupt record: discovered and stored again", c.id,
                "cache", True)
    t.is_((after["corrupt"] - before["corrupt"],
           after["cache_errors"] - before["cache_errors"]), (1, 0),
          "corrupt record: counted as corrupt, not as a cache error")
    t.ok(any(e["kind"] == "corrupt" and e["domain"] == c.name
             for e in dr.events), "corrupt record: 'corrupt' event")


def case_newer(t, w, dr, d):
    """A record of a newer format: a miss that is never deleted; only a
    new result for the domain replaces it."""
    c = d["newer"]
    dr.query("new1", c.name)
    dr.send("newer " + c.name)
    dr.next("ok")
    before = dr.stats()
    dr.send("q new2 %s 0\nget %s" % (c.name, c.name))
    a, r = dr.answer("new2"), dr.next("record")
    t.is_((a["error"], r["policy_result"]), ("deadline", "newer"),
          "newer record: not served (a miss), and not deleted")
    dr.idle()
    a = dr.query("new3", c.name)
    after = dr.stats()
    want_policy(t, a, "newer record: the discovery's policy replaces it",
                c.id, "cache", True)
    t.is_((after["corrupt"] - before["corrupt"],
           after["cache_errors"] - before["cache_errors"]), (0, 0),
          "newer record: neither corrupt nor a cache error")
    # Discovery fails (no such domain): the newer record stays.
    gone = "newer-nosts.test"
    dr.send("newer " + gone)
    dr.next("ok")
    a = dr.query("new4", gone)
    dr.idle()
    dr.send("get " + gone)
    r = dr.next("record")
    t.is_((a["status"], r["policy_result"], r["negative_result"]),
          ("none", "newer", "ok"), "newer record: a failed discovery "
          "stores a negative entry beside it and leaves it in place")


def case_restart(t, w, dr, d):
    c = d["restart"]
    dr.query("restart0", c.name)
    n = fetches(w, c.host, 1)
    dr.send("reopen")
    dr.next("ok")
    a = dr.query("restart1", c.name)
    want_policy(t, a, "restart: reopened cache answers synchronously",
                c.id, "cache", True)
    dr.idle()
    t.is_(fetches(w, c.host), n, "restart: no network needed")
    s = dr.stats()
    t.is_((s["queries"], s["cache_hits"]), (1, 1),
          "restart: fresh counters")


def case_limits(t, w, binary, d):
    dr = Driver(w, binary, "limits", "--max-waiters", "5",
                "--max-pending", "2", "--max-refreshes", "1",
                "--wait-ms", str(CAP))
    try:
        dr.send("flood lim %s 8 2000" % d["slow1"].name)
        fl = dr.next("flooded")
        sync = [a for a in dr.answers.get("lim", []) if a["sync"]]
        t.is_((fl["pending"], len(sync), {a["error"] for a in sync}),
              (5, 3, {"overload"}),
              "limits: 5 waiters per domain, 3 more told 'overload'")
        dr.query("lim2", d["slow2"].name, wait=0)
        a = dr.query("lim3", d["slow3"].name)
        want_none(t, a, "limits: a third pending domain is 'overload'",
                  "overload", "none", True)
        t.is_(dr.stats()["overload"], 4, "limits: overload counted")
        dr.idle()
        dr.query("refr1", d["refr1"].name)
        dr.query("refr2", d["refr2"].name)
        dr.advance(RECHECK + 1)
        # One write: the driver runs all three before its loop can see
        # the re-check's DNS answer.
        dr.send("q refr1b %s %d\nq refr2b %s %d\nstats" % (
            d["refr1"].name, WAIT, d["refr2"].name, WAIT))
        a, b = dr.answer("refr1b"), dr.answer("refr2b")
        s = dr.next("stats")
        t.ok(a["status"] == b["status"] == "policy" and a["sync"] and
             b["sync"], "limits: both cached policies answered at once")
        t.is_((s["refreshes_running"], s["refresh_skipped"]), (1, 1),
              "limits: one background refresh, the second skipped")
        dr.idle()
        a = dr.query("capped", d["slow4"].name, wait=60000)
        t.ok(a and a["error"] == "deadline" and
             CAP - 10 <= a["ms"] < CAP + 400,
             "limits: a wait above wait_ms is cut to it (%d ms)" % CAP,
             got=a and (a["error"], a["ms"]),
             want="deadline in %d..%d ms" % (CAP - 10, CAP + 399))
    finally:
        t.is_(dr.close(), 0, "limits driver: clean exit")


def case_write_error(t, w, binary, d):
    dr = Driver(w, binary, "tiny", "--map", str(64 * 1024))
    try:
        b, c = d["big"], d["cold"]
        a = dr.query("tiny1", c.name)
        want_policy(t, a, "tiny map: a normal policy is stored", c.id,
                    "discovery", False)
        a = dr.query("tiny2", b.name)
        s = dr.stats()
        want_policy(t, a, "tiny map: a failed write still answers the "
                    "discovered policy", b.id, "discovery", False)
        t.ok(s["cache_errors"] >= 1 and any(
            e["kind"] == "cache-error" and e["domain"] == b.name
            for e in dr.events), "tiny map: the write error is reported",
            got=s["cache_errors"], want=">= 1 and an event")
        a = dr.query("tiny3", b.name)
        t.is_(a and (a["status"], a["sync"]), ("policy", False),
              "tiny map: not cached, so discovered again")
        a = dr.query("tiny4", c.name)
        t.is_(a and (a["source"], a["sync"]), ("cache", True),
              "tiny map: the small policy is still cached")
    finally:
        t.is_(dr.close(), 0, "tiny driver: clean exit")


def main():
    reason = world.skip_reason()
    build = os.environ.get("MTASTS_BUILDDIR") or os.getcwd()
    binary = os.path.abspath(os.environ.get("LOOKUP_DRIVER") or
                             os.path.join(build, "tests", "integ",
                                          "lookup_driver"))
    if reason is None and not os.access(binary, os.X_OK):
        reason = "no lookup_driver at %s" % binary
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World(log_queries=True) as w:
        d = setup(w)
        w.start()
        dr = Driver(w, binary, "main")
        try:
            for case in (case_cold, case_flood, case_zero_and_none,
                         case_negative, case_rotate, case_keep,
                         case_expire, case_txt_gone, case_deadline,
                         case_corrupt, case_newer, case_restart):
                case(t, w, dr, d)
        finally:
            t.is_(dr.close(), 0, "driver: clean exit")
        case_limits(t, w, binary, d)
        case_write_error(t, w, binary, d)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
