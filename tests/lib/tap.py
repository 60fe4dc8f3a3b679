# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""tap.py: a minimal Test Anything Protocol producer for the Python tests.

ok()/is_() print one result each, with "# got ..., want ..." on a failure
(Postfix ptest style); done() prints the plan and returns the exit status,
so a test that dies early is reported by automake's TAP driver as a
missing plan.
"""

import json
import sys


class Tap:
    """Minimal TAP producer: ok()/is_() print results, done() prints the
    plan and returns the exit status (0 all passed, 1 otherwise)."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, got=None, want=None, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond and (got is not None or want is not None):
            print("# got %s, want %s" % (_short(got), _short(want)))
        if not cond and diag:
            for line in str(diag).splitlines()[:20]:
                print("# " + line)
        sys.stdout.flush()
        return cond

    def is_(self, got, want, name, diag=None):
        return self.ok(got == want, name, got=got, want=want, diag=diag)

    def skip(self, name, why):
        """One result that could not run here, with the reason."""
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why))
        sys.stdout.flush()

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        return 0 if self.failed == 0 and self.n > 0 else 1

    @staticmethod
    def skip_all(reason):
        print("1..0 # SKIP %s" % reason)
        sys.stdout.flush()
        sys.exit(0)


def _short(v, limit=300):
    s = json.dumps(v, default=repr) if not isinstance(v, str) else repr(v)
    return s if len(s) <= limit else s[:limit] + "..."
