"""Receiver quality at 48 kHz beside libopus 1.6.1's (../shared/vectors48/quality_anchor48_dev.csv).

    python benchmarks/quality_receiver48.py [--set vectors48|vectors48fb] [--configs fb32,celt64,st64,v24at48] [--modes dred,plc]
        [--clips N] [--jobs 2] [--history shadow|stock] [--out results.json]

For each dev clip, each of the anchors' five traces, each stream (``fb32`` hybrid FB 32 kb/s,
``celt64`` CELT FB, ``st64`` stereo, ``v24at48`` the 16 kHz v24 stream decoded at 48 kHz) and
each mode, dredfast.Receiver(48000, channels of the stream) decodes libopus 1.6.1's packets
the way the anchors were decoded (vectors48/README.md): ``plc`` conceals a lost packet at once
(no look-ahead, DRED unused); ``dred`` fills a gap once the next packet has arrived (the
receiver sees every packet up to it).  ``plcla`` (ask for it in --modes): DRED unused, the
gap filled once the next packet has arrived, so that the look-ahead PLC can use it; it is
compared with libopus's ``plc`` rows (libopus's PLC does not look ahead).  Scores exactly as the anchors: the 48 kHz output (left
channel for st64) downsampled by soxr VHQ to 16 kHz, ``deg = x16[104:104+N]``, PESQ-WB / STOI /
PLCMOS against the clean clip; ``lsd_hf`` over 8-20 kHz against the receiver's own no-loss
decode (which equals the system libopus's; the anchors use libopus 1.6.1's no-loss decode).
Means are over the rows run, beside the anchors' means over the same rows.
"""
import argparse
import csv
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
TRACES = ["synthetic/ge_loss10_burst8_seed1", "synthetic/ge_loss20_burst3_seed1",
          "synthetic/ge_loss20_burst25_seed1", "synthetic/ge_loss30_burst8_seed1",
          "lossgen/lossgen_loss20_seed1"]
CHANNELS = {"fb32": 1, "celt64": 1, "st64": 2, "v24at48": 1}


# vectors48: 16 kHz clips upsampled (nothing above 8 kHz); vectors48fb: real fullband speech
# (speech48/dev), scored against its 16 kHz reference speech48/dev/16k (vectors48fb/README.md).
SETS = {"vectors48": "quality_anchor48_dev.csv", "vectors48fb": "quality_anchor48fb_dev.csv"}


def packets_of(shared: Path, vset: str, clip: str, config: str):
    import dredfast
    if config == "v24at48":
        return dredfast.read_packets(shared / "vectors" / clip / "v24.pkts")
    return dredfast.read_packets(shared / vset / clip / f"{config}.pkts")


def clean_reference(shared: Path, vset: str, clip: str) -> Path:
    if vset == "vectors48fb":
        return shared / "speech48" / "dev" / "16k" / f"{clip}.wav"
    return shared / "speech" / "dev" / f"{clip}.wav"


def decode(packets, lost, channels, mode, history):
    import dredfast
    rx = dredfast.Receiver(48000, channels=channels, history=history, use_dred=(mode == "dred"))
    wait = mode in ("dred", "plcla")
    out = []
    n = len(packets)
    for i, p in enumerate(packets):
        ahead = []
        if wait and lost[i]:
            for j in range(i + 1, n):
                ahead.append(None if lost[j] else packets[j])
                if not lost[j]:
                    break
        out.append(rx.decode(None if lost[i] else p, lookahead=ahead))
    y = np.concatenate(out)
    return (y if channels == 1 else y[:, 0]), rx.stats.as_dict()


def run_one(job):
    import soxr
    import dredfast
    from dredfast.audio import read_wav
    from dredfast.metrics import lsd_hf, pesq_wb, plcmos, stoi
    shared, vset, clip, trace, config, mode, history = job
    shared = Path(shared)
    x, _ = read_wav(clean_reference(shared, vset, clip))
    x = x.astype(np.float64)
    lost = np.asarray(dredfast.load_trace(shared / "traces" / f"{trace}.txt"), bool)
    pk = packets_of(shared, vset, clip, config)
    lost = np.resize(lost, len(pk)) if len(lost) < len(pk) else lost[:len(pk)]
    ch = CHANNELS[config]
    y, stats = decode(pk, lost, ch, mode, history)
    ref, _ = decode(pk, np.zeros(len(pk), bool), ch, mode, history)
    y16 = soxr.resample(y.astype(np.float64), 48000, 16000, quality="VHQ")
    deg = y16[104:104 + len(x)]
    deg = np.clip(np.concatenate([deg, np.zeros(len(x) - len(deg))]), -1, 1)
    return {"clip": clip, "trace": trace, "config": config, "mode": mode,
            "pesq_wb": pesq_wb(x, deg), "stoi": stoi(x, deg), "plcmos": plcmos(deg),
            "lsd_hf": lsd_hf(np.clip(y, -1, 1), np.clip(ref, -1, 1)), **stats}


def main():
    import vectors
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="vectors48", choices=sorted(SETS))
    ap.add_argument("--configs", default=None, help="default: fb32,celt64,st64 (+ v24at48 on vectors48)")
    ap.add_argument("--modes", default="dred,plc")
    ap.add_argument("--clips", type=int, default=0, help="only the first N clips (0 = all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--history", default="shadow", choices=["shadow", "stock"])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    shared = vectors.shared_dir()
    if shared is None or not (shared / args.set).is_dir():
        sys.exit(f"needs ../shared/{args.set}")
    if args.set == "vectors48":
        clips = vectors.clip_names()
    else:
        clips = sorted(json.loads((shared / args.set / "settings.json").read_text())["clips"])
    clips = clips[: args.clips or None]
    configs = (args.configs or ("fb32,celt64,st64" + (",v24at48" if args.set == "vectors48" else ""))).split(",")
    modes = args.modes.split(",")
    jobs = [(str(shared), args.set, c, t, k, m, args.history) for c in clips for t in TRACES for k in configs for m in modes]
    with ProcessPoolExecutor(args.jobs) as ex:
        results = list(ex.map(run_one, jobs))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    anchor = {}
    for r in csv.DictReader(open(shared / args.set / SETS[args.set])):
        anchor[(r["clip"], r["trace"].removesuffix(".txt"), r["config"], r["mode"])] = r
    cols = ("pesq_wb", "stoi", "plcmos", "lsd_hf")
    print(f"{args.set}, history {args.history}, {len(clips)} clips x {len(TRACES)} traces, FARGAN, 48 kHz")
    print(f"{'config':8s} {'mode':5s} {'n':>4s} | dredfast PESQ   STOI PLCMOS LSD-HF | libopus PESQ   STOI PLCMOS LSD-HF")
    for k in configs:
        for m in modes:
            rs = [r for r in results if r["config"] == k and r["mode"] == m]
            ours = [np.nanmean([r[c] for r in rs]) for c in cols]
            am = "plc" if m == "plcla" else m
            ref = [np.nanmean([float(anchor[(r["clip"], r["trace"], k, am)][c] or "nan") for r in rs]) for c in cols]
            print(f"{k:8s} {m:5s} {len(rs):4d} |        {ours[0]:6.3f} {ours[1]:6.3f} {ours[2]:6.3f} {ours[3]:6.2f} |"
                  f"        {ref[0]:6.3f} {ref[1]:6.3f} {ref[2]:6.3f} {ref[3]:6.2f}")


if __name__ == "__main__":
    main()
