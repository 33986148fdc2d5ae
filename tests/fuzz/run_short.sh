#!/usr/bin/env bash
# Short fuzzing session (CI's sanitizer job): builds the three libFuzzer
# targets, writes the seed corpora, then runs each target for SECONDS seconds.
#
#   tests/fuzz/run_short.sh SECONDS      (CI: 35 -> about 2 minutes in total)
#
# Exits non-zero if a target finds anything (crash, sanitizer report, failed
# invariant, timeout, OOM) or if the build fails.  Reproducers are written to
# tests/fuzz/crash-<target>-*; new coverage-increasing inputs to
# tests/fuzz/out/work-<target>/ (the seed folders are left as they are).
#
# Environment: FUZZ_NO_BUILD=1 skips build.sh; other variables of build.sh
# (CC, DREDFAST_FUZZ_EXCLUDE, ...) are passed through.
set -euo pipefail

SECONDS_PER_TARGET="${1:?usage: run_short.sh SECONDS}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/out"
PY="${PYTHON:-python3}"

if [[ "${FUZZ_NO_BUILD:-0}" != 1 ]]; then
    "$HERE/build.sh"
fi
"$PY" "$HERE/make_corpus.py"

status=0
run() {
    local target="$1" seeds="$2"
    shift 2
    local work="$OUT/work-$target"
    mkdir -p "$work"
    echo "=== $target: ${SECONDS_PER_TARGET}s"
    set +e
    "$OUT/$target" "$work" "$seeds" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$HERE/crash-$target-" "$@" 2>&1 |
        tee "$OUT/$target.log" |
        grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|invariant failed|ISA mismatch|Test unit written|stat::'
    local rc="${PIPESTATUS[0]}"
    set -e
    if [[ "$rc" != 0 ]] || grep -qE 'Test unit written|^==[0-9]+==ERROR' "$OUT/$target.log"; then
        echo "!!! $target: finding, see $OUT/$target.log and $HERE/crash-$target-*" >&2
        status=1
    fi
}

run fuzz_packet_dred "$HERE/corpus-packet" -max_len=2048
run fuzz_blob "$HERE/corpus-blob" -max_len=400000
run fuzz_plc "$HERE/corpus-plc" -max_len=16384

exit $status
