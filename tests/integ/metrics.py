#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""metrics.py: the metrics endpoint scraped by a real Prometheus, and the
per-lookup log.

The real mtastsd runs in a test world (tests/lib/world.py, daemon.py) with
metrics_listen and log_lookups = yes; Debian's prometheus runs in the same
network namespace, scrapes it every second and loads the alert rules of
contrib/prometheus.  Known lookups (one discovery and three cached answers
over socketmap, an answer DANE decides, a discovery with no policy over tcp_table, a key that is
not a domain, a malformed request, a table-mtasts resolve), then the test
waits for a scrape that started after the last of them and checks, through
Prometheus' HTTP API, that exactly the right counters moved.  Also:
`promtool check metrics` on the endpoint's output, 404/405/HEAD and an
oversized request, `mtasts stats` (for people and --json), the log
lines, a request closed by its deadline (the connection counters), and
log_lookups switched off by a reload.  Prints TAP; skips (with the reason) when not root or a tool
(prometheus, promtool) is missing.
"""

import json
import os
import socket
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from daemon import Client, Daemon, ns_socket  # noqa: E402
from world import Tap, World, policy_text, skip_reason  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")
MTASTSD = os.environ.get("MTASTSD") or os.path.join(BUILDDIR, "src",
                                                    "mtastsd")
MTASTS = os.environ.get("MTASTS") or os.path.join(BUILDDIR, "src", "mtasts")
METRICS_PORT = 9101
PROM_PORT = 9090
RULES = os.path.join(os.path.abspath(SRCDIR), "contrib", "prometheus",
                     "mtastsd-rules.yml")


def http(w, port, request, timeout=10):
    """Send raw request bytes to 127.0.0.1:port in the world; returns
    (status, headers dict, body bytes), status None when closed."""
    s = ns_socket(w.ns)
    s.settimeout(timeout)
    try:
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            return None, {}, b""
        s.sendall(request)
        data = b""
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            data += b
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        return None, {}, data
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, body


def get(w, port, path, method="GET", extra=b""):
    # HTTP/1.0: no chunked answer to decode.
    return http(w, port, b"%s %s HTTP/1.0\r\nHost: x\r\n%s\r\n" %
                (method.encode(), path.encode(), extra))


def query(w, expr):
    """Prometheus' instant query: {labels-tuple: value}."""
    st, _, body = get(w, PROM_PORT, "/api/v1/query?query=" +
                      urllib.parse.quote(expr))
    if st != 200:
        return None
    r = json.loads(body)
    return {tuple(sorted(x["metric"].items())): float(x["value"][1])
            for x in r["data"]["result"]}


def scalar(w, expr):
    r = query(w, expr)
    return list(r.values())[0] if r and len(r) == 1 else None


def wait_for(fn, timeout=30):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return fn()


