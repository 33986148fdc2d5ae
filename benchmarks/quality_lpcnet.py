"""Analysis -> LPCNet synthesis quality on the dev speech (PESQ-WB, STOI), beside FreeDV.

    python benchmarks/quality_lpcnet.py [--shared DIR] [--seed N] [--isa ISA]

Per clip of ../shared/speech/dev, three conditions scored against the clip:

* ``ours/dredfast``: dredfast's analysis (Opus features, converted to FreeDV's
  convention by dredfast.vocoder.opus_to_lpcnet_features) -> dredfast's LPCNet;
* ``ours/freedv``: FreeDV's own analysis (``lpcnet_c2_features`` in the vectors)
  -> dredfast's LPCNet;
* ``FreeDV``: FreeDV LPCNet's synthesis of its own analysis (``lpcnet_c2_pcm``,
  only stored for the 10 heavy clips).

LPCNet's output lags its input by 400 samples (2 frames of feature look-ahead
plus half a frame between the analysis window's centre and the frame), the
same for all three; it is removed before scoring.  (The ANCHORS figure
1.56 / 0.842 for FreeDV was scored with another alignment; at 400 samples
FreeDV's own output gets the STOI printed here.)
"""
import argparse
import sys
import wave
from pathlib import Path

import numpy as np

import dredfast

DELAY = 400


def metrics(x, y):
    from pesq import pesq
    from pystoi import stoi
    y = y[DELAY:]
    n = min(len(x), len(y))
    return pesq(16000, x[:n], y[:n], "wb"), stoi(x[:n], y[:n], 16000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--isa", default=None)
    args = ap.parse_args()
    clips = sorted((args.shared / "speech" / "dev").glob("*.wav"))
    if not clips:
        sys.exit(f"no WAV files in {args.shared / 'speech' / 'dev'}")
    rows = []
    print(f"{'clip':22s} {'ours/dredfast':>15s} {'ours/freedv':>15s} {'FreeDV':>15s}   (PESQ-WB STOI)")
    for path in clips:
        with wave.open(str(path), "rb") as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        z = np.load(args.shared / "vectors" / path.stem / "arrays.npz")
        voc = dredfast.Vocoder("lpcnet", seed=args.seed, isa=args.isa)
        a = metrics(x, voc.synthesize(dredfast.analyze(x)))
        voc.reset()
        b = metrics(x, voc.synthesize(z["lpcnet_c2_features"]))  # FreeDV columns, taken as they are
        c = metrics(x, z["lpcnet_c2_pcm"].astype(np.float32) / 32768) if "lpcnet_c2_pcm" in z.files else None
        rows.append((path.stem, a, b, c))
        fmt = lambda m: "       -       " if m is None else f"{m[0]:6.3f} {m[1]:6.3f}  "
        print(f"{path.stem:22s} {fmt(a)} {fmt(b)} {fmt(c)}", flush=True)

    def summary(label, ms):
        p, s = np.array([m[0] for m in ms]), np.array([m[1] for m in ms])
        print(f"{label:34s} n={len(ms):2d}  PESQ-WB mean {p.mean():.3f} min {p.min():.3f}   "
              f"STOI mean {s.mean():.3f} min {s.min():.3f}")

    summary("ours, dredfast analysis (all)", [r[1] for r in rows])
    summary("ours, FreeDV analysis (all)", [r[2] for r in rows])
    heavy = [r for r in rows if r[3] is not None]
    summary("ours, dredfast analysis (heavy)", [r[1] for r in heavy])
    summary("ours, FreeDV analysis (heavy)", [r[2] for r in heavy])
    summary("FreeDV LPCNet (heavy)", [r[3] for r in heavy])
    print("ANCHORS: FreeDV LPCNet, its own analysis: PESQ-WB 1.56 / STOI 0.842")


if __name__ == "__main__":
    main()
