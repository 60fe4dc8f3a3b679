#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""crash.py: kill -9 at random moments, and nothing acknowledged is lost.

usage: crash.py [--rounds N] [--domains N] [--seed S]
  (make check runs the default, 3 rounds; CRASH_ROUNDS in the
  environment overrides it; docs/PERFORMANCE.md has a 100-round run)

One daemon (mtastsd -T) in a test world of --domains MTA-STS domains
(enforce, max_age one year).  Each round:
  1. start the daemon on the cache the previous round left; it must
     open it (start and accept) and must not find it damaged;
  2. move its clock to round x 1 day (test.clock: every cached policy
     is due for its daily refetch, so refreshes store while lookups
     run);
  3. every domain acknowledged so far must still have its policy
     (cache.show: present, decodable, the world's id);
  4. load: 8 connections look up domains (new ones, which discovers and
     stores them, and cached ones, which refreshes them) while, after a
     random 50-800 ms, the daemon is killed with SIGKILL.
A domain is "acknowledged" when a socketmap lookup of it answered its
policy (OK): the lookup service commits a discovered policy before it
answers (resolver/lookup.c), so that answer proves the commit.  A write
that failed would show as a cache-error in the log: none may appear.
Prints the counts; TAP.  Not root or a tool missing: SKIP.
"""

import argparse
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from daemon import Client, Daemon, mtastsd_binary, run_skip_reason  # noqa: E402
from world import Tap, World, policy_text  # noqa: E402

USER = "nobody"
YEAR = 31557600
DAY = 86400
CONNS = 8
NEW_P = 0.05    # share of lookups that take a domain never looked up


def name(i):
    return "c%d.crash.test" % i


def want_ok(i):
    return "OK secure match=mx%d.crash.test servername=hostname" % i


class Load:
    """CONNS threads of socketmap lookups until the daemon dies."""

    def __init__(self, d, rng, ndomains, first_new):
        self.d, self.rng, self.n = d, rng, ndomains
        self.next_new = first_new
        self.lock = threading.Lock()
        self.acked, self.wrong = set(), []
        self.lookups = 0

    def pick(self):
        with self.lock:
            if self.next_new < self.n and (self.next_new == 0 or
                                           self.rng.random() < NEW_P):
                self.next_new += 1
                return self.next_new - 1
            return self.rng.randrange(max(self.next_new, 1))

    def run(self):
        try:
            c = Client(self.d, timeout=5)
        except OSError:
            return
        try:
            while True:
                i = self.pick()
                r = c.sockmap(name(i))
                if r is None:
                    return
                with self.lock:
                    self.lookups += 1
                    if r == want_ok(i):
                        self.acked.add(i)
                    elif not r.startswith("NOTFOUND"):
                        self.wrong.append((i, r))
        except (OSError, EOFError, ValueError):
            return
        finally:
            c.close()


def check_acked(d, acked, ids):
    """Domains of `acked` whose policy is missing or wrong."""
    lost = []
    c = Client(d, timeout=30)
    try:
        for i in sorted(acked):
            r = c.json({"op": "cache.show", "domain": name(i)})
            p = r.get("policy") if r else None
            if not p or p.get("corrupt") or p.get("id") != ids[i]:
                lost.append((i, p))
    finally:
        c.close()
    return lost


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int,
                    default=int(os.environ.get("CRASH_ROUNDS", "3")))
    ap.add_argument("--domains", type=int, default=400)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    binary = mtastsd_binary()
    reason = world.skip_reason() or run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    rng = random.Random(a.seed)
    t.diag("seed %d, %d rounds, %d domains" % (a.seed, a.rounds, a.domains))
    with World() as w:
        ids = {}
        for i in range(a.domains):
            dom = w.add_domain(name(i), policy=policy_text(
                mx=["mx%d.crash.test" % i], max_age=YEAR))
            ids[i] = dom.id
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, binary, "crash", 0, user=USER, lookup_timeout=5)
        acked, opened, lost_total, kills = set(), 0, [], 0
        lookups, errors, first_new, stores = 0, [], 0, 0
        for rnd in range(a.rounds):
            if not d.start():
                t.ok(False, "round %d: the daemon starts" % rnd)
                t.diag(d.log()[-2000:])
                break
            opened += 1
            log = d.log()
            if "cache damaged" in log:
                errors.append("round %d: cache damaged" % rnd)
            c = Client(d)
            c.json({"op": "test.clock", "advance": rnd * DAY})
            c.close()
            lost = check_acked(d, acked, ids)
            lost_total += [(rnd, x) for x in lost]
            load = Load(d, rng, a.domains, first_new)
            th = [threading.Thread(target=load.run) for _ in range(CONNS)]
            for x in th:
                x.start()
            time.sleep(rng.uniform(0.05, 0.8))
            os.kill(d.p.pid, signal.SIGKILL)
            kills += 1
            d.p.wait(10)
            for x in th:
                x.join(15)
            acked |= load.acked
            first_new = load.next_new
            lookups += load.lookups
            if load.wrong:
                errors.append("round %d: wrong answers %r" %
                              (rnd, load.wrong[:3]))
            log = d.log()
            stores += log.count("policy stored")
            if "cache-error" in log:
                errors.append("round %d: a cache error in the log" % rnd)
        # A last start: everything acknowledged is there.
        ok_start = d.start()
        if ok_start:
            opened += 1
            lost_total += [(a.rounds, x) for x in check_acked(d, acked,
                                                               ids)]
            d.p.terminate()
            d.p.wait(10)
        t.is_(opened, a.rounds + 1, "every start opened the cache "
              "(%d kills)" % kills)
        t.is_(lost_total, [], "no acknowledged policy lost: %d "
              "acknowledged, checked after each of %d restarts" %
              (len(acked), opened))
        t.is_(errors, [], "no damaged cache, cache error or wrong answer")
        t.ok(len(acked) > 0 and lookups > 0, "load ran: %d lookups, %d "
             "policies stored (discoveries and refetches), %d domains "
             "acknowledged" % (lookups, stores, len(acked)))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
