# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""daemon.py: run the real mtastsd inside a test world and talk to it.

Shared by the integration and end-to-end tests: `Daemon` writes a
configuration into the world's temp dir (socket, pidfile and state there,
DNS = the world's unbound, CA = the world's CA), spawns `mtastsd -d [-T]`
inside the world's network namespace and waits until its socket answers;
`Client` speaks the three socket protocols (socketmap, tcp_table, JSON
lines) with blocking reads; `ns_socket` opens a TCP socket inside the
namespace (setns), for the daemon's TCP listener.
"""

import ctypes
import json
import os
import pwd
import signal
import socket
import time

IO_TIMEOUT = 15.0


# ----------------------------------------------------------- namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def ns_socket(ns):
    """A TCP socket created inside network namespace `ns`."""
    with open("/proc/self/ns/net", "rb") as me, \
            open(os.path.join("/run/netns", ns), "rb") as there:
        if _libc.setns(there.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if _libc.setns(me.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")


# ---------------------------------------------------------------- client

class Client:
    """One connection to the daemon, with blocking reads."""

    def __init__(self, d, tcp=False, timeout=IO_TIMEOUT):
        if tcp:
            self.s = ns_socket(d.ns)
            self.s.settimeout(timeout)
            self.s.connect(("127.0.0.1", d.port))
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(d.sock)
        self.buf = b""

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data.encode() if isinstance(data, str) else data)

    def _fill(self):
        try:
            b = self.s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            b = b""
        if not b:
            raise EOFError
        self.buf += b

    def netstring(self):
        """One netstring payload (str), or None at EOF."""
        try:
            while b":" not in self.buf:
                self._fill()
            n = int(self.buf.split(b":", 1)[0])
            head = len(str(n)) + 1
            while len(self.buf) < head + n + 1:
                self._fill()
        except EOFError:
            return None
        out, self.buf = self.buf[head:head + n], self.buf[head + n + 1:]
        return out.decode("utf-8", "replace")

    def line(self):
        """One line without "\\n" (str), or None at EOF."""
        try:
            while b"\n" not in self.buf:
                self._fill()
        except EOFError:
            return None
        out, self.buf = self.buf.split(b"\n", 1)
        return out.decode("utf-8", "replace")

    def sockmap(self, key, name="postfix"):
        self.send(ns(name + " " + key))
        return self.netstring()

    def tcp(self, key):
        self.send("get %s\n" % quote(key))
        return self.line()

    def json(self, obj):
        self.send(json.dumps(obj) + "\n")
        line = self.line()
        return json.loads(line) if line is not None else None

    def closed(self):
        """True once the daemon closed the connection (waits for it)."""
        try:
            while True:
                self._fill()
        except EOFError:
            return True
        except socket.timeout:
            return False


def ns(payload):
    b = payload.encode() if isinstance(payload, str) else payload
    return b"%d:%s," % (len(b), b)


def quote(key):
    """Postfix's hex_quote(): %, white space, non-printable -> %XX."""
    out = []
    for ch in key.encode("utf-8"):
        if ch == 0x25 or ch <= 0x20 or ch >= 0x7f:
            out.append("%%%02X" % ch)
        else:
            out.append(chr(ch))
    return "".join(out)


# ---------------------------------------------------------------- daemon

def mtastsd_binary():
    """$MTASTSD, else src/mtastsd under $MTASTS_BUILDDIR (or the current
    directory), as an absolute path."""
    return os.path.abspath(os.environ.get("MTASTSD") or os.path.join(
        os.environ.get("MTASTS_BUILDDIR") or os.getcwd(), "src", "mtastsd"))


def run_skip_reason(binary, user):
    """Why `binary` cannot run as `user` here, or None."""
    if not os.access(binary, os.X_OK):
        return "no mtastsd binary at %s" % binary
    try:
        pwd.getpwnam(user)
    except KeyError:
        return "no user %s" % user
    return None


class Daemon:
    """The spawned daemon, its files and its log."""

    def __init__(self, w, binary, name, port, test=True, user="nobody",
                 lookup_timeout=3, idle=1):
        self.w, self.binary, self.name, self.port = w, binary, name, port
        self.ns = w.ns
        self.run = os.path.join(w.dir, name + "-run")
        self.sock = os.path.join(self.run, "mtastsd.sock")
        self.pidfile = os.path.join(self.run, "mtastsd.pid")
        self.state = os.path.join(w.dir, name + "-state")
        self.conf = os.path.join(w.dir, name + ".conf")
        self.test = test
        self.opts = {
            "user": user,
            "socket": self.sock,
            "socket_owner": user,
            "socket_group": str(pwd.getpwnam(user).pw_gid),
            "socket_mode": "0660",
            "pidfile": self.pidfile,
            "state_dir": self.state,
            "listen_tcp": "127.0.0.1:%d" % port if port else "",
            "dns_servers": w.dns_server,
            "ca_file": w.ca_file,
            "lookup_timeout": "%ds" % lookup_timeout,
            "client_idle_timeout": "%ds" % idle,
            "max_connections": "2000",
            "max_fetches": "50",
            "log_level": "debug",
        }
        # The STARTTLS list is on by default: use the bundled copy from
        # the source tree (not installed here) and never fetch.
        srcdir = os.environ.get("MTASTS_SRCDIR") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..")
        bundle = os.path.join(srcdir, "contrib", "starttls-list")
        self.opts.update({
            "starttls_list_url": "",
            "starttls_list_bundle": os.path.join(bundle, "policy.json"),
            "starttls_list_keyring": os.path.join(
                bundle, "starttls-policy-authority.gpg"),
        })
        self.write_conf()
        self.p = None

    def write_conf(self, change=None, raw=None):
        """The test configuration with `change` (a dict) applied, or
        `raw` text."""
        if raw is None:
            opts = dict(self.opts, **(change or {}))
            raw = "".join("%s = %s\n" % kv for kv in opts.items())
        with open(self.conf, "w") as f:
            f.write(raw)
        os.chmod(self.conf, 0o644)

    def start(self, wrap=()):
        """Spawn the daemon, behind the command `wrap` (e.g. prlimit)."""
        argv = [self.binary, "-d", "-f", self.conf]
        if self.test:
            argv.insert(2, "-T")
        self.p = self.w.spawn(list(wrap) + argv)
        self.log_pos = 0
        return self.wait_ready()

    def wait_ready(self, timeout=15.0):
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            if self.p.poll() is not None:
                return False
            try:
                Client(self, timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def log(self):
        with open(self.p.log_file, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_log(self, text, after=0, timeout=10.0):
        """Poll the log for `text` past offset `after`."""
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            if text in self.log()[after:]:
                return True
            time.sleep(0.05)
        return False

    def hup(self, change=None, raw=None, expect="reload done"):
        self.write_conf(change, raw)
        mark = len(self.log())
        os.kill(self.p.pid, signal.SIGHUP)
        return self.wait_log(expect, after=mark)

    def stats(self):
        c = Client(self)
        try:
            return c.json({"op": "stats"})
        finally:
            c.close()
