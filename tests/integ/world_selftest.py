#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""world_selftest.py: TAP test that the integration world does what it
says (tests/lib/world.py, tests/lib/faults.py).

Checks, from inside the namespace with dig, curl, openssl and python:
DNS answers (TXT split/multi/escaped, A, AAAA, CNAME, MX, NXDOMAIN,
NODATA, SERVFAIL, REFUSED, never answered, names outside the world),
HTTPS policies (body bytes, status, Content-Type, Location, chunked,
1 MiB bodies, live policy change, apply()), every certificate kind, every
fault server, teardown on exit/SIGTERM/SIGKILL, and a 1,000-domain start.
Needs root, unbound, nginx, python3-cryptography, dig, curl, openssl.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback

# Keep the source tree clean (read-only in distcheck).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from world import Tap, World, policy_text  # noqa: E402

POLICY_CRLF = policy_text(mx=["mx1.good.test", "*.good.net"])
POLICY_LF = policy_text(mode="testing", eol="\n")
BIG = policy_text(extra=["x%d: %s" % (i, "y" * 100) for i in range(10000)])

# Python client run inside the namespace: TLS verdicts and fault
# behaviour, one process for all checks.  Prints one JSON object.
CLIENT = r'''
import json, socket, ssl, sys, time
ca, jobs = sys.argv[1], json.loads(sys.argv[2])
out = {}
def ctx():
    c = ssl.create_default_context(cafile=ca)
    c.hostname_checks_common_name = False
    return c
def tls(host, addr, timeout):
    s = socket.create_connection((addr, 443), timeout=timeout)
    return ctx().wrap_socket(s, server_hostname=host)
for key, job in jobs.items():
    kind, host, addr = job
    t0 = time.monotonic()
    r = {}
    try:
        if kind == "verify":
            tls(host, addr, 5).close()
            r["ok"] = True
        elif kind == "connect":
            socket.create_connection((addr, 443), timeout=2).close()
            r["ok"] = True
        elif kind == "handshake":
            tls(host, addr, 1).close()
            r["ok"] = True
        elif kind == "request":
            s = tls(host, addr, 1)
            s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: "
                      + host.encode() + b"\r\n\r\n")
            r["data"] = s.recv(100).decode()
        elif kind == "trickle":
            s = tls(host, addr, 3)
            s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: "
                      + host.encode() + b"\r\n\r\n")
            buf, end = b"", time.monotonic() + 2.2
            while time.monotonic() < end:
                s.settimeout(max(0.01, end - time.monotonic()))
                try:
                    chunk = s.recv(1000)
                except socket.timeout:
                    break
                if not chunk:
                    break
                buf += chunk
            r["head"], _, body = buf.partition(b"\r\n\r\n")
            r["head"] = r["head"].decode()
            r["body"] = len(body)
    except ssl.SSLCertVerificationError as e:
        r["error"], r["verify_code"] = "cert", e.verify_code
    except (socket.timeout, TimeoutError):
        r["error"] = "timeout"
    except ConnectionRefusedError:
        r["error"] = "refused"
    except ssl.SSLError as e:
        r["error"] = "ssl"
        r["reason"] = str(e.reason)
    r["elapsed"] = round(time.monotonic() - t0, 3)
    out[key] = r
print(json.dumps(out))
'''

# OpenSSL X509_V_ERR_* codes expected per certificate kind.
CERT_CASES = [
    ("good", None),
    ("wrong-name", 62),     # HOSTNAME_MISMATCH
    ("cn-only", 62),        # no SAN: CN must not be used
    ("expired", 10),        # CERT_HAS_EXPIRED
    ("not-yet-valid", 9),   # CERT_NOT_YET_VALID
    ("self-signed", 18),    # DEPTH_ZERO_SELF_SIGNED_CERT
    ("unknown-ca", 20),     # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
]


def dig(w, name, rtype="A", server=world.DNS_ADDR):
    """(status or None on timeout, sorted answer rdata list, elapsed)."""
    r = w.run(["dig", "+tries=1", "+time=1", "+nocmd", "+noquestion",
               "+nostats", "+noauthority", "+noadditional", "@" + server,
               name, rtype], timeout=10)
    m = re.search(r"status: (\w+)", r.stdout)
    answers = []
    for line in r.stdout.splitlines():
        if line and not line.startswith(";"):
            f = line.split(None, 4)
            if len(f) == 5:
                answers.append("%s %s" % (f[3], f[4]))
    return (m.group(1) if m else None), sorted(answers), r.elapsed


