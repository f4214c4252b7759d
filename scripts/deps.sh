#!/bin/sh
# Installs the Debian 12 packages hota needs to build and test, only those that are missing.
# Usage: scripts/deps.sh [extra-package...]   (as root, or with sudo available)
set -eu
pkgs="gcc make cmake pkg-config libmbedtls-dev node-llhttp libcmocka-dev python3 openssl
      nginx-light ca-certificates clang libclang-rt-14-dev valgrind libssl-dev $*"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
