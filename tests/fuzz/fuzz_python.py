#!/usr/bin/env python3
"""Atheris target on dredfast's Python API.

Input format (shared with the libFuzzer targets, so their corpora and
reproducers can be used as they are):
  * starts with b"DNNw": a weight blob -> dredfast.load_weights(bytes), then
    DredDecoder(weights) and, if it binds, parse + features of one fixed real
    DRED packet (values may be anything; it must not crash), and
    encode_dred_payload of its integers and of zeros with the blob's tables;
  * otherwise: byte 0 selects max_ms (0..1040, as fuzz_packet_dred), the rest
    is one Opus packet -> DredDecoder().parse(packet, max_ms), .features() and
    every Dred accessor, find_dred_payload, packet_info, with cross-checks
    between them, and add_dred with max_bytes = 2**31 - 1.

The only exception the API may raise here is ValueError (never TypeError:
every argument is bytes / an in-range int).  Any other exception, a failed
assertion, or a crash is a finding.

Run (atheris: pip install atheris):
    python tests/fuzz/fuzz_python.py tests/fuzz/corpus-packet tests/fuzz/corpus-blob \
        -runs=100000 -max_len=400000
For coverage of the C core and ASan on it, run against a build of the
extension instrumented with -fsanitize=address,fuzzer-no-link and preload
atheris's runtime (see README.md).
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["dredfast"]):
    import dredfast

import numpy as np

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "data" / "sample_v96.pkts"

MAX_LATENTS = 26
DRED_ID = 126


def _read_pkts(path: Path) -> list[bytes]:
    d, i, out = path.read_bytes(), 0, []
    while i + 4 <= len(d):
        (n,) = struct.unpack_from("<I", d, i)
        out.append(d[i + 4:i + 4 + n])
        i += 4 + n
    return out


ISA = os.environ.get("DREDFAST_FUZZ_ISA") or None
DEC = dredfast.DredDecoder(isa=ISA)
# Packet 59 of the committed sample: 26 latents with max_ms 1040.
FIXED_PACKET = _read_pkts(SAMPLE)[59]


def expected_max_latents(max_ms: int) -> int:
    frames = min(2 + max(0, min(max_ms, 2000)) // 10, 4 * MAX_LATENTS)
    limit = (frames + 1) // 2
    return min((limit + 1) // 2, MAX_LATENTS)


def attempt(fn, *args):
    """(True, result) or (False, ValueError); anything else propagates."""
    try:
        return True, fn(*args)
    except ValueError as e:
        return False, e


def check_dred(d: "dredfast.Dred", max_ms: int, check_finite: bool) -> None:
    n = d.num_latents
    assert 0 <= d.q0 <= 15 and 0 <= d.dq <= 7 and d.q0 <= d.qmax <= 15, d
    assert 0 <= n <= expected_max_latents(max_ms), (n, max_ms)
    assert d.extra_offset % 32 == 0 and 0 <= d.extra_offset <= 32 * 255
    h = d.header
    assert isinstance(h, dict) and h["dred_offset"] == d.offset and h["nb_latents"] == n
    # Version 12 (libopus 1.6): 50 state, 25 latent values (+ q level); 10 (libopus 1.5): 19, 21.
    assert d.version in (10, 12), d.version
    ns, nl, nd = (50, 25, 26) if d.version == 12 else (19, 21, 21)
    assert d.state_q.shape == (ns,) and d.state.shape == (ns,)
    assert d.latents_q.shape == (n, nl) and d.latents.shape == (n, nd) and d.qlevels.shape == (n,)
    assert np.all(np.isfinite(d.state)) and np.all(np.isfinite(d.latents))
    if n:
        assert d.qlevels.min() >= d.q0 and d.qlevels.max() <= d.qmax
    assert d.samples(16000) >= 0 and d.end_samples(48000) >= 0
    repr(d)
    f = d.features()
    assert f.shape == (4 * n, 20) and f.dtype == np.float32, (f.shape, f.dtype)
    if check_finite:
        assert np.all(np.isfinite(f)), "non-finite feature"


def fuzz_packet(data: bytes) -> None:
    max_ms = (data[0] * 1040 + 127) // 255 if data else 1000
    pkt = data[1:]

    ok_info, info = attempt(dredfast.packet_info, pkt)
    ok_find, payload = attempt(dredfast.find_dred_payload, pkt)
    ok_parse, dred = attempt(DEC.parse, pkt, max_ms)

    # Equivalent bytes-like inputs give the same answer.
    for alt in (bytearray(pkt), memoryview(pkt)):
        ok2, p2 = attempt(dredfast.find_dred_payload, alt)
        assert ok2 == ok_find and (not ok2 or p2 == payload)

    # find and parse accept/reject together and agree on whether there is DRED.
    assert ok_find == ok_parse, (ok_find, ok_parse)
    if ok_find:
        assert (payload is None) == (dred is None)
    # A fully valid extension area means find cannot fail.
    if ok_info:
        assert ok_find
        assert 1 <= info["nb_frames"] <= 48
        assert len(info["frame_lengths"]) == info["nb_frames"]
        # The first version-12 DRED extension; without one, the first version-10 (libopus 1.5).
        first = {}
        for ext_id, frame, off, length in info["extensions"]:
            assert 3 <= ext_id <= 127 and 0 <= frame < info["nb_frames"]
            assert 0 <= off and 0 <= length and off + length <= len(pkt)
            tag = pkt[off:off + 2]
            if ext_id == DRED_ID and length > 2 and tag in (b"D\x0c", b"D\x0a") and tag not in first:
                first[tag] = pkt[off:off + length]
        expect = first.get(b"D\x0c", first.get(b"D\x0a"))
        assert expect == payload, "find_dred_payload disagrees with packet_info"
    if ok_find and payload is not None:
        assert isinstance(payload, bytes) and len(payload) > 2 and payload[:2] in (b"D\x0c", b"D\x0a")
        assert payload in pkt
    if ok_parse and dred is not None:
        check_dred(dred, max_ms, check_finite=True)
    # Re-framing with a DRED costs what it writes, whatever max_bytes allows
    # (issue 12, finding 7: max_bytes was allocated up front).
    ok_add, out = attempt(lambda: dredfast.add_dred(pkt, b"D\x0c\x01\x02", max_bytes=2 ** 31 - 1))
    if ok_add:
        assert dredfast.find_dred_payload(out) == b"D\x0c\x01\x02"


def fuzz_blob(data: bytes) -> None:
    ok, w = attempt(dredfast.load_weights, data)
    if not ok:
        return
    assert w.nbytes == len(data)
    recs = w.records()
    assert recs and all(isinstance(n, str) and n in w for n, _, _ in recs)
    assert "no such record" not in w and 5 not in w
    repr(w)
    ok, dec = attempt(dredfast.DredDecoder, w)
    if not ok:
        return
    d = dec.parse(FIXED_PACKET, 1040)
    assert d is not None
    check_dred(d, 1040, check_finite=False)
    # The sender's side of the same tables must return too (issue 12, finding 1:
    # a zero p0 table made the range coder spin with the GIL held).
    if "dred_state_p0_q8" in w:
        for state, lat in ((d.state_q, d.latents_q), (np.zeros(50, np.int32), np.zeros((2, 25), np.int32))):
            attempt(lambda: dredfast.encode_dred_payload(q0=d.q0, dq=d.dq, qmax=d.qmax, dred_offset=d.offset,
                                                         state_q=state, latents_q=lat, weights=w))


def TestOneInput(data: bytes) -> None:
    if data.startswith(b"DNNw"):
        fuzz_blob(data)
    else:
        fuzz_packet(data)


def _sanity() -> None:
    """The wrong-value (not wrong-type) arguments raise ValueError."""
    for bad in (-1, 104001):
        try:
            DEC.parse(FIXED_PACKET, bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"max_ms={bad} accepted")
    assert DEC.parse(FIXED_PACKET, 1040).num_latents == MAX_LATENTS


def main() -> None:
    _sanity()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
