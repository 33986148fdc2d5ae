"""Issue 12, must-show 1: every parser's time and peak memory grow at most linearly
with its input.

Each parser gets a hostile-shaped input at two sizes, 8x apart, and is run in a forked
child so that its peak memory (``ru_maxrss``, which counts C/C++ allocations too) is its
own.  Two checks per parser, both generous enough for a loaded 2-core machine yet far
below the old behaviour:

* growth: big / small <= 3 x the size ratio (linear is 1x; the old duplicate-name check
  was 64x for 8x the records, the old repeat expansion listed 48 entries per byte), with
  a floor (``TIME_FLOOR`` s, ``MEM_FLOOR_MB``) below which noise dominates and nothing
  is judged;
* a constant per byte: time <= 4 us/byte and memory <= 64 bytes/byte of input at the
  big size (plus the floors).  The old repeat bomb cost ~5.5 kB per byte.
"""
import io
import json
import os
import resource
import struct
import time
import wave

import numpy as np
import pytest

import dredfast
from dredfast.packets import iter_packets

import blobutil
import packetutil

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

SMALL, RATIO = 64 * 1024, 8
TIME_FLOOR = 0.05      # s
MEM_FLOOR_MB = 24.0    # allocator and page-touch noise in a fresh child
GROWTH_SLACK = 3.0
TIME_PER_BYTE = 4e-6   # s (DRED search of a repeat bomb: 0.4 us/byte idle, 1.2 under load; old packet_info: 24)
MEM_PER_BYTE = 64.0    # bytes


def _measure(fn, arg):
    """(seconds, peak MB added) of fn(arg) in a forked child; exceptions count as done."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t = time.perf_counter()
            try:
                fn(arg)
            except (ValueError, TypeError, EOFError):
                pass
            dt = time.perf_counter() - t
            rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            os.write(w, json.dumps([dt, (rss1 - rss0) / 1024.0]).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read()
    os.waitpid(pid, 0)
    return json.loads(out)


# ---- hostile inputs of n bytes ---------------------------------------------------------

def repeat_bomb(n):
    return packetutil.code3([b""] * 48, b"\x06" * n + b"\x04", vbr=False, toc_config=16)


def short_extensions(n):
    """n/2 one-byte short extensions spread over 48 frames by separators (no repeat)."""
    pad = (b"\x07\x01" * (n // 96) + b"\x02") * 47 + b"\x07\x01" * (n // 96)
    return packetutil.code3([b""] * 48, pad, vbr=False, toc_config=16)


def random_padding(n):
    return packetutil.code3([b"\x11" * 10] * 2, np.random.default_rng(n).bytes(n), toc_config=9)


def pkts_file(n):
    rng = np.random.default_rng(n)
    out, size = [], 0
    while size < n:
        p = rng.bytes(int(rng.integers(1, 200)))
        out.append(struct.pack("<I", len(p)) + p)
        size += 4 + len(p)
    return b"".join(out)


def wav_file(n):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.random.default_rng(n).integers(-3000, 3000, n // 2, dtype=np.int16).tobytes())
    return buf.getvalue()


def npy_file(n):
    buf = io.BytesIO()
    np.save(buf, np.zeros((n // 80, 20), np.float32))
    return buf.getvalue()


def blob_many_records(n):
    one = np.zeros(1, np.uint8)
    return b"".join(blobutil.record(f"r{i}", one) for i in range(n // 128))


def blob_big_record(n):
    return blobutil.record("big", np.linspace(-1, 1, n // 4, dtype=np.float32))


def _read_wav_bytes(data):
    with wave.open(io.BytesIO(data), "rb") as w:
        np.frombuffer(w.readframes(w.getnframes()), "<i2")


CASES = {
    "packet_info repeat bomb": (dredfast.packet_info, repeat_bomb),
    "packet_info short extensions": (dredfast.packet_info, short_extensions),
    "packet_info random padding": (dredfast.packet_info, random_padding),
    "find_dred_payload repeat bomb": (dredfast.find_dred_payload, repeat_bomb),
    "find_dred_payload short extensions": (dredfast.find_dred_payload, short_extensions),
    "DredDecoder.parse repeat bomb": (lambda p: dredfast.DredDecoder().parse(p), repeat_bomb),
    "add_dred short extensions": (lambda p: dredfast.add_dred(p, b"D\x0c\x01\x02", max_bytes=2 ** 31 - 1),
                                  short_extensions),
    "add_dred random padding": (lambda p: dredfast.add_dred(p, b"D\x0c\x01\x02", max_bytes=2 ** 31 - 1),
                                random_padding),
    "iter_packets": (lambda d: list(iter_packets(io.BytesIO(d))), pkts_file),
    "read_wav": (_read_wav_bytes, wav_file),
    "np.load (synth's reader)": (lambda d: np.load(io.BytesIO(d), allow_pickle=False), npy_file),
    "load_weights many records": (dredfast.load_weights, blob_many_records),
    "load_weights one big record": (dredfast.load_weights, blob_big_record),
}
#: Blobs are measured at 512 kB and 4 MB (4096 and 32768 records): the quadratic
#: duplicate check only shows beyond a few thousand records.
SIZES = {"load_weights many records": 8 * SMALL, "load_weights one big record": 8 * SMALL}


@pytest.mark.parametrize("case", sorted(CASES))
def test_parser_is_linear(case):
    fn, make = CASES[case]
    n = SIZES.get(case, SMALL)
    small, big = make(n), make(n * RATIO)
    nbig = len(big)
    ratio = nbig / len(small)
    # Best of two runs each: the machine is shared.
    ts, ms = min(_measure(fn, small) for _ in range(2))
    tb, mb = min(_measure(fn, big) for _ in range(2))
    limit = GROWTH_SLACK * ratio
    assert tb <= max(TIME_FLOOR, limit * ts), f"{case}: time {ts:.4f} s -> {tb:.4f} s for {ratio:.1f}x the input"
    assert mb <= max(MEM_FLOOR_MB, limit * ms), f"{case}: memory {ms:.1f} -> {mb:.1f} MB for {ratio:.1f}x the input"
    assert tb <= TIME_FLOOR + TIME_PER_BYTE * nbig, f"{case}: {tb:.3f} s for {nbig} bytes"
    assert mb <= MEM_FLOOR_MB + MEM_PER_BYTE * nbig / 2 ** 20, f"{case}: {mb:.1f} MB for {nbig} bytes"
