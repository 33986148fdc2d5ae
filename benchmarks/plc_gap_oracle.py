"""Where PLC-only concealment loses PESQ-WB: an oracle that puts the no-loss decode back
into some of the concealed slots and scores the result.

    python benchmarks/plc_gap_oracle.py [--clips N] [--jobs 2]

For each dev clip (``../shared/speech/dev``, or every ``24 / N``-th with ``--clips N``) and
each of the anchors' five traces, the ``v24`` packets are decoded by ``dredfast.simulate``
with DRED ignored (the ``plc_dredstream`` condition: neural PLC with the default look-ahead
concealment, a lost slot filled once the packet after its gap has arrived, as in the anchors
and ``benchmarks/quality_receiver.py``) and once without loss.  Each variant below replaces a set of lost slots of the
lossy output by the same output samples of the no-loss decode -- as if the concealment had
got those slots exactly right -- and is scored with PESQ-WB against the clean input:

- by position in a gap: its first slot, its last slot, the slots between them, all of them;
- by gap length (slots of 20 ms): gaps of 1, 2-3, 4-8 and 9 or more slots.

A replaced slot joins the concealment around it without a cross-fade, so a splice can cost a
little by itself (a variant can score below the lossy output); the figures bound what better
concealment of those slots could give, they are not a concealment.  Used for issue 15 (the
PLC-only target): it shows which gaps hold the PESQ-WB that concealment loses.
"""
import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the in-place build when run from a checkout
SHARED = ROOT.parent / "shared"

WHOLE_GAP = 100000  # jitter_ms whose look-ahead covers any gap of these traces
POSITION = ("first", "last", "middle", "whole gap")
LENGTH = ("1", "2-3", "4-8", "9+")


def _length_class(n: int) -> str:
    return "1" if n == 1 else "2-3" if n <= 3 else "4-8" if n <= 8 else "9+"


def _gaps(lost: np.ndarray):
    """(first, end) slot index pairs of the runs of lost slots."""
    i, n = 0, len(lost)
    while i < n:
        if not lost[i]:
            i += 1
            continue
        j = i
        while j < n and lost[j]:
            j += 1
        yield i, j
        i = j


def run_one(job):
    """PESQ-WB of the lossy output and of every variant, for one clip and trace."""
    import dredfast
    from dredfast.audio import read_wav
    from dredfast.evaluate.tasks import load_loss, scores
    from dredfast.simulate import DECODER_DELAY, FRAME, simulate
    wav, trace = job
    name = Path(wav).stem
    x = np.asarray(read_wav(wav)[0], np.float32)
    packets = dredfast.read_packets(SHARED / "vectors" / name / "v24.pkts")
    lost = load_loss(trace, len(packets), str(SHARED / "traces"))
    # the anchors' schedule: a lost slot is filled once the packet after its gap has arrived
    y = simulate(x, lost, packets=packets, use_dred=False, jitter_ms=WHOLE_GAP, metrics=False).output
    clean = simulate(x, np.zeros_like(lost), packets=packets, use_dred=False, metrics=False).output

    def span(i):  # output samples of slot i (the output is aligned with the input)
        return slice(max(0, i * FRAME - DECODER_DELAY), max(0, (i + 1) * FRAME - DECODER_DELAY))

    variants = {k: y.copy() for k in POSITION + LENGTH}
    slots = dict.fromkeys(LENGTH, 0)
    for a, b in _gaps(lost):
        cls = _length_class(b - a)
        slots[cls] += b - a
        for s in range(a, b):
            where = [cls, "whole gap"]
            if s == a:
                where.append("first")
            if s == b - 1:
                where.append("last")
            if a < s < b - 1:
                where.append("middle")
            for k in where:
                variants[k][span(s)] = clean[span(s)]
    out = {"lossy": scores(x, y[:len(x)], ("pesq_wb",))["pesq_wb"]}
    for k, v in variants.items():
        out[k] = scores(x, v[:len(x)], ("pesq_wb",))["pesq_wb"]
    return trace, out, slots


def main():
    from dredfast.evaluate import ANCHOR_TRACES
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=0, help="every 24/N-th dev clip (0 = all)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    wavs = sorted(str(p) for p in (SHARED / "speech" / "dev").glob("*.wav"))
    if args.clips:
        wavs = wavs[::max(1, len(wavs) // args.clips)][:args.clips]
    jobs = [(w, t) for t in ANCHOR_TRACES for w in wavs]
    with ProcessPoolExecutor(args.jobs) as ex:
        results = list(ex.map(run_one, jobs))
    keys = ("lossy",) + POSITION + LENGTH
    slots = dict.fromkeys(LENGTH, 0)
    print(f"PESQ-WB, PLC only (v24 packets, DRED ignored), {len(wavs)} clips; "
          "slots replaced by the no-loss decode:")
    print(f"{'trace':40s} " + " ".join(f"{k:>9s}" for k in keys))
    means = {k: [] for k in keys}
    for t in ANCHOR_TRACES:
        rows = [r for tr, r, _ in results if tr == t]
        m = {k: float(np.mean([r[k] for r in rows])) for k in keys}
        for k in keys:
            means[k].append(m[k])
        print(f"{t:40s} " + " ".join(f"{m[k]:9.3f}" for k in keys))
    for _, _, s in results:
        for k in LENGTH:
            slots[k] += s[k]
    print(f"{'mean of the traces':40s} " + " ".join(f"{np.mean(means[k]):9.3f}" for k in keys))
    total = sum(slots.values())
    print("lost slots by gap length: " + ", ".join(f"{k}: {slots[k]} ({100 * slots[k] / total:.0f} %)"
                                                  for k in LENGTH))


if __name__ == "__main__":
    main()
