"""pytest-benchmark: LPCNet 191005 synthesis of 1 s of speech (100 feature frames), per
kernel path.

FreeDV LPCNet (codec2 1.2.0, AVX build, float weights): 0.181 CPU s per s of audio
(ANCHORS.md); the goal is at most half of that, 0.09.  The median time of one round is
CPU seconds per second of audio (one core, pinned with taskset).
"""
import numpy as np
import pytest

import dredfast


@pytest.mark.parametrize("isa", dredfast.available_isas())
def test_lpcnet_one_second(benchmark, features, isa):
    v = dredfast.Vocoder("lpcnet", seed=0, isa=isa)
    # Steady state, as in a running decoder: prime from 2 frames of audio so all 100
    # frames are synthesised (after reset() the first 2 would be FreeDV's silent start-up).
    hist_pcm = np.zeros(320, np.float32)
    hist_feat = np.repeat(features[:1], 6, axis=0)
    benchmark.group = "lpcnet: 1 s of audio"
    benchmark.extra_info["anchor_freedv_cpu_s_per_s"] = 0.181

    def run():
        v.prime(hist_pcm, hist_feat)
        return v.synthesize(features)

    out = benchmark.pedantic(run, rounds=3 if isa == "scalar" else 15, iterations=1, warmup_rounds=1)
    assert out.shape == (16000,)
