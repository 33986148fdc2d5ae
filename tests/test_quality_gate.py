"""Quality gate: the receiver must stay level with libopus 1.6.1 on a fixed subset of the
anchors' own runs (../shared/vectors/quality_anchor_dev.csv).

What is asserted (the README's quality claim says exactly this):
for each condition below, the mean PESQ-WB, the mean STOI and the mean PLCMOS of
``dredfast.Receiver`` (default settings, FARGAN) over the 12 runs (6 clips x 2 traces) are
each at least libopus 1.6.1's mean over the same 12 anchor rows minus 0.05.

- ``dred``: the vectors' ``v24`` packets (24 kb/s, 4 DRED latents), DRED used;
- ``plc_dredstream``: the same packets, DRED ignored (neural PLC only);
- ``lbrr_plc``: the ``v24fec`` packets (24 kb/s, LBRR, no DRED).

The runs reproduce the anchors' decoding (vectors README, "Quality anchors"; the same
procedure as benchmarks/quality_receiver.py): the trace applied from its first entry, a
lost frame filled once the next packet has arrived (opus_demo style), degraded = output
advanced by the 104-sample decoder delay, scored by dredfast.metrics with the anchors'
conventions.  Only the public API is used (``Receiver(sample_rate=16000, ...)``,
``decode(packet, lookahead=...)``, ``stats``), so the gate guards any rewrite of its
internals.

The subset was fixed before looking at results: every 4th dev clip in settings.json order
(4 speakers, 3 languages) and the anchors' two 20 %-loss traces (lossgen, whose bursts come
from a model of real losses, and Gilbert-Elliott with short bursts).  The 0.05 margin is
the issue's (#17) bar for "as good as libopus"; the whole table (24 clips x 5 traces)
stays a benchmark (benchmarks/quality_receiver.py).

``DREDFAST_QUALITY_GATE_RECEIVER`` (JSON keyword arguments for the Receiver, e.g.
``{"crossfade_ms": 0, "history": "stock"}``) runs the gate on a deliberately changed
receiver, to show that it fails; unset in normal runs.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pytest

import dredfast

import vectors

CLIPS_EVERY = 4
TRACES = ("lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt")
# condition -> (packet variant, DRED used); the anchor rows have the same condition names.
CONDITIONS = {"dred": ("v24", True), "plc_dredstream": ("v24", False), "lbrr_plc": ("v24fec", False)}
METRICS = ("pesq_wb", "stoi", "plcmos")
MARGIN = 0.05
FRAME = 320
DECODER_DELAY = 104
# Look-ahead given to the receiver, in 20 ms slots: 1.2 s.  The anchors' decoding sees
# the whole gap up to the next received packet; a packet further than 1.04 s (26 latents,
# the most DRED a packet carries) cannot reach back to the lost frame, so 60 slots decide
# the same as an unbounded look-ahead while keeping each call's list short.
LOOKAHEAD_SLOTS = 60


def _receiver_kwargs() -> Dict:
    raw = os.environ.get("DREDFAST_QUALITY_GATE_RECEIVER", "")
    return json.loads(raw) if raw else {}


def _subset(shared: Path) -> List[str]:
    return vectors.clip_names()[::CLIPS_EVERY]


def _anchor_rows(shared: Path) -> Dict:
    rows = {}
    with open(shared / "vectors" / "quality_anchor_dev.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["bitrate"] == "24000":
                rows[(r["clip"], r["trace"], r["condition"])] = r
    return rows


def decode_stream(packets: List[Optional[bytes]], lost: np.ndarray, *, use_dred: bool, **kwargs) -> tuple:
    """All slots through one Receiver, each lost frame filled with the look-ahead the
    anchors' decoder had; returns (output aligned with the input, stats)."""
    rx = dredfast.Receiver(sample_rate=16000, vocoder="fargan", use_dred=use_dred, **kwargs)
    n = len(packets)
    got = [None if lost[i] else packets[i] for i in range(n)]
    out = []
    for i in range(n):
        ahead = got[i + 1:i + 1 + LOOKAHEAD_SLOTS]
        while ahead and ahead[-1] is None:
            ahead = ahead[:-1]
        y = rx.decode(got[i], lookahead=ahead)
        assert y.dtype == np.float32 and y.shape == (FRAME,), (y.dtype, y.shape)
        out.append(y)
    return np.concatenate(out), rx.stats


@pytest.fixture(scope="module")
def gate_runs(libopus):
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    pytest.importorskip("speechmos")
    shared = vectors.shared_dir()
    if shared is None:
        pytest.skip("the quality gate needs ../shared (DREDFAST_SHARED): the anchors and the reference packets")
    from dredfast.audio import read_wav
    from dredfast.metrics import quality

    anchors = _anchor_rows(shared)
    kwargs = _receiver_kwargs()
    runs = []
    for clip in _subset(shared):
        x, _ = read_wav(shared / "speech" / "dev" / f"{clip}.wav")
        for trace in TRACES:
            lost_all = np.asarray(dredfast.load_trace(shared / "traces" / trace), dtype=bool)
            for cond, (variant, use_dred) in CONDITIONS.items():
                packets = vectors.read_pkts(shared / "vectors" / clip / f"{variant}.pkts")
                lost = lost_all[:len(packets)]
                y, stats = decode_stream(packets, lost, use_dred=use_dred, **kwargs)
                ours = quality(x, y)
                ref = anchors[(clip, trace, cond)]
                runs.append({"clip": clip, "trace": trace, "condition": cond, "ours": ours,
                             "libopus": {m: float(ref[m]) for m in METRICS}, "stats": stats.as_dict(),
                             "lost": int(lost.sum()), "anchor_lost": int(ref["lost_packets"])})
    return runs


def test_subset_is_the_fixed_one(gate_runs):
    """The runs are the anchors' runs: 6 clips x 2 traces per condition, each with the
    anchor's loss count, and every lost frame was filled (counted in stats)."""
    assert len(gate_runs) == 6 * len(TRACES) * len(CONDITIONS)
    for r in gate_runs:
        assert r["lost"] == r["anchor_lost"], r
        s = r["stats"]
        assert s["lbrr"] + s["dred"] + s["plc"] == r["lost"], r
        assert s["bad_packets"] == 0, r
        if r["condition"] == "plc_dredstream":
            assert s["dred"] == 0 and s["lbrr"] == 0, r
        if r["condition"] == "dred":
            assert s["dred"] > 0, r
        if r["condition"] == "lbrr_plc":
            assert s["lbrr"] > 0, r


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_quality_level_with_libopus(gate_runs, condition):
    rs = [r for r in gate_runs if r["condition"] == condition]
    ours = {m: float(np.mean([r["ours"][m] for r in rs])) for m in METRICS}
    ref = {m: float(np.mean([r["libopus"][m] for r in rs])) for m in METRICS}
    table = ", ".join(f"{m} {ours[m]:.3f} vs libopus {ref[m]:.3f} ({ours[m] - ref[m]:+.3f})" for m in METRICS)
    print(f"\n{condition} ({len(rs)} runs, receiver {_receiver_kwargs() or 'defaults'}): {table}")
    below = [m for m in METRICS if ours[m] < ref[m] - MARGIN]
    assert not below, (f"{condition}: {', '.join(below)} more than {MARGIN} below libopus 1.6.1 "
                       f"on the gate subset: {table}")
