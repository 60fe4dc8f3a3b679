#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
# tests/deps.sh [--bench]: install the Debian 12 packages needed to
# build mtastsd and run its whole test suite; --bench adds Debian's
# postfix-mta-sts-resolver, which only bench/bench.py runs (side by side
# with mtastsd, inside its test world), and valgrind for
# bench/callgrind.py.  Run as root; safe to run again.
#
# Safe on a real mail server: the test peers (nginx, unbound, Postfix,
# Prometheus, the resolver) run only inside the test worlds, so
# installing them must not start or enable them here, where they would
# take ports (the resolver takes 127.0.0.1:8461, the port
# docs/postfix.md gives mtastsd; Prometheus :9090).  While apt runs, /usr/sbin/policy-rc.d answers 101 ("action
# forbidden"), which invoke-rc.d and deb-systemd-invoke obey, so no
# maintainer script starts a service; afterwards the units that the
# packages installed by this run enabled are disabled again.  Packages
# and services that were there before are left as they were.
set -e
PKGS_BUILD="autoconf automake libtool pkg-config make gcc clang
	libc-ares-dev libcurl4-openssl-dev libssl-dev liblmdb-dev
	libcjson-dev libevent-dev libidn2-dev"
PKGS_RUN="gpgv ca-certificates"
# Test peers: real DNS and HTTPS servers, run inside a network namespace.
PKGS_TEST="python3 python3-cryptography python3-jsonschema iproute2 openssl
	unbound nginx-light bind9-dnsutils curl gnupg ldnsutils"
# The benchmark's peer (--bench only; tests/integ/bench_smoke.py runs it
# when it is installed, and skips that row otherwise).
PKGS_BENCH="postfix-mta-sts-resolver python3-uvloop valgrind"
# End-to-end mail (tests/e2e/postfix_*.py): Postfix 3.7 as the sender,
# aiosmtpd receivers; nsenter and flock come with util-linux.
PKGS_E2E="postfix python3-aiosmtpd util-linux debootstrap"
# The Debian package (tests/pkg/): built with debhelper, checked with
# lintian, installed into a debootstrap'ed root booted by systemd-nspawn.
PKGS_PKG="debhelper lintian fakeroot dpkg-dev systemd-container"
# The metrics tests (tests/integ/metrics.py, tests/cli/prometheus.py):
# Prometheus scrapes the daemon inside the test world; promtool checks
# the endpoint's output and contrib/prometheus.
PKGS_METRICS="prometheus"
bench=""
case "${1:-}" in
--bench)	bench=$PKGS_BENCH ;;
"")		;;
*)		echo "usage: tests/deps.sh [--bench]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "tests/deps.sh: run as root (apt-get install)" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive

state=$(mktemp -d)
policy=/usr/sbin/policy-rc.d
# Undo the guard whatever happens; an administrator's own policy-rc.d
# is put back as it was.
cleanup() {
	if [ -e "$state/policy-rc.d" ]; then
		mv -f "$state/policy-rc.d" "$policy"
	elif [ -e "$state/ours" ]; then
		rm -f "$policy"
	fi
	rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if [ -e "$policy" ]; then
	cp -p "$policy" "$state/policy-rc.d"
fi
printf '#!/bin/sh\n# tests/deps.sh: no service starts while it installs.\nexit 101\n' \
	>"$policy"
chmod 755 "$policy"
: >"$state/ours"
# What was installed and enabled before.
dpkg-query -W -f '${Package} ${db:Status-Status}\n' 2>/dev/null |
	awk '$2 == "installed" { print $1 }' | sort >"$state/before"
find /etc/systemd/system -type l 2>/dev/null | sort >"$state/links-before"

# Postfix unconfigured: no /etc/postfix/main.cf, so the package starts no
# Postfix of its own; the tests run private instances.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PKGS_BUILD $PKGS_RUN \
	$PKGS_TEST $PKGS_E2E $PKGS_PKG $PKGS_METRICS $bench

# Disable what the new packages enabled: every new link in
# /etc/systemd/system that points at a unit one of them ships.
dpkg-query -W -f '${Package} ${db:Status-Status}\n' 2>/dev/null |
	awk '$2 == "installed" { print $1 }' | sort >"$state/after"
find /etc/systemd/system -type l 2>/dev/null | sort >"$state/links-after"
comm -13 "$state/before" "$state/after" | while read -r pkg; do
	dpkg -L "$pkg" 2>/dev/null |
		grep -E '^(/usr)?/lib/systemd/system/[^/]+\.(service|socket|timer|path)$' |
		sed 's|.*/||'
done | sort -u >"$state/new-units"
comm -13 "$state/links-before" "$state/links-after" | while read -r link; do
	unit=$(basename "$link")
	if grep -qxF "$unit" "$state/new-units"; then
		echo "tests/deps.sh: disabling $unit (installed for the tests only)"
		systemctl disable --no-reload "$unit" >/dev/null 2>&1 ||
			rm -f "$link"
	fi
done
# Postfix 3.10 from bookworm-backports, extracted once into
# /var/cache/mtastsd-tests (never installed); postfix_310.py does the
# same when the cache is missing.
"$(dirname "$0")/e2e/postfix-backports.sh" >/dev/null