def curl(w, url, *extra):
    """(rc, headers dict lowercased, body bytes)."""
    r = w.run(["curl", "-sS", "-i", "--max-time", "5", "--cacert",
               w.ca_file] + list(extra) + [url], timeout=15, text=False)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {"status": lines[0].split(" ")[1] if len(lines[0]) > 9 else ""}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return r.rc, hdrs, body


def url(host):
    return "https://%s/.well-known/mta-sts.txt" % host


def build(w):
    d = {}
    d["good"] = w.add_domain("good.test", policy=POLICY_CRLF,
                             mx=["mx1.good.test", (5, "mx0.good.test")])
    w.add_address("mx1.good.test", "127.0.0.1")
    d["split"] = w.add_domain("split.test", policy=POLICY_LF, txt=[
        ["v=STSv1; ", "id=split1;"], "v=spf1 -all",
        'quote " back \\ byte \x7f end'])
    d["cname"] = w.add_domain("cname.test", policy=POLICY_CRLF,
                              host_cname="web.hosting.test")
    d["v6"] = w.add_domain("v6.test", policy=POLICY_CRLF,
                           host_addr=["::1"])
    d["idn"] = w.add_domain("B\u00fccher.Test.", policy=POLICY_CRLF)
    d["nodata"] = w.add_domain("nodata.test", txt=[])
    w.add_address("_mta-sts.nodata.test", "127.0.0.1")
    d["servfail"] = w.add_domain("servfail.test", policy=POLICY_CRLF,
                                 txt_dns="servfail")
    d["refused"] = w.add_domain("refused.test", policy=POLICY_CRLF,
                                txt_dns="refused")
    d["hang"] = w.add_domain("hang.test", policy=POLICY_CRLF,
                             host_dns="hang")
    d["404"] = w.add_domain("notfound.test", http={"status": 404})
    d["500"] = w.add_domain("error.test", policy=POLICY_CRLF,
                            http={"status": 500})
    d["301"] = w.add_domain("redirect.test", policy=POLICY_CRLF, http={
        "status": 301, "location": url("mta-sts.good.test")})
    d["html"] = w.add_domain("html.test", policy=POLICY_CRLF,
                             http={"content_type": "text/html"})
    d["charset"] = w.add_domain("charset.test", policy=POLICY_CRLF, http={
        "content_type": "text/plain; charset=utf-8",
        "headers": {"X-World": "yes"}})
    d["chunked"] = w.add_domain("chunked.test", policy=POLICY_CRLF,
                                http={"chunked": True})
    d["big"] = w.add_domain("big.test", policy=BIG)
    d["bigchunked"] = w.add_domain("bigchunked.test", policy=BIG,
                                   http={"chunked": True})
    for kind, _ in CERT_CASES + [("none", None)]:
        d["cert-" + kind] = w.add_domain("cert-%s.test" % kind,
                                         policy=POLICY_CRLF, cert=kind)
    for fault in ("tls-hang", "http-hang", "trickle", "garbage", "refused"):
        d["fault-" + fault] = w.add_domain("fault-%s.test" % fault,
                                policy=POLICY_CRLF, fault=fault)
    return d


