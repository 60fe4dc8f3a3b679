#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""hostile.py: TAP test: a Postfix-like client keeps its answers, and its
latency, while local users attack the lookup socket.

The real daemon runs in the test world (tests/lib/world.py) with small
limits (max_connections 64, max_connections_per_user 16,
client_request_timeout 2s, max_pending 200, max_pending_json 60,
max_pending_per_user 40).  The clients are this script run again as
other uids (the daemon tells users apart by SO_PEERCRED), over the Unix
socket (mode 0666: every local user may connect):
  - "postfix" (uid 60010): 4 connections kept open, like smtp(8)
    processes, each asking socketmap lookups one after the other:
    cached domains, and domains nobody asked for yet (a discovery each);
    it records every answer and its latency;
  - "hold" (uids 60001 and 60002): each opens 24 connections, sends half
    a socketmap request on each and never finishes it, reconnecting
    whenever the daemon closes one: every slot its per-user cap allows
    (16), all the time;
  - "flood" (uid 60003): 4 connections pipelining JSON
    {"op":"resolve","wait":false} for names under a zone whose DNS never
    answers, as fast as it can.
Authorisation first: state changes (cache.purge, cache.flush,
list.update, test.clock) only from the daemon's user or admin_group
(primary or supplementary), lookups and stats from anyone.  Then the
postfix client runs alone and under attack, in RUNS alternating rounds.
Checked: every answer is right (cached and newly discovered policies
OK; none NOTFOUND), its p99 under attack (median of the rounds) is at
most twice the baseline's (plus 2 ms: two scheduler ticks of a loaded
2-core test machine), the attackers were held to their caps (request
deadline, per-user cap, JSON share of max_pending), the per-user cap
applies to a local TCP client too (uid 60005, named by the kernel's
socket diagnostics), the daemon said so in its log, and
OpenSMTPD's table-mtasts (uid 60030, JSON with "client":"table-mtasts")
still starts discoveries while two other users fill max_pending_json,
up to its own max_pending_per_user.  The figures
are printed as TAP comments.
"""

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))

USER = "nobody"
POSTFIX_UID, HOLD_UIDS, FLOOD_UID = 60010, (60001, 60002), 60003
JSON_UIDS, TABLE_UID = (60006, 60007), 60030
ADMIN_GID = 60100
TCP_UID = 60005
PER_USER = 16
HOLD_CONNS = 24
FLOOD_CONNS = 4
PF_CONNS = 4
CACHED = 40
FRESH = 40                  # per run
ROUNDS = 600                # lookups per run, over PF_CONNS connections
RUNS = 5                    # rounds: postfix alone, then under attack
SLACK = 0.002               # s: two scheduler ticks (250 Hz) of a loaded
                            # 2-core machine shared with other tests
ATTACK_SETTLE = 2.5         # s between starting the attack and measuring


# ------------------------------------------------------------ the clients

def ns(payload):
    b = payload.encode()
    return b"%d:%s," % (len(b), b)


def read_ns(s, buf):
    while True:
        if b":" in buf:
            n = int(buf.split(b":", 1)[0])
            head = len(str(n)) + 1
            if len(buf) >= head + n + 1:
                return buf[head:head + n].decode(), buf[head + n + 1:]
        b = s.recv(65536)
        if not b:
            raise EOFError
        buf += b


def role_postfix(sock, plan):
    """plan: [[domain, mx], ...]: lookups, round robin over PF_CONNS
    connections kept open.  Prints [[domain, answer, seconds], ...]."""
    conns = []
    for _ in range(PF_CONNS):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(sock)
        conns.append([s, b""])
    out = []
    for i, (domain, _) in enumerate(plan):
        c = conns[i % PF_CONNS]
        t0 = time.perf_counter()
        try:
            c[0].sendall(ns("postfix " + domain))
            ans, c[1] = read_ns(c[0], c[1])
        except (OSError, EOFError) as e:
            ans = "error %s" % type(e).__name__
        out.append([domain, ans, time.perf_counter() - t0])
    print(json.dumps(out))


def role_hold(sock, seconds, again=True):
    """Keep HOLD_CONNS half-sent requests open for `seconds` (reconnect
    when closed, if `again`); print counts: connected, closed by the
    daemon (request deadline or per-user cap)."""
    sel = selectors.DefaultSelector()
    st = {"connected": 0, "closed": 0, "errors": 0}

    def one():
        if sock.startswith("tcp:"):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            addr = ("127.0.0.1", int(sock[4:]))
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = sock
        s.settimeout(2)
        try:
            s.connect(addr)
            s.send(b"30:postfix half")
            s.setblocking(False)
        except OSError:
            st["errors"] += 1
            s.close()
            return
        st["connected"] += 1
        sel.register(s, selectors.EVENT_READ)

    for _ in range(HOLD_CONNS):
        one()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not STOP:
        for key, _ in sel.select(timeout=0.1):
            try:
                b = key.fileobj.recv(100)
            except OSError:
                b = b""
            if not b:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                st["closed"] += 1
                time.sleep(0.02)    # 50 tries a second: its CPU is not
                if again:           # what is measured
                    one()
    print(json.dumps(st))


def role_flood(sock, seconds):
    """Pipeline wait:false resolves of never-answering names on
    FLOOD_CONNS connections for `seconds`; print the answers' errors."""
    sel = selectors.DefaultSelector()
    st = {"sent": 0, "answers": {}}
    n = 0
    for _ in range(FLOOD_CONNS):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE,
                     {"buf": b"", "out": 0})
    end = time.monotonic() + seconds
    while time.monotonic() < end and not STOP:
        for key, ev in sel.select(timeout=0.1):
            s, d = key.fileobj, key.data
            if ev & selectors.EVENT_READ:
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    b = None
                if b == b"":
                    sel.unregister(s)
                    continue
                if b:
                    d["buf"] += b
                    *lines, d["buf"] = d["buf"].split(b"\n")
                    for line in lines:
                        e = json.loads(line).get("error", "policy")
                        st["answers"][e] = st["answers"].get(e, 0) + 1
                        d["out"] -= 1
            if ev & selectors.EVENT_WRITE and d["out"] < 64:
                reqs = b"".join(
                    b'{"op":"resolve","wait":false,"domain":"n%d.hang.test"}'
                    b"\n" % (n + i) for i in range(32))
                try:
                    s.sendall(reqs)
                except BlockingIOError:
                    continue
                n += 32
                d["out"] += 32
                st["sent"] += 32
            # Writable is not a reason to wake up with 64 unanswered:
            # a spinning attacker would measure the machine, not us.
            want = selectors.EVENT_READ | (
                selectors.EVENT_WRITE if d["out"] < 64 else 0)
            if key.events != want:
                sel.modify(s, want, d)
    print(json.dumps(st))


