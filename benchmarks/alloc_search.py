"""Measures the splits a total bitrate can be spent on, to derive dredfast.allocation.TABLE.

    python benchmarks/alloc_search.py [--totals 16000,24000,40000] [--clips 6] [--out CSV]
    python benchmarks/alloc_search.py --summarize CSV [--plot PNG]

Training data, kept apart from what the allocation is judged on (the dev clips of
../shared/speech under the anchors' five traces):

- speech: ../shared/speech48/dev/16k (other speakers and languages than the dev set;
  en_f_alsa_01, which is also a dev clip, is left out);
- losses: patterns drawn on the spot by dredfast.lossmodels (Gilbert model 10 % / burst 6,
  20 % / burst 3, 25 % / burst 15, libopus's loss generator at 20 %; seeds 101-104, none
  of them the anchors' traces), plus no loss.

Each candidate split (primary share of the total, LBRR, DRED duration; DRED gets the rest)
is encoded by dredfast.Encoder with that Split (its total-rate cap on), decoded by the
Receiver with look-ahead covering the whole gap (as the anchors were decoded), and scored
with PESQ-WB, STOI and PLCMOS.  One CSV row per candidate x clip x trace, with the real mean
bitrate of the packets.  ``--summarize`` prints the means per candidate and trace group and
the best split per total and loss (what TABLE holds), and draws the curve.
"""
import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
FIELDS = ["total", "share", "lbrr", "dred_ms", "clip", "trace", "pesq_wb", "stoi", "plcmos", "kbps"]


def training_clips(n):
    clips = sorted(p for p in (SHARED / "speech48" / "dev" / "16k").glob("*.wav") if p.stem != "en_f_alsa_01")
    if not clips:
        sys.exit("needs ../shared/speech48/dev/16k")
    # Every other clip first, so a few clips still span the languages.
    order = clips[::2] + clips[1::2]
    return order[:n] if n else order


def training_traces(n_packets):
    from dredfast.lossmodels import gilbert_elliott, lossgen
    return {"none": np.zeros(n_packets, bool),
            "ge10_b6": gilbert_elliott(n_packets, 0.10, 6, seed=101),
            "ge20_b3": gilbert_elliott(n_packets, 0.20, 3, seed=102),
            "ge25_b15": gilbert_elliott(n_packets, 0.25, 15, seed=103),
            "lossgen20": lossgen(n_packets, 0.20, seed=104)}


