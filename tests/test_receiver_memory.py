"""Memory per receiver, stated and bounded (issue 16).

A media server keeps one ``Receiver`` per call for the call's whole length, so two
things must hold:

* a receiver's memory does not grow over a long stream: 10,000 packets (200 s) of the
  committed 24 kb/s DRED sample looped, 20 % bursty Gilbert-Elliott loss
  (``dredfast.lossmodels``), a garbage packet in every 97 and a 3 s gap in every 2,000
  slots (longer than DRED's 1 s reach and the PLC's fade-out), no reset.  Measured
  after a warm-up of 2,000 packets (caches, allocator pools and every code path
  touched once).  Bounds as in ``test_memory.py`` and why: traced (Python) memory
  +64 KiB (under 10 bytes per packet: any leaked Python object per packet exceeds it),
  RSS +1 MiB (about 100 bytes per packet; glibc keeps freed memory in its arenas and
  RSS moves in pages; a leaked C buffer of the receiver -- a DRED's features are KBs --
  per packet or per gap would exceed it);
* the memory a receiver holds is bounded: 50 receivers, created and run over the
  same lossy stream, add at most ``PER_RECEIVER`` = 1 MiB of RSS each.  Measured here
  (``benchmarks/streams_per_core.py``, RSS growth / N at N = 100 and 1000): about
  0.35-0.41 MB per FARGAN receiver (0.42 MB in this test), beside 0.09-0.18 MB of RSS for
  libopus 1.6.1's decoder + DRED decoder + DRED state (100,856 bytes of objects); the bound
  leaves room for allocator rounding on other machines
  and still catches a receiver that copies the model weights (several MB) or keeps
  its stream.
"""
from __future__ import annotations

import gc
import os
import tracemalloc

import numpy as np

import dredfast
from dredfast.lossmodels import gilbert_elliott

import vectors

PAGE = os.sysconf("SC_PAGE_SIZE")
N_PACKETS = 10_000
WARMUP = 2_000
TRACED_BOUND = 64 * 1024
RSS_BOUND = 1024 * 1024
PER_RECEIVER = 1024 * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _slots(n: int, seed: int = 1):
    """(packet or None, lookahead) for n slots of the looped sample at 20 % bursty loss,
    garbage and long gaps; lookahead = up to 3 following slots (a 60 ms jitter buffer)."""
    packets = vectors.read_pkts(vectors.subset_pkts_path("v24"))
    lost = gilbert_elliott(n, loss=0.2, burst=8, seed=seed).astype(bool)
    rng = np.random.default_rng(seed)
    garbage = [rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes() for _ in range(16)]
    seq = []
    for i in range(n):
        if i % 2000 >= 1850:          # 3 s gap
            seq.append(None)
        elif i % 97 == 50:
            seq.append(garbage[i % len(garbage)])
        else:
            seq.append(None if lost[i] else packets[i % len(packets)])
    return [(seq[i], [seq[j] for j in range(i + 1, min(n, i + 4))]) for i in range(n)]


def test_receiver_memory_does_not_grow_over_a_long_stream():
    slots = _slots(WARMUP + N_PACKETS)
    rx = dredfast.Receiver(16000, vocoder="fargan")
    for p, ahead in slots[:WARMUP]:
        rx.decode(p, lookahead=ahead)
    gc.collect()
    tracemalloc.start()
    try:
        traced0, rss0 = tracemalloc.get_traced_memory()[0], rss_bytes()
        for p, ahead in slots[WARMUP:]:
            rx.decode(p, lookahead=ahead)
        gc.collect()
        traced1, rss1 = tracemalloc.get_traced_memory()[0], rss_bytes()
    finally:
        tracemalloc.stop()
    st = rx.stats
    print(f"{N_PACKETS} packets: traced {traced1 - traced0:+d} B, RSS {rss1 - rss0:+d} B, {st}")
    # The stream really exercised every path.
    assert st.dred > 100 and st.plc > 500 and st.bad_packets > 50 and st.normal > 5000
    assert traced1 - traced0 <= TRACED_BOUND
    assert rss1 - rss0 <= RSS_BOUND


def test_memory_per_receiver_is_bounded():
    slots = _slots(500, seed=2)
    # One receiver first: libopus, the model weights and the lazily loaded parts are
    # shared by all receivers and must not count against each.
    warm = dredfast.Receiver(16000, vocoder="fargan")
    for p, ahead in slots:
        warm.decode(p, lookahead=ahead)
    gc.collect()
    r0 = rss_bytes()
    rxs = [dredfast.Receiver(16000, vocoder="fargan") for _ in range(50)]
    for p, ahead in slots:
        for rx in rxs:
            rx.decode(p, lookahead=ahead)
    per = (rss_bytes() - r0) / len(rxs)
    print(f"RSS per receiver: {per / 1e6:.3f} MB")
    assert per <= PER_RECEIVER
