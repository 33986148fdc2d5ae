"""Per-call cost of the libopus binding: the compiled one (dredfast._opus, Cython) against
the ctypes layer it replaced (dredfast/_libopus.py at commit 18825be, read with ``git show``).

    taskset -c 1 python benchmarks/bench_libopus_binding.py [--rounds 10] [--reps 2000] [--rev 18825be]

Both bindings drive the same libopus file (the one dredfast's loader picks, or
``DREDFAST_LIBOPUS``) on the same inputs: 16 kHz mono 20 ms packets (24 kb/s VOIP, from
the committed demo clip).  Calls timed, per call:

- ``decode``: ``OpusDecoder.decode(packet)`` (the Python API's decode call; includes
  libopus's own decoding, identical on both sides);
- ``plc``: ``decode(None, 320)`` (libopus concealment);
- ``nb_samples``: ``packet_nb_samples(packet)`` (libopus does almost nothing: close to
  the binding's own overhead);
- ``encode``: ``OpusEncoder.encode(frame)`` (float32 input).

Per call and side: min = fastest round (each round times ``reps`` calls with
``time.perf_counter``), median over rounds; rounds alternate which side goes first.
overhead difference = ctypes - cython per call (the libopus work is the same on both).
The machine is shared: read the min, and expect a few percent of noise on the median.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's in-place build (python setup.py build_ext --inplace)


def load_ctypes_binding(rev: str):
    """The old ctypes module, imported as dredfast._libopus_ctypes (its relative imports
    resolve inside the installed dredfast)."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:dredfast/_libopus.py"], check=True,
                         capture_output=True, text=True).stdout
    import dredfast

    name = "dredfast._libopus_ctypes"
    spec = importlib.util.spec_from_loader(name, loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "dredfast"
    sys.modules[name] = mod
    exec(compile(src, f"{rev}:dredfast/_libopus.py", "exec"), mod.__dict__)
    assert dredfast  # the package must be imported first for the relative imports
    return mod


def per_call(fn, reps: int) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--rev", default="18825be")
    args = ap.parse_args()

    from dredfast import _libopus as new
    from dredfast.audio import read_wav

    old = load_ctypes_binding(args.rev)
    where = new._load().where
    pcm, sr = read_wav(ROOT / "dredfast" / "data" / "demo_speech.wav")
    assert sr == 16000, sr
    pcm = pcm[:16000 * 4]
    frames = [pcm[i:i + 320] for i in range(0, len(pcm) - 319, 320)]
    enc = new.OpusEncoder(16000, 1, "voip", 24000, lib=where)
    pkts = [enc.encode(f) for f in frames]

    sides = {}
    for label, mod in (("ctypes", old), ("cython", new)):
        dec = mod.OpusDecoder(16000, 1, lib=where)
        e = mod.OpusEncoder(16000, 1, "voip", 24000, lib=where)
        it = {"i": 0}

        def decode(dec=dec, it=it):
            it["i"] = (it["i"] + 1) % len(pkts)
            dec.decode(pkts[it["i"]])

        def plc(dec=dec):
            dec.decode(None, 320)

        def nb(dec=dec):
            dec.packet_nb_samples(pkts[0])

        def encode(e=e, it=it):
            it["i"] = (it["i"] + 1) % len(frames)
            e.encode(frames[it["i"]])

        sides[label] = {"decode": decode, "plc": plc, "nb_samples": nb, "encode": encode}
        # same output on both sides (same library, same packets): a sanity check, not a timing
        a = mod.OpusDecoder(16000, 1, lib=where)
        ref = new.OpusDecoder(16000, 1, lib=where)
        for p in pkts[:20]:
            assert np.array_equal(a.decode(p), ref.decode(p))

    results = {k: {"ctypes": [], "cython": []} for k in sides["cython"]}
    for r in range(args.rounds):
        order = ("ctypes", "cython") if r % 2 == 0 else ("cython", "ctypes")
        for call in results:
            for label in order:
                results[call][label].append(per_call(sides[label][call], args.reps))

    print(f"libopus: {new._load(where).version} ({where}); {args.rounds} rounds x {args.reps} calls; "
          f"CPU set {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}")
    print(f"{'call':<11} {'ctypes min':>11} {'cython min':>11} {'ctypes med':>11} {'cython med':>11} "
          f"{'saved min':>10} {'ratio min':>10} {'ratio med':>10}")
    for call, v in results.items():
        cmin, ymin = min(v["ctypes"]), min(v["cython"])
        cmed, ymed = statistics.median(v["ctypes"]), statistics.median(v["cython"])
        print(f"{call:<11} {cmin * 1e6:9.2f}us {ymin * 1e6:9.2f}us {cmed * 1e6:9.2f}us {ymed * 1e6:9.2f}us "
              f"{(cmin - ymin) * 1e6:8.2f}us {cmin / ymin:10.2f} {cmed / ymed:10.2f}")
    print("ratio = ctypes / cython (above 1: the compiled binding is faster)")


if __name__ == "__main__":
    main()
