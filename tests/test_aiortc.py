"""dredfast.aiortc: two real aiortc RTCPeerConnections over loopback (ICE, DTLS, SRTP as
aiortc runs them), speech in, a trace-driven dropper on the receiving side.

* with dredfast on both ends the lost frames are recovered (counted by kind) and PESQ-WB
  of the received speech beats aiortc's own receive path on the same packets and the
  same loss (20 % Gilbert-Elliott, mean burst 3) by at least 0.5 (the issue's bar).
  Both are scored as heard: the frames a track returns go into a player that plays in
  real time and plays silence when it has nothing (aiortc's audio jitter buffer stalls at
  a gap until 16 packets have piled up behind it, then drops the gap and releases them);
  dredfast runs with a 200 ms playout delay (``min_delay_ms``) so DRED covers the bursts;
* stock aiortc on the far end decodes dredfast's packets (DRED in the padding) as
  ordinary Opus: PESQ-WB without loss above 2.8.

Each call runs in real time (the 3.5 s packaged demo speech + 1.5 s), about 6 s.  The
received audio is aligned to the sent speech by cross-correlation before scoring.
"""
import asyncio
import fractions
import time
from importlib import resources

import numpy as np
import pytest

pytest.importorskip("aiortc")
pytest.importorskip("pesq")
av = pytest.importorskip("av")
soxr = pytest.importorskip("soxr")

import dredfast  # noqa: E402
from dredfast.audio import read_wav  # noqa: E402
from dredfast.lossmodels import gilbert_elliott  # noqa: E402

from aiortc import RTCConfiguration, RTCPeerConnection  # noqa: E402
from aiortc.mediastreams import MediaStreamTrack  # noqa: E402

import dredfast.aiortc as dfa  # noqa: E402


@pytest.fixture(scope="module")
def speech(libopus):
    with resources.as_file(resources.files("dredfast.data").joinpath("demo_speech.wav")) as p:
        x, fs = read_wav(p)
    assert fs == 16000
    return x


class SpeechTrack(MediaStreamTrack):
    """20 ms frames of 48 kHz mono s16 in real time, then silence."""

    kind = "audio"

    def __init__(self, pcm16k):
        super().__init__()
        x = soxr.resample(pcm16k, 16000, 48000)
        self._x = np.clip(np.floor(0.5 + x * 32768), -32768, 32767).astype(np.int16)
        self._n, self._t0 = 0, None

    async def recv(self):
        if self._t0 is None:
            self._t0 = time.monotonic()
        wait = self._t0 + 0.02 * self._n - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        chunk = np.zeros(960, np.int16)
        part = self._x[960 * self._n:960 * (self._n + 1)]
        chunk[:len(part)] = part
        f = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        f.sample_rate, f.pts, f.time_base = 48000, 960 * self._n, fractions.Fraction(1, 48000)
        self._n += 1
        return f


