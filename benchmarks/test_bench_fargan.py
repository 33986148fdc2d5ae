"""pytest-benchmark: FARGAN synthesis of 1 s of speech (100 feature frames), per kernel path.

libopus 1.6.1: 0.0064 CPU s per s of audio, 66.2 M instructions (ANCHORS.md).
"""
import numpy as np
import pytest

import dredfast


@pytest.mark.parametrize("isa", dredfast.available_isas())
def test_fargan_one_second(benchmark, features, isa):
    v = dredfast.Vocoder("fargan", isa=isa)
    benchmark.group = "fargan: 1 s of audio"

    def run():
        v.reset()
        return v.synthesize(features)

    out = benchmark(run)
    assert out.shape == (16000,)


@pytest.mark.parametrize("isa", dredfast.available_isas())
def test_analysis_one_second(benchmark, isa):
    """Feature analysis (with PitchDNN) of 1 s of speech-like audio.  FreeDV LPCNet's
    analysis: 0.005 CPU s per s (ANCHORS.md); libopus's is inside its encoder cost."""
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 140 * t) + 0.01 * rng.normal(size=16000)).astype(np.float32)
    benchmark.group = "analysis: 1 s of audio"
    out = benchmark(dredfast.analyze, x, isa=isa)
    assert out.shape == (100, 20)
