#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""list_fleet.py: TAP test of a fleet's own STARTTLS Policy List
(docs/fleet.md): what node A observed protects node B's first use.

In one test world (tests/lib/world.py):
  - node A (a daemon) learns N MTA-STS domains in enforce, one in
    testing and one whose max_age is below the floor; its test clock
    moves 8 days (the policies are refreshed, their history kept), and
    it learns one more domain then;
  - "mtasts list build" reads A's cache: the N domains, in enforce, with
    their mx patterns (".x" for "*.x"), the right timestamp, expires and
    author; the testing, short-lived and young domains are left out
    (--include-testing adds the testing one); two builds are byte for
    byte the same; the list validates against tests/data's schema (and
    EFF's, when $MTASTS_EFF_LIST_SCHEMA names it), "mtasts list verify"
    accepts it, and EFF's starttls-policy-cli (when
    $MTASTS_EFF_POLICY_CLI names its source) makes the same Postfix map
    of it as "mtasts list export-postfix";
  - contrib/fleet/mtasts-list-publish builds it again (the same bytes),
    signs it (gpg --detach-sign --armor, a key made here) and puts both
    files in the directory nginx in the world serves;
  - node B, with the URL and the pinned fingerprint, fetches it at
    start, and with every domain's _mta-sts TXT lookup failing (half
    SERVFAIL, half removed: the stripping attack) answers the N domains
    from the list, JSON and socketmap, and an unlisted stripped domain
    NOTFOUND;
  - a tampered list, a list signed by another key, an older list
    (rollback) and a list already expired are refused with a log line
    each, and the list in force stays;
  - one domain drops to mode none on A: the next build omits it, and
    after updating, B no longer answers it from the list.
Not root or a tool missing: SKIP.
"""

import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import world  # noqa: E402
from daemon import Daemon, mtastsd_binary, run_skip_reason  # noqa: E402
from world import Tap, World, policy_text, sts_txt  # noqa: E402
from list_world import (DAY, ListKey, iso, json_op, list_daemon,  # noqa: E402
                        list_skip_reason, resolve, sockmap, srcdir, status,
                        subset, update)

USER = "nobody"
N = 200
MAX_AGE = 30 * DAY
LIST_HOST = "fleet-list.test"
AUTHOR = "Example fleet <postmaster@fleet.test>"


def dom(i):
    return "f%03d.fleet.test" % i


def mxs(d):
    return ["mx." + d, "*.mail." + d]


def list_mxs(d):
    return ["mx." + d, ".mail." + d]


def ok_value(d):
    return "OK secure match=mx.%s:.mail.%s servername=hostname" % (d, d)


def mtasts_binary():
    return os.path.join(os.path.dirname(mtastsd_binary()), "mtasts")


def build_world(w, root):
    for i in range(N):
        w.add_domain(dom(i), policy=policy_text(mx=mxs(dom(i)),
                                                max_age=MAX_AGE))
    w.add_domain("tst.fleet.test", policy=policy_text(
        mode="testing", mx=["mx.tst.fleet.test"], max_age=MAX_AGE))
    w.add_domain("short.fleet.test", policy=policy_text(
        mx=["mx.short.fleet.test"], max_age=10 * DAY))
    w.add_domain("young.fleet.test", policy=policy_text(
        mx=["mx.young.fleet.test"], max_age=MAX_AGE))
    w.add_domain("unlisted.fleet.test", policy=policy_text(
        mx=["mx.unlisted.fleet.test"], max_age=MAX_AGE))
    # The list's HTTPS server: nginx, files from `root`.
    w.add_address(LIST_HOST, w.https_addr)
    w.add_host(LIST_HOST, None, http={"root": root})


def build(a, now, out, *extra):
    """mtasts list build on node A's cache; (returncode, stderr)."""
    p = subprocess.run([mtasts_binary(), "list", "build", "--state-dir",
                        a.state, "--author", AUTHOR, "--now", str(now),
                        "--min-max-age", "14d", "--output", out] +
                       list(extra), capture_output=True, timeout=120)
    return p.returncode, p.stderr.decode(errors="replace")


