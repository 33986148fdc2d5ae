"""pytest-benchmark: DRED encoding of 1 s of speech (50 packets: high-pass, analysis,
RDO-VAE encoder, quantiser, latent selection, range coding), per kernel path, from
16 kHz mono and from 48 kHz mono and stereo input (high-pass at 48 kHz, libopus's
downmix and resampling filter to 16 kHz first).

libopus 1.6.1's DRED overhead in its encoder: about 0.0028 CPU s per s of audio
(17 M instructions; ANCHORS.md).  Budgets: libopus's at 96 kb/s (26 latents per
packet, the most work the coder does) and an own 16 kb/s budget (1 s of DRED).
"""
import numpy as np
import pytest

import dredfast

import vectors


@pytest.fixture(scope="module")
def speech():
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    return z["pcm"][-50 * 320:].astype(np.float32) / 32768  # the last second of the excerpt


# (sample rate, channels): the 48 kHz input is the same second repeated 3x per sample
# (a workload, not a resampler), the right channel a scaled copy.
FORMATS = {"16k-mono": (16000, 1), "48k-mono": (48000, 1), "48k-stereo": (48000, 2)}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("budget", ["libopus96k", "own16k"])
@pytest.mark.parametrize("isa", dredfast.available_isas())
def test_dred_encode_one_second(benchmark, speech, isa, budget, fmt):
    fs, ch = FORMATS[fmt]
    kw = dict(primary_bitrate=96000) if budget == "libopus96k" else dict(bitrate=16000)
    benchmark.group = f"DRED encoding: 1 s of audio ({budget})"
    x = np.repeat(speech, fs // 16000)
    if ch == 2:
        x = np.stack([x, 0.7 * x], 1).astype(np.float32)
    n = fs // 50
    frames = [x[i * n:(i + 1) * n] for i in range(50)]

    def run():
        enc = dredfast.DredEncoder(fs, channels=ch, isa=isa, **kw)
        return sum(len(enc.push(f)) for f in frames)

    nbytes = benchmark(run)
    assert nbytes > 0
