"""DRED version 10 (what libopus 1.5.x senders write) read with the libopus 1.5.2 model.

Reference: libopus 1.5.2's own parse of its packets (../shared/vectors152; a sample is
committed in tests/data/dred_v10_subset.npz, see tests/make_v10_test_data.py).  Header
fields, q levels, state and latent integers and their dequantised floats must be
identical.  Features: the vectors were made on an AMD CPU whose rcpps estimate (inside
libopus's AVX2 tanh/sigmoid) differs from the Intel estimate dredfast models, so they are
compared within the cross-CPU spread the vectors152 README states for libopus itself:
max abs error <= 0.45, rms <= 0.02.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import dredfast
from dredfast import _core

DATA = Path(__file__).resolve().parent / "data" / "dred_v10_subset.npz"
ROOT = Path(__file__).resolve().parents[1]
V152 = ROOT.parent / "shared" / "vectors152"
HDR = ("has_dred", "ext_frame", "ext_len", "q0", "dQ", "extra_flag", "extra_val", "offset_sym", "qmax",
       "dred_offset", "nb_latents", "parse_ret", "dred_end", "ec_tell_bits", "ext_data_pos", "nb_frames",
       "padding_len")
FEATURE_MAX_ABS = 0.45  # vectors152 README: libopus's own cross-CPU spread
FEATURE_RMS = 0.02


def _subset():
    z = np.load(DATA)
    out = []
    for k in range(len(z["index"])):
        def part(name):
            p = z[name + "_ptr"]
            return z[name][p[k]:p[k + 1]]
        out.append({"packet": part("packet").tobytes(), "hdr": dict(zip(HDR, map(int, z["hdr"][k]))),
                    "qlevel": part("qlevel"), "state_q": z["state_q"][k], "state": z["state"][k],
                    "latents_q": part("latents_q"), "latents": part("latents"),
                    "features": part("features").reshape(-1, 20)})
    return out


SUBSET = _subset()


@pytest.fixture(scope="module")
def dec():
    return dredfast.DredDecoder()


def test_subset_covers_both_rates():
    assert len(SUBSET) >= 30
    assert {c["hdr"]["q0"] for c in SUBSET} == {9, 4}  # 24 kb/s and 96 kb/s
    assert max(c["hdr"]["nb_latents"] for c in SUBSET) > 20


def test_integers_and_floats_identical_to_libopus_152(dec):
    for c in SUBSET:
        d = dec.parse(c["packet"], 1000)
        h, hd = c["hdr"], d.header
        assert d.version == 10 and hd["version"] == 10
        got = (hd["ext_frame"], hd["ext_len"], d.q0, d.dq, hd["extra_flag"], hd["extra_val"], hd["offset_sym"],
               d.qmax, d.offset, d.num_latents, d.samples(16000), d.end_samples(16000), hd["ec_tell_bits"],
               hd["ext_data_pos"])
        want = tuple(h[k] for k in HDR[1:15])
        assert got == want
        assert d.state_q.shape == (19,) and d.latents_q.shape == (d.num_latents, 21)
        assert d.latents.shape == (d.num_latents, 21)  # 1.5.2's decoder has no 26th input
        np.testing.assert_array_equal(d.qlevels, c["qlevel"])
        np.testing.assert_array_equal(d.state_q, c["state_q"])
        np.testing.assert_array_equal(d.latents_q, c["latents_q"])
        np.testing.assert_array_equal(d.state.view(np.uint32), c["state"].view(np.uint32))
        np.testing.assert_array_equal(d.latents.view(np.uint32), c["latents"].view(np.uint32))


def test_features_within_cross_cpu_spread(dec):
    err = np.concatenate([np.abs(dec.parse(c["packet"], 1000).features() - c["features"]) for c in SUBSET])
    assert err.shape[0] == sum(4 * c["hdr"]["nb_latents"] for c in SUBSET)
    assert err.max() <= FEATURE_MAX_ABS
    assert np.sqrt(np.mean(err.astype(np.float64) ** 2)) <= FEATURE_RMS


def test_features_same_on_every_kernel_path():
    from dredfast._isa import available_isas
    paths = available_isas()
    c = max(SUBSET, key=lambda c: c["hdr"]["nb_latents"])
    ref = dredfast.DredDecoder(isa="scalar").parse(c["packet"]).features()
    for p in paths:
        np.testing.assert_array_equal(dredfast.DredDecoder(isa=p).parse(c["packet"]).features(), ref)


def _with_version(pkt: bytes, hdr: dict, version: int) -> bytes:
    b = bytearray(pkt)
    assert b[hdr["ext_data_pos"]] == ord("D") and b[hdr["ext_data_pos"] + 1] == 10
    b[hdr["ext_data_pos"] + 1] = version
    return bytes(b)


def test_unknown_versions_ignored(dec):
    c = SUBSET[0]
    for v in (0, 9, 11, 13, 255):
        assert dec.parse(_with_version(c["packet"], c["hdr"], v)) is None
        assert dredfast.find_dred_payload(_with_version(c["packet"], c["hdr"], v)) is None
    # Without the 1.5 model a decoder reads as libopus 1.6 does: version 10 is unknown.
    assert dredfast.DredDecoder(weights_v10=False).parse(c["packet"]) is None
    assert dredfast.DredDecoder(weights_v10=False).versions == (12,)
    assert dec.versions == (12, 10)
    assert dredfast.find_dred_payload(c["packet"])[:2] == b"D\x0a"


def test_version_12_preferred_when_both_present(dec):
    v12 = [p for p in dredfast.read_packets(Path(__file__).parent / "data" / "sample_v24.pkts")
           if dec.parse(p) is not None][0]
    c = SUBSET[0]
    h = c["hdr"]
    ext10 = c["packet"][h["ext_data_pos"]:h["ext_data_pos"] + h["ext_len"]]
    ext12 = dredfast.find_dred_payload(v12)
    d12 = dec.parse(v12)
    for order in ([ext10, ext12], [ext12, ext10]):
        # packet_with_extensions writes exactly the listed extensions.
        both = _core.packet_with_extensions(v12, [(126, 0, e) for e in order], 1500)
        d = dec.parse(both)
        assert d.version == 12 and d.num_latents == d12.num_latents
        np.testing.assert_array_equal(d.latents_q, d12.latents_q)
        assert dredfast.DredDecoder(weights_v10=False).parse(both).version == 12
    only10 = _core.packet_with_extensions(v12, [(126, 0, ext10)], 1500)
    assert dec.parse(only10).version == 10


def test_wrong_blob_for_version_10_is_refused():
    with pytest.raises(ValueError, match="dec_"):
        dredfast.DredDecoder(weights_v10=dredfast.load_weights())  # 1.6.1's decoder: other shapes
    blob = dredfast.load_weights()._blob
    with pytest.raises(ValueError, match="go together"):
        _core.DredDecoder(blob, blob, -1, blob, None)


def test_receiver_uses_version_10_and_counts_unknown():
    pk = [c["packet"] for c in SUBSET if c["hdr"]["q0"] == 9][:12]  # v24 packets of one clip
    lost = [False, False, False, True, True, False, False, True, False, False, True, False]

    def run(**kw):
        rx = dredfast.Receiver(16000, **kw)
        for i, p in enumerate(pk):
            ahead = [None if lost[j] else pk[j] for j in range(i + 1, len(pk))]
            rx.decode(None if lost[i] else p, lookahead=ahead)
        return rx.stats

    s = run()
    assert s.dred > 0 and s.dred_unknown_version == 0
    s = run(weights_v10=False)
    assert s.dred == 0 and s.plc == sum(lost) and s.dred_unknown_version == 3  # one per packet consulted


def test_inspect_shows_version(tmp_path, capsys):
    from dredfast.cli import main
    p = tmp_path / "v10.pkts"
    p.write_bytes(b"".join(len(c["packet"]).to_bytes(4, "little") + c["packet"] for c in SUBSET[:3]))
    assert main(["inspect", str(p), "--json"]) == 0
    import json
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["dred"]["version"] for r in rows] == [10, 10, 10]
    assert main(["inspect", str(p)]) == 0
    assert "|  v q0" in capsys.readouterr().out


@pytest.mark.skipif(not (V152 / "README.md").exists(), reason="needs ../shared/vectors152")
def test_shared_vectors_sample():
    """Every 25th packet of every dev clip, v24 and v96 (tools/check_v10_vectors.py does all)."""
    spec = importlib.util.spec_from_file_location("check_v10", ROOT / "tools" / "check_v10_vectors.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--every", "25"]) == 0


def test_hostile_version_10_payloads(dec):
    """Random bytes after 'D', 10 (any length): a Dred with bounded, finite output, never a crash."""
    rng = np.random.default_rng(10)
    base = SUBSET[0]["packet"]
    for n in list(range(1, 40)) + [100, 500, 1000]:
        ext = b"D\x0a" + rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        d = dec.parse(_core.packet_with_extensions(base, [(126, 0, ext)], 1500))
        assert d.version == 10 and 0 <= d.num_latents <= 26
        assert 0 <= d.q0 <= 15 and d.q0 <= d.qmax <= 15
        f = d.features()
        assert f.shape == (4 * d.num_latents, 20) and np.isfinite(f).all()
        assert np.isfinite(d.state).all() and np.isfinite(d.latents).all()
