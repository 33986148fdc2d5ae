"""pytest-benchmark: what the RTP jitter buffer adds per packet.

The committed libopus 1.6.1 packets (tests/data, v96 excerpt), wrapped in RTP and pushed
with a random 0-60 ms arrival delay (so they arrive reordered), one ``pull()`` per 20 ms
packet.  Three runs over the same stream:

* ``null``: ``RtpReceiver`` driving a receiver that decodes nothing (returns 20 ms of
  zeros) -- the jitter buffer's own cost: RTP parsing, filing, look-ahead lists, FIFO;
* ``receiver``: the real ``dredfast.Receiver`` behind it;
* ``direct``: the same ``Receiver`` fed the packets in order without RTP.

Per-packet overhead = (null median) / packets; the ratio ``receiver / direct`` is the
whole cost of going through RTP relative to decoding.  Run with
``python -m pytest benchmarks/test_bench_rtp.py --benchmark-enable`` (one core:
``taskset -c 1``).
"""
import random

import numpy as np
import pytest

import dredfast
from dredfast.rtp import make_rtp, opus_duration

import vectors


class _NullReceiver:
    last_kind = "normal"

    def __init__(self):
        self._y = np.zeros(320, np.float32)

    def decode(self, packet, *, lookahead=()):
        self.last_kind = "normal" if packet is not None else "plc"
        return self._y

    def reset(self):
        pass


@pytest.fixture(scope="module")
def stream():
    packets = vectors.read_pkts(vectors.subset_pkts_path("v96"))
    rng = random.Random(0)
    ts, events = 0, []
    for i, p in enumerate(packets):
        events.append((0.02 * i + rng.uniform(0, 0.06), make_rtp(p, sequence=i, timestamp=ts, ssrc=1)))
        ts += opus_duration(p)
    events.sort(key=lambda e: e[0])
    return packets, events


def _run(events, n, receiver):
    # Pushes what has arrived by each 20 ms tick, then pulls.
    jb = dredfast.RtpReceiver(sample_rate=16000, min_delay_ms=80, max_delay_ms=300, receiver=receiver)
    k = 0
    for i in range(n):
        now = 0.02 * i
        while k < len(events) and events[k][0] <= now:
            jb.push(events[k][1], events[k][0])
            k += 1
        jb.pull()
    return jb.stats


def test_rtp_overhead_null(benchmark, stream):
    packets, events = stream
    benchmark.group = "RtpReceiver push+pull"
    stats = benchmark(lambda: _run(events, len(packets), _NullReceiver()))
    assert stats.received >= len(packets) - 3 and stats.late == 0   # the last ones arrive after the run
    benchmark.extra_info["us_per_packet"] = benchmark.stats.stats.median / len(packets) * 1e6


def test_rtp_with_receiver(benchmark, stream):
    try:
        dredfast.OpusDecoder()
    except ImportError as e:
        pytest.skip(str(e))
    packets, events = stream
    benchmark.group = "RtpReceiver push+pull"
    stats = benchmark(lambda: _run(events, len(packets), dredfast.Receiver()))
    assert stats.received >= len(packets) - 3


def test_direct_receiver(benchmark, stream):
    try:
        dredfast.OpusDecoder()
    except ImportError as e:
        pytest.skip(str(e))
    packets, _ = stream
    benchmark.group = "RtpReceiver push+pull"

    def run():
        rx = dredfast.Receiver()
        for p in packets:
            rx.decode(p)
    benchmark(run)
