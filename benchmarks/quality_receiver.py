"""Receiver quality beside libopus 1.6.1's (../shared/vectors/quality_anchor_dev.csv).

    python benchmarks/quality_receiver.py [--vocoder fargan|lpcnet] [--jobs 2] [--clips N]
        [--conditions dred,plc_dredstream,lbrr_plc] [--own-dred-bitrate 16000] [--out results.json]

For every dev clip and each of the anchors' five traces, the reference packets of
../shared/vectors are decoded by dredfast.Receiver the way the anchors were decoded by
libopus (opus_demo style: a lost frame is filled once the next packet has arrived, so the
receiver's look-ahead covers the whole gap):

- ``dred``: the ``v24`` packets (24 kb/s, DRED), DRED used;
- ``plc_dredstream``: the same packets, DRED ignored (neural PLC only);
- ``lbrr_plc``: the ``v24fec`` packets (24 kb/s, LBRR, no DRED);
- ``dred_v32`` / ``plc_v32``: the ``v32`` packets (32 kb/s, DRED) with / without DRED
  (the anchors have no 32 kb/s rows: libopus's figures for v32 come from ``--trace vectors``).

``--trace vectors``: instead of the anchors' traces, the vectors' own trace
(ge_loss20_burst8_seed1) on the clips that have libopus 1.6.1's decoded PCM under it
(``V_dec_M``: 10 clips); libopus's column is then that PCM scored here by the same metrics
(dred / plc / lbrr modes; its ``plc`` mode conceals at once, so ours runs without
look-ahead there, which changes nothing when neither DRED nor LBRR is used).
``--history stock`` runs the receiver with the system decoder's own PLC history.

``own_v24`` (ask for it in --conditions): the clip encoded by dredfast.Encoder with
libopus 1.6.1's settings of the v24 stream (24 kb/s total, no LBRR, DRED budget as libopus),
beside ``dred`` (libopus's own packets).
``--own-dred-bitrate R`` adds ``own_lbrr_dred``: the clip encoded by dredfast.Encoder
(system libopus at 24 kb/s + LBRR, plus 1 s of DRED with its own budget of R b/s), decoded
with LBRR and DRED; its total bitrate is reported.  Degraded = output shifted by the 104
sample decoder delay; PESQ-WB, STOI, PLCMOS (dredfast.metrics) as in the anchors.
"""
import argparse
import csv
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
TRACES = ["lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss10_burst8_seed1.txt",
          "synthetic/ge_loss20_burst25_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt",
          "synthetic/ge_loss30_burst8_seed1.txt"]
VECTOR_TRACE = "synthetic/ge_loss20_burst8_seed1.txt"
# condition -> (packets, DRED used, libopus decoder mode in the vectors)
PACKETS = {"dred": ("v24", True, "dred"), "plc_dredstream": ("v24", False, "plc"),
           "lbrr_plc": ("v24fec", False, "lbrr"), "dred_v32": ("v32", True, "dred"),
           "plc_v32": ("v32", False, "plc")}


def run_one(job):
    import dredfast
    from dredfast.audio import read_wav
    from dredfast.simulate import simulate
    shared, clip, trace, cond, vocoder, own_rate, history = job
    x, _ = read_wav(Path(shared) / "speech" / "dev" / f"{clip}.wav")
    lost = dredfast.load_trace(Path(shared) / "traces" / trace)
    if cond == "own_v24":
        # dredfast.Encoder at libopus 1.6.1's own settings for the v24 stream (24 kb/s, no
        # LBRR, 20 % loss, DRED budget as libopus): compare with "dred" on libopus's packets.
        res = simulate(x, lost, bitrate=24000, lbrr=False, dred_ms=1000, dred_bitrate=None, vocoder=vocoder,
                       jitter_ms=100000, history=history)
    elif cond == "own_lbrr_dred":
        res = simulate(x, lost, bitrate=24000, lbrr=True, dred_ms=1000, dred_bitrate=own_rate, vocoder=vocoder,
                       jitter_ms=100000, history=history)
    else:
        var, use_dred, mode = PACKETS[cond]
        pk = dredfast.read_packets(Path(shared) / "vectors" / clip / f"{var}.pkts")
        # The vectors' plc mode conceals at once; elsewhere opus_demo style (whole gap ahead).
        jitter = 0 if (trace == VECTOR_TRACE and mode == "plc") else 100000
        res = simulate(x, lost, packets=pk, vocoder=vocoder, jitter_ms=jitter, use_dred=use_dred, history=history)
    out = {"clip": clip, "trace": trace, "condition": cond, **res.metrics, "bitrate": res.bitrate,
           **{f"n_{k}": v for k, v in res.counts().items()}}
    if trace == VECTOR_TRACE:
        from dredfast.simulate import DECODER_DELAY, quality
        var, _, mode = PACKETS[cond]
        pcm = np.load(Path(shared) / "vectors" / clip / "arrays.npz")[f"{var}_dec_{mode}"].astype(np.float32) / 32768
        y = pcm[DECODER_DELAY:DECODER_DELAY + len(x)]
        y = np.concatenate([y, np.zeros(len(x) - len(y), np.float32)])
        out["libopus"] = quality(x, y)
    return out


