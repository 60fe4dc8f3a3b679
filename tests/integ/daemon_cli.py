#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""daemon_cli.py: mtasts(1) through the running daemon, and the cache
across a kill -9.

The real mtastsd runs in a test world (tests/lib/world.py, daemon.py);
the real mtasts asks it over the Unix socket, as an administrator would:
  - resolve: a cold domain is discovered ("freshly discovered"), the
    second ask comes from the cache, with its age and expiry; --json
    passes the daemon's objects; no policy exits 1; an unreachable
    daemon exits 2; options that need --direct are refused;
  - cache list / show / purge / flush and stats; human output has
    dates (ISO 8601 UTC) and ages ("in 3d 4h"), never epoch numbers;
    "cache show" of a domain that is not cached exits 1;
  - the socket is found without --socket: from --config FILE (the
    daemon's own file) and $MTASTS_SOCKET, in the documented order;
  - kill -9 of the daemon after it cached policies: restarted, it lists
    every one of them and answers from the cache without a single new
    HTTPS fetch (RFC 8461 §3.3: policies are cached for max_age, which
    a crash must not shorten).
Prints TAP; skips (with the reason) when not root or a tool is missing.
"""

import json
import os
import re
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from daemon import Daemon  # noqa: E402
from world import Tap, World, policy_text, skip_reason  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
MTASTS = os.environ.get("MTASTS") or os.path.join(BUILDDIR, "src", "mtasts")
MTASTSD = os.environ.get("MTASTSD") or os.path.join(BUILDDIR, "src",
                                                    "mtastsd")
MX = ["mx1.enforce.test", "*.backup.enforce.test"]
BULK = 50
# The cache keeps a canonical body as a one-byte text form and any other
# body verbatim (store/record.h); "cache show" must print both as served.
P_ENFORCE = policy_text(mx=MX, max_age=86400)
P_EXTENSION = policy_text(mx=["mx.extension.test"], eol="\n",
                          extra=["ext: value"])


def build(w):
    w.add_domain("enforce.test", policy=P_ENFORCE)
    w.add_domain("extension.test", policy=P_EXTENSION)
    w.add_domain("testing.test", policy=policy_text(mode="testing",
                                                    mx=["mx.testing.test"]))
    w.add_domain("nopolicy.test", mx=["mx.nopolicy.test"])
    for i in range(BULK):
        w.add_domain("bulk%d.test" % i, policy=policy_text(
            mx=["mx.bulk%d.test" % i]))


def cli(d, *args):
    """mtasts with the daemon's socket; returns (rc, stdout, stderr)."""
    r = d.w.run([MTASTS, args[0], "--socket", d.sock] + list(args[1:]),
                timeout=60)
    return r.rc, r.stdout, r.stderr


def json_lines(out):
    try:
        return [json.loads(x) for x in out.splitlines() if x.strip()]
    except ValueError:
        return None


def fetches(w, host):
    return sum(1 for e in w.access_log() if e.get("sni") == host or
               e.get("host") == host)


def test_resolve(t, d):
    rc, out, _ = cli(d, "resolve", "enforce.test")
    t.ok(rc == 0 and "freshly discovered" in out and
         "postfix: secure match=mx1.enforce.test:.backup.enforce.test "
         "servername=hostname" in out, "resolve: cold domain discovered",
         got=(rc, out))
    rc, out, _ = cli(d, "resolve", "ENFORCE.test.")
    t.ok(rc == 0 and "from cache" in out and "expires in" in out,
         "resolve: second ask answered from the cache, with age and expiry",
         got=(rc, out))
    rc, out, _ = cli(d, "resolve", "--json", "enforce.test", "testing.test")
    objs = json_lines(out) or []
    t.ok(rc == 0 and len(objs) == 2 and objs[0]["cached"] is True and
         objs[0]["policy"]["mx"] == MX and objs[1]["postfix"] is None and
         objs[1]["policy"]["mode"] == "testing",
         "resolve --json: one daemon object per domain", got=(rc, out))
    rc, out, _ = cli(d, "resolve", "nopolicy.test")
    t.ok(rc == 1 and "no policy (txt-none)" in out,
         "resolve: no policy exits 1 and says why", got=(rc, out))
    rc, out, _ = cli(d, "resolve", "--json", "a..b.test")
    t.ok(rc == 1 and out.strip() != "", "resolve: invalid name exits 1",
         got=(rc, out))
    r = d.w.run([MTASTS, "resolve", "--socket", d.sock + ".missing",
                 "enforce.test"], timeout=30)
    t.ok(r.rc == 2 and "cannot connect" in r.stderr,
         "resolve: unreachable daemon exits 2", got=(r.rc, r.stderr))
    r = d.w.run([MTASTS, "resolve", "--ca-file", "/x", "enforce.test"],
                timeout=30)
    t.is_(r.rc, 2, "resolve: --ca-file without --direct is refused")


def cache_domains(d):
    rc, out, _ = cli(d, "cache", "list", "--json")
    objs = json_lines(out) or []
    return rc, {o["domain"]: o for o in objs if "domain" in o}, objs


def test_cache(t, d):
    rc, entries, objs = cache_domains(d)
    t.ok(rc == 0 and entries.get("enforce.test", {}).get("kind") == "policy"
         and entries.get("nopolicy.test", {}).get("kind") == "negative"
         and objs and objs[-1].get("end") is True,
         "cache list: policy and negative entries, then the end line",
         got=objs[:5])
    rc, out, _ = cli(d, "cache", "list")
    t.ok(rc == 0 and "enforce.test" in out and "entries" in out,
         "cache list: human output", got=out[:300])
    rc, out, _ = cli(d, "cache", "show", "--json", "enforce.test")
    obj = (json_lines(out) or [{}])[0]
    t.ok(rc == 0 and obj.get("policy", {}).get("mx") == MX and
         obj["policy"].get("text") == P_ENFORCE,
         "cache show: the stored policy and its raw text (regenerated)",
         got=out[:300])
    cli(d, "resolve", "extension.test")
    rc, out, _ = cli(d, "cache", "show", "--json", "extension.test")
    obj = (json_lines(out) or [{}])[0]
    t.ok(rc == 0 and obj.get("policy", {}).get("text") == P_EXTENSION,
         "cache show: a non-canonical text exactly as fetched", got=out[:300])
    rc, out, _ = cli(d, "cache", "purge", "--json", "testing.test")
    t.ok(rc == 0 and (json_lines(out) or [{}])[0].get("purged") is True,
         "cache purge: removed", got=out)
    _, entries, _ = cache_domains(d)
    t.ok("testing.test" not in entries, "cache purge: gone from the list")
    rc, out, _ = cli(d, "stats", "--json")
    st = (json_lines(out) or [{}])[0]
    t.ok(rc == 0 and st.get("ok") is True and "lookups" in st,
         "stats: the daemon's counters", got=out[:300])
    rc, _, err = cli(d, "cache", "bogus")
    t.ok(rc == 2 and "usage" in err, "cache: unknown verb is a usage error")


ISO = re.compile(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\b")
EPOCH = re.compile(r"\b1\d{9}\b")     # a unix time in 2001..2286


def test_human(t, d):
    rc, out, _ = cli(d, "cache", "show", "enforce.test")
    t.ok(rc == 0 and "mode enforce, max_age 1d" in out and
         re.search(r"fetched: +%s \((now|\d+s ago)\)" % ISO.pattern,
                   out) and
         re.search(r"expires: +%s \(in (1d|23h)" % ISO.pattern, out) and
         "  | mx: mx1.enforce.test" in out and not EPOCH.search(out),
         "cache show: dates and ages for people, the text, no epoch",
         got=(rc, out))
    rc, out, _ = cli(d, "cache", "show", "nopolicy.test")
    t.ok(rc == 0 and "negative:     no-record (txt-none)" in out and
         re.search(r"retry: +%s \(in " % ISO.pattern, out) and
         not EPOCH.search(out), "cache show: a negative entry for people",
         got=(rc, out))
    rc, out, _ = cli(d, "cache", "show", "never-asked.test")
    t.ok(rc == 1 and "never-asked.test: not cached" in out,
         "cache show: a domain not cached exits 1", got=(rc, out))
    rc, out, _ = cli(d, "cache", "show", "--json", "never-asked.test")
    obj = (json_lines(out) or [{}])[0]
    t.ok(rc == 1 and obj.get("ok") is True and obj.get("policy") is None,
         "cache show --json: not cached exits 1 too", got=(rc, out))
    rc, out, _ = cli(d, "cache", "list")
    t.ok(rc == 0 and re.search(r"enforce\.test +policy +enforce +expires "
                               r"in 1d|enforce\.test +policy +enforce +"
                               r"expires in 23h", out) and
         re.search(r"nopolicy\.test +negative +txt-none +retry in ", out),
         "cache list: expiry and retry as durations", got=out[:600])
    rc, out, _ = cli(d, "resolve", "enforce.test")
    t.ok(rc == 0 and "max_age 1d" in out and
         re.search(r"fetched \d+s ago, expires in (1d|23h)", out),
         "resolve: age and expiry as durations", got=out)


def test_socket(t, d):
    """mtasts finds the socket without --socket (mtasts(1))."""
    env = dict(os.environ)
    env.pop("MTASTS_SOCKET", None)
    bad = os.path.join(d.w.dir, "nothing-here.sock")

    def run(args, **extra):
        e = dict(env, **extra)
        return d.w.run([MTASTS] + args, env=e, timeout=60)
    r = run(["resolve", "--config", d.conf, "enforce.test"])
    t.ok(r.rc == 0 and "from cache" in r.stdout,
         "socket: from --config (the daemon's mtastsd.conf)",
         got=(r.rc, r.stdout, r.stderr))
    r = run(["cache", "list"], MTASTS_SOCKET=d.sock)
    t.ok(r.rc == 0 and "enforce.test" in r.stdout,
         "socket: from $MTASTS_SOCKET", got=(r.rc, r.stderr))
    r = run(["list", "status", "--config", d.conf], MTASTS_SOCKET=bad)
    t.ok(r.rc in (0, 1) and r.stdout.startswith("list:"),
         "socket: --config comes before $MTASTS_SOCKET",
         got=(r.rc, r.stdout, r.stderr))
    r = run(["stats", "--socket", d.sock, "--config", "/nonexistent"],
            MTASTS_SOCKET=bad)
    t.ok(r.rc == 0, "socket: --socket comes before everything",
         got=(r.rc, r.stderr))
    r = run(["resolve", "enforce.test"], MTASTS_SOCKET=bad)
    t.ok(r.rc == 2 and bad in r.stderr,
         "socket: an unreachable $MTASTS_SOCKET is named", got=r.stderr)
    broken = os.path.join(d.w.dir, "broken.conf")
    with open(broken, "w") as f:
        f.write("socket = %s\nlookup_timeout = soon\n" % d.sock)
    r = run(["resolve", "--config", broken, "enforce.test"])
    t.ok(r.rc == 2 and '%s:2: lookup_timeout = "soon": expected a '
         'duration' % broken in r.stderr, "socket: a broken --config is "
         "an error, never skipped, naming the option and the value",
         got=(r.rc, r.stderr))


def test_kill9(t, w, d):
    names = ["bulk%d.test" % i for i in range(BULK)]
    rc, out, _ = cli(d, "resolve", "--json", *names)
    objs = json_lines(out) or []
    t.ok(rc == 0 and len(objs) == BULK and
         all(o.get("policy") for o in objs),
         "kill -9: %d policies discovered first" % BULK, got=(rc, out[:300]))
    before = sum(fetches(w, "mta-sts." + n) for n in names)
    os.kill(d.p.pid, signal.SIGKILL)
    d.p.wait(timeout=10)
    t.ok(d.start(), "kill -9: the daemon starts again on the same store",
         got=d.log()[-2000:])
    _, entries, _ = cache_domains(d)
    kept = [n for n in names if entries.get(n, {}).get("kind") == "policy"]
    t.is_(len(kept), BULK, "kill -9: every committed policy is still cached")
    rc, out, _ = cli(d, "resolve", "--json", *names)
    objs = json_lines(out) or []
    t.ok(rc == 0 and objs and all(o.get("cached") is True for o in objs),
         "kill -9: every domain answered from the cache after restart",
         got=out[:300])
    after = sum(fetches(w, "mta-sts." + n) for n in names)
    t.is_(after, before, "kill -9: no HTTPS fetch after restart")


def main():
    reason = skip_reason()
    if reason is None and not (os.access(MTASTS, os.X_OK) and
                               os.access(MTASTSD, os.X_OK)):
        reason = "mtasts or mtastsd not built"
    if reason:
        Tap.skip_all(reason)
        return 0
    t = Tap()
    with World() as w:
        build(w)
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, MTASTSD, "cli", 0)
        if not t.ok(d.start(), "daemon starts"):
            t.diag(d.log()[-3000:])
            return t.done()
        test_resolve(t, d)
        test_cache(t, d)
        test_human(t, d)
        test_socket(t, d)
        test_kill9(t, w, d)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
