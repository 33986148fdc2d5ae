"""Quality floors, analysis -> FARGAN synthesis (PESQ-WB with `pesq`, STOI with `pystoi`).

Measured on all 24 dev clips (benchmarks/quality_fargan.py): mean PESQ-WB 3.100
(min 2.56), STOI 0.978 (min 0.970); libopus 1.6.1: 3.08 / 0.950.  The floors
below sit a little under what 4 clips give.
"""
import wave

import numpy as np
import pytest

import dredfast

import vectors

pesq = pytest.importorskip("pesq", reason="pesq is part of the [test] extra")
pystoi = pytest.importorskip("pystoi", reason="pystoi is part of the [test] extra")

CLIPS = ["en_f_allison_02", "en_f_slt_arctic_01", "fr_f_june_03", "it_m_carlo_04"]


@pytest.mark.skipif(vectors.shared_dir() is None, reason="dev speech needs ../shared (in CI)")
def test_fargan_quality_floor():
    p, s = [], []
    for clip in CLIPS:
        with wave.open(str(vectors.shared_dir() / "speech" / "dev" / f"{clip}.wav"), "rb") as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        y = dredfast.Vocoder("fargan").synthesize(dredfast.analyze(x))[240:]
        n = min(len(x), len(y))
        p.append(pesq.pesq(16000, x[:n], y[:n], "wb"))
        s.append(pystoi.stoi(x[:n], y[:n], 16000))
    print(f"\nPESQ-WB {np.round(p, 3).tolist()} STOI {np.round(s, 3).tolist()}")
    assert np.mean(p) >= 2.95 and min(p) >= 2.5
    assert np.mean(s) >= 0.96 and min(s) >= 0.95


@pytest.mark.skipif(vectors.shared_dir() is None, reason="dev speech needs ../shared (in CI)")
def test_lpcnet_quality_floor():
    """dredfast analysis -> LPCNet 191005 (seed 0) on all 24 dev clips, output aligned by
    its 400-sample lag (benchmarks/quality_lpcnet.py).  Measured: PESQ-WB mean 1.72
    (min 1.48), STOI mean 0.940 (min 0.932); FreeDV LPCNet on its own analysis, same
    alignment, 10 clips: 1.60 / 0.934 (ANCHORS, another alignment: 1.56 / 0.842).  The
    floors sit a little under our figures and at or above FreeDV's.  Every kernel path
    draws the same samples for a seed, so the figures do not depend on the CPU."""
    p, s = [], []
    for path in sorted((vectors.shared_dir() / "speech" / "dev").glob("*.wav")):
        with wave.open(str(path), "rb") as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        y = dredfast.Vocoder("lpcnet", seed=0).synthesize(dredfast.analyze(x))[400:]
        n = min(len(x), len(y))
        p.append(pesq.pesq(16000, x[:n], y[:n], "wb"))
        s.append(pystoi.stoi(x[:n], y[:n], 16000))
    print(f"\nPESQ-WB mean {np.mean(p):.3f} min {min(p):.3f}  STOI mean {np.mean(s):.3f} min {min(s):.3f}")
    assert len(p) == 24
    assert np.mean(p) >= 1.62 and min(p) >= 1.38
    assert np.mean(s) >= 0.93 and min(s) >= 0.92
