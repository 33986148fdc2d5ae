"""pytest-benchmark: the Receiver over 2.4 s of speech under a 20 % bursty loss pattern.

libopus 1.6.1 decoding 24 kb/s packets with DRED under a 20 % bursty trace: 0.0045 CPU s
per s of audio (ANCHORS.md).  Packets: dredfast.Encoder at 24 kb/s with libopus 1.6.1's
DRED budget (needs the system libopus).  Divide the median by 2.4 s for CPU s per s.
``history``: "shadow" (default: concealed frames re-encoded for the system decoder) beside
"stock" (its own PLC), to show what the re-encoding costs.
"""
import numpy as np
import pytest

import dredfast

import vectors


def _lost(n, seed=1):
    """Gilbert-Elliott losses, about 20 % in bursts of about 4 packets (deterministic)."""
    rng = np.random.default_rng(seed)
    bad, out = False, []
    for _ in range(n):
        bad = (rng.random() < 0.06) if not bad else (rng.random() < 0.75)
        out.append(bad)
    out[0] = False
    return np.array(out)


@pytest.fixture(scope="module")
def stream():
    try:
        dredfast.OpusDecoder()
    except ImportError as e:
        pytest.skip(str(e))
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    x = np.concatenate([z["pcm"].astype(np.float32) / 32768, np.zeros(320, np.float32)])
    packets = dredfast.Encoder(bitrate=24000, lbrr=False).encode_all(x)
    return packets, _lost(len(packets))


@pytest.mark.parametrize("vocoder,history", [("fargan", "shadow"), ("fargan", "stock"), ("lpcnet", "shadow")])
def test_receiver_stream(benchmark, stream, vocoder, history):
    packets, lost = stream
    benchmark.group = "receiver: 2.4 s at 24 kb/s, ~20 % bursty loss"

    def run():
        rx = dredfast.Receiver(vocoder=vocoder, history=history)
        for i, p in enumerate(packets):
            ahead = [None if (j >= len(packets) or lost[j]) else packets[j] for j in range(i + 1, i + 4)]
            rx.decode(None if lost[i] else p, lookahead=ahead)
        return rx.stats

    stats = benchmark(run)
    assert stats.dred + stats.plc == lost.sum()
