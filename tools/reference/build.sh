#!/usr/bin/env bash
# Builds another libopus release as a reference beside ../shared/tools/reference/build.sh's
# 1.6.1: same configuration (float, --enable-dred --enable-deep-plc --disable-osce, run-time
# CPU dispatch), Debian's source package of the release, and the same bench.c compiled
# against it.  Used for libopus 1.5.2, whose DRED is version 10:
#
#     tools/reference/build.sh             # OPUS_VERSION=1.5.2 (Debian trixie, 1.5.2-2)
#     OPUS_VERSION=1.6.1 DEBIAN_REV=1 SUITE=sid tools/reference/build.sh
#
# Output in the shared reference cache (DREDFAST_REFERENCE): opus-$VERSION/ and
# bench-$VERSION; prints the bench path last.  Nothing of it goes into the project.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${DREDFAST_SHARED:-$HERE/../../../shared}
OUT=${DREDFAST_REFERENCE:-${XDG_CACHE_HOME:-$HOME/.cache}/dredfast-reference}
VERSION=${OPUS_VERSION:-1.5.2}
REV=${DEBIAN_REV:-2}
SUITE=${SUITE:-trixie}
BENCH_C=${BENCH_C:-$SHARED/tools/reference/bench.c}
mkdir -p "$OUT"
cd "$OUT"
if [ ! -f "opus-$VERSION/.libs/libopus.a" ]; then
  if [ ! -d "opus-$VERSION" ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || { echo "no Debian archive found in the apt sources" >&2; exit 1; }
    L="apt-$SUITE"
    mkdir -p "$L/lists/partial"
    echo "deb-src $uri $SUITE main" >"$L/sources.list"
    A=(-o "Dir::Etc::SourceList=$OUT/$L/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$OUT/$L/lists")
    apt-get "${A[@]}" -qq update
    apt-get "${A[@]}" -qq source --download-only "opus=$VERSION-$REV" >/dev/null
    tar xf opus_"$VERSION".orig.tar.*
  fi
  (cd "opus-$VERSION" && ./configure -q --enable-dred --enable-deep-plc --disable-osce && make -s -j2) >"build-$VERSION.log" 2>&1 \
    || { tail -20 "build-$VERSION.log" >&2; exit 1; }
fi
if [ ! -x "bench-$VERSION" ] || [ "$BENCH_C" -nt "bench-$VERSION" ]; then
  O="opus-$VERSION"
  gcc -O2 -DHAVE_CONFIG_H -I"$O" -I"$O/include" -I"$O/dnn" -I"$O/celt" -I"$O/silk" -I"$O/silk/float" \
      -o "bench-$VERSION" "$BENCH_C" "$O/.libs/libopus.a" -lm
fi
echo "$OUT/bench-$VERSION"
