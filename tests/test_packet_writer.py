"""Writing DRED into packets: byte-exact with libopus, other extensions kept."""
import numpy as np
import pytest

import dredfast

import vectors
from packetutil import code3


def plain_packet(case):
    """The packet without its padding: a code-0 packet with the same single frame."""
    p = case.packet
    info = dredfast.packet_info(p)
    assert info["nb_frames"] == 1
    flen = info["frame_lengths"][0]
    start = case.hdr["ext_data_pos"] - 1 - flen
    return bytes([p[0] & ~3]) + p[start:start + flen]


def check_rebuild(cases):
    n = 0
    for c in cases:
        if not c.has_dred:
            continue
        assert dredfast.add_dred(plain_packet(c), c.payload) == c.packet, c
        n += 1
    return n


def test_rebuilds_libopus_packets_subset():
    assert check_rebuild(vectors.subset_cases()) > 100


@pytest.mark.skipif(vectors.shared_dir() is None, reason="full vectors need ../shared (present in CI)")
def test_rebuilds_libopus_packets_full():
    """Every DRED packet of the reference vectors, byte for byte."""
    assert check_rebuild(vectors.full_cases(variants=["v24", "v32", "v96"])) == 19878


def test_replaces_existing_dred_and_keeps_other_extensions():
    frames = [bytes(range(30)), bytes(range(40))]
    short = (5, 1, b"\x07")
    long_ = (40, 0, b"hello")
    old = b"D\x0c" + b"old"
    pkt = dredfast.add_dred(code3(frames), b"D\x0c" + b"first")
    pkt = dredfast.add_dred(pkt, old)
    # Add two foreign extensions by hand, then DRED again.
    from dredfast import _core
    pkt = _core.packet_with_extensions(pkt, [long_, short, (126, 0, old)], 1500)
    new = b"D\x0c" + bytes(range(200))
    out = dredfast.add_dred(pkt, new)
    info = dredfast.packet_info(out)
    assert info["frame_lengths"] == [30, 40]
    ext = [(i, f, out[o:o + n]) for i, f, o, n in info["extensions"]]
    assert (40, 0, b"hello") in ext and (5, 1, b"\x07") in ext
    assert [e for e in ext if e[0] == 126] == [(126, 0, new)]
    assert dredfast.find_dred_payload(out) == new
    assert frames[0] + frames[1] in out  # frames untouched
    d = dredfast.DredDecoder().parse(out)
    assert d is not None


def test_long_padding_and_multiframe_vbr():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (300, 17, 600)]
    payload = b"D\x0c" + rng.integers(0, 256, 700, dtype=np.uint8).tobytes()
    out = dredfast.add_dred(code3(frames), payload, max_bytes=4000)
    info = dredfast.packet_info(out)
    assert info["frame_lengths"] == [300, 17, 600]
    assert dredfast.find_dred_payload(out) == payload
    assert b"".join(frames) in out


def test_errors():
    frame = bytes(50)
    with pytest.raises(ValueError, match="b'D"):
        dredfast.add_dred(code3([frame]), b"X\x0cabc")
    with pytest.raises(ValueError, match="b'D"):
        dredfast.add_dred(code3([frame]), b"D\x0c")
    with pytest.raises(ValueError, match="max_bytes"):
        dredfast.add_dred(code3([frame]), b"D\x0c" + bytes(100), max_bytes=100)
    with pytest.raises(ValueError, match="max_bytes"):
        dredfast.add_dred(code3([frame]), b"D\x0c1", max_bytes=0)
    with pytest.raises(ValueError, match="malformed"):
        dredfast.add_dred(b"\x4b\x00", b"D\x0c1")
    with pytest.raises(TypeError):
        dredfast.add_dred(code3([frame]), "D\x0c1")