STOP = []


def role_json(sock, reqs):
    """Each request of reqs on one connection; print the replies."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock)
    f = s.makefile("rwb")
    out = []
    for r in reqs:
        f.write((json.dumps(r) + "\n").encode())
        f.flush()
        out.append(json.loads(f.readline()))
    print(json.dumps(out))


def role_main(argv):
    role, sock, arg = argv[0], argv[1], argv[2]
    signal.signal(signal.SIGTERM, lambda *_: STOP.append(1))
    if role == "json":
        role_json(sock, json.loads(arg))
    elif role == "postfix":
        role_postfix(sock, json.loads(arg))
    elif role == "hold":
        role_hold(sock, float(arg.split(":")[0]), not arg.endswith(":once"))
    else:
        role_flood(sock, float(arg))
    return 0


def spawn(role, uid, sock, arg, gid=None, groups=(), netns=None):
    """This script as `role`, with uid `uid`, gid `gid` (default: uid)
    and supplementary `groups`; attackers at nice 19 and the measuring
    client at -10, in both phases: the test measures what the daemon
    does under attack, not how the kernel shares 2 cores between busy
    processes (ours and other tests')."""
    def drop():
        if role in ("hold", "flood"):
            os.nice(19)
        elif role == "postfix":
            os.nice(-10)        # the measure, less of the machine's noise
        if netns is not None:   # the daemon's TCP listener is in there
            import ctypes
            fd = os.open(os.path.join("/run/netns", netns), os.O_RDONLY)
            if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000):
                os._exit(3)
            os.close(fd)
        os.setgroups(list(groups))
        os.setgid(uid if gid is None else gid)
        os.setuid(uid)
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--role", role, sock,
         arg], stdout=subprocess.PIPE, preexec_fn=drop, text=True)


