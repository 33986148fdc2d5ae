#!/usr/bin/env bash
# Builds the libFuzzer targets into tests/fuzz/out/ with ASan + UBSan:
#   out/fuzz_packet_dred   one Opus packet -> framing, extensions, DRED, features
#   out/fuzz_blob          one weight blob -> parse, bind, decode a fixed packet
#
# Environment:
#   CC                    compiler with libFuzzer (default: clang-14, else clang)
#   EXTRA_CFLAGS          appended to the compile flags
#   FUZZ_OUT              output folder (default: tests/fuzz/out)
#   DREDFAST_FUZZ_EXCLUDE space-separated csrc-relative .c files to leave out
#                         (e.g. while two implementations of one API coexist)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${FUZZ_OUT:-$HERE/out}"
BLOB="$ROOT/weights/opus-1.6.1.bin"

if [[ -z "${CC:-}" ]]; then
    if command -v clang-14 >/dev/null 2>&1; then CC=clang-14; else CC=clang; fi
fi

SAN=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
# Same numerics flags as setup.py (no FP contraction: bit-exact paths).
CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -fno-strict-aliasing -ffp-contract=off
        -Wall -Wextra -Wno-unused-parameter -I"$ROOT/csrc")
# shellcheck disable=SC2206
CFLAGS+=(${EXTRA_CFLAGS:-})

# Library sources: every csrc/**/*.c except standalone tests and fuzzers
# (the rule setup.py uses).
mapfile -t ALL < <(cd "$ROOT/csrc" && find . -name '*.c' ! -name 'test_*' ! -name 'fuzz_*' | sed 's|^\./||' | sort)
SRCS=()
for s in "${ALL[@]}"; do
    skip=0
    for x in ${DREDFAST_FUZZ_EXCLUDE:-}; do [[ "$s" == "$x" ]] && skip=1; done
    [[ $skip == 1 ]] && echo "build.sh: leaving out csrc/$s" >&2 || SRCS+=("$s")
done

mkdir -p "$OUT/obj"
OUT="$(cd "$OUT" && pwd)"
OBJS=()
for s in "${SRCS[@]}"; do
    o="$OUT/obj/${s//\//_}.o"
    "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
        -c "$ROOT/csrc/$s" -o "$o"
    OBJS+=("$o")
done

# Two files defining the same function would make the link fail with a
# less helpful message; name them.
dups="$(for o in "${OBJS[@]}"; do nm --defined-only -g "$o" | awk -v f="$(basename "$o")" '$2 ~ /^[TDBR]$/ {print $3, f}'; done |
        sort | awk '{n[$1]++; f[$1]=f[$1] " " $2} END {for (s in n) if (n[s] > 1) print "  " s ":" f[s]}')"
if [[ -n "$dups" ]]; then
    echo "build.sh: functions defined in more than one csrc file:" >&2
    echo "$dups" >&2
    echo "build.sh: set DREDFAST_FUZZ_EXCLUDE to the files to leave out (paths relative to csrc/)" >&2
    exit 2
fi

for t in fuzz_packet_dred fuzz_blob; do
    "$CC" "${CFLAGS[@]}" "${SAN[@]}" -DDREDFAST_DEFAULT_BLOB="\"$BLOB\"" \
        "$HERE/$t.c" "${OBJS[@]}" -lm -o "$OUT/$t"
    echo "built $OUT/$t"
done
