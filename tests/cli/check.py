#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""check.py: "mtasts check" as a user types it, without a network: the
command words "check" and "check-postfix" reach their own commands
(mtasts.c matches words whole), --help and usage errors, options out of
range, arguments that are not mail domains, and an unreadable STARTTLS
list file.  Nothing here needs DNS: every case is refused before any
query (the network cases are tests/e2e/mtasts_check.py).  Prints TAP.
"""
import os
import subprocess
import sys

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
MTASTS = os.environ.get("MTASTS") or os.path.join(BUILDDIR, "src", "mtasts")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402


def run(*args):
    return subprocess.run([MTASTS] + list(args), capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)


def main():
    t = Tap()
    r = run("check", "--help")
    t.ok(r.returncode == 0 and r.stdout.startswith("usage: mtasts check ["),
         "check --help: its own usage, exit 0", got=(r.returncode, r.stdout))
    r = run("check-postfix", "--no-such-option")
    t.ok(r.returncode == 2 and "usage: mtasts check-postfix" in r.stderr and
         "usage: mtasts check [" not in r.stderr,
         "check-postfix is not check", got=(r.returncode, r.stderr))
    r = run("checks", "example.com")
    t.ok(r.returncode == 2 and 'unknown command "checks' in r.stderr,
         "a longer word is no command", got=(r.returncode, r.stderr))
    r = run("check")
    t.ok(r.returncode == 2 and r.stderr.startswith("usage: mtasts check ["),
         "check without a domain: usage, exit 2", got=(r.returncode,
                                                      r.stderr))
    for opt, val in (("--port", "0"), ("--port", "65536"),
                     ("--port", "2.5"), ("--timeout", "0"),
                     ("--timeout", "301"), ("--timeout", "x")):
        r = run("check", opt, val, "example.com")
        t.ok(r.returncode == 2 and r.stdout == "",
             "check %s %s: refused, exit 2" % (opt, val),
             got=(r.returncode, r.stderr))
    for arg in ("[192.0.2.1]", ".com", "a..b", "x" * 300):
        r = run("check", "--json", arg)
        t.ok(r.returncode == 2 and r.stdout == "" and "mtasts: " in r.stderr,
             "check %r: not a mail domain, exit 2" % arg[:20],
             got=(r.returncode, r.stdout, r.stderr))
    r = run("check", "--list-file", "/nonexistent/policy.json",
            "--dns-server", "bad server", "example.com")
    t.ok(r.returncode == 2 and r.stdout == "" and r.stderr,
         "a bad --dns-server: refused before anything runs",
         got=(r.returncode, r.stderr))
    sys.exit(t.done())


if __name__ == "__main__":
    main()
