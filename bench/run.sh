#!/bin/sh
# hota benchmark: throughput vs the mbedTLS ceiling and curl, tail latency, peak heap,
# instructions per MiB by layer, waste. Prints tables; --csv FILE / --json FILE save them.
# Usage: sh bench/run.sh [--quick] [--csv FILE] [--json FILE] [--only SECTIONS] [--keep]
# Installs missing Debian packages (curl, valgrind, nginx-light...), builds an optimised tree
# in build-bench (HOTA_BENCH_BUILD overrides) with -DHOTA_BENCH=ON, then runs bench/bench.py.
# HOTA_BENCH_TLS=openssl measures hota built on the OpenSSL TLS backend (build-bench-openssl);
# the ceiling stays the bare mbedTLS client.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" curl valgrind
tls="${HOTA_BENCH_TLS:-mbedtls}"
suffix=""
[ "$tls" = mbedtls ] || suffix="-$tls"
build="${HOTA_BENCH_BUILD:-$top/build-bench$suffix}"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTA_BENCH=ON \
    -DHOTA_TLS_BACKEND="$tls" >/dev/null
cmake --build "$build" -j"$(nproc)" --target hota_cli hota_bench_ceiling hota_bench_fetch \
    hota_bench_hook >/dev/null
exec python3 "$top/bench/bench.py" --build "$build" "$@"
