#!/usr/bin/env bash
# Builds the C test drivers with the whole C core and runs them.
#
# Native (default):
#   0. test_kernel_paths (every kernel of every path vs scalar, bit for bit)
#      with ASan + UBSan;
#   1. test_c_api with ASan + UBSan + LeakSanitizer (leaks are errors), best ISA;
#   2. with VALGRIND=1: also valgrind memcheck (leak check full, errors fail)
#      on a plain -O1 -g build, AVX2 path (valgrind cannot run AVX-512).
# --arch aarch64: cross-compiles for AArch64 (Debian's gcc-aarch64-linux-gnu,
#   static, -O2 like setup.py) and runs under qemu-aarch64 (qemu-user):
#   0. test_kernel_paths: every NEON / SDOT kernel vs scalar, bit for bit,
#      saturating, infinite, NaN and -0 inputs included (under a second);
#   1. test_conformance against the reference vectors (../shared, or
#      $DREDFAST_SHARED) on a subset of the heavy clips: en_f_allison_01 (all
#      four variants, v96 included) on the SDOT path and en_f_alsa_01 on the
#      plain NEON path -- analysis, FARGAN, DRED features and the deep PLC
#      replay, each bit-exact; AARCH64_CLIPS="clip ..." runs those clips on
#      both paths instead;
#   2. test_c_api, scalar vs plain NEON (the parts the vectors do not cover:
#      LPCNet, the DRED encoder, blob rejection).
#   The runs go two at a time (CI has 2 cores); about 2 minutes in all.
#   Installs the cross compiler and qemu with apt-get if missing.
#   QEMU_CPU picks the emulated CPU (default max, which has SDOT; the SDOT
#   run is skipped with a note if the CPU lacks it, e.g. cortex-a53).
# Usage: tests/c/run.sh            (CI: steps 0 and 1)
#        VALGRIND=1 tests/c/run.sh
#        tests/c/run.sh --arch aarch64
# CC: compiler (default gcc).  Build output in tests/c/out/ (git-ignored).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$HERE/out"
CC="${CC:-gcc}"
ARCH=native
if [[ "${1:-}" == "--arch" ]]; then
    ARCH="${2:?--arch needs a value}"
fi
mkdir -p "$OUT"
# Library sources: every csrc/**/*.c except standalone tests and fuzzers (setup.py's rule).
mapfile -t SRCS < <(find "$ROOT/csrc" -name '*.c' ! -name 'test_*' ! -name 'fuzz_*' | sort)
# Same numerics flags as setup.py.
FLAGS=(-std=c11 -fno-strict-aliasing -ffp-contract=off -Wall -Wextra -Wno-unused-parameter -I"$ROOT/csrc")

if [[ "$ARCH" == aarch64 ]]; then
    if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null
    fi
    SHARED="${DREDFAST_SHARED:-$ROOT/../shared}"
    [[ -f "$SHARED/vectors/README.md" ]] || { echo "run.sh --arch aarch64: needs the reference vectors at $SHARED" >&2; exit 1; }
    XCC=aarch64-linux-gnu-gcc
    # Static, so qemu needs no AArch64 sysroot at run time.
    "$XCC" "${FLAGS[@]}" -O2 -static "$HERE/test_conformance.c" "${SRCS[@]}" -lm -o "$OUT/test_conformance_aarch64"
    "$XCC" "${FLAGS[@]}" -O2 -static "$HERE/test_c_api.c" "${SRCS[@]}" -lm -o "$OUT/test_c_api_aarch64"
    "$XCC" "${FLAGS[@]}" -O2 -static "$HERE/test_kernel_paths.c" "${SRCS[@]}" -lm -o "$OUT/test_kernel_paths_aarch64"
    export QEMU_CPU="${QEMU_CPU:-max}"
    if [[ -n "${AARCH64_CLIPS:-}" ]]; then
        read -r -a DOT_CLIPS <<<"$AARCH64_CLIPS"
        NEON_CLIPS=("${DOT_CLIPS[@]}")
    else
        DOT_CLIPS=(en_f_allison_01)
        NEON_CLIPS=(en_f_alsa_01)
    fi
    python3 "$HERE/extract_vectors.py" "$SHARED" "$OUT/vectors" "${DOT_CLIPS[@]}" "${NEON_CLIPS[@]}"
    QEMU=(qemu-aarch64)
    echo "=== aarch64 under $(qemu-aarch64 --version | head -1), -cpu $QEMU_CPU"
    echo "--- test_kernel_paths"
    "${QEMU[@]}" "$OUT/test_kernel_paths_aarch64"
    run() { # name, command...: output to a log, printed when done
        local name=$1
        shift
        if "$@" >"$OUT/$name.log" 2>&1; then echo "--- $name: passed"; else echo "--- $name: FAILED"; fi
        cat "$OUT/$name.log"
    }
    # The emulated CPU may lack SDOT (e.g. QEMU_CPU=cortex-a53): then that path cannot run here.
    DOT=neon_dotprod
    if ! "${QEMU[@]}" "$OUT/test_conformance_aarch64" --supported neon_dotprod; then
        echo "(-cpu $QEMU_CPU has no SDOT: its clips run on the plain NEON path)"
        DOT=neon
    fi
    run conformance_a_$DOT "${QEMU[@]}" "$OUT/test_conformance_aarch64" "$ROOT" "$SHARED" "$OUT/vectors" "$DOT" "${DOT_CLIPS[@]}" &
    P1=$!
    run conformance_b_neon "${QEMU[@]}" "$OUT/test_conformance_aarch64" "$ROOT" "$SHARED" "$OUT/vectors" neon "${NEON_CLIPS[@]}" &
    P2=$!
    wait $P1 || true
    run test_c_api_neon "${QEMU[@]}" "$OUT/test_c_api_aarch64" "$ROOT" neon &
    P3=$!
    wait $P2 $P3 || true
    # Each log ends with the driver's verdict; any failure fails the run.
    fail=0
    for log in "$OUT/conformance_a_$DOT.log" "$OUT/conformance_b_neon.log" "$OUT/test_c_api_neon.log"; do
        tail -1 "$log" | grep -qE '^(conformance: all exact|all passed)$' || { echo "FAILED: $log" >&2; fail=1; }
    done
    [[ $fail == 0 ]] && echo "=== aarch64: all passed"
    exit $fail
fi

"$CC" "${FLAGS[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    "$HERE/test_kernel_paths.c" "${SRCS[@]}" -lm -o "$OUT/test_kernel_paths_asan"
echo "=== test_kernel_paths: ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/test_kernel_paths_asan"
"$CC" "${FLAGS[@]}" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    "$HERE/test_c_api.c" "${SRCS[@]}" -lm -o "$OUT/test_c_api_asan"
echo "=== test_c_api: ASan + UBSan + LeakSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/test_c_api_asan" "$ROOT"

if [[ "${VALGRIND:-0}" == 1 ]]; then
    "$CC" "${FLAGS[@]}" -O1 -g -fno-omit-frame-pointer "$HERE/test_c_api.c" "${SRCS[@]}" -lm -o "$OUT/test_c_api"
    echo "=== test_c_api: valgrind memcheck, AVX2 path"
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 --quiet "$OUT/test_c_api" "$ROOT" avx2
fi