def test_dns(t, w, d):
    st, ans, _ = dig(w, d["good"].txt_name, "TXT")
    t.is_((st, ans), ("NOERROR", ['TXT "v=STSv1; id=%s;"' % d["good"].id]),
          "dns: TXT of a plain domain")
    st, ans, _ = dig(w, d["split"].txt_name, "TXT")
    t.is_((st, ans), ("NOERROR", sorted([
        'TXT "v=STSv1; " "id=split1;"', 'TXT "v=spf1 -all"',
        'TXT "quote \\" back \\\\ byte \\127 end"'])),
        "dns: several TXT records, split and escaped strings")
    t.is_(dig(w, d["good"].host)[:2], ("NOERROR", ["A 127.0.0.1"]),
          "dns: A of the policy host")
    t.is_(dig(w, d["v6"].host, "AAAA")[:2], ("NOERROR", ["AAAA ::1"]),
          "dns: AAAA")
    t.is_(dig(w, d["v6"].host, "A")[:2], ("NOERROR", []),
          "dns: NODATA for A of an AAAA-only host")
    t.is_(dig(w, d["cname"].host)[:2], ("NOERROR", [
        "A 127.0.0.1", "CNAME web.hosting.test."]),
        "dns: CNAME chased to the target's A")
    t.is_(dig(w, "good.test", "MX")[:2], ("NOERROR", [
        "MX 10 mx1.good.test.", "MX 5 mx0.good.test."]), "dns: MX")
    t.is_(d["idn"].name, "xn--bcher-kva.test", "idn: name normalised")
    t.is_(dig(w, d["idn"].txt_name, "TXT")[0], "NOERROR",
          "dns: IDN domain under its A-label")
    t.is_(dig(w, "_mta-sts.absent.test", "TXT")[:2], ("NXDOMAIN", []),
          "dns: NXDOMAIN for an unknown name")
    t.is_(dig(w, d["nodata"].txt_name, "TXT")[:2], ("NOERROR", []),
          "dns: NODATA for TXT beside an A")
    t.is_(dig(w, d["servfail"].txt_name, "TXT")[:2], ("SERVFAIL", []),
          "dns: SERVFAIL name")
    t.is_(dig(w, d["servfail"].host)[:2], ("NOERROR", ["A 127.0.0.1"]),
          "dns: SERVFAIL is limited to its name")
    t.is_(dig(w, d["refused"].txt_name, "TXT")[:2], ("REFUSED", []),
          "dns: REFUSED name")
    st, ans, el = dig(w, d["hang"].host)
    t.is_(st, None, "dns: never-answered name times out", diag=el)
    t.is_(dig(w, d["hang"].txt_name, "TXT")[0], "NOERROR",
          "dns: TXT beside a never-answered host still answers")
    st, _, el = dig(w, "www.example.com")
    t.ok(st == "NXDOMAIN" and el < 0.9,
         "dns: names outside the world are NXDOMAIN at once",
         got=(st, el), want=("NXDOMAIN", "<0.9s"))
    t.is_(dig(w, "x.test", "TXT", world.DNS_FAULT_ADDR)[0], "SERVFAIL",
          "dns: fault DNS server answers SERVFAIL")
    r = w.run(["getent", "hosts", d["good"].host])
    t.is_(r.stdout.split()[:1], ["127.0.0.1"],
          "dns: /etc/resolv.conf inside the namespace is the world's")


def test_https(t, w, d):
    rc, h, body = curl(w, url(d["good"].host))
    t.is_((rc, h.get("status"), h.get("content-type"), body),
          (0, "200", "text/plain", POLICY_CRLF.encode()),
          "https: good policy, CRLF bytes intact")
    t.is_(h.get("content-length"), str(len(POLICY_CRLF)),
          "https: Content-Length sent by default")
    rc, h, body = curl(w, url(d["split"].host))
    t.is_((rc, body), (0, POLICY_LF.encode()), "https: LF policy intact")
    rc, h, body = curl(w, url(d["cname"].host))
    t.is_((rc, h.get("status")), (0, "200"), "https: host behind CNAME")
    if w.ipv6:
        rc, h, _ = curl(w, url(d["v6"].host))
        t.is_((rc, h.get("status")), (0, "200"), "https: over IPv6 (::1)")
    rc, h, _ = curl(w, url(d["idn"].host))
    t.is_((rc, h.get("status")), (0, "200"), "https: IDN host")
    t.is_(curl(w, url(d["404"].host))[1].get("status"), "404",
          "https: host without policy is 404")
    t.is_(curl(w, url(d["500"].host))[1].get("status"), "500",
          "https: status 500")
    rc, h, _ = curl(w, url(d["301"].host))
    t.is_((h.get("status"), h.get("location")),
          ("301", url("mta-sts.good.test")), "https: redirect + Location")
    t.is_(curl(w, url(d["html"].host))[1].get("content-type"), "text/html",
          "https: Content-Type text/html")
    rc, h, _ = curl(w, url(d["charset"].host))
    t.is_((h.get("content-type"), h.get("x-world")),
          ("text/plain; charset=utf-8", "yes"),
          "https: Content-Type with charset, extra header")
    rc, h, body = curl(w, url(d["chunked"].host))
    t.is_((h.get("transfer-encoding"), h.get("content-length"), body),
          ("chunked", None, POLICY_CRLF.encode()),
          "https: chunked transfer, no Content-Length, same body")
    rc, h, body = curl(w, url(d["big"].host))
    t.is_((h.get("content-length"), len(body)),
          (str(len(BIG)), len(BIG)), "https: 1 MiB body with Content-Length")
    t.ok(len(BIG) > 1 << 20, "https: big body is over 1 MiB", got=len(BIG))
    rc, h, body = curl(w, url(d["bigchunked"].host), "--raw")
    t.ok(h.get("transfer-encoding") == "chunked" and len(body) > len(BIG),
         "https: 1 MiB chunked body", got=(h.get("transfer-encoding"),
                                           len(body)))
    rc, h, _ = curl(w, url(d["cert-none"].host))
    t.is_(rc, 35, "https: host without certificate fails the handshake")
    rc, _, _ = curl(w, url(d["cert-expired"].host))
    t.is_(rc, 60, "https: curl rejects the expired certificate")
    new = policy_text(mx=["changed.good.test"])
    w.set_policy(d["good"].host, new)
    t.is_(curl(w, url(d["good"].host))[2], new.encode(),
          "https: set_policy() is live without restart")
    log = [e for e in w.access_log() if e["host"] == d["good"].host]
    t.ok(len(log) >= 2 and log[0]["sni"] == d["good"].host and
         log[0]["status"] == "200", "https: access_log() records requests",
         got=log[:1])


