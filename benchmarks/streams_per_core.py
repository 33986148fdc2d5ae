"""Streams per core: N independent dredfast.Receivers interleaved in one thread, beside
N libopus 1.6.1 decoders doing the same (issue 16).

    taskset -c 1 python benchmarks/streams_per_core.py [--streams 1,10,100,1000]
        [--audio-seconds 600] [--rounds 3] [--vocoder fargan] [--jitter-ms gap]

Each stream is a dev clip's ``v24`` packets of ../shared/vectors (24 kb/s with DRED, libopus
1.6.1's own packets), looped to the stream's length; streams cycle through the clips and
each has its own loss: a 20 % bursty Gilbert-Elliott trace (``ge_loss20_burst8_seed1`` and
``_seed2`` of ../shared/traces/synthetic, alternating) read from its own offset.  Every
stream gets ``--audio-seconds / N`` seconds (at least 2 s), so each N decodes about the
same total audio.

One tick = 20 ms: in tick t every stream handles its slot t (a server's loop).  A lost slot
is filled as libopus's reference bench fills it (opus_demo -dred): with the whole gap up to
the next packet that arrived in the jitter buffer (``--jitter-ms gap``, capped at 1 s), so
both sides recover the same frames from DRED; ``--jitter-ms 60`` gives ours a 60 ms buffer
instead (then fewer frames come from DRED).

The reference side is ``benchmarks/c/streams_libopus.c`` compiled here against the
reference static library (../shared/tools/reference/build.sh; nothing of it is committed):
N OpusDecoder + OpusDREDDecoder + OpusDRED, interleaved the same way, fed the same slots.

Figures: real-time streams per core = audio seconds decoded per CPU second (process CPU
time of the decoding loop only; one core: run under ``taskset -c 1``), min and median over
``--rounds`` alternating rounds; ratio = ours / libopus (above 1: more streams per core
than libopus).  Memory per stream = RSS growth from creating the N receivers and running
them, divided by N (libopus: its RSS growth and the sizes its ``*_get_size`` report).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # the in-place build when run from a checkout
TRACES = ("synthetic/ge_loss20_burst8_seed1.txt", "synthetic/ge_loss20_burst8_seed2.txt")
HARNESS = ROOT / "benchmarks" / "c" / "streams_libopus.c"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def make_streams(shared: Path, n: int, slots: int):
    """Per stream: its list of slots (packet bytes, or None when lost)."""
    import dredfast
    import vectors
    clips = [c for c in vectors.clip_names() if (shared / "vectors" / c / "v24.pkts").is_file()]
    pkts = {c: dredfast.read_packets(shared / "vectors" / c / "v24.pkts") for c in clips}
    traces = [dredfast.load_trace(shared / "traces" / t) for t in TRACES]
    streams = []
    for s in range(n):
        p = pkts[clips[s % len(clips)]]
        lost = traces[s % len(traces)]
        off = (s * 137) % len(lost)  # its own stretch of the trace
        streams.append([None if lost[(off + t) % len(lost)] else p[t % len(p)] for t in range(slots)])
    return streams


def write_streams(path: Path, streams) -> None:
    with open(path, "wb") as f:
        f.write(b"DFST" + struct.pack("<II", len(streams), len(streams[0])))
        for st in streams:
            for p in st:
                b = p or b""
                f.write(struct.pack("<H", len(b)) + b)


def with_lookahead(stream, depth: int):
    """(packet, lookahead) per slot: for a lost slot, the slots after it up to and including
    the next packet that arrived (at most ``depth`` slots)."""
    out = []
    n = len(stream)
    for t, p in enumerate(stream):
        if p is not None:
            out.append((p, ()))
            continue
        ahead = []
        for m in range(t + 1, min(n, t + 1 + depth)):
            ahead.append(stream[m])
            if stream[m] is not None:
                break
        while ahead and ahead[-1] is None:
            ahead.pop()
        out.append((None, tuple(ahead)))
    return out


def run_ours(streams, vocoder: str, depth: int):
    """Decodes all streams interleaved; returns (cpu_s, audio_s, kinds, rss_per_stream)."""
    import dredfast
    feed = [with_lookahead(s, depth) for s in streams]
    gc.collect()
    r0 = rss_bytes()
    rxs = [dredfast.Receiver(16000, vocoder=vocoder) for _ in streams]
    r1 = rss_bytes()
    slots = len(streams[0])
    samples = 0
    kinds: dict = {}
    t0 = time.process_time()
    for t in range(slots):
        for rx, f in zip(rxs, feed):
            p, ahead = f[t]
            samples += len(rx.decode(p, lookahead=ahead))
    cpu = time.process_time() - t0
    r2 = rss_bytes()
    for rx in rxs:
        for k, v in rx.stats.as_dict().items():
            kinds[k] = kinds.get(k, 0) + v
    n = len(streams)
    del rxs
    return cpu, samples / 16000, kinds, (r1 - r0) / n, (r2 - r0) / n


def warm_up(shared: Path, vocoder: str) -> None:
    """One receiver run before measuring: libopus, the weights and everything loaded once
    per process then count against no N (they are shared by all receivers)."""
    import dredfast
    rx = dredfast.Receiver(16000, vocoder=vocoder)
    for p, ahead in with_lookahead(make_streams(shared, 1, 200)[0], 50):
        rx.decode(p, lookahead=ahead)


def build_harness() -> Path:
    ref = Path(os.environ.get("DREDFAST_REFERENCE", Path.home() / ".cache" / "dredfast-reference"))
    lib = ref / "opus-1.6.1" / ".libs" / "libopus.a"
    if not lib.is_file():
        subprocess.run([str(ROOT.parent / "shared" / "tools" / "reference" / "build.sh")], check=True,
                       stdout=subprocess.DEVNULL)
    exe = ref / "streams_libopus"
    if not exe.is_file() or exe.stat().st_mtime < HARNESS.stat().st_mtime:
        subprocess.run(["gcc", "-O2", "-I", str(ref / "opus-1.6.1" / "include"), "-o", str(exe), str(HARNESS),
                        str(lib), "-lm"], check=True)
    return exe


def run_libopus(exe: Path, path: Path):
    r = subprocess.run([str(exe), str(path)], check=True, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    import vectors
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--streams", default="1,10,100,1000")
    ap.add_argument("--audio-seconds", type=float, default=600.0, help="total audio per N (split over streams)")
    ap.add_argument("--min-seconds", type=float, default=2.0, help="shortest stream")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--vocoder", default="fargan", choices=["fargan", "lpcnet"])
    ap.add_argument("--jitter-ms", default="gap", help="'gap' (whole gap, as libopus's bench) or a buffer in ms")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    shared = vectors.shared_dir()
    if shared is None:
        sys.exit("needs ../shared (the reference vectors and traces)")
    depth = 50 if args.jitter_ms == "gap" else max(0, int(args.jitter_ms) // 20)
    exe = build_harness()
    warm_up(shared, args.vocoder)
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:
        cpus = []
    print(f"CPUs allowed: {cpus} (run under taskset -c 1 for one core); load average {os.getloadavg()[0]:.1f}")
    print(f"{'N':>5s} {'s/stream':>8s} | {'ours streams/core':>17s} {'libopus':>9s} {'ratio':>6s} | "
          f"{'ours MB/stream':>14s} {'libopus':>8s} | kinds (ours; libopus dred/plc)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.streams.split(",")]:
            secs = max(args.min_seconds, args.audio_seconds / n)
            slots = int(round(secs * 50))
            streams = make_streams(shared, n, slots)
            path = Path(tmp) / f"streams{n}.bin"
            write_streams(path, streams)
            ours, ref = [], []
            for _ in range(args.rounds):  # alternating rounds, the reference first
                ref.append(run_libopus(exe, path))
                ours.append(run_ours(streams, args.vocoder, depth))
            ours_rt = [a / c for c, a, *_ in ours]
            ref_rt = [r["audio_s"] / r["cpu_s"] for r in ref]
            # Memory: the first round's (later rounds reuse the heap the previous round's
            # receivers freed, so their RSS growth says nothing).
            mem_ours = ours[0][4]
            mem_ref = ref[0]["rss_delta"] / n
            row = {"streams": n, "seconds_per_stream": secs, "ours_rt_max": max(ours_rt),
                   "ours_rt_median": statistics.median(ours_rt), "libopus_rt_max": max(ref_rt),
                   "libopus_rt_median": statistics.median(ref_rt),
                   "ratio_best": max(ours_rt) / max(ref_rt),
                   "ratio_median": statistics.median(ours_rt) / statistics.median(ref_rt),
                   "ours_rss_per_stream_created": ours[0][3], "ours_rss_per_stream": mem_ours,
                   "libopus_rss_per_stream": mem_ref, "libopus_bytes_each": ref[0]["bytes_each"],
                   "ours_kinds": ours[0][2], "libopus_kinds": {k: ref[0][k] for k in ("normal", "dred", "plc")},
                   "audio_s": ours[0][1]}
            rows.append(row)
            print(f"{n:5d} {secs:8.1f} | {max(ours_rt):8.0f} ({statistics.median(ours_rt):6.0f}) "
                  f"{max(ref_rt):5.0f} ({statistics.median(ref_rt):4.0f}) {row['ratio_best']:6.2f} | "
                  f"{mem_ours / 1e6:14.3f} {mem_ref / 1e6:8.3f} | {ours[0][2]}; "
                  f"{ref[0]['dred']}/{ref[0]['plc']}", flush=True)
    print("streams/core = audio s per CPU s: best (median) of the rounds; ratio = ours / libopus 1.6.1 (best)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
