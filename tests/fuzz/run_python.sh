#!/usr/bin/env bash
# Atheris session on the Python API with C-level coverage and ASan + UBSan
# inside the extension:
#   1. builds dredfast from a copy of this tree with clang-14 and
#      -fsanitize=address,undefined,fuzzer-no-link into out/py-inst/ (once;
#      FUZZ_REBUILD=1 forces a rebuild);
#   2. runs fuzz_python.py (or fuzz_receiver.py) on it with atheris's ASan
#      runtime preloaded.
#
#   tests/fuzz/run_python.sh [receiver] [libFuzzer flags...]   e.g. -max_total_time=1200
#
# Without the instrumented build atheris only sees the Python lines of the
# thin dredfast layer (~60 edges); with it, ~1300 edges of the C core.
# Two UBSan checks are left out because atheris's runtime (built by a newer
# LLVM) lacks clang-14's handlers for them: -fsanitize=function (C++ only,
# calls through mismatched function-pointer types) and vptr (C++ dynamic
# types); the C core is covered by every other UBSan check.
# Resource limits (issue 12): -timeout=5 (a unit takes milliseconds; the old
# packet_info spent 2 s on a 60 kB repeat bomb and ~13 s on the 400 kB ones
# max_len allows), -rss_limit_mb=1536 (the ASan-instrumented interpreter with
# dredfast loaded sits at a few hundred MB; the old repeat bomb needed 5.5 GB per
# MB of packet), -malloc_limit_mb=512 (add_dred once allocated max_bytes, up to
# 2 GB, up front).  FUZZ_TIMEOUT / FUZZ_RSS_MB / FUZZ_MALLOC_MB override them.
# Findings go to tests/fuzz/crash-py-* (crash-rx-*), the log to
# out/fuzz_python.log (out/fuzz_receiver.log).
# Needs: clang-14, atheris (pip install atheris), the seed corpora
# (make_corpus.py, run here if missing).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$HERE/out"
PY="${PYTHON:-python3}"
INST="$OUT/py-inst"
FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize=function,vptr -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

if [[ ! -d "$INST/dredfast" || "${FUZZ_REBUILD:-0}" == 1 ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # A clean copy of the tracked files (no stale build/ objects).
    git -C "$ROOT" ls-files -z | (cd "$ROOT" && xargs -0 cp --parents -t "$tmp" 2>/dev/null) || true
    CC=clang-14 CXX=clang++-14 LDSHARED="clang-14 -shared" LDCXXSHARED="clang++-14 -shared" \
        CFLAGS="$FLAGS" CXXFLAGS="$FLAGS" "$PY" -m pip wheel "$tmp" --no-deps -q -w "$tmp/wheel"
    rm -rf "$INST" && mkdir -p "$INST"
    "$PY" -m zipfile -e "$tmp"/wheel/dredfast-*.whl "$INST"
fi
[[ -d "$HERE/corpus-packet" && -d "$HERE/corpus-blob" && -d "$HERE/corpus-receiver" ]] || "$PY" "$HERE/make_corpus.py"
if [[ "${1:-}" == receiver ]]; then
    shift
    TARGET=fuzz_receiver WORK="$OUT/work-rx" PREFIX="$HERE/crash-rx-" SEEDS=("$HERE/corpus-receiver") MAXLEN=65536
else
    TARGET=fuzz_python WORK="$OUT/work-py" PREFIX="$HERE/crash-py-" SEEDS=("$HERE/corpus-packet" "$HERE/corpus-blob") MAXLEN=400000
fi
mkdir -p "$WORK"
ATHERIS="$("$PY" -c 'import atheris; print(atheris.path())')"
cd "$HERE"
PYTHONPATH="$INST" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LD_PRELOAD="$ATHERIS/asan_with_fuzzer.so" \
    "$PY" "$HERE/$TARGET.py" "$WORK" "${SEEDS[@]}" \
    -max_len="$MAXLEN" -timeout="${FUZZ_TIMEOUT:-5}" -rss_limit_mb="${FUZZ_RSS_MB:-1536}" \
    -malloc_limit_mb="${FUZZ_MALLOC_MB:-512}" -print_final_stats=1 -artifact_prefix="$PREFIX" "$@" \
    2>&1 | tee "$OUT/$TARGET.log" | grep -vE '^INFO: Instrumenting|^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)'
exit "${PIPESTATUS[0]}"