def test_tls_and_faults(t, w, d):
    jobs = {}
    for kind, _ in CERT_CASES:
        dom = d["cert-" + kind]
        jobs["cert-" + kind] = ("verify", dom.host, "127.0.0.1")
    fa = world.FAULT_ADDRS
    jobs["tls-hang"] = ("handshake", d["fault-tls-hang"].host, fa["tls-hang"])
    jobs["http-hang"] = ("request", d["fault-http-hang"].host, fa["http-hang"])
    jobs["trickle"] = ("trickle", d["fault-trickle"].host, fa["trickle"])
    jobs["garbage"] = ("handshake", d["fault-garbage"].host, fa["garbage"])
    jobs["refused"] = ("connect", d["fault-refused"].host, fa["refused"])
    r = w.run([world.PYTHON, "-c", CLIENT, w.ca_file, json.dumps(jobs)],
              timeout=30)
    try:
        res = json.loads(r.stdout)
    except ValueError:
        t.ok(False, "tls: client ran", diag=r.stderr)
        return
    for kind, code in CERT_CASES:
        got = res["cert-" + kind]
        if code is None:
            t.ok(got.get("ok"), "tls: good certificate verifies", got=got)
        else:
            t.is_(got.get("verify_code"), code,
                  "tls: %s certificate is rejected (X509 error %d)"
                  % (kind, code), diag=json.dumps(got))
    g = res["tls-hang"]
    t.ok(g.get("error") == "timeout" and g["elapsed"] >= 0.9,
         "fault tls-hang: TCP accepted, handshake never answered", got=g)
    g = res["http-hang"]
    t.ok(g.get("error") == "timeout", "fault http-hang: TLS ok, no answer",
         got=g)
    g = res["trickle"]
    t.ok(g.get("head", "").startswith("HTTP/1.1 200") and
         1 <= g.get("body", 0) <= 4,
         "fault trickle: headers, then about one body byte per second",
         got=g, want="1..4 body bytes in 2.2 s")
    g = res["garbage"]
    t.ok(g.get("error") == "ssl" and g["elapsed"] < 1,
         "fault garbage: TLS fails at once with a protocol error", got=g)
    g = res["refused"]
    t.is_(g.get("error"), "refused", "fault refused: connection refused")


def test_apply(t, w):
    late = w.add_domain("late.test", policy=POLICY_CRLF,
                        http={"status": 404}, cert="good")
    w.apply()
    t.is_(dig(w, late.txt_name, "TXT")[0], "NOERROR",
          "apply(): new domain in DNS")
    t.is_(curl(w, url(late.host))[1].get("status"), "404",
          "apply(): new server block in nginx")
    nginx_pid = w._procs["nginx"].pid
    w.remove_records(late.txt_name, "TXT")
    w.add_txt(late.txt_name, world.sts_txt("rotated2"))
    w.apply()
    t.is_(dig(w, late.txt_name, "TXT")[:2],
          ("NOERROR", ['TXT "v=STSv1; id=rotated2;"']),
          "apply(): TXT id rotated")
    t.is_(w._procs["nginx"].pid, nginx_pid,
          "apply(): a DNS-only change leaves nginx running")


