#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""list_update.py: TAP test of the STARTTLS Policy List inside mtastsd:
the bundled copy at start-up, updates over HTTPS, the rejections that
keep the installed list in force, expiry and restarts.

The real daemon runs in a test world (tests/lib/world.py) as nobody;
lists are signed at test time by throwaway keys (tests/integ/
list_world.py: gpg in a private GNUPGHOME) and served over HTTPS by a
small server in the world's namespace with a certificate of the
world's CA.  Checked through the JSON ops list.status, list.update,
list.show and resolve, socketmap, the mtasts CLI and the daemon's log:
  - bundled: EFF's list verifies at start-up against EFF's key, shows
    as installed from "bundled", expired, not in force; it is not
    applied; a restart finds it stored ("unchanged");
  - a current test-key list is fetched by the schedule at start-up,
    verified and applied; list.update installs a newer one (entries
    added and removed), the same one again is "unchanged";
  - rejected, previous list kept in force: one changed byte, a
    signature by another key, an older timestamp, an older signature
    time, malformed JSON variants, a missing signature (404); bad
    requests (bad URL) are refused;
  - expiry: a list that expires while installed stops being applied,
    the log says so once; a newer list restores it;
  - a restart keeps the URL-installed list in force before any fetch;
  - mtasts list status|update|show --daemon and their exit statuses;
  - the parse runs off the event loop: with the parse worker held 3 s
    (-T and MTASTSD_TEST_LIST_HOLD_MS), lookups and list.status are
    answered at once meanwhile, with the previous state in force.
