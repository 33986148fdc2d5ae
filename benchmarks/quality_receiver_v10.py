"""Receiver quality on libopus 1.5.x DRED (version 10) beside libopus 1.5.2 and 1.6.1.

    python benchmarks/quality_receiver_v10.py [--clips N] [--jobs 1] [--csv OUT.csv]
        [--bench152 PATH] [--bench161 PATH]

For every dev clip and each of the anchors' five traces (as benchmarks/quality_receiver.py),
the ``v24`` packets of ../shared/vectors152 (written by libopus 1.5.2: 24 kb/s, no LBRR,
1 s of DRED version 10) are decoded three ways, opus_demo style (a lost frame is filled once
the next packet has arrived):

- ``dredfast``: dredfast.Receiver (FARGAN, reads version-10 DRED with the 1.5.2 model);
- ``libopus152``: libopus 1.5.2 (``bench-1.5.2 decdred``, built by tools/reference/build.sh):
  lost frames from the next packet's DRED, else its deep PLC;
- ``libopus161``: libopus 1.6.1 (``bench decdred`` of ../shared/tools/reference): it ignores
  version-10 DRED, so it conceals with deep PLC only.

Each output is shifted by the 104-sample decoder delay and scored against the clip by the
same metrics (dredfast.simulate.quality: PESQ-WB, STOI, PLCMOS).  The two libopus runs are
made here (bench's BENCH_OUT PCM), on this machine.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CACHE = Path(os.environ.get("DREDFAST_REFERENCE", Path.home() / ".cache" / "dredfast-reference"))
TRACES = ["lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss10_burst8_seed1.txt",
          "synthetic/ge_loss20_burst25_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt",
          "synthetic/ge_loss30_burst8_seed1.txt"]
DECODERS = ("dredfast", "libopus152", "libopus161")


def bench_pcm(bench: str, pkts: Path, trace: Path) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.pcm"
        env = dict(os.environ, BENCH_OUT=str(out))
        subprocess.run([bench, "decdred", str(pkts), str(trace), "1"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return np.fromfile(out, dtype=np.int16).astype(np.float32) / 32768


def run_one(job):
    import dredfast
    from dredfast.audio import read_wav
    from dredfast.simulate import DECODER_DELAY, quality, simulate
    clip, trace, bench152, bench161 = job
    x, _ = read_wav(SHARED / "speech" / "dev" / f"{clip}.wav")
    pkts = SHARED / "vectors152" / clip / "v24.pkts"
    lost = dredfast.load_trace(SHARED / "traces" / trace)
    res = simulate(x, lost, packets=dredfast.read_packets(pkts), vocoder="fargan", jitter_ms=100000, use_dred=True)
    rows = [{"clip": clip, "trace": trace, "decoder": "dredfast", **res.metrics,
             "dred_frames": res.counts().get("dred", 0), "plc_frames": res.counts().get("plc", 0)}]
    for name, bench in (("libopus152", bench152), ("libopus161", bench161)):
        pcm = bench_pcm(bench, pkts, SHARED / "traces" / trace)
        y = pcm[DECODER_DELAY:DECODER_DELAY + len(x)]
        y = np.concatenate([y, np.zeros(len(x) - len(y), np.float32)])
        rows.append({"clip": clip, "trace": trace, "decoder": name, **quality(x, y)})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=0, help="only the first N clips (0 = all)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--bench152", default=str(CACHE / "bench-1.5.2"))
    ap.add_argument("--bench161", default=str(CACHE / "bench"))
    ap.add_argument("--csv", default=None)
    args = ap.parse_args()
    for b in (args.bench152, args.bench161):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b}: not built (tools/reference/build.sh, ../shared/tools/reference/build.sh)")
    clips = sorted(p.name for p in (SHARED / "vectors152").iterdir() if (p / "v24.pkts").exists())
    clips = clips[: args.clips or None]
    jobs = [(c, t, args.bench152, args.bench161) for c in clips for t in TRACES]
    with ProcessPoolExecutor(args.jobs) as ex:
        rows = [r for rs in ex.map(run_one, jobs) for r in rs]
    print(f"version-10 packets (vectors152 v24), {len(clips)} clips x {len(TRACES)} traces")
    print(f"{'decoder':12s} | {'PESQ-WB':>7s} {'STOI':>6s} {'PLCMOS':>6s}")
    mean = {}
    for d in DECODERS:
        rs = [r for r in rows if r["decoder"] == d]
        mean[d] = {m: float(np.mean([r[m] for r in rs])) for m in ("pesq_wb", "stoi", "plcmos")}
        print(f"{d:12s} | {mean[d]['pesq_wb']:7.3f} {mean[d]['stoi']:6.3f} {mean[d]['plcmos']:6.3f}")
    diff = mean["dredfast"]["pesq_wb"] - mean["libopus152"]["pesq_wb"]
    gain = mean["dredfast"]["pesq_wb"] - mean["libopus161"]["pesq_wb"]
    print(f"dredfast - libopus 1.5.2: {diff:+.3f} PESQ-WB (claim: >= -0.05: {'met' if diff >= -0.05 else 'NOT met'})")
    print(f"dredfast - libopus 1.6.1 (PLC only on these packets): {gain:+.3f} PESQ-WB")
    if args.csv:
        keys = ["clip", "trace", "decoder", "pesq_wb", "stoi", "plcmos", "dred_frames", "plc_frames"]
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
