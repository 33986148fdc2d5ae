"""pytest-benchmark: deep PLC, CPU seconds per second of concealed audio, per kernel path.

Workload: the decoded stream of the committed subset (tests/data/plc, libopus's decode of
en_f_allison_01 v24), replayed the way libopus's SILK decoder drives its deep PLC, with
every lost 20 ms frame concealed by the network (DRED ignored): bursts of 10, 1 and 17
frames = 0.56 s concealed, each burst starting with the re-analysis of the decoded history
(feature analysis + Burg cepstrum + PLC network catch-up) and FARGAN's re-priming.
``extra_info["cpu_s_per_concealed_s"]`` = mean time / 0.56 s.

libopus 1.6.1 (AVX2): 0.0196 CPU s per concealed second, 244 M instructions (ANCHORS.md;
its trace may differ in burst lengths, which set how much re-analysis there is per lost
second).  Precise counts: valgrind --tool=callgrind --toggle-collect=df_deep_plc_conceal.

Like-for-like figure (measured once, not part of the suite): libopus 1.6.1's own
lpcnet_plc_update / lpcnet_plc_conceal (dnn/ sources built outside the repo with gcc 12 -O2,
AVX2 kernels by run-time dispatch, weights loaded from the same blob) replaying this same
script took 60.0 M instructions in lpcnet_plc_conceal (callgrind) and 3.7-3.95 ms per replay
(0.0066-0.0070 CPU s per concealed second) on this machine; dredfast: avx2 67.0 M
instructions, 3.57 ms (0.0064); avx512 3.2-3.3 ms (0.0058); scalar 123 ms (0.22).  So the
anchor's 0.0196 is not this workload: against libopus on the same work the gain is about
1.1x (avx2) / 1.2x (avx512), and the remaining cost is the int8 matrix-vector kernel
(linear_q_avx2: 47 M of the 67 M instructions, libopus's cgemv8x4 38 M).
"""
import numpy as np
import pytest

import dredfast  # noqa: F401  (kernel list)
from dredfast._plc import DeepPLC

import vectors

SUBSET = vectors.DATA_DIR / "plc" / "deep_plc_subset.npz"


@pytest.fixture(scope="module")
def script():
    """[(op, payload)]: ("u", 320 samples) or ("c", None) per 20 ms row."""
    z = np.load(SUBSET)
    dec, ev = z["dred_dec"], z["dred_events"]
    ops = []
    for r, (_, kind, _) in enumerate(ev):
        ops.append(("c", None) if kind != 0 else ("u", np.ascontiguousarray(dec[320 * r + 13:320 * r + 333])))
    return ops


@pytest.mark.parametrize("isa", dredfast.available_isas())
def test_deep_plc_per_concealed_second(benchmark, script, isa):
    base = DeepPLC(isa=isa)
    lost = sum(op == "c" for op, _ in script)
    concealed_s = lost * 0.02
    benchmark.group = "deep PLC: per concealed second"

    def run():
        plc = base.new_stream()
        for op, pcm in script:
            if op == "u":
                plc.update(pcm)
            else:
                plc.conceal(2)
        return plc

    plc = benchmark(run)
    assert plc.blend is False and concealed_s == pytest.approx(0.56)
    benchmark.extra_info["concealed_s"] = concealed_s
    benchmark.extra_info["anchor_libopus_cpu_s_per_s"] = 0.0196
    if benchmark.stats is not None:  # None with --benchmark-disable (the test suite's default)
        benchmark.extra_info["cpu_s_per_concealed_s"] = benchmark.stats.stats.mean / concealed_s