def start_prometheus(w):
    pdir = os.path.join(w.dir, "prometheus")
    os.makedirs(os.path.join(pdir, "data"))
    conf = os.path.join(pdir, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files:\n  - %s\n"
                "scrape_configs:\n  - job_name: mtastsd\n"
                "    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                % (RULES, METRICS_PORT))
    return w.spawn(["prometheus", "--config.file=" + conf,
                    "--storage.tsdb.path=" + os.path.join(pdir, "data"),
                    "--web.listen-address=127.0.0.1:%d" % PROM_PORT,
                    "--log.level=warn"])


LK = "mtastsd_lookups_total"


def sel(proto, prof, verdict, src):
    return ('%s{protocol="%s",profile="%s",verdict="%s",source="%s"}' %
            (LK, proto, prof, verdict, src))


# What the lookups of do_lookups() must move, exactly.
EXPECT = {
    sel("socketmap", "postfix", "OK", "discovery"): 1,
    sel("socketmap", "postfix", "OK", "cache"): 3,
    sel("socketmap", "postfix", "OK", "dane"): 1,
    sel("tcp_table", "postfix", "NOTFOUND", "discovery"): 1,
    sel("tcp_table", "none", "NOTFOUND", "none"): 2,
    sel("tcp_table", "none", "PERM", "none"): 1,
    sel("table-mtasts", "postfix", "OK", "cache"): 1,
    "sum(%s)" % LK: 10,
    'sum(%s{verdict="TEMP"})' % LK: 0,
    'mtastsd_protocol_errors_total{protocol="tcp_table"}': 1,
    "sum(mtastsd_protocol_errors_total)": 1,
    'mtastsd_resolve_runs_total{kind="discovery",result="ok"}': 2,
    'mtastsd_resolve_runs_total{kind="discovery",result="txt-none"}': 1,
    "sum(mtastsd_resolve_runs_total)": 3,
    "mtastsd_discoveries_started_total": 3,
    'mtastsd_policy_events_total{event="new"}': 2,
    'sum(mtastsd_policy_events_total)': 2,
    "mtastsd_lookup_duration_seconds_count": 7,
    'mtastsd_cache_entries{db="policy"}': 2,
    'mtastsd_cache_entries{db="negative"}': 1,
}


def do_lookups(t, d):
    c = Client(d)
    r = c.sockmap("enforce.test")
    t.ok(r is not None and r.startswith("OK "), "socketmap: discovered",
         got=r)
    for _ in range(3):
        r = c.sockmap("enforce.test")
    t.ok(r is not None and r.startswith("OK "), "socketmap: cached", got=r)
    t.is_(c.sockmap("dane.sec"), "OK dane-only", "socketmap: DANE first")
    c.close()
    c = Client(d)
    t.is_(c.tcp("nopolicy.test"), "500 not found", "tcp_table: no policy")
    t.is_(c.tcp("[192.0.2.1]"), "500 not found", "tcp_table: not a domain")
    t.is_(c.tcp("a b"), "500 not found", "tcp_table: a key with a blank")
    c.send("put x\n")
    t.ok((c.line() or "").startswith("400 "), "tcp_table: malformed")
    c.close()
    c = Client(d)
    r = c.json({"op": "resolve", "client": "table-mtasts",
                "domain": "enforce.test"})
    t.ok(r and r.get("verdict") == "OK", "table-mtasts resolve", got=r)
    c.close()


def check_counters(t, w, t_done):
    # A scrape that started after the last lookup was answered.
    def scraped():
        ts = scalar(w, "timestamp(mtastsd_build_info)")
        return ts is not None and ts > t_done + 0.05
    t.ok(wait_for(scraped), "Prometheus scraped after the lookups")
    for expr, want in EXPECT.items():
        got = scalar(w, expr)
        t.is_(got, float(want), "prometheus: %s" % expr)
    b = query(w, 'mtastsd_lookup_duration_seconds_bucket{le="0.25"}')
    t.ok(b and list(b.values())[0] >= 4,
         "the cached answers are in the sub-second buckets", got=b)
    exp = scalar(w, "mtastsd_starttls_list_expiry_timestamp_seconds")
    expired = scalar(w, "mtastsd_starttls_list_expired")
    t.ok(scalar(w, "mtastsd_starttls_list_loaded") == 1.0 and exp and
         expired == (1.0 if exp <= time.time() else 0.0),
         "STARTTLS list: loaded, its expiry and expired flag agree",
         got=(exp, expired))
    used = scalar(w, "mtastsd_cache_map_used_bytes")
    t.ok(used and used > 0 and
         scalar(w, "mtastsd_cache_map_max_bytes") == 1024.0 ** 3,
         "cache map used and maximum", got=used)
    t.is_(scalar(w, 'mtastsd_build_info{version="%s"}' % version()), 1.0,
          "build info carries the version")
    st = scalar(w, "mtastsd_start_time_seconds")
    t.ok(st and abs(st - time.time()) < 300, "start time", got=st)


def check_kept(t, w, d):
    """The cache's entries by kind: a pass (test.sweep), then the
    counts it kept, in the stats op and as Prometheus scraped them."""
    c = Client(d)
    try:
        n = c.json({"op": "test.sweep"})["passes"]
    finally:
        c.close()
    cache = wait_for(lambda: (lambda s: s if s["sweep"]["passes"] > n
                              else None)(d.stats()["cache"]), 30)
    if not t.ok(cache and "kept" in cache["sweep"], "test.sweep: a pass "
                "completes and publishes its counts"):
        return
    k = cache["sweep"]["kept"]
    t.is_((sum(k["policy"].values()), k["policy"]["enforce"],
           sum(k["negative"].values()), k["dane"]),
          (cache["policies"], 2, cache["negatives"], cache["dane_entries"]),
          "stats: the pass kept every entry; the two policies enforce")
    at = k["at"]
    t.ok(wait_for(lambda: scalar(
        w, "mtastsd_cache_sweep_last_pass_timestamp_seconds") == at),
        "prometheus: the pass's end time scraped")
    got = query(w, "mtastsd_cache_sweep_entries")
    want = {(("__name__", "mtastsd_cache_sweep_entries"),
             ("instance", "127.0.0.1:%d" % METRICS_PORT), ("job", "mtastsd"),
             ("kind", "policy"), ("mode", m)): float(v)
            for m, v in k["policy"].items()}
    want.update({(("__name__", "mtastsd_cache_sweep_entries"),
                  ("instance", "127.0.0.1:%d" % METRICS_PORT),
                  ("job", "mtastsd"), ("kind", "negative"),
                  ("reason", r)): float(v)
                 for r, v in k["negative"].items()})
    want[(("__name__", "mtastsd_cache_sweep_entries"),
          ("instance", "127.0.0.1:%d" % METRICS_PORT), ("job", "mtastsd"),
          ("kind", "dane"))] = float(k["dane"])
    t.is_(got, want, "prometheus: mtastsd_cache_sweep_entries equals the "
          "stats op's counts, every mode and reason")


def check_cli(t, d):
    """mtasts stats: the same counts for people, and --json."""
    r = d.w.run([MTASTS, "stats", "--socket", d.sock], timeout=30)
    rows = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines()
            if ln.startswith("  ")}
    t.ok(r.rc == 0 and rows.get("socketmap") == ["5", "0", "0", "0", "0"]
         and rows.get("tcp_table") == ["0", "3", "0", "1", "1"] and
         rows.get("table-mtasts") == ["1", "0", "0", "0", "0"] and
         "sources: cache 4, negative 0, discovery 2, list 0, dane 1, "
         "none 3" in r.stdout and
         "discovery: 3 started, 2 found a policy" in r.stdout
         and "txt-none 1" in r.stdout,
         "mtasts stats: a summary for people", got=(r.rc, r.stdout))
    r = d.w.run([MTASTS, "stats", "--json", "--socket", d.sock], timeout=30)
    try:
        st = json.loads(r.stdout)
    except ValueError:
        st = {}
    t.ok(r.rc == 0 and st.get("lookups", {}).get("socketmap", {}).get("OK")
         == 5, "mtasts stats --json: the daemon's object", got=r.stdout[:300])


