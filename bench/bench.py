#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""bench.py: mtastsd, Debian's postfix-mta-sts-resolver and a null
socketmap server, side by side on one test world (docs/PERFORMANCE.md).

usage: bench/bench.py [--builddir DIR] [--domains N] [--cold N,N]
                      [--conns N,N,N] [--secs S] [--warmup S]
                      [--servers mtastsd,resolver,null,mtastsd-nodane]
                      [--signed] [--json FILE] [--smoke]

One run, as root (the test world is a network namespace):
  1. builds a world with tests/lib/world.py: unbound and nginx serving
     N MTA-STS domains (default 10,000) with varied modes (70% enforce,
     20% testing, 10% none), 1-4 mx patterns (some wildcards) and
     max_age from one day to a year;
  2. then, one after the other on that world, runs each server:
       mtastsd        the build's src/mtastsd, default settings, LMDB
                      cache in the world's temp dir (tmpfs);
       resolver       Debian's mta-sts-daemon (postfix-mta-sts-resolver
                      1.1.2) in its fastest configuration: internal
                      in-memory cache, uvloop, cache_grace 86400 s (no
                      inline TXT re-checks while the benchmark runs);
       null           bench/nullmap, a constant answer: the floor;
     and measures, with bench/mtasts-bench as the client:
       cold   each --cold size (default 1,000 and 10,000) of distinct
              domains on an empty cache over 50 connections: time until
              all are answered, and how many answers are correct;
       hot    the cached domains over 1, 8 and 64 connections, --secs
              each (default 10) after --warmup (default 1), over TCP and
              over a Unix socket: req/s, p50, p99, and the server's CPU
              (user + system from /proc) per request;
       memory the server's RSS idle, after cold and after hot, that is
              with N policies cached;
  3. prints the machine, the command and one Markdown table, with the
     ratios and the targets of issue 8.

