"""dredfast.analyze against libopus 1.6.1's features (vectors `features`, `lpc`).

libopus's own builds agree exactly on the cepstrum and differ on the PitchDNN
columns (vectors README); dredfast reproduces the reference build's values
exactly, every column, every path — asserted as equality.
"""
import wave

import numpy as np
import pytest

import dredfast

import vectors


def read_clip(clip):
    with wave.open(str(vectors.shared_dir() / "speech" / "dev" / f"{clip}.wav"), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


needs_shared = pytest.mark.skipif(vectors.shared_dir() is None, reason="speech and features need ../shared (in CI)")


@needs_shared
def test_all_clips_bit_exact():
    for clip in vectors.clip_names():
        z = np.load(vectors.shared_dir() / "vectors" / clip / "arrays.npz")
        pcm = read_clip(clip)
        feats, lpc = dredfast.Analyzer().process(pcm, with_lpc=True)
        np.testing.assert_array_equal(feats, z["features"], err_msg=clip)
        np.testing.assert_array_equal(lpc, z["lpc"], err_msg=clip)


@needs_shared
def test_paths_streaming_and_float_input(isa):
    clip = "fr_f_june_02"
    z = np.load(vectors.shared_dir() / "vectors" / clip / "arrays.npz")
    pcm = read_clip(clip)
    np.testing.assert_array_equal(dredfast.analyze(pcm, isa=isa), z["features"])
    # float input in [-1, 1] is the same samples / 32768
    np.testing.assert_array_equal(dredfast.analyze(pcm.astype(np.float32) / 32768, isa=isa), z["features"])
    # streaming in odd-sized pieces
    a = dredfast.Analyzer(isa=isa)
    parts = [a.process(pcm[i:i + 777]) for i in range(0, len(pcm), 777)]
    np.testing.assert_array_equal(np.concatenate(parts), z["features"])


def test_analysis_then_fargan_is_finite_speech():
    t = np.arange(16000) / 16000
    pcm = (0.3 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    feats = dredfast.analyze(pcm)
    assert feats.shape == (100, 20) and np.all(np.isfinite(feats))
    out = dredfast.Vocoder("fargan").synthesize(feats)
    assert out.shape == (16000,) and np.all(np.isfinite(out))


def test_bad_input():
    with pytest.raises(ValueError, match="16 kHz"):
        dredfast.analyze(np.zeros(480, np.float32), 48000)
    with pytest.raises(ValueError, match="1-D"):
        dredfast.analyze(np.zeros((2, 160), np.float32))
    with pytest.raises(TypeError):
        dredfast.analyze(np.zeros(160, np.int32))
    with pytest.raises(ValueError, match="NaN"):
        dredfast.analyze(np.full(160, np.nan, np.float32))
    assert dredfast.analyze(np.zeros(100, np.float32)).shape == (0, 20)
    # silence and full-scale noise: finite features
    rng = np.random.default_rng(0)
    for x in (np.zeros(3200, np.float32), rng.uniform(-1, 1, 3200).astype(np.float32)):
        assert np.all(np.isfinite(dredfast.analyze(x)))
