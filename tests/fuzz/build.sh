#!/usr/bin/env bash
# Builds the libFuzzer targets into tests/fuzz/out/ with ASan + UBSan:
#   out/fuzz_packet_dred   one Opus packet -> framing, extensions, DRED, features
#   out/fuzz_blob          one weight blob -> parse, bind, decode a fixed packet
#   out/fuzz_plc           a sequence of deep-PLC calls (the receiver's concealment)
#
# Environment:
#   CC                    compiler with libFuzzer (default: clang-14, else clang)
#   EXTRA_CFLAGS          appended to the compile flags
#   FUZZ_OUT              output folder (default: tests/fuzz/out)
#   DREDFAST_FUZZ_EXCLUDE space-separated csrc-relative .c files to leave out
#                         (e.g. while two implementations of one API coexist)
#   FUZZ_FULL_SANITIZE=1  also instrument the NN kernels of fuzz_packet_dred
#                         and fuzz_plc (see below; ~15x / ~3x slower)
#
# Instrumentation: every file is built with ASan + UBSan + libFuzzer coverage,
# with one exception: in fuzz_packet_dred, nnet/kernels_scalar.c is built at
# -O2 with coverage but without ASan/UBSan.  That target always uses the
# packaged (validated) blob, so what the kernels read and write depends only
# on the fixed layer shapes, never on the packet; instrumented, the scalar
# RDO-VAE run costs ~20 ms per DRED packet and would cap the target at ~40
# executions/s.  Its results are still checked (finite, bit-identical to the
# AVX2/AVX-512 paths), and fuzz_blob runs the same kernels fully instrumented
# on hostile layer shapes and sparse indices.  fuzz_plc (same packaged blob,
# same reasoning) takes every kernel file (nnet/kernels_*.c, conv2d_*.c)
# uninstrumented: its time goes into the PLC network, pitch DNN and FARGAN,
# and instrumented kernels cost it ~40% of its executions.
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
rm -f "$OUT"/obj/*.o
OBJS=()          # fully instrumented objects (fuzz_blob)
PACKET_OBJS=()   # the same, except the scalar kernels (fuzz_packet_dred)
PLC_OBJS=()      # the same, except every kernel file (fuzz_plc)
fast() {         # compiles $1 without ASan/UBSan (coverage only) -> prints the object
    local o="$OUT/obj/${1//\//_}.fast.o"
    "$CC" "${CFLAGS[@]}" -O2 -fsanitize=fuzzer-no-link -c "$ROOT/csrc/$1" -o "$o"
    echo "$o"
}
for s in "${SRCS[@]}"; do
    o="$OUT/obj/${s//\//_}.o"
    "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
        -c "$ROOT/csrc/$s" -o "$o"
    OBJS+=("$o")
    if [[ "${FUZZ_FULL_SANITIZE:-0}" == 1 ]]; then
        PACKET_OBJS+=("$o"); PLC_OBJS+=("$o")
    elif [[ "$s" == nnet/kernels_scalar.c ]]; then
        o="$(fast "$s")"; PACKET_OBJS+=("$o"); PLC_OBJS+=("$o")
    elif [[ "$s" == nnet/kernels_*.c || "$s" == nnet/conv2d_*.c ]]; then
        PACKET_OBJS+=("$o"); PLC_OBJS+=("$(fast "$s")")
    else
        PACKET_OBJS+=("$o"); PLC_OBJS+=("$o")
    fi
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

DEF=(-DDREDFAST_DEFAULT_BLOB="\"$BLOB\"" -DDREDFAST_DEFAULT_BLOB10="\"$ROOT/weights/opus-1.5.2-dred.bin\"")
"$CC" "${CFLAGS[@]}" "${SAN[@]}" "${DEF[@]}" "$HERE/fuzz_packet_dred.c" "${PACKET_OBJS[@]}" -lm \
    -o "$OUT/fuzz_packet_dred"
echo "built $OUT/fuzz_packet_dred"
"$CC" "${CFLAGS[@]}" "${SAN[@]}" "${DEF[@]}" "$HERE/fuzz_blob.c" "${OBJS[@]}" -lm -o "$OUT/fuzz_blob"
echo "built $OUT/fuzz_blob"
"$CC" "${CFLAGS[@]}" "${SAN[@]}" "${DEF[@]}" "$HERE/fuzz_plc.c" "${PLC_OBJS[@]}" -lm -o "$OUT/fuzz_plc"
echo "built $OUT/fuzz_plc"

