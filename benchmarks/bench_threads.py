#!/usr/bin/env python3
"""Does the GIL get out of the way?  2 threads vs 1 thread, per model.

For each workload, one unit of work runs on its own object (shared weights):

* ``dred``:     DredDecoder.parse + features, 50 times over the 60 committed
                packets, max_ms 1040 (51 DRED packets, 2..26 latents);
* ``analysis``: Analyzer.process on 60 s of speech;
* ``fargan``:   FARGAN synthesis of 30 s from the speech's features;
* ``lpcnet``:   LPCNet synthesis of 4 s.
(each about 0.1-0.3 s on one core).

``t1`` = wall time of one thread doing one unit; ``t2`` = wall time of two
threads doing one unit each at the same time (each with its own object).
Speed-up = 2 * t1 / t2: 2.0 = perfect scaling on 2 cores, 1.0 = fully
serialised (GIL held).  Medians over ``--repeat`` rounds.

Needs 2 free cores to show 2.0.  On a shared machine the figure is lower and
noisy, so each round also times ``p2``: two *processes* doing one unit each
(no GIL at all between them), interleaved with the thread runs so both see
the same load.  ``2 * t1 / p2`` is what the machine allows at that moment;
``p2 / t2`` (threads vs processes) near 1.0 means the GIL costs nothing and
what is missing to 2.0 is other load on the cores.

    python benchmarks/bench_threads.py [--repeat 5] [--only dred fargan]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from importlib import resources
from pathlib import Path

import numpy as np

import dredfast
from dredfast.audio import read_wav
from dredfast.vocoder import opus_to_lpcnet_features

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import vectors  # noqa: E402


def workloads(weights):
    pcm, _ = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    pcm = np.tile(pcm, 20)[:60 * 16000]                 # 60 s
    feats = dredfast.analyze(pcm, weights=weights)
    lfeats = opus_to_lpcnet_features(feats[:400])
    packets = vectors.read_pkts(vectors.subset_pkts_path("v96")) * 50

    def dred():
        dec = dredfast.DredDecoder(weights)
        return lambda: [d.features() for d in (dec.parse(p, 1040) for p in packets) if d is not None]

    def analysis():
        an = dredfast.Analyzer(weights=weights)
        return lambda: (an.reset(), an.process(pcm))

    def fargan():
        v = dredfast.Vocoder("fargan", weights=weights)

        def run():
            v.reset()
            v.prime(pcm[480:800], feats[:5])
            v.synthesize(feats[5:3005])
        return run

    def lpcnet():
        v = dredfast.Vocoder("lpcnet", seed=1)
        return lambda: (v.reset(), v.synthesize(lfeats))

    return {"dred": dred, "analysis": analysis, "fargan": fargan, "lpcnet": lpcnet}


def timed_parallel(jobs) -> float:
    barrier = threading.Barrier(len(jobs) + 1)

    def target(job):
        barrier.wait()
        job()

    threads = [threading.Thread(target=target, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def _process_worker(make, start, done, rounds: int) -> None:
    job = make()
    job()                                            # warm-up
    for _ in range(rounds):
        start.wait()
        job()
        done.wait()


class ProcessPair:
    """Two forked processes, each with its own object, running one unit per round together."""

    def __init__(self, make, rounds: int):
        ctx = mp.get_context("fork")
        self.start, self.done = ctx.Barrier(3), ctx.Barrier(3)
        self.procs = [ctx.Process(target=_process_worker, args=(make, self.start, self.done, rounds))
                      for _ in range(2)]
        for p in self.procs:
            p.start()

    def round(self) -> float:
        self.start.wait()
        t0 = time.perf_counter()
        self.done.wait()
        return time.perf_counter() - t0

    def close(self) -> None:
        for p in self.procs:
            p.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="workloads to run (default: all)")
    args = ap.parse_args()
    weights = dredfast.load_weights()
    cores = len(os.sched_getaffinity(0))
    print(f"cores available: {cores}, load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'workload':10s} {'t1 (ms)':>9s} {'t2 (ms)':>9s} {'p2 (ms)':>9s} {'threads':>8s} {'procs':>6s} "
          f"{'p2/t2':>6s}")
    for name, make in workloads(weights).items():
        if args.only and name not in args.only:
            continue
        pair = ProcessPair(make, args.repeat)
        a, b = make(), make()
        a(), b()                                     # warm-up
        t1s, t2s, p2s = [], [], []
        for _ in range(args.repeat):
            t1s.append(timed_parallel([a]))
            t2s.append(timed_parallel([a, b]))
            p2s.append(pair.round())
        pair.close()
        t1, t2, p2 = statistics.median(t1s), statistics.median(t2s), statistics.median(p2s)
        print(f"{name:10s} {1e3 * t1:9.1f} {1e3 * t2:9.1f} {1e3 * p2:9.1f} {2 * t1 / t2:8.2f} {2 * t1 / p2:6.2f} "
              f"{p2 / t2:6.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
