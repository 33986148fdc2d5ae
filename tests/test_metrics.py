"""dredfast.metrics against the quality anchors of the reference vectors.

The anchors' `noloss_dredstream` rows (24 kb/s `v24` stream decoded without loss by
libopus 1.6.1) are recomputed from `v24_dec_noloss` of the heavy clips: reference = the
clip, degraded = decoded[104:104 + N].  The csv rounds to 4 decimals, so agreement within
5e-5 (+1e-6 for float noise) means the metric and its conventions are reproduced exactly
(measured: max difference 4.9e-5 over all 24 clips, i.e. rounding only).
"""
from __future__ import annotations

import csv
import sys

import numpy as np
import pytest

pytest.importorskip("pesq", reason="pesq is part of the [metrics] and [test] extras")
pytest.importorskip("pystoi", reason="pystoi is part of the [metrics] and [test] extras")
pytest.importorskip("speechmos", reason="speechmos is part of the [metrics] and [test] extras")
pytest.importorskip("onnxruntime", reason="onnxruntime is part of the [metrics] and [test] extras")

from dredfast import metrics  # noqa: E402
from dredfast.audio import read_wav  # noqa: E402

import vectors  # noqa: E402

CSV_ROUNDING = 5e-5 + 1e-6
DELAY = 104
#: heavy clips whose STOI is also recomputed (STOI costs ~0.8 s per clip; PESQ and PLCMOS
#: run on all 10 heavy clips)
STOI_CLIPS = ("en_f_allison_01", "en_f_alsa_01", "fr_f_june_01", "it_m_carlo_01")

needs_shared = pytest.mark.skipif(vectors.shared_dir() is None, reason="anchors need ../shared (in CI)")


def _anchor_rows():
    with open(vectors.vectors_dir() / "quality_anchor_dev.csv", newline="") as f:
        return list(csv.DictReader(f))


def _noloss_pair(clip):
    ref, fs = read_wav(vectors.shared_dir() / "speech" / "dev" / f"{clip}.wav")
    assert fs == 16000
    with np.load(vectors.vectors_dir() / clip / "arrays.npz") as z:
        dec = z["v24_dec_noloss"]
    return ref, dec[DELAY:DELAY + len(ref)]


@needs_shared
def test_anchor_table_complete():
    """One row per clip x trace x bitrate x condition, as the vectors README says."""
    rows = _anchor_rows()
    clips = set(vectors.clip_names())
    traces = {r["trace"] for r in rows} - {"none"}
    lossy = {"plc", "plc_dredstream", "lbrr_plc", "dred", "lbrr_dred"}
    keys = {(r["clip"], r["trace"], r["bitrate"], r["condition"]) for r in rows}
    assert len(keys) == len(rows) == len(clips) * 2 * (2 + 5 * len(traces))
    for c in clips:
        for br in ("24000", "40000"):
            for cond in ("noloss", "noloss_dredstream"):
                assert (c, "none", br, cond) in keys
            for t in traces:
                for cond in lossy:
                    assert (c, t, br, cond) in keys
    assert len(traces) == 5


@needs_shared
def test_noloss_dredstream_rows_reproduced():
    rows = {(r["clip"], r["condition"], r["bitrate"]): r for r in _anchor_rows()}
    heavy = vectors.load_settings()["heavy_clips"]
    assert len(heavy) == 10
    for clip in heavy:
        ref, deg = _noloss_pair(clip)
        row = rows[(clip, "noloss_dredstream", "24000")]
        assert abs(metrics.pesq_wb(ref, deg) - float(row["pesq_wb"])) <= CSV_ROUNDING, clip
        assert abs(metrics.plcmos(deg) - float(row["plcmos"])) <= CSV_ROUNDING, clip
        if clip in STOI_CLIPS:
            assert abs(metrics.stoi(ref, deg) - float(row["stoi"])) <= CSV_ROUNDING, clip


def test_int16_and_float_inputs_agree():
    rng = np.random.default_rng(0)
    t = np.arange(16000 * 3) / 16000
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32) / 2
    x += 0.01 * rng.standard_normal(x.size).astype(np.float32)
    i16 = np.round(x * 32768).astype(np.int16)
    y = i16.astype(np.float64) / 32768
    assert metrics.plcmos(i16) == metrics.plcmos(y)
    assert metrics.pesq_wb(i16, i16) == metrics.pesq_wb(y, y)
    # a signal against itself: PESQ-WB's ceiling (4.64) and STOI 1
    assert metrics.pesq_wb(y, y) > 4.5
    assert metrics.stoi(y, y) > 0.999


def test_plcmos_seed_convention():
    """seed=0 draws the embeddings np.random.seed(0) would, without touching the global generator."""
    x = np.sin(np.arange(32000) * 0.05) * 0.2
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = metrics.plcmos(x)
    assert np.array_equal(np.random.get_state()[1], before)
    np.random.seed(0)
    b = metrics.plcmos(x, seed=None)  # speechmos's own convention: the global generator
    assert a == b
    assert metrics.plcmos(x, seed=1) != a  # the embeddings matter
    assert 1.0 <= a <= 5.0


def test_argument_checks():
    x = np.zeros(16000)
    with pytest.raises(ValueError, match="same length"):
        metrics.pesq_wb(x, x[:-1])
    with pytest.raises(ValueError, match="1-D"):
        metrics.stoi(np.zeros((2, 8000)), np.zeros((2, 8000)))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        metrics.plcmos(np.full(16000, 2.0))
    with pytest.raises(ValueError, match="NaN"):
        metrics.plcmos(np.full(16000, np.nan))
    with pytest.raises(TypeError, match="int16"):
        metrics.plcmos(np.zeros(16000, np.int32))
    with pytest.raises(ValueError, match="fs"):
        metrics.pesq_wb(x, x, fs=8000)
    with pytest.raises(ValueError, match="fs"):
        metrics.plcmos(x, fs=48000)
    with pytest.raises(ValueError, match="rounds"):
        metrics.plcmos(x, rounds=0)
    with pytest.raises(ValueError, match="PESQ"):
        metrics.pesq_wb(x, x)  # silence: no utterances


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pesq", None)  # makes `import pesq` raise ImportError
    with pytest.raises(ImportError, match=r"dredfast\[metrics\]"):
        metrics.pesq_wb(np.zeros(16000), np.zeros(16000))
