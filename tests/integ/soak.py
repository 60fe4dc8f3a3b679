#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""soak.py: the daemon over a long run of a changing world: memory and
descriptors stay flat, and the log says nothing that is not explained.

usage: soak.py [--secs S] [--domains N] [--seed S] [--dane]
  (make check runs 40 s; SOAK_SECS in the environment overrides it;
  docs/PERFORMANCE.md has a one-hour run)

One daemon (mtastsd -T; dane = no unless --dane: the world's zones are
not signed, and a DANE check that meets a DNS fault answers TEMP, which
is DANE's business, not the cache's) in a test world of --domains
MTA-STS domains
(enforce, max_age one day) and a STARTTLS list served over HTTPS and
signed with a key made for the run.  Every cycle (about 2 s):
  - the daemon's clock moves one hour (test.clock): TXT re-checks every
    cycle, refetches daily, expiry of what is no longer refreshed, and
    the sweeper's work (test.sweep every 10 cycles);
  - 3 domains get a new policy id and a new mx;
  - DNS faults (SERVFAIL, hang) are switched on for 2 domains and off
    for the 2 of the cycle before;
  - every 5 cycles a newer list is published and list.update fetches
    it;
  - 4 connections keep looking up every domain (socketmap), and every
    answer must be the domain's current policy, its previous one, or
    NOTFOUND for a domain with a fault (never a wrong mx);
  - the daemon's RSS (and anonymous part) and open descriptors are
    sampled.
At the end: RSS and descriptors after the first tenth against the end
(flat: RSS within 25% and 4 MiB, descriptors within 8), and the log's
warnings counted by kind: a kind that is not expected from the faults
above fails the test.  TAP.  Not root or a tool missing: SKIP.
"""

import argparse
import collections
import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from daemon import Client, mtastsd_binary, run_skip_reason  # noqa: E402
from list_world import (DAY, ListKey, ListServer, enforce,  # noqa: E402
                        list_daemon, list_skip_reason, make_list, update)
from world import Tap, World, policy_text, sts_txt  # noqa: E402

USER = "nobody"
HOUR = 3600
CONNS = 4

# Warnings the run's own faults explain (a regular expression each).
EXPECTED = [
    r"policy refresh failed",            # a fault while a policy is cached
    r"TEST MODE",                        # -T
    r"test\.clock",
    r"STARTTLS list: .*(newer|installed|unchanged)",
    r"similar messages suppressed",
    # w.apply() restarts unbound every cycle: a list fetch that resolves
    # its host in that window fails and is tried again later.
    r"STARTTLS list update from .* failed: fetch-failed: .*no address",
]


def dom(i):
    return "s%d.soak.test" % i


class State:
    """What each domain may answer: any of its policies that was the
    live one less than max_age (one day: 24 cycles) ago, since a cached
    policy is kept while refreshes fail (RFC 8461 §3.3)."""

    def __init__(self, n):
        self.lock = threading.Lock()
        self.mx = {i: ["mx%d-0.soak.test" % i] for i in range(n)}
        self.hist = {i: [] for i in range(n)}   # (mx, replaced at cycle)
        self.cycle = 0
        self.wrong = []
        self.lookups = 0

    def replace(self, i, mx):
        with self.lock:
            self.hist[i].append((self.mx[i], self.cycle))
            self.mx[i] = mx

    def ok(self, i, reply):
        with self.lock:
            self.lookups += 1
            if reply is None or reply.startswith("NOTFOUND") or \
                    reply.startswith("TEMP"):
                return True     # faults, deadlines: never a wrong mx
            valid = [self.mx[i]] + [mx for mx, c in self.hist[i]
                                    if self.cycle - c <= 25]
            for mx in valid:
                if reply == "OK secure match=%s servername=hostname" % \
                        ":".join(mx):
                    return True
            self.wrong.append((dom(i), reply))
            return False


def load(d, st, stop, rng):
    c = None
    while not stop.is_set():
        try:
            if c is None:
                c = Client(d, timeout=30)
            i = rng.randrange(len(st.mx))
            st.ok(i, c.sockmap(dom(i)))
            time.sleep(0.002)
        except (OSError, EOFError, ValueError):
            c = None
            time.sleep(0.1)
    if c is not None:
        c.close()


def publish(srv, key, fpr, cycle):
    """A list newer than the last (its timestamp is now)."""
    now = int(time.time())
    data = make_list(now, now + 10 * 366 * DAY, {
        "listed%d.test" % k: enforce("mx.listed.test")
        for k in range(cycle, cycle + 20)})
    srv.publish(data, key.sign(fpr, data))


def sanitized(pid):
    """True when the daemon runs with AddressSanitizer, whose
    quarantine keeps freed memory: its RSS says nothing about leaks."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def sample(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                out[k] = int(v.split()[0])
    out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return out