DANE (docs/postfix.md §5): mtastsd runs with its default dane = yes,
so each cold domain also costs a DANE check (MX, then each MX host's
TLSA).  --signed gives every domain MX records (its policy's mx names)
and signs the zone with ldns-signzone, the world's unbound validating
it, so those checks see a signed domain whose MX hosts have no TLSA (a
validated denial each): the answers stay the MTA-STS ones.  The extra
server mtastsd-nodane is the same daemon with dane = no; with both, a
second table gives the cost of DANE (cold time and hot req/s, yes / no).

--smoke is the CI version: 100 domains, 1 s per row, and the exit status
says whether every mtastsd answer was correct; the timings mean nothing
there.  --json FILE also writes every measurement.  Exit status: 0 when
mtastsd's answers were all correct and no run failed, 1 otherwise, 2 when
the world cannot be built here (not root, tools missing).

The resolver listens on TCP or on a Unix socket, not both: for its Unix
rows it is restarted and its cache filled again (not measured).
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from world import IP, World, policy_text, skip_reason  # noqa: E402

COLD_CONNS = 50
MTASTSD_PORT = 8462
RESOLVER_PORT = 8461
NULL_PORT = 8463
RESOLVER_BIN = "/usr/bin/mta-sts-daemon"
START_TIMEOUT = 20.0
NODANE_PORT = 8464
SERVERS = ("mtastsd", "resolver", "null")
LABELS = {"mtastsd": "mtastsd", "resolver": "postfix-mta-sts-resolver",
          "null": "null server", "mtastsd-nodane": "mtastsd, dane = no"}


# ---------------------------------------------------------------- the world

def domain_spec(i):
    """Domain i: (name, mode, mx patterns, max_age), deterministic."""
    name = "d%d.bench%d.test" % (i, i % 7)
    mode = ("enforce",) * 7 + ("testing",) * 2 + ("none",)
    mode = mode[i % 10]
    mx = ["mx%d.%s" % (j, name) for j in range(1 + i % 3)]
    if i % 4 == 1:
        mx.append("*.mail.%s" % name)
    max_age = (86400, 604800, 2592000, 31557600)[(i // 10) % 4]
    return name, mode, mx, max_age


def expected(mode, mx):
    """mtastsd's socketmap answer (docs/PROTOCOLS.md); the resolver's is
    the same with the match= list in any order."""
    if mode != "enforce":
        return "NOTFOUND "
    pats = [m[1:] if m.startswith("*.") else m for m in mx]
    return "OK secure match=%s servername=hostname" % ":".join(pats)


def build_world(w, n, signed=False):
    specs = [domain_spec(i) for i in range(n)]
    for name, mode, mx, max_age in specs:
        w.add_domain(name, policy=policy_text(mode=mode, mx=mx,
                                              max_age=max_age),
                     mx=[m.replace("*.", "a.") for m in mx] if signed
                     else None)
    if signed:
        w.sign_tld("test")
    w.start()
    os.chmod(w.dir, 0o711)     # mtastsd runs as nobody below it
    return specs


def write_keys(path, specs):
    """Two key files: path with the expected answers, path.plain with
    the keys only (for the null server, whose answer is a constant)."""
    with open(path, "w") as f, open(path + ".plain", "w") as g:
        for name, mode, mx, _ in specs:
            f.write("%s\t%s\n" % (name, expected(mode, mx)))
            g.write("%s\n" % name)
    return path


# ---------------------------------------------------------------- servers

def proc_mem(pid):
    """RSS and its anonymous part, MiB, from /proc/PID/status."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return out


class Server:
    """One server under test, started and stopped inside the world,
    pinned to the daemon CPU when pinning is on."""

    name = None

    def __init__(self, w, args, tag=None):
        self.w, self.args, self.p, self.pid = w, args, None, None
        self.dir = os.path.join(w.dir, "bench-" + (tag or self.name))
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o711)

    def target(self, transport):
        raise NotImplementedError

    def argv(self, transport, fresh):
        raise NotImplementedError

    def start(self, transport="tcp", fresh=True):
        argv = self.argv(transport, fresh)
        if self.args.daemon_cpu is not None:
            argv = ["taskset", "-c", self.args.daemon_cpu] + argv
        self.p = self.w.spawn(argv)
        self.pid = self.p.pid      # ip netns exec, taskset, env: all exec
        if not self.wait_ready(transport):
            raise RuntimeError("%s did not start; log %s" % (
                self.name, self.p.log_file))

    def wait_ready(self, transport):
        t_end = time.monotonic() + START_TIMEOUT
        tgt = self.target(transport)
        while time.monotonic() < t_end:
            if self.p.poll() is not None:
                return False
            if transport == "unix":
                if os.path.exists(tgt) and unix_accepts(tgt):
                    return True
            elif self.w.wait_tcp("127.0.0.1", int(tgt.rsplit(":", 1)[1]),
                                 timeout=0.5):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.p is not None:
            self.w.stop_process(self.p)
        self.p = None

    def mem(self):
        return proc_mem(self.pid) if self.p is not None else {}


def unix_accepts(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Mtastsd(Server):
    """The build's daemon, default settings: one process serves both."""

    name = "mtastsd"
    port = MTASTSD_PORT
    extra = {}

    def argv(self, transport, fresh):
        state = os.path.join(self.dir, "state")
        if fresh:
            shutil.rmtree(state, ignore_errors=True)
        conf = os.path.join(self.dir, "mtastsd.conf")
        opts = {
            "user": "nobody",
            "socket": os.path.join(self.dir, "run", "mtastsd.sock"),
            "socket_mode": "0666",
            "pidfile": os.path.join(self.dir, "run", "mtastsd.pid"),
            "state_dir": state,
            "listen_tcp": "127.0.0.1:%d" % self.port,
            "dns_servers": self.w.dns_server,
            "ca_file": self.w.ca_file,
        }
        opts.update(self.extra)
        with open(conf, "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in opts.items()))
        return [os.path.join(self.args.builddir, "src", "mtastsd"), "-d",
                "-f", conf]

    def target(self, transport):
        if transport == "unix":
            return os.path.join(self.dir, "run", "mtastsd.sock")
        return "127.0.0.1:%d" % self.port


class MtastsdNoDane(Mtastsd):
    """The same daemon with DANE off: the cost of DANE, by difference."""

    name = "mtastsd-nodane"
    port = NODANE_PORT
    extra = {"dane": "no"}


class Resolver(Server):
    """Debian's mta-sts-daemon: one listener per process (TCP or Unix)."""

    name = "resolver"

    def argv(self, transport, fresh):
        conf = os.path.join(self.dir, "mta-sts-daemon.yml")
        where = ("path: %s\nmode: 0666\n" % self.target("unix")
                 if transport == "unix" else
                 "host: 127.0.0.1\nport: %d\n" % RESOLVER_PORT)
        with open(conf, "w") as f:
            f.write(where + "reuse_port: true\nshutdown_timeout: 1\n"
                    "cache_grace: 86400\n"
                    "cache:\n  type: internal\n  options:\n"
                    "    cache_size: %d\n"
                    "default_zone:\n  strict_testing: false\n"
                    "  timeout: 4\n" % max(10000, 2 * self.args.domains))
        # Its HTTPS client trusts the system store: point it at ours.
        return ["env", "SSL_CERT_FILE=" + self.w.ca_file, RESOLVER_BIN,
                "-c", conf]

    def target(self, transport):
        if transport == "unix":
            return os.path.join(self.dir, "sr.sock")
        return "127.0.0.1:%d" % RESOLVER_PORT


class Null(Server):
    name = "null"

    def __init__(self, w, args, reply):
        Server.__init__(self, w, args)
        self.reply = reply

    def argv(self, transport, fresh):
        return [os.path.join(self.args.builddir, "bench", "nullmap"), "-r",
                self.reply, "-u", self.target("unix"), "-l",
                self.target("tcp")]

    def target(self, transport):
        if transport == "unix":
            return os.path.join(self.dir, "null.sock")
        return "127.0.0.1:%d" % NULL_PORT


# ---------------------------------------------------------------- running

def bench(srv, transport, extra):
    """One mtasts-bench run against srv; its JSON result (or why not)."""
    a = srv.args
    argv = [os.path.join(a.builddir, "bench", "mtasts-bench"), "-j",
            "-p", str(srv.pid)] + extra
    if srv.name == "resolver":
        argv.append("-s")
    if srv.name == "null":      # a constant answer: nothing to check
        argv = [x + ".plain" if x.endswith(".keys") else x for x in argv]
    argv.append(srv.target(transport))
    if a.client_cpu is not None:
        argv = ["taskset", "-c", a.client_cpu] + argv
    r = srv.w.run(argv, timeout=a.secs + a.warmup + 600)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        return {"failed": "mtasts-bench rc %s: %s" % (r.rc,
                                                     r.stderr.strip())}
    out["rc"] = r.rc
    return out


def pid_cpu(pid):
    """User + system seconds of pid, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(
            os.sysconf("SC_CLK_TCK"))
    except (OSError, IndexError, ValueError):
        return None


def world_cpu(w, exclude):
    """CPU seconds so far of every process in the world's namespace
    (unbound, nginx, fault servers) but `exclude`, by pid."""
    r = subprocess.run([IP, "netns", "pids", w.ns], capture_output=True,
                       text=True)
    out = {}
    for tok in r.stdout.split():
        if tok.isdigit() and int(tok) != exclude:
            cpu = pid_cpu(int(tok))
            if cpu is not None:
                out[int(tok)] = cpu
    return out


def cold_args(keys):
    return ["-c", str(COLD_CONNS), "-T", "60", "-k", keys]


def run_cold(srv, cold_keys, res, log):
    """Each cold size on a fresh server (empty cache); the server stays
    up, its cache filled by the last (largest) run."""
    for n, keys in cold_keys:
        log("%s: cold %d" % (srv.name, n))
        srv.stop()
        srv.start("tcp", fresh=True)
        res.setdefault("mem_idle", srv.mem())
        before = world_cpu(srv.w, srv.pid)
        out = res["cold"][str(n)] = bench(srv, "tcp", cold_args(keys))
        after = world_cpu(srv.w, srv.pid)
        # The servers that lived through the run: DNS and HTTPS.
        used = sum(after[p] - before[p] for p in after if p in before)
        if "failed" not in out and out["requests"] > 0:
            out["world_cpu_us"] = used * 1e6 / out["requests"]
    res["mem_cold"] = srv.mem()


def start_servers(w, a, names, cold_keys, hot_keys, reply, results, log):
    """Cold runs, one server after the other; returns, per server and
    transport, the running instance for the hot runs."""
    make = {"mtastsd": lambda: Mtastsd(w, a),
            "mtastsd-nodane": lambda: MtastsdNoDane(w, a),
            "resolver": lambda: Resolver(w, a),
            "null": lambda: Null(w, a, reply)}
    inst = {}
    for name in names:
        srv = make[name]()
        res = results[name] = {"cold": {}, "hot": {}}
        try:
            run_cold(srv, cold_keys, res, log)
            inst[name] = {"tcp": srv, "unix": srv}
            if name == "resolver":
                # One listener per process: a second one on the Unix
                # socket, its cache filled the same way (not measured).
                u = Resolver(w, a, tag="resolver-unix")
                u.start("unix")
                bench(u, "unix", cold_args(hot_keys))
                inst[name]["unix"] = u
        except RuntimeError as e:
            log(str(e))
            res["failed"] = str(e)
            srv.stop()
    return inst


def median_run(outs):
    """The run with the median req/s (failed runs sort first)."""
    outs = sorted(outs, key=lambda o: o.get("rps", -1))
    return outs[len(outs) // 2]


def run_hot(a, inst, hot_keys, results, log):
    """Every hot row, the servers interleaved row by row, so that each
    ratio compares runs made a few seconds apart on this noisy machine."""
    runs = {}
    for rnd in range(a.repeat):
        for transport in ("tcp", "unix"):
            for c in a.conns:
                key = "%s/%d" % (transport, c)
                log("hot %s%s" % (key, " (round %d)" % (rnd + 1)
                                  if a.repeat > 1 else ""))
                for name, srv in inst.items():
                    runs.setdefault((name, key), []).append(bench(
                        srv[transport], transport,
                        ["-c", str(c), "-d", str(a.secs), "-w",
                         str(a.warmup), "-k", hot_keys]))
    for (name, key), outs in runs.items():
        results[name]["hot"][key] = median_run(outs)
    for name, srv in inst.items():
        results[name]["mem_hot"] = srv["tcp"].mem()


# ---------------------------------------------------------------- the table

def get(res, *path):
    for p in path:
        if not isinstance(res, dict) or p not in res:
            return None
        res = res[p]
    return res


def fmt(v, kind):
    if v is None:
        return "–"
    if kind == "s":
        return "%.2f s" % v
    if kind == "rps":
        return "{:,.0f}".format(v)
    if kind == "us":
        return "%.0f µs" % v if v >= 100 else "%.1f µs" % v
    if kind == "cpu":
        return "%.2f µs" % v
    if kind == "mib":
        return "%.1f MiB" % v
    return str(v)


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def adv(v, better, worse):
    """mtastsd's advantage factor v (> 1: better) in words."""
    if v is None:
        return "–"
    if v >= 1:
        return "×%.1f %s" % (v, better)
    return "×%.1f %s" % (1 / v, worse)


def verdict(value, limit, higher_is_better):
    if value is None:
        return "–"
    ok = value >= limit if higher_is_better else value <= limit
    return "met" if ok else "**not met**"


def correct(out, checked=True):
    if out is None or "failed" in out:
        return None
    if not checked:
        return "n/a"
    good = out["requests"] - out["wrong"]
    return "%d/%d" % (good, out["requests"] + out["timeouts"])


def cold_rows(results, a):
    rows = []
    for n in a.cold:
        outs = {s: get(results, s, "cold", str(n)) for s in SERVERS}
        t = {s: get(outs[s], "elapsed") for s in SERVERS}
        t_adv = ratio(t["resolver"], t["mtastsd"])
        big = n == max(a.cold)
        rows.append(("cold %s domains, %d conns" % ("{:,}".format(n),
                     COLD_CONNS), "time until all answered",
                     {s: fmt(t[s], "s") for s in SERVERS},
                     adv(t_adv, "faster", "slower"),
                     "%.1f×" % ratio(t["mtastsd"], t["null"])
                     if ratio(t["mtastsd"], t["null"]) else "–",
                     "≥5× faster: " + verdict(t_adv, 5, True)
                     if big else ""))
        cpu = {s: get(outs[s], "server_cpu_us") for s in SERVERS}
        rows.append(("", "daemon CPU per domain",
                     {s: fmt(cpu[s], "us") for s in SERVERS},
                     adv(ratio(cpu["resolver"], cpu["mtastsd"]), "less",
                         "more"),
                     "", ""))
        wcpu = {s: get(outs[s], "world_cpu_us") for s in SERVERS}
        rows.append(("", "DNS + HTTPS servers' CPU per domain",
                     {s: fmt(wcpu[s], "us") for s in SERVERS}, "", "", ""))
        rows.append(("", "answers correct",
                     {s: correct(outs[s], s != "null") or "–"
                      for s in SERVERS}, "", "",
                     "all: " + verdict(
                         1 if correct(outs["mtastsd"]) == "%d/%d" % (n, n)
                         else 0, 1, True) if big else ""))
    return rows


def hot_rows(results, a):
    rows = []
    for transport in ("tcp", "unix"):
        for c in a.conns:
            key = "%s/%d" % (transport, c)
            o = {s: get(results, s, "hot", key) for s in SERVERS}
            v = {m: {s: get(o[s], m) for s in SERVERS} for m in
                 ("rps", "p50_us", "p99_us", "server_cpu_us")}
            name = "hot %s, %d conn%s" % ("TCP" if transport == "tcp" else
                                          "Unix", c, "s" if c > 1 else "")
            rps_adv = ratio(v["rps"]["mtastsd"], v["rps"]["resolver"])
            rows.append((name, "req/s", {s: fmt(v["rps"][s], "rps")
                                         for s in SERVERS},
                         "×%.2f" % rps_adv if rps_adv else "–",
                         "%.2f" % ratio(v["rps"]["mtastsd"],
                                        v["rps"]["null"])
                         if ratio(v["rps"]["mtastsd"], v["rps"]["null"])
                         else "–",
                         "≥3.5× resolver: " + verdict(rps_adv, 3.5, True)
                         if transport == "tcp" and c >= 8 else ""))
            rows.append(("", "p50", {s: fmt(v["p50_us"][s], "us")
                                     for s in SERVERS}, "", "", ""))
            p99n = ratio(v["p99_us"]["mtastsd"], v["p99_us"]["null"])
            rows.append(("", "p99", {s: fmt(v["p99_us"][s], "us")
                                     for s in SERVERS},
                         adv(ratio(v["p99_us"]["resolver"],
                                   v["p99_us"]["mtastsd"]), "lower",
                             "higher"),
                         "%.2f×" % p99n if p99n else "–",
                         "≤1.5× null: " + verdict(p99n, 1.5, False)
                         if c == 64 else ""))
            cpun = ratio(v["server_cpu_us"]["mtastsd"],
                         v["server_cpu_us"]["null"])
            cpur = ratio(v["server_cpu_us"]["resolver"],
                         v["server_cpu_us"]["mtastsd"])
            rows.append(("", "daemon CPU per request",
                         {s: fmt(v["server_cpu_us"][s], "cpu")
                          for s in SERVERS},
                         adv(cpur, "less", "more"),
                         "%.2f×" % cpun if cpun else "–",
                         "≤1.3× null: " + verdict(cpun, 1.3, False)))
    return rows


def memory_rows(results, a):
    rows = []
    for key, what in (("mem_idle", "RSS idle (empty cache)"),
                      ("mem_cold", "RSS after cold"),
                      ("mem_hot", "RSS after hot"),
                      ("anon_hot", "of which anonymous")):
        field = "RssAnon" if key == "anon_hot" else "VmRSS"
        src = "mem_hot" if key == "anon_hot" else key
        v = {s: get(results, s, src, field) for s in SERVERS}
        m_adv = ratio(v["resolver"], v["mtastsd"])
        target = ""
        if key in ("mem_cold", "mem_hot"):
            target = "≤16 MiB: " + verdict(v["mtastsd"], 16, False)
        rows.append(("memory, %s policies cached" % "{:,}".format(
                     a.domains) if key == "mem_idle" else "", what,
                     {s: fmt(v[s], "mib") for s in SERVERS},
                     adv(m_adv, "less", "more"), "", target))
    return rows


def table(results, a):
    head = ["scenario", "metric"] + [LABELS[s] for s in SERVERS] + \
        ["mtastsd vs resolver", "mtastsd ÷ null", "target"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for scen, metric, vals, vr, vn, target in (cold_rows(results, a) +
                                               hot_rows(results, a) +
                                               memory_rows(results, a)):
        cells = [scen, metric] + [vals[s] if s in results else "not run"
                                  for s in SERVERS] + [vr, vn, target]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def dane_table(results, a):
    """mtastsd with dane = yes against dane = no, when both ran."""
    if "mtastsd" not in results or "mtastsd-nodane" not in results:
        return ""
    lines = ["| scenario | metric | dane = yes | dane = no | yes ÷ no |",
             "|---|---|---|---|---|"]
    for n in a.cold:
        o = {s: get(results, s, "cold", str(n))
             for s in ("mtastsd", "mtastsd-nodane")}
        t = {s: get(o[s], "elapsed") for s in o}
        r = ratio(t["mtastsd"], t["mtastsd-nodane"])
        lines.append("| cold %s domains | time until all answered | %s | "
                     "%s | %s |" % ("{:,}".format(n), fmt(t["mtastsd"], "s"),
                                    fmt(t["mtastsd-nodane"], "s"),
                                    "%.2f×" % r if r else "–"))
        lines.append("| | answers correct | %s | %s | |" % (
            correct(o["mtastsd"]) or "–",
            correct(o["mtastsd-nodane"]) or "–"))
    for transport in ("tcp", "unix"):
        for c in a.conns:
            key = "%s/%d" % (transport, c)
            v = {s: get(results, s, "hot", key, "rps")
                 for s in ("mtastsd", "mtastsd-nodane")}
            r = ratio(v["mtastsd"], v["mtastsd-nodane"])
            lines.append("| hot %s, %d conns | req/s | %s | %s | %s |" % (
                "TCP" if transport == "tcp" else "Unix", c,
                fmt(v["mtastsd"], "rps"), fmt(v["mtastsd-nodane"], "rps"),
                "%.2f" % r if r else "–"))
    return "\n".join(lines)


def client_note(results):
    """How hard the load generator works, from the null runs."""
    parts = []
    for key in ("tcp/64", "unix/64"):
        o = get(results, "null", "hot", key)
        if o and "failed" not in o and o.get("server_cpu_s") is not None:
            busy = 100.0 * o["server_cpu_s"] / o["elapsed"]
            parts.append("%s: null server %.0f%% of a core busy, "
                         "mtasts-bench %.2f µs CPU per request" % (
                             key.replace("/", ", ") + " conns", busy,
                             o["client_cpu_us"]))
    return "; ".join(parts)


# ---------------------------------------------------------------- machine

def sh(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(a):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    cflags = ""
    try:
        with open(os.path.join(a.builddir, "Makefile")) as f:
            for line in f:
                if line.startswith("CFLAGS =") or \
                        line.startswith("AM_CFLAGS ="):
                    cflags += line.split("=", 1)[1].strip() + " "
    except OSError:
        pass
    src = os.path.join(HERE, "..")
    rev = sh(["git", "-C", src, "describe", "--always", "--dirty"])
    ver = lambda p: sh(["dpkg-query", "-W", "-f", "${Version}", p]) or \
        "not installed"  # noqa: E731
    return {
        "cpu": "%s, %d cores (os.cpu_count)" % (cpu, os.cpu_count()),
        "memory": "%d MiB" % mem,
        "kernel": platform.release(),
        "os": "Debian " + (open("/etc/debian_version").read().strip()
                           if os.path.exists("/etc/debian_version")
                           else "?"),
        "mtastsd": "%s (CFLAGS %s)" % (rev or "?", cflags.strip() or "?"),
        "resolver": "postfix-mta-sts-resolver %s, python3-uvloop %s" % (
            ver("postfix-mta-sts-resolver"), ver("python3-uvloop")),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--builddir", default=os.environ.get(
        "MTASTS_BUILDDIR", os.getcwd()))
    p.add_argument("--domains", type=int, default=10000)
    p.add_argument("--cold", default="1000,10000")
    p.add_argument("--conns", default="1,8,64")
    p.add_argument("--secs", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--servers", default=",".join(SERVERS))
    p.add_argument("--repeat", type=int, default=1,
                   help="hot rounds; each cell is the median run")
    p.add_argument("--no-pin", action="store_true",
                   help="do not pin the client to CPU 0 and the servers "
                   "to the last CPU")
    p.add_argument("--json", default=None)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--signed", action="store_true",
                   help="MX records and a signed zone (DANE checks see "
                   "signed domains)")
    a = p.parse_args(argv)
    ncpu = os.cpu_count() or 1
    pin = not a.no_pin and ncpu >= 2 and shutil.which("taskset")
    a.client_cpu = "0" if pin else None
    a.daemon_cpu = str(ncpu - 1) if pin else None
    if a.smoke:
        a.domains, a.cold, a.secs, a.warmup = 100, "100", 1.0, 0.2
    a.cold = [min(int(x), a.domains) for x in a.cold.split(",")]
    a.conns = [int(x) for x in a.conns.split(",")]
    a.servers = [s for s in a.servers.split(",") if s]
    a.builddir = os.path.abspath(a.builddir)
    return a


def failures(results):
    """Why mtastsd's runs do not count, if they do not."""
    bad = []
    m = results.get("mtastsd", {})
    for kind in ("cold", "hot"):
        for key, out in sorted(m.get(kind, {}).items()):
            if out is None or "failed" in out:
                bad.append("%s %s: %s" % (kind, key, out and out["failed"]))
            elif out["wrong"] or out["timeouts"] or out["errors"] or \
                    out["requests"] == 0:
                bad.append("%s %s: %d wrong, %d timeouts, %d errors of %d"
                           % (kind, key, out["wrong"], out["timeouts"],
                              out["errors"], out["requests"]))
    return bad


def main(argv):
    a = parse_args(argv)
    why = skip_reason(("ldns-signzone", "ldns-keygen") if a.signed
                      else ())
    if why is None and "resolver" in a.servers and \
            not os.path.exists(RESOLVER_BIN):
        print("# %s not installed: resolver skipped (tests/deps.sh "
              "--bench installs it without starting it)" % RESOLVER_BIN,
              file=sys.stderr)
        a.servers.remove("resolver")
    if why is not None:
        print("bench.py: cannot build the test world: %s" % why,
              file=sys.stderr)
        return 2

    def log(msg):
        print("# %s %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr)
        sys.stderr.flush()

    results = {}
    with World(nginx_workers=2, dns_threads=2) as w:
        log("building a world of %d domains" % a.domains)
        specs = build_world(w, a.domains, a.signed)
        cold_keys = [(n, write_keys(os.path.join(w.dir, "cold-%d.keys" % n),
                                    specs[:n])) for n in a.cold]
        hot_keys = write_keys(os.path.join(w.dir, "hot.keys"), specs)
        inst = start_servers(w, a, a.servers, cold_keys, hot_keys,
                             expected(*specs[0][1:3]), results, log)
        run_hot(a, inst, hot_keys, results, log)
        for srv in inst.values():
            for s in set(srv.values()):
                s.stop()
    report(a, results, argv)
    bad = failures(results)
    for b in bad:
        print("# mtastsd: %s" % b, file=sys.stderr)
    return 1 if bad else 0


def report(a, results, argv):
    m = machine(a)
    print("Machine: %s; %s RAM; Linux %s; %s." % (m["cpu"], m["memory"],
                                                 m["kernel"], m["os"]))
    print("mtastsd %s; %s." % (m["mtastsd"], m["resolver"]))
    print("Run: %s; bench/bench.py %s" % (m["date"], " ".join(argv)))
    print("Pinning: %s." % ("client on CPU %s, servers on CPU %s" % (
        a.client_cpu, a.daemon_cpu) if a.client_cpu is not None else "none"))
    sys.stderr.flush()
    print()
    print(table(results, a))
    dt = dane_table(results, a)
    if dt:
        print()
        print("DANE (%s zone):" % ("signed" if a.signed else "unsigned"))
        print()
        print(dt)
    note = client_note(results)
    if note:
        print()
        print("Load generator check: %s." % note)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": m, "args": vars(a), "results": results},
                      f, indent=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
