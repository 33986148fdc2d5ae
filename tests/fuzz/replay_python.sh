#!/usr/bin/env bash
# Replays issue 12's resource findings (make_corpus.py's regress-* folders)
# and the seed corpora through the atheris target fuzz_python.py, under the
# same limits as run_python.sh, on whatever dredfast the Python in use
# imports (CI: the installed package, no instrumentation needed: the findings
# are time and memory, not memory errors).  Then fuzzes for SECONDS more.
#
#   tests/fuzz/replay_python.sh [SECONDS]      (CI: 20)
#
# Needs atheris (pip install atheris).  Exits non-zero on any finding.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/out"
PY="${PYTHON:-python3}"
SECS="${1:-0}"
LIMITS=(-timeout="${FUZZ_TIMEOUT:-5}" -rss_limit_mb="${FUZZ_RSS_MB:-1536}" -malloc_limit_mb="${FUZZ_MALLOC_MB:-512}")
mkdir -p "$OUT/work-py-short"
"$PY" "$HERE/make_corpus.py" >/dev/null
cd "$HERE"
echo "=== fuzz_python.py: replaying regress-blob, regress-packet"
"$PY" "$HERE/fuzz_python.py" "${LIMITS[@]}" -artifact_prefix="$HERE/crash-py-" \
    "$HERE"/regress-blob/* "$HERE"/regress-packet/* 2>&1 | grep -E '^Running:|^Executed|ERROR|SUMMARY|Error'
rc=${PIPESTATUS[0]}
[[ $rc == 0 ]] || { echo "!!! fuzz_python.py: a regression seed hit a limit" >&2; exit 1; }
if [[ "$SECS" -gt 0 ]]; then
    echo "=== fuzz_python.py: ${SECS}s"
    "$PY" "$HERE/fuzz_python.py" "$OUT/work-py-short" "$HERE/corpus-packet" "$HERE/corpus-blob" "${LIMITS[@]}" \
        -max_len=400000 -max_total_time="$SECS" -print_final_stats=1 -artifact_prefix="$HERE/crash-py-" 2>&1 |
        tee "$OUT/fuzz_python_short.log" | grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|stat::peak|stat::slowest'
    rc=${PIPESTATUS[0]}
    [[ $rc == 0 ]] || { echo "!!! fuzz_python.py: finding, see $OUT/fuzz_python_short.log" >&2; exit 1; }
fi