def learn(t, w, a):
    """Node A learns every domain; its clock moves 8 days; it learns
    young.fleet.test.  Returns A's clock then."""
    bad = [d for d in [dom(i) for i in range(N)] +
           ["tst.fleet.test", "short.fleet.test"]
           if (resolve(a, d) or {}).get("source") != "mta-sts"]
    t.is_(bad, [], "A: learned %d domains by MTA-STS" % (N + 2))
    r = json_op(a, {"op": "test.clock", "advance": 8 * DAY})
    # Lookups after 8 days refresh in the background (TXT, refetch):
    # the history must survive them.
    for d in (dom(0), dom(1), "tst.fleet.test"):
        resolve(a, d)
    resolve(a, "young.fleet.test")
    now = int(json_op(a, {"op": "test.clock", "advance": 0})["now"])
    r = json_op(a, {"op": "cache.show", "domain": dom(0)})
    pol = (r or {}).get("policy") or {}
    t.ok(isinstance(pol.get("enforce_since"), (int, float)) and
         now - 8 * DAY - 60 <= pol["enforce_since"] <= now - 8 * DAY and
         pol.get("testing_since") == pol["enforce_since"],
         "A: cache.show: f000 in enforce since it was learned, 8 days ago",
         got=pol)
    r = json_op(a, {"op": "cache.show", "domain": "tst.fleet.test"})
    pol = (r or {}).get("policy") or {}
    t.ok(pol.get("enforce_since", 0) is None and
         isinstance(pol.get("testing_since"), (int, float)),
         "A: cache.show: the testing domain has testing_since only",
         got=pol)
    return now


def check_list(t, path, now, want_domains, testing=()):
    with open(path, "rb") as f:
        data = f.read()
    try:
        obj = json.loads(data)
    except ValueError as e:
        t.ok(False, "the list is JSON", got=str(e))
        return data, {}
    pol = obj.get("policies", {})
    t.is_(sorted(pol), sorted(list(want_domains) + list(testing)),
          "list: exactly the domains seen long enough")
    bad = [d for d in want_domains
           if pol.get(d) != {"mode": "enforce", "mxs": list_mxs(d)}]
    t.is_(bad, [], "list: each in enforce with its mx patterns")
    for d in testing:
        t.is_(pol.get(d, {}).get("mode"), "testing",
              "list: %s listed as testing" % d)
    t.is_(subset(obj, ["timestamp", "expires", "version", "author",
                       "policy-aliases"]),
          {"timestamp": iso(now), "expires": iso(now + 14 * DAY),
           "version": "0.1", "author": AUTHOR, "policy-aliases": {}},
          "list: timestamp, expires (14 days), version, author")
    t.is_(list(pol), sorted(pol), "list: sorted by domain")
    return data, obj


def check_schema(t, obj):
    try:
        import jsonschema
    except ImportError:
        t.skip("schema: the list validates", "python3-jsonschema missing "
               "(Debian package python3-jsonschema)")
        return
    schemas = [os.path.join(srcdir(), "tests", "data",
                            "starttls-list.schema.json")]
    eff = os.environ.get("MTASTS_EFF_LIST_SCHEMA")
    if eff:
        schemas.append(eff)
    for path in schemas:
        with open(path) as f:
            schema = json.load(f)
        try:
            jsonschema.validate(obj, schema)
            t.ok(True, "schema: valid against %s" % os.path.basename(path))
        except jsonschema.ValidationError as e:
            t.ok(False, "schema: valid against %s" %
                 os.path.basename(path), got=str(e)[:500])


