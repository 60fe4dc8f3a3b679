#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
# tests/deps.sh: install the Debian 12 packages needed to build mtastsd
# and run its whole test suite.  Run as root; safe to run again.
set -e
PKGS_BUILD="autoconf automake libtool pkg-config make gcc clang
	libc-ares-dev libcurl4-openssl-dev libssl-dev liblmdb-dev
	libcjson-dev libevent-dev libidn2-dev"
PKGS_RUN="gpgv ca-certificates"
# Test peers: real DNS and HTTPS servers, run inside a network namespace.
PKGS_TEST="python3 python3-cryptography iproute2 openssl unbound nginx-light
	bind9-dnsutils curl gnupg postfix-mta-sts-resolver python3-uvloop"
# End-to-end mail (tests/e2e/postfix_*.py): Postfix 3.7 as the sender,
# aiosmtpd receivers; nsenter and flock come with util-linux.
PKGS_E2E="postfix python3-aiosmtpd util-linux debootstrap"
if [ "$(id -u)" -ne 0 ]; then
	echo "tests/deps.sh: run as root (apt-get install)" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix unconfigured: no /etc/postfix/main.cf, so the package starts no
# Postfix of its own; the tests run private instances.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PKGS_BUILD $PKGS_RUN \
	$PKGS_TEST $PKGS_E2E
# Postfix 3.10 from bookworm-backports, extracted once into
# /var/cache/mtastsd-tests (never installed); postfix_310.py does the
# same when the cache is missing.
"$(dirname "$0")/e2e/postfix-backports.sh" >/dev/null
