# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""world.py: a disposable MTA-STS "world" for mtastsd integration tests.

Purpose: build, inside a private network namespace, everything an
MTA-STS client talks to: an authoritative-style DNS server (unbound),
an HTTPS policy server (nginx) with certificates from a CA made at test
time, and small fault servers for what nginx cannot do (hung TLS,
trickling bodies, non-TLS garbage, SERVFAIL).  Nothing leaves the
namespace: it has only `lo`, so no packet can reach the machine's real
network.

Usage (see README.md beside this file for the full interface):

    from world import World, policy_text, Tap
    with World() as w:
        d = w.add_domain("good.test", policy=policy_text(mx=["mx.good.test"]))
        w.start()
        r = w.run(["mtasts", "resolve", "--direct", "--json",
                   "--dns-server", w.dns_server, "--ca-file", w.ca_file,
                   d.name], timeout=20)

Layout inside the namespace (fixed, so tests can state expectations):
    127.0.0.53:53     unbound, answers the zones built by add_*()
    127.0.0.54:53     fault DNS: answers SERVFAIL to everything
    127.0.0.1:443     nginx (also [::1]:443 when IPv6 works)
    127.0.1.1:443     fault "tls-hang": accepts TCP, never speaks TLS
    127.0.1.2:443     fault "http-hang": TLS ok, never answers the request
    127.0.1.3:443     fault "trickle": headers, then the body 1 byte/s
    127.0.1.4:443     fault "garbage": answers a ClientHello with plain text
    127.0.1.9:443     fault "refused": nothing listens (connection refused)

Files live in a temp dir under tmp_base() (/dev/shm when writable).
Teardown is unconditional: servers killed (by process group), namespace
deleted, temp dir removed (kept, for debugging, when MTASTS_KEEP_WORLD=1),
on normal exit, exceptions (context manager), interpreter exit (atexit)
and SIGTERM/SIGHUP (signal handler).  Worlds left by a SIGKILLed test are
reaped by the next World.start().

Scaling: every policy host gets its own certificate file, chosen by
nginx per handshake (`ssl_certificate .../$ssl_server_name.pem`), and
its own policy file, served by one catch-all server block through
`alias .../$host`.  Only hosts with non-default HTTP behaviour get a
server block of their own.  So 10,000 domains cost 20,000 small files
on tmpfs and about 1 s of certificate signing (one shared EC P-256
key), with no nginx configuration growth: a 10,000-domain world starts
in about 1.2 s.  DNS data is an unbound auth-zone file per TLD.

Stdlib only, except python3-cryptography for the certificates.
"""

import atexit
import collections
import datetime
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402,F401  (re-exported: tests import it from here)

LIB_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
FAULTS_PY = os.path.join(LIB_DIR, "faults.py")

DNS_ADDR = "127.0.0.53"
DNS_FAULT_ADDR = "127.0.0.54"
HTTPS_ADDR = "127.0.0.1"
HTTPS_ADDR6 = "::1"
FAULT_ADDRS = {
    "tls-hang": "127.0.1.1",
    "http-hang": "127.0.1.2",
    "trickle": "127.0.1.3",
    "garbage": "127.0.1.4",
    "refused": "127.0.1.9",
}
CERT_KINDS = ("good", "wrong-name", "expired", "not-yet-valid",
              "self-signed", "unknown-ca", "cn-only", "none")
DNS_FAULTS = ("servfail", "hang", "refused")
NS_PREFIX = "mtastsw-"
TMP_PREFIX = "mtasts-world-"
KEPT_MARK = "KEPT"          # MTASTS_KEEP_WORLD=1 dirs: never reaped
DEFAULT_TTL = 300
STARTUP_TIMEOUT = 15.0

AUTO = object()   # "work it out for me" default for add_domain()

Domain = collections.namedtuple("Domain", "name host id txt_name")
Result = collections.namedtuple("Result", "rc stdout stderr elapsed")


# ---------------------------------------------------------------- helpers

def alabel(name):
    """Normalise a domain the way the contract says the client does:
    lowercase, one trailing dot removed, U-labels to A-labels."""
    name = name[:-1] if name.endswith(".") else name
    out = []
    for label in name.split("."):
        if label.isascii():
            out.append(label.lower())
        else:
            out.append(label.encode("idna").decode("ascii").lower())
    return ".".join(out)


def policy_text(mode="enforce", mx=("mx.example.test",), max_age=86400,
                eol="\r\n", version="STSv1", extra=()):
    """An RFC 8461 policy body; `extra` lines are appended verbatim."""
    lines = ["version: %s" % version, "mode: %s" % mode]
    lines += ["mx: %s" % m for m in mx]
    lines.append("max_age: %s" % max_age)
    lines += list(extra)
    return eol.join(lines) + eol


def sts_txt(policy_id, extra=""):
    """The usual `_mta-sts` TXT record text."""
    return "v=STSv1; id=%s;%s" % (policy_id, extra)


def _zone_string(data):
    """One DNS character-string in zone-file syntax (quoted, escaped)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > 255:
        raise ValueError("character-string over 255 bytes")
    out = ['"']
    for b in data:
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    out.append('"')
    return "".join(out)


def txt_rdata(record):
    """TXT rdata from a str (split into 255-byte strings) or from a
    list/tuple of str (one character-string each, as given)."""
    if isinstance(record, (list, tuple)):
        parts = list(record)
    else:
        raw = record.encode("utf-8") if isinstance(record, str) else record
        parts = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
    return " ".join(_zone_string(p) for p in parts)