def test_build(t, w, a, root, key, fpr, keyring):
    now = learn(t, w, a)
    out = os.path.join(root, "policy.json")
    rc, err = build(a, now, out)
    t.ok(rc == 0 and "%d enforce, 0 testing listed" % N in err,
         "build: exit 0, the summary on stderr", got=(rc, err))
    t.ok("max-age 1 young 1 testing-not-asked 1 name 0 unreadable 0" in err,
         "build: the summary says what was left out and why", got=err)
    want = [dom(i) for i in range(N)]
    data, obj = check_list(t, out, now, want)
    rc2, _ = build(a, now, out + ".again")
    with open(out + ".again", "rb") as f:
        t.ok(rc2 == 0 and f.read() == data,
             "build: the same cache and --now give the same bytes")
    os.unlink(out + ".again")
    build(a, now, out + ".testing", "--include-testing")
    check_list(t, out + ".testing", now, want, testing=["tst.fleet.test"])
    os.unlink(out + ".testing")
    check_schema(t, obj)
    os.unlink(out)
    publish_script(t, a, root, key, fpr, keyring, now, data)
    p = subprocess.run([mtasts_binary(), "list", "verify", "--file", out,
                        "--keyring", keyring, "--fingerprint", fpr],
                       capture_output=True, timeout=60)
    t.ok(p.returncode == 0, "mtasts list verify accepts the signed list",
         got=(p.returncode, p.stdout[-300:], p.stderr[-300:]))
    check_eff_cli(t, w, out, keyring, fpr)
    return now, data


def check_eff_cli(t, w, path, keyring, fpr):
    """EFF's starttls-policy-cli (its source in the directory that
    $MTASTS_EFF_POLICY_CLI names; never part of this tree) turns the
    list into the same Postfix map as "mtasts list export-postfix", but
    for our header comment and the servername=hostname we add."""
    cli = os.environ.get("MTASTS_EFF_POLICY_CLI")
    if not cli:
        t.skip("EFF's starttls-policy-cli gives the same Postfix map",
               "MTASTS_EFF_POLICY_CLI does not name its source")
        return
    d = os.path.join(w.dir, "eff-cli")
    os.makedirs(d, exist_ok=True)
    with open(path, "rb") as f, open(os.path.join(d, "policy.json"),
                                     "wb") as g:
        g.write(f.read())
    p = subprocess.run(["/usr/bin/python3", "-m", "starttls_policy_cli.main",
                        "-g", "postfix", "-d", d], cwd=cli,
                       capture_output=True, timeout=60)
    with open(os.path.join(d, "postfix_tls_policy")) as f:
        eff = f.read().splitlines()
    q = subprocess.run([mtasts_binary(), "list", "export-postfix", "--file",
                        path, "--keyring", keyring, "--fingerprint", fpr],
                       capture_output=True, text=True, timeout=60)
    ours = [ln.replace(" servername=hostname", "")
            for ln in q.stdout.splitlines() if not ln.startswith("# ")]
    t.ok(p.returncode == 0 and q.returncode == 0 and len(eff) == N and
         eff == ours,
         "EFF's starttls-policy-cli gives the same Postfix map as "
         "mtasts list export-postfix",
         got=(p.returncode, q.returncode, eff[:2], ours[:2]))


def publish_script(t, a, root, key, fpr, keyring, now, data):
    """contrib/fleet/mtasts-list-publish: build, sign, verify, publish."""
    env = dict(os.environ, AUTHOR=AUTHOR, SIGNING_KEY=fpr,
               FINGERPRINT=fpr, KEYRING=keyring, WEBROOT=root,
               STATE_DIR=a.state, MTASTS=mtasts_binary(),
               GNUPGHOME=key.home,
               BUILD_OPTS="--now %d --min-max-age 14d" % now)
    p = subprocess.run([os.path.join(srcdir(), "contrib", "fleet",
                                     "mtasts-list-publish")],
                       env=env, capture_output=True, timeout=120)
    t.ok(p.returncode == 0, "contrib/fleet/mtasts-list-publish: exit 0",
         got=(p.returncode, p.stderr[-500:]))
    with open(os.path.join(root, "policy.json"), "rb") as f:
        t.ok(f.read() == data, "published: the same bytes as the build")
    t.ok(os.path.exists(os.path.join(root, "policy.json.asc")) and
         sorted(os.listdir(root)) == ["policy.json", "policy.json.asc"],
         "published: the list and its signature, no leftovers",
         got=os.listdir(root))


