"""Analysis -> FARGAN synthesis quality on the dev speech (PESQ-WB, STOI).

    python benchmarks/quality_fargan.py [--speech DIR]

The vocoder's output lags its input speech by 240 samples (15 ms: the
analysis look-ahead plus FARGAN's own), removed before scoring.  Reference:
libopus 1.6.1's FARGAN 3.08 / 0.950 (ANCHORS.md).
"""
import argparse
import sys
import wave
from pathlib import Path

import numpy as np

import dredfast

DELAY = 240


def score(path):
    from pesq import pesq
    from pystoi import stoi
    with wave.open(str(path), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    y = dredfast.Vocoder("fargan").synthesize(dredfast.analyze(x))[DELAY:]
    n = min(len(x), len(y))
    return pesq(16000, x[:n], y[:n], "wb"), stoi(x[:n], y[:n], 16000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--speech", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "speech" / "dev")
    args = ap.parse_args()
    rows = [(p.stem, *score(p)) for p in sorted(args.speech.glob("*.wav"))]
    for name, p, s in rows:
        print(f"{name:22s} PESQ-WB {p:.3f}  STOI {s:.3f}")
    if not rows:
        sys.exit(f"no WAV files in {args.speech}")
    print(f"mean over {len(rows)} clips: PESQ-WB {np.mean([r[1] for r in rows]):.3f}  "
          f"STOI {np.mean([r[2] for r in rows]):.3f}   (libopus 1.6.1 FARGAN: 3.08 / 0.950)")


if __name__ == "__main__":
    main()
