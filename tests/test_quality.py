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
