"""dredfast.metrics against the quality anchors of the reference vectors.

The anchors' `noloss_dredstream` rows (24 kb/s `v24` stream decoded without loss by
libopus 1.6.1) are recomputed from `v24_dec_noloss` of the heavy clips: reference = the
clip, degraded = decoded[104:104 + N].  The csv rounds to 4 decimals, so agreement within
5e-5 (+1e-6 for float noise) means the metric and its conventions are reproduced exactly
(measured: max difference 4.9e-5 over all 24 clips, i.e. rounding only).
"""
from __future__ import annotations

import csv
import importlib.util
import sys

import numpy as np
import pytest

from dredfast import metrics
from dredfast.audio import read_wav

import vectors

_MISSING = [m for m in ("pesq", "pystoi", "speechmos", "onnxruntime") if importlib.util.find_spec(m) is None]
#: the metric tests need the [metrics] extra (part of [test]); the alignment tests need only NumPy
needs_metrics = pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} missing: "
                                   "part of the [metrics] and [test] extras")

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
    return ref, metrics.align(dec, len(ref))


# ------------------------------------------------------------------------------------------
# Alignment helpers (NumPy only)
# ------------------------------------------------------------------------------------------
def test_align_and_padding():
    dec = np.arange(1000, dtype=np.int16)
    y = metrics.align(dec, 500)
    assert y.dtype == np.int16 and y[0] == DELAY and y[-1] == DELAY + 499
    assert metrics.align(dec, 10, delay=0).tolist() == list(range(10))
    with pytest.raises(ValueError, match="pad=True"):
        metrics.align(dec, 900)
    z = metrics.align(dec, 900, pad=True)
    assert z.size == 900 and z[895] == 999 and not z[896:].any()
    with pytest.raises(ValueError, match="1-D"):
        metrics.align(dec.reshape(2, 500), 10)
    with pytest.raises(ValueError):
        metrics.align(dec, 0)
    with pytest.raises(TypeError):
        metrics.align(dec, 10.0)
    assert metrics.n_packets(320) == 2 and metrics.n_packets(321) == 3
    p = metrics.pad_for_encoding(np.ones(321, np.float32))
    assert p.shape == (960,) and p.dtype == np.float32 and p.sum() == 321
    with pytest.raises(ValueError):
        metrics.pad_for_encoding(np.ones((2, 2)))


@pytest.mark.skipif(vectors.shared_dir() is None, reason="reference vectors need ../shared (in CI)")
def test_packet_count_convention_matches_vectors():
    """Every clip was coded as n_packets(samples) packets, and its decoded output covers the clip."""
    settings = vectors.load_settings()
    for clip, info in settings["clips"].items():
        assert metrics.n_packets(info["samples"]) == info["packets"], clip
        assert info["packets"] * metrics.FRAME >= info["samples"] + metrics.DECODER_DELAY, clip
    assert settings["decoder_delay_samples"] == metrics.DECODER_DELAY
    assert settings["frame_samples"] == metrics.FRAME


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


@needs_metrics
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


@needs_metrics
@needs_shared
def test_quality_helper_on_a_light_clip():
    """quality() end to end on a clip without stored decoded PCM: its v24 stream decoded by
    the system libopus (sample-identical to 1.6.1's, see test_libopus), raw output in; all
    three anchors of the noloss_dredstream row within the csv's rounding."""
    from dredfast._libopus import LibopusNotFound, OpusDecoder

    clip = "en_f_allison_03"
    assert not vectors.load_settings()["clips"][clip]["heavy_arrays"]
    try:
        dec = OpusDecoder()
    except LibopusNotFound as e:
        pytest.skip(str(e))
    import dredfast

    out = np.concatenate([dec.decode_int16(p) for p in dredfast.read_packets(vectors.vectors_dir() / clip / "v24.pkts")])
    ref, _ = read_wav(vectors.shared_dir() / "speech" / "dev" / f"{clip}.wav")
    got = metrics.quality(ref, out)
    row = {(r["clip"], r["condition"], r["bitrate"]): r for r in _anchor_rows()}[(clip, "noloss_dredstream", "24000")]
    for m in ("pesq_wb", "stoi", "plcmos"):
        assert abs(got[m] - float(row[m])) <= CSV_ROUNDING, (m, got[m], row[m])
    assert set(metrics.quality(ref, out, which=("stoi",))) == {"stoi"}
    with pytest.raises(ValueError, match="which"):
        metrics.quality(ref, out, which="stoi")


@needs_metrics
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


@needs_metrics
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


@needs_metrics
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


def test_lsd_hf_definition():
    """lsd_hf as vectors48/README.md defines it: 0 against itself, a uniform gain of g dB
    gives g dB on every gated frame, frames whose reference band is under -70 dBFS are
    left out (all of them: NaN), and a lost-frame decode is measurably worse."""
    rng = np.random.default_rng(3)
    n = 48000
    t = np.arange(n) / 48000
    # broadband noise plus a tone at 10 kHz: well above the gate in every frame
    ref = 0.05 * rng.standard_normal(n) + 0.1 * np.sin(2 * np.pi * 10000 * t)
    ref /= np.max(np.abs(ref)) * 1.01
    assert metrics.lsd_hf(ref, ref) == 0.0
    assert metrics.lsd_hf(ref * 10 ** (-6 / 20), ref) == pytest.approx(6.0, abs=1e-6)  # the 1e-10 floor: below 1e-8 here
    # a 2 kHz tone has no band above 8 kHz beyond leakage under the gate: no frame counts
    low = 0.5 * np.sin(2 * np.pi * 2000 * t)
    assert np.isnan(metrics.lsd_hf(low, low))
    # shorter signal: compared over the common length
    assert metrics.lsd_hf(ref[:20000], ref) == 0.0
    # a signal with its high band removed in some frames scores worse than one without
    holes = ref.copy()
    holes[9600:19200] = 0
    assert metrics.lsd_hf(holes, ref) > 10
    with pytest.raises(ValueError):
        metrics.lsd_hf(ref, ref, fs=16000)
