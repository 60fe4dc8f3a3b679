#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""validators.py: mtasts(1)'s validators as a user runs them.

Runs the real binary ($MTASTS) and checks stdout, --json objects and
exit statuses (0 valid/match, 1 invalid/no match, 2 usage or I/O
error) for "txt check", "policy check" and "mx match".  The parsers'
fine points are covered by the unit tests; this checks the command
line contract of docs/mtasts.1.  Prints TAP.
"""
import json
import os
import subprocess
import sys

MTASTS = os.environ.get("MTASTS", "src/mtasts")
SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")
EXAMPLES = os.path.join(SRCDIR, "docs", "examples")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()


def ok(cond, name, diag=None):
    return T.ok(cond, name, diag=diag)

def run(args, stdin=None):
    p = subprocess.run([MTASTS] + args, input=stdin, capture_output=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def check_json(args, want_rc, want_obj, name, stdin=None):
    rc, out, err = run(args, stdin)
    try:
        lines = out.decode().splitlines()
        got = json.loads(lines[0]) if len(lines) == 1 else None
    except (ValueError, UnicodeDecodeError):
        got = None
    ok(rc == want_rc and got == want_obj, name,
       "got rc %d, stdout %r, stderr %r\nwant rc %d, %r"
       % (rc, out, err, want_rc, want_obj))


def txt(id_):
    return {"valid": id_ is not None, "id": id_,
            "error": None if id_ else ANY}


class _Any:
    """Matches any non-empty string (free-text error reasons)."""
    def __eq__(self, other):
        return isinstance(other, str) and other != ""

    def __repr__(self):
        return "<non-empty string>"


ANY = _Any()

TXT_CASES = [
    (["v=STSv1; id=20190429T010101"], 0, "20190429T010101", "one valid record"),
    (["v=STSv1; id=abc", "v=spf1 -all"], 0, "abc", "unrelated TXT beside"),
    (["v=STSv1; id=a", "v=STSv1; id=b"], 1, None, "two STSv1 records"),
    (["v=STSv1;"], 1, None, "no id"),
    (["v=spf1 -all"], 1, None, "no STSv1 record"),
    (["v=STSv1; id=" + "a" * 33], 1, None, "id too long"),
    (["v=STSv1; id=" + "a" * 32], 0, "a" * 32, "id of 32 characters"),
    (["v=STSv1;id=x1;ext=val"], 0, "x1", "extension field"),
]

POLICY_CASES = [
    ("enforce.txt", [], 0, {
        "valid": True, "version": "STSv1", "mode": "enforce",
        "max_age": 604800,
        "mx": ["mail.example.com", "*.example.net", "backupmx.example.com"],
        "error": None, "warnings": []}),
    ("testing.txt", [], 0, {
        "valid": True, "version": "STSv1", "mode": "testing",
        "max_age": 86400, "mx": ["mx1.example.org"], "error": None,
        "warnings": []}),
    ("invalid-no-mx.txt", [], 1, {
        "valid": False, "version": None, "mode": None, "max_age": None,
        "mx": [], "error": ANY, "warnings": []}),
    ("enforce.txt", ["--content-type", "text/html"], 1, {
        "valid": False, "version": None, "mode": None, "max_age": None,
        "mx": [], "error": ANY, "warnings": []}),
]

MX_CASES = [
    ("mail.example.com", "mail.example.com", True),
    ("mail.example.com", "MAIL.Example.COM.", True),
    ("*.example.net", "mx1.example.net", True),
    ("*.example.net", "example.net", False),
    ("*.example.net", "a.b.example.net", False),
    ("mail.example.com", "mail.example.org", False),
]


# RFC 8461 §3.2 sets no limit on the number of "mx" lines (only the body
# size, §3.3), and "mx: 192.0.2.25" matches sts-policy-mx-value =
# ["*."] Domain: both are valid policies, and the rest of the policy
# applies.
MANY_MX = ["m%d.example" % i for i in range(3000)]
MANY_BODY = ("version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\n" +
             "".join("mx: %s\r\n" % m for m in MANY_MX)).encode()
IP_BODY = (b"version: STSv1\nmode: enforce\nmx: 192.0.2.25\n"
           b"mx: mail.example.com\nmax_age: 604800\n")
IP_WARNING = "mx that is an IP address ignored (never an MX host name)"


def check_rfc_classes():
    check_json(["policy", "check", "--json", "-"], 0, {
        "valid": True, "version": "STSv1", "mode": "enforce",
        "max_age": 604800, "mx": MANY_MX, "error": None, "warnings": []},
        "policy check: 3000 mx lines are valid", stdin=MANY_BODY)
    check_json(["policy", "check", "--json", "-"], 0, {
        "valid": True, "version": "STSv1", "mode": "enforce",
        "max_age": 604800, "mx": ["mail.example.com"], "error": None,
        "warnings": [IP_WARNING]},
        "policy check: an IP address mx is dropped with a warning",
        stdin=IP_BODY)
    rc, out, _ = run(["policy", "check", "-"], stdin=IP_BODY)
    ok(rc == 0 and out == (b"valid: version STSv1, mode enforce, "
                           b"max_age 604800\n  mx: mail.example.com\n"
                           b"warning: " + IP_WARNING.encode() + b"\n"),
       "policy check: IP address mx, human output", "got %d %r" % (rc, out))


def main():
    if not os.access(MTASTS, os.X_OK):
        print("1..0 # SKIP %s not built" % MTASTS)
        return 0
    for records, rc, id_, name in TXT_CASES:
        check_json(["txt", "check", "--json"] + records, rc, txt(id_),
                   "txt check: " + name)
    for fname, opts, rc, want in POLICY_CASES:
        path = os.path.join(EXAMPLES, fname)
        check_json(["policy", "check", "--json"] + opts + [path], rc, want,
                   "policy check %s %s" % (" ".join(opts), fname))
    with open(os.path.join(EXAMPLES, "enforce.txt"), "rb") as f:
        body = f.read()
    check_json(["policy", "check", "--json", "-"], 0, POLICY_CASES[0][3],
               "policy check from stdin", stdin=body)
    check_json(["policy", "check", "--json", "-"], 1, POLICY_CASES[2][3],
               "policy check: 1 MiB on stdin is invalid, not read whole",
               stdin=b"version: STSv1\n" * 70000)
    check_rfc_classes()
    for pat, host, match in MX_CASES:
        check_json(["mx", "match", "--json", pat, host], 0 if match else 1,
                   {"match": match}, "mx match %s %s" % (pat, host))
    # Human output and usage errors.
    rc, out, _ = run(["txt", "check", "v=STSv1; id=abc"])
    ok(rc == 0 and out == b"valid: id=abc\n", "txt check human output",
       "got %d %r" % (rc, out))
    rc, out, _ = run(["mx", "match", "*.example.net", "example.net"])
    ok(rc == 1 and out == b"no match\n", "mx match human output",
       "got %d %r" % (rc, out))
    for args in (["txt", "check"], ["mx", "match", "a"], ["policy", "check"],
                 ["policy", "check", "/nonexistent/policy.txt"],
                 ["bogus"], ["txt", "check", "--nope", "x"]):
        rc, out, err = run(args)
        ok(rc == 2 and out == b"" and err != b"",
           "usage/I-O error: %s" % " ".join(args), "got %d %r %r" % (rc, out, err))
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