CHILD = r'''
import sys, time
sys.path.insert(0, sys.argv[1])
from world import World
w = World()
w.__enter__()
w.add_domain("child.test", policy="x")
w.start()
print(w.ns, w.dir, " ".join(str(p.pid) for p in w._procs.values()),
      flush=True)
time.sleep(60)
'''


def ns_exists(ns):
    r = subprocess.run(["ip", "netns", "list"], capture_output=True,
                       text=True)
    return any(line.split()[:1] == [ns] for line in r.stdout.splitlines())


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie of ours does not count
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def child_world(sig):
    p = subprocess.Popen([world.PYTHON, "-c", CHILD, world.LIB_DIR],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    ns, d, pids = line[0], line[1], [int(x) for x in line[2:]]
    before = ns_exists(ns) and os.path.isdir(d) and all(map(alive, pids))
    p.send_signal(sig)
    p.wait(10)
    return ns, d, pids, before


def test_teardown(t, w_ns, w_dir, w_pids):
    t.ok(not ns_exists(w_ns) and not os.path.exists(w_dir) and
         not any(map(alive, w_pids)) and
         not os.path.exists("/etc/netns/" + w_ns),
         "teardown: namespace, temp dir, servers gone after `with`")
    ns, d, pids, before = child_world(signal.SIGTERM)
    t.ok(before and not ns_exists(ns) and not os.path.exists(d) and
         not any(map(alive, pids)), "teardown: on SIGTERM",
         got=(before, ns_exists(ns), os.path.exists(d)))
    ns, d, pids, before = child_world(signal.SIGKILL)
    # Another test's World.start() may reap it first when tests run in
    # parallel (make -j check): what matters is that it is gone after.
    # A concurrent reaper may still be mid-way, so allow it a moment.
    left = ns_exists(ns)
    world.reap_stale()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (
            ns_exists(ns) or os.path.exists(d) or any(map(alive, pids))):
        time.sleep(0.05)
    t.ok(before and not ns_exists(ns) and not os.path.exists(d)
         and not any(map(alive, pids)),
         "teardown: reap_stale() cleans a SIGKILLed world",
         got=(before, left, ns_exists(ns), os.path.exists(d)))


def test_bulk(t):
    with World() as w:
        t0 = time.monotonic()
        doms = [w.add_domain("bulk%04d.test" % i,
                             policy=policy_text(mx=["mx%d.bulk.test" % i]))
                for i in range(1000)]
        w.start()
        el = time.monotonic() - t0
        t.ok(el < 10, "bulk: 1,000 domains configured and started < 10 s",
             got="%.2fs" % el)
        t.diag("1,000-domain world started in %.2f s" % el)
        ok = True
        for dom in (doms[0], doms[517], doms[999]):
            rc, h, body = curl(w, url(dom.host))
            ok = ok and rc == 0 and body == policy_text(
                mx=["mx%d.bulk.test" % int(dom.name[4:8])]).encode()
        t.ok(ok, "bulk: sample domains serve their own policy")


def section(t, fn, *args):
    """Run one group of checks; an exception is a failure, not a crash,
    so the plan is still printed and the world still torn down."""
    try:
        fn(t, *args)
    except Exception:
        t.ok(False, "%s ran to the end" % fn.__name__,
             diag=traceback.format_exc())


def main():
    reason = world.skip_reason(("dig", "curl", "openssl", "getent"))
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    t0 = time.monotonic()
    with World() as w:
        d = build(w)
        w.start()
        t.diag("world %s started in %.2f s" % (w.ns, time.monotonic() - t0))
        section(t, test_dns, w, d)
        section(t, test_https, w, d)
        section(t, test_tls_and_faults, w, d)
        section(t, test_apply, w)
        w_ns, w_dir = w.ns, w.dir
        w_pids = [p.pid for p in w._procs.values()]
    section(t, test_teardown, w_ns, w_dir, w_pids)
    section(t, test_bulk)
    t.diag("selftest took %.1f s" % (time.monotonic() - t0))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
