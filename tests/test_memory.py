"""No memory growth over many calls (issue 6, item 5).

Two views of memory, because they catch different leaks:

* ``tracemalloc`` sees every allocation made through Python's allocators,
  NumPy array buffers included: a leaked ``Dred``, feature array, dict or
  exception shows up here to the byte;
* the resident set size (``/proc/self/statm``) also sees the C/C++ heap
  (``malloc``/``new`` in the core and the pybind11 layer), which
  tracemalloc does not.

Method: warm up (caches, allocator pools, first-touch pages), take both
readings, run the calls, read again.  Bounds, and why they are what they are:

* traced memory may grow by at most ``TRACED_BOUND`` = 64 KiB over 10**5
  calls, i.e. under 1 byte per call: a leak of any Python object per call
  (the smallest is 16+ bytes) would exceed it many times over, while
  interpreter-level noise (free-list and dict resizes) stays far below;
* RSS may grow by at most ``RSS_BOUND`` = 2 MiB, i.e. about 20 bytes per
  call: glibc keeps freed memory in its arenas and RSS moves in 4 KiB pages,
  so a tighter bound would be flaky.  Checked by hand: a deliberate
  ``malloc(24)`` per call (through ctypes) exceeds it over 10**5 calls,
  and a leaked C object of ours (a ``df_dred_data`` is several KB, a
  features array up to 8 KB) would exceed it by two orders of magnitude.

The decode mix (10**5 calls, a few seconds on one core) cycles through the
committed DRED packets with several ``max_ms`` values, plus malformed
packets that must raise ``ValueError`` (exceptions carry tracebacks: a
classic leak source).  The model test does the same with fewer calls for the
streaming objects (analysis, FARGAN, LPCNet, DRED encoder, the receiver on a
lossy packet stream) and for creating and dropping objects.
"""
from __future__ import annotations

import gc
import os
import tracemalloc
from importlib import resources

import numpy as np
import pytest

import dredfast
from dredfast.audio import read_wav
from dredfast.vocoder import opus_to_lpcnet_features

import vectors

N_CALLS = 100_000
WARMUP = 10_000
TRACED_BOUND = 64 * 1024
RSS_BOUND = 2 * 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _bad_packets(packets: list) -> list:
    """Malformed variants of real packets: frame count code 3 with zero frames,
    and with a padding length running past the end."""
    out = []
    for p in packets[:20]:
        out.append(bytes([p[0] | 3, 0]) + p[2:])          # code 3, zero frames
        out.append(bytes([p[0] | 3, 0x41, 0xff]) + p[3:]) # code 3, 1 frame, padding flag, huge padding
    return out


def _measure(step, n_calls: int, warmup: int):
    """Runs step(i) warmup times, then n_calls times; returns (traced, rss) growth."""
    for i in range(warmup):
        step(i)
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(warmup):       # allocator state under tracing settles too
            step(i)
        gc.collect()
        traced0, rss0 = tracemalloc.get_traced_memory()[0], rss_bytes()
        for i in range(n_calls):
            step(i)
        gc.collect()
        traced1, rss1 = tracemalloc.get_traced_memory()[0], rss_bytes()
    finally:
        tracemalloc.stop()
    return traced1 - traced0, rss1 - rss0


def test_decode_calls_do_not_grow():
    packets = vectors.read_pkts(vectors.subset_pkts_path("v96"))
    bad = _bad_packets(packets)
    dec = dredfast.DredDecoder()
    max_ms = (1040, 500, 200, 80, 0)
    assert sum(dec.parse(p, 1040) is not None for p in packets) >= 40
    n_bad = 0
    for p in bad:
        try:
            dec.parse(p, 1040)
        except ValueError:
            n_bad += 1
    assert n_bad == len(bad), "every packet of the malformed mix must be rejected"

    def step(i):
        # 4 of 10 calls: parse (+ features when DRED); 3 find; 2 info; 1 bad.
        k, r = divmod(i, 10)
        p = packets[k % len(packets)]
        if r < 4:
            d = dec.parse(p, max_ms[k % len(max_ms)])
            if d is not None:
                d.features()
        elif r < 7:
            dredfast.find_dred_payload(p)
        elif r < 9:
            dredfast.packet_info(p)
        else:
            try:
                dec.parse(bad[k % len(bad)], 1040)
            except ValueError:
                pass

    traced, rss = _measure(step, N_CALLS, WARMUP)
    print(f"decode mix: {N_CALLS} calls, traced {traced:+d} B, RSS {rss:+d} B")
    assert traced <= TRACED_BOUND, f"traced memory grew by {traced} bytes over {N_CALLS} calls"
    assert rss <= RSS_BOUND, f"RSS grew by {rss} bytes over {N_CALLS} calls"


