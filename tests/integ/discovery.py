#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""discovery.py: TAP case table for `mtasts resolve --direct --json`.

One test world (tests/lib/world.py) holds every case; the domains are
resolved in a few `mtasts` runs, one per deadline class:
  good   every domain has a valid policy          exit 0
  fail   fast failures (DNS, HTTP, TLS, policy)   exit 1
  hung   servers that never finish, --timeout 3   exit 1, back in <= 4 s
  bulk   1,000 generated domains, --max-fetches 50, exit 0
  twice  one domain named twice: two discoveries (resolve.c does not
         coalesce), counted in unbound's query log
Each domain's JSON line is checked for domain (normalised), source,
error code, policy (id, mode, max_age, mx) and postfix string, as the
discovery contract states; `detail` only for being non-empty on error.

The binary is $MTASTS, else src/mtasts under $MTASTS_BUILDDIR (or the
current directory).  Missing binary, not root or missing tools: SKIP.
"""

import json
import os
import shutil
import subprocess
import sys
import time

# Keep the source tree clean (read-only in distcheck).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from world import Tap, World, policy_text, sts_txt  # noqa: E402

HUNG_TIMEOUT = 3
HUNG_SLACK = 1.0
BULK = 1000
MB = 1 << 20


def postfix(mx):
    pats = [m[1:] if m.startswith("*.") else m for m in mx]
    return "secure match=%s servername=hostname" % ":".join(pats)


def ok(mode, mx, max_age=86400):
    """Expected answer for a valid policy (id filled in from the world)."""
    return {"source": "mta-sts", "error": None,
            "policy": {"mode": mode, "max_age": max_age, "mx": list(mx)},
            "postfix": postfix(mx) if mode == "enforce" else None}


def fail(code):
    return {"source": "none", "error": code, "policy": None,
            "postfix": None}


MX = ["mx1.example.test", "mx2.example.test"]
P = policy_text(mx=MX)                          # the default good policy
BIG = policy_text(mx=MX, extra=["pad%d: %s" % (i, "x" * 100)
                                for i in range(MB // 100)])


def invalid(**kw):
    """A policy body made invalid by one change."""
    return policy_text(**dict({"mx": MX}, **kw))


# (name, batch, argument or None (= the domain), add_domain kwargs,
#  expected).  The domain is "<name>.test" unless the argument says
# otherwise; cases with "arg" also register the domain under "world".
CASES = [
    # --- valid policies --------------------------------------------------
    ("enforce-crlf", "good", {"policy": policy_text(
        mx=MX, max_age=604800)}, ok("enforce", MX, 604800)),
    ("enforce-lf", "good", {"policy": policy_text(mx=MX, eol="\n")},
     ok("enforce", MX)),
    # max_age above one year is clamped (documented choice, stspol.h).
    ("max-age-clamped", "good", {"policy": policy_text(
        mx=MX, max_age=31557601)}, ok("enforce", MX, 31557600)),
    ("testing", "good", {"policy": policy_text(
        mode="testing", mx=MX, max_age=31557600)},
     ok("testing", MX, 31557600)),
    ("mode-none", "good", {"policy": policy_text(mode="none", mx=[],
                                                 max_age=0)},
     ok("none", [], 0)),
    ("wildcard-mx", "good", {"policy": policy_text(
        mx=["mx.wild.test", "*.wild.net", "backup.wild.test"])},
     ok("enforce", ["mx.wild.test", "*.wild.net", "backup.wild.test"])),
    ("txt-split", "good", {"policy": P, "policy_id": "midsplit",
                           "txt": [["v=ST", "Sv1; id=mid", "split;"]]},
     ok("enforce", MX)),
    ("txt-unrelated", "good", {"policy": P, "policy_id": "rel1", "txt": [
        "v=spf1 -all", sts_txt("rel1"), "site-verification=abc"]},
     ok("enforce", MX)),
    ("txt-unknown-field", "good", {"policy": P, "policy_id": "ext1",
                                   "txt": ["v=STSv1; id=ext1; foo=bar; "
                                           "x-y.z=1"]},
     ok("enforce", MX)),
    ("policy-unknown-field", "good", {"policy": policy_text(
        mx=MX, extra=["foo: bar", "x_y.z-1: some value here"])},
     ok("enforce", MX)),
    ("policy-duplicate-field", "good", {"policy": policy_text(
        mx=MX, max_age=86400, extra=["max_age: 5", "mode: none"])},
     ok("enforce", MX, 86400)),
    ("charset-utf8", "good", {"policy": P, "http": {
        "content_type": "text/plain; charset=utf-8"}}, ok("enforce", MX)),
    ("chunked-small", "good", {"policy": P, "http": {"chunked": True}},
     ok("enforce", MX)),
    ("host-cname", "good", {"policy": P, "host_cname": "web.hosting.test"},
     ok("enforce", MX)),
    ("host-ipv6-only", "good", {"policy": P, "host_addr": ["::1"]},
     ok("enforce", MX)),
    ("mixed-case", "good", {"arg": "MiXeD-CaSe.TEST"}, ok("enforce", MX)),
    ("trailing-dot", "good", {"arg": "trailing-dot.test."},
     ok("enforce", MX)),
    ("idn", "good", {"arg": "b\u00fccher.test", "policy": policy_text(
        mx=["mx.xn--bcher-kva.test"])},
     ok("enforce", ["mx.xn--bcher-kva.test"])),
    # --- DNS failures ------------------------------------------------------
    ("txt-nxdomain", "fail", {"txt": None, "policy": P}, fail("txt-none")),
    ("txt-nodata", "fail", {"txt": None, "policy": P,
                            "extra_txt_a": "127.0.0.1"}, fail("txt-none")),
    ("txt-only-unrelated", "fail", {"txt": ["v=spf1 -all"], "policy": P},
     fail("txt-none")),
    ("txt-multiple", "fail", {"policy": P, "txt": [
        sts_txt("one"), sts_txt("two")]}, fail("txt-multiple")),
    ("txt-no-id", "fail", {"policy": P, "txt": ["v=STSv1; foo=bar;"]},
     fail("txt-invalid")),
    ("txt-servfail", "fail", {"policy": P, "txt_dns": "servfail"},
     fail("dns-servfail")),
    ("txt-refused", "fail", {"policy": P, "txt_dns": "refused"},
     fail("dns-servfail")),
    ("host-servfail", "fail", {"policy": P, "host_dns": "servfail"},
     fail("dns-servfail")),
    ("host-nxdomain", "fail", {"policy": None, "txt": [sts_txt("h1")]},
     fail("host-none")),
    ("host-nodata", "fail", {"policy": None, "txt": [sts_txt("h2")],
                             "extra_host_txt": "no address"},
     fail("host-none")),
    # --- HTTPS failures ----------------------------------------------------
    ("redirect-301", "fail", {"policy": P, "http": {"status": 301}},
     fail("https-redirect")),
    ("redirect-307", "fail", {"policy": P, "http": {
        "status": 307, "location": "https://mta-sts.enforce-crlf.test/"
                                   ".well-known/mta-sts.txt"}},
     fail("https-redirect")),
    ("content-type-html", "fail", {"policy": P, "http": {
        "content_type": "text/html"}}, fail("https-content-type")),
    ("content-type-missing", "fail", {"policy": P, "http": {
        "content_type": None}}, fail("https-content-type")),
    ("status-404", "fail", {"policy": None, "http": {"status": 404}},
     fail("https-status")),
    ("status-500", "fail", {"policy": P, "http": {"status": 500}},
     fail("https-status")),
    ("cert-wrong-name", "fail", {"policy": P, "cert": "wrong-name"},
     fail("https-certificate")),
    ("cert-expired", "fail", {"policy": P, "cert": "expired"},
     fail("https-certificate")),
    ("cert-not-yet-valid", "fail", {"policy": P, "cert": "not-yet-valid"},
     fail("https-certificate")),
    ("cert-self-signed", "fail", {"policy": P, "cert": "self-signed"},
     fail("https-certificate")),
    ("cert-unknown-ca", "fail", {"policy": P, "cert": "unknown-ca"},
     fail("https-certificate")),
    ("cert-cn-only", "fail", {"policy": P, "cert": "cn-only"},
     fail("https-certificate")),
    ("tls-no-cert-alert", "fail", {"policy": P, "cert": "none"},
     fail("https-tls")),
    ("tls-garbage", "fail", {"policy": P, "fault": "garbage"},
     fail("https-tls")),
    ("connect-refused", "fail", {"policy": P, "fault": "refused"},
     fail("https-connect")),
    ("body-1mib-length", "fail", {"policy": BIG}, fail("https-too-large")),
    ("body-1mib-chunked", "fail", {"policy": BIG, "http": {
        "chunked": True}}, fail("https-too-large")),
    # --- invalid policies --------------------------------------------------
    ("policy-empty", "fail", {"policy": ""}, fail("policy-invalid")),
    ("policy-no-version", "fail", {"policy": "mode: enforce\r\nmx: "
                                   "mx1.example.test\r\nmax_age: 86400\r\n"},
     fail("policy-invalid")),
    ("policy-version-2", "fail", {"policy": invalid(version="STSv2")},
     fail("policy-invalid")),
    ("policy-bad-mode", "fail", {"policy": invalid(mode="strict")},
     fail("policy-invalid")),
    ("policy-enforce-no-mx", "fail", {"policy": invalid(mx=[])},
     fail("policy-invalid")),
    ("policy-max-age-text", "fail", {"policy": invalid(max_age="soon")},
     fail("policy-invalid")),
    ("policy-max-age-11-digits", "fail", {"policy": invalid(
        max_age=10000000000)}, fail("policy-invalid")),
    ("policy-no-max-age", "fail", {"policy": "version: STSv1\r\nmode: "
                                   "enforce\r\nmx: mx1.example.test\r\n"},
     fail("policy-invalid")),
    ("policy-html", "fail", {"policy": "<html><body>hello</body></html>\n"},
     fail("policy-invalid")),
    ("domain-empty-label", "fail", {"arg": "a..b.test", "world": False},
     fail("domain-invalid")),
    ("domain-long-label", "fail", {"arg": "x" * 64 + ".test",
                                   "world": False}, fail("domain-invalid")),
    # --- deadlines (--timeout 3) -------------------------------------------
    ("hung-tls-handshake", "hung", {"policy": P, "fault": "tls-hang"},
     fail("https-timeout")),
    ("hung-http-response", "hung", {"policy": P, "fault": "http-hang"},
     fail("https-timeout")),
    ("hung-trickle-body", "hung", {"policy": P, "fault": "trickle"},
     fail("https-timeout")),
    ("hung-txt-dns", "hung", {"policy": P, "txt_dns": "hang"},
     fail("dns-timeout")),
    ("hung-host-dns", "hung", {"policy": P, "host_dns": "hang"},
     fail("dns-timeout")),
    ("hung-batch-good", "hung", {"policy": P}, ok("enforce", MX)),
]


def setup(w, cases):
    """Add every case to the world; return [(name, batch, arg, want)]."""
    out = []
    for name, batch, kw, want in cases:
        kw = dict(kw)
        arg = kw.pop("arg", None)
        in_world = kw.pop("world", True)
        txt_a = kw.pop("extra_txt_a", None)
        host_txt = kw.pop("extra_host_txt", None)
        if in_world and not (name == "host-ipv6-only" and not w.ipv6):
            kw.setdefault("policy", P)
            d = w.add_domain(arg or name + ".test", **kw)
            if txt_a:
                w.add_address(d.txt_name, txt_a)
            if host_txt:
                w.add_txt(d.host, host_txt)
            if want["policy"] is not None:
                want = dict(want, policy=dict(want["policy"], id=d.id))
            want = dict(want, domain=d.name)
        elif in_world:
            continue       # no IPv6 in this namespace
        out.append((name, batch, arg or name + ".test", want))
    return out


def bulk_cases(w):
    out = []
    for i in range(BULK):
        mode = "testing" if i % 10 == 0 else "enforce"
        mx = ["mx%d.bulk.test" % i, "*.b%d.bulk.test" % i]
        d = w.add_domain("bulk%04d.test" % i, policy_id="bulk%d" % i,
                         policy=policy_text(mode=mode, mx=mx,
                                            max_age=1000 + i))
        want = ok(mode, mx, 1000 + i)
        want["policy"]["id"] = d.id
        want["domain"] = d.name
        out.append(("bulk%04d" % i, "bulk", d.name, want))
    return out


def compare(line, want):
    """(verdict, got, want) for one JSON line against the contract."""
    try:
        got = json.loads(line)
    except (TypeError, ValueError):
        return False, line, want
    keys = ("domain", "source", "error", "policy", "postfix")
    g = {k: got.get(k) for k in keys if k in want}
    w = {k: want[k] for k in keys if k in want}
    if isinstance(g.get("policy"), dict):
        g["policy"] = {k: g["policy"].get(k)
                       for k in ("id", "mode", "max_age", "mx")}
    good = g == w
    if want["error"] is not None:
        # `detail` is free text: only required to say something.
        g["detail"] = got.get("detail")
        good = good and isinstance(g["detail"], str) and g["detail"] != ""
    return good, g, w


def check_answer(t, name, line, want):
    """One TAP line per domain: all contract fields at once."""
    good, g, w = compare(line, want)
    return t.ok(good, "%s: %s" % (name, want["error"] or "valid policy"),
                got=g, want=w)


def run_batch(t, w, mtasts, batch, cases, timeout, extra=()):
    args = [c[2] for c in cases]
    argv = [mtasts, "resolve", "--direct", "--json", "--dns-server",
            w.dns_server, "--ca-file", w.ca_file, "--timeout",
            str(timeout)] + list(extra) + args
    r = w.run(argv, timeout=timeout + 60)
    lines = r.stdout.splitlines()
    want_rc = 0 if all(c[3]["error"] is None for c in cases) else 1
    t.is_(r.rc, want_rc, "batch %s: exit status" % batch, diag=r.stderr)
    t.is_(len(lines), len(cases), "batch %s: one JSON line per domain"
          % batch, diag=r.stderr)
    t.diag("batch %s: %d domains in %.2f s" % (batch, len(cases),
                                               r.elapsed))
    return r, lines


def test_ca_file_only(t, w, mtasts, domain):
    """--ca-file (mtastsd.conf ca_file) replaces the system store: with
    /etc/ssl/certs replaced, in a private mount namespace, by one that
    holds the world's CA, the default trusts it and a --ca-file of
    another CA does not (libcurl's default CA path stayed on until
    fetch.c cleared it)."""
    sysdir = os.path.join(w.dir, "syscerts")
    os.makedirs(sysdir, exist_ok=True)
    shutil.copy(w.ca_file, os.path.join(sysdir, "ca-certificates.crt"))
    h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in",
                        w.ca_file], capture_output=True, text=True,
                       check=True).stdout.strip()
    shutil.copy(w.ca_file, os.path.join(sysdir, h + ".0"))
    other = os.path.join(w.dir, "other-ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    other + ".key", "-out", other, "-subj", "/CN=other CA",
                    "-days", "2"], capture_output=True, check=True)
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/ssl/certs && exec "$@"', sysdir]
    base = [mtasts, "resolve", "--direct", "--json", "--dns-server",
            w.dns_server, "--timeout", "10"]
    for name, extra, want in (
            ("system store by default", [], None),
            ("ca_file of another CA: system store not trusted",
             ["--ca-file", other], "https-certificate")):
        r = w.run(wrap + base + extra + [domain], timeout=60)
        try:
            got = json.loads(r.stdout.splitlines()[0]).get("error")
        except (ValueError, IndexError):
            got = "no answer: %s" % r.stderr[-300:]
        t.is_(got, want, "ca_file: " + name)


def test_twice(t, w, mtasts, domain):
    """resolve.c runs one discovery per call (coalescing is lookup.c's):
    a domain named twice is discovered twice, each answered on its
    own, as the DNS server's query log shows."""
    before = len(w.dns_queries("_mta-sts." + domain, "TXT"))
    r = w.run([mtasts, "resolve", "--direct", "--json", "--dns-server",
               w.dns_server, "--ca-file", w.ca_file, "--timeout", "10",
               domain, domain], timeout=60)
    got = [json.loads(x).get("error", "?") for x in r.stdout.splitlines()]
    t.is_((r.rc, got), (0, [None, None]),
          "twice: a domain named twice gets two answers with its policy",
          diag=r.stderr)
    t.is_(len(w.dns_queries("_mta-sts." + domain, "TXT")) - before, 2,
          "twice: two discoveries, two _mta-sts TXT queries")


def main():
    reason = world.skip_reason()
    mtasts = os.environ.get("MTASTS") or os.path.join(
        os.environ.get("MTASTS_BUILDDIR") or os.getcwd(), "src", "mtasts")
    mtasts = os.path.abspath(mtasts)
    if reason is None and not os.access(mtasts, os.X_OK):
        reason = "no mtasts binary at %s" % mtasts
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    with World(log_queries=True) as w:
        cases = setup(w, CASES)
        bulk = bulk_cases(w)
        t0 = time.monotonic()
        w.start()
        t.diag("world with %d domains started in %.2f s" % (
            len(cases) + len(bulk), time.monotonic() - t0))
        for batch, timeout in (("good", 10), ("fail", 10)):
            sel = [c for c in cases if c[1] == batch]
            _, lines = run_batch(t, w, mtasts, batch, sel, timeout)
            for i, c in enumerate(sel):
                check_answer(t, c[0], lines[i] if i < len(lines) else None,
                             c[3])
        sel = [c for c in cases if c[1] == "hung"]
        r, lines = run_batch(t, w, mtasts, "hung", sel, HUNG_TIMEOUT)
        t.ok(r.elapsed <= HUNG_TIMEOUT + HUNG_SLACK,
             "batch hung: returns within --timeout %d + %.0f s"
             % (HUNG_TIMEOUT, HUNG_SLACK), got="%.2fs" % r.elapsed,
             want="<= %.1fs" % (HUNG_TIMEOUT + HUNG_SLACK))
        for i, c in enumerate(sel):
            check_answer(t, c[0], lines[i] if i < len(lines) else None, c[3])
        test_ca_file_only(t, w, mtasts,
                          [c for c in cases if c[1] == "good"][0][2])
        test_twice(t, w, mtasts, [c for c in cases if c[1] == "good"][0][2])
        r, lines = run_batch(t, w, mtasts, "bulk", bulk, 30,
                             ("--max-fetches", "50"))
        bad = [c[0] for i, c in enumerate(bulk)
               if i >= len(lines) or not compare(lines[i], c[3])[0]]
        t.ok(not bad, "batch bulk: all %d answers correct" % BULK,
             got="%d wrong, first: %s" % (len(bad), bad[:5]), want="0 wrong")
        if bad:
            i = int(bad[0][4:])
            check_answer(t, bad[0], lines[i] if i < len(lines) else None,
                         bulk[i][3])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