def _write(path, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _which(prog):
    """Absolute path of a system program, also found in sbin when the
    caller's PATH lacks it (automake's test environment may)."""
    return shutil.which(prog, path=os.environ.get("PATH", "") +
                        ":/usr/sbin:/sbin:/usr/bin:/bin")


IP = _which("ip") or "ip"
UNBOUND = _which("unbound") or "unbound"
LDNS_KEYGEN = _which("ldns-keygen") or "ldns-keygen"
LDNS_SIGNZONE = _which("ldns-signzone") or "ldns-signzone"
NGINX = _which("nginx") or "nginx"


def tmp_base():
    """Where worlds live: $MTASTS_WORLD_TMPDIR, else /dev/shm (tmpfs:
    creating 20,000 small files there is ten times faster than on a
    VM's disk), else the usual temp dir."""
    env = os.environ.get("MTASTS_WORLD_TMPDIR")
    if env:
        return env
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return tempfile.gettempdir()


def skip_reason(tools=()):
    """None when a world can be built here, else why not (for
    `1..0 # SKIP <reason>`).  `tools` are extra programs the caller
    needs (e.g. "dig", "curl")."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for prog in ("ip", "unbound", "nginx"):
        if _which(prog) is None:
            return "%s not installed" % prog
    for prog in tools:      # run through `ip netns exec`: must be in PATH
        if shutil.which(prog) is None:
            return "%s not installed (or not in PATH)" % prog
    if not os.path.exists(PYTHON):
        return "%s missing" % PYTHON
    try:
        import cryptography.x509  # noqa: F401
    except ImportError:
        return "python3-cryptography not installed"
    r = subprocess.run([IP, "netns", "list"], capture_output=True)
    if r.returncode != 0:
        return "ip netns does not work here"
    return None


# ----------------------------------------------------------- certificates

class CertFactory:
    """A test CA and leaf certificates.  One EC P-256 leaf key is shared
    by every leaf: signing is the only per-certificate cost."""

    def __init__(self, directory):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        self._x509, self._hashes = x509, hashes
        self._ser, self._ec = serialization, ec
        self._eku, self._oid = ExtendedKeyUsageOID, NameOID
        self.dir = directory
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = self._make_ca("mtasts test world CA", self.ca_key)
        self._other = None
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._leaf_pub = self.leaf_key.public_key()
        self._aki = {}
        self.ca_file = os.path.join(directory, "ca.pem")
        self.key_file = os.path.join(directory, "key.pem")
        _write(self.ca_file, self._pem(self.ca_cert))
        _write(self.key_file, self.leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()), 0o600)

    def _pem(self, cert):
        return cert.public_bytes(self._ser.Encoding.PEM)

    def _name(self, cn):
        return self._x509.Name([self._x509.NameAttribute(
            self._oid.COMMON_NAME, cn)])

    def _make_ca(self, cn, key):
        x = self._x509
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (x.CertificateBuilder()
             .subject_name(self._name(cn)).issuer_name(self._name(cn))
             .public_key(key.public_key())
             .serial_number(x.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1))
             .not_valid_after(now + datetime.timedelta(days=3650))
             .add_extension(x.BasicConstraints(ca=True, path_length=None),
                            critical=True)
             .add_extension(x.KeyUsage(False, False, False, False, False,
                                       True, True, False, False),
                            critical=True)
             .add_extension(x.SubjectKeyIdentifier.from_public_key(
                 key.public_key()), critical=False))
        return b.sign(key, self._hashes.SHA256())

    def _other_ca(self):
        if self._other is None:
            k = self._ec.generate_private_key(self._ec.SECP256R1())
            self._other = (k, self._make_ca("unknown test CA", k))
        return self._other

    def _authority_key_id(self, issuer_key):
        aki = self._aki.get(id(issuer_key))
        if aki is None:
            aki = self._x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key())
            self._aki[id(issuer_key)] = aki
        return aki

    def leaf_pem(self, names, kind="good"):
        """PEM of a leaf for `names` (first is the CN), of `kind`."""
        if kind not in CERT_KINDS or kind == "none":
            raise ValueError("bad certificate kind %r" % kind)
        x = self._x509
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        start, end = now - day, now + 30 * day
        if kind == "expired":
            start, end = now - 30 * day, now - day
        elif kind == "not-yet-valid":
            start, end = now + day, now + 30 * day
        if kind == "wrong-name":
            names = ["wrong-name.invalid.test"]
        issuer_key, issuer = self.ca_key, self.ca_cert
        if kind == "unknown-ca":
            issuer_key, issuer = self._other_ca()
        subject = self._name(names[0])
        issuer_name = issuer.subject
        if kind == "self-signed":
            issuer_key, issuer_name = self.leaf_key, subject
        b = (x.CertificateBuilder()
             .subject_name(subject).issuer_name(issuer_name)
             .public_key(self._leaf_pub)
             .serial_number(x.random_serial_number())
             .not_valid_before(start).not_valid_after(end)
             .add_extension(x.BasicConstraints(ca=False, path_length=None),
                            critical=True)
             .add_extension(x.ExtendedKeyUsage([self._eku.SERVER_AUTH]),
                            critical=False))
        if kind != "cn-only":
            b = b.add_extension(x.SubjectAlternativeName(
                [x.DNSName(n) for n in names]), critical=False)
        if kind != "self-signed":
            b = b.add_extension(self._authority_key_id(issuer_key),
                                critical=False)
        return self._pem(b.sign(issuer_key, self._hashes.SHA256()))


# ------------------------------------------------------- teardown registry

_LIVE = set()
_HANDLERS_SET = False


def _teardown_all():
    for w in list(_LIVE):
        try:
            w.close()
        except Exception as e:   # teardown must go on for the others
            print("# world teardown: %s" % e, file=sys.stderr)


def _on_signal(sig, _frame):
    _teardown_all()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


def _install_handlers():
    global _HANDLERS_SET
    if _HANDLERS_SET:
        return
    _HANDLERS_SET = True
    atexit.register(_teardown_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale():
    """Delete namespaces and temp dirs of worlds whose process died
    without tearing down (SIGKILL, OOM)."""
    r = subprocess.run([IP, "netns", "list"], capture_output=True,
                       text=True)
    for line in r.stdout.splitlines():
        ns = line.split()[0] if line.split() else ""
        if not ns.startswith(NS_PREFIX):
            continue
        try:
            pid = int(ns[len(NS_PREFIX):].split("-")[0])
        except ValueError:
            continue
        if not _pid_alive(pid):
            _kill_netns_pids(ns)
            subprocess.run([IP, "netns", "del", ns], capture_output=True)
            shutil.rmtree("/etc/netns/" + ns, ignore_errors=True)
    base = tmp_base()
    for ent in os.listdir(base):
        if not ent.startswith(TMP_PREFIX):
            continue
        try:
            pid = int(ent[len(TMP_PREFIX):].split("-")[0])
        except ValueError:
            continue
        path = os.path.join(base, ent)
        if not _pid_alive(pid) and not os.path.exists(
                os.path.join(path, KEPT_MARK)):
            shutil.rmtree(path, ignore_errors=True)


def _kill_netns_pids(ns):
    r = subprocess.run([IP, "netns", "pids", ns], capture_output=True,
                       text=True)
    pids = []
    for tok in r.stdout.split():
        try:
            os.kill(int(tok), signal.SIGKILL)
            pids.append(int(tok))
        except (ValueError, ProcessLookupError):
            pass
    # SIGKILL is asynchronous: wait until they are gone (or zombies of
    # whoever inherited them) so the caller's cleanup is complete.
    deadline = time.monotonic() + 5
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _running(p)]
        if pids:
            time.sleep(0.02)


def _running(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(") ", 1)[-1][:1] not in ("Z", "X")
    except OSError:
        return False


# ------------------------------------------------------------------ world

class World:
    """One test world.  Configure with add_*(), then start(); after
    start(), more add_*() calls take effect at apply().

    Attributes after start(): ns (namespace name), dir (temp dir),
    ca_file, key_file, dns_server ("127.0.0.53"), ipv6 (bool)."""

    _seq = 0

    def __init__(self, trickle_interval=1.0, nginx_workers=1,
                 dns_threads=1, resolv_conf=True, verbose=False,
                 log_queries=False, validate=True):
        World._seq += 1
        self.ns = "%s%d-%d" % (NS_PREFIX, os.getpid(), World._seq)
        self.dir = None
        self.dns_server = DNS_ADDR
        self.https_addr = HTTPS_ADDR
        self.fault_addrs = dict(FAULT_ADDRS)
        self.ca_file = self.key_file = None
        self.ipv6 = False
        self.trickle_interval = trickle_interval
        self.nginx_workers = nginx_workers
        self.dns_threads = dns_threads
        self.resolv_conf = resolv_conf
        self.verbose = verbose
        self.log_queries = log_queries
        self._rr = collections.OrderedDict()   # name -> [(type, rdata)]
        self._dns_fault = {}                     # name -> kind
        self.validate = validate                 # unbound validates
        self._signed = set()                     # DNSSEC-signed TLDs
        self._bogus = set()                      # (name, type): bad RRSIG
        self._ds = {}                            # tld -> DS rdata
        self._hosts = collections.OrderedDict()  # host -> dict
        self._cert_done = {}                     # host -> (kind, names)
        self._procs = {}                         # name -> Popen
        self._spawned = []
        self._conf_text = {}                     # server -> last config
        self._certs = None
        self._ns_made = False
        self._started = False
        self._closed = False
        self._next_id = 0

    # -- context manager -------------------------------------------------
    def __enter__(self):
        _install_handlers()
        _LIVE.add(self)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def log(self, msg):
        if self.verbose:
            print("# world: %s" % msg, file=sys.stderr)

    # -- DNS configuration -----------------------------------------------
    def add_record(self, name, rtype, rdata, ttl=DEFAULT_TTL):
        """Add one RR; rdata in zone-file syntax ("127.0.0.1",
        "10 mx.x.test.", a quoted TXT...).  Names are normalised."""
        name = alabel(name)
        self._rr.setdefault(name, []).append((rtype.upper(), rdata, ttl))

    def add_txt(self, name, *records):
        """TXT records: each a str (auto-split at 255 bytes) or a list
        of str (explicit character-strings)."""
        for rec in records:
            self.add_record(name, "TXT", txt_rdata(rec))

    def add_address(self, name, *addrs):
        """A/AAAA records, chosen by the address family."""
        for a in addrs:
            ip = ipaddress.ip_address(a)
            self.add_record(name, "AAAA" if ip.version == 6 else "A", a)

    def add_cname(self, name, target):
        self.add_record(name, "CNAME", alabel(target) + ".")

    def add_mx(self, domain, *mxs):
        """MX records: each "host" (preference 10, 20, ...) or
        (preference, host)."""
        for i, mx in enumerate(mxs):
            pref, host = mx if isinstance(mx, tuple) else (10 * (i + 1), mx)
            self.add_record(domain, "MX", "%d %s." % (pref, alabel(host)))

    def remove_records(self, name, rtype=None):
        """Drop `name`'s records (of `rtype` only, when given): with
        add_txt() and apply() this rotates a policy id."""
        name = alabel(name)
        rrs = [r for r in self._rr.get(name, [])
               if rtype is not None and r[0] != rtype.upper()]
        if rrs:
            self._rr[name] = rrs
        else:
            self._rr.pop(name, None)

    def sign_tld(self, tld):
        """Sign the zone of `tld` (ldns-signzone, a new KSK and ZSK per
        world) and make unbound validate it with that KSK as its trust
        anchor (unless World(validate=False)).  Other TLDs stay
        unsigned: outside every trust anchor, they answer without AD."""
        self._signed.add(alabel(tld))

    def break_signature(self, name, rtype):
        """Spoil the RRSIG over `name`'s `rtype` RRset in a signed zone:
        the validating unbound then answers SERVFAIL (bogus)."""
        self._bogus.add((alabel(name), rtype.upper()))

    def fix_signature(self, name, rtype):
        self._bogus.discard((alabel(name), rtype.upper()))

    def clear_dns_fault(self, name):
        self._dns_fault.pop(alabel(name), None)

    def dns_fault(self, name, kind):
        """Make `name` (and everything below it) answer SERVFAIL
        ("servfail"), REFUSED ("refused"), or never ("hang")."""
        if kind not in DNS_FAULTS:
            raise ValueError("bad DNS fault %r" % kind)
        self._dns_fault[alabel(name)] = kind

    # -- HTTPS configuration ---------------------------------------------
    def add_host(self, host, policy=None, cert="good", cert_names=None,
                 http=None):
        """Configure the HTTPS side of a policy host (no DNS).
        policy: body (str/bytes) of /.well-known/mta-sts.txt, or None
          (404 from nginx).
        cert: one of CERT_KINDS; cert_names: SANs of a good cert
          (default [host]).
        http: dict, any of status (200), content_type ("text/plain",
          None for no header), location (for 3xx), chunked (False),
          headers ({name: value} added to the answer), root (a
          directory whose files the host serves at every path, as
          application/octet-stream, e.g. a STARTTLS list)."""
        if cert not in CERT_KINDS:
            raise ValueError("bad certificate kind %r" % cert)
        http = dict(http or {})
        unknown = set(http) - {"status", "content_type", "location",
                               "chunked", "headers", "root"}
        if unknown:
            raise ValueError("unknown http keys %s" % sorted(unknown))
        host = alabel(host)
        if isinstance(policy, str):
            policy = policy.encode("utf-8")
        self._hosts[host] = {"policy": policy, "cert": cert,
                             "names": list(cert_names or [host]),
                             "http": http}
        return host

    def remove_host(self, host):
        """Forget a host's HTTPS side (its certificate file stays, so
        open connections are not surprised); apply() to take effect."""
        host = alabel(host)
        self._hosts.pop(host, None)
        path = os.path.join(self.dir or "", "policies", host)
        if self._started and os.path.exists(path):
            os.unlink(path)

    def set_policy(self, host, policy):
        """Replace a host's policy body; live at once (no restart)."""
        host = alabel(host)
        self._hosts[host]["policy"] = (policy.encode("utf-8")
                                       if isinstance(policy, str) else policy)
        if self._started:
            self._write_policy(host)

    # -- the one-call domain ---------------------------------------------
    def add_domain(self, name, policy=None, txt=AUTO, policy_id=None,
                   mx=None, cert="good", http=None, host_addr=None,
                   host_cname=None, fault=None, txt_dns=None,
                   host_dns=None):
        """A whole MTA-STS domain.  Returns Domain(name, host, id,
        txt_name) with the normalised names.
        txt: AUTO = one "v=STSv1; id=<id>;" record when there is a
          policy host; None/[] = no TXT; else a list as for add_txt().
        policy_id: id for the AUTO record (default "id<n>").
        mx: DNS MX records (see add_mx), not the policy's mx lines.
        host_addr: addresses of mta-sts.<name> (default nginx, or the
          fault server's address when `fault` is set).
        host_cname: make mta-sts.<name> a CNAME to this name, which gets
          the addresses.
        fault: "tls-hang", "http-hang", "trickle", "garbage", "refused".
        txt_dns / host_dns: DNS fault (see dns_fault) for
          _mta-sts.<name> / mta-sts.<name>."""
        d = alabel(name)
        host, txt_name = "mta-sts." + d, "_mta-sts." + d
        if policy_id is None:
            self._next_id += 1
            policy_id = "id%d" % self._next_id
        has_host = (policy is not None or http is not None or
                    fault is not None or host_addr is not None or
                    host_cname is not None)
        if txt is AUTO:
            txt = [sts_txt(policy_id)] if has_host else []
        if txt:
            self.add_txt(txt_name, *txt)
        if mx:
            self.add_mx(d, *mx)
        if has_host:
            self._add_policy_host(host, policy, cert, http, host_addr,
                                  host_cname, fault)
        if txt_dns:
            self.dns_fault(txt_name, txt_dns)
        if host_dns:
            self.dns_fault(host, host_dns)
        return Domain(d, host, policy_id, txt_name)

    def _add_policy_host(self, host, policy, cert, http, host_addr,
                         host_cname, fault):
        if fault is not None and fault not in FAULT_ADDRS:
            raise ValueError("bad fault %r" % fault)
        if host_addr is None:
            host_addr = [FAULT_ADDRS[fault] if fault else HTTPS_ADDR]
        elif isinstance(host_addr, str):
            host_addr = [host_addr]
        if host_cname:
            self.add_cname(host, host_cname)
            if alabel(host_cname) not in self._rr:
                self.add_address(host_cname, *host_addr)
        else:
            self.add_address(host, *host_addr)
        self.add_host(host, policy, cert=cert, http=http)

    def issue_cert(self, names, kind="good", basename=None):
        """A certificate for other servers (e.g. SMTP receivers): returns
        (cert_file, key_file).  Only after start()."""
        if isinstance(names, str):
            names = [names]
        names = [alabel(n) for n in names]
        path = os.path.join(self.dir, "issued",
                            (basename or names[0]) + ".pem")
        _write(path, self._certs.leaf_pem(names, kind))
        return path, self.key_file

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        """Build everything and wait until every server answers."""
        if self._started:
            return self.apply()
        _install_handlers()
        _LIVE.add(self)
        t0 = time.monotonic()
        reap_stale()
        self.dir = tempfile.mkdtemp(prefix="%s%d-" % (TMP_PREFIX,
                                                      os.getpid()),
                                    dir=tmp_base())
        for sub in ("certs", "policies", "dns", "logs", "run", "nginx",
                    "issued"):
            os.mkdir(os.path.join(self.dir, sub))
        self._make_netns()
        self._certs = CertFactory(os.path.join(self.dir, "certs"))
        self.ca_file, self.key_file = self._certs.ca_file, \
            self._certs.key_file
        self._started = True
        self._write_all()
        self._start_servers(("faults", "unbound", "nginx"))
        self.log("started %s in %.2fs (%d hosts)" % (
            self.ns, time.monotonic() - t0, len(self._hosts)))
        return self

    def apply(self):
        """Make add_*() calls made after start() live: rewrites files and
        restarts the servers whose configuration changed."""
        if not self._started:
            return self.start()
        changed = self._write_all()
        self._stop_servers(changed)
        self._start_servers(changed)
        return self

    def restart(self, *servers):
        """Restart "unbound", "nginx" and/or "faults" (all by default)."""
        servers = servers or ("faults", "unbound", "nginx")
        self._stop_servers(servers)
        self._start_servers(servers)

    def close(self):
        """Tear everything down; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        _LIVE.discard(self)
        for p in self._spawned:
            _kill_group(p)
        self._stop_servers(list(self._procs))
        if self._ns_made:
            _kill_netns_pids(self.ns)
            subprocess.run([IP, "netns", "del", self.ns],
                           capture_output=True)
            shutil.rmtree("/etc/netns/" + self.ns, ignore_errors=True)
        if self.dir and os.environ.get("MTASTS_KEEP_WORLD") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir:
            _write(os.path.join(self.dir, KEPT_MARK), "kept\n")
            print("# world kept in %s" % self.dir, file=sys.stderr)

    # -- running things inside -------------------------------------------
    def argv(self, argv):
        """argv wrapped to run inside the namespace."""
        return [IP, "netns", "exec", self.ns] + list(argv)

    def run(self, argv, timeout=60, input=None, env=None, cwd=None,
            text=True):
        """Run a command inside the namespace; returns Result(rc, stdout,
        stderr, elapsed).  On timeout the process group is killed and
        rc is None."""
        t0 = time.monotonic()
        p = subprocess.Popen(self.argv(argv), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, cwd=cwd, start_new_session=True)
        if isinstance(input, str):
            input = input.encode("utf-8")
        try:
            out, err = p.communicate(input, timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            _kill_group(p)
            out, err = p.communicate()
            rc = None
        elapsed = time.monotonic() - t0
        if text:
            out = out.decode("utf-8", "replace")
            err = err.decode("utf-8", "replace")
        return Result(rc, out, err, elapsed)

    def spawn(self, argv, log=None, env=None, cwd=None):
        """Start a long-running process inside the namespace (e.g. the
        daemon); killed at teardown or by stop_process().  Output goes
        to `log` (default <dir>/logs/<argv0>.log)."""
        log = log or os.path.join(self.dir, "logs", "%s-%d.log" % (
            os.path.basename(argv[0]), len(self._spawned)))
        with open(log, "ab") as f:
            p = subprocess.Popen(self.argv(argv), stdin=subprocess.DEVNULL,
                                 stdout=f, stderr=subprocess.STDOUT,
                                 env=env, cwd=cwd, start_new_session=True)
        p.log_file = log
        self._spawned.append(p)
        return p

    def stop_process(self, p, sig=signal.SIGTERM, timeout=5.0):
        """Stop a spawn()ed process; returns its exit status."""
        return _kill_group(p, sig, timeout)

    def wait_tcp(self, addr, port, timeout=STARTUP_TIMEOUT):
        """Wait until something accepts on addr:port in the namespace."""
        return self._probe(["--tcp", _hostport(addr, port)], timeout)

    def dns_queries(self, name=None, qtype=None):
        """Queries unbound received so far, as (name, type) pairs, names
        lowercase without the final dot; only with World(log_queries=
        True).  Filtered by name and/or type when given."""
        path = os.path.join(self.dir, "logs", "unbound.log")
        out = []
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    # "... info: 127.0.0.1 _mta-sts.a.test. TXT IN"
                    p = line.split(" info: ", 1)
                    w = p[1].split() if len(p) == 2 else []
                    if len(w) != 4 or w[3] != "IN":
                        continue
                    q = (w[1].rstrip(".").lower(), w[2])
                    if name not in (None, q[0]) or qtype not in (None, q[1]):
                        continue
                    out.append(q)
        except FileNotFoundError:
            pass
        return out

    def access_log(self):
        """nginx requests so far: list of dicts (time, sni, host, request,
        status, bytes)."""
        path = os.path.join(self.dir, "logs", "nginx-access.log")
        out = []
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    p = line.rstrip("\n").split("\t")
                    if len(p) == 6:
                        out.append(dict(zip(("time", "sni", "host",
                                             "request", "status",
                                             "bytes"), p)))
        except FileNotFoundError:
            pass
        return out

    # -- internals: namespace ------------------------------------------------
    def _make_netns(self):
        _check([IP, "netns", "add", self.ns])
        self._ns_made = True
        _check([IP, "-n", self.ns, "link", "set", "lo", "up"])
        r = subprocess.run([IP, "-n", self.ns, "-6", "addr", "show",
                            "dev", "lo"], capture_output=True, text=True)
        self.ipv6 = "::1/128" in r.stdout
        if self.resolv_conf:
            # `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc/*,
            # so programs that read /etc/resolv.conf use our DNS.
            os.makedirs("/etc/netns/" + self.ns, exist_ok=True)
            # With a signed zone, "trust-ad": glibc passes the AD flag
            # on only then (Postfix's DANE needs it).
            _write("/etc/netns/%s/resolv.conf" % self.ns,
                   "nameserver %s\noptions timeout:1 attempts:2%s\n" % (
                       DNS_ADDR, " trust-ad" if self._signed else ""))

    # -- internals: files ----------------------------------------------------
    def _write_all(self):
        """Write every generated file; return the servers whose
        configuration text changed."""
        self._write_certs()
        for host in self._hosts:
            self._write_policy(host)
        texts = {
            "unbound": self._unbound_files(),
            "nginx": {os.path.join(self.dir, "nginx", "nginx.conf"):
                      self._nginx_conf()},
            "faults": {os.path.join(self.dir, "faults.json"):
                       self._faults_conf()},
        }
        changed = []
        for server, files in texts.items():
            if self._conf_text.get(server) == files:
                continue
            for path, text in files.items():
                _write(path, text)
            self._conf_text[server] = files
            if server == "unbound":
                self._sign_zones()
            changed.append(server)
        return changed

    def _write_certs(self):
        cdir = os.path.join(self.dir, "certs")
        if "" not in self._cert_done:
            # No SNI: nginx looks for "certs/.pem".
            _write(os.path.join(cdir, ".pem"),
                   self._certs.leaf_pem(["default.invalid.test"]))
            self._cert_done[""] = ("good", ())
        for host, h in self._hosts.items():
            want = (h["cert"], tuple(h["names"]))
            if self._cert_done.get(host) == want:
                continue
            path = os.path.join(cdir, host + ".pem")
            if h["cert"] == "none":
                if os.path.exists(path):
                    os.unlink(path)
            else:
                _write(path, self._certs.leaf_pem(h["names"], h["cert"]))
            self._cert_done[host] = want

    def _write_policy(self, host):
        path = os.path.join(self.dir, "policies", host)
        body = self._hosts[host]["policy"]
        if body is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            _write(path, body)

    def _zones(self):
        """name -> zone-file text, one zone per TLD in use."""
        zones = collections.OrderedDict()
        need_fault_ns = any(k in ("servfail",)
                            for k in self._dns_fault.values())
        tlds = {n.rsplit(".", 1)[-1] for n in self._rr} | {"test"}
        tlds |= {n.rsplit(".", 1)[-1] for n in self._dns_fault}
        for tld in sorted(tlds):
            lines = ["$TTL %d" % DEFAULT_TTL,
                     "%s. IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60"
                     % (tld, tld, tld),
                     "%s. IN NS ns.%s." % (tld, tld),
                     "ns.%s. IN A %s" % (tld, DNS_ADDR)]
            if need_fault_ns:
                lines.append("ns-servfail.%s. IN A %s" % (tld, DNS_FAULT_ADDR))
            zones[tld] = lines
        for name, rrs in self._rr.items():
            z = zones[name.rsplit(".", 1)[-1]]
            for rtype, rdata, ttl in rrs:
                z.append("%s. %d IN %s %s" % (name, ttl, rtype, rdata))
        for name, kind in self._dns_fault.items():
            if kind == "servfail":
                tld = name.rsplit(".", 1)[-1]
                zones[tld].append("%s. IN NS ns-servfail.%s." % (name, tld))
        return {t: "\n".join(z) + "\n" for t, z in zones.items()}

    def _unbound_files(self):
        d = self.dir
        zones = self._zones()
        files = {}
        conf = [
            "server:",
            "  interface: %s@53" % DNS_ADDR,
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            '  directory: "%s"' % d,
            '  pidfile: "%s/run/unbound.pid"' % d,
            "  use-syslog: no",
            '  logfile: ""',
            "  log-time-ascii: yes",
            "  verbosity: %d" % (2 if self.verbose else 1),
            "  log-queries: %s" % ("yes" if self.log_queries else "no"),
            "  num-threads: %d" % self.dns_threads,
            "  do-ip6: no",
            "  do-not-query-localhost: no",
            '  module-config: "%s"' % ("validator iterator"
                                      if self._signed and self.validate
                                      else "iterator"),
            "  trust-anchor-signaling: no",
            "  qname-minimisation: no",
            "  prefetch: no",
            "  so-reuseport: no",
            "  msg-cache-size: 8m",
            "  rrset-cache-size: 16m",
            "  outgoing-range: 256",
            "  num-queries-per-thread: 1024",
            "  incoming-num-tcp: 64",
            "  access-control: 127.0.0.0/8 allow",
            # Never leave the test zones: everything else is NXDOMAIN
            # locally, so no root priming query is ever sent.
            '  local-zone: "." static',
        ]
        for tld in zones:
            # Overrides unbound's built-in RFC 6761 "test." static zone.
            conf.append('  local-zone: "%s." transparent' % tld)
        for name, kind in self._dns_fault.items():
            if kind == "hang":
                conf.append('  local-zone: "%s." deny' % name)
            elif kind == "refused":
                conf.append('  local-zone: "%s." refuse' % name)
        for tld in sorted(self._signed & set(zones)):
            conf.append('  trust-anchor: "%s. %s"' % (tld, self._zone_ds(tld)))
        conf += ["remote-control:", "  control-enable: no"]
        for tld, text in zones.items():
            path = os.path.join(d, "dns", "%s.zone" % tld)
            if tld in self._signed:
                # Written unsigned; _sign_zones() writes `path`.  The
                # bogus set is in the text so a change restarts unbound.
                files[path + ".unsigned"] = text + "".join(
                    "; bogus %s %s\n" % b for b in sorted(self._bogus))
            else:
                files[path] = text
            conf += ["auth-zone:", '  name: "%s."' % tld,
                     '  zonefile: "%s"' % path, "  for-downstream: no",
                     "  for-upstream: yes", "  fallback-enabled: no"]
        files[os.path.join(d, "dns", "unbound.conf")] = "\n".join(conf) + "\n"
        return files

    def _zone_ds(self, tld):
        """The DS rdata of `tld`'s KSK, made on first use."""
        if tld not in self._ds:
            kdir = os.path.join(self.dir, "dns", "keys")
            os.makedirs(kdir, exist_ok=True)
            keys = []
            for extra in (["-k"], []):
                r = subprocess.run([LDNS_KEYGEN, "-a", "ECDSAP256SHA256"]
                                   + extra + [tld + "."], cwd=kdir,
                                   capture_output=True, text=True,
                                   check=True)
                keys.append(os.path.join(kdir, r.stdout.strip()))
            with open(keys[0] + ".ds") as f:
                # "sec.\tIN\tDS\t<tag> <alg> <digest type> <digest>"
                self._ds[tld] = " ".join(f.read().split()[2:])
            self._keys = getattr(self, "_keys", {})
            self._keys[tld] = keys
        return self._ds[tld]

    def _sign_zones(self):
        """Sign each signed TLD's zone, then spoil the bogus RRSIGs."""
        for tld in sorted(self._signed):
            path = os.path.join(self.dir, "dns", "%s.zone" % tld)
            if not os.path.exists(path + ".unsigned"):
                continue
            self._zone_ds(tld)
            subprocess.run([LDNS_SIGNZONE, "-f", path, path + ".unsigned"]
                           + self._keys[tld], check=True,
                           capture_output=True)
            with open(path) as f:
                lines = f.read().splitlines()
            for i, line in enumerate(lines):
                f = line.split()
                if (len(f) > 5 and f[3] == "RRSIG" and
                        (f[0].rstrip(".").lower(), f[4]) in self._bogus):
                    # Flip one character of the signature's base64.
                    c = f[-1][0]
                    f[-1] = ("B" if c != "B" else "C") + f[-1][1:]
                    lines[i] = "\t".join(f)
            _write(path, "\n".join(lines) + "\n")

    def _nginx_conf(self):
        d = self.dir
        listen = ["    listen %s:443 ssl%%s;" % HTTPS_ADDR]
        if self.ipv6:
            listen.append("    listen [%s]:443 ssl%%s;" % HTTPS_ADDR6)
        c = [
            "daemon off;",
            "user root root;",
            "worker_processes %d;" % self.nginx_workers,
            "pid %s/run/nginx.pid;" % d,
            "error_log %s/logs/nginx-error.log %s;" % (
                d, "info" if self.verbose else "warn"),
            "worker_rlimit_nofile 65536;",
            "events { worker_connections 8192; }",
            "http {",
            "  log_format mtasts '$msec\\t$ssl_server_name\\t$host\\t"
            "$request\\t$status\\t$bytes_sent';",
            "  access_log %s/logs/nginx-access.log mtasts;" % d,
        ]
        for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            c.append("  %s_temp_path %s/nginx/%s;" % (t, d, t))
        c += [
            "  server_tokens off;",
            "  server_names_hash_max_size 65536;",
            "  server_names_hash_bucket_size 128;",
            "  types { }",
            "  default_type text/plain;",
            "  charset off;",
            "  keepalive_timeout 10s;",
            "  ssl_protocols TLSv1.2 TLSv1.3;",
            # Per-handshake certificate choice: scales to any number of
            # hosts without growing this file.
            "  ssl_certificate %s/certs/$ssl_server_name.pem;" % d,
            "  ssl_certificate_key %s/certs/key.pem;" % d,
            "  server {",
        ]
        c += [ln % " default_server" for ln in listen]
        c += [
            "    server_name _;",
            "    location = /.well-known/mta-sts.txt {",
            "      alias %s/policies/$host;" % d,
            "    }",
            "    location / { return 404; }",
            "  }",
        ]
        for host, h in self._hosts.items():
            if _http_is_default(h["http"]):
                continue
            c.append("  server {")
            c += [ln % "" for ln in listen]
            c.append("    server_name %s;" % host)
            c += self._nginx_location(host, h["http"])
            if h["http"].get("root"):
                c += ["    location / {",
                      '      root "%s";' % _ngx_q(h["http"]["root"]),
                      "      default_type application/octet-stream;",
                      "    }", "  }"]
            else:
                c += ["    location / { return 404; }", "  }"]
        c.append("}")
        return "\n".join(c) + "\n"

    def _nginx_location(self, host, http):
        status = int(http.get("status", 200))
        c = ["    location = /.well-known/mta-sts.txt {"]
        for k, v in (http.get("headers") or {}).items():
            c.append('      add_header %s "%s" always;' % (k, _ngx_q(v)))
        if 300 <= status < 400:
            loc = http.get("location") or \
                "https://mta-sts.elsewhere.test/.well-known/mta-sts.txt"
            c.append('      return %d "%s";' % (status, _ngx_q(loc)))
        elif status != 200:
            c.append("      return %d;" % status)
        else:
            ct = http.get("content_type", "text/plain")
            c.append('      default_type "%s";' % _ngx_q(ct or ""))
            c.append("      alias %s/policies/%s;" % (self.dir, host))
            if http.get("chunked"):
                # Any active sub_filter drops Content-Length, so nginx
                # falls back to chunked transfer encoding.
                c += ["      sub_filter_types *;",
                      '      sub_filter "@@mtasts-no-such-text@@" "";']
        c.append("    }")
        return c

    def _faults_conf(self):
        return json.dumps({
            "certdir": os.path.join(self.dir, "certs"),
            "keyfile": os.path.join(self.dir, "certs", "key.pem"),
            "policydir": os.path.join(self.dir, "policies"),
            "trickle_interval": self.trickle_interval,
            "dns_servfail": DNS_FAULT_ADDR,
            "listeners": {k: v for k, v in FAULT_ADDRS.items()
                          if k != "refused"},
        }, indent=1) + "\n"

    # -- internals: servers ------------------------------------------------
    def _server_argv(self, server):
        d = self.dir
        if server == "unbound":
            return [UNBOUND, "-d", "-c", os.path.join(d, "dns",
                                                         "unbound.conf")]
        if server == "nginx":
            return [NGINX, "-p", os.path.join(d, "nginx"), "-e",
                    os.path.join(d, "logs", "nginx-error.log"), "-c",
                    os.path.join(d, "nginx", "nginx.conf")]
        return [PYTHON, FAULTS_PY, "serve", os.path.join(d, "faults.json")]

    def _server_probe(self, server):
        if server == "unbound":
            return ["--dns", DNS_ADDR]
        if server == "nginx":
            args = ["--tcp", _hostport(HTTPS_ADDR, 443)]
            if self.ipv6:
                args += ["--tcp", _hostport(HTTPS_ADDR6, 443)]
            return args
        args = ["--dns", DNS_FAULT_ADDR]
        for kind, addr in FAULT_ADDRS.items():
            if kind != "refused":
                args += ["--tcp", _hostport(addr, 443)]
        return args

    def _start_servers(self, servers):
        probe = []
        for s in servers:
            log = open(os.path.join(self.dir, "logs", s + ".log"), "ab")
            self._procs[s] = subprocess.Popen(
                self.argv(self._server_argv(s)), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            probe += self._server_probe(s)
        if not probe:
            return
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            for s in servers:
                rc = self._procs[s].poll()
                if rc is not None:
                    raise RuntimeError("%s exited with %s at start:\n%s" % (
                        s, rc, self._tail(s)))
            if self._probe(probe, 0.5):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("world servers not ready after %ss: %s"
                                   % (STARTUP_TIMEOUT, " ".join(probe)))

    def _stop_servers(self, servers):
        for s in servers:
            p = self._procs.pop(s, None)
            if p is not None:
                _kill_group(p)

    def _probe(self, args, timeout):
        r = subprocess.run(self.argv([PYTHON, FAULTS_PY, "probe",
                                      "--timeout", str(timeout)] + args),
                           capture_output=True)
        return r.returncode == 0

    def _tail(self, server, n=2000):
        try:
            with open(os.path.join(self.dir, "logs", server + ".log"),
                      "rb") as f:
                data = f.read()
            if server == "nginx":
                with open(os.path.join(self.dir, "logs",
                                       "nginx-error.log"), "rb") as f:
                    data += f.read()
            return data[-n:].decode("utf-8", "replace")
        except OSError:
            return ""


def _http_is_default(http):
    return (int(http.get("status", 200)) == 200 and
            http.get("content_type", "text/plain") == "text/plain" and
            not http.get("chunked") and not http.get("headers") and
            not http.get("root"))


def _ngx_q(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _hostport(addr, port):
    return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)


def _check(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))


def _kill_group(p, sig=signal.SIGTERM, timeout=3.0):
    """Signal a process group, wait, then SIGKILL what is left."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(p.pid, signal.SIGKILL)   # stray children (nginx workers)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


# -------------------------------------------------------------------- TAP