def sign_publish(key, fpr, path, data, at=None):
    """gpg --detach-sign --armor, as docs/fleet.md says; both files in
    nginx's root, replaced atomically."""
    sig = key.sign(fpr, data, at=at)
    for name, blob in ((path, data), (path + ".asc", sig)):
        with open(name + ".new", "wb") as f:
            f.write(blob)
        os.chmod(name + ".new", 0o644)
        os.rename(name + ".new", name)


def strip(w):
    """The stripping attack on every listed domain and unlisted.fleet.test:
    half of the TXT lookups SERVFAIL, the other half find no record."""
    for i in range(N):
        if i % 2 == 0:
            w.dns_fault("_mta-sts." + dom(i), "servfail")
        else:
            w.remove_records("_mta-sts." + dom(i), "TXT")
    w.remove_records("_mta-sts.unlisted.fleet.test", "TXT")
    w.apply()


def test_node_b(t, w, b, url):
    r = json_op(b, {"op": "list.status"})
    deadline = time.monotonic() + 30
    while ((r.get("last_attempt") or {}).get("result") != "installed" and
           time.monotonic() < deadline):
        time.sleep(0.2)
        r = json_op(b, {"op": "list.status"})
    t.is_(subset(r, ["in_force", "source", "entries", "enforce"]),
          {"in_force": True, "source": url, "entries": N, "enforce": N},
          "B: fetched the fleet list at start, in force", diag=r)
    strip(w)
    bad = []
    for i in range(N):
        r = resolve(b, dom(i))
        pol = (r or {}).get("policy") or {}
        if r.get("source") != "starttls-list" or pol.get("mx") != mxs(dom(i)):
            bad.append((dom(i), r))
    t.is_(bad[:3], [], "B: %d first uses, TXT stripped, answered from the "
          "list with their mx patterns" % N)
    t.is_(sockmap(b, dom(7)), ok_value(dom(7)),
          "B: socketmap answer from the list (TXT removed)")
    t.is_(sockmap(b, dom(8)), ok_value(dom(8)),
          "B: socketmap answer from the list (TXT SERVFAIL)")
    r = resolve(b, "unlisted.fleet.test")
    t.is_(subset(r, ["source", "verdict"]),
          {"source": "none", "verdict": "NOTFOUND"},
          "B: an unlisted stripped domain: NOTFOUND as before", diag=r)


def refused(t, b, want, what, timestamp):
    mark = len(b.log())
    r = update(b)
    t.is_(subset(r, ["ok", "result"]), {"ok": False, "result": want},
          "B refuses %s: %s" % (what, want), diag=r)
    t.ok(b.wait_log("STARTTLS list update from https://%s/policy.json "
                    "failed: %s:" % (LIST_HOST, want), after=mark),
         "B: the log says so (%s)" % want)
    r = status(b)
    t.is_(subset(r, ["timestamp", "in_force"]),
          {"timestamp": iso(timestamp), "in_force": True},
          "B: after %s the previous list stays" % what)
    r = resolve(b, dom(3))
    t.is_((r or {}).get("source"), "starttls-list",
          "B: after %s still answers from the list" % what)


def test_refusals(t, a, b, root, key, fpr, now, data):
    out = os.path.join(root, "policy.json")
    # Tampered: one mx changed, the signature of the original.
    bad = data.replace(b'"mx.f003.fleet.test"', b'"mx.evil.test"', 1)
    with open(out + ".asc", "rb") as f:
        sig = f.read()
    with open(out, "wb") as f:
        f.write(bad)
    with open(out + ".asc", "wb") as f:
        f.write(sig)
    refused(t, b, "bad-signature", "a tampered list", now)
    # Signed by another key than the pinned one.
    other = key.new_key("other")
    build(a, now + 60, out)
    with open(out, "rb") as f:
        sign_publish(key, other, out, f.read())
    refused(t, b, "wrong-key", "a list signed by another key", now)
    # A newer list, installed; then the first one again: rollback.
    build(a, now + 3600, out)
    with open(out, "rb") as f:
        sign_publish(key, fpr, out, f.read())
    r = update(b)
    t.is_(subset(r, ["ok", "result"]), {"ok": True, "result": "installed"},
          "B installs a newer list", diag=r)
    with open(out, "wb") as f:
        f.write(data)
    with open(out + ".asc", "wb") as f:
        f.write(sig)
    refused(t, b, "rollback", "an older list (rollback)", now + 3600)


