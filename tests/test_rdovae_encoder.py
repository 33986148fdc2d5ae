"""The RDO-VAE encoder against libopus 1.6.1's enc_latents / enc_state.

Given libopus's own encoder features (enc_features), every kernel path must
reproduce its latents and initial states bit for bit: the arithmetic is the
same as the decoder's (see test_dred_conformance.py), and the encoder ran in
the same Intel build.  (Features computed by another analysis differ; that is
the analysis's tolerance, not this model's.)
"""
from pathlib import Path

import numpy as np
import pytest

import dredfast
from dredfast import _core

import vectors

CODES = {"scalar": _core.ISA_SCALAR, "avx2": _core.ISA_AVX2, "avx512": _core.ISA_AVX512}


def blob():
    import dredfast._weights as w
    return w._default()._blob


def test_subset_bit_exact(isa):
    z = np.load(Path(__file__).parent / "data" / "rdovae_enc_subset.npz")
    enc = _core.RdovaeEncoder(blob(), CODES[isa])
    lat, st = enc.run(z["enc_features"])
    np.testing.assert_array_equal(lat, z["enc_latents"])
    np.testing.assert_array_equal(st, z["enc_state"])
    # Streaming in pieces gives the same as one call; reset starts over.
    enc.reset()
    parts = [enc.run(z["enc_features"][i:i + 10]) for i in range(0, len(z["enc_features"]), 10)]
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), z["enc_latents"])


@pytest.mark.skipif(vectors.shared_dir() is None, reason="full vectors need ../shared (present in CI)")
def test_all_clips_bit_exact():
    shared = vectors.shared_dir()
    for clip in vectors.clip_names():
        z = np.load(shared / "vectors" / clip / "arrays.npz")
        for isa in dredfast.available_isas():
            lat, st = _core.RdovaeEncoder(blob(), CODES[isa]).run(z["enc_features"])
            np.testing.assert_array_equal(lat, z["enc_latents"], err_msg=f"{clip} {isa}")
            np.testing.assert_array_equal(st, z["enc_state"], err_msg=f"{clip} {isa}")


def test_bad_input():
    enc = _core.RdovaeEncoder(blob(), _core.ISA_SCALAR)
    for bad in (np.zeros((3, 20), np.float32), np.zeros((2, 19), np.float32), np.zeros(40, np.float32)):
        with pytest.raises(ValueError):
            enc.run(bad)
    import blobutil
    wrong = _core.Blob(blobutil.blob([("dec_dense1_bias", np.zeros(96, np.float32))]))
    with pytest.raises(ValueError, match="enc_dense1"):
        _core.RdovaeEncoder(wrong, _core.ISA_SCALAR)
