#!/usr/bin/env bash
# A binary wheel works on a machine without libopus and without a compiler:
#
#     tools/check_wheel.sh WHEEL [EXTRAS]      (as root: it needs a private mount namespace)
#
# In a private mount namespace (unshare -m) the system's libopus files are hidden (an empty
# file bind-mounted over each), a fresh venv (no system site packages) gets the wheel with
# EXTRAS (default: plot), PATH holds only that venv and the basic tools, and then, from outside
# any checkout: the system libopus really cannot be opened, `cc`/`gcc` are not found, dredfast
# reports the wheel's own libopus, and `dredfast demo --no-metrics` runs end to end.  Exits
# non-zero on any failure.  (pesq, behind the demo's scores, has no wheels on PyPI: it needs a
# compiler, so the scores are left out here; see README "Install".)
set -euo pipefail
WHEEL=$(realpath "$1")
EXTRAS=${2:-plot}
if [[ "${DREDFAST_IN_NS:-}" != 1 ]]; then
    exec unshare -m --propagation private env DREDFAST_IN_NS=1 "$0" "$@"
fi
# Hide every libopus the system has (the files, not just the ldconfig entries).
EMPTY=$(mktemp)
for f in $(ldconfig -p | awk '/libopus\.so/ {print $NF}' | xargs -r realpath | sort -u) \
         /usr/lib/*/libopus.so* /usr/lib/libopus.so* /usr/local/lib/libopus.so*; do
    [[ -f "$f" ]] && mount --bind "$EMPTY" "$f"
done
PY=${PYTHON:-python3}
VENV=$(mktemp -d)/venv
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip >/dev/null
"$VENV/bin/pip" install -q "dredfast[$EXTRAS] @ file://$WHEEL"
WORK=$(mktemp -d)
cd "$WORK"
# Only the venv, no compiler: coreutils are in /usr/bin along with gcc, so link what is needed.
TOOLS=$(mktemp -d)
for t in sh env ls cat mktemp; do ln -s "$(command -v $t)" "$TOOLS/$t"; done
export PATH="$VENV/bin:$TOOLS"
if command -v cc >/dev/null || command -v gcc >/dev/null; then echo "FAIL: a compiler is on PATH" >&2; exit 1; fi
python - <<'EOF'
import ctypes, os, sys
try:
    ctypes.CDLL("libopus.so.0")
except OSError as e:
    print("system libopus hidden:", e)
else:
    sys.exit("FAIL: the system libopus can still be opened")
import dredfast
from dredfast import _libopus
lib = _libopus._load()
assert lib.where.startswith(os.path.dirname(dredfast.__file__)), lib.where
print("dredfast", dredfast.__version__, "uses", lib.version, "from", lib.where)
print("receiver:", dredfast.Receiver(48000, channels=2).libopus_version)
EOF
dredfast demo --no-metrics --out-dir "$WORK/demo"
ls "$WORK/demo"
echo "wheel check: OK"
