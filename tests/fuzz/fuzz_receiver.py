#!/usr/bin/env python3
"""Atheris target on dredfast.Receiver: hostile packet streams with losses.

The receiver is where untrusted packets meet every part at once: the system
libopus (framing, LBRR), the DRED decoder, the deep PLC queue/offset
arithmetic and the vocoders.  Its promise: ``decode`` never raises for packet
contents, and always returns one frame of audio.

Input layout (make_corpus.py writes seeds as corpus-receiver/):
  byte 0   configuration: bit 0 LPCNet instead of FARGAN, bits 1-2 lookahead
           depth 0..3, bit 3 DRED off, bit 4 LBRR off, bit 5
           history="stock" (the system decoder's own PLC) instead of "shadow";
  then slots, each: one flag byte (bit 0: the packet is lost, i.e. decode
           gets None, though it still shows in earlier slots' lookahead;
           bit 1: it has not arrived yet when earlier slots look ahead),
           a 2-byte little-endian length (capped at 1500), the packet bytes.
At most 40 slots (8 with LPCNet, which is sample-rate and slow).

Checked for every slot: no exception at all; the output is 1-D float32,
finite, as long as the current frame size (that of the last decoded packet,
160..1920 samples, a multiple of 160), with |x| <= 1 for FARGAN (decoded
int16 audio, the int16 concealment and their cross-fade; LPCNet's output is
not clipped); ``stats`` count every call exactly once and ``last_kind``
names a kind; with DRED/LBRR off, none is counted.

Run (see README.md): tests/fuzz/run_python.sh receiver -max_total_time=600
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["dredfast"]):
    import dredfast
    from dredfast.receiver import Receiver

import numpy as np

MAX_SLOTS = 40
MAX_SLOTS_LPCNET = 8
MAX_LEN = 1500
KINDS = {"normal", "lbrr", "dred", "plc", "bad"}

WEIGHTS = dredfast.load_weights()
_RECEIVERS: dict = {}


def receiver(lpcnet: bool, use_dred: bool, use_lbrr: bool, history: str) -> Receiver:
    """One receiver per configuration, reset for every input (creating one costs ~10 ms)."""
    key = (lpcnet, use_dred, use_lbrr, history)
    if key not in _RECEIVERS:
        _RECEIVERS[key] = Receiver(vocoder="lpcnet" if lpcnet else "fargan", weights=WEIGHTS,
                                   use_dred=use_dred, use_lbrr=use_lbrr, history=history)
    r = _RECEIVERS[key]
    r.reset()
    return r


def parse(data: bytes):
    """(config byte, [(lost, late, packet), ...])."""
    if not data:
        return 0, []
    cfg, i, slots = data[0], 1, []
    limit = MAX_SLOTS_LPCNET if cfg & 1 else MAX_SLOTS
    while i < len(data) and len(slots) < limit:
        flags = data[i]
        n = int.from_bytes(data[i + 1:i + 3], "little") % (MAX_LEN + 1)
        pkt = data[i + 3:i + 3 + n]
        i += 3 + n
        slots.append((bool(flags & 1), bool(flags & 2), pkt))
    return cfg, slots


def TestOneInput(data: bytes) -> None:
    cfg, slots = parse(data)
    if not slots:
        return
    lpcnet, depth = bool(cfg & 1), (cfg >> 1) & 3
    use_dred, use_lbrr = not cfg & 8, not cfg & 16
    r = receiver(lpcnet, use_dred, use_lbrr, "stock" if cfg & 32 else "shadow")
    frame = 320
    for k, (lost, _late, pkt) in enumerate(slots):
        ahead = [None if late else p for _lost, late, p in slots[k + 1:k + 1 + depth]]
        y = r.decode(None if lost else pkt, lookahead=ahead)
        assert r.last_kind in KINDS, r.last_kind
        if r.last_kind == "normal":
            n = len(y)
            assert n % 160 == 0 and 160 <= n <= 1920, n
            frame = n
        assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.ndim == 1, (type(y), y.dtype)
        assert len(y) == frame, (len(y), frame, r.last_kind)
        assert np.all(np.isfinite(y)), "non-finite audio"
        if not lpcnet:
            assert np.max(np.abs(y), initial=0) <= 1.0, float(np.max(np.abs(y)))
    s = r.stats
    assert s.normal + s.lbrr + s.dred + s.plc == len(slots), s
    assert s.bad_packets <= len(slots) - s.normal
    assert use_dred or s.dred == 0
    assert use_lbrr or s.lbrr == 0


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
