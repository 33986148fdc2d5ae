"""How far a libopus built on this machine lands from dredfast's DRED features, per version.

    python tools/calibrate_features.py [--variants v24,v96]

Needs tools/reference/dred_features.c compiled against the 1.5.2 and 1.6.1 build trees
(``dred_features-1.5.2`` / ``dred_features-1.6.1`` in the reference cache; see
tools/reference/build.sh for the trees):

    O=opus-$V; gcc -O2 -DHAVE_CONFIG_H -I$O -I$O/include -I$O/dnn -I$O/celt -I$O/silk \\
        -I$O/silk/float -o dred_features-$V tools/reference/dred_features.c $O/.libs/libopus.a -lm

On the 4 feature clips of ../shared/vectors152 (version 10) it prints: libopus 1.5.2 built
here vs the vectors (both made on AMD CPUs: expected identical), and dredfast vs that build.
On the clips of ../shared/vectors that carry DRED features (version 12): libopus 1.6.1 built
here vs dredfast (which is bit-exact with those Intel-made vectors).  The version-12 figure is
the rcpps (AMD vs Intel) spread of the same code on the same packets, the yardstick for the
version-10 one.
"""
import argparse
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

import dredfast

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CACHE = Path(os.environ.get("DREDFAST_REFERENCE", Path.home() / ".cache" / "dredfast-reference"))


def libopus_features(exe: Path, pkts: Path) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "f.bin"
        subprocess.run([str(exe), str(pkts), str(out)], check=True)
        b = out.read_bytes()
    res, pos = [], 0
    while pos < len(b):
        n = int(np.frombuffer(b, np.int32, 1, pos)[0])
        pos += 4
        if n <= 0:
            res.append(None)
            continue
        res.append(np.frombuffer(b, np.float32, 80 * n, pos).reshape(-1, 20))
        pos += 320 * n
    return res


def stats(pairs) -> str:
    e = np.concatenate([np.abs(a.astype(np.float64) - b) for a, b in pairs])
    same = np.mean([np.array_equal(a, b) for a, b in pairs])
    return f"{e.shape[0]} rows: max abs {e.max():.4f}, rms {np.sqrt(np.mean(e ** 2)):.5f}, {100 * same:.1f} % of packets identical"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="v24,v96")
    args = ap.parse_args()
    dec = dredfast.DredDecoder()
    v152 = SHARED / "vectors152"
    import json
    clips = json.loads((v152 / "settings.json").read_text())["feature_clips"]
    vs_vec, vs_ours = [], []
    for clip in clips:
        z = np.load(v152 / clip / "arrays.npz")
        for var in args.variants.split(","):
            pkts = v152 / clip / f"{var}.pkts"
            lib = libopus_features(CACHE / "dred_features-1.5.2", pkts)
            lp = z[f"{var}_dred_latent_ptr"]
            ref = z[f"{var}_dred_features"]
            for i, (p, f) in enumerate(zip(dredfast.read_packets(pkts), lib)):
                if f is None:
                    continue
                vs_vec.append((f, ref[4 * lp[i]:4 * lp[i + 1]]))
                vs_ours.append((dec.parse(p, 1000).features(), f))
    print(f"version 10, {len(clips)} clips: libopus 1.5.2 built here vs vectors152: {stats(vs_vec)}")
    print(f"version 10: dredfast vs libopus 1.5.2 built here: {stats(vs_ours)}")
    v12 = []
    for clip_dir in sorted((SHARED / "vectors").iterdir()):
        if not (clip_dir / "arrays.npz").exists():
            continue
        z = np.load(clip_dir / "arrays.npz")
        for var in args.variants.split(","):
            if f"{var}_dred_features" not in z.files:
                continue
            pkts = clip_dir / f"{var}.pkts"
            lib = libopus_features(CACHE / "dred_features-1.6.1", pkts)
            for p, f in zip(dredfast.read_packets(pkts), lib):
                if f is not None:
                    v12.append((dec.parse(p, 1000).features(), f))
    print(f"version 12 (../shared/vectors feature clips): dredfast vs libopus 1.6.1 built here: {stats(v12)}")


if __name__ == "__main__":
    main()