def check_conns(t, d):
    """A half-sent request closed by client_request_timeout: a connection
    counter of the listener, in the JSON stats and in Prometheus."""
    c = Client(d)
    c.send("20:postfix enfor")
    t0 = time.monotonic()
    t.ok(c.closed(), "a half-sent request: closed by the deadline")
    el = time.monotonic() - t0
    c.close()
    t.ok(el < 5, "... within client_request_timeout", got=el)
    c = Client(d)
    st = c.json({"op": "stats"})
    c.close()
    conns = (st or {}).get("connections", {})
    t.ok(conns.get("request_timeout") == 1 and conns.get("evicted") == 0
         and conns.get("user_limit") == 0 and
         conns.get("limit_reached") == 0,
         "stats: request_timeout 1, evicted, user_limit, limit_reached 0",
         got=conns)
    ov = (st or {}).get("service", {}).get("overloads", {})
    t.ok(sorted(ov) == ["client-quota", "max_pending", "max_refreshes",
                        "max_waiters", "quota"] and sum(ov.values()) == 0,
         "stats: overloads by limit, none", got=ov)
    t_done = time.time()
    t.ok(wait_for(lambda: (scalar(d.w, "timestamp(mtastsd_build_info)")
                           or 0) > t_done + 0.05), "scraped after it")
    for expr, want in (
            ("mtastsd_connections_request_timeout_total", 1),
            ("mtastsd_connections_evicted_total", 0),
            ("mtastsd_connections_user_limit_total", 0),
            ("mtastsd_connections_limit_reached_total", 0),
            ("count(mtastsd_overloads_total)", 5),
            ("sum(mtastsd_overloads_total)", 0),
            ("mtastsd_discoveries_quota_running", 0)):
        t.is_(scalar(d.w, expr), float(want), "prometheus: %s" % expr)


