"""Prints dredfast's DRED decoding cost beside libopus 1.6.1's (ANCHORS.md).

    taskset -c 1 python benchmarks/dred_vs_libopus.py [--callgrind]

Times parse + features() of a packet carrying 26 latents (1.04 s) from Python,
per kernel path: median and min of many runs of CPU time (time.process_time_ns
over batches).  --callgrind also counts instructions of the same work under
valgrind (region: 100 calls, divided; interpreter start-up excluded by running
a 0-call baseline and subtracting).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

LIBOPUS_MS = 0.17       # opus_dred_parse + opus_dred_process, AVX2 build, one core
LIBOPUS_MINSTR = 2.06   # callgrind, same work


def packet26():
    import vectors
    return next(c for c in vectors.subset_cases() if c.nb_latents == 26).packet


def time_isa(isa, pkt, batches=60, per_batch=50):
    import dredfast
    dec = dredfast.DredDecoder(isa=isa)
    for _ in range(20):
        dec.parse(pkt, 1000).features()
    samples = []
    for _ in range(batches):
        t0 = time.process_time_ns()
        for _ in range(per_batch):
            dec.parse(pkt, 1000).features()
        samples.append((time.process_time_ns() - t0) / per_batch / 1e6)
    return statistics.median(samples), min(samples)


CG_SCRIPT = """
import sys, dredfast
sys.path.insert(0, {tests!r})
import vectors
pkt = next(c for c in vectors.subset_cases() if c.nb_latents == 26).packet
dec = dredfast.DredDecoder(isa={isa!r})
dec.parse(pkt, 1000).features()
for _ in range({n}):
    dec.parse(pkt, 1000).features()
"""


def callgrind(isa, n):
    tests = str(Path(__file__).resolve().parents[1] / "tests")
    with tempfile.TemporaryDirectory() as d:
        script = Path(d, "run.py")
        script.write_text(CG_SCRIPT.format(tests=tests, isa=isa, n=n))
        out = Path(d, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, str(script)],
                       check=True, capture_output=True)
        for line in out.read_text().splitlines():
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("no callgrind total")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--callgrind", action="store_true")
    args = ap.parse_args()
    import dredfast
    pkt = packet26()
    print(f"affinity: {sorted(os.sched_getaffinity(0))}  (use taskset -c 1 for one core)")
    print(f"libopus 1.6.1 (AVX2): {LIBOPUS_MS:.3f} ms, {LIBOPUS_MINSTR:.2f} M instructions per packet")
    for isa in dredfast.available_isas():
        med, lo = time_isa(isa, pkt)
        line = f"dredfast {isa:7s}: median {med:.4f} ms (min {lo:.4f})  ratio to libopus {med / LIBOPUS_MS:.2f}"
        if args.callgrind and shutil.which("valgrind"):
            n = 100
            per = (callgrind(isa, n) - callgrind(isa, 0)) / n / 1e6
            line += f"  |  {per:.3f} M instr/packet, ratio {per / LIBOPUS_MINSTR:.2f}"
        print(line)


if __name__ == "__main__":
    main()
