"""The public Python API: types, validation, error messages, threads."""
import threading

import numpy as np
import pytest

import dredfast

import vectors


@pytest.fixture(scope="module")
def case26():
    return next(c for c in vectors.subset_cases() if c.nb_latents == 26 and c.features is not None)


def test_public_names():
    for name in ("DredDecoder", "Dred", "load_weights", "find_dred_payload", "Weights", "read_packets",
                 "available_isas", "packet_info"):
        assert hasattr(dredfast, name)
    assert dredfast.__version__


def test_parse_and_features_shapes(case26):
    dec = dredfast.DredDecoder()
    d = dec.parse(case26.packet)
    assert isinstance(d, dredfast.Dred)
    assert d.num_latents == 26
    assert d.state_q.dtype == np.int32 and d.state_q.shape == (50,)
    assert d.latents_q.dtype == np.int32 and d.latents_q.shape == (26, 25)
    f = d.features()
    assert f.dtype == np.float32 and f.shape == (104, 20) and f.flags.c_contiguous
    assert np.all(np.isfinite(f))
    assert "num_latents=26" in repr(d)
    # features() is repeatable and independent of other work.
    np.testing.assert_array_equal(f, d.features())


def test_no_dred_returns_none():
    dec = dredfast.DredDecoder()
    plain = next(c for c in vectors.subset_cases() if not c.hdr["has_dred"])
    assert dec.parse(plain.packet) is None
    assert dredfast.find_dred_payload(plain.packet) is None
    # A minimal valid packet: TOC only (code 0, empty frame).
    assert dec.parse(b"\x48") is None


@pytest.mark.parametrize("bad", [None, "abc", 12, [1, 2], np.zeros(3)])
def test_packet_type_errors(bad):
    dec = dredfast.DredDecoder()
    with pytest.raises(TypeError, match="packet must be bytes"):
        dec.parse(bad)
    with pytest.raises(TypeError):
        dredfast.find_dred_payload(bad)


def test_bytes_like_accepted(case26):
    dec = dredfast.DredDecoder()
    for p in (bytearray(case26.packet), memoryview(case26.packet)):
        assert dec.parse(p).num_latents == 26
        assert dredfast.find_dred_payload(p) == case26.payload


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), (True, TypeError), (1.5, TypeError), ("10", TypeError),
                                     (10 ** 9, ValueError)])
def test_max_ms_validation(case26, bad, exc):
    with pytest.raises(exc, match="max_ms"):
        dredfast.DredDecoder().parse(case26.packet, bad)


def test_empty_packet_is_invalid():
    with pytest.raises(ValueError, match="malformed"):
        dredfast.DredDecoder().parse(b"")
    with pytest.raises(ValueError, match="malformed"):
        dredfast.find_dred_payload(b"")


def test_isa_selection():
    assert dredfast.DredDecoder(isa="scalar").isa == "scalar"
    with pytest.raises(ValueError, match="isa must be one of"):
        dredfast.DredDecoder(isa="sve")
    # A path this build knows but this CPU cannot run (NEON on x86, AVX2 on AArch64).
    foreign = "avx2" if "neon" in dredfast.available_isas() else "neon"
    with pytest.raises(ValueError, match="not available on this CPU"):
        dredfast.DredDecoder(isa=foreign)
    best = dredfast.DredDecoder().isa
    assert best == dredfast.available_isas()[-1]


def test_isa_from_environment(monkeypatch):
    monkeypatch.setenv("DREDFAST_ISA", "scalar")
    assert dredfast.DredDecoder().isa == "scalar"


def test_threads_match_serial(case26):
    """Many threads on shared and separate decoders give the serial results."""
    cases = [c for c in vectors.subset_cases() if c.has_dred][:40]
    shared = dredfast.DredDecoder()
    want = [shared.parse(c.packet).features() for c in cases]
    errors = []

    def work(k):
        dec = shared if k % 2 else dredfast.DredDecoder()
        for _ in range(3):
            for c, w in zip(cases, want):
                got = dec.parse(c.packet).features()
                if not np.array_equal(got, w):
                    errors.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_dred_outlives_decoder(case26):
    d = dredfast.DredDecoder().parse(case26.packet)
    import gc
    gc.collect()
    assert d.features().shape == (104, 20)


def test_packets_container_roundtrip(tmp_path):
    pkts = dredfast.read_packets(vectors.subset_pkts_path())
    assert len(pkts) == 60
    p = tmp_path / "x.pkts"
    dredfast.write_packets(p, pkts)
    assert dredfast.read_packets(p) == pkts
    p.write_bytes(p.read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        dredfast.read_packets(p)
    p.write_bytes(b"\xff\xff\xff\x7f")
    with pytest.raises(ValueError, match="not a .pkts"):
        dredfast.read_packets(p)


def test_packet_info(case26):
    info = dredfast.packet_info(case26.packet)
    assert info["nb_frames"] == case26.hdr["nb_frames"]
    assert info["padding_len"] == case26.hdr["padding_len"]
    assert info["samples_per_frame_48k"] == 960
    assert (126, 0, case26.hdr["ext_data_pos"], case26.hdr["ext_len"]) in info["extensions"]