def version():
    with open(os.path.join(BUILDDIR, "config.h")) as f:
        for ln in f:
            if ln.startswith("#define PACKAGE_VERSION "):
                return ln.split('"')[1]
    return "?"


def check_endpoint(t, w):
    st, hdrs, body = get(w, METRICS_PORT, "/metrics")
    t.ok(st == 200 and hdrs.get("content-type", "").startswith(
        "text/plain; version=0.0.4"), "GET /metrics: 200, format 0.0.4",
        got=(st, hdrs))
    r = w.run(["promtool", "check", "metrics"], input=body.decode(),
              timeout=60)
    t.ok(r.rc == 0 and r.stdout.strip() == "" and r.stderr.strip() == "",
         "promtool check metrics: no problem",
         got=(r.rc, r.stdout[-1500:], r.stderr[-1500:]))
    st, _, _ = get(w, METRICS_PORT, "/")
    t.is_(st, 404, "GET /: 404")
    st, _, _ = get(w, METRICS_PORT, "/metrics/x")
    t.is_(st, 404, "GET /metrics/x: 404")
    st, hdrs, _ = get(w, METRICS_PORT, "/metrics", "POST",
                      b"Content-Length: 0\r\n")
    t.ok(st == 405 and hdrs.get("allow") == "GET, HEAD",
         "POST /metrics: 405 with Allow", got=(st, hdrs))
    st, hdrs, body = get(w, METRICS_PORT, "/metrics", "HEAD")
    t.ok(st == 200 and body == b"" and
         int(hdrs.get("content-length", "0")) > 10000,
         "HEAD /metrics: 200, the length of the text, no body",
         got=(st, hdrs, body[:100]))
    st, _, _ = get(w, METRICS_PORT, "/metrics", "GET",
                   b"X-Big: " + b"a" * 20000 + b"\r\n")
    t.ok(st != 200, "20 KB of headers: refused", got=st)
    st, _, _ = get(w, METRICS_PORT, "/metrics", "PUT",
                   b"Content-Length: 5000\r\n")
    t.is_(st, 413, "a request body over the limit: 413")


def check_log(t, d):
    log = d.log()
    lines = [ln for ln in log.splitlines() if "lookup key=" in ln]
    cached = [ln for ln in lines if "key=enforce.test protocol=socketmap "
              "profile=postfix verdict=OK source=cache policy_id=" in ln]
    t.is_(len(cached), 3, "log_lookups: one line per cached answer")
    t.ok(any("key=nopolicy.test protocol=tcp_table profile=postfix "
             "verdict=NOTFOUND source=discovery error=txt-none" in ln
             for ln in lines), "log_lookups: a discovery without a policy",
         got=lines[-8:])
    t.ok(any("key=[192.0.2.1] protocol=tcp_table profile=none "
             "verdict=NOTFOUND source=none error=" in ln for ln in lines),
         "log_lookups: a key that is not a domain", got=lines[-8:])
    t.ok(any("key=a\\x20b protocol=tcp_table" in ln for ln in lines),
         "log_lookups: a blank in a raw key is escaped", got=lines[-8:])
    t.ok(any("key=- protocol=tcp_table profile=none verdict=PERM "
             "source=none error=unsupported-command" in ln for ln in lines),
         "log_lookups: a malformed request", got=lines[-8:])
    t.ok(any("protocol=table-mtasts" in ln for ln in lines),
         "log_lookups: table-mtasts")
    t.ok(any("key=dane.sec protocol=socketmap profile=postfix verdict=OK "
             "source=dane dane=dane-only why=" in ln for ln in lines),
         "log_lookups: an answer DANE decided", got=lines[-8:])
    t.is_(len(lines), 10, "log_lookups: one line per answer")
    t.ok(d.hup({"log_lookups": "no", "metrics_listen": "127.0.0.1:9102",
                "dns_timeout": "4s"}, expect="reload done (new lookup"),
         "reload: log_lookups = no, and a new lookup service")
    t.ok("metrics_listen" in d.log(), "reload: metrics_listen is named as "
         "needing a restart")
    c = Client(d)
    c.sockmap("enforce.test")
    c.close()
    n = len([ln for ln in d.log().splitlines() if "lookup key=" in ln])
    t.is_(n, 10, "log_lookups = no: no more lookup lines")
    st, _, _ = get(d.w, METRICS_PORT, "/metrics")
    t.is_(st, 200, "the endpoint stays where it was after the reload")
    # The replaced service's counts are kept: 7 queries before, 1 after.
    c = Client(d)
    r = c.json({"op": "stats"})
    c.close()
    t.ok(r and r["service"]["queries"] == 8 and
         r["service"]["discoveries"] == 3,
         "stats: the service counters survive the new lookup service",
         got=r and r.get("service"))
    t_hup = time.time()
    t.ok(wait_for(lambda: (scalar(d.w, "timestamp(mtastsd_build_info)")
                           or 0) > t_hup + 0.05),
         "scraped after the reload")
    t.is_(scalar(d.w, "mtastsd_discoveries_started_total"), 3.0,
          "prometheus: counters do not go down on reload")


