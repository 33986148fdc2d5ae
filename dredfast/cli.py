"""The ``dredfast`` command line tool."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from . import __version__
from .dred import DredDecoder, MAX_MS
from .packets import iter_packets, packet_info

FRAME_MS = 20  # packet spacing the container assumes for the timeline column


def _inspect(args: argparse.Namespace) -> int:
    dec = DredDecoder(args.weights, isa=args.isa)
    out = sys.stdout
    n = with_dred = bad = 0
    latents_total = 0
    try:
        f = open(args.packets, "rb")
    except OSError as e:
        print(f"dredfast inspect: {e}", file=sys.stderr)
        return 2
    with f:
        if not args.json:
            out.write(f"{args.packets}  (decoder: {dec.isa}, max {args.max_ms} ms)\n")
            out.write(" pkt  bytes fr | q0 dQ qmax offset extra | lat | covers (ms before packet end)\n")
        try:
            for i, pkt in enumerate(iter_packets(f)):
                n += 1
                row = {"packet": i, "bytes": len(pkt)}
                try:
                    info = packet_info(pkt)
                    dred = dec.parse(pkt, args.max_ms)
                except ValueError as e:
                    bad += 1
                    row["error"] = str(e)
                    out.write(json.dumps(row) + "\n" if args.json else f"{i:4d} {len(pkt):6d}    | invalid: {e}\n")
                    continue
                row["frames"] = info["nb_frames"]
                if dred is None:
                    row["dred"] = None
                    if args.json:
                        out.write(json.dumps(row) + "\n")
                    elif not args.only_dred:
                        out.write(f"{i:4d} {len(pkt):6d} {info['nb_frames']:2d} | no DRED\n")
                    continue
                with_dred += 1
                latents_total += dred.num_latents
                span = dred.samples(16000) / 16.0
                end = dred.end_samples(16000) / 16.0
                h = dred.header
                row["dred"] = {k: h[k] for k in ("q0", "dq", "qmax", "dred_offset", "extra_val", "offset_sym",
                                                 "nb_latents", "ext_frame", "ext_len", "ext_data_pos")}
                row["dred"]["covers_ms"] = [end, span]
                if args.latents:
                    row["dred"]["state_q"] = dred.state_q.tolist()
                    row["dred"]["latents_q"] = dred.latents_q.tolist()
                if args.json:
                    out.write(json.dumps(row) + "\n")
                    continue
                out.write(f"{i:4d} {len(pkt):6d} {info['nb_frames']:2d} | {dred.q0:2d} {dred.dq:2d} {dred.qmax:4d} "
                          f"{dred.offset:6d} {dred.extra_offset:5d} | {dred.num_latents:3d} | "
                          f"{end:6.1f} .. {span:6.1f}  ({dred.num_latents * 40} ms of features, "
                          f"{h['ext_len']} bytes)\n")
                if args.latents:
                    out.write(f"       state_q  {' '.join(map(str, dred.state_q.tolist()))}\n")
                    for j, lat in enumerate(dred.latents_q.tolist()):
                        out.write(f"       latent{j:2d} q{int(dred.qlevels[j]):2d}  {' '.join(map(str, lat))}\n")
        except ValueError as e:
            print(f"dredfast inspect: {args.packets}: {e}", file=sys.stderr)
            return 2
    if not args.json:
        out.write(f"{n} packets ({n * FRAME_MS / 1000:.2f} s at {FRAME_MS} ms), {with_dred} with DRED, "
                  f"{latents_total} latents, {bad} invalid\n")
    return 0


class _Progress:
    """A one-line progress bar on stderr for long jobs (silent when not a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.total, self.label = max(total, 1), label
        self.enabled = enabled and sys.stderr.isatty()
        self.last = -1

    def update(self, done: int) -> None:
        pct = int(100 * done / self.total)
        if self.enabled and pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25s}] {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _analyze(args: argparse.Namespace) -> int:
    import numpy as np

    from .analysis import Analyzer
    from .audio import read_wav

    try:
        pcm, fs = read_wav(args.input)
    except (OSError, ValueError, EOFError) as e:
        print(f"dredfast analyze: cannot read {args.input}: {e}", file=sys.stderr)
        return 2
    if fs != 16000:
        print(f"dredfast analyze: {args.input} is {fs} Hz; resample to 16 kHz first (e.g. with sox or soxr)",
              file=sys.stderr)
        return 2
    an = Analyzer(weights=args.weights, isa=args.isa)
    step = 16000 * 10  # 10 s per step, for the progress bar
    bar = _Progress(len(pcm), "analyze", len(pcm) > 6 * step)
    feats = []
    for i in range(0, len(pcm), step):
        feats.append(an.process(pcm[i:i + step]))
        bar.update(min(i + step, len(pcm)))
    bar.close()
    out = np.concatenate(feats) if feats else np.zeros((0, 20), np.float32)
    np.save(args.output, out)
    print(f"{args.output}: {out.shape[0]} frames x 20 features ({len(pcm) / 16000:.2f} s)")
    return 0


def _synth(args: argparse.Namespace) -> int:
    import numpy as np

    from .audio import write_wav
    from .vocoder import Vocoder

    try:
        feats = np.load(args.features, allow_pickle=False)
    except (OSError, ValueError) as e:
        print(f"dredfast synth: cannot read {args.features}: {e}", file=sys.stderr)
        return 2
    if feats.ndim != 2 or feats.shape[1] < 20:
        print(f"dredfast synth: {args.features}: expected an (n, 20) feature array, got {feats.shape}",
              file=sys.stderr)
        return 2
    try:
        voc = Vocoder(args.vocoder, seed=args.seed, weights=args.weights, isa=args.isa)
    except ValueError as e:
        print(f"dredfast synth: {e}", file=sys.stderr)
        return 2
    # LPCNet also reads FreeDV's own 38/55-column features; anything else is
    # taken as the 20 Opus features followed by extra columns.
    if not (args.vocoder == "lpcnet" and feats.shape[1] in (38, 55)):
        feats = feats[:, :20]
    chunk = 100  # 1 s per step, for the progress bar
    bar = _Progress(len(feats), "synth", len(feats) > 10 * chunk)
    out = []
    for i in range(0, len(feats), chunk):
        try:
            out.append(voc.synthesize(feats[i:i + chunk]))
        except ValueError as e:
            print(f"dredfast synth: {e}", file=sys.stderr)
            return 2
        bar.update(min(i + chunk, len(feats)))
    bar.close()
    pcm = np.concatenate(out) if out else np.zeros(0, np.float32)
    write_wav(args.output, pcm, 16000)
    print(f"{args.output}: {len(pcm) / 16000:.2f} s from {len(feats)} feature frames ({args.vocoder})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dredfast", description="Opus DRED tools (dredfast %s)" % __version__)
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="print the DRED carried by each packet of a .pkts file")
    ins.add_argument("packets", help="packet container: records of uint32-LE length + Opus packet")
    ins.add_argument("--max-ms", type=int, default=1000, help="redundancy to decode per packet (default 1000)")
    ins.add_argument("--latents", action="store_true", help="also print the quantised state and latents")
    ins.add_argument("--only-dred", action="store_true", help="skip packets without DRED")
    ins.add_argument("--json", action="store_true", help="one JSON object per packet")
    ins.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged Opus 1.6.1)")
    ins.add_argument("--isa", default=None, choices=["scalar", "avx2", "avx512"], help="kernel path")
    ins.set_defaults(func=_inspect)
    ana = sub.add_parser("analyze", help="compute the 20 features per 10 ms of a 16 kHz WAV file")
    ana.add_argument("input", help="16 kHz 16-bit WAV (stereo is mixed down)")
    ana.add_argument("-o", "--output", required=True, help="output .npy (frames x 20, float32)")
    ana.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged)")
    ana.add_argument("--isa", default=None, choices=["scalar", "avx2", "avx512"], help="kernel path")
    ana.set_defaults(func=_analyze)
    syn = sub.add_parser("synth", help="synthesise speech from a feature file (.npy, n x 20)")
    syn.add_argument("features", help=".npy array of 10 ms feature frames (n x 20; extra columns ignored)")
    syn.add_argument("-o", "--output", required=True, help="output WAV (16 kHz, 16-bit)")
    syn.add_argument("--vocoder", default="fargan", choices=["fargan", "lpcnet"],
                     help="vocoder (default fargan); lpcnet = FreeDV LPCNet 191005, which also reads "
                          "FreeDV's (n, 38) / (n, 55) features")
    syn.add_argument("--seed", type=int, default=0, help="LPCNet's sampling seed (default 0)")
    syn.add_argument("--weights", default=None, help="DNNw weight blob (default: packaged)")
    syn.add_argument("--isa", default=None, choices=["scalar", "avx2", "avx512"], help="kernel path")
    syn.set_defaults(func=_synth)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "max_ms") and not 0 <= args.max_ms <= 100 * MAX_MS:
        print("dredfast: --max-ms must be between 0 and %d" % (100 * MAX_MS), file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