def test_drop(t, w, a, b, root, key, fpr):
    """f000 publishes mode none; A sees it, the next build omits it,
    B stops applying it after its update."""
    d = dom(0)
    w.clear_dns_fault("_mta-sts." + d)
    w.remove_records("_mta-sts." + d, "TXT")
    w.add_txt("_mta-sts." + d, sts_txt("dropped"))
    w.set_policy("mta-sts." + d, policy_text(mode="none", mx=[],
                                             max_age=MAX_AGE))
    w.apply()
    json_op(a, {"op": "test.clock", "advance": 7200})
    deadline = time.monotonic() + 20
    mode = None
    while mode != "none" and time.monotonic() < deadline:
        resolve(a, d)
        r = json_op(a, {"op": "cache.show", "domain": d})
        mode = ((r or {}).get("policy") or {}).get("mode")
        time.sleep(0.2)
    t.is_(mode, "none", "drop: A has f000 in mode none")
    w.dns_fault("_mta-sts." + d, "servfail")     # stripped again for B
    w.apply()
    now = int(json_op(a, {"op": "test.clock", "advance": 0})["now"])
    out = os.path.join(root, "policy.json")
    rc, err = build(a, now, out)
    with open(out, "rb") as f:
        data = f.read()
    pol = json.loads(data)["policies"]
    t.ok(rc == 0 and d not in pol and len(pol) == N - 1,
         "drop: the next build omits f000", got=(rc, err, len(pol)))
    sign_publish(key, fpr, out, data)
    r = update(b)
    t.is_(subset(r, ["ok", "result"]), {"ok": True, "result": "installed"},
          "drop: B installs it", diag=r)
    r = resolve(b, d)
    t.is_(subset(r, ["source", "verdict"]),
          {"source": "none", "verdict": "NOTFOUND"},
          "drop: B no longer answers f000 from the list", diag=r)
    t.is_((resolve(b, dom(2)) or {}).get("source"), "starttls-list",
          "drop: the others still are")
    return now


def test_expired(t, a, b, root, key, fpr, now):
    """A newer list that has already expired by B's clock is refused."""
    out = os.path.join(root, "policy.json")
    build(a, now + 600, out, "--expires-in", "60s")
    with open(out, "rb") as f:
        sign_publish(key, fpr, out, f.read())
    b_now = int(json_op(b, {"op": "test.clock", "advance": 0})["now"])
    json_op(b, {"op": "test.clock", "advance": now + 3600 - b_now})
    refused(t, b, "expired", "a list already expired", now)


def main():
    binary = mtastsd_binary()
    reason = world.skip_reason() or list_skip_reason() or \
        run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World() as w:
        w.start()
        os.chmod(w.dir, 0o711)
        root = os.path.join(w.dir, "fleet-www")
        os.makedirs(root, mode=0o755)
        build_world(w, root)
        w.apply()
        key = ListKey(w.dir)
        try:
            fpr = key.new_key("fleet")
            keyring = key.keyring(os.path.join(w.dir, "fleet.gpg"), fpr)
            a = Daemon(w, binary, "a", 0, user=USER)
            if not t.ok(a.start(), "node A starts"):
                t.diag(a.log()[-2000:])
                return t.done()
            now, data = test_build(t, w, a, root, key, fpr, keyring)
            url = "https://%s/policy.json" % LIST_HOST
            b = list_daemon(w, binary, "b", 0, url=url, keyring=keyring,
                            fpr=fpr, user=USER, lookup_timeout=2)
            if not t.ok(b.start(), "node B starts"):
                t.diag(b.log()[-2000:])
                return t.done()
            test_node_b(t, w, b, url)
            test_refusals(t, a, b, root, key, fpr, now, data)
            now = test_drop(t, w, a, b, root, key, fpr)
            test_expired(t, a, b, root, key, fpr, now)
            w.stop_process(b.p)
            w.stop_process(a.p)
        finally:
            key.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
