"""Quality gate on libopus 1.5.x streams (DRED version 10).

The packets: ../shared/vectors152 ``v24`` (libopus 1.5.2, 24 kb/s, no LBRR, 1 s of DRED
version 10).  The subset is the one of tests/test_quality_gate.py, fixed there before any
result: every 4th dev clip and the anchors' two 20 %-loss traces (12 runs), decoded opus_demo
style (a lost frame filled once the next packet has arrived) through dredfast.simulate.

The libopus figures (tests/data/quality_v10_anchor.json) are the 12 matching rows of
benchmarks/results/quality_receiver_v10.csv, made by benchmarks/quality_receiver_v10.py on
the same packets and traces: libopus 1.5.2 (``libopus152``, tools/reference/build.sh, reads
the DRED) and libopus 1.6.1 (``libopus161``, ignores version 10 and conceals with deep PLC),
both decoded by the reference bench program (``decdred``) and scored by the same metrics
(dredfast.simulate.quality, output shifted by the 104-sample decoder delay).

Asserted: over the 12 runs, dredfast's mean PESQ-WB, STOI and PLCMOS are each at least
libopus 1.5.2's minus 0.05 (the issue's bar), every run recovered frames from DRED, and the
mean PESQ-WB is at least 0.5 above libopus 1.6.1's (measured: +0.98 on this subset; a
receiver that dropped version-10 DRED would sit near 1.6.1's figure).
"""
import json
from pathlib import Path

import numpy as np
import pytest

import dredfast

import vectors

ANCHOR = Path(__file__).resolve().parent / "data" / "quality_v10_anchor.json"
TRACES = ("lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt")
METRICS = ("pesq_wb", "stoi", "plcmos")
MARGIN = 0.05
MIN_GAIN_OVER_161 = 0.5


@pytest.fixture(scope="module")
def runs(libopus):
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    pytest.importorskip("speechmos")
    shared = vectors.shared_dir()
    if shared is None or not (shared / "vectors152" / "README.md").exists():
        pytest.skip("needs ../shared/vectors152 (DREDFAST_SHARED)")
    from dredfast.audio import read_wav
    from dredfast.simulate import simulate

    out = []
    for clip in vectors.clip_names()[::4]:
        x, _ = read_wav(shared / "speech" / "dev" / f"{clip}.wav")
        pk = dredfast.read_packets(shared / "vectors152" / clip / "v24.pkts")
        for trace in TRACES:
            lost = dredfast.load_trace(shared / "traces" / trace)
            res = simulate(x, lost, packets=pk, vocoder="fargan", jitter_ms=100000, use_dred=True)
            out.append({"clip": clip, "trace": trace, **res.metrics, "dred": res.counts().get("dred", 0)})
    return out


def test_version_10_quality_level_with_libopus_152(runs):
    ref = {(r["clip"], r["trace"], r["decoder"]): r for r in json.loads(ANCHOR.read_text())["rows"]}
    assert len(runs) == 12
    assert all(r["dred"] > 0 for r in runs)
    for m in METRICS:
        ours = np.mean([r[m] for r in runs])
        l152 = np.mean([ref[(r["clip"], r["trace"], "libopus152")][m] for r in runs])
        assert ours >= l152 - MARGIN, (m, ours, l152)
    ours = np.mean([r["pesq_wb"] for r in runs])
    l161 = np.mean([ref[(r["clip"], r["trace"], "libopus161")]["pesq_wb"] for r in runs])
    assert ours >= l161 + MIN_GAIN_OVER_161, (ours, l161)
