#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""opensmtpd_76.py: TAP end-to-end test of table-mtasts with Debian 13's OpenSMTPD 7.6.0p1
(text table protocol 0.1) in a debootstrap'ed trixie root,
relaying real mail; the scenario is in opensmtpd_scenario.py."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opensmtpd_scenario  # noqa: E402

if __name__ == "__main__":
    sys.exit(opensmtpd_scenario.run("7.6"))
