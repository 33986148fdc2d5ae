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
# Resource limits (issue 12: work or memory out of proportion to the input is
# a finding like a crash).  Units take milliseconds, except the largest
# regression seeds: walking the extensions of the 99 kB repeat bomb costs about
# 0.1 s uninstrumented but 3-9 s under the coverage + ASan build on a loaded
# 2-core runner (seen in CI: a 5 s limit fired on it), and one allocation of
# the C core is at most a few copies of a 400 kB input, so:
#   -timeout=20           one input running 20 s is a hang (finding 1: a zero
#                         p0 table spun forever; finding 5: the quadratic
#                         duplicate check took > 40 s on 100 k records
#                         uninstrumented, far more under the instrumentation);
#   -malloc_limit_mb=256  one allocation beyond 256 MB is amplification;
#   -rss_limit_mb=1024    the whole process (libFuzzer keeps its corpus in
#                         memory and ASan its quarantine: ~400 MB after 35 s
#                         of fuzz_blob) beyond 1 GB is a leak or amplification.
# FUZZ_TIMEOUT / FUZZ_RSS_MB / FUZZ_MALLOC_MB override them (e.g. under valgrind).
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

LIMITS=(-timeout="${FUZZ_TIMEOUT:-20}" -rss_limit_mb="${FUZZ_RSS_MB:-1024}" -malloc_limit_mb="${FUZZ_MALLOC_MB:-256}")
status=0

# Issue 12's resource findings first, replayed as they are (libFuzzer runs
# files given by name whole, whatever -max_len): each must pass the limits.
replay() {
    local target="$1" dir="$2"
    echo "=== $target: replaying $(basename "$dir")"
    set +e
    "$OUT/$target" "${LIMITS[@]}" -artifact_prefix="$HERE/crash-$target-" "$dir"/* > "$OUT/$target.replay.log" 2>&1
    local rc=$?
    set -e
    grep -E '^Running:|^Executed|ERROR|SUMMARY' "$OUT/$target.replay.log"
    if [[ "$rc" != 0 ]]; then
        echo "!!! $target: a regression seed hit a limit or crashed, see $OUT/$target.replay.log" >&2
        status=1
    fi
}
replay fuzz_blob "$HERE/regress-blob"
replay fuzz_packet_dred "$HERE/regress-packet"

run() {
    local target="$1" seeds="$2"
    shift 2
    local work="$OUT/work-$target"
    mkdir -p "$work"
    echo "=== $target: ${SECONDS_PER_TARGET}s"
    set +e
    "$OUT/$target" "$work" "$seeds" \
        -max_total_time="$SECONDS_PER_TARGET" "${LIMITS[@]}" \
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
