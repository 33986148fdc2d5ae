"""Tests of the test-vector loader (tests/vectors.py) and of the committed subset.

Structural checks only (the README's invariants of the DRED parse); they do
not exercise dredfast itself. Parts that need /work/shared are skipped when it
is absent (vectors.shared_dir() is None).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import vectors  # noqa: E402
from vectors import (  # noqa: E402
    DQ_TABLE, HDR_COLUMNS, DredCase, full_cases, read_pkts, shared_dir, subset_cases,
    subset_pkts_path, subset_reasons,
)

SIZE_LIMIT = 3 * 1024 * 1024
# one heavy clip with all four variants, one light clip
FULL_CLIPS = ("en_f_allison_01", "en_f_allison_03")

needs_shared = pytest.mark.skipif(shared_dir() is None, reason="shared vectors not available")


# --------------------------------------------------------------------------- #
# Invariants of one case
# --------------------------------------------------------------------------- #
def check_case(c: DredCase) -> None:
    where = repr(c)
    h = c.hdr
    assert tuple(h) == HDR_COLUMNS, where
    assert all(type(v) is int for v in h.values()), where
    assert c.variant in vectors.VARIANTS, where
    assert isinstance(c.packet, bytes) and isinstance(c.payload, bytes), where
    assert len(c.packet) >= 1, where
    # README: all packets are SILK-only WB 20 ms (TOC config 9), one frame
    assert c.packet[0] >> 3 == 9, where
    assert h["nb_frames"] == 1, where

    nl = h["nb_latents"]
    assert c.qlevel.dtype == np.int32 and c.qlevel.shape == (nl,), where
    assert c.latents_q.dtype == np.int32 and c.latents_q.shape == (nl, 25), where
    assert c.latents.dtype == np.float32 and c.latents.shape == (nl, 26), where
    for a in (c.qlevel, c.latents_q, c.latents, c.state_q, c.state, c.features):
        assert a is None or not a.flags.writeable, where
    if c.features is not None:
        assert c.features.dtype == np.float32 and c.features.shape == (4 * nl, 20), where
        assert np.isfinite(c.features).all(), where

    has = h["has_dred"]
    assert has in (0, 1), where
    assert (c.payload[0:2] == b"D\x0c") == bool(has), where
    if not has:
        assert c.payload == b"", where
        assert nl == 0, where
        assert c.state_q is None and c.state is None, where
        for col in HDR_COLUMNS:
            if col not in ("has_dred", "nb_latents", "nb_frames", "padding_len"):
                assert h[col] == -1, (where, col)
        return

    # ---- packets with DRED ----
    assert len(c.payload) == h["ext_len"] > 2, where
    pos = h["ext_data_pos"]
    assert c.packet[pos:pos + h["ext_len"]] == c.payload, where
    # code-3 packet with padding; padding = 0xFC (ext 126, L=0) 'D' 12 ..., runs to the end
    assert c.packet[0] & 3 == 3 and c.packet[1] & 0x40, where
    assert c.packet[pos - 1] == 0xFC, where
    assert pos + h["ext_len"] == len(c.packet), where
    assert h["padding_len"] == h["ext_len"] + 1, where
    assert h["ext_frame"] == 0, where

    assert 1 <= nl <= 26, where
    assert 0 <= h["q0"] < 16 and 0 <= h["dQ"] < 8 and h["q0"] <= h["qmax"] <= 15, where
    assert h["extra_flag"] in (0, 1), where
    assert (h["extra_val"] > 0) == (h["extra_flag"] == 1) and 0 <= h["extra_val"] < 256, where
    assert 0 <= h["offset_sym"] < 32, where
    assert h["dred_offset"] == 16 - h["offset_sym"] - 32 * h["extra_val"], where
    assert h["dred_end"] >= 0 and (h["dred_end"] == 0 or h["dred_offset"] < 0), where
    assert 0 < h["ec_tell_bits"] <= 8 * (h["ext_len"] - 2), where
    assert h["parse_ret"] > 0, where

    j = np.arange(nl)
    expect_q = np.minimum(h["qmax"], h["q0"] + (DQ_TABLE[h["dQ"]] * j + 8) // 16)
    np.testing.assert_array_equal(c.qlevel, expect_q, err_msg=where)
    np.testing.assert_array_equal(c.latents[:, 25], (c.qlevel * 0.125 - 1).astype(np.float32),
                                  err_msg=where)
    # dequantized = q*256/scale with scale > 0: zero and sign follow the integers
    np.testing.assert_array_equal(np.sign(c.latents[:, :25]), np.sign(c.latents_q), err_msg=where)

    assert c.state_q is not None and c.state is not None, where
    assert c.state_q.dtype == np.int32 and c.state_q.shape == (50,), where
    assert c.state.dtype == np.float32 and c.state.shape == (50,), where
    np.testing.assert_array_equal(np.sign(c.state), np.sign(c.state_q), err_msg=where)


# --------------------------------------------------------------------------- #
# Container / locations
# --------------------------------------------------------------------------- #
def test_pkts_roundtrip_and_truncation(tmp_path):
    pkts = [b"", b"\x48", bytes(range(256)) * 3]
    p = tmp_path / "x.pkts"
    vectors.write_pkts(p, pkts)
    assert p.read_bytes()[:4] == b"\x00\x00\x00\x00"
    assert read_pkts(p) == pkts
    data = p.read_bytes()
    for cut in (len(data) - 1, len(data) - 770, 6):
        (tmp_path / "t.pkts").write_bytes(data[:cut])
        with pytest.raises(ValueError):
            read_pkts(tmp_path / "t.pkts")
    (tmp_path / "e.pkts").write_bytes(b"")
    assert read_pkts(tmp_path / "e.pkts") == []


def test_shared_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv(vectors.ENV_VAR, str(tmp_path / "nope"))
    assert shared_dir() is None
    assert list(full_cases()) == []
    (tmp_path / "vectors").mkdir()
    monkeypatch.setenv(vectors.ENV_VAR, str(tmp_path))
    assert shared_dir() is None  # README.md missing
    (tmp_path / "vectors" / "README.md").write_text("x")
    assert shared_dir() == tmp_path


def test_sample_containers():
    for var in ("v96", "v24"):
        p = subset_pkts_path(var)
        assert p.is_file() and p.suffix == ".pkts"
        pk = read_pkts(p)
        assert len(pk) == 60
        assert all(x[0] >> 3 == 9 for x in pk)
    assert subset_pkts_path() == subset_pkts_path("v96")
    with pytest.raises(ValueError):
        subset_pkts_path("v32")


def test_sample_containers_match_subset():
    by_key = {c.key: c for c in subset_cases()}
    for var in ("v96", "v24"):
        pk = read_pkts(subset_pkts_path(var))
        for i, p in enumerate(pk):
            c = by_key[("en_f_allison_01", var, i)]
            assert c.packet == p


def test_data_size():
    total = sum(p.stat().st_size for p in vectors.DATA_DIR.rglob("*") if p.is_file())
    assert vectors.SUBSET_NPZ.stat().st_size <= SIZE_LIMIT
    assert total <= SIZE_LIMIT, total


# --------------------------------------------------------------------------- #
# Subset
# --------------------------------------------------------------------------- #
def test_subset_invariants():
    cases = subset_cases()
    assert len(cases) > 0
    for c in cases:
        check_case(c)
    keys = [c.key for c in cases]
    assert len(set(keys)) == len(keys)


def test_subset_coverage():
    cases = subset_cases()
    reasons = subset_reasons()
    assert set(reasons) == {c.key for c in cases}
    assert all(reasons[c.key] for c in cases)
    assert {c.variant for c in cases} == {"v24", "v24fec", "v32", "v96"}
    assert any(not c.has_dred for c in cases)
    # the first 60 packets of en_f_allison_01, every variant
    for var in ("v24", "v24fec", "v32", "v96"):
        idx = {c.index for c in cases if c.clip == "en_f_allison_01" and c.variant == var}
        assert set(range(60)) <= idx, var
    full = [c for c in cases if c.nb_latents == 26]
    assert len(full) >= 3
    assert all(c.variant == "v96" and c.features is not None for c in full)
    assert any(c.hdr["dred_offset"] < 0 and c.hdr["dred_end"] > 0 for c in cases)
    assert any(c.hdr["extra_flag"] == 1 for c in cases)
    assert len({c.hdr["dQ"] for c in cases if c.has_dred}) >= 2
    assert len({c.nb_latents for c in cases if c.variant == "v96"}) >= 20  # the v96 ramp
    assert any(c.features is not None and c.has_dred and c.hdr["dred_offset"] < 0 for c in cases)
    # every selected packet of a heavy clip has features
    heavy = {c.clip for c in cases if c.features is not None}
    assert all(c.features is not None for c in cases if c.clip in heavy)


def test_subset_is_cached_but_fresh_list():
    a, b = subset_cases(), subset_cases()
    assert a is not b and len(a) == len(b) and all(x is y for x, y in zip(a, b))


# --------------------------------------------------------------------------- #
# Full vectors (shared)
# --------------------------------------------------------------------------- #
@needs_shared
def test_full_cases_two_clips():
    settings = vectors.load_settings()
    heavy = set(settings["heavy_clips"])
    counts = {}
    for c in full_cases(clips=FULL_CLIPS):
        check_case(c)
        assert (c.features is not None) == (c.clip in heavy)
        counts[(c.clip, c.variant)] = counts.get((c.clip, c.variant), 0) + 1
        if c.variant == "v24fec":
            assert not c.has_dred
    for clip in FULL_CLIPS:
        meta = settings["clips"][clip]
        for var in meta["variants"]:
            assert counts[(clip, var)] == meta["packets"], (clip, var)
    assert set(counts) == {(c, v) for c in FULL_CLIPS for v in settings["clips"][c]["variants"]}


@needs_shared
def test_full_cases_variant_filter_and_order():
    got = [(c.clip, c.variant, c.index) for c in full_cases(variants=["v96"], clips=["en_f_allison_02"])]
    assert {v for _, v, _ in got} == {"v96"}
    assert [i for *_, i in got] == list(range(len(got)))
    assert next(iter(full_cases(variants=["v32"])), None).clip == vectors.clip_names()[0]
    with pytest.raises(KeyError):
        list(full_cases(clips=["no_such_clip"]))


@needs_shared
def test_subset_matches_full():
    """The committed subset equals the same packets read from the shared vectors."""
    sub = subset_cases()
    want = {c.key: c for c in sub}
    clips = sorted({c.clip for c in sub})
    seen = 0
    for f in full_cases(clips=clips):
        s = want.get(f.key)
        if s is None:
            continue
        seen += 1
        assert s.packet == f.packet and s.payload == f.payload and s.hdr == f.hdr, f.key
        for name in ("qlevel", "latents_q", "latents", "state_q", "state", "features"):
            a, b = getattr(s, name), getattr(f, name)
            assert (a is None) == (b is None), (f.key, name)
            if a is not None:
                assert a.dtype == b.dtype, (f.key, name)
                np.testing.assert_array_equal(a, b, err_msg=f"{f.key} {name}")
    assert seen == len(sub)


@needs_shared
def test_sample_containers_are_prefixes():
    v = vectors.vectors_dir()
    for var in ("v96", "v24"):
        src = (v / "en_f_allison_01" / f"{var}.pkts").read_bytes()
        mine = subset_pkts_path(var).read_bytes()
        assert src.startswith(mine)


@needs_shared
def test_make_test_data_reproducible(tmp_path):
    import make_encoder_test_data
    import make_test_data
    import make_v10_test_data
    assert make_test_data.main(["--out", str(tmp_path), "--quiet"]) == 0
    assert make_encoder_test_data.main(["--out", str(tmp_path)]) == 0
    assert make_v10_test_data.main(["--out", str(tmp_path)]) == 0
    for p in sorted(vectors.DATA_DIR.iterdir()):
        if p.is_file() and (p.suffix in (".npz", ".pkts") or p.name == "dred_subset.json"):
            assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name
