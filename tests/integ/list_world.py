# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""list_world.py: helpers for the STARTTLS list tests (tests/integ/list_*.py).

Not a test by itself.  It gives those tests:
  - ListKey: throwaway OpenPGP signing keys (gpg, a private GNUPGHOME),
    made with a creation time in the past so that signatures can be
    back-dated (gpg --faked-system-time) for the rollback cases;
  - make_list(): a policy.json (format 0.1) as bytes;
  - ListServer: a small HTTPS file server inside the world's namespace
    (Python's http.server with the world's CA-issued certificate), for
    policy.json and policy.json.asc: nginx in tests/lib/world.py serves
    only /.well-known/mta-sts.txt, and the daemon fetches URL and
    URL.asc from one host.  Files are replaced atomically;
  - list_daemon(): a tests/lib/daemon.py Daemon configured for the list;
  - json_op(), wait_status(): small protocol helpers.
Needs gpg and gpgv (Debian: gnupg, gpgv); list_skip_reason() says what is
missing.
"""

import json
import os
import shutil
import subprocess
import time

from daemon import Client, Daemon

GPG = "/usr/bin/gpg"
GPGV = "/usr/bin/gpgv"
EFF_FPR = "B693F33372E965D76D55368616EEA65D03326C9D"
EFF_SUB = "2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1"
LIST_HOST = "list.test"
LIST_ADDR = "127.0.2.1"     # not used by world.py (nginx, faults)
DAY = 86400

SERVER_PY = r'''
import http.server, ssl, sys
root, addr, cert, key = sys.argv[1:5]

class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".json": "application/json",
                      ".asc": "application/pgp-signature",
                      "": "application/octet-stream"}

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def log_message(self, fmt, *args):
        sys.stderr.write("REQ %s\n" % (fmt % args))
        sys.stderr.flush()

srv = http.server.ThreadingHTTPServer((addr, 443), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("READY", flush=True)
srv.serve_forever()
'''


def list_skip_reason():
    for tool, pkg in ((GPG, "gnupg"), (GPGV, "gpgv")):
        if not os.access(tool, os.X_OK):
            return "%s missing (Debian package %s)" % (tool, pkg)
    return None


def srcdir():
    return os.environ.get("MTASTS_SRCDIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class ListKey:
    """Signing keys in one private GNUPGHOME under `directory`."""

    def __init__(self, directory):
        self.home = os.path.join(directory, "gnupg")
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        self.env = dict(os.environ, GNUPGHOME=self.home)

    def gpg(self, args, at=None):
        extra = ["--faked-system-time", str(int(at))] if at else []
        return subprocess.run([GPG, "-q", "--batch", "--yes",
                               "--pinentry-mode", "loopback",
                               "--passphrase", ""] + extra + args,
                              env=self.env, capture_output=True,
                              check=True, timeout=60).stdout

    def new_key(self, name):
        """A new ed25519 signing key created ten days ago; its
        fingerprint."""
        uid = "mtastsd %s <%s@example.invalid>" % (name, name)
        self.gpg(["--quick-gen-key", uid, "ed25519", "sign", "never"],
                 at=time.time() - 10 * DAY)
        colons = self.gpg(["--with-colons", "--list-keys", uid]).decode()
        return [ln.split(":")[9] for ln in colons.splitlines()
                if ln.startswith("fpr:")][0]

    def keyring(self, path, *fprs):
        """Export the public keys `fprs` to `path` (a gpgv keyring)."""
        with open(path, "wb") as f:
            f.write(self.gpg(["--export"] + list(fprs)))
        os.chmod(path, 0o644)
        return path

    def sign(self, fpr, data, at=None):
        """The armoured detached signature of `data` (bytes) by `fpr`,
        made at `at` (unix time; default now)."""
        tmp = os.path.join(self.home, "tosign")
        with open(tmp, "wb") as f:
            f.write(data)
        out = self.gpg(["--armor", "--detach-sign", "-u", fpr, "-o", "-",
                        tmp], at=at)
        os.unlink(tmp)
        return out

    def close(self):
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env,
                       capture_output=True)


def make_list(timestamp, expires, policies, aliases=None, **extra):
    """policy.json bytes: timestamp/expires as RFC 3339 or numbers."""
    obj = {"timestamp": iso(timestamp) if isinstance(timestamp, int)
           else timestamp,
           "expires": expires, "version": "0.1", "author": "mtastsd test",
           "policy-aliases": aliases or {}, "policies": policies}
    obj.update(extra)
    return json.dumps(obj, indent=1).encode()


def enforce(*mxs):
    return {"mode": "enforce", "mxs": list(mxs)}


def testing(*mxs):
    return {"mode": "testing", "mxs": list(mxs)}


class ListServer:
    """HTTPS static files at https://LIST_HOST/ inside the world."""

    def __init__(self, w):
        self.w = w
        w.add_address(LIST_HOST, LIST_ADDR)
        self.root = None
        self.p = None

    def start(self):
        """After w.start(): certificate, server, wait until it accepts."""
        w = self.w
        self.root = os.path.join(w.dir, "listsrv")
        os.makedirs(self.root, exist_ok=True)
        cert, key = w.issue_cert([LIST_HOST])
        script = os.path.join(w.dir, "listsrv.py")
        with open(script, "w") as f:
            f.write(SERVER_PY)
        self.p = w.spawn(["/usr/bin/python3", script, self.root, LIST_ADDR,
                          cert, key])
        w.wait_tcp(LIST_ADDR, 443)

    def url(self, path="policy.json"):
        return "https://%s/%s" % (LIST_HOST, path)

    def _put(self, path, data):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full + ".new", "wb") as f:
            f.write(data)
        os.chmod(full + ".new", 0o644)
        os.rename(full + ".new", full)

    def publish(self, data, sig, path="policy.json"):
        """Serve `data` at path and `sig` at path.asc (None: no .asc)."""
        self._put(path, data)
        if sig is None:
            self.remove(path + ".asc")
        else:
            self._put(path + ".asc", sig)

    def remove(self, path):
        try:
            os.unlink(os.path.join(self.root, path))
        except FileNotFoundError:
            pass

    def requests(self):
        """Request lines the server logged so far."""
        with open(self.p.log_file, errors="replace") as f:
            return [ln for ln in f.read().splitlines()
                    if ln.startswith("REQ ")]


