"""``dredfast evaluate`` and ``dredfast recover``: their command-line options."""
from __future__ import annotations

import argparse
import sys

from .conditions import PRESETS


def _scheduler_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", default="local",
                   help="'local' (a Dask LocalCluster here, default), the address of a running Dask scheduler "
                        "(tcp://host:8786), or 'serial' (this process, no Dask)")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def add_parsers(sub) -> None:
    ev = sub.add_parser("evaluate", help="score the receiver over clips x loss traces x conditions (on Dask)",
                        description="Runs every clip x trace x condition, appending one row per run to "
                                    "OUT/results.csv as it finishes (a rerun skips rows already there), then "
                                    "writes OUT/summary.txt, summary.csv, summary_by_trace.csv and summary.png.")
    ev.add_argument("out", help="output folder")
    ev.add_argument("--clips", default="dev",
                    help="'dev' (the shared dev set), a folder of 16 kHz WAV files, or comma-separated WAVs")
    ev.add_argument("--max-clips", type=int, default=0, help="only the first N clips (0 = all)")
    ev.add_argument("--seconds", type=float, default=0.0, help="only the first S seconds of each clip (0 = all)")
    ev.add_argument("--traces", default="anchors",
                    help="'anchors' (the anchors' five traces), or comma-separated trace files (relative to "
                         "the shared traces folder) and loss models (ge:loss=0.2:burst=8:seed=1, "
                         "lossgen:loss=0.2:seed=1)")
    ev.add_argument("--conditions", default="dred,plc_dredstream,lbrr_plc",
                    help=f"comma-separated presets ({', '.join(PRESETS)}) or @conditions.json")
    ev.add_argument("--vocoder", choices=["fargan", "lpcnet"], default=None, help="override every condition's")
    ev.add_argument("--history", choices=["shadow", "stock"], default=None, help="override every condition's")
    ev.add_argument("--metrics", default="pesq_wb,stoi,plcmos")
    ev.add_argument("--score-libopus", action="store_true",
                    help="also score the vectors' libopus 1.6.1 decoded PCM (their trace only)")
    ev.add_argument("--shared", default=None, help="reference data folder with vectors/, speech/, traces/ (default $DREDFAST_SHARED; needed only for --clips dev, trace files and the reference-packet conditions)")
    ev.add_argument("--no-plot", action="store_true")
    _scheduler_options(ev)
    ev.set_defaults(func=_evaluate)

    rc = sub.add_parser("recover", help="recover recorded streams (.opus / .pkts / RTP in .pcap(ng) with losses) to WAV (on Dask)",
                        description="Fills the lost packets of recorded streams with LBRR, DRED and neural PLC "
                                    "and writes OUT/<name>.wav per file and OUT/report.csv (packets, lost, filled "
                                    "by kind); a rerun skips files already in the report.")
    rc.add_argument("inputs", nargs="+", help=".opus / .pkts / .pcap / .pcapng files or folders of them")
    rc.add_argument("-o", "--out", required=True, help="output folder")
    rc.add_argument("--rate", type=int, default=None, choices=[8000, 12000, 16000, 24000, 48000],
                    help="output rate (default 48000 for .opus and captures, 16000 for .pkts)")
    rc.add_argument("--vocoder", choices=["fargan", "lpcnet"], default="fargan")
    rc.add_argument("--history", choices=["shadow", "stock"], default="shadow")
    _scheduler_options(rc)
    rc.set_defaults(func=_recover)


def _evaluate(args: argparse.Namespace) -> int:
    from . import evaluate
    r = evaluate(args.out, clips=args.clips, traces=args.traces, conditions=args.conditions, vocoder=args.vocoder,
                 history=args.history, shared=args.shared, max_clips=args.max_clips, seconds=args.seconds,
                 metrics=tuple(m for m in args.metrics.split(",") if m), score_libopus=args.score_libopus,
                 scheduler=args.scheduler, workers=args.workers, progress=not args.quiet,
                 make_plot=not args.no_plot)
    print(r["head"])
    print(r["table"])
    for f in r["report"].failed:
        print(f"failed: {f}", file=sys.stderr)
    return 1 if r["report"].failed else 0


def _recover(args: argparse.Namespace) -> int:
    from ..recover import format_report, recover
    r = recover(args.inputs, args.out, sample_rate=args.rate, vocoder=args.vocoder, history=args.history,
                scheduler=args.scheduler, workers=args.workers, progress=not args.quiet)
    print(format_report(r["rows"]))
    for f in r["report"].failed:
        print(f"failed: {f}", file=sys.stderr)
    return 1 if r["report"].failed else 0