def collect(p, timeout):
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    try:
        return json.loads(out)
    except ValueError:
        return None


# ------------------------------------------------------------------ test

def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else 0.0


def plan_for(cached, fresh):
    """ROUNDS lookups: every fresh domain once, spread out, the rest
    cached domains."""
    plan, step = [], ROUNDS // len(fresh)
    for i in range(ROUNDS):
        if i % step == step // 2 and i // step < len(fresh):
            plan.append(fresh[i // step])
        else:
            plan.append(cached[i % len(cached)])
    return plan


def check_run(t, name, res, fresh_names):
    if not t.ok(res is not None and len(res) == ROUNDS, "%s: the postfix "
                "client got %d answers" % (name, ROUNDS)):
        return None
    bad = [r[:2] for r in res
           if not r[1].startswith("OK secure match=mx.%s " % r[0])]
    t.is_(bad[:3], [], "%s: every answer OK with the domain's policy "
          "(cached and newly discovered)" % name)
    notfound = [r[0] for r in res if r[1].startswith("NOTFOUND")]
    t.is_(notfound[:3], [], "%s: no lookup answered NOTFOUND" % name)
    cached = [r[2] for r in res if r[0] not in fresh_names]
    fresh = [r[2] for r in res if r[0] in fresh_names]
    t.diag("%s: %d cached lookups: p50 %.3f ms, p99 %.3f ms, max %.3f ms; "
           "%d first lookups (discovery): p50 %.1f ms, max %.1f ms" % (
               name, len(cached), 1e3 * sorted(cached)[len(cached) // 2],
               1e3 * p99(cached), 1e3 * max(cached), len(fresh),
               1e3 * sorted(fresh)[len(fresh) // 2], 1e3 * max(fresh)))
    return p99(cached), p99([r[2] for r in res])


def build(w):
    from world import policy_text
    cached = ["c%d.test" % i for i in range(CACHED)]
    fresh = [["f%d-%d.test" % (r, i) for i in range(FRESH)]
             for r in range(2 * RUNS)]
    for name in cached + sum(fresh, []):
        w.add_domain(name, policy=policy_text(mx=["mx." + name]))
    w.dns_fault("hang.test", "hang")
    return cached, fresh


def main():
    from daemon import Client, Daemon, mtastsd_binary, run_skip_reason
    import world
    from world import Tap, World
    binary = mtastsd_binary()
    reason = world.skip_reason() or run_skip_reason(binary, USER)
    if reason:
        Tap.skip_all(reason)
    t = Tap()
    procs = []
    with World() as w:
        cached, fresh = build(w)
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, binary, "hostile", 20000 + os.getpid() % 20000,
                   user=USER, lookup_timeout=5, idle=60)
        d.opts.update({
            "socket_mode": "0666",
            "max_connections": "64",
            "max_connections_per_user": str(PER_USER),
            "client_request_timeout": "2s",
            "max_pending": "200",
            "max_pending_json": "60",
            "max_pending_per_user": "40",
            "admin_group": str(ADMIN_GID),
            "log_level": "info",
        })
        d.write_conf()
        if not t.ok(d.start(), "daemon starts"):
            t.diag(d.log()[-3000:])
            return t.done()
        try:
            c = Client(d)
            warm = [c.sockmap(name) for name in cached]
            c.close()
            t.ok(all(a.startswith("OK ") for a in warm),
                 "%d domains cached" % len(cached))
            test_admin(t, d)
            test_tcp_user(t, d)
            base, attacked = [], []
            for r in range(RUNS):
                base.append(run_postfix(t, d, "alone %d" % r, cached,
                                        fresh[2 * r]))
                mark = len(d.log())
                procs = start_attack(d)
                time.sleep(ATTACK_SETTLE)
                st = d.stats()
                t.diag("under attack: connections %s, pending %s, "
                       "pending_json %s, overload %s" % (
                           st["connections"],
                           st["service"]["pending_domains"],
                           st["service"]["pending_json"],
                           st["service"]["overload"]))
                t.ok(st["service"]["pending_json"] == 40,
                     "the flooder holds its own share, max_pending_per_user "
                     "(40), of max_pending_json (60)",
                     got=st["service"]["pending_json"])
                attacked.append(run_postfix(t, d, "under attack %d" % r,
                                            cached, fresh[2 * r + 1]))
                st = d.stats()
                for p in procs:
                    p.send_signal(signal.SIGTERM)
                results = [collect(p, 10) for p in procs]
                if r == 0:
                    check_attack(t, d, st, results, mark)
            if all(base) and all(attacked):
                # The median round of each: a 2-core machine shared with
                # other work makes any single round noisy.
                t.diag("p99 cached by round: alone %s ms, under attack %s "
                       "ms" % (["%.3f" % (1e3 * b[0]) for b in base],
                               ["%.3f" % (1e3 * a[0]) for a in attacked]))
                base = sorted(base)[RUNS // 2]
                attacked = sorted(attacked)[RUNS // 2]
                t.diag("p99 cached (median of %d rounds): %.3f ms alone, "
                       "%.3f ms under attack (%.2fx); p99 all: %.1f ms, "
                       "%.1f ms" % (RUNS, 1e3 * base[0], 1e3 * attacked[0],
                                    attacked[0] / base[0], 1e3 * base[1],
                                    1e3 * attacked[1]))
                t.ok(attacked[0] <= 2 * base[0] + SLACK,
                     "p99 of cached lookups under attack at most twice the "
                     "baseline's (+%d ms)" % (SLACK * 1000),
                     got="%.3f ms vs %.3f ms" % (1e3 * attacked[0],
                                                 1e3 * base[0]))
            test_table_share(t, d)
            t.ok(d.p.poll() is None, "daemon alive after the attack")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    return t.done()


def start_attack(d):
    """The attackers, for at most a minute (SIGTERM ends them)."""
    procs = [spawn("hold", uid, d.sock, "60") for uid in HOLD_UIDS]
    procs.append(spawn("flood", FLOOD_UID, d.sock, "60"))
    return procs


def test_admin(t, d):
    """Who may change the daemon's state (admin_group = ADMIN_GID)."""
    ops = [{"op": "cache.purge", "domain": "purge.test"},
           {"op": "cache.flush"}, {"op": "list.update"},
           {"op": "test.clock", "advance": 0}]
    for name, uid, gid, groups, want in (
            ("a lookup client", POSTFIX_UID, None, (), False),
            ("admin_group as primary group", 60020, ADMIN_GID, (), True),
            ("admin_group as supplementary group", 60021, None,
             (ADMIN_GID,), True),
            ("the daemon's user", 65534, 65534, (), True)):
        got = collect(spawn("json", uid, d.sock, json.dumps(
            [ops[0], {"op": "stats"}, {"op": "resolve",
                                       "domain": "c1.test"}]),
            gid=gid, groups=groups), 20) or [{}, {}, {}]
        t.is_(got[0].get("ok"), want, "cache.purge from %s: %s" % (
            name, "allowed" if want else "not allowed"), diag=got[0])
        t.ok(got[1].get("ok") and got[2].get("ok"), "stats and resolve "
             "from %s: allowed" % name, got=got[1:])
    got = collect(spawn("json", POSTFIX_UID, d.sock, json.dumps(ops[1:])),
                  20) or []
    t.is_([(r.get("ok"), r.get("error")) for r in got],
          [(False, "not-allowed")] * 3, "cache.flush, list.update, "
          "test.clock from a lookup client: not allowed")
    t.ok("cache.purge refused: not root, the daemon's user or admin_group"
         in d.log(), "refusal logged")


def proc_cpu(pid):
    """User + system seconds of pid."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_tcp_user(t, d):
    """Over TCP the kernel names the local user (socket diagnostics):
    the per-user cap applies there too."""
    before = d.stats()["connections"]["user_limit"]
    mark = len(d.log())
    res = collect(spawn("hold", TCP_UID, "tcp:%d" % d.port, "1.5:once",
                        netns=d.ns), 20)
    after = d.stats()["connections"]["user_limit"]
    t.ok(res is not None and res["connected"] >= HOLD_CONNS,
         "TCP: a local user opened %d connections" % HOLD_CONNS, got=res)
    t.ok(after - before >= HOLD_CONNS - PER_USER, "TCP: the ones past "
         "max_connections_per_user refused", got=(before, after))
    t.ok("max_connections_per_user (%d) reached by uid %d" % (
        PER_USER, TCP_UID) in d.log()[mark:], "TCP: the user named in the "
         "log (uid %d)" % TCP_UID)


def test_table_share(t, d):
    """table-mtasts asks over JSON, "wait":false, but for an MTA: its
    discoveries draw on the part of max_pending kept for MTAs, at most
    max_pending_per_user (40) of its user's at once, so JSON clients
    that fill max_pending_json (60) do not starve OpenSMTPD.  The
    discoveries of never-answering names last seconds (the DNS
    timeout): the flooder's end first, and ours outlast the requests
    below."""
    def resolves(uid, prefix, n, table=False):
        reqs = [{"op": "resolve", "domain": "%s%d.hang.test" % (prefix, i),
                 "wait": False} for i in range(n)]
        for r in reqs:
            if table:
                r["client"] = "table-mtasts"
        got = collect(spawn("json", uid, d.sock, json.dumps(reqs)), 30)
        return [r.get("error") for r in got or []]

    end = time.monotonic() + 60
    while d.stats()["service"]["pending_domains"] and \
            time.monotonic() < end:
        time.sleep(0.2)
    ov0 = d.stats()["service"]["overloads"]
    j1 = resolves(JSON_UIDS[0], "j", 40)
    j2 = resolves(JSON_UIDS[1], "k", 25)
    tm = resolves(TABLE_UID, "t", 45, table=True)
    tj = resolves(TABLE_UID, "u", 1)
    st = d.stats()["service"]
    ov = {k: v - ov0[k] for k, v in st["overloads"].items()}
    t.is_((j1, j2[:20], j2[20:]), (["deadline"] * 40, ["deadline"] * 20,
                                   ["overload"] * 5),
          "two JSON users fill max_pending_json (60): 40 + 20, then "
          "overload")
    t.is_(tm, ["deadline"] * 40 + ["overload"] * 5, "table-mtasts: 40 "
          "discoveries started while max_pending_json is full, then "
          "overload (its user's max_pending_per_user)")
    t.is_(tj, ["overload"], "a plain JSON resolve of the table's user: "
          "overload (max_pending_json is full)")
    t.is_((ov["quota"], ov["client-quota"], ov["max_pending"]), (6, 5, 0),
          "overloads: 6 at max_pending_json, the table's 5 at its user's "
          "quota, none at max_pending", diag=ov)
    t.ok(st["pending_json"] == 60 and st["pending_domains"] == 100,
         "the table's 40 discoveries run outside max_pending_json",
         got=(st["pending_json"], st["pending_domains"]))


def run_postfix(t, d, name, cached, fresh):
    cpu, t0 = proc_cpu(d.p.pid), time.monotonic()
    p = spawn("postfix", POSTFIX_UID, d.sock, json.dumps(
        [[n, None] for n in plan_for(cached, fresh)]))
    res = collect(p, 120)
    t.diag("%s: the daemon used %.0f%% of a CPU" % (
        name, 100 * (proc_cpu(d.p.pid) - cpu) / (time.monotonic() - t0)))
    return check_run(t, name, res, set(fresh))


def check_attack(t, d, st, results, mark):
    conns = st["connections"]
    t.ok(conns["request_timeout"] >= 2 * PER_USER,
         "half-sent requests closed by the request deadline",
         got=conns)
    t.ok(conns["user_limit"] >= 2 * (HOLD_CONNS - PER_USER),
         "connections past max_connections_per_user refused", got=conns)
    t.ok(st["service"]["overload"] > 0, "flood answered overload past its "
         "share", got=st["service"]["overload"])
    ov = st["service"]["overloads"]
    t.ok(ov["client-quota"] > 0 and
         sum(ov.values()) == st["service"]["overload"],
         "overloads by limit: the per-user quota's, adding up", got=ov)
    hold = [r for r in results[:2] if r]
    t.diag("hold clients: %s; flood client: %s" % (hold, results[2]))
    fl = results[2] or {"answers": {}}
    t.ok(fl["answers"].get("overload", 0) > 0,
         "the flooder saw overload answers", got=fl)
    log = d.log()[mark:]
    t.ok("max_connections_per_user (%d) reached by uid" % PER_USER in log,
         "per-user cap logged")
    t.ok("overload: client-quota full" in log, "overload logged")
    n = log.count("overload:")
    t.ok(n <= 12, "overload warnings rate-limited (%d lines)" % n)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--role":
        sys.exit(role_main(sys.argv[2:]))
    sys.exit(main())
