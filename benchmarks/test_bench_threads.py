"""pytest-benchmark: the same work on 1 thread and on 2 threads (2 units, own objects).

Run (needs 2 free cores to mean anything; do not pin to one core):
    pytest benchmarks/test_bench_threads.py --benchmark-enable --benchmark-only

Each group has a "1 thread x 1 unit" and a "2 threads x 1 unit each" entry:
with the GIL released in the heavy calls and 2 idle cores, both take the same
time (speed-up 2 = 2 * t(1 thread) / t(2 threads)); held, the 2-thread entry
takes twice as long.  benchmarks/bench_threads.py prints the ratio directly,
with a two-process reference for loaded machines.
"""
from __future__ import annotations

import threading
from importlib import resources

import numpy as np
import pytest

import dredfast
from dredfast.audio import read_wav

import vectors


@pytest.fixture(scope="module")
def material():
    w = dredfast.load_weights()
    pcm, _ = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    pcm = np.tile(pcm, 6)[:20 * 16000]                          # 20 s
    feats = dredfast.analyze(pcm, weights=w)
    packets = vectors.read_pkts(vectors.subset_pkts_path("v96")) * 10
    return w, pcm, feats, packets


def _units(kind: str, material):
    """Two independent units of work of one kind (each on its own object)."""
    w, pcm, feats, packets = material

    def make():
        if kind == "dred":
            dec = dredfast.DredDecoder(w)
            return lambda: [d.features() for d in (dec.parse(p, 1040) for p in packets) if d is not None]
        if kind == "analysis":
            an = dredfast.Analyzer(weights=w)
            return lambda: (an.reset(), an.process(pcm))
        v = dredfast.Vocoder("fargan", weights=w)

        def run():
            v.reset()
            v.prime(pcm[480:800], feats[:5])
            return v.synthesize(feats[5:1005])
        return run

    return make(), make()


def _in_threads(jobs):
    threads = [threading.Thread(target=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", ["dred", "analysis", "fargan"])
def test_threads(benchmark, material, kind, threads):
    a, b = _units(kind, material)
    benchmark.group = f"threads: {kind}"
    benchmark.extra_info["threads"] = threads
    jobs = [a] if threads == 1 else [a, b]
    benchmark.pedantic(_in_threads, args=(jobs,), rounds=5, iterations=1, warmup_rounds=1)
