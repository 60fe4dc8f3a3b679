#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""manpage.py: the man pages document exactly the options the code has.

mtastsd.conf(5) must describe every option of the table in src/conf.c
(as printed by "mtastsd -n") and nothing else, and the defaults it
states for plain values must be the ones "mtastsd -n" prints with no
configuration file.  mtastsd(8) and mtasts(1) must name every
command-line flag their usage messages list.  table-mtasts(8) must
describe exactly the options of src/tmconf.c, with the defaults that
contrib/opensmtpd/table-mtasts.conf lists.  Prints TAP.
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
    table_mtasts()
    return T.done()


def table_mtasts():
    """table-mtasts(8) against the option names in src/tmconf.c and the
    defaults in the annotated contrib file."""
    with open(os.path.join(SRCDIR, "src", "tmconf.c")) as f:
        src = f.read()
    m = re.search(r"opt_names\[OPT_N\] = \{(.*?)\};", src, re.S)
    names = re.findall(r'"([a-z_]+)"', m.group(1)) if m else []
    ok(len(names) == 8, "tmconf.c option names found", names)
    with open(os.path.join(SRCDIR, "docs", "table-mtasts.8")) as f:
        page = f.read()
    page = page.split(".SH CONFIGURATION", 1)[-1].split("\n.SH ", 1)[0]
    docs = documented(page)
    ok(sorted(docs) == sorted(names),
       "table-mtasts(8) documents exactly the options of tmconf.c",
       "page %s, code %s" % (sorted(docs), sorted(names)))
    with open(os.path.join(SRCDIR, "contrib", "opensmtpd",
                           "table-mtasts.conf")) as f:
        defaults = dict(re.findall(r"^#([a-z_]+) = (\S+)$", f.read(), re.M))
    ok(sorted(defaults) == sorted(names),
       "contrib table-mtasts.conf lists every option", sorted(defaults))
    for name in sorted(set(docs) & set(defaults)):
        if "/" in defaults[name]:
            continue    # the socket path depends on configure
        body = page.split(".TP\n.B %s\n" % name, 1)[1].split(
            "\n.TP", 1)[0].split("\n.SH", 1)[0]
        d = re.search(r"\(default[ \t]*(?:\n\.BR?[ \t]+)?"
                      r"([0-9A-Za-z][^\s;:),]*)", body)
        if d is None:      # "(default, facility mail)": the value precedes
            d = re.search(r"^\.BR? ([a-z\\-]+)\n\(default", body, re.M)
        got = d.group(1).replace("\\-", "-") if d else None
        ok(got is not None and canonical(got) == canonical(defaults[name]),
           "table-mtasts(8): default of %s" % name,
           "page says %s, contrib says %s" % (got, defaults[name]))


if __name__ == "__main__":
    sys.exit(main())
