#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""setups.py: every document recommends the same Postfix set-ups, the
ones that work with Debian's chrooted smtp(8): contrib/postfix/.

Each "smtp_tls_policy_maps = MAP" in the README, docs/ (man pages
included) and contrib/ must be the map of one of the contrib/postfix
files (the reply profile, postfix or postfix-tlsrpt, aside); generic
placeholders ("socketmap:unix:...:postfix", "tcp:127.0.0.1:PORT") are
protocol examples, not set-ups.  An absolute socketmap:unix: path
without proxy: (smtp(8) looks for it inside its chroot and defers all
mail) may appear only in a postmap(1) command, which runs outside the
jail, or in a paragraph that says it fails.  Prints TAP.
"""
import glob
import os
import re
import sys

SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

ASSIGN = re.compile(r"smtp_tls_policy_maps\s*=\s*(\S+)")
ABSOLUTE = re.compile(r"(?<![\w:])socketmap:unix:/")
PLACEHOLDER = ("\u2026", "...", "PORT")
FAILS = ("defer", "fails", "inside the jail")


def text(path):
    with open(path, encoding="utf-8") as f:
        t = f.read()
    return t.replace("\\-", "-").replace("\\&", "") if \
        re.search(r"\.[158]$", path) else t


def bare(spec):
    """A map without its reply profile and trailing punctuation."""
    spec = spec.rstrip("`,.;)")
    return re.sub(r":postfix(-tlsrpt)?$", "", spec)


def documents():
    paths = [os.path.join(SRCDIR, "README.md")]
    paths += glob.glob(os.path.join(SRCDIR, "docs", "*.md"))
    paths += glob.glob(os.path.join(SRCDIR, "docs", "*.[158]"))
    paths += glob.glob(os.path.join(SRCDIR, "contrib", "**", "*"),
                       recursive=True)
    return sorted(p for p in paths if os.path.isfile(p) and
                  not p.endswith((".json", ".asc", ".gpg")))


def main():
    t = Tap()
    setups = {}
    for path in glob.glob(os.path.join(SRCDIR, "contrib", "postfix",
                                       "main.cf.*")):
        for line in text(path).splitlines():
            m = ASSIGN.match(line)
            if m:
                setups[bare(m.group(1))] = os.path.basename(path)
    t.is_(sorted(setups.values()), ["main.cf.inet", "main.cf.proxy",
                                    "main.cf.unix"],
          "contrib/postfix has the three set-ups")
    for path in documents():
        name = os.path.relpath(path, SRCDIR)
        body = text(path)
        maps = [m.group(1) for m in ASSIGN.finditer(body)
                if not any(p in m.group(1) for p in PLACEHOLDER)]
        odd = [m for m in maps if bare(m) not in setups]
        if maps:
            t.ok(not odd, "%s: recommends only contrib/postfix set-ups "
                 "(%d maps)" % (name, len(maps)), got=odd)
        bad = []
        for para in re.split(r"\n\s*\n|\n\.(?:PP|SH|TP|IP)\b", body):
            for line in para.splitlines():
                if ABSOLUTE.search(line) and "postmap" not in line and \
                        not any(w in para for w in FAILS):
                    bad.append(line.strip())
        if ABSOLUTE.search(body):
            t.ok(not bad, "%s: an absolute socketmap:unix: path without "
                 "proxy: only for postmap or said to fail" % name, got=bad)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
