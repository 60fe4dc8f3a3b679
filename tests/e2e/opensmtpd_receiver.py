#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""opensmtpd_receiver.py: an SMTP receiver for the OpenSMTPD end-to-end
tests, run inside the test world's network namespace.

Usage: opensmtpd_receiver.py ADDR PORT LOG [CERT KEY]

Listens on ADDR:PORT with python3-aiosmtpd, offers STARTTLS when CERT
and KEY are given (never requires it), accepts every message and
appends one JSON line per message to LOG:
    {"addr": ADDR, "from": ..., "rcpt": [...], "tls": bool,
     "version": "TLSv1.3"|null, "sni": name|null}
so a test can tell which MX got a message and whether it came over TLS.
Runs until killed.
"""

import json
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, addr, log, sni):
        self.addr, self.log, self.sni = addr, log, sni
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        sslobj = None
        if server.transport is not None:
            sslobj = server.transport.get_extra_info("ssl_object")
        rec = {
            "addr": self.addr,
            "from": envelope.mail_from,
            "rcpt": list(envelope.rcpt_tos),
            "tls": sslobj is not None,
            "version": sslobj.version() if sslobj is not None else None,
            "sni": self.sni.get(id(sslobj)) if sslobj is not None else None,
        }
        with self.lock, open(self.log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        return "250 2.0.0 Ok: queued by e2e receiver %s" % self.addr


def main():
    addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sni = {}
    kwargs = {}
    if len(sys.argv) > 5:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])

        def on_sni(sslobj, name, _ctx):
            sni[id(sslobj)] = name
        ctx.sni_callback = on_sni
        kwargs = {"tls_context": ctx, "require_starttls": False}
    ctl = Controller(Handler(addr, log, sni), hostname=addr, port=port,
                     ready_timeout=10, **kwargs)
    ctl.start()
    print("receiver %s:%d ready" % (addr, port), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
