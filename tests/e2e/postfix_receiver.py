#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""postfix_receiver.py: SMTP receivers with STARTTLS for the MTA end-to-end
tests (python3-aiosmtpd), one process serving every listener of a test.

    postfix_receiver.py CONFIG.json LOG.jsonl

CONFIG: {"listeners": [{"addr": "127.0.3.1", "port": 25,
                        "cert": PEM, "key": PEM, "name": "mx.a.test"}]}
A listener without "cert" offers no STARTTLS.  Every message accepted is
one JSON line in LOG: listener address and name, envelope, whether and
how TLS was used (version, cipher, the SNI the client sent), the
X-E2E-Case header.  Every STARTTLS handshake is logged too
({"event": "tls", ...}), so a test can tell "handshake done, message
refused by the client" from "never connected".  Stops on SIGTERM.
"""

import asyncio
import email
import json
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, listener, log):
        self.listener, self.log = listener, log

    def write(self, rec):
        rec.update(listen=self.listener["addr"],
                   name=self.listener.get("name"))
        self.log.write(json.dumps(rec) + "\n")
        self.log.flush()

    async def handle_STARTTLS(self, server, session, envelope):
        return True

    async def handle_DATA(self, server, session, envelope):
        tls = session.ssl or {}
        obj = tls.get("ssl_object")
        msg = email.message_from_bytes(envelope.original_content or b"")
        self.write({
            "event": "message",
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": obj.version() if obj is not None else None,
            "cipher": obj.cipher()[0] if obj is not None else None,
            "sni": getattr(obj, "e2e_sni", None) if obj else None,
            "case": msg.get("X-E2E-Case"),
        })
        return "250 2.0.0 Ok: queued by e2e receiver %s" % (
            self.listener["addr"])


def context(listener, handler):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(listener["cert"], listener["key"])

    def sni(obj, name, _ctx):
        try:
            obj.e2e_sni = name
        except AttributeError:
            pass
        handler.write({"event": "tls", "sni": name})
    ctx.sni_callback = sni
    return ctx


async def serve(conf, log):
    servers = []
    for lst in conf["listeners"]:
        h = Handler(lst, log)
        ctx = context(lst, h) if lst.get("cert") else None

        def factory(h=h, ctx=ctx, lst=lst):
            return SMTP(h, hostname=lst.get("name") or "receiver.test",
                        tls_context=ctx, require_starttls=False,
                        enable_SMTPUTF8=True, ident="e2e receiver")
        servers.append(await asyncio.get_running_loop().create_server(
            factory, lst["addr"], lst.get("port", 25), reuse_address=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main():
    with open(sys.argv[1]) as f:
        conf = json.load(f)
    with open(sys.argv[2], "a") as log:
        asyncio.run(serve(conf, log))


if __name__ == "__main__":
    main()
