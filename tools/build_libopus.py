#!/usr/bin/env python3
"""Builds the libopus a binary wheel carries and puts it in dredfast/_bundled/.

    python tools/build_libopus.py [--tarball PATH_OR_URL] [--sha256 HEX] [--jobs N]

Unpacks a libopus release tarball (default: Debian's pristine 1.6.1 source,
downloaded and checked against its SHA-256), builds it as a shared library with
the C compiler in ``CC`` (for a manylinux wheel: one that targets an old glibc, e.g.
tools/zigcc.sh or the manylinux image's gcc) and copies the library into
dredfast/_bundled/, where setup.py packs it as package data and the loader
(dredfast/_libopus.py) finds it.  Nothing built here is committed (the folder is
git-ignored except for its README).

Why a shared library that dredfast dlopens rather than one the extensions link:
dredfast must also run over any other libopus >= 1.3 the user names (a path or
DREDFAST_LIBOPUS) and import without one, so no module links libopus; auditwheel
only grafts linked libraries, so the wheel carries this file itself.

Configuration: the default float build (no DRED, no deep PLC, no OSCE: dredfast
does DRED and the neural parts itself and uses libopus only for the primary
audio, so the neural weights would be ~MBs of dead code), no docs, no programs.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEST = os.path.join(ROOT, "dredfast", "_bundled")
#: Debian's copy of the libopus 1.6.1 release (the source the reference build and the vectors use).
DEFAULT_URL = "https://deb.debian.org/debian/pool/main/o/opus/opus_1.6.1.orig.tar.xz"
DEFAULT_SHA256 = "001ac615b9f8f8994b229ad2b1a5969ed12ab48b0d154d0af1016a5899cd6ba1"
SONAME = "libopus-dredfast.so.0"
LOCAL_COPY = os.path.expanduser("~/.cache/dredfast-reference/opus_1.6.1.orig.tar.xz")


def fetch(src: str, sha256: str | None, work: str) -> str:
    """A local path to the tarball, its SHA-256 checked when one is given."""
    if "://" in src:
        path = os.path.join(work, os.path.basename(src))
        print(f"downloading {src}", file=sys.stderr)
        with urllib.request.urlopen(src, timeout=120) as r, open(path, "wb") as f:
            shutil.copyfileobj(r, f)
    else:
        path = src
    if sha256:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != sha256.lower():
            sys.exit(f"{path}: SHA-256 {h.hexdigest()} is not the expected {sha256}")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = LOCAL_COPY if os.path.isfile(LOCAL_COPY) else DEFAULT_URL
    ap.add_argument("--tarball", default=os.environ.get("DREDFAST_LIBOPUS_TARBALL", default))
    ap.add_argument("--sha256", default=os.environ.get("DREDFAST_LIBOPUS_SHA256"),
                    help="expected SHA-256 (default: Debian's 1.6.1 orig tarball's when that is the source)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    sha = args.sha256 or (DEFAULT_SHA256 if args.tarball in (DEFAULT_URL, LOCAL_COPY) else None)

    work = tempfile.mkdtemp(prefix="dredfast-libopus-")
    try:
        tar = fetch(args.tarball, sha, work)
        with tarfile.open(tar) as t:
            t.extractall(work, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(work)
        src = next(d for d in glob.glob(os.path.join(work, "opus-*")) if os.path.isdir(d))
        env = dict(os.environ)
        # -O2 as libopus's own default; no -march: the wheel runs on any CPU of its
        # architecture (libopus picks SSE4.1/AVX2/NEON paths at run time itself).
        env.setdefault("CFLAGS", "-O2 -g0")
        subprocess.run(["./configure", "--enable-shared", "--disable-static", "--disable-doc",
                        "--disable-extra-programs", "--quiet"], cwd=src, env=env, check=True)
        subprocess.run(["make", f"-j{args.jobs}", "--quiet"], cwd=src, env=env, check=True)
        os.makedirs(DEST, exist_ok=True)
        if sys.platform == "darwin":
            built, name = os.path.join(src, ".libs", "libopus.0.dylib"), "libopus.0.dylib"
        else:
            built, name = os.path.join(src, ".libs", "libopus.so.0"), "libopus.so.0"
        out = os.path.join(DEST, name)
        shutil.copy2(os.path.realpath(built), out)  # the real file, not the symlink
        if sys.platform == "darwin":
            subprocess.run(["install_name_tool", "-id", f"@loader_path/{name}", out], check=True)
        else:
            subprocess.run(["strip", "--strip-unneeded", out], check=False)
            # Its own soname: glibc's dlopen hands back an already loaded library whose
            # soname matches the name asked for, so with libopus's own soname a user's
            # libopus="libopus.so.0" would silently get this copy once it is loaded (seen
            # here), and the system's would shadow it the other way round.
            subprocess.run(["patchelf", "--set-soname", SONAME, out], check=True)
        shutil.copy2(os.path.join(src, "COPYING"), os.path.join(DEST, "COPYING"))
        print(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
