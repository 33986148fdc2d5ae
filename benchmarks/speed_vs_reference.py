"""Prints dredfast's costs beside libopus 1.6.1's (../shared/docs/ANCHORS.md).

The ANCHOR times below were measured on the project's first (Intel Xeon) machines, so
the time ratios printed here mix two CPUs: use benchmarks/speed_gate.py for ratios
(measured side by side).  What this script adds is the callgrind instruction counts.

    taskset -c 1 python benchmarks/speed_vs_reference.py [--callgrind]

- DRED: parse + features() of a packet carrying 26 latents (1.04 s), from Python.
- FARGAN: CPU seconds per second of synthesised audio.
- DRED encoding: CPU seconds per second of speech (DredEncoder.push of 50 packets,
  libopus's 96 kb/s budget: 26 latents per packet, the most coding work).
Medians of CPU time (time.process_time_ns) over repeated runs, per kernel path.
--callgrind also counts instructions (valgrind has no AVX-512, so it measures the
scalar and AVX2 paths; start-up is removed by subtracting a run with 0 calls).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

ANCHOR = {"dred_ms": 0.17, "dred_minstr": 2.06, "fargan_rtf": 0.0064, "fargan_minstr": 66.2,
          "enc_rtf": 0.0028, "enc_minstr": 17.0}


def speech_second():
    import numpy as np
    z = np.load(TESTS / "data" / "dred_encoder_subset.npz")
    x = z["pcm"][-50 * 320:].astype(np.float32) / 32768
    return [x[i * 320:(i + 1) * 320] for i in range(50)]


def inputs():
    import vectors
    c = next(c for c in vectors.subset_cases() if c.nb_latents == 26 and c.features is not None)
    return c.packet, c.features[::-1][:100].copy()


def median_cpu(fn, batches, per_batch):
    fn()
    samples = []
    for _ in range(batches):
        t0 = time.process_time_ns()
        for _ in range(per_batch):
            fn()
        samples.append((time.process_time_ns() - t0) / per_batch / 1e9)
    return statistics.median(samples)


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import numpy as np, dredfast, vectors
c = next(c for c in vectors.subset_cases() if c.nb_latents == 26 and c.features is not None)
dec = dredfast.DredDecoder(isa={isa!r}); voc = dredfast.Vocoder("fargan", isa={isa!r})
f = c.features[::-1][:100].copy()
z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
x = z["pcm"][-50 * 320:].astype(np.float32) / 32768
frames = [x[i * 320:(i + 1) * 320] for i in range(50)]
dec.parse(c.packet).features(); voc.synthesize(f[:2]); dredfast.DredEncoder(isa={isa!r}).push(frames[0])
for _ in range({n}):
    if {what!r} == "dred":
        dec.parse(c.packet, 1000).features()
    elif {what!r} == "dredenc":
        enc = dredfast.DredEncoder(primary_bitrate=96000, isa={isa!r})
        for fr in frames:
            enc.push(fr)
    else:
        voc.reset(); voc.synthesize(f)
"""


def instructions(isa, what, n):
    def total(count):
        with tempfile.TemporaryDirectory() as d:
            script = Path(d, "run.py")
            script.write_text(SCRIPT.format(tests=str(TESTS), isa=isa, n=count, what=what))
            out = Path(d, "cg.out")
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, str(script)],
                           check=True, capture_output=True, env=env)
            for line in out.read_text().splitlines():
                if line.startswith(("totals:", "summary:")):
                    return int(line.split()[1])
        raise RuntimeError("no callgrind total")
    return (total(n) - total(0)) / n / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--callgrind", action="store_true")
    args = ap.parse_args()
    import dredfast
    pkt, feats = inputs()
    frames = speech_second()
    print(f"CPU affinity {sorted(os.sched_getaffinity(0))} (pin with taskset -c 1)")
    print(f"libopus 1.6.1: DRED {ANCHOR['dred_ms']} ms/packet ({ANCHOR['dred_minstr']} M instr); "
          f"FARGAN {ANCHOR['fargan_rtf']} CPU s/s ({ANCHOR['fargan_minstr']} M instr/s); "
          f"DRED encoding {ANCHOR['enc_rtf']} CPU s/s ({ANCHOR['enc_minstr']} M instr/s)")
    cg = args.callgrind and shutil.which("valgrind")
    for isa in dredfast.available_isas():
        dec = dredfast.DredDecoder(isa=isa)
        voc = dredfast.Vocoder("fargan", isa=isa)
        dred_s = median_cpu(lambda: dec.parse(pkt, 1000).features(), 40 if isa != "scalar" else 8, 25)

        def fargan():
            voc.reset()
            voc.synthesize(feats)
        fargan_s = median_cpu(fargan, 15 if isa != "scalar" else 3, 1)

        def encode():
            enc = dredfast.DredEncoder(primary_bitrate=96000, isa=isa)
            for fr in frames:
                enc.push(fr)
        enc_s = median_cpu(encode, 15 if isa != "scalar" else 3, 1)
        line = (f"{isa:7s} DRED {dred_s * 1e3:.4f} ms (x{dred_s * 1e3 / ANCHOR['dred_ms']:.2f})  "
                f"FARGAN {fargan_s:.5f} CPU s/s (x{fargan_s / ANCHOR['fargan_rtf']:.2f})  "
                f"DRED enc {enc_s:.5f} CPU s/s (x{enc_s / ANCHOR['enc_rtf']:.2f})")
        if cg and isa != "avx512":
            di = instructions(isa, "dred", 50)
            fi = instructions(isa, "fargan", 2)
            ei = instructions(isa, "dredenc", 3)
            line += (f"  | DRED {di:.3f} M instr (x{di / ANCHOR['dred_minstr']:.2f}), "
                     f"FARGAN {fi:.1f} M instr/s (x{fi / ANCHOR['fargan_minstr']:.2f}), "
                     f"DRED enc {ei:.1f} M instr/s (x{ei / ANCHOR['enc_minstr']:.2f})")
        print(line)


if __name__ == "__main__":
    main()
