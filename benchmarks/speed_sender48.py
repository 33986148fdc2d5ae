"""The DRED sender's cost per input format: CPU seconds per second of audio.

    taskset -c 1 python benchmarks/speed_sender48.py [--isa avx2] [--rounds 15] [--callgrind]
                                                     [--formats 16k-mono,48k-mono,48k-stereo]

DredEncoder.push of 1 s of speech (50 packets, libopus's 96 kb/s budget: 26 latents
per packet, the most coding work) from 16 kHz mono and from 8/12/24/48 kHz mono and
stereo input (the speech's samples repeated or dropped to the rate; the right channel a scaled copy), and the
input stage alone (input filter + libopus's conversion to 16 kHz: DredEncoderCore.convert,
50 calls from Python).  The DredEncoder runs include its construction, as in
test_bench_dred_encoder.py.
The formats run alternately, round after round; min and median over the rounds.
--callgrind adds instructions per second of audio (valgrind; AVX2 or scalar path).
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1] / "tests"
FORMATS = [(16000, 1), (48000, 1), (48000, 2), (24000, 2), (12000, 1), (8000, 1)]


def frames(fs, ch):
    z = np.load(TESTS / "data" / "dred_encoder_subset.npz")
    x = z["pcm"][-50 * 320:].astype(np.float32) / 32768
    # a workload at the rate, not a resampler: samples repeated or dropped
    x = x[np.arange(len(x) * fs // 16000) * 16000 // fs]
    if ch == 2:
        x = np.stack([x, 0.7 * x], 1).astype(np.float32)
    n = fs // 50
    return [np.ascontiguousarray(x[i * n:(i + 1) * n]) for i in range(50)]


def jobs(isa):
    import dredfast
    from dredfast import _core
    from dredfast._weights import resolve
    blob = resolve(None)._blob
    out = {}
    for fs, ch in FORMATS:
        fr = frames(fs, ch)
        flat = [f.reshape(-1) for f in fr]

        def encode(fs=fs, ch=ch, fr=fr):
            enc = dredfast.DredEncoder(fs, channels=ch, primary_bitrate=96000, isa=isa)
            for f in fr:
                enc.push(f)

        core = _core.DredEncoderCore(blob, 0, fs, ch, 64)  # built once: the model set-up is not timed

        def convert(core=core, flat=flat):
            for f in flat:
                core.convert(f, 60)
        out[f"{fs // 1000}k-{'stereo' if ch == 2 else 'mono'}"] = (encode, convert)
    return out


CG_SCRIPT = """
import sys
sys.path.insert(0, {bench!r})
import speed_sender48 as s
j = s.jobs({isa!r})[{fmt!r}][{which}]
for _ in range({reps}):
    j()
"""


def instructions(isa, fmt, which, reps):
    """Instructions per second of audio: callgrind of reps runs minus 0 runs."""
    counts = []
    for r in (0, reps):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "cg.out"
            code = CG_SCRIPT.format(bench=str(Path(__file__).parent), isa=isa, fmt=fmt, which=which, reps=r)
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code],
                           check=True, capture_output=True)
            for line in out.read_text().splitlines():
                if line.startswith("summary:") or line.startswith("totals:"):
                    counts.append(int(line.split()[1]))
                    break
    return (counts[1] - counts[0]) / reps / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--isa", default=None)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--formats", default=None, help="comma-separated, e.g. 16k-mono,48k-stereo (default: all)")
    args = ap.parse_args()
    import dredfast
    isa = args.isa or dredfast.available_isas()[-1]
    js = jobs(isa)
    if args.formats:
        js = {k: v for k, v in js.items() if k in args.formats.split(",")}
    times = {k: ([], []) for k in js}
    for k, (enc, conv) in js.items():  # warm up
        enc(), conv()
    for _ in range(args.rounds):
        for k, (enc, conv) in js.items():
            for i, fn in enumerate((enc, conv)):
                t0 = time.process_time_ns()
                fn()
                times[k][i].append((time.process_time_ns() - t0) / 1e9)  # one run = 1 s of audio
    base = statistics.median(times["16k-mono"][0]) if "16k-mono" in times else float("nan")
    print(f"isa {isa}, {args.rounds} alternating rounds; CPU s per s of audio (min / median)")
    cg = args.callgrind and shutil.which("valgrind") and isa != "avx512"
    for k, (te, tc) in times.items():
        line = (f"{k:11s} DredEncoder {min(te):.5f} / {statistics.median(te):.5f} "
                f"(x{statistics.median(te) / base:.2f} of 16k-mono)   input stage {min(tc):.5f} / "
                f"{statistics.median(tc):.5f}")
        if cg:
            line += f"   | {instructions(isa, k, 0, 2):.1f} M instr/s, input stage {instructions(isa, k, 1, 4):.2f} M"
        print(line, flush=True)


if __name__ == "__main__":
    main()
