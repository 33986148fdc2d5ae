#!/usr/bin/env bash
# Builds tests/c/test_c_api.c with the whole C core and runs it:
#   1. ASan + UBSan + LeakSanitizer (leaks are errors), best ISA;
#   2. with VALGRIND=1: also valgrind memcheck (leak check full, errors fail)
#      on a plain -O1 -g build, AVX2 path (valgrind cannot run AVX-512).
# Usage: tests/c/run.sh            (CI: step 1 only)
#        VALGRIND=1 tests/c/run.sh
# CC: compiler (default gcc).  Build output in tests/c/out/ (git-ignored).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$HERE/out"
CC="${CC:-gcc}"
mkdir -p "$OUT"
# Library sources: every csrc/**/*.c except standalone tests and fuzzers (setup.py's rule).
mapfile -t SRCS < <(find "$ROOT/csrc" -name '*.c' ! -name 'test_*' ! -name 'fuzz_*' | sort)
# Same numerics flags as setup.py.
FLAGS=(-std=c11 -O1 -g -fno-omit-frame-pointer -fno-strict-aliasing -ffp-contract=off -Wall -Wextra
       -Wno-unused-parameter -I"$ROOT/csrc")

"$CC" "${FLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    "$HERE/test_c_api.c" "${SRCS[@]}" -lm -o "$OUT/test_c_api_asan"
echo "=== test_c_api: ASan + UBSan + LeakSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$OUT/test_c_api_asan" "$ROOT"

if [[ "${VALGRIND:-0}" == 1 ]]; then
    "$CC" "${FLAGS[@]}" "$HERE/test_c_api.c" "${SRCS[@]}" -lm -o "$OUT/test_c_api"
    echo "=== test_c_api: valgrind memcheck, AVX2 path"
    valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 --quiet "$OUT/test_c_api" "$ROOT" avx2
fi
