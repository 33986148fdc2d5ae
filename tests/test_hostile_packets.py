"""Hostile packets: truncated, random, bogus extension lengths, absurd DRED headers.

Each must give None, a Dred, or ValueError — never a crash, hang or read
outside the packet (the sanitizer CI job runs these under ASan/UBSan).
"""
import numpy as np
import pytest

import dredfast

import vectors
from packetutil import code3


def outcome(dec, pkt, max_ms=1000):
    try:
        d = dec.parse(pkt, max_ms)
    except ValueError:
        return "invalid"
    if d is None:
        return None
    f = d.features()
    assert f.shape == (4 * d.num_latents, 20) and np.all(np.isfinite(f))
    assert 0 <= d.q0 <= 15 and 0 <= d.dq <= 7 and d.q0 < d.qmax + (d.q0 >= 14) + 1 and d.qmax <= 15
    assert 0 <= d.num_latents <= 26
    return d


@pytest.fixture(scope="module")
def dec():
    return dredfast.DredDecoder()


def test_truncated_at_every_length(dec):
    cases = [c for c in vectors.subset_cases() if c.has_dred][:25]
    for c in cases:
        for n in range(len(c.packet) + 1):
            outcome(dec, c.packet[:n])
            try:
                dredfast.find_dred_payload(c.packet[:n])
            except ValueError:
                pass


def test_random_bytes(dec, libopus):
    from dredfast._libopus import OpusError, _first_frame
    rng = np.random.default_rng(7)
    kinds = {}
    for _ in range(20000):
        n = int(rng.integers(0, 200))
        pkt = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        r = outcome(dec, pkt)
        kinds[type(r).__name__] = kinds.get(type(r).__name__, 0) + 1
        # Each verdict against the system libopus's framing (opus_packet_parse): what it
        # rejects is rejected; what it accepts is parsed, unless the padding's extension
        # area is malformed (code 3 with padding: a stock libopus does not read extensions).
        try:
            framed = n > 0 and _first_frame(libopus, pkt) is not None
        except OpusError:
            framed = False
        if not framed:
            assert r == "invalid", pkt.hex()
        elif r == "invalid":
            assert pkt[0] & 3 == 3 and pkt[1] & 0x40, pkt.hex()
    assert kinds.get("str", 0) > 1000  # most random bytes are not valid Opus packets
    assert kinds.get("NoneType", 0) > 1000  # and the valid ones are parsed, not rejected


def test_mutated_real_packets(dec):
    rng = np.random.default_rng(8)
    cases = [c for c in vectors.subset_cases() if c.has_dred]
    for _ in range(5000):
        c = cases[int(rng.integers(len(cases)))]
        b = bytearray(c.packet)
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(len(b)))] = int(rng.integers(256))
        outcome(dec, bytes(b), int(rng.integers(0, 1100)))


def test_random_dred_payloads(dec):
    """Any bytes after 'D', 12 decode to bounded values (q0 <= 15, <= 26 latents, finite features)."""
    rng = np.random.default_rng(9)
    frame = bytes(40)
    for n in list(range(1, 40)) + [100, 500, 1000]:
        for _ in range(20):
            payload = b"D\x0c" + rng.integers(0, 256, n, dtype=np.uint8).tobytes()
            pkt = code3([frame], b"\xfc" + payload)
            d = outcome(dec, pkt)
            assert d is not None and d != "invalid"
            assert dredfast.find_dred_payload(pkt) == payload
    # All-zero and all-one payloads (long runs in the Laplace decoder).
    for fill in (0, 255):
        for n in (1, 8, 300, 1200):
            d = outcome(dec, code3([frame], b"\xfc" + b"D\x0c" + bytes([fill]) * n))
            assert d is not None and d != "invalid"


def test_extension_edge_cases(dec):
    frame = bytes(30)
    payload = b"D\x0c" + bytes(range(1, 60))
    # Too short / wrong prefix / wrong version: not DRED.
    assert outcome(dec, code3([frame], b"\xfc" + b"D\x0c")) is None
    assert outcome(dec, code3([frame], b"\xfc" + b"E\x0c123")) is None
    assert outcome(dec, code3([frame], b"\xfc" + b"D\x0b123")) is None
    # Long extension with an explicit length, then padding.
    ok = code3([frame], b"\xfd" + bytes([len(payload)]) + payload + b"\x00\x00")
    assert dredfast.find_dred_payload(ok) == payload
    # Explicit length longer than the padding: malformed.
    with pytest.raises(ValueError):
        dec.parse(code3([frame], b"\xfd" + bytes([250]) + payload))
    # A length made of 255-runs that never ends.
    with pytest.raises(ValueError):
        dec.parse(code3([frame], b"\xfd" + b"\xff" * 40))
    # DRED attached to the second frame of a 2-frame packet: offset shifts by 8 (20 ms).
    two = code3([frame, frame], b"\x02" + b"\xfc" + payload)
    d0 = dec.parse(code3([frame], b"\xfc" + payload))
    d1 = dec.parse(two)
    assert d1.frame == 1 and d1.offset == d0.offset + 8
    # Separator past the last frame: malformed.
    with pytest.raises(ValueError):
        dec.parse(code3([frame], b"\x02" + b"\xfc" + payload))
    # A non-DRED ID 126 first, then a DRED one: the DRED one is found.
    first = b"\xfd\x03abc"
    assert dredfast.find_dred_payload(code3([frame], first + b"\xfc" + payload)) == payload
    # Short extensions and padding bytes before DRED.
    assert dredfast.find_dred_payload(code3([frame], b"\x01\x01\x07\x09" + b"\xfc" + payload)) == payload


def test_packet_framing_errors(dec):
    frame = bytes(10)
    for pkt in (
        b"\x4b",                      # code 3 without a count byte
        b"\x4b\x00",                  # zero frames
        b"\x4b\xff",                  # 63 frames of 20 ms > 120 ms
        b"\x4b\xc1\xff\xff",          # padding length runs past the end
        b"\x49\x05ab",                # code 1 with an odd length
        b"\x4a\xfd",                  # code 2 with a truncated 2-byte length
        b"\x4a\x20abc",               # code 2 first frame longer than the packet
        b"\x48" + bytes(1276),        # code 0 frame longer than 1275 bytes
        bytes([9 << 3 | 3, 0x03]) + bytes(10),  # CBR code 3, 10 bytes not divisible by 3
    ):
        with pytest.raises(ValueError):
            dec.parse(pkt)
    assert dec.parse(code3([frame, frame, frame], vbr=False)) is None