The binary is $MTASTSD (else src/mtastsd under $MTASTS_BUILDDIR), the
CLI $MTASTS.  Not root, a tool missing: SKIP.
"""

import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from daemon import mtastsd_binary, run_skip_reason  # noqa: E402
from world import Tap, World  # noqa: E402
from list_world import (DAY, EFF_FPR, EFF_SUB, ListKey, ListServer,  # noqa: E402
                        copy_bundle, enforce, iso, json_op, list_daemon,
                        list_skip_reason, make_list, resolve, sockmap,
                        status, subset, testing, update, wait_status)

USER = "nobody"
OK_V1 = "OK secure match=mx.a.test:.a.test servername=hostname"


def build(t, now):
    """The lists: v1 (current), v2 (newer: b added, gone removed)."""
    v1 = make_list(now - 3600, now + 7 * DAY, {
        "a.test": enforce("mx.a.test", ".a.test"),
        "gone.test": enforce("mx.gone.test"),
        "t.test": testing("mx.t.test")})
    v2 = make_list(now - 1800, now + 7 * DAY, {
        "a.test": enforce("mx.a.test", ".a.test"),
        "b.test": {"policy-alias": "prov"},
        "t.test": testing("mx.t.test")},
        aliases={"prov": enforce(".mx.provider.test")})
    return v1, v2


def test_bundled(t, w, binary):
    bundle, eff_keyring = copy_bundle(w)
    d = list_daemon(w, binary, "bundled", 0, bundle=bundle,
                    keyring=eff_keyring, user=USER)
    if not t.ok(d.start(), "bundled: daemon starts"):
        t.diag(d.log()[-2000:])
        return
    r = wait_status(d, lambda r: r.get("last_attempt") is not None)
    want = {"ok": True, "enabled": True, "installed": True,
            "in_force": False, "expired": True, "source": "bundled",
            "signer": EFF_SUB, "primary": EFF_FPR,
            "signed": "2020-05-20T17:25:12Z",
            "timestamp": "2020-05-20T17:25:12Z",
            "expires": "2020-06-03T17:25:12Z", "entries": 926,
            "enforce": 361, "testing": 565, "url": None}
    t.is_(subset(r, want), want, "bundled: verified with EFF's key at "
          "start-up; installed, expired, not in force")
    t.is_(subset(r.get("last_attempt"), ["source", "result", "ok"]),
          {"source": "bundled", "result": "installed", "ok": True},
          "bundled: the start-up attempt installed it")
    t.is_(sorted(os.listdir(d.state)), ["data.mdb", "lock.mdb"],
          "bundled: the verification's private directory is gone from "
          "state_dir")
    t.ok(d.wait_log("STARTTLS Policy List EXPIRED on 2020-06-03"),
         "bundled: the log says loudly that it expired")
    log = d.log()
    t.is_(log.count("STARTTLS Policy List EXPIRED"), 1,
          "bundled: said once at start")
    t.ok("dl.eff.org" not in log and "fetching" not in log,
         "bundled: no URL by default, nothing fetched")
    r = resolve(d, "gmail.com")
    t.is_(subset(r, ["source", "policy", "verdict"]),
          {"source": "none", "policy": None, "verdict": "NOTFOUND"},
          "bundled: an expired list is never applied (gmail.com)")
    r = json_op(d, {"op": "list.show", "domain": "GMail.com."})
    t.is_(subset(r, ["domain", "listed", "mode", "in_force", "applied",
                     "postfix"]),
          {"domain": "gmail.com", "listed": True, "mode": "enforce",
           "in_force": False, "applied": False, "postfix": None},
          "bundled: list.show finds the entry, not applied")
    r = update(d)
    t.is_(subset(r, ["ok", "error"]), {"ok": False, "error": "no-url"},
          "bundled: list.update without a URL is refused")
    p = cli(binary, "status", "--socket", d.sock)
    t.ok(p.returncode == 1 and b"EXPIRED since 2020-06-03T17:25:12Z" in
         p.stdout and b"source:       bundled" in p.stdout,
         "bundled: mtasts list status says EXPIRED, exit 1",
         diag="%d %r %r" % (p.returncode, p.stdout, p.stderr))
    w.stop_process(d.p)
    t.ok(d.start(), "bundled: restart")     # a new log file
    t.ok(d.wait_log("stored list from bundled, 926 entries") and
         d.wait_log("from bundled: unchanged"),
         "bundled: after a restart the stored list is used and the "
         "bundled copy is not newer")
    w.stop_process(d.p)


def check_in_force(t, d, name, timestamp, entries):
    """The installed list is the one of `timestamp` and in force."""
    r = status(d)
    t.is_(subset(r, ["timestamp", "entries", "in_force"]),
          {"timestamp": iso(timestamp), "entries": entries,
           "in_force": True}, name + ": installed list unchanged")
    r = resolve(d, "a.test")
    t.is_(subset(r, ["source", "verdict", "postfix"]),
          {"source": "starttls-list", "verdict": "OK",
           "postfix": OK_V1[3:]}, name + ": a.test still answered "
          "from the list")


def reject(t, d, srv, data, sig, want, name, path="policy.json"):
    srv.publish(data, sig, path)
    r = update(d)
    t.is_(subset(r, ["ok", "error", "result"]),
          {"ok": False, "error": "update-failed", "result": want},
          name + ": list.update refused (%s)" % want,
          diag=r.get("detail") if r else None)


def test_updates(t, w, binary, key, kfpr, ofpr, keyring, srv):
    now = int(time.time())
    v1, v2 = build(t, now)
    srv.publish(v1, key.sign(kfpr, v1))
    d = list_daemon(w, binary, "updates", 0, url=srv.url(),
                    keyring=keyring, fpr=kfpr, user=USER)
    if not t.ok(d.start(), "updates: daemon starts"):
        t.diag(d.log()[-2000:])
        return
    r = wait_status(d, lambda r: r.get("installed"))
    want = {"installed": True, "in_force": True, "expired": False,
            "source": srv.url(), "primary": kfpr, "signer": kfpr,
            "timestamp": iso(now - 3600), "expires": iso(now + 7 * DAY),
            "entries": 3, "enforce": 2, "testing": 1}
    t.is_(subset(r, want), want, "v1 fetched by the start-up schedule, "
          "verified and installed")
    t.ok(r.get("next_update") is not None and r.get("last_success"),
         "the next fetch is scheduled", got=r)
    r = resolve(d, "a.test")
    t.is_(subset(r, ["source", "origin", "verdict", "postfix"]),
          {"source": "starttls-list", "origin": "starttls-list",
           "verdict": "OK", "postfix": OK_V1[3:]},
          "v1 applies: a.test (no MTA-STS) answered from the list")
    t.is_((r.get("policy") or {}).get("mx"), ["mx.a.test", "*.a.test"],
          "v1: the answer carries the list's mx patterns (*.x form)")
    t.is_(sockmap(d, "a.test"), OK_V1, "v1: socketmap answers OK")
    t.is_(sockmap(d, "gone.test"), "OK secure match=mx.gone.test "
          "servername=hostname", "v1: gone.test listed")
    srv.publish(v2, key.sign(kfpr, v2))
    r = update(d)
    t.is_(subset(r, ["ok", "result", "source"]),
          {"ok": True, "result": "installed", "source": srv.url()},
          "v2: list.update installs the newer list")
    t.is_(sockmap(d, "b.test"), "OK secure match=.mx.provider.test "
          "servername=hostname", "v2: b.test (alias) added")
    t.is_(sockmap(d, "gone.test"), "NOTFOUND ", "v2: gone.test removed")
    r = update(d)
    t.is_(subset(r, ["ok", "result"]), {"ok": True, "result": "unchanged"},
          "v2 again: unchanged")
    check_in_force(t, d, "v2", now - 1800, 3)
    test_cli(t, d, binary)
    test_rejections(t, d, srv, key, kfpr, ofpr, now, v2)
    test_expiry(t, w, d, srv, key, kfpr, now)
    return d


def cli(binary, *args):
    mtasts = os.environ.get("MTASTS") or os.path.join(
        os.path.dirname(binary), "mtasts")
    return subprocess.run([mtasts, "list"] + list(args), capture_output=True,
                          timeout=120)


def test_cli(t, d, binary):
    """mtasts list update|show|status through the daemon."""
    p = cli(binary, "update", "--socket", d.sock)
    t.ok(p.returncode == 0 and b": unchanged (" in p.stdout,
         "mtasts list update: unchanged, exit 0",
         diag="%d %r %r" % (p.returncode, p.stdout, p.stderr))
    p = cli(binary, "update", "--socket", d.sock, "--url", "http://x.test/")
    t.ok(p.returncode == 2 and b"bad-url" in p.stderr,
         "mtasts list update --url http://...: refused, exit 2",
         diag="%d %r %r" % (p.returncode, p.stdout, p.stderr))
    p = cli(binary, "show", "--socket", d.sock, "--json", "B.test.")
    t.ok(p.returncode == 0 and b'"listed":true' in p.stdout and
         b'"postfix":"secure match=.mx.provider.test servername=hostname"'
         in p.stdout, "mtasts list show --socket --json: listed, exit 0",
         diag="%d %r %r" % (p.returncode, p.stdout, p.stderr))
    p = cli(binary, "show", "--daemon", "--socket", d.sock, "gone.test")
    t.ok(p.returncode == 1 and b"not listed" in p.stdout,
         "mtasts list show --daemon: not listed, exit 1",
         diag="%d %r %r" % (p.returncode, p.stdout, p.stderr))
    p = cli(binary, "status", "--socket", d.sock)
    t.ok(p.returncode == 0 and b"list:         in force until" in p.stdout,
         "mtasts list status: in force, exit 0",
         diag="%d %r %r" % (p.returncode, p.stdout, p.stderr))


def flip_byte(data):
    """One changed byte that keeps the JSON valid ("a.test" -> "c.test"
    is not in v2, so the parser would accept it)."""
    b = bytearray(data)
    b[b.index(b'"a.test"') + 1] ^= 2
    return bytes(b)


def test_rejections(t, d, srv, key, kfpr, ofpr, now, v2):
    v3 = make_list(now - 60, now + 7 * DAY, {
        "a.test": enforce("mx.a.test", ".a.test"),
        "x.test": enforce("mx.x.test")})
    reject(t, d, srv, flip_byte(v3), key.sign(kfpr, v3), "bad-signature",
           "one changed byte")
    reject(t, d, srv, v3, key.sign(ofpr, v3), "wrong-key",
           "signed by another key")
    old = make_list(now - 7200, now + 7 * DAY,
                    {"a.test": enforce("mx.old.test")})
    reject(t, d, srv, old, key.sign(kfpr, old), "rollback",
           "older timestamp")
    reject(t, d, srv, v3, key.sign(kfpr, v3, at=now - DAY), "rollback",
           "older signature time")
    variants = [
        ("truncated JSON", v3[:len(v3) // 2]),
        ("a JSON array", b"[1, 2]"),
        ("no policies", make_list(now, now + DAY, {})
         .replace(b'"policies"', b'"polices"')),
        ("dangling alias", make_list(now, now + DAY, {
            "a.test": {"policy-alias": "missing"}})),
        ("mode none", make_list(now, now + DAY, {
            "a.test": {"mode": "none", "mxs": ["mx.a.test"]}})),
        ("empty mxs", make_list(now, now + DAY, {"a.test": enforce()})),
        ("trailing garbage", v3 + b"}"),
        ("version 0.2", make_list(now, now + DAY, {}, version="0.2")),
        ("bad date", make_list(now, "2026-13-01T00:00:00Z", {})),
    ]
    for name, data in variants:
        reject(t, d, srv, data, key.sign(kfpr, data), "invalid",
               "malformed: " + name)
    srv.publish(v3, None)
    r = update(d)
    t.is_(subset(r, ["ok", "result"]), {"ok": False,
                                        "result": "fetch-failed"},
          "no policy.json.asc (404): fetch-failed")
    r = update(d, "https://nowhere.test/policy.json")
    t.ok(subset(r, ["ok", "result"]) == {"ok": False,
                                         "result": "fetch-failed"} and
         "no address" in r.get("detail", ""),
         "a host without an address: fetch-failed", got=r)
    r = update(d, "https://list.test:8443/policy.json")
    t.is_(subset(r, ["ok", "result"]), {"ok": False,
                                        "result": "fetch-failed"},
          "nothing listening on the port: fetch-failed", diag=r)
    check_in_force(t, d, "after all rejections", now - 1800, 3)
    r = status(d)
    t.is_(subset(r.get("last_attempt"), ["result", "ok"]),
          {"result": "fetch-failed", "ok": False},
          "status shows the last attempt and its error")
    r = update(d, "http://list.test/policy.json")
    t.is_(subset(r, ["ok", "error"]), {"ok": False, "error": "bad-url"},
          "list.update with an http:// URL is refused")
    r = json_op(d, {"op": "list.update", "url": 7})
    t.is_(subset(r, ["ok", "error"]), {"ok": False, "error": "bad-request"},
          "list.update with a non-string url is refused")


def test_expiry(t, w, d, srv, key, kfpr, now):
    """A list that expires while installed; then a fresh one."""
    soon = int(time.time()) + 4
    v4 = make_list(now - 30, soon, {"a.test": enforce("mx.a.test",
                                                       ".a.test")})
    srv.publish(v4, key.sign(kfpr, v4), "other/policy.json")
    r = update(d, srv.url("other/policy.json"))
    t.is_(subset(r, ["ok", "result", "source"]),
          {"ok": True, "result": "installed",
           "source": srv.url("other/policy.json")},
          "list.update --url: another URL, installed")
    t.is_(sockmap(d, "a.test"), OK_V1, "short-lived list applies")
    mark = len(d.log())
    t.ok(d.wait_log("STARTTLS Policy List EXPIRED on " + iso(soon),
                    after=mark, timeout=15),
         "the daemon warns when the installed list expires")
    t.is_(sockmap(d, "a.test"), "NOTFOUND ", "expired list: not applied")
    r = status(d)
    t.is_(subset(r, ["installed", "expired", "in_force"]),
          {"installed": True, "expired": True, "in_force": False},
          "status: installed, expired, not in force")
    log = d.log()[mark:]
    t.is_(log.count("STARTTLS Policy List EXPIRED"), 1,
          "the expiry is logged once, not per lookup")
    v5 = make_list(now - 10, now + 7 * DAY, {
        "a.test": enforce("mx.a.test", ".a.test")})
    srv.publish(v5, key.sign(kfpr, v5))
    r = update(d)
    t.is_(subset(r, ["ok", "result"]), {"ok": True, "result": "installed"},
          "a fresh list after the expired one: installed")
    t.is_(sockmap(d, "a.test"), OK_V1, "fresh list applies again")


def test_restart(t, w, d, srv):
    srv.remove("policy.json")
    w.stop_process(d.p)
    t.ok(d.start(), "restart")     # a new log file
    t.is_(sockmap(d, "a.test"), OK_V1,
          "after a restart the stored list applies at once")
    t.ok(d.wait_log("STARTTLS list: stored list from %s" % srv.url()),
         "the log names the stored list")
    w.stop_process(d.p)


HOLD_MS = 3000


def test_off_loop(t, w, binary, key, kfpr, keyring, srv):
    """The parse worker is held HOLD_MS: an update takes that long, and
    lookups during it are answered without waiting for it."""
    now = int(time.time())
    v1, _ = build(t, now)
    srv.publish(v1, key.sign(kfpr, v1))
    d = list_daemon(w, binary, "offloop", 0, keyring=keyring, fpr=kfpr,
                    user=USER)
    if not t.ok(d.start(wrap=("env", "MTASTSD_TEST_LIST_HOLD_MS=%d" %
                               HOLD_MS)), "off-loop: daemon starts"):
        t.diag(d.log()[-2000:])
        return
    before = sockmap(d, "a.test")
    res = {}
    th = threading.Thread(target=lambda: res.update(r=update(d, srv.url())))
    t0 = time.monotonic()
    th.start()
    lat, answers, updating = [], set(), []
    while th.is_alive() and time.monotonic() - t0 < 30:
        s0 = time.monotonic()
        answers.add(sockmap(d, "a.test"))
        lat.append(time.monotonic() - s0)
        updating.append(bool(status(d).get("updating")))
        time.sleep(0.02)
    th.join(30)
    took = time.monotonic() - t0
    r = res.get("r") or {}
    t.is_(r.get("result"), "installed", "off-loop: the held update installs")
    t.ok(took >= HOLD_MS / 1000.0, "off-loop: the update waited for the "
         "held parse", got=took)
    # Generous: a lookup is well under a millisecond; the parse is held
    # for 3 s.  Over 1 s would mean the loop waited for the worker.
    t.ok(len(lat) >= 10 and max(lat) < 1.0, "off-loop: lookups answered "
         "while the parse was held", got={"n": len(lat),
                                          "max": max(lat or [0])})
    t.ok(sum(updating) >= 5, "off-loop: list.status answered and said "
         "updating meanwhile", got=sum(updating))
    t.is_(sorted(answers), [before], "off-loop: the previous state stays "
          "in force until the install")
    t.is_(sockmap(d, "a.test"), OK_V1, "off-loop: then the new list applies")
    w.stop_process(d.p)


def main():
    binary = mtastsd_binary()
    reason = world.skip_reason() or list_skip_reason() or \
        run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        srv = ListServer(w)
        w.start()
        os.chmod(w.dir, 0o711)
        srv.start()
        key = ListKey(w.dir)
        try:
            kfpr = key.new_key("list")
            ofpr = key.new_key("other")
            # Both keys in the keyring: gpgv accepts the other one too,
            # the pinned fingerprint must refuse it.
            keyring = key.keyring(os.path.join(w.dir, "test.gpg"), kfpr,
                                  ofpr)
            test_bundled(t, w, binary)
            test_off_loop(t, w, binary, key, kfpr, keyring, srv)
            d = test_updates(t, w, binary, key, kfpr, ofpr, keyring, srv)
            if d is not None:
                test_restart(t, w, d, srv)
        finally:
            key.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