def check_rules(t, w):
    def loaded():
        st, _, body = get(w, PROM_PORT, "/api/v1/rules")
        if st != 200:
            return None
        groups = json.loads(body)["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        if len(rules) < 5 or any(r.get("lastEvaluation", "").startswith(
                "0001") for r in rules):
            return None
        return rules
    rules = wait_for(loaded) or []
    t.ok(len(rules) == 5 and all(r["health"] == "ok" for r in rules),
         "Prometheus loaded and evaluated the 5 alert rules",
         got=[(r.get("name"), r.get("health"), r.get("lastError"))
              for r in rules])
    # The bundled list may be past its expiry (it is a fixed copy): then,
    # and only then, the list alert is pending (its "for" is 1h).
    expired = scalar(w, "mtastsd_starttls_list_expired") == 1.0
    want = [("MtastsdStarttlsListExpired", "pending")] if expired else []
    st, _, body = get(w, PROM_PORT, "/api/v1/alerts")
    alerts = json.loads(body)["data"]["alerts"] if st == 200 else []
    t.is_(sorted((a["labels"]["alertname"], a["state"]) for a in alerts),
          want, "alerts: %s" % ("only the expired list's, pending" if
                                expired else "none"))


def main():
    reason = skip_reason(("prometheus", "promtool", "ldns-signzone",
                          "ldns-keygen"))
    if reason is None and not os.access(MTASTSD, os.X_OK):
        reason = "mtastsd not built"
    if reason:
        Tap.skip_all(reason)
        return 0
    t = Tap()
    with World() as w:
        w.add_domain("enforce.test", policy=policy_text(
            mx=["mx.enforce.test"]))
        w.add_domain("nopolicy.test", mx=["mx.nopolicy.test"])
        # DANE first (docs/postfix.md): a signed domain whose MX has TLSA.
        w.sign_tld("sec")
        w.add_domain("dane.sec", policy=policy_text(mx=["mx.dane.sec"]),
                     mx=["mx.dane.sec"])
        w.add_address("mx.dane.sec", "127.0.0.1")
        w.add_record("_25._tcp.mx.dane.sec", "TLSA", "3 1 1 " + "2b" * 32)
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, MTASTSD, "metrics", 0)
        d.opts.update({"metrics_listen": "127.0.0.1:%d" % METRICS_PORT,
                       "log_lookups": "yes", "log_level": "info",
                       "client_request_timeout": "1s",
                       "dane_probe_name": "sec"})
        d.write_conf()
        if not t.ok(d.start(), "daemon starts"):
            t.diag(d.log()[-3000:])
            return t.done()
        prom = start_prometheus(w)
        w.wait_tcp("127.0.0.1", PROM_PORT, timeout=60)
        up = wait_for(lambda: scalar(w, 'up{job="mtastsd"}') == 1.0, 60)
        if not t.ok(up, "Prometheus runs and scrapes the daemon"):
            with open(prom.log_file, errors="replace") as f:
                t.diag(f.read()[-3000:])
            return t.done()
        t.is_(scalar(w, "sum(%s)" % LK), 0.0, "no lookup counted yet")
        t.is_(query(w, "{__name__=~'mtastsd_cache_sweep_.*'}"), {},
              "no counts by kind before a sweep has completed")
        do_lookups(t, d)
        t_done = time.time()
        check_counters(t, w, t_done)
        check_kept(t, w, d)
        check_cli(t, d)
        check_conns(t, d)
        check_endpoint(t, w)
        check_rules(t, w)
        check_log(t, d)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
