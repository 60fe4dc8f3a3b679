#!/usr/bin/python3
"""manpage.py: the man pages document exactly the options the code has.

mtastsd.conf(5) must describe every option of the table in src/conf.c
(as printed by "mtastsd -n") and nothing else, and the defaults it
states for plain values must be the ones "mtastsd -n" prints with no
configuration file.  mtastsd(8) and mtasts(1) must name every
command-line flag their usage messages list.  Prints TAP.
"""
import os
import re
import subprocess
import sys
import tempfile

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")
MTASTSD = os.path.join(BUILDDIR, "src", "mtastsd")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()


def ok(cond, name, diag=None):
    return T.ok(cond, name, diag=diag)

def effective_defaults():
    """name -> value from 'mtastsd -n' with an empty config file."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        p = subprocess.run([MTASTSD, "-n", "-f", f.name],
                           capture_output=True, text=True, timeout=30)
    ok(p.returncode == 0, "mtastsd -n runs", p.stderr)
    out = {}
    for line in p.stdout.splitlines():
        name, _, value = line.partition(" = ")
        out[name] = value
    return out


def canonical(value):
    """Sizes (16M) in bytes and durations (1h, 60s) in ms, as strings."""
    m = re.fullmatch(r"(\d+)(K|M|G|ms|s|m|h|d)", value)
    if m is None:
        return value
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "ms": 1, "s": 1000,
            "m": 60000, "h": 3600000, "d": 86400000}[m.group(2)]
    return str(int(m.group(1)) * mult)


def documented(page):
    """Options of mtastsd.conf(5): each '.TP' followed by '.B name'."""
    names = re.findall(r"^\.TP\n\.B ([a-z_0-9]+)\n", page, re.M)
    return names


def main():
    if not os.access(MTASTSD, os.X_OK):
        print("1..0 # SKIP %s not built" % MTASTSD)
        return 0
    with open(os.path.join(SRCDIR, "docs", "mtastsd.conf.5")) as f:
        page = f.read()
    opts = effective_defaults()
    docs = documented(page)
    ok(len(docs) == len(set(docs)), "no option documented twice",
       sorted(d for d in docs if docs.count(d) > 1))
    missing = sorted(set(opts) - set(docs))
    extra = sorted(set(docs) - set(opts))
    ok(not missing, "every option is documented", "undocumented: %s" % missing)
    ok(not extra, "every documented option exists", "not in the table: %s"
       % extra)
    # Plain defaults written "(default 1024)" or "(default\n.BR 10s" must
    # match what the daemon uses.
    for name in sorted(set(opts) & set(docs)):
        body = page.split(".TP\n.B %s\n" % name, 1)[1].split("\n.TP", 1)[0]
        body = body.split("\n.SH", 1)[0]
        m = re.search(r"\(default[ \t]*(?:\n\.BR?[ \t]+)?([^\s;:)]+)", body)
        if m is None or opts[name] in ("",) or "/" in opts[name]:
            continue
        want = canonical(opts[name])
        got = canonical(m.group(1))
        ok(got == want, "default of %s matches the code" % name,
           "page says %s, mtastsd -n says %s" % (m.group(1), want))
    with open(os.path.join(SRCDIR, "docs", "mtastsd.8")) as f:
        page8 = f.read()
    for flag in ("-d", "-f", "-n", "-T", "-v"):
        ok(("\\" + flag) in page8, "mtastsd(8) documents %s" % flag)
    with open(os.path.join(SRCDIR, "docs", "mtasts.1")) as f:
        page1 = f.read()
    for cmd in ("resolve", "txt check", "policy check", "mx match",
                "cache", "stats", "check\\-postfix", "list verify", "list show",
                "list export\\-postfix"):
        ok(cmd in page1, "mtasts(1) documents '%s'" % cmd)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
