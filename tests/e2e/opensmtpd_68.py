#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
"""opensmtpd_68.py: TAP end-to-end test of table-mtasts with Debian 12's OpenSMTPD 6.8.0p2
(imsg table protocol),
relaying real mail; the scenario is in opensmtpd_scenario.py."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opensmtpd_scenario  # noqa: E402

if __name__ == "__main__":
    sys.exit(opensmtpd_scenario.run("6.8"))
