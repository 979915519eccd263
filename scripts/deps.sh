#!/bin/sh
# Install, from Debian's archive, what lguest needs to build and test.
# Idempotent: installs only what is missing.  Needs root (or sudo).
set -e
need=""
for p in make gcc libc6-dev clang python3 util-linux liburing-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "lguest: installing from Debian:$need"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
