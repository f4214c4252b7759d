#!/bin/sh
# Builds hota and runs its demo: a whole HTTPS OTA against a local server it starts itself.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
build="${HOTA_BUILD_DIR:-$top/build}"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target hota_cli >/dev/null
exec "$build/hota" demo "$@"
