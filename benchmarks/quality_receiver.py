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
``--plc-lookahead 0`` runs it without the look-ahead concealment: PLC frames extrapolate from the past
only, as libopus's do (DRED and LBRR still use the packet after the gap).

``own_v24`` (ask for it in --conditions): the clip encoded by dredfast.Encoder with
libopus 1.6.1's settings of the v24 stream (24 kb/s total, no LBRR, DRED budget as libopus),
beside ``dred`` (libopus's own packets).
``--own-dred-bitrate R`` adds ``own_lbrr_dred``: the clip encoded by dredfast.Encoder
(system libopus at 24 kb/s + LBRR, plus 1 s of DRED with its own budget of R b/s), decoded
with LBRR and DRED; its total bitrate is reported.  Degraded = output shifted by the 104
sample decoder delay; PESQ-WB, STOI, PLCMOS (dredfast.metrics) as in the anchors.

A thin use of ``dredfast evaluate`` (dredfast.evaluate): the grid runs on a Dask
LocalCluster of ``--jobs`` workers (``--scheduler serial``: no Dask); ``--results DIR``
keeps evaluate's results.csv there, so an interrupted run resumes.
"""
import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # the in-place build when run from a checkout

from dredfast.evaluate import ANCHOR_TRACES as TRACES, PRESETS, evaluate, format_table  # noqa: E402
from dredfast.evaluate.tasks import VECTOR_TRACE  # noqa: E402

#: conditions on the vectors' packets (the others encode with dredfast.Encoder)
PACKETS = [k for k, c in PRESETS.items() if c.packets != "encode"]


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
    ap.add_argument("--plc-lookahead", type=int, default=None,
                    help="Receiver(plc_lookahead=); default: the receiver's own, 0 = no look-ahead concealment")
    ap.add_argument("--out", default=None)
    ap.add_argument("--scheduler", default="local", help="as dredfast evaluate's (local, serial or an address)")
    ap.add_argument("--results", default=None, help="keep evaluate's results here (resumable); default: a temp dir")
    args = ap.parse_args()
    shared = vectors.shared_dir()
    if shared is None:
        sys.exit("needs ../shared")
    names = args.conditions.split(",")
    conds = [replace(PRESETS[k], vocoder=args.vocoder, history=args.history, plc_lookahead=args.plc_lookahead)
             for k in names]
    if args.own_dred_bitrate:
        conds.append(replace(PRESETS["own_lbrr_dred"], vocoder=args.vocoder, history=args.history,
                             plc_lookahead=args.plc_lookahead, dred_bitrate=args.own_dred_bitrate))
    clips = vectors.clip_names()
    traces = list(TRACES)
    if args.trace == "vectors":
        traces = [VECTOR_TRACE]
        clips = [c for c in clips if "v24_dec_plc" in np.load(shared / "vectors" / c / "arrays.npz").files]
        conds = [c for c in conds if c.name in PACKETS]
        # The vectors' plc mode conceals at once (no look-ahead); elsewhere opus_demo style.
        conds = [replace(c, jitter_ms=0) if c.libopus_mode == "plc" else c for c in conds]
    clips = clips[: args.clips or None]
    clip_arg = ",".join(str(shared / "speech" / "dev" / f"{c}.wav") for c in clips)
    with tempfile.TemporaryDirectory() as tmp:
        r = evaluate(args.results or tmp, clips=clip_arg, traces=",".join(traces), conditions=conds,
                     shared=str(shared), score_libopus=args.trace == "vectors", scheduler=args.scheduler,
                     workers=args.jobs, make_plot=False)
    for f in r["report"].failed:
        print(f"failed: {f}", file=sys.stderr)
    la = "" if args.plc_lookahead is None else f", plc_lookahead {args.plc_lookahead}"
    print(f"vocoder {args.vocoder}, history {args.history}{la}, {len(clips)} clips x {len(traces)} traces ({args.trace})")
    print(format_table(r["summary"], extended=False))
    if args.out:
        Path(args.out).write_text(json.dumps(r["rows"], indent=1))


if __name__ == "__main__":
    main()