def warning_kinds(log):
    """Log lines that are warnings or errors, by kind (digits and
    domains blanked)."""
    kinds = collections.Counter()
    for line in log.splitlines():
        msg = line.split(": ", 1)[1] if ": " in line else line
        kinds[re.sub(r"[a-z0-9.-]+\.test|\d+", "#", msg)[:90]] += 1
    return kinds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secs", type=int,
                    default=int(os.environ.get("SOAK_SECS", "40")))
    ap.add_argument("--domains", type=int, default=60)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--dane", action="store_true")
    a = ap.parse_args()
    binary = mtastsd_binary()
    reason = world.skip_reason() or list_skip_reason() or \
        run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    rng = random.Random(a.seed)
    t.diag("seed %d, %d s, %d domains" % (a.seed, a.secs, a.domains))
    st = State(a.domains)
    with World() as w:
        hosts = {}
        for i in range(a.domains):
            d_ = w.add_domain(dom(i), policy=policy_text(mx=st.mx[i]),
                              policy_id="v0")
            hosts[i] = d_
        srv = ListServer(w)
        w.start()
        os.chmod(w.dir, 0o711)
        srv.start()
        key = ListKey(w.dir)
        try:
            fpr = key.new_key("soak")
            publish(srv, key, fpr, 0)   # before the daemon's first fetch
            d = list_daemon(w, binary, "soak", 0, url=srv.url(),
                            keyring=key.keyring(os.path.join(
                                w.dir, "soak.gpg"), fpr), fpr=fpr,
                            user=USER, lookup_timeout=2)
            d.opts["log_level"] = "info"
            d.opts["dane"] = "yes" if a.dane else "no"
            d.write_conf()
            if not t.ok(d.start(), "daemon starts"):
                t.diag(d.log()[-2000:])
                return t.done()
            stop = threading.Event()
            th = [threading.Thread(target=load, args=(
                d, st, stop, random.Random(a.seed + k)))
                for k in range(CONNS)]
            for x in th:
                x.start()
            asan = sanitized(d.p.pid)
            samples, cycle, version = [], 0, {i: 0 for i in hosts}
            faults, t_end = [], time.monotonic() + a.secs
            while time.monotonic() < t_end:
                cycle += 1
                with st.lock:
                    st.cycle = cycle
                c = Client(d)
                c.json({"op": "test.clock", "advance": HOUR})
                if cycle % 10 == 0:
                    c.json({"op": "test.sweep"})
                c.close()
                for i in rng.sample(sorted(hosts), 3):
                    version[i] += 1
                    mx = ["mx%d-%d.soak.test" % (i, version[i])]
                    h = hosts[i]
                    w.set_policy(h.host, policy_text(mx=mx))
                    w.remove_records(h.txt_name, "TXT")
                    w.add_txt(h.txt_name, sts_txt("v%d" % version[i]))
                    st.replace(i, mx)
                for name in faults:
                    w.clear_dns_fault(name)
                faults = [dom(i) for i in rng.sample(sorted(hosts), 2)]
                for k, name in enumerate(faults):
                    w.dns_fault(name, ("servfail", "hang")[k % 2])
                w.apply()
                if cycle % 5 == 0:
                    publish(srv, key, fpr, cycle)
                    update(d)
                samples.append(sample(d.p.pid))
                time.sleep(max(0.0, min(2.0, t_end - time.monotonic())))
            stop.set()
            for x in th:
                x.join(60)
            svc = d.stats()["service"]
            t.diag("DANE checks %s, answers by verdict %s" % (
                svc.get("dane_checks"), svc.get("dane_answers")))
            log = d.log()
            d.p.terminate()
            d.p.wait(10)
        finally:
            key.close()
        warm = samples[max(0, len(samples) // 10 - 1)] if samples else {}
        last = samples[-1] if samples else {}
        peak = max((s["VmRSS"] for s in samples), default=0)
        t.diag("cycles %d, lookups %d; RSS after warm-up %d KiB (anon %d), "
               "end %d KiB (anon %d), peak %d KiB; descriptors %d -> %d" % (
                   cycle, st.lookups, warm.get("VmRSS", 0),
                   warm.get("RssAnon", 0), last.get("VmRSS", 0),
                   last.get("RssAnon", 0), peak, warm.get("fds", 0),
                   last.get("fds", 0)))
        t.ok(cycle >= 5 and st.lookups > 100, "the soak ran: %d cycles, "
             "%d lookups" % (cycle, st.lookups))
        t.is_(st.wrong[:5], [], "every answer was a current or previous "
              "policy, or no policy")
        grow = last.get("VmRSS", 0) - warm.get("VmRSS", 0)
        if asan:
            t.skip("RSS flat", "AddressSanitizer's quarantine keeps "
                   "freed memory (%+d KiB)" % grow)
        else:
            t.ok(grow <= max(4096, warm.get("VmRSS", 0) // 4),
                 "RSS flat: %+d KiB after warm-up" % grow)
        t.ok(last.get("fds", 0) - warm.get("fds", 0) <= 8,
             "descriptors flat: %d -> %d" % (warm.get("fds", 0),
                                            last.get("fds", 0)))
        kinds = warning_kinds("\n".join(
            line for line in log.splitlines()
            if re.search(r"warn|fail|error|fatal|cannot|refused", line)))
        unexplained = {k: n for k, n in kinds.items()
                       if not any(re.search(e, k) for e in EXPECTED)}
        for k, n in kinds.most_common():
            t.diag("log: %6d x %s" % (n, k))
        t.is_(unexplained, {}, "no warning or error the faults do not "
              "explain")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
