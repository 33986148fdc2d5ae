"""Rate-quality frontier: dredfast's automatic split vs libopus 1.6.1's own at the same totals.

    python benchmarks/rate_quality.py [--totals 24000,40000] [--clips N] [--loss-pct 20]
        [--jobs 1] [--out results.json]

For each total bitrate, every dev clip of ../shared/speech is encoded by
``dredfast.Encoder(bitrate=TOTAL, packet_loss_pct=20, allocation="auto")`` and decoded by
dredfast.Receiver under each of the anchors' five traces and without loss, with the
jitter-buffer look-ahead covering the whole gap (a lost frame is filled once the next
packet has arrived, as the anchors were decoded by opus_demo).  Scores: PESQ-WB, STOI,
PLCMOS (dredfast.metrics, as the anchors), and the real mean bitrate of the packets.

dredfast's primary is coded (and every stream decoded) by the libopus dredfast loads
(``DREDFAST_LIBOPUS`` or the usual search: dredfast/_libopus.py); the header line names it.
A wheel carries libopus 1.6.1, the same encoder as the anchors'.

libopus's side at the same total (20 % loss signalled, DRED 1 s requested, no LBRR: its
budget rules take DRED's share out of the total):

- 24 and 40 kb/s: the anchors (../shared/vectors/quality_anchor_dev.csv, ``dred`` and
  ``noloss_dredstream`` rows: libopus 1.6.1 encoder and decoder);
- other totals: packets written by libopus 1.6.1 (the reference of
  ../shared/tools/reference, through tools/libopus_dred_trace/enc_trace.c compiled against
  it, settings as ../shared/vectors: VOIP, complexity 9, VBR, bandwidth automatic), decoded
  by dredfast.Receiver (which scores as libopus's decoder does on libopus's packets:
  README); skipped with a note when the reference is not built.  Its real bitrate is
  measured from these packets (also at 24 and 40 kb/s when the reference exists; at 24
  kb/s ../shared/vectors' own v24 packets are used otherwise).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
SHARED = ROOT.parent / "shared"
TRACES = ["lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss10_burst8_seed1.txt",
          "synthetic/ge_loss20_burst25_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt",
          "synthetic/ge_loss30_burst8_seed1.txt"]
ANCHOR_TOTALS = (24000, 40000)
METRICS = ("pesq_wb", "stoi", "plcmos")


def reference_encoder(workdir):
    """tools/libopus_dred_trace/enc_trace.c built against the reference libopus 1.6.1, or None."""
    ref = Path(os.environ.get("DREDFAST_REFERENCE", Path.home() / ".cache" / "dredfast-reference"))
    lib, inc = ref / "opus-1.6.1" / ".libs" / "libopus.a", ref / "opus-1.6.1" / "include"
    if not lib.exists():
        return None
    exe = Path(workdir) / "enc_trace"
    src = ROOT / "tools" / "libopus_dred_trace" / "enc_trace.c"
    subprocess.run(["gcc", "-O2", f"-I{inc}", str(src), str(lib), "-lm", "-o", str(exe)], check=True)
    return exe


def libopus_packets(exe, clip, total, workdir):
    from dredfast import read_packets
    from dredfast.audio import read_wav
    x, _ = read_wav(SHARED / "speech" / "dev" / f"{clip}.wav")
    raw, out = Path(workdir) / f"{clip}.raw", Path(workdir) / f"{clip}_{total}.pkts"
    np.round(np.clip(x, -1, 32767 / 32768) * 32768).astype("<i2").tofile(raw)
    subprocess.run([str(exe), str(raw), "1", str(total), "0", "2048", "16000", str(out), "auto"], check=True)
    return read_packets(out)


def own_packets(x, total, loss_pct):
    from dredfast.encoder import Encoder
    from dredfast.simulate import FRAME
    enc = Encoder(bitrate=total, packet_loss_pct=loss_pct, allocation="auto")
    # One packet more than the signal needs, as the reference vectors (decoder delay).
    padded = np.zeros((-(-len(x) // FRAME) + 1) * FRAME, np.float32)
    padded[:len(x)] = x
    return enc.encode_all(padded), enc.split


def run_clip(job):
    """All traces of one clip for one side (``ours`` or ``libopus`` packets)."""
    import dredfast
    from dredfast.audio import read_wav
    from dredfast.simulate import simulate
    clip, total, side, loss_pct, pkts_path = job
    x, _ = read_wav(SHARED / "speech" / "dev" / f"{clip}.wav")
    if side == "ours":
        pk, split = own_packets(x, total, loss_pct)
    else:
        pk, split = dredfast.read_packets(pkts_path), None
    out = []
    for trace in ["none"] + TRACES:
        lost = np.zeros(len(pk), bool) if trace == "none" else dredfast.load_trace(SHARED / "traces" / trace)
        r = simulate(x, lost, packets=pk, jitter_ms=100000)
        out.append({"clip": clip, "total": total, "side": side, "trace": trace, "kbps": r.bitrate / 1000,
                    **r.metrics, **({"split": split.__dict__} if split else {})})
    return out


def mean(rows, metric, lossy):
    sel = [r[metric] for r in rows if (r["trace"] != "none") == lossy]
    return float(np.mean(sel)) if sel else float("nan")


def main():
    import vectors
    ap = argparse.ArgumentParser()
    ap.add_argument("--totals", default="24000,40000")
    ap.add_argument("--clips", type=int, default=0, help="only the first N dev clips (0 = all 24)")
    ap.add_argument("--loss-pct", type=int, default=20, help="expected loss the senders are told")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if not (SHARED / "speech" / "dev").is_dir():
        sys.exit("needs ../shared")
    clips = vectors.clip_names()[: args.clips or None]
    totals = [int(t) for t in args.totals.split(",")]
    anchor = {}
    for r in csv.DictReader(open(SHARED / "vectors" / "quality_anchor_dev.csv")):
        anchor[(int(r["bitrate"]), r["clip"], r["trace"], r["condition"])] = r
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        exe = reference_encoder(tmp)
        jobs, libopus_rate = [], {}
        for total in totals:
            jobs += [(c, total, "ours", args.loss_pct, None) for c in clips]
            if exe is not None:
                paths = []
                for c in clips:
                    pk = libopus_packets(exe, c, total, tmp)
                    paths.append(Path(tmp) / f"{c}_{total}.pkts")
                    libopus_rate.setdefault(total, []).append((sum(map(len, pk)), len(pk)))
                if total not in ANCHOR_TOTALS:
                    jobs += [(c, total, "libopus", args.loss_pct, str(p)) for c, p in zip(clips, paths)]
            elif total == 24000:
                for c in clips:
                    pk = dredfast_read(SHARED / "vectors" / c / "v24.pkts")
                    libopus_rate.setdefault(total, []).append((sum(map(len, pk)), len(pk)))
        with ProcessPoolExecutor(args.jobs) as ex:
            for rows in ex.map(run_clip, jobs):
                results += rows
    from dredfast._libopus import libopus_version
    print(f"{len(clips)} dev clips x {len(TRACES)} anchor traces (lossy) and no loss; look-ahead covers the gap; "
          f"senders told {args.loss_pct} % loss; dredfast's primary encoder and decoder: {libopus_version()}")
    print(f"{'total':>6s} | {'dredfast auto: lossy PESQ STOI PLCMOS':>38s} | {'no loss PESQ PLCMOS':>19s} | {'kb/s':>5s} || "
          f"{'libopus 1.6.1: lossy PESQ STOI PLCMOS':>38s} | {'no loss PESQ PLCMOS':>19s} | {'kb/s':>5s} || dPESQ dPLCMOS")
    summary = []
    for total in totals:
        ours = [r for r in results if r["total"] == total and r["side"] == "ours"]
        o = [mean(ours, m, True) for m in METRICS] + [mean(ours, "pesq_wb", False), mean(ours, "plcmos", False)]
        okbps = np.mean([r["kbps"] for r in ours if r["trace"] == "none"])
        if total in ANCHOR_TOTALS:
            rows = [anchor[(total, c, t, "dred")] for c in clips for t in TRACES]
            nl = [anchor[(total, c, "none", "noloss_dredstream")] for c in clips]
            ref = [float(np.mean([float(r[m]) for r in rows])) for m in METRICS]
            ref += [float(np.mean([float(r["pesq_wb"]) for r in nl])), float(np.mean([float(r["plcmos"]) for r in nl]))]
            src = "anchors"
        else:
            lo = [r for r in results if r["total"] == total and r["side"] == "libopus"]
            ref = [mean(lo, m, True) for m in METRICS] + [mean(lo, "pesq_wb", False), mean(lo, "plcmos", False)]
            src = "reference encoder + dredfast.Receiver" if lo else "not built"
        rates = libopus_rate.get(total)
        lkbps = 8 * sum(b for b, _ in rates) / (0.02 * sum(n for _, n in rates)) / 1000 if rates else float("nan")
        print(f"{total // 1000:4d}k  | {o[0]:14.3f} {o[1]:6.3f} {o[2]:6.3f}    | {o[3]:10.3f} {o[4]:6.3f}   | "
              f"{okbps:5.1f} || {ref[0]:14.3f} {ref[1]:6.3f} {ref[2]:6.3f}    | {ref[3]:10.3f} {ref[4]:6.3f}   | "
              f"{lkbps:5.1f} || {o[0] - ref[0]:+.3f} {o[2] - ref[2]:+.3f}   ({src})")
        split = next(r["split"] for r in ours)
        summary.append({"total": total, "split": split, "ours": dict(zip(METRICS + ("noloss_pesq_wb", "noloss_plcmos"), o)),
                        "ours_kbps": float(okbps), "libopus": dict(zip(METRICS + ("noloss_pesq_wb", "noloss_plcmos"), ref)),
                        "libopus_kbps": lkbps, "libopus_source": src})
    print("\nper trace, PESQ-WB / PLCMOS (dredfast auto | libopus):")
    for total in totals:
        for t in TRACES:
            ours = [r for r in results if r["total"] == total and r["side"] == "ours" and r["trace"] == t]
            if total in ANCHOR_TOTALS:
                lo = [{m: float(anchor[(total, c, t, "dred")][m]) for m in METRICS} for c in clips]
            else:
                lo = [r for r in results if r["total"] == total and r["side"] == "libopus" and r["trace"] == t]
            f = lambda rs, m: np.mean([r[m] for r in rs]) if rs else float("nan")  # noqa: E731
            print(f"  {total // 1000}k {t:40s} {f(ours, 'pesq_wb'):.3f} / {f(ours, 'plcmos'):.3f} | "
                  f"{f(lo, 'pesq_wb'):.3f} / {f(lo, 'plcmos'):.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "rows": results}, indent=1))


def dredfast_read(path):
    from dredfast import read_packets
    return read_packets(path)


if __name__ == "__main__":
    main()
