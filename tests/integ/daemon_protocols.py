#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""daemon_protocols.py: TAP test of mtastsd's lookup socket, the real
daemon against the test world (tests/lib/world.py).

The daemon runs inside the world's network namespace with -d -T, its
socket, pidfile and state directory in the world's temp dir, `user =
nobody`, DNS = the world's unbound, CA = the world's CA, and a TCP
listener on 127.0.0.1 in the namespace (the test opens its TCP sockets
there with setns(2)).  Checked, as docs/PROTOCOLS.md states:
  - privileges: /proc/<pid>/status Uid/Gid, socket and directory owners
    and modes;
  - Postfix socketmap over Unix and TCP, and tcp_table: enforce -> the
    exact OK string, testing / none / no policy -> NOTFOUND, parent keys,
    [host] and IP keys -> NOTFOUND at once and without any lookup, mixed
    case, trailing dot and IDN keys -> the answer of the normalised key;
  - JSON: resolve, stats, cache.list (more entries than one batch),
    cache.show, cache.purge, cache.flush, test.clock; the ops that
    change state refused over TCP;
  - malformed, truncated and oversize requests on every protocol get the
    documented error or a closed connection while a parallel client keeps
    getting answers;
  - idle socketmap connections stay open past client_idle_timeout
    (socketmap_idle_timeout applies), idle JSON and tcp_table
    connections are closed;
  - max_connections: half-sent requests hold their slots only until
    client_request_timeout, then the waiting client is served; when
    every slot is taken by idle connections, the one idle longest is
    closed to make room; both logged;
  - socket in a root-owned directory (owner, group, mode given by
    lchown after a root bind); a setgid directory stops the start; the
    descriptor soft limit is raised to the hard one;
  - resolve, cache.show and cache.list over TCP only with
    listen_tcp_json, state changes never;
  - out of file descriptors (EMFILE: a daemon started with 64 and 80
    clients): accepting pauses without spinning, logged and counted, and
    the waiting clients are answered once descriptors free up;
  - 1,000 concurrent connections each get their correct answer;
  - SIGHUP with a bad file keeps the running configuration; a good one
    applies enforce_testing, names options that need a restart, and
    replaces the lookup service when lookup settings change;
  - a second daemon: stale pidfile and stale socket are replaced, a
    third start is refused, test.clock is refused without -T, -n, -f of
    a missing file;
  - a client that closes while its lookup is pending: the lookup is
    cancelled at once;
  - SIGTERM lets an in-flight lookup finish, exits 0, removes pidfile
    and socket;
  - a cache that is not an LMDB file stops the next start: exit status
    not 0, the directory and the reason in the log, no pidfile or socket.
Cold/hot lookups, coalescing, refresh and kill -9 are tested with the
lookup service (not here).

The binary is $MTASTSD, else src/mtastsd under $MTASTS_BUILDDIR (or the
current directory).  Missing binary, not root or missing tools: SKIP.
"""

import json
import os
import pwd
import re
import resource
import selectors
import signal
import socket
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import world  # noqa: E402
from daemon import (Client, Daemon, IO_TIMEOUT, mtastsd_binary,  # noqa: E402,F401
                    ns, ns_socket, quote, run_skip_reason)
from world import Tap, World, policy_text  # noqa: E402

IDLE = 1                # client_idle_timeout in the test config (s)
LOOKUP_TIMEOUT = 3      # lookup_timeout (s)
BULK = 600              # domains for cache.list batches and concurrency
CONCURRENT = 1000
USER = "nobody"

ENFORCE_MX = ["mx1.enforce.test", "*.backup.enforce.test"]
TESTING_MX = ["mx.testing.test"]
IDN_MX = ["mx.xn--bcher-kva.test"]
# RFC 8461 §3.2: no limit on mx lines (3,000 short ones fit 64 KiB), and
# "mx: 192.0.2.25" is a valid ["*."] Domain that no MX host can match.
MANY_MX = ["m%d.mm.test" % i for i in range(3000)]
IP_MX = ["192.0.2.25", "mx.ipmx.test"]


def value(mx):
    """The Postfix policy value for an enforced policy."""
    return "secure match=%s servername=hostname" % ":".join(
        m[1:] if m.startswith("*.") else m for m in mx)


OK_ENFORCE = "OK " + value(ENFORCE_MX)
OK_IDN = "OK " + value(IDN_MX)
NOTFOUND = "NOTFOUND "

# (key as Postfix sends it, expected socketmap reply)
KEYS = [
    ("enforce.test", OK_ENFORCE),
    ("testing.test", NOTFOUND),
    ("none.test", NOTFOUND),
    ("nopolicy.test", NOTFOUND),
    ("ENFORCE.Test", OK_ENFORCE),
    ("enforce.test.", OK_ENFORCE),
    ("EnFoRcE.TEST.", OK_ENFORCE),
    ("b\u00fccher.test", OK_IDN),
    ("B\u00dcCHER.TEST.", OK_IDN),
    ("xn--bcher-kva.test", OK_IDN),
]
# Keys that are not mail domains: NOTFOUND without any lookup.
NOT_DOMAINS = [".example.test", ".enforce.test", ".test", ".com", "[1.2.3.4]",
               "[mx1.enforce.test]:25", "mx1.enforce.test:25",
               "192.0.2.1", "2001:db8::1", "localhost", "bad_name.test",
               "a..b.test", ""]

def tcp_expect(sockmap_reply):
    if sockmap_reply.startswith("OK "):
        return "200 " + quote(sockmap_reply[3:])
    return "500 not found"


# ------------------------------------------------------------------ tests

def build_world(w):
    w.add_domain("enforce.test", policy=policy_text(mx=ENFORCE_MX))
    w.add_domain("testing.test", policy=policy_text(mode="testing",
                                                    mx=TESTING_MX))
    w.add_domain("none.test", policy=policy_text(mode="none", mx=[]))
    w.add_domain("nopolicy.test")
    w.add_domain("manymx.test", policy=policy_text(mx=MANY_MX))
    w.add_domain("ipmx.test", policy=policy_text(mx=IP_MX))
    w.add_domain("iponly.test", policy=policy_text(mx=IP_MX[:1]))
    w.add_domain("b\u00fccher.test", policy=policy_text(mx=IDN_MX))
    w.add_domain("purge.test", policy=policy_text(mx=["mx.purge.test"]))
    w.add_domain("cold.test", policy=policy_text(mx=["mx.cold.test"]))
    w.add_domain("hang.test", policy=policy_text(), fault="http-hang")
    for i in range(BULK):
        w.add_domain("bulk%d.test" % i,
                     policy=policy_text(mx=["mx%d.bulk.test" % i]))


EXTRA_GID = 64997


def extra_group(w):
    """Make USER a member of one more group, inside the world only
    (`ip netns exec` mounts /etc/netns/NS/group over /etc/group): the
    daemon must not take it along when it drops root."""
    with open("/etc/group") as f:
        text = f.read()
    if not text.endswith("\n"):
        text += "\n"
    text += "mtastsd-test-extra:x:%d:%s\n" % (EXTRA_GID, USER)
    with open("/etc/netns/%s/group" % w.ns, "w") as f:
        f.write(text)


def test_privileges(t, d):
    nobody = pwd.getpwnam(USER)
    with open(d.pidfile) as f:
        pid = int(f.read().strip())
    t.is_(pid, d.p.pid, "pidfile holds the daemon's pid")
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                ids[k] = v.split()
    t.is_(ids.get("Uid"), [str(nobody.pw_uid)] * 4,
          "privileges: real/effective/saved/fs uid are %s" % USER)
    t.is_(ids.get("Gid"), [str(nobody.pw_gid)] * 4,
          "privileges: real/effective/saved/fs gid are %s's group" % USER)
    r = d.w.run(["id", "-G", USER])
    t.ok(str(EXTRA_GID) in r.stdout.split(),
         "%s has a supplementary group in the world" % USER, got=r.stdout)
    t.is_(ids.get("Groups"), [str(nobody.pw_gid)],
          "privileges: the primary group only (no supplementary, no root)")
    st = os.stat(d.sock)
    t.ok(stat.S_ISSOCK(st.st_mode), "socket exists")
    t.is_(oct(stat.S_IMODE(st.st_mode)), "0o660", "socket mode")
    t.is_((st.st_uid, st.st_gid), (nobody.pw_uid, nobody.pw_gid),
          "socket owner and group")
    st = os.stat(d.run)
    t.is_((oct(stat.S_IMODE(st.st_mode)), st.st_uid),
          ("0o755", nobody.pw_uid), "socket directory created 0755 for "
          "the run user")

    st = os.stat(d.state)
    t.is_((oct(stat.S_IMODE(st.st_mode)), st.st_uid),
          ("0o700", nobody.pw_uid), "state directory created 0700 for "
          "the run user")


def test_postfix_keys(t, d):
    for tcp in (False, True):
        where = "tcp" if tcp else "unix"
        sm, tt = Client(d, tcp=tcp), Client(d, tcp=tcp)
        for key, want in KEYS:
            got = sm.sockmap(key)
            t.is_(got, want, "socketmap/%s %r" % (where, key))
            t.is_(tt.tcp(key), tcp_expect(want),
                  "tcp_table/%s %r" % (where, key))
        sm.close()
        tt.close()


def test_rfc_classes(t, d):
    """Valid policies that were once rejected whole (fail-open)."""
    sm, tt = Client(d), Client(d, tcp=True)
    t.is_(sm.sockmap("manymx.test"), "OK " + value(MANY_MX),
          "socketmap: 3000 mx lines, every pattern enforced")
    r = sm.sockmap("manymx.test", name="postfix-tlsrpt")
    t.ok(r is not None and r.startswith("OK " + value(MANY_MX)) and
         len(r) < 100000, "socketmap/tlsrpt: 3000 mx lines within "
         "Postfix's limit (%d bytes)" % len(r or ""))
    t.is_(tt.tcp("manymx.test"), "400 reply too large",
          "tcp_table: 3000 mx lines are over its 4096 bytes: deferred")
    t.is_(sm.sockmap("ipmx.test"), "OK " + value(IP_MX[1:]),
          "socketmap: an IP address mx is dropped, the rest enforced")
    r = sm.sockmap("iponly.test")
    t.ok(r is not None and r.startswith("TEMP "),
         "socketmap: enforce with only an IP address mx defers (%r)" % r)
    sm.close()
    tt.close()


def test_not_domains(t, d):
    before = d.stats()["service"]["queries"]
    sm, tt = Client(d), Client(d, tcp=True)
    slow = []
    for key in NOT_DOMAINS:
        t0 = time.monotonic()
        got = (sm.sockmap(key), tt.tcp(key))
        if time.monotonic() - t0 > 0.5:
            slow.append(key)
        t.is_(got, (NOTFOUND, "500 not found"),
              "not a mail domain %r: NOTFOUND on both protocols" % key)
    t.is_(slow, [], "not-domain keys answered at once")
    after = d.stats()["service"]["queries"]
    t.is_(after, before, "not-domain keys reach no lookup")
    sm.close()
    tt.close()


def test_json(t, d):
    c = Client(d)
    r = c.json({"op": "resolve", "domain": "EnForce.test."})
    t.is_((r["ok"], r["domain"], r["source"], r["policy"]["mode"],
           r["policy"]["mx"], r["postfix"], r["error"]),
          (True, "enforce.test", "mta-sts", "enforce", ENFORCE_MX,
           value(ENFORCE_MX), None), "json resolve enforce")
    t.ok(r["cached"] is True and isinstance(r["age"], (int, float)) and
         r["expires_in"] > 0, "json resolve enforce: cached, age, expiry",
         got=r)
    r = c.json({"op": "resolve", "domain": "testing.test"})
    t.is_((r["source"], r["policy"]["mode"], r["postfix"]),
          ("mta-sts", "testing", None), "json resolve testing: no Postfix "
          "value")
    r = c.json({"op": "resolve", "domain": "nopolicy.test"})
    t.ok(r["ok"] and r["source"] == "none" and r["policy"] is None and
         isinstance(r["error"], str) and r["error"],
         "json resolve no policy: source none with an error code", got=r)
    for dom in (".enforce.test", "[1.2.3.4]", "bad_name.test", 5):
        r = c.json({"op": "resolve", "domain": dom})
        t.is_((r["ok"], r["error"]), (False, "domain-invalid" if
              isinstance(dom, str) else "bad-request"),
              "json resolve %r refused" % (dom,))
    t0 = time.monotonic()
    r = c.json({"op": "resolve", "domain": "cold.test", "wait": False})
    t.ok(r["ok"] and r["source"] == "none" and r["error"] == "deadline" and
         time.monotonic() - t0 < 0.5, "json resolve cold domain with "
         "wait false: deadline at once", got=r)
    r = c.json({"op": "resolve", "domain": "cold.test", "wait": 2000})
    t.is_((r["source"], r["postfix"]), ("mta-sts", value(["mx.cold.test"])),
          "json resolve with wait in ms: the discovered policy")
    r = c.json({"op": "resolve", "domain": "cold.test", "wait": "yes"})
    t.is_((r["ok"], r["error"]), (False, "bad-request"),
          "json resolve with a bad wait refused")
    r = c.json({"op": "stats"})
    t.ok(r["ok"] and r["lookups"]["socketmap"]["OK"] >= 1 and
         r["lookups"]["tcp_table"]["NOTFOUND"] >= len(NOT_DOMAINS) and
         r["sources"]["none"] >= 2 * len(NOT_DOMAINS) and
         r["connections"]["open"] >= 1 and "in_flight" in r["service"] and
         "txt-none" in r["service"]["failures"],
         "json stats: lookups by protocol and verdict, service counters",
         got=r)
    r = c.json({"op": "test.clock", "advance": 0})
    t.ok(r["ok"] and isinstance(r["now"], (int, float)), "json test.clock",
         got=r)
    c.close()


def cache_list(d):
    c = Client(d)
    c.send('{"op":"cache.list"}\n')
    entries, end = [], None
    while True:
        line = c.line()
        if line is None:
            break
        o = json.loads(line)
        if o.get("end"):
            end = o
            break
        entries.append(o)
    c.close()
    return entries, end


def test_cache_ops(t, d, bulk_names):
    entries, end = cache_list(d)
    names = [e["domain"] for e in entries]
    t.ok(end is not None and end["ok"] and end["count"] == len(entries),
         "cache.list: end line with the count", got=end)
    keys = [(e["domain"], e["kind"]) for e in entries]
    t.is_(len(keys), len(set(keys)), "cache.list: no duplicates")
    missing = [n for n in bulk_names + ["enforce.test", "xn--bcher-kva.test"]
               if n not in names]
    t.is_(missing[:5], [], "cache.list: every cached policy (%d entries, "
          "more than one batch)" % len(entries))
    e = [e for e in entries if e["domain"] == "enforce.test"]
    t.ok(e and e[0]["kind"] == "policy" and e[0]["mode"] == "enforce" and
         e[0]["mx"] == ENFORCE_MX, "cache.list: enforce.test entry", got=e)
    c = Client(d)
    r = c.json({"op": "resolve", "domain": "purge.test"})
    t.is_(r["postfix"], value(["mx.purge.test"]), "purge.test resolved")
    r = c.json({"op": "cache.show", "domain": "PURGE.test"})
    t.ok(r["ok"] and r["policy"]["mode"] == "enforce" and
         r["policy"]["mx"] == ["mx.purge.test"] and "text" in r["policy"],
         "cache.show: the stored policy", got=r)
    # Any local user can reach the TCP listener: the ops that change
    # the daemon's state are refused there, and the policy stays.
    tc = Client(d, tcp=True)
    for req in ({"op": "cache.purge", "domain": "purge.test"},
                {"op": "cache.flush"}, {"op": "list.update"}):
        r = tc.json(req)
        t.is_((r["ok"], r.get("error")), (False, "not-allowed"),
              "%s over TCP: not allowed" % req["op"])
    # Nor may TCP clients see which domains this server mails to, nor
    # make it resolve names, unless listen_tcp_json says so.
    for req in ({"op": "cache.show", "domain": "purge.test"},
                {"op": "cache.list"},
                {"op": "resolve", "domain": "purge.test"}):
        r = tc.json(req)
        t.is_((r["ok"], r.get("error")), (False, "not-allowed"),
              "%s over TCP: not allowed" % req["op"])
    r = tc.json({"op": "stats"})
    t.ok(r["ok"], "stats over TCP: allowed", got=r)
    tc.close()
    t.ok(d.hup({"listen_tcp_json": "yes"}), "reload: listen_tcp_json = yes")
    tc = Client(d, tcp=True)
    r = tc.json({"op": "cache.show", "domain": "purge.test"})
    t.ok(r["ok"] and r["policy"] is not None,
         "cache.show over TCP with listen_tcp_json: the policy is still "
         "there", got=r)
    r = tc.json({"op": "cache.flush"})
    t.is_((r["ok"], r.get("error")), (False, "not-allowed"),
          "cache.flush over TCP with listen_tcp_json: still not allowed")
    tc.close()
    t.ok(d.hup(), "reload: listen_tcp_json back to no")
    r = c.json({"op": "cache.purge", "domain": "purge.test"})
    t.is_((r["ok"], r["purged"]), (True, True), "cache.purge: purged")
    r = c.json({"op": "cache.show", "domain": "purge.test"})
    t.is_((r["ok"], r["policy"], r["negative"]), (True, None, None),
          "cache.show after purge: nothing")
    r = c.json({"op": "cache.purge", "domain": "purge.test"})
    t.is_((r["ok"], r["purged"]), (True, False), "cache.purge again: "
          "nothing to purge")
    r = c.json({"op": "cache.flush"})
    t.ok(r["ok"] and r["purged"] >= len(bulk_names),
         "cache.flush: every entry", got=r)
    c.close()
    entries, end = cache_list(d)
    t.is_((len(entries), end and end["count"]), (0, 0),
          "cache.list after flush: empty")
    # The cache refills: lookups still work after a flush.
    c = Client(d)
    t.is_(c.sockmap("enforce.test"), OK_ENFORCE, "lookup after flush")
    c.close()


# Malformed requests: (name, protocol of the good client check, bytes to
# send, expected reply or None, closed afterwards?)
def bad_requests():
    big_ns = b"10001:postfix " + b"a" * 9993 + b","
    return [
        ("socketmap bad length", b"5x:abc,", "PERM", True),
        ("socketmap leading zero", b"01:a,", "PERM", True),
        ("socketmap no comma", b"9:postfix a;", "PERM", True),
        ("socketmap 10,001-byte query", big_ns, "PERM", True),
        ("socketmap NUL in key", ns(b"postfix a\x00b.test"), "PERM", True),
        ("socketmap no space", ns(b"postfix"), "PERM", True),
        ("socketmap unknown map", ns(b"other enforce.test"),
         "PERM unknown map name", False),
        ("tcp_table 10,001-byte line", b"get " + b"a" * 9997,
         "400 request too long", True),
        ("tcp_table 10,000-byte line", b"get " + b"a" * 9996 + b"\n",
         "500 not found", False),
        ("tcp_table %00 in key", b"get a%00b.test\n", "500 not found",
         False),
        ("tcp_table raw NUL in key", b"get a\x00b.test\n", "500 not found",
         False),
        ("tcp_table bad %XX", b"get a%zzb\n", "400 malformed %XX encoding",
         False),
        ("tcp_table get without key", b"get\n", "400 unsupported command",
         False),
        ("tcp_table other command", b"gimme x\n", "400 unsupported command",
         False),
        ("garbage first byte", b"HELO x\r\n", None, True),
        ("NUL first byte", b"\x00\x00", None, True),
        ("JSON 10,001-byte line", b'{"op":"stats","x":"' + b"a" * 9980 +
         b'"}', "too-large", True),
        ("JSON not JSON", b"{nope\n", "bad-request", False),
        ("JSON not an object", b"{}[1]\n", "bad-request", False),
        ("JSON NUL", b'{"op":"resolve","domain":"a\\u0000.test"}\n',
         "bad-request", False),
        ("JSON unknown op", b'{"op":"frobnicate"}\n', "unknown-op", False),
        ("JSON no op", b'{"domain":"enforce.test"}\n', "bad-request", False),
    ]


def read_reply(c, data):
    if data[:1].isdigit():
        return c.netstring()
    if data[:1] == b"{":
        line = c.line()
        return json.loads(line).get("error") if line else None
    return c.line()


def test_malformed(t, d):
    good = Client(d)           # a parallel client that must keep working
    for name, data, want, closes in bad_requests():
        c = Client(d, tcp=name.startswith("tcp"))
        c.send(data)
        got = read_reply(c, data) if want is not None else None
        if want is None:
            t.ok(c.closed(), "%s: connection closed without a reply"
                 % name)
        else:
            ok = got is not None and got.startswith(want)
            t.ok(ok, "%s: %s" % (name, want), got=got, want=want)
            if closes:
                t.ok(c.closed(), "%s: connection closed" % name)
            else:
                # Still usable: the next request on it is answered.
                again = (c.sockmap("enforce.test") if data[:1].isdigit()
                         else c.json({"op": "stats"})["ok"] if
                         data[:1] == b"{" else c.tcp("enforce.test"))
                t.ok(again in (OK_ENFORCE, True,
                               tcp_expect(OK_ENFORCE)),
                     "%s: connection still answers" % name, got=again)
        c.close()
        t.is_(good.sockmap("enforce.test"), OK_ENFORCE,
              "after %s: the parallel client gets its answer" % name)
    # Requests cut off by a close: nothing to answer, nothing breaks.
    for name, data in (("socketmap truncated", b"100:postfix enf"),
                       ("JSON half a line", b'{"op":"resolve","dom'),
                       ("tcp_table half a line", b"get enforce.te")):
        c = Client(d)
        c.send(data)
        c.close()
        t.is_(good.sockmap("enforce.test"), OK_ENFORCE,
              "%s then close: the parallel client gets its answer" % name)
    good.close()
    t.ok(d.p.poll() is None, "daemon alive after malformed requests")


def test_idle(t, d):
    sm = Client(d)
    t.is_(sm.sockmap("enforce.test"), OK_ENFORCE, "idle: socketmap client")
    js, tt, silent = Client(d), Client(d), Client(d)
    t.ok(js.json({"op": "stats"})["ok"], "idle: JSON client")
    t.is_(tt.tcp("enforce.test"), tcp_expect(OK_ENFORCE),
          "idle: tcp_table client")
    t0 = time.monotonic()
    t.ok(js.closed(), "idle JSON connection closed by the daemon")
    el = time.monotonic() - t0
    t.ok(IDLE * 0.5 <= el <= IDLE + 2, "... after about "
         "client_idle_timeout", got="%.2fs" % el, want="%ds" % IDLE)
    t.ok(tt.closed(), "idle tcp_table connection closed")
    t.ok(silent.closed(), "connection that never sent a byte closed")
    # Nothing must happen to the socketmap connection: wait 2x the
    # idle timeout (a sleep is the only way to check "nothing").
    time.sleep(2 * IDLE + 0.2)
    t.is_(sm.sockmap("enforce.test"), OK_ENFORCE, "idle socketmap "
          "connection still open and answering after %ds" % (2 * IDLE))
    for c in (sm, js, tt, silent):
        c.close()


def wait_open(d, n, timeout=5.0):
    """Wait until the daemon has n connections open besides ours."""
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if d.stats()["connections"]["open"] == n + 1:
            return True
        time.sleep(0.05)
    return False


def test_max_connections(t, d):
    t.ok(d.hup({"max_connections": "4", "client_request_timeout": "2s"}),
         "reload: max_connections = 4, client_request_timeout = 2s")
    t.ok(wait_open(d, 0), "no other connection open")
    mark = len(d.log())
    # Half-sent requests are not idle: they cannot be closed for room,
    # so a fifth client waits, until the request deadline drops them.
    held = [Client(d) for _ in range(4)]
    for c in held:
        c.send(b"20:postfix enf")
    extra = Client(d, timeout=0.5)     # connects: the kernel's backlog
    extra.send(ns("postfix enforce.test"))
    try:
        got = extra.s.recv(100)
    except socket.timeout:
        got = "no answer"
    t.is_(got, "no answer", "5th connection waits while 4 hold half-sent "
          "requests")
    t0 = time.monotonic()
    t.ok(all(c.closed() for c in held), "half-sent requests closed by "
         "the daemon")
    el = time.monotonic() - t0
    t.ok(1.0 <= el <= 4.0, "... after about client_request_timeout (2s)",
         got="%.2fs" % el)
    extra.s.settimeout(5)
    t.is_(extra.netstring(), OK_ENFORCE, "... and the waiting client is "
          "answered then")
    t.ok(d.wait_log("max_connections (4) reached and no connection idle",
                    after=mark), "full with none idle: warning logged")
    for c in held + [extra]:
        c.close()
    t.ok(wait_open(d, 0), "all closed")
    # Complete idle connections make room: the one idle longest goes.
    idle = []
    for _ in range(4):
        c = Client(d)
        t.is_(c.sockmap("enforce.test"), OK_ENFORCE, "idle client %d "
              "answered" % len(idle))
        idle.append(c)
    time.sleep(1.1)        # idle long enough to be closed for room
    new = Client(d, timeout=3)
    t.is_(new.sockmap("enforce.test"), OK_ENFORCE, "5th client answered at "
          "once while the 4 others are idle")
    t.ok(idle[0].closed(), "the connection idle longest was closed to make "
         "room")
    for c in idle[1:]:
        t.is_(c.sockmap("enforce.test"), OK_ENFORCE, "the other idle "
              "connections still answer")
    t.ok(d.wait_log("max_connections (4) reached: closed the connection "
                    "idle longest", after=mark), "eviction logged")
    t.ok(d.p.poll() is None, "daemon alive at max_connections")
    for c in idle + [new]:
        c.close()
    t.ok(wait_open(d, 0), "all closed again")
    st = d.stats()["connections"]
    t.ok(st["evicted"] >= 1 and st["request_timeout"] >= 4,
         "stats: evicted and request_timeout counted", got=st)
    t.ok(d.hup(), "reload: max_connections back to 2000")


def proc_cpu(pid):
    """User + system seconds of pid."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_emfile(t, w, binary):
    """A daemon started with 64 file descriptors and more clients than
    that: accept() fails with EMFILE while connections wait in the
    backlog.  "[192.0.2.1]" is answered without a lookup, so the test
    needs no descriptor besides the connections."""
    d3 = Daemon(w, binary, "emfile", 0, test=True, user=USER,
                lookup_timeout=LOOKUP_TIMEOUT, idle=IDLE)
    if not t.ok(d3.start(wrap=["prlimit", "--nofile=64:64"]),
                "emfile: a daemon with 64 descriptors starts"):
        t.diag(d3.log()[-2000:])
        return
    pid, want = d3.p.pid, ns("NOTFOUND ")
    t.ok(d3.wait_log("max_connections 2000 does not fit in the descriptor "
                     "limit 64 with 32 kept for DNS, HTTPS and gpgv: at most "
                     "32 connections"), "emfile: the descriptor plan warns")
    # Half of so few is less than the daemon's own descriptors take:
    # accept() itself still runs out before the plan's 32.
    clients = [Client(d3) for _ in range(80)]
    for c in clients:
        c.send(ns("postfix [192.0.2.1]"))
    time.sleep(1.0)        # every answer the daemon can give is in
    answered, waiting = [], []
    for c in clients:
        c.s.settimeout(0)
        try:
            answered.append(c.s.recv(100) == want)
        except BlockingIOError:
            waiting.append(c)
    t.ok(answered and all(answered) and len(waiting) >= 10,
         "emfile: clients up to the limit answered, the rest wait",
         got=(len(answered), len(waiting)))
    t.ok(d3.wait_log("Too many open files"), "emfile: accept failure "
         "logged")
    cpu0 = proc_cpu(pid)
    time.sleep(1.0)
    used = proc_cpu(pid) - cpu0
    t.ok(used < 0.3, "emfile: no busy loop while out of descriptors "
         "(%.2f s CPU in 1 s)" % used)
    for c in clients:
        if c not in waiting:
            c.close()
    got = []
    for c in waiting:
        c.s.settimeout(5)
        try:
            got.append(c.s.recv(100) == want)
        except (socket.timeout, OSError):
            got.append(False)
    t.ok(got and all(got), "emfile: the waiting clients are answered once "
         "descriptors free up", got=(sum(got), len(got)))
    for c in waiting:
        c.close()
    st = d3.stats()
    t.ok(st["connections"]["refused"] > 0, "emfile: counted in "
         "connections.refused", got=st["connections"])
    t.is_(w.stop_process(d3.p), 0, "emfile: SIGTERM exits 0")


def concurrent_case(i, bulk_names):
    proto = ("socketmap", "tcp_table", "json")[i % 3]
    if i % 10 == 9:
        key = ".enforce.test"
        want = "error domain-invalid" if proto == "json" else NOTFOUND
    else:
        name = bulk_names[i % len(bulk_names)]
        n = int(name[4:-5])
        key, want = name, "OK " + value(["mx%d.bulk.test" % n])
    if proto == "socketmap":
        return proto, ns("postfix " + key), want
    if proto == "tcp_table":
        return proto, ("get %s\n" % quote(key)).encode(), tcp_expect(want)
    return proto, (json.dumps({"op": "resolve", "domain": key}) +
                   "\n").encode(), want


def complete(proto, buf):
    """The reply in buf, decoded, or None while incomplete."""
    if proto == "socketmap":
        if b":" not in buf:
            return None
        n = int(buf.split(b":", 1)[0])
        head = len(str(n)) + 1
        return buf[head:head + n].decode() if len(buf) >= head + n + 1 \
            else None
    if b"\n" not in buf:
        return None
    line = buf.split(b"\n", 1)[0].decode()
    if proto == "tcp_table":
        return line
    o = json.loads(line)
    if not o.get("ok"):
        return "error " + str(o.get("error"))
    return "OK " + o["postfix"] if o.get("postfix") else NOTFOUND


def test_concurrent(t, d, bulk_names):
    # JSON resolves over TCP too.
    t.ok(d.hup({"listen_tcp_json": "yes"}), "reload: listen_tcp_json = yes")
    cases = [concurrent_case(i, bulk_names) for i in range(CONCURRENT)]
    socks, t0 = [], time.monotonic()
    for i in range(CONCURRENT):
        c = Client(d, tcp=(i % 4 == 3), timeout=30)
        socks.append(c.s)
    for s, (_, req, _) in zip(socks, cases):
        s.sendall(req)
    sel = selectors.DefaultSelector()
    bufs, got = {}, {}
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        bufs[i] = b""
    deadline = time.monotonic() + 60
    while len(got) < CONCURRENT and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            i = key.data
            b = key.fileobj.recv(65536)
            if not b:
                got[i] = "EOF"
                sel.unregister(key.fileobj)
                continue
            bufs[i] += b
            r = complete(cases[i][0], bufs[i])
            if r is not None:
                got[i] = r
                sel.unregister(key.fileobj)
    el = time.monotonic() - t0
    bad = [(i, cases[i][0], got.get(i), cases[i][2])
           for i in range(CONCURRENT) if got.get(i) != cases[i][2]]
    t.is_(bad[:3], [], "%d concurrent connections (Unix and TCP, all "
          "three protocols) each get their answer" % CONCURRENT)
    t.diag("%d concurrent connections answered in %.2f s" % (CONCURRENT,
                                                           el))
    st = d.stats()
    t.ok(st["connections"]["open"] >= CONCURRENT,
         "stats: %d connections open" % CONCURRENT,
         got=st["connections"])
    for s in socks:
        s.close()
    t.ok(d.p.poll() is None, "daemon alive after %d connections"
         % CONCURRENT)
    t.ok(d.hup(), "reload: listen_tcp_json back to no")


def warm_bulk(t, d, bulk_names):
    """Resolve the bulk domains, 50 connections at a time."""
    per = 12
    conns = [Client(d, timeout=30) for _ in range(len(bulk_names) // per)]
    for j, c in enumerate(conns):
        for name in bulk_names[j * per:(j + 1) * per]:
            c.send(ns("postfix " + name))
    bad = []
    for j, c in enumerate(conns):
        for k, name in enumerate(bulk_names[j * per:(j + 1) * per]):
            r = c.netstring()
            if r != "OK " + value(["mx%d.bulk.test" % (j * per + k)]):
                bad.append((name, r))
        c.close()
    t.is_(bad[:3], [], "%d bulk domains discovered (pipelined socketmap "
          "requests, answered in order)" % len(bulk_names))
    check_heap_trimmed(t, d)


def heap_kib(pid):
    """(Size, Rss) in KiB of the [heap] mapping of pid, or None."""
    size = rss = None
    with open("/proc/%d/smaps" % pid) as f:
        inside = False
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                inside = line.rstrip().endswith("[heap]")
            elif inside and line.startswith("Size:"):
                size = int(line.split()[1])
            elif inside and line.startswith("Rss:"):
                rss = int(line.split()[1])
    return None if size is None else (size, rss)


def check_heap_trimmed(t, d):
    """After a burst, the pages the fetches freed go back at once
    (src/mtastsd.c heap_trim), not at the next cache sync (30 s): the
    heap's span stays at the burst's high-water mark but most of it is
    no longer resident.  The last answer can precede the trim by a loop
    turn, hence the short wait."""
    h = heap_kib(d.p.pid)
    if h is None or h[0] < 2048:
        t.skip("heap given back after the burst",
               "no glibc heap grown by the burst (sanitizer allocator?)")
        return
    deadline = time.monotonic() + 2
    while h[1] > h[0] * 0.6 and time.monotonic() < deadline:
        time.sleep(0.05)
        h = heap_kib(d.p.pid)
    t.ok(h[1] <= h[0] * 0.6, "heap given back after the burst: "
         "%d of %d KiB resident" % (h[1], h[0]))


def test_reload(t, d):
    mark = len(d.log())
    t.ok(d.hup(raw="this is not an option\n",
               expect="reload failed, keeping the running configuration"),
         "SIGHUP with a bad file: reload failed is logged")
    t.ok(d.p.poll() is None, "daemon still running after a bad reload")
    c = Client(d)
    t.is_(c.sockmap("enforce.test"), OK_ENFORCE, "old configuration still "
          "answers")
    t.is_(c.sockmap("testing.test"), NOTFOUND, "testing still NOTFOUND")
    t.ok(d.hup({"enforce_testing": "yes", "socket_mode": "0600"}),
         "SIGHUP with a good file: reload done")
    t.ok("option socket_mode cannot change without a restart" in
         d.log()[mark:], "a non-reloadable option is named in the log")
    t.is_(c.sockmap("testing.test"), "OK " + value(TESTING_MX),
          "enforce_testing = yes applied: testing policy enforced")
    t.ok(d.hup(), "reload back to the test configuration")
    t.is_(c.sockmap("testing.test"), NOTFOUND, "testing NOTFOUND again")
    mark = len(d.log())
    t.ok(d.hup({"dns_tries": "3"}, expect="reload done (new lookup "
               "service)"), "reload with new lookup settings: new lookup "
         "service")
    t.is_(c.sockmap("enforce.test"), OK_ENFORCE, "the new service answers")
    t.ok(d.wait_log("previous lookup service freed", after=mark),
         "the previous service is freed once idle")
    t.ok(d.hup(expect="reload done (new lookup service)"),
         "reload back to the test lookup settings")
    c.close()


def test_second_daemon(t, w, binary):
    d2 = Daemon(w, binary, "second", 0, test=False, user=USER,
                lookup_timeout=LOOKUP_TIMEOUT, idle=IDLE)
    nobody = pwd.getpwnam(USER)
    os.makedirs(d2.run, exist_ok=True)
    os.chown(d2.run, nobody.pw_uid, nobody.pw_gid)
    with open(d2.pidfile, "w") as f:       # stale: nobody holds its lock
        f.write("999999\n")
    s = socket.socket(socket.AF_UNIX)      # stale: nobody accepts
    s.bind(d2.sock)
    s.close()
    t.ok(d2.start(), "second daemon starts over a stale pidfile and a "
         "stale socket", diag=d2.log() if d2.p else None)
    t.ok("removed stale pidfile" in d2.log() and
         "removed stale socket" in d2.log(), "... and says so")
    c = Client(d2)
    r = c.json({"op": "test.clock", "advance": 60})
    t.is_((r["ok"], r["error"]), (False, "not-allowed"),
          "test.clock refused without -T")
    c.close()
    r = w.run([binary, "-d", "-f", d2.conf], timeout=10)
    t.ok(r.rc == 1 and "already running" in r.stderr,
         "a second instance on the same pidfile is refused",
         got=(r.rc, r.stderr[-200:]))
    r = subprocess.run([binary, "-n", "-f", d2.conf], capture_output=True,
                       text=True, timeout=10)
    t.ok(r.returncode == 0 and "client_idle_timeout = %ds" % IDLE in
         r.stdout and "user = %s" % USER in r.stdout,
         "-n prints the effective configuration", got=r.stdout[:200])
    r = subprocess.run([binary, "-n", "-f", d2.conf + ".missing"],
                       capture_output=True, text=True, timeout=10)
    t.ok(r.returncode == 1 and "No such file" in r.stderr,
         "-f of a missing file fails", got=(r.returncode, r.stderr))
    t.is_(w.stop_process(d2.p), 0, "second daemon: SIGTERM exits 0")


def test_socket_dirs(t, w, binary):
    """Where the socket's directory is root's, the daemon binds as root
    and gives the file away (nobody else can swap the name there); a
    setgid directory, which would give the file another group, stops
    the start with the reason."""
    nobody = pwd.getpwnam(USER)
    d5 = Daemon(w, binary, "rootdir", 0, test=False, user=USER,
                lookup_timeout=LOOKUP_TIMEOUT, idle=IDLE)
    os.makedirs(d5.run, mode=0o755, exist_ok=True)
    os.chown(d5.run, 0, 0)
    d5.opts["pidfile"] = os.path.join(w.dir, "rootdir.pid")
    d5.write_conf()
    if t.ok(d5.start(wrap=["prlimit", "--nofile=256:4096"]),
            "socket in a root-owned directory: daemon starts",
            diag=d5.log() if d5.p else None):
        lim = []
        with open("/proc/%d/limits" % d5.p.pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    lim = line.split()[3:5]
        t.is_(lim, ["4096", "4096"], "... its descriptor soft limit "
              "raised from 256 to the hard limit")
        st = os.lstat(d5.sock)
        t.is_((st.st_uid, st.st_gid, oct(stat.S_IMODE(st.st_mode))),
              (nobody.pw_uid, nobody.pw_gid, "0o660"), "... the socket "
              "has its owner, group and mode")
        # An answer first: the socket accepts before the loop (and its
        # signal handling) runs.
        c = Client(d5)
        t.ok((c.json({"op": "stats"}) or {}).get("ok"), "... it answers")
        c.close()
        t.is_(w.stop_process(d5.p), 0, "... SIGTERM exits 0")
    d6 = Daemon(w, binary, "setgid", 0, test=False, user=USER,
                lookup_timeout=LOOKUP_TIMEOUT, idle=IDLE)
    os.makedirs(d6.run, exist_ok=True)
    os.chown(d6.run, nobody.pw_uid, EXTRA_GID)
    os.chmod(d6.run, 0o2775)
    t.ok(not d6.start() and d6.p.wait(timeout=10) != 0,
         "socket in a setgid directory of another group: no start")
    t.ok("created as uid" in d6.log() and "setgid directory" in d6.log(),
         "... and the log says why", got=d6.log()[-300:])


def test_vanish(t, d):
    """A client that leaves while its lookup is pending: the lookup is
    cancelled at once, not left to run into its deadline."""
    c = Client(d)
    c.send(ns("postfix hang.test"))     # pending: the fetch never ends
    t_end = time.monotonic() + 2
    while d.stats()["service"]["in_flight"] == 0 and \
            time.monotonic() < t_end:
        time.sleep(0.02)
    t.is_(d.stats()["service"]["in_flight"], 1, "vanish: lookup pending")
    t0 = time.monotonic()
    c.close()
    while d.stats()["service"]["in_flight"] > 0 and \
            time.monotonic() - t0 < LOOKUP_TIMEOUT + 1:
        time.sleep(0.02)
    el = time.monotonic() - t0
    t.ok(el < 1.0, "vanish: pending lookup cancelled when the client "
         "closed", got="%.2fs" % el, want="< 1s (lookup_timeout %ds)"
         % LOOKUP_TIMEOUT)
    t.ok("lookup cancelled" in d.log(), "vanish: logged")


def test_sigterm(t, d):
    c = Client(d)
    c.send(ns("postfix hang.test"))      # pending: the fetch never ends
    time.sleep(0.2)                      # let it start (no signal for it)
    t0 = time.monotonic()
    os.kill(d.p.pid, signal.SIGTERM)
    t.is_(c.netstring(), NOTFOUND, "SIGTERM: the in-flight lookup is "
          "answered (deadline: NOTFOUND)")
    t.ok(time.monotonic() - t0 <= LOOKUP_TIMEOUT + 1, "... within "
         "lookup_timeout")
    try:
        rc = d.p.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    t.is_(rc, 0, "SIGTERM: exit status 0")
    t.ok(not os.path.exists(d.pidfile), "pidfile removed")
    t.ok(not os.path.exists(d.sock), "socket removed")
    t.ok("exiting" in d.log(), "log says exiting")
    c.close()


def test_bad_cache(t, d):
    """A cache that LMDB reports damaged (as after a power loss) is set
    aside with a timestamp and the daemon starts empty, with an error in
    the log: mail goes on with first-use answers.  A cache that cannot
    be opened for any other reason still stops the daemon."""
    data = os.path.join(d.state, "data.mdb")
    t.ok(os.path.exists(data), "bad cache: the cache file is there")
    with open(data, "r+b") as f:
        f.write(b"not an LMDB environment\n" * 512)
    t.ok(d.start(), "damaged cache: the daemon starts")
    log = d.log()
    aside = [n for n in os.listdir(d.state)
             if n.startswith("data.mdb.damaged-")]
    t.ok(len(aside) == 1 and re.fullmatch(
        r"data\.mdb\.damaged-\d{8}T\d{6}Z", aside[0]) is not None,
         "damaged cache: moved aside with a UTC timestamp", got=aside)
    t.ok(aside and os.path.getsize(os.path.join(d.state, aside[0])) > 0
         and open(os.path.join(d.state, aside[0]), "rb").read(23) ==
         b"not an LMDB environment", "damaged cache: its bytes are kept")
    t.ok("cache damaged" in log and aside and aside[0] in log and
         d.state in log, "damaged cache: the log names the directory, "
         "the reason and the new name")
    c = Client(d)
    t.is_(c.sockmap("enforce.test"), OK_ENFORCE, "damaged cache: "
          "a domain is discovered again (first use)")
    c.close()
    os.kill(d.p.pid, signal.SIGTERM)
    d.p.wait(10)
    # Not damage: the data file is a directory.  The daemon stops.
    os.unlink(data)
    os.mkdir(data, 0o700)
    # It listens before it opens the cache, so a connect may succeed in
    # between: what counts is that it exits, and how.
    d.start()
    try:
        rc = d.p.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    t.ok(rc not in (0, None), "unopenable cache: the daemon exits, "
         "status not 0", got=rc)
    last = d.log().strip().splitlines()[-1:]
    t.ok(last and d.state in last[0], "unopenable cache: the log's last "
         "line names the directory", got=last)
    t.ok(not os.path.exists(d.pidfile) and not os.path.exists(d.sock),
         "unopenable cache: no pidfile or socket left")
    t.ok(len([n for n in os.listdir(d.state)
              if n.startswith("data.mdb.damaged-")]) == 1,
         "unopenable cache: nothing more is set aside")
    os.rmdir(data)


def main():
    binary = mtastsd_binary()
    reason = world.skip_reason() or run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(4096, soft)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    t = Tap()
    with World() as w:
        build_world(w)
        w.start()
        extra_group(w)
        # The daemon runs as nobody: it must reach its files and the CA.
        os.chmod(w.dir, 0o711)
        d = Daemon(w, binary, "mtastsd", 20000 + os.getpid() % 20000,
                   user=USER, lookup_timeout=LOOKUP_TIMEOUT, idle=IDLE)
        if not t.ok(d.start(), "daemon starts and accepts"):
            t.diag(d.log()[-3000:])
            return t.done()
        bulk = ["bulk%d.test" % i for i in range(BULK)]
        steps = [
            ("privileges", lambda: test_privileges(t, d)),
            ("postfix keys", lambda: test_postfix_keys(t, d)),
            ("rfc classes", lambda: test_rfc_classes(t, d)),
            ("not domains", lambda: test_not_domains(t, d)),
            ("json", lambda: test_json(t, d)),
            ("malformed", lambda: test_malformed(t, d)),
            ("idle", lambda: test_idle(t, d)),
            ("max_connections", lambda: test_max_connections(t, d)),
            ("emfile", lambda: test_emfile(t, w, binary)),
            ("bulk", lambda: warm_bulk(t, d, bulk)),
            ("concurrent", lambda: test_concurrent(t, d, bulk)),
            ("cache ops", lambda: test_cache_ops(t, d, bulk)),
            ("reload", lambda: test_reload(t, d)),
            ("second daemon", lambda: test_second_daemon(t, w, binary)),
            ("socket dirs", lambda: test_socket_dirs(t, w, binary)),
            ("vanish", lambda: test_vanish(t, d)),
            ("sigterm", lambda: test_sigterm(t, d)),
            ("bad cache", lambda: test_bad_cache(t, d)),
        ]
        for name, fn in steps:
            t0 = time.monotonic()
            try:
                fn()
            except Exception as e:     # report, keep the TAP stream valid
                t.ok(False, "%s: %s: %s" % (name, type(e).__name__, e))
                t.diag(d.log()[-2000:])
            t.diag("%s: %.2f s" % (name, time.monotonic() - t0))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
