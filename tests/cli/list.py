#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""list.py: "mtasts list verify|show|export-postfix" as a user runs them.

Runs the real binary ($MTASTS) on the bundled EFF list
($MTASTS_SRCDIR/contrib/starttls-list, expired since 2020-06-03) and on
lists signed at test time by a throwaway key (gpg in a temporary
GNUPGHOME), and checks stdout, --json objects and exit statuses (0 ok /
in force / listed, 1 bad signature / invalid / expired / not listed,
2 usage or local error).  The bundled copy is named with --file/--sig/
--keyring because "make check" runs before anything is installed.
Needs gpgv (Debian: gpgv) and, for the test-key cases, gpg (gnupg);
without them the affected cases are skipped with the reason.  Prints TAP.
"""
import calendar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

MTASTS = os.environ.get("MTASTS", "src/mtasts")
SRCDIR = os.environ.get("MTASTS_SRCDIR", ".")
BUNDLE = os.path.join(SRCDIR, "contrib", "starttls-list")
GPGV = "/usr/bin/gpgv"
EFF_FPR = "B693F33372E965D76D55368616EEA65D03326C9D"
EFF_SUB = "2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1"
EXPIRED_LINE = ("# Policy list is outdated. Falling back to opportunistic "
                "encryption.\n")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from tap import Tap  # noqa: E402

T = Tap()


def ok(cond, name, diag=None):
    return T.ok(cond, name, diag=diag)


def skip(name, why):
    T.skip(name, why)


def run(args):
    p = subprocess.run([MTASTS, "list"] + args, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def bundled(name="policy.json"):
    return ["--file", os.path.join(BUNDLE, name),
            "--sig", os.path.join(BUNDLE, "policy.json.asc"),
            "--keyring", os.path.join(BUNDLE, "starttls-policy-authority.gpg")]


def check_json(args, want_rc, want, name, subset=False):
    """Run with --json; compare the one-line object (or its keys in want)."""
    rc, out, err = run(args)
    try:
        lines = out.decode().splitlines()
        got = json.loads(lines[0]) if len(lines) == 1 else None
    except (ValueError, UnicodeDecodeError):
        got = None
    if subset and isinstance(got, dict):
        got = {k: got.get(k, "<missing>") for k in want}
    ok(rc == want_rc and got == want, name,
       "got rc %d, stdout %r, stderr %r\nwant rc %d, %r"
       % (rc, out, err, want_rc, want))
    return got


def check_out(args, want_rc, want_out, name, want_err=None):
    rc, out, err = run(args)
    good = rc == want_rc and out == want_out
    if want_err is not None:
        good = good and want_err in err
    ok(good, name, "got rc %d, stdout %r, stderr %r\nwant rc %d, %r, %r"
       % (rc, out, err, want_rc, want_out, want_err))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


BUNDLED_VERIFY = {
    "signature": "ok", "signature_error": None, "signer": EFF_SUB,
    "primary": EFF_FPR, "signed": "2020-05-20T17:25:12Z", "valid": True,
    "error": None, "timestamp": "2020-05-20T17:25:12Z",
    "expires": "2020-06-03T17:25:12Z", "version": "0.1",
    "author": "Electronic Frontier Foundation https://eff.org",
    "entries": 926, "enforce": 361, "testing": 565, "aliases": 4,
    "in_force": False,
}


def show_obj(domain, found, mode=None, alias=None, mx=(), verified=True,
             in_force=False, postfix=None, error=None):
    return {"domain": domain, "found": found, "mode": mode, "alias": alias,
            "mx": list(mx), "verified": verified, "in_force": in_force,
            "postfix": postfix, "error": error}


def test_bundled(tmp):
    check_json(["verify", "--json"] + bundled(), 1, BUNDLED_VERIFY,
               "verify bundled: signed by EFF, valid, expired", subset=True)
    rc, out, _ = run(["verify"] + bundled())
    ok(rc == 1 and b"EXPIRED since 2020-06-03T17:25:12Z" in out
       and b"926 (361 enforce, 565 testing; 4 aliases)" in out,
       "verify bundled: human output", "got %d %r" % (rc, out))
    check_json(["show", "--json"] + bundled() + ["gmail.com"], 0,
               show_obj("gmail.com", True, "enforce", None,
                        ["gmail-smtp-in.l.google.com",
                         "*.gmail-smtp-in.l.google.com"]),
               "show gmail.com: enforce, no answer (expired)")
    check_json(["show", "--json"] + bundled() + ["AOL.Com."], 0,
               show_obj("aol.com", True, "testing", "yahoo",
                        ["*.am0.yahoodns.net", "mta5.am0.yahoodns.net",
                         "mta6.am0.yahoodns.net", "mta7.am0.yahoodns.net"]),
               "show AOL.Com.: normalised, via alias yahoo")
    check_json(["show", "--json"] + bundled() + ["lists.eff.org"], 1,
               show_obj("lists.eff.org", False),
               "show lists.eff.org: not listed (no parent match)")
    rc, out, err = run(["show", "--json"] + bundled() + ["bad_name.example"])
    ok(rc == 1 and b'"error":"not a mail domain' in out,
       "show: invalid domain", "got %d %r %r" % (rc, out, err))
    rc, out, _ = run(["show"] + bundled() + ["gmail.com"])
    ok(rc == 0 and b"mx:        *.gmail-smtp-in.l.google.com\n" in out
       and b"postfix:   none (the list has expired" in out,
       "show gmail.com: human output", "got %d %r" % (rc, out))
    check_out(["export-postfix"] + bundled(), 1, EXPIRED_LINE.encode(),
              "export-postfix bundled: expired, one comment line",
              want_err=b"expired on 2020-06-03T17:25:12Z")


def test_tampered(tmp):
    with open(os.path.join(BUNDLE, "policy.json"), "rb") as f:
        data = bytearray(f.read())
    # Still valid JSON: "0xheap.org" becomes "1xheap.org".
    data[data.index(b'"0xheap.org"') + 1] ^= 1
    bad = os.path.join(tmp, "tampered.json")
    with open(bad, "wb") as f:
        f.write(data)
    args = ["--file", bad, "--sig", os.path.join(BUNDLE, "policy.json.asc"),
            "--keyring", os.path.join(BUNDLE, "starttls-policy-authority.gpg")]
    check_json(["verify", "--json"] + args, 1,
               {"signature": "bad-signature", "valid": False, "entries": 0,
                "in_force": False}, "verify: one changed byte", subset=True)
    check_out(["export-postfix"] + args, 1, b"",
              "export-postfix refuses an unverified list",
              want_err=b"nothing exported")
    check_json(["show", "--json", "--no-verify"] + args + ["gmail.com"], 0,
               show_obj("gmail.com", True, "enforce", None,
                        ["gmail-smtp-in.l.google.com",
                         "*.gmail-smtp-in.l.google.com"], verified=False),
               "show --no-verify: entry shown, never an answer")
    rc, out, err = run(["show", "--json"] + args + ["gmail.com"])
    ok(rc == 1 and b'"error":"signature bad-signature' in out,
       "show without --no-verify refuses", "got %d %r %r" % (rc, out, err))


def test_usage(tmp):
    for args, name in (
            ([], "no verb"), (["bogus"], "unknown verb"),
            (["show"] + bundled(), "show without DOMAIN"),
            (["export-postfix", "--json"] + bundled(), "export --json"),
            (["export-postfix", "--no-verify"] + bundled(),
             "export --no-verify"),
            (["verify", "--no-verify"] + bundled(), "verify --no-verify"),
            (["verify", "--file", os.path.join(tmp, "none.json")],
             "missing file")):
        rc, out, err = run(args)
        ok(rc == 2 and out == b"" and err != b"", "usage/I-O error: " + name,
           "got %d %r %r" % (rc, out, err))


class TestKey:
    """A throwaway signing key in a temporary GNUPGHOME."""

    def __init__(self, tmp):
        self.home = os.path.join(tmp, "gnupg")
        os.mkdir(self.home, 0o700)
        self.env = dict(os.environ, GNUPGHOME=self.home)
        self.gpg(["--passphrase", "", "--quick-gen-key",
                  "mtastsd test <test@example.invalid>", "ed25519", "sign",
                  "never"])
        self.keyring = os.path.join(tmp, "test.gpg")
        with open(self.keyring, "wb") as f:
            f.write(self.gpg(["--export"]))
        colons = self.gpg(["--with-colons", "--list-keys"]).decode()
        self.fpr = [l.split(":")[9] for l in colons.splitlines()
                    if l.startswith("fpr:")][0]

    def gpg(self, args):
        return subprocess.run(["gpg", "-q", "--batch", "--yes"] + args,
                              env=self.env, capture_output=True, check=True,
                              timeout=60).stdout

    def sign(self, path):
        self.gpg(["--armor", "--detach-sign", "-o", path + ".asc", path])

    def close(self):
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env,
                       capture_output=True)


def fresh_list(now, expires):
    return {
        "timestamp": now, "expires": expires, "version": "0.1",
        "author": "mtastsd test",
        "policy-aliases": {"prov": {"mode": "enforce",
                                    "mxs": [".mx.provider.example"]}},
        "policies": {
            "b.example": {"mode": "enforce",
                          "mxs": ["MX1.b.example", ".b.example"]},
            "a-very-long-name.example": {"mode": "testing",
                                         "mxs": ["mx.a.example"]},
            "c.example": {"policy-alias": "prov"},
            "aa.example": {"mode": "enforce", "mxs": ["mx.aa.example"]},
        },
    }


# Sorted by bytes, as EFF's generator: "-" (0x2d) sorts before "a".
FRESH_EXPORT = [
    "# %-24s undefined due to testing policy" % "a-very-long-name.example",
    "%-24s  secure match=mx.aa.example servername=hostname" % "aa.example",
    "%-24s  secure match=mx1.b.example:.b.example servername=hostname"
    % "b.example",
    "%-24s  secure match=.mx.provider.example servername=hostname"
    % "c.example",
]


def test_fresh(tmp, key):
    now = int(time.time())
    path = os.path.join(tmp, "fresh.json")
    with open(path, "w") as f:
        json.dump(fresh_list(iso(now), now + 14 * 86400), f, indent=2)
    key.sign(path)
    args = ["--file", path, "--keyring", key.keyring, "--fingerprint",
            key.fpr]
    check_json(["verify", "--json"] + args, 0, {
        "signature": "ok", "primary": key.fpr, "valid": True,
        "timestamp": iso(now), "expires": iso(now + 14 * 86400),
        "entries": 4, "enforce": 3, "testing": 1, "aliases": 1,
        "in_force": True}, "verify fresh test-signed list: in force",
        subset=True)
    rc, out, _ = run(["verify", "--json"] + args)
    signed = json.loads(out).get("signed") if rc == 0 else None
    ok(signed is not None and abs(calendar.timegm(
        time.strptime(signed, "%Y-%m-%dT%H:%M:%SZ")) - now) < 600,
       "verify: signature time is now", "got %r" % (signed,))
    check_json(["show", "--json"] + args + ["B.example"], 0,
               show_obj("b.example", True, "enforce", None,
                        ["mx1.b.example", "*.b.example"], in_force=True,
                        postfix="secure match=mx1.b.example:.b.example "
                        "servername=hostname"),
               "show in-force enforce entry: Postfix answer")
    check_json(["show", "--json"] + args + ["a-very-long-name.example"], 0,
               show_obj("a-very-long-name.example", True, "testing", None,
                        ["mx.a.example"], in_force=True),
               "show in-force testing entry: no answer")
    header = "# STARTTLS Policy List of %s, expires %s: regenerate before " \
        "then" % (iso(now), iso(now + 14 * 86400))
    check_out(["export-postfix"] + args, 0,
              ("\n".join([header] + FRESH_EXPORT) + "\n").encode(),
              "export-postfix fresh list: exact lines")
    check_json(["verify", "--json", "--file", path, "--keyring",
                key.keyring], 1, {"signature": "wrong-key", "valid": False},
               "verify test-signed list against the EFF pin: wrong key",
               subset=True)
    check_json(["verify", "--json", "--file", path, "--keyring",
                os.path.join(BUNDLE, "starttls-policy-authority.gpg")], 1,
               {"signature": "wrong-key"},
               "verify test-signed list with EFF's keyring: wrong key",
               subset=True)
    return args


def test_fresh_expired_and_invalid(tmp, key):
    now = int(time.time())
    path = os.path.join(tmp, "old.json")
    with open(path, "w") as f:
        json.dump(fresh_list(now - 30 * 86400, now - 1), f)
    key.sign(path)
    args = ["--file", path, "--keyring", key.keyring, "--fingerprint",
            key.fpr]
    check_out(["export-postfix"] + args, 1, EXPIRED_LINE.encode(),
              "export-postfix test-signed expired list: comment only")
    check_json(["verify", "--json"] + args, 1,
               {"signature": "ok", "valid": True, "in_force": False},
               "verify test-signed expired list", subset=True)
    bad = fresh_list(now, now + 86400)
    bad["policies"]["d.example"] = {"policy-alias": "missing"}
    path = os.path.join(tmp, "bad.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    key.sign(path)
    args = ["--file", path, "--keyring", key.keyring, "--fingerprint",
            key.fpr]
    check_json(["verify", "--json"] + args, 1,
               {"signature": "ok", "valid": False},
               "verify signed but invalid list", subset=True)
    rc, out, _ = run(["verify", "--json"] + args)
    ok(b'policy alias \\"missing\\" is not defined' in out,
       "verify: the reason names the dangling alias", "got %r" % out)
    check_out(["export-postfix"] + args, 1, b"",
              "export-postfix refuses an invalid list",
              want_err=b"invalid list")


def main():
    if not os.access(MTASTS, os.X_OK):
        print("1..0 # SKIP %s not built" % MTASTS)
        return 0
    if not os.access(GPGV, os.X_OK):
        print("1..0 # SKIP %s missing (Debian package gpgv)" % GPGV)
        return 0
    tmp = tempfile.mkdtemp(prefix="mtasts-list.")
    key = None
    try:
        test_bundled(tmp)
        test_tampered(tmp)
        test_usage(tmp)
        if shutil.which("gpg") is None:
            skip("test-key cases", "gpg missing (Debian package gnupg)")
        else:
            key = TestKey(tmp)
            test_fresh(tmp, key)
            test_fresh_expired_and_invalid(tmp, key)
    finally:
        if key is not None:
            key.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
