#!/bin/sh
# Builds hota with warnings as errors and runs every test (unit, integration, real servers),
# then the hardening stages (docs/internals/hardening.md):
#   openssl   the whole suite again with the OpenSSL TLS backend (build-openssl/)
#   asan      the whole suite again, built with AddressSanitizer + UBSan (build-asan/)
#   fuzz      every libFuzzer target for HOTA_FUZZ_SECONDS (default 20) each (clang, build-fuzz/)
#   valgrind  memcheck of hota fetch / image verify / update end to end: no error, no leak
# Usage: scripts/test.sh [ctest args]   (from anywhere; installs missing Debian packages first)
#        HOTA_TEST_STAGES="main asan fuzz valgrind" selects stages (default: all of them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
build="${HOTA_BUILD_DIR:-$top/build}"
stages="${HOTA_TEST_STAGES:-main openssl asan fuzz valgrind}"
jobs="$(nproc)"

has_stage() { case " $stages " in *" $1 "*) return 0 ;; esac; return 1; }

main_stage() {
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTA_WERROR=ON >/dev/null
    cmake --build "$build" -j"$jobs"
    (cd "$build" && ctest --output-on-failure -j"$jobs" "$@")
}

# Both TLS backends must give the same results: the whole suite again with
# -DHOTA_TLS_BACKEND=openssl (docs/internals/transport.md), but for the two allocation-torture
# tests: OpenSSL refills process-wide caches after an injected failure, so "every block freed
# after each run" cannot hold there (valgrind finds nothing left at exit).
openssl_stage() {
    echo "== OpenSSL TLS backend: whole suite" >&2
    cmake -S "$top" -B "$top/build-openssl" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DHOTA_TLS_BACKEND=openssl -DHOTA_WERROR=ON >/dev/null
    cmake --build "$top/build-openssl" -j"$jobs" >/dev/null
    (cd "$top/build-openssl" && ctest --output-on-failure -j"$jobs" -E "alloc_torture" "$@")
}

# Sanitizer warnings differ from the plain build's (gcc's flow analysis changes under
# -fsanitize), so -Werror is left to the main stage.
asan_stage() {
    echo "== sanitizer build (ASan + UBSan): whole suite" >&2
    cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTA_SANITIZE=ON \
        -DHOTA_WERROR=OFF >/dev/null
    cmake --build "$top/build-asan" -j"$jobs" >/dev/null
    (cd "$top/build-asan" &&
        ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        ctest --output-on-failure -j"$jobs" "$@")
}

fuzz_stage() {
    echo "== libFuzzer targets, ${HOTA_FUZZ_SECONDS:-20} s each" >&2
    CC=clang cmake -S "$top" -B "$top/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DHOTA_FUZZ=ON -DHOTA_BUILD_TESTS=OFF -DHOTA_WERROR=OFF \
        -DHOTA_FUZZ_SECONDS="${HOTA_FUZZ_SECONDS:-20}" >/dev/null
    cmake --build "$top/build-fuzz" -j"$jobs" --target hota_fuzz_seeds fuzz_http_response \
        fuzz_image_verifier fuzz_sbv2 fuzz_partition fuzz_part_csv fuzz_boot >/dev/null
    (cd "$top/build-fuzz" && ctest --output-on-failure -L fuzz)
}

# valgrind memcheck of one hota command; any memory error or leak fails the stage (exit 120).
vg() {
    want=$1
    shift
    rc=0
    valgrind --quiet --error-exitcode=120 --leak-check=full --show-leak-kinds=all \
        --errors-for-leak-kinds=definite,indirect,possible "$build/hota" "$@" >/dev/null || rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "valgrind: hota $* exited $rc, expected $want" >&2
        return 1
    fi
    echo "valgrind: hota $1 $2: exit $rc, no memory errors, no leaks" >&2
}

valgrind_stage() {
    echo "== valgrind memcheck: fetch, image verify, update" >&2
    d=$(mktemp -d /tmp/hota-valgrind-XXXXXX)
    srv=""
    trap 'if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; fi; rm -rf "$d"' EXIT
    (
        cd "$d"
        for n in ca other; do
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                -keyout $n.key -out $n.pem -subj /CN=localhost \
                -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
        done
        "$build/hota" image create --project vg --version 1.0 -o app.bin >/dev/null
    )
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    (cd "$d" && exec openssl s_server -accept "127.0.0.1:$port" -cert ca.pem -key ca.key -WWW \
        >/dev/null 2>&1 </dev/null) &
    srv=$!
    python3 -c 'import socket,sys,time
for _ in range(100):
    try: socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.5).close(); sys.exit(0)
    except OSError: time.sleep(0.1)
sys.exit(1)' "$port"
    url="https://localhost:$port/app.bin"
    vg 0 fetch "$url" -o "$d/got.bin" --ca "$d/ca.pem" --json
    cmp "$d/got.bin" "$d/app.bin"
    vg 5 fetch "$url" -o "$d/bad.bin" --ca "$d/other.pem" --json
    vg 0 image verify "$d/got.bin" --json
    vg 8 image verify "$d/ca.pem" --json
    if "$build/hota" help 2>/dev/null | grep -q '^  update'; then
        "$build/hota" flash create "$d/flash.bin" >/dev/null
        vg 0 update "$url" --flash "$d/flash.bin" --ca "$d/ca.pem" --json
        vg 0 update "$d/app.bin" --flash "$d/flash.bin" --allow-same-version --json
    fi
    kill "$srv" 2>/dev/null || true
    wait "$srv" 2>/dev/null || true
    srv=""
}

if has_stage main; then main_stage "$@"; fi
if has_stage openssl; then openssl_stage "$@"; fi
if has_stage asan; then asan_stage "$@"; fi
if has_stage fuzz; then fuzz_stage; fi
if has_stage valgrind; then valgrind_stage; fi