def candidates(total):
    """(share, lbrr, dred_ms) tried at ``total``: the primary's share from all to under
    half, DRED 1 s and 0.5 s, and LBRR in the primary instead of part of the DRED."""
    shares = {16000: (0.5, 0.625, 0.75), 24000: (0.5, 0.583, 0.667, 0.75), 40000: (0.4, 0.5, 0.6, 0.7)}.get(
        total, (0.5, 0.6, 0.7))
    out = [(1.0, False, 0)] + [(s, False, 1000) for s in shares]
    mid = shares[len(shares) // 2]
    out += [(mid, False, 500), (mid, True, 1000)]
    return out


def encode(x, total, share, lbrr, dred_ms, loss_pct=20):
    from dredfast.allocation import Split
    from dredfast.encoder import Encoder
    from dredfast.simulate import FRAME
    primary = int(round(total * share))
    split = Split(primary, lbrr, dred_ms, total - primary if dred_ms else 0)
    enc = Encoder(bitrate=total, packet_loss_pct=loss_pct, allocation=split)
    padded = np.zeros((-(-len(x) // FRAME) + 1) * FRAME, np.float32)
    padded[:len(x)] = x
    return enc.encode_all(padded)


def run(args):
    from dredfast.audio import read_wav
    from dredfast.simulate import simulate
    clips = training_clips(args.clips)
    traces = training_traces(2000)
    totals = [int(t) for t in args.totals.split(",")]
    new = not Path(args.out).exists()
    with open(args.out, "a", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        if new:
            w.writeheader()
        for total in totals:
            for share, lbrr, ms in candidates(total):
                t0 = time.time()
                rows = []
                for clip in clips:
                    x, _ = read_wav(clip)
                    pk = encode(x, total, share, lbrr, ms)
                    for name, lost in traces.items():
                        r = simulate(x, lost, packets=pk, jitter_ms=100000)
                        rows.append(dict(total=total, share=share, lbrr=int(lbrr), dred_ms=ms, clip=clip.stem,
                                         trace=name, kbps=round(r.bitrate / 1000, 3), **r.metrics))
                w.writerows(rows)
                f.flush()
                lossy = [r for r in rows if r["trace"] != "none"]
                print(f"{total} share {share} lbrr {int(lbrr)} dred {ms}: lossy PESQ "
                      f"{np.mean([r['pesq_wb'] for r in lossy]):.3f} PLCMOS {np.mean([r['plcmos'] for r in lossy]):.3f}"
                      f" | no loss {np.mean([r['pesq_wb'] for r in rows if r['trace'] == 'none']):.3f}"
                      f" | {np.mean([r['kbps'] for r in rows]):.2f} kb/s | {time.time() - t0:.0f} s", flush=True)


GROUPS = {"none": ("none",), "low": ("ge10_b6",), "mid": ("ge20_b3", "ge25_b15", "lossgen20")}
GROUP_LOSS = {"none": 0, "low": 10, "mid": 20}


def summarize(path, plot=None):
    rows = list(csv.DictReader(open(path)))
    keys = sorted({(int(r["total"]), float(r["share"]), int(r["lbrr"]), int(r["dred_ms"])) for r in rows})
    table = {}
    print(f"{'total':>6s} {'share':>6s} {'lbrr':>4s} {'dred':>5s} {'kb/s':>6s} | " +
          " | ".join(f"{g:>4s} PESQ PLCMOS" for g in GROUPS))
    for k in keys:
        rs = [r for r in rows if (int(r["total"]), float(r["share"]), int(r["lbrr"]), int(r["dred_ms"])) == k]
        cells = []
        for g, traces in GROUPS.items():
            sel = [r for r in rs if r["trace"] in traces]
            p, m = np.mean([float(r["pesq_wb"]) for r in sel]), np.mean([float(r["plcmos"]) for r in sel])
            cells.append(f"     {p:.3f}  {m:.3f}")
            table.setdefault((k[0], g), []).append((p, m, k))
        kbps = np.mean([float(r["kbps"]) for r in rs])
        print(f"{k[0]:6d} {k[1]:6.3f} {k[2]:4d} {k[3]:5d} {kbps:6.2f} | " + " | ".join(cells))
    print("\nbest by mean PESQ-WB (TABLE rows: total, loss, share, lbrr, dred_ms):")
    for (total, g), cands in sorted(table.items()):
        p, m, k = max(cands)
        print(f"    ({total}, {GROUP_LOSS[g]}, {k[1]}, {bool(k[2])}, {k[3]}),  # PESQ {p:.3f} PLCMOS {m:.3f}")
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        for total in sorted({k[0] for k in keys}):
            for i, metric in enumerate(("pesq_wb", "plcmos")):
                for g, style in (("mid", "-o"), ("low", "--s"), ("none", ":^")):
                    pts = []
                    for k in keys:
                        if k[0] != total or k[2] or k[3] not in (0, 1000):
                            continue
                        sel = [float(r[metric]) for r in rows if r["trace"] in GROUPS[g] and
                               (int(r["total"]), float(r["share"]), int(r["lbrr"]), int(r["dred_ms"])) == k]
                        pts.append((k[1], np.mean(sel)))
                    pts.sort()
                    ax[i].plot([p[0] for p in pts], [p[1] for p in pts], style, label=f"{total // 1000} kb/s, {g} loss")
                ax[i].set_xlabel("primary share of the total (rest: DRED 1 s)")
                ax[i].set_ylabel(metric)
        ax[0].legend(fontsize=7)
        fig.suptitle("Training speech (speech48/16k) x generated losses: quality vs split")
        fig.tight_layout()
        fig.savefig(plot, dpi=100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--totals", default="16000,24000,40000")
    ap.add_argument("--clips", type=int, default=6)
    ap.add_argument("--out", default="alloc_search.csv")
    ap.add_argument("--summarize", default=None)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    if args.summarize:
        summarize(args.summarize, args.plot)
    else:
        run(args)


if __name__ == "__main__":
    main()
