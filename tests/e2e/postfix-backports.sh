#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The mtastsd authors; see LICENSE.
# postfix-backports.sh: Postfix (3.10 or later) from Debian's
# bookworm-backports, extracted, never installed, for
# tests/e2e/postfix_310.py.
#
#   postfix-backports.sh [CACHE_DIR]      prints the extracted root
#
# CACHE_DIR defaults to $MTASTS_TEST_CACHE (as for tests/e2e/trixie_lib.py),
# else /var/cache/mtastsd-tests.
# The package is unpacked into CACHE_DIR/postfix-bpo/<version>/ and
# marked READY; later runs (CI's second pass included) reuse any READY
# tree without asking apt.  It is downloaded through a private apt
# configuration (lists and archives in a temporary directory) for the
# mirror this machine already uses, so the machine's own apt state and
# packages are never changed.  The package's dependencies are bookworm
# libraries, which the machine's Postfix 3.7 already pulled in; the test
# runs the binaries in a private mount namespace (tests/e2e/postfix_lib.py).
#
# Needs root, apt-get, dpkg-deb, flock.  Exit status 0, or 1 with the
# reason on stderr.
set -eu

base=${1:-${MTASTS_TEST_CACHE:-/var/cache/mtastsd-tests}}/postfix-bpo
mkdir -p "$base"
exec 9>"$base/.lock"
flock 9

for d in "$base"/*/; do
	if [ -f "$d/READY" ]; then
		echo "${d%/}"
		exit 0
	fi
done

# The Debian mirror of this machine's bookworm entries.
mirror=$(apt-cache policy | awk '$3 ~ /^bookworm\/main/ && $2 ~ /^https?:/ {
	print $2; exit }')
if [ -z "$mirror" ]; then
	echo "postfix-backports.sh: no bookworm mirror in apt's sources" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/sources"
cat >"$tmp/sources/backports.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
set -- -o Dir::Etc::SourceList=/dev/null \
	-o Dir::Etc::SourceParts="$tmp/sources" \
	-o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache" \
	-o APT::Sandbox::User=root -o Debug::NoLocking=1
apt-get "$@" -q update >&2
version=$(apt-cache "$@" policy postfix | awk '/Candidate:/ { print $2 }')
case $version in
3.1[0-9]*|3.[2-9][0-9]*|[4-9].*) ;;
*)
	echo "postfix-backports.sh: no Postfix 3.10 or later in" \
	    "bookworm-backports (candidate: ${version:-none})" >&2
	exit 1
	;;
esac
(cd "$tmp" && apt-get "$@" -q download "postfix=$version" >&2)

dest=$base/$version
rm -rf "$dest"
mkdir -p "$dest"
dpkg-deb -x "$tmp"/postfix_*.deb "$dest"
# What the package's postinst would do, as far as a test needs it.
printf '# dict-type\tso-name (pathname)\tdict-function\tmkmap-function\n' \
	>"$dest/etc/postfix/dynamicmaps.cf"
if getent group postdrop >/dev/null; then
	chgrp postdrop "$dest/usr/sbin/postdrop" "$dest/usr/sbin/postqueue"
	chmod 2755 "$dest/usr/sbin/postdrop" "$dest/usr/sbin/postqueue"
fi
touch "$dest/READY"
echo "$dest"
