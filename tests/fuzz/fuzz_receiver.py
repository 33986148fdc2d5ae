#!/usr/bin/env python3
"""Atheris target: dredfast.Receiver fed arbitrary packet sequences.

Input: a sequence of records ``len (1 byte) + packet``; len 0 = a lost slot, len 255 =
the rest of the input is one packet.  Byte 0 sets the look-ahead depth (0..7).  Each slot
is decoded with the following records as look-ahead.  The receiver must return finite
float32 audio of whole 10 ms frames for every slot and count every slot in its stats;
any exception is a finding (packet contents must never raise).

Run (needs the system libopus; for ASan on the C core use the instrumented build of
run_python.sh):
    python tests/fuzz/fuzz_receiver.py -runs=100000 -max_len=4000
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["dredfast"]):
    import dredfast

import numpy as np

RX = dredfast.Receiver()


def records(data: bytes):
    i, out = 1, []
    while i < len(data) and len(out) < 64:
        n = data[i]
        i += 1
        if n == 0:
            out.append(None)
        elif n == 255:
            out.append(data[i:])
            break
        else:
            out.append(data[i:i + n])
            i += n
    return out


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    depth = data[0] % 8
    slots = records(data)
    RX.reset()
    for k, p in enumerate(slots):
        y = RX.decode(p, lookahead=slots[k + 1:k + 1 + depth])
        assert y.dtype == np.float32 and y.ndim == 1 and len(y) % 160 == 0 and len(y) > 0, y.shape
        assert np.all(np.isfinite(y))
    s = RX.stats
    assert s.normal + s.lbrr + s.dred + s.plc == len(slots), s


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
