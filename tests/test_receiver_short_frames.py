"""Issue 12, finding 6: valid 2.5 ms and 5 ms Opus packets (CELT, restricted low delay)
are not bad packets.

Real packets, made here with the system libopus encoder (``restricted_lowdelay``
codes CELT only, which is what the 2.5 / 5 ms frame sizes need).  One second of
packets in must give one second of 16 kHz audio out, every packet counted normal and
none bad; with a few losses, the concealment must be as long as the lost frames (not
20 ms per loss).  Before the C receiver (issue 11) each short packet was counted bad and
replaced by 20 ms of concealment (1 s in, 8 s out at 2.5 ms).
"""
import numpy as np
import pytest

import dredfast
from dredfast import _libopus

SR = 16000


def _speech(n):
    from importlib import resources

    from dredfast.audio import read_wav
    pcm, fs = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    assert fs == SR and len(pcm) >= SR + n
    return pcm[SR:SR + n].astype(np.float32)


def _packets(libopus, frame_ms: float):
    """One second of real CELT packets of frame_ms each."""
    n = int(SR * frame_ms / 1000)
    enc = _libopus.OpusEncoder(SR, 1, application="restricted_lowdelay", bitrate=32000, lib=None)
    x = _speech(SR)
    pk = [enc.encode(x[i:i + n]) for i in range(0, SR, n)]
    # They are what the test says they are: CELT-only TOC (configs 16-31), frame_ms each.
    dec = _libopus.OpusDecoder(SR, 1)
    assert all(p[0] >> 3 >= 16 for p in pk)
    assert all(dec.packet_nb_samples(p) == n for p in pk)
    assert len(pk) * n == SR
    return pk, n


@pytest.mark.parametrize("frame_ms", [2.5, 5])
def test_one_second_in_one_second_out(libopus, frame_ms):
    pk, n = _packets(libopus, frame_ms)
    rx = dredfast.Receiver()
    out = [rx.decode(p) for p in pk]
    assert rx.stats.bad_packets == 0
    assert rx.stats.normal == len(pk)
    assert [len(y) for y in out] == [n] * len(pk)
    y = np.concatenate(out)
    assert len(y) == SR
    assert np.all(np.isfinite(y)) and np.sqrt(np.mean(y ** 2)) > 0.01  # real audio, not silence


@pytest.mark.parametrize("frame_ms", [2.5, 5])
def test_concealment_length_equals_the_lost_frames(libopus, frame_ms):
    pk, n = _packets(libopus, frame_ms)
    lost = {40, 41, 42, 100, 250} if frame_ms == 2.5 else {40, 41, 100, 150}
    rx = dredfast.Receiver()
    out = []
    for i, p in enumerate(pk):
        out.append(rx.decode(None if i in lost else p, lookahead=pk[i + 1:i + 3]))
    assert rx.stats.bad_packets == 0
    assert rx.stats.normal == len(pk) - len(lost)
    assert rx.stats.lbrr + rx.stats.dred + rx.stats.plc == len(lost)
    for i in lost:
        assert len(out[i]) == n, (i, len(out[i]))
    assert sum(len(y) for y in out) == SR
