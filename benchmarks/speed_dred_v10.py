"""DRED decoding speed on version-10 packets (libopus 1.5.x) beside libopus 1.5.2's.

    python benchmarks/speed_dred_v10.py [--rounds 5] [--reps 200] [--core 1] [--isa avx2]

Same packets on both sides, from ../shared/vectors152/en_f_allison_01: v96 packet 57 (26
latents, 1.04 s of features) and v24 packet 100 (4 latents).  libopus 1.5.2 side:
``bench-1.5.2 dred FILE INDEX REPS`` (built by tools/reference/build.sh): opus_dred_parse
with processing (the RDO-VAE decoder), max_dred_samples 16000 (1 s at 16 kHz), process CPU
time per call.  dredfast side: ``DredDecoder.parse(packet, 1000).features()`` (range
decoding + the RDO-VAE decoder, Python call overhead included), process CPU time per call,
in a child process.  Both pinned to one core (taskset), run alternately for ``--rounds``
rounds; per side the best-of-reps and median-of-reps figures are collected over rounds and
their min and median printed, with the ratio dredfast / libopus (< 1: dredfast faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CACHE = Path(os.environ.get("DREDFAST_REFERENCE", Path.home() / ".cache" / "dredfast-reference"))
CASES = [("v96.pkts", 57), ("v24.pkts", 100)]

CHILD = r"""
import json, sys, time, dredfast
path, index, reps, isa = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pkt = dredfast.read_packets(path)[index]
dec = dredfast.DredDecoder(isa=None if isa == "best" else isa)
d = dec.parse(pkt, 1000)
assert d.version == 10
d.features()
t = []
for _ in range(reps):
    t0 = time.process_time()
    for _ in range(10):
        dec.parse(pkt, 1000).features()
    t.append((time.process_time() - t0) / 10)
t.sort()
print(json.dumps({"nb_latents": d.num_latents, "best": t[0], "median": t[len(t) // 2], "isa": dec.isa}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--core", default="1")
    ap.add_argument("--isa", default="best", help="dredfast kernel path (libopus 1.5.2 uses AVX2 at most)")
    ap.add_argument("--bench152", default=str(CACHE / "bench-1.5.2"))
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name, index in CASES:
        path = SHARED / "vectors152" / "en_f_allison_01" / name
        ours, ref = [], []
        for _ in range(args.rounds):
            out = subprocess.run(["taskset", "-c", args.core, args.bench152, "dred", str(path), str(index),
                                  str(args.reps)], capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            ref.append((r["cpu_s_per_call"], r["median_s_per_call"]))
            out = subprocess.run(["taskset", "-c", args.core, sys.executable, "-c", CHILD, str(path), str(index),
                                  str(args.reps // 10 or 1), args.isa], capture_output=True, text=True, check=True,
                                 env=env).stdout
            o = json.loads(out)
            ours.append((o["best"], o["median"]))
        rb = [x[0] for x in ref]
        ob = [x[0] for x in ours]
        rm = [x[1] for x in ref]
        om = [x[1] for x in ours]
        print(f"{name} packet {index} ({o['nb_latents']} latents, dredfast {o['isa']}), {args.rounds} alternating "
              f"rounds on core {args.core}:")
        print(f"  libopus 1.5.2: best {min(rb) * 1e3:.4f} ms, median {statistics.median(rm) * 1e3:.4f} ms per packet")
        print(f"  dredfast     : best {min(ob) * 1e3:.4f} ms, median {statistics.median(om) * 1e3:.4f} ms per packet")
        print(f"  ratio dredfast/libopus: best {min(ob) / min(rb):.3f}, median "
              f"{statistics.median(om) / statistics.median(rm):.3f}")


if __name__ == "__main__":
    main()
