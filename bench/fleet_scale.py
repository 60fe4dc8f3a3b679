#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""fleet_scale.py: the fleet list at scale (docs/PERFORMANCE.md,
"The fleet list").

usage: fleet_scale.py --builddir DIR [--policies N] [--percent P]

1. bench/policyfill writes N policies (default 100,000) into a cache;
   P% of them (default 30) have been in enforce long enough to be listed.
2. "mtasts list build" runs three times on it: wall and CPU time, peak
   RSS, list size (and the two builds must be byte for byte the same).
3. gpg signs the list; nginx in a test world serves it.
4. Node B (a daemon pinned to the test key, 10,000 cached policies)
   installs it with list.update, while a client asks B for cached
   policies over one socketmap connection, one request at a time: the
   update's wall time, and the lookup latency before and during it.
Prints the figures.  As root, from the build directory's parent.
"""

import argparse
import os
import pwd
import resource
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integ"))
from world import World  # noqa: E402
from list_world import ListKey, list_daemon, update  # noqa: E402

LIST_HOST = "fleet-list.test"
DAY = 86400


def run_build(builddir, state, now, out):
    t0 = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([os.path.join(builddir, "src", "mtasts"), "list",
                        "build", "--state-dir", state, "--author", "scale",
                        "--now", str(now), "--output", out],
                       capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.monotonic() - t0,
            (after.ru_utime - before.ru_utime) +
            (after.ru_stime - before.ru_stime),
            after.ru_maxrss, p.stderr.strip())


class Probe(threading.Thread):
    """One socketmap connection, one request at a time, timed."""

    def __init__(self, sock, domains):
        super().__init__(daemon=True)
        self.sock, self.domains = sock, domains
        self.samples = []           # (start, seconds)
        self.wrong = 0              # answers that are not the policy
        self.stop = False

    def run(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        i = 0
        while not self.stop:
            q = ("postfix " + self.domains[i % len(self.domains)]).encode()
            t0 = time.perf_counter()
            s.sendall(b"%d:%s," % (len(q), q))
            buf = b""
            while not buf.endswith(b","):
                buf += s.recv(4096)
            self.samples.append((t0, time.perf_counter() - t0))
            if b"OK secure match=" not in buf:
                self.wrong += 1
            i += 1
        s.close()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else 0.0


def summary(name, xs):
    return "%s: %d lookups, p50 %.3f ms, p99 %.3f ms, max %.3f ms" % (
        name, len(xs), pct(xs, 50) * 1e3, pct(xs, 99) * 1e3,
        max(xs) * 1e3 if xs else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--policies", type=int, default=100000)
    ap.add_argument("--percent", type=int, default=30)
    a = ap.parse_args()
    builddir = os.path.abspath(a.builddir)
    fill = os.path.join(builddir, "bench", "policyfill")
    now = int(time.time())
    with World() as w:
        w.start()
        os.chmod(w.dir, 0o711)
        root = os.path.join(w.dir, "www")
        os.makedirs(root, mode=0o755)
        w.add_address(LIST_HOST, w.https_addr)
        w.add_host(LIST_HOST, None, http={"root": root})
        w.apply()
        state_a = os.path.join(w.dir, "a-state")
        subprocess.run([fill, state_a, str(a.policies), str(now),
                        str(a.percent)], check=True)
        out = os.path.join(root, "policy.json")
        runs = [run_build(builddir, state_a, now, out) for _ in range(3)]
        with open(out, "rb") as f:
            data = f.read()
        run_build(builddir, state_a, now, out + ".2")
        with open(out + ".2", "rb") as f:
            same = f.read() == data
        os.unlink(out + ".2")
        print("build from %d policies: %s" % (a.policies, runs[0][3]))
        for wall, cpu, rss, _ in runs:
            print("  wall %.3f s, CPU %.3f s, peak RSS %d KiB" %
                  (wall, cpu, rss))
        print("  list: %d bytes; two builds identical: %s" %
              (len(data), same))
        key = ListKey(w.dir)
        try:
            fpr = key.new_key("scale")
            with open(out + ".asc", "wb") as f:
                f.write(key.sign(fpr, data))
            os.chmod(out + ".asc", 0o644)
            keyring = key.keyring(os.path.join(w.dir, "scale.gpg"), fpr)
            b = list_daemon(w, os.path.join(builddir, "src", "mtastsd"),
                            "b", 0, keyring=keyring, fpr=fpr,
                            user="nobody")
            # 10,000 cached policies, fetched a minute ago: no refresh.
            subprocess.run([fill, b.state, "10000", str(now + DAY - 60),
                            "0"], check=True)
            uid = pwd.getpwnam("nobody")
            subprocess.run(["chown", "-R", "%d:%d" % (uid.pw_uid,
                                                      uid.pw_gid), b.state],
                           check=True)
            b.write_conf({"lookup_timeout": "3s", "log_level": "info"})
            if not b.start():
                print(b.log()[-2000:])
                return 1
            probe = Probe(b.sock, ["d%06d.fleet.test" % i
                                   for i in range(10000)])
            probe.start()
            time.sleep(2)
            t0 = time.perf_counter()
            r = update(b, "https://%s/policy.json" % LIST_HOST)
            t1 = time.perf_counter()
            time.sleep(1)
            probe.stop = True
            probe.join(5)
            before = [d for s, d in probe.samples if s < t0]
            during = [d for s, d in probe.samples if t0 <= s < t1]
            print("node B update: %s in %.3f s" % (r.get("result"),
                                                   t1 - t0))
            print("  " + summary("before", before))
            print("  " + summary("during", during))
            print("  answers that were not the cached policy: %d" %
                  probe.wrong)
            rss = 0
            with open("/proc/%d/status" % b.p.pid) as f:
                for ln in f:
                    if ln.startswith("VmHWM:"):
                        rss = ln.split()[1]
            print("  node B peak RSS: %s KiB" % rss)
            w.stop_process(b.p)
        finally:
            key.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
