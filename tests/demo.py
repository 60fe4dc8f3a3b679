#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""demo.py: watch mtastsd do its main job, offline, in a private world.

Builds a throwaway MTA-STS "internet" in a network namespace (a DNS
server, an HTTPS server with its own CA; tests/lib/world.py), starts the
real mtastsd there with its bundled defaults, and asks it what a mail
server would ask: first through mtasts(1), then over the Postfix
socketmap protocol.  Nothing leaves the machine; everything is removed
at the end.  Run as root from a build: tests/check.sh --demo.
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from daemon import Client, Daemon  # noqa: E402
from world import World, policy_text, skip_reason  # noqa: E402

BUILDDIR = os.environ.get("MTASTS_BUILDDIR", ".")
MTASTS = os.path.join(BUILDDIR, "src", "mtasts")
MTASTSD = os.path.join(BUILDDIR, "src", "mtastsd")


def show(w, argv):
    print("\n$ " + " ".join(os.path.basename(a) if a in (MTASTS,) else a
                            for a in argv))
    r = w.run(argv, timeout=60)
    sys.stdout.write(r.stdout + r.stderr)
    sys.stdout.flush()
    return r


def main():
    reason = skip_reason()
    if reason:
        print("demo needs: %s" % reason)
        return 2
    for prog in (MTASTS, MTASTSD):
        if not os.access(prog, os.X_OK):
            print("demo: %s is not built" % prog)
            return 2
    with World() as w:
        w.add_domain("example.test", policy=policy_text(
            mx=["mx1.example.test", "*.mail.example.test"], max_age=604800))
        w.add_domain("trying.test", policy=policy_text(
            mode="testing", mx=["mx.trying.test"]))
        w.add_domain("plain.test", mx=["mx.plain.test"])
        w.add_domain("broken.test", policy=policy_text(mx=["mx.broken.test"]),
                     cert="wrong-name")
        w.start()
        os.chmod(w.dir, 0o711)
        d = Daemon(w, MTASTSD, "demo", 0, test=False)
        print("mtastsd demo: a private DNS and HTTPS world with four domains;"
              "\nmtastsd runs in it with DNS %s and the world's CA."
              % w.dns_server)
        if not d.start():
            print(d.log()[-3000:])
            return 1
        names = ["example.test", "trying.test", "plain.test", "broken.test"]
        show(w, [MTASTS, "resolve", "--socket", d.sock] + names)
        show(w, [MTASTS, "resolve", "--socket", d.sock,
                          "EXAMPLE.test."])
        print("\nPostfix's question (smtp_tls_policy_maps = socketmap:...):")
        c = Client(d)
        answers = {}
        for key in ("example.test", "trying.test", ".example.test"):
            answers[key] = c.sockmap(key)
            print("  postfix %-14s -> %s" % (key, answers[key]))
        c.close()
        show(w, [MTASTS, "cache", "list", "--socket", d.sock])
    print("\nworld removed; nothing was sent off this machine.")
    # The demo is the README's first command: fail loudly if it lies.
    if not (answers["example.test"] or "").startswith("OK secure match="):
        print("demo: unexpected answer for example.test")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
