#!/bin/sh
# Builds hota with warnings as errors and runs every test (unit, integration, real servers).
# Usage: scripts/test.sh            (from anywhere; installs missing Debian packages first)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
build="${HOTA_BUILD_DIR:-$top/build}"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTA_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