@pytest.fixture(scope="module")
def speech_and_features():
    pcm, fs = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    return pcm, dredfast.analyze(pcm)


@pytest.mark.parametrize("what, n_calls", [
    ("analysis", 20_000), ("fargan", 10_000), ("lpcnet", 600), ("dred_encoder", 10_000), ("receiver", 6_000),
    ("objects", 300)])
def test_model_calls_do_not_grow(weights, speech_and_features, what, n_calls):
    pcm, feats = speech_and_features
    nf = len(feats)
    if what == "analysis":
        an = dredfast.Analyzer(weights=weights)
        step = lambda i: an.process(pcm[(i % nf) * 160:(i % nf) * 160 + 160])  # noqa: E731
    elif what == "fargan":
        v = dredfast.Vocoder("fargan", weights=weights)
        v.prime(pcm[480:800], feats[:5])
        step = lambda i: v.synthesize(feats[5 + i % (nf - 5):6 + i % (nf - 5)])  # noqa: E731
    elif what == "lpcnet":
        v = dredfast.Vocoder("lpcnet", seed=5)
        lf = opus_to_lpcnet_features(feats)
        step = lambda i: v.synthesize(lf[i % nf:i % nf + 1])  # noqa: E731
    elif what == "dred_encoder":
        enc = dredfast.DredEncoder(weights=weights)
        n20 = len(pcm) // 320
        step = lambda i: enc.push(pcm[(i % n20) * 320:(i % n20) * 320 + 320])  # noqa: E731
    elif what == "receiver":
        # A packet stream with a lost packet in every 5 (recovered from the next
        # packet's DRED: libopus, deep PLC, DRED decoding and FARGAN all run)
        # and a garbage packet in every 50 (counted as bad, concealed).  A new
        # stream (reset) every 300 calls, the period of the pattern: the
        # receiver caches the DRED of up to 9 packets (up to 75 KB of
        # features), so both readings must see the same point of the pattern
        # (warm-up 600 and 6000 calls are multiples of 300).
        packets = vectors.read_pkts(vectors.subset_pkts_path("v96"))
        rx = dredfast.Receiver(weights=weights)
        npk = len(packets)
        assert 300 % npk == 0

        def step(i):
            if i % 300 == 0:
                rx.reset()
            k = i % npk
            pkt = None if i % 5 == 4 else b"\xff\xff\x00" if i % 50 == 7 else packets[k]
            rx.decode(pkt, lookahead=[packets[(k + 1) % npk]])
    else:
        def step(i):
            kind = i % 5
            if kind == 0:
                dredfast.DredDecoder(weights)
            elif kind == 1:
                dredfast.Analyzer(weights=weights)
            elif kind == 2:
                dredfast.Vocoder("fargan", weights=weights)
            elif kind == 3:
                dredfast.DredEncoder(weights=weights)
            else:
                dredfast.load_weights(b"DNNw")   # rejected blob: ValueError path
    if what == "objects":
        inner = step

        def step(i):  # noqa: F811 - wraps the ValueError of the rejected blob
            try:
                inner(i)
            except ValueError:
                assert i % 5 == 4

    traced, rss = _measure(step, n_calls, max(n_calls // 10, 20))
    print(f"{what}: {n_calls} calls, traced {traced:+d} B, RSS {rss:+d} B")
    # Same bounds as the decode test, for fewer calls: per call they are looser
    # but still far below any leaked object (a model object is 100+ KB).
    assert traced <= TRACED_BOUND, f"{what}: traced memory grew by {traced} bytes over {n_calls} calls"
    assert rss <= RSS_BOUND, f"{what}: RSS grew by {rss} bytes over {n_calls} calls"