def copy_bundle(w):
    """The bundled list, signature and EFF keyring, copied where the
    daemon (user nobody) can read them.  Returns (json, keyring)."""
    src = os.path.join(srcdir(), "contrib", "starttls-list")
    dst = os.path.join(w.dir, "bundle")
    os.makedirs(dst, exist_ok=True)
    os.chmod(dst, 0o755)
    for name in ("policy.json", "policy.json.asc",
                 "starttls-policy-authority.gpg"):
        shutil.copy(os.path.join(src, name), os.path.join(dst, name))
        os.chmod(os.path.join(dst, name), 0o644)
    return (os.path.join(dst, "policy.json"),
            os.path.join(dst, "starttls-policy-authority.gpg"))


def list_daemon(w, binary, name, port, url="", bundle="", keyring="",
                fpr=EFF_FPR, enforce_testing=False, **kw):
    d = Daemon(w, binary, name, port, **kw)
    d.opts.update({
        "starttls_list": "yes",
        "starttls_list_url": url,
        "starttls_list_bundle": bundle,
        "starttls_list_keyring": keyring,
        "starttls_list_fingerprint": fpr,
        "starttls_list_enforce_testing": "yes" if enforce_testing else "no",
    })
    d.write_conf()
    return d


def json_op(d, obj, timeout=60):
    c = Client(d, timeout=timeout)
    try:
        return c.json(obj)
    finally:
        c.close()


def status(d):
    return json_op(d, {"op": "list.status"})


def update(d, url=None):
    req = {"op": "list.update"}
    if url is not None:
        req["url"] = url
    return json_op(d, req)


def resolve(d, domain, wait=True):
    return json_op(d, {"op": "resolve", "domain": domain, "wait": wait})


def sockmap(d, domain):
    c = Client(d)
    try:
        return c.sockmap(domain)
    finally:
        c.close()


def wait_status(d, pred, timeout=20.0):
    """Poll list.status until pred(reply) holds; the last reply."""
    t_end = time.monotonic() + timeout
    r = status(d)
    while not pred(r) and time.monotonic() < t_end:
        time.sleep(0.1)
        r = status(d)
    return r


def subset(obj, keys):
    return {k: (obj or {}).get(k, "<missing>") for k in keys}
