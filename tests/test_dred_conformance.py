"""DRED decoding against libopus 1.6.1's own parse of the same packets.

Integers (header fields, latent count, quantiser levels, quantised state and
latents, and the dequantised values derived from them) must be identical: one
differing integer is a failure.

Features come out of the RDO-VAE decoder, a neural network.  The contract the
issue sets is the spread libopus shows between its own builds (vectors README,
"Exactness"; scalar-C build vs the AVX2 reference): max abs <= 0.42 overall
(column 0 <= 0.42, column 1 <= 0.21, columns 2-19 <= 0.20) and rms <= 0.02 per
clip and variant — checked below.  dredfast does better: it reproduces
libopus's AVX2 arithmetic including the Intel rcpps estimate the vectors were
made with (csrc/nnet/rcp.h), so every kernel path must match the vectors bit
for bit, and that is asserted too.

The committed subset (tests/data) always runs; the full set runs when the
shared vectors are present (they are in CI).
"""
from collections import defaultdict

import numpy as np
import pytest

import dredfast

import vectors

# libopus's own spread on V_dred_features between its AVX2 and scalar-C builds
# (vectors README "Exactness", tolerance.json dec_dredfeat: max abs <= 0.42 column 0,
# <= 0.21 column 1, <= 0.20 columns 2-19; rms 0.016-0.019 per clip): the bound any
# conforming decoder must meet.  dredfast is held to more: equality, asserted per case.
COL_MAX = np.array([0.42, 0.21] + [0.20] * 18)
RMS_MAX = 0.02

INT_FIELDS = ["q0", "dQ", "extra_flag", "extra_val", "offset_sym", "qmax", "dred_offset", "nb_latents",
              "ec_tell_bits", "ext_frame", "ext_len", "ext_data_pos"]
OURS = {"dQ": "dq"}


def check_integers(dec, case):
    """Asserts every integer of one packet; returns the Dred (or None)."""
    dred = dec.parse(case.packet, max_ms=1000)
    payload = dredfast.find_dred_payload(case.packet)
    if not case.hdr["has_dred"]:
        assert dred is None and payload is None, case
        return None
    assert dred is not None, case
    assert payload == case.payload
    h = dred.header
    for f in INT_FIELDS:
        assert h[OURS.get(f, f)] == case.hdr[f], (f, case)
    assert (dred.q0, dred.dq, dred.qmax, dred.offset, dred.num_latents) == (
        case.hdr["q0"], case.hdr["dQ"], case.hdr["qmax"], case.hdr["dred_offset"], case.hdr["nb_latents"])
    assert dred.extra_offset == 32 * case.hdr["extra_val"]
    assert dred.samples(16000) == case.hdr["parse_ret"], case
    assert dred.end_samples(16000) == case.hdr["dred_end"], case
    np.testing.assert_array_equal(dred.state_q, case.state_q)
    np.testing.assert_array_equal(dred.latents_q, case.latents_q)
    np.testing.assert_array_equal(dred.qlevels, case.qlevel)
    # Dequantisation is exact float arithmetic (q * 256 / scale) in libopus too.
    np.testing.assert_array_equal(dred.state, case.state)
    np.testing.assert_array_equal(dred.latents, case.latents)
    return dred


class FeatureStats:
    def __init__(self):
        self.sq = defaultdict(float)
        self.n = defaultdict(int)
        self.col_max = np.zeros(20)

    def add(self, key, diff):
        self.sq[key] += float(np.sum(diff.astype(np.float64) ** 2))
        self.n[key] += diff.size
        if diff.size:
            self.col_max = np.maximum(self.col_max, np.abs(diff).max(axis=0))

    def check(self, label):
        rms = {k: (self.sq[k] / self.n[k]) ** 0.5 for k in self.n if self.n[k]}
        worst = max(rms.items(), key=lambda kv: kv[1]) if rms else None
        print(f"\n{label}: feature max abs per column {np.round(self.col_max, 3).tolist()}; "
              f"worst rms {worst}")
        assert np.all(self.col_max <= COL_MAX), (label, self.col_max)
        assert all(r <= RMS_MAX for r in rms.values()), (label, rms)


def run_cases(dec, cases, label):
    stats = FeatureStats()
    counted = 0
    for case in cases:
        dred = check_integers(dec, case)
        counted += 1
        if dred is not None and case.features is not None:
            feats = dred.features()
            stats.add((case.clip, case.variant), feats - case.features)
            np.testing.assert_array_equal(feats, case.features, err_msg=f"{label} {case}")
    stats.check(label)
    return counted


def test_subset_conformance(decoders):
    cases = vectors.subset_cases()
    assert len(cases) > 100 and any(c.nb_latents == 26 for c in cases)
    for isa, dec in decoders.items():
        assert run_cases(dec, cases, f"subset/{isa}") == len(cases)


@pytest.mark.skipif(vectors.shared_dir() is None, reason="full vectors need ../shared (present in CI)")
@pytest.mark.parametrize("variant", ["v24", "v24fec", "v32", "v96"])
def test_full_conformance(decoders, variant):
    for isa, dec in decoders.items():
        n = run_cases(dec, vectors.full_cases(variants=[variant]), f"{variant}/{isa}")
        assert n > 0


def test_max_ms_limits_latents(decoders):
    """libopus decodes latents i = 0, 2, ... while i < min(52, (m + 1) // 2), m = min(2 + max_ms // 10, 104)."""
    case = next(c for c in vectors.subset_cases() if c.nb_latents == 26)
    dec = decoders["scalar"]
    full = dec.parse(case.packet, 1000)
    for ms in (0, 10, 20, 39, 40, 60, 100, 250, 500, 990, 1000, 1040, 5000):
        m = min(2 + ms // 10, 104)
        expect = min(26, len(range(0, min(52, (m + 1) // 2), 2)))
        d = dec.parse(case.packet, ms)
        assert d.num_latents == expect, ms
        np.testing.assert_array_equal(d.latents_q, full.latents_q[:expect])
        # Fewer latents decode the same newest frames.
        np.testing.assert_array_equal(d.features(), full.features()[:4 * expect])
