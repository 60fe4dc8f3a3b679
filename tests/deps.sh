#!/bin/sh
# tests/deps.sh: install the Debian 12 packages needed to build mtastsd
# and run its whole test suite.  Run as root; safe to run again.
set -e
PKGS_BUILD="autoconf automake libtool pkg-config make gcc clang
	libc-ares-dev libcurl4-openssl-dev libssl-dev liblmdb-dev
	libcjson-dev libevent-dev libidn2-dev"
PKGS_RUN="gpgv ca-certificates"
# Test peers: real DNS and HTTPS servers, run inside a network namespace.
PKGS_TEST="python3 python3-cryptography iproute2 openssl unbound nginx-light
	bind9-dnsutils curl gnupg"
if [ "$(id -u)" -ne 0 ]; then
	echo "tests/deps.sh: run as root (apt-get install)" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PKGS_BUILD $PKGS_RUN $PKGS_TEST