def main():
    import vectors
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocoder", default="fargan")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--clips", type=int, default=0, help="only the first N clips (0 = all)")
    ap.add_argument("--conditions", default="dred,plc_dredstream,lbrr_plc")
    ap.add_argument("--own-dred-bitrate", type=int, default=0)
    ap.add_argument("--trace", default="anchors", choices=["anchors", "vectors"])
    ap.add_argument("--history", default="shadow", choices=["shadow", "stock"])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    shared = vectors.shared_dir()
    if shared is None:
        sys.exit("needs ../shared")
    clips = vectors.clip_names()
    traces = TRACES
    conds = args.conditions.split(",") + (["own_lbrr_dred"] if args.own_dred_bitrate else [])
    if args.trace == "vectors":
        traces = [VECTOR_TRACE]
        clips = [c for c in clips if "v24_dec_plc" in np.load(shared / "vectors" / c / "arrays.npz").files]
        conds = [k for k in conds if k in PACKETS]
    clips = clips[: args.clips or None]
    jobs = [(str(shared), c, t, k, args.vocoder, args.own_dred_bitrate, args.history)
            for c in clips for t in traces for k in conds]
    with ProcessPoolExecutor(args.jobs) as ex:
        results = list(ex.map(run_one, jobs))
    anchor = {}
    for r in csv.DictReader(open(shared / "vectors" / "quality_anchor_dev.csv")):
        if r["bitrate"] == "24000":
            anchor[(r["clip"], r["trace"], r["condition"])] = r
    print(f"vocoder {args.vocoder}, history {args.history}, {len(clips)} clips x {len(traces)} traces ({args.trace})")
    print(f"{'condition':16s} {'n':>4s} | {'PESQ':>6s} {'STOI':>6s} {'PLCMOS':>6s} | libopus 1.6.1 "
          f"{'PESQ':>6s} {'STOI':>6s} {'PLCMOS':>6s} | kb/s")
    for k in conds:
        rs = [r for r in results if r["condition"] == k]
        ours = [np.mean([r[m] for r in rs]) for m in ("pesq_wb", "stoi", "plcmos")]
        ak = {"own_lbrr_dred": "lbrr_dred", "own_v24": "dred"}.get(k, k)
        if args.trace == "vectors":
            ref = [np.mean([r["libopus"][m] for r in rs]) for m in ("pesq_wb", "stoi", "plcmos")]
        elif all((r["clip"], r["trace"], ak) in anchor for r in rs):
            ref = [np.mean([float(anchor[(r["clip"], r["trace"], ak)][m]) for r in rs]) for m in ("pesq_wb", "stoi", "plcmos")]
        else:
            ref = [float("nan")] * 3  # no anchor (32 kb/s)
        rate = np.mean([r["bitrate"] for r in rs]) / 1000
        print(f"{k:16s} {len(rs):4d} | {ours[0]:6.3f} {ours[1]:6.3f} {ours[2]:6.3f} |               "
              f"{ref[0]:6.3f} {ref[1]:6.3f} {ref[2]:6.3f} | {rate:.1f}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