def peer():
    """A peer connection with host candidates only (no STUN server: loopback needs none)."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def install_dropper(receiver, lost, state):
    handle = receiver._handle_rtp_packet

    async def drop(packet, arrival_time_ms):
        if state.get("seq0") is None:
            state["seq0"] = packet.sequence_number
        i = (packet.sequence_number - state["seq0"]) % 65536
        state["n"] = max(state.get("n", 0), i + 1)
        if lost[i % len(lost)]:
            state["dropped"] = state.get("dropped", 0) + 1
            return
        await handle(packet, arrival_time_ms)
    receiver._handle_rtp_packet = drop


PLAYER_BUFFER = 0.06   # s: the player starts this long after the first frame


def played(frames):
    """What a listener hears: each frame (arrival time, av frame) queued into a player
    that starts ``PLAYER_BUFFER`` after the first arrival, plays in real time and plays
    silence when its queue is empty (frames resampled as one signal: per-frame
    resampling would add edge artefacts every 20 ms)."""
    if not frames:
        return np.zeros(0, np.float32)
    rate = frames[0][1].sample_rate
    assert all(f.sample_rate == rate for _, f in frames)
    t0 = frames[0][0]
    out, pos = [], 0
    for t, f in frames:
        a = f.to_ndarray().reshape(-1, len(f.layout.channels)).astype(np.float32).mean(axis=1) / 32768
        start = max(pos, int(round((t - t0 - PLAYER_BUFFER) * rate)))
        if start > pos:
            out.append(np.zeros(start - pos, np.float32))   # the player ran dry
        out.append(a)
        pos = start + len(a)
    y = np.concatenate(out)
    return soxr.resample(y, rate, 16000).astype(np.float32) if rate != 16000 else y


async def call(speech, lost, *, dred_tx, dred_rx):
    pc1, pc2 = peer(), peer()
    sender = pc1.addTrack(SpeechTrack(speech))
    if dred_tx:
        dfa.use_dred_sender(sender)
    got, state = {}, {}

    @pc2.on("track")
    def on_track(track):
        rx = next(t.receiver for t in pc2.getTransceivers() if t.receiver.track is track)
        if dred_rx:
            track = dfa.use_dred_receiver(rx, min_delay_ms=200)
        install_dropper(rx, lost, state)
        got["track"] = track

    await pc1.setLocalDescription(await pc1.createOffer())
    await pc2.setRemoteDescription(pc1.localDescription)
    await pc2.setLocalDescription(await pc2.createAnswer())
    await pc1.setRemoteDescription(pc2.localDescription)
    track = got["track"]
    frames, t_end = [], time.monotonic() + len(speech) / 16000 + 2.0
    while time.monotonic() < t_end:
        try:
            f = await asyncio.wait_for(track.recv(), timeout=0.3)
        except asyncio.TimeoutError:
            continue
        frames.append((time.monotonic(), f))
    await pc1.close()
    await pc2.close()
    return played(frames), state, track


def aligned(ref, y):
    """``y`` shifted so that it lines up with ``ref`` (lag by FFT cross-correlation,
    0-1.5 s), cut or zero-padded to its length."""
    n = 1 << int(np.ceil(np.log2(len(ref) + len(y))))
    c = np.fft.irfft(np.fft.rfft(y, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(c[:24000]))
    out = np.zeros_like(ref)
    seg = y[lag:lag + len(ref)]
    out[:len(seg)] = seg
    return out


def pesq_wb(ref, y):
    from dredfast.metrics import pesq_wb
    return float(pesq_wb(ref, aligned(ref, y)))


def test_dredfast_beats_aiortc_receive_path(speech):
    lost = gilbert_elliott(400, 0.2, 3, seed=5)
    lost[:10] = False   # let the call set up
    y_dred, st_dred, track = asyncio.run(call(speech, lost, dred_tx=True, dred_rx=True))
    y_stock, st_stock, _ = asyncio.run(call(speech, lost, dred_tx=True, dred_rx=False))
    s = track.jitter.stats
    assert st_dred["dropped"] > 20 and st_stock["dropped"] > 20
    assert s.lost > 20 and s.filled["dred"] > 5 and s.filled["lbrr"] > 0
    assert sum(s.filled.values()) + s.underrun >= s.lost
    q_dred, q_stock = pesq_wb(speech, y_dred), pesq_wb(speech, y_stock)
    print(f"PESQ-WB dredfast {q_dred:.3f}, aiortc {q_stock:.3f}; dropped {st_dred['dropped']} of {st_dred['n']}; "
          f"stats {s}")
    assert q_dred >= q_stock + 0.5


def test_stock_aiortc_decodes_dredfast_packets(speech):
    y, state, _ = asyncio.run(call(speech, np.zeros(1, bool), dred_tx=True, dred_rx=False))
    q = pesq_wb(speech, y)
    print(f"PESQ-WB stock aiortc decoding dredfast's packets, no loss: {q:.3f}")
    # Measured 3.31 coding at 16 kHz and 2.99 at 48 kHz (24 kb/s then also codes above
    # 8 kHz, which PESQ-WB does not hear); a decoder that failed on the padding would
    # give silence or noise, far below.
    assert q > 2.8


def test_enable_per_connection(speech):
    """``enable(pc)``: the application's on("track") gets a DredAudioTrack, and the
    sender encodes with DRED (the receiver recovers losses with it)."""
    async def run():
        pc1, pc2 = peer(), peer()
        dfa.enable(pc1)
        dfa.enable(pc2, receiver={"min_delay_ms": 100})
        pc1.addTrack(SpeechTrack(speech))
        got, state = {}, {}

        @pc2.on("track")
        def on_track(track):
            got["track"] = track
            rx = next(t.receiver for t in pc2.getTransceivers() if t.receiver.track is track)
            install_dropper(rx, gilbert_elliott(300, 0.2, 3, seed=2), state)

        await pc1.setLocalDescription(await pc1.createOffer())
        await pc2.setRemoteDescription(pc1.localDescription)
        await pc2.setLocalDescription(await pc2.createAnswer())
        await pc1.setRemoteDescription(pc2.localDescription)
        t_end = time.monotonic() + 3.0
        while time.monotonic() < t_end:
            await got["track"].recv()
        await pc1.close()
        await pc2.close()
        return got["track"]
    track = asyncio.run(run())
    assert isinstance(track, dfa.DredAudioTrack)
    assert track.jitter.stats.received > 50 and track.jitter.stats.filled["dred"] > 0
