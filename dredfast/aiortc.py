"""aiortc integration (extra ``dredfast[aiortc]``): Opus with DRED out, loss recovery in.

aiortc's own audio path drops lost packets (its jitter buffer skips them and nothing
conceals).  Here, per connection or per track:

* receiving: the incoming RTP of an audio receiver goes to a :class:`dredfast.RtpReceiver`
  (jitter buffer + LBRR / DRED / neural PLC) instead of aiortc's decoder; the track the
  application reads (:class:`DredAudioTrack`) hands out 20 ms frames on the playout clock;
* sending: aiortc's Opus encoder is replaced by :class:`DredOpusEncoder` (system libopus
  primary + LBRR, DRED in the padding).  The SDP is unchanged: DRED rides in the Opus
  padding, which every Opus decoder ignores, so stock peers play the packets as usual.

>>> pc = RTCPeerConnection()
>>> dredfast.aiortc.enable(pc)            # before setRemoteDescription / addTrack
>>> @pc.on("track")
... def on_track(track): ...              # audio tracks are DredAudioTrack

pipecat's SmallWebRTC transport runs on aiortc: call ``enable(pc)`` on the
``RTCPeerConnection`` it creates (its ``SmallWebRTCConnection`` holds it as ``pc``) before
the offer is applied, and its audio input and output go through dredfast.

This module reaches into aiortc internals (the receiver's decoder thread, the sender's
encoder slot); it is written for aiortc 1.9-1.x and says so if those are missing.
"""
from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from typing import Any, Dict, Optional

import numpy as np

from .jitter import RtpReceiver
from .rtp import make_rtp

try:
    import av
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
except ImportError as e:   # pragma: no cover - depends on the environment
    raise ImportError("dredfast.aiortc needs aiortc: pip install 'dredfast[aiortc]'") from e

#: Opus's RTP clock: the receive track's rate and the encoder's input rate whenever the
#: receiver / encoder accept it; else they fall back to 16 kHz (dredfast before its
#: 48 kHz receiver and sender).
RATE = 48000
FALLBACK_RATE = 16000


def _private(obj: Any, cls: str, name: str) -> str:
    attr = f"_{cls}__{name}"
    if not hasattr(obj, attr):
        raise RuntimeError(f"this aiortc version has no {cls}.{name}: dredfast.aiortc supports aiortc 1.9-1.x")
    return attr


class DredAudioTrack(MediaStreamTrack):
    """The audio of one incoming RTP stream, recovered by dredfast: 20 ms mono s16 frames
    at 16 kHz, paced by the wall clock from the first :meth:`recv`.  ``jitter`` is the
    :class:`dredfast.RtpReceiver` (its ``stats`` say what happened)."""

    kind = "audio"

    def __init__(self, jitter: RtpReceiver, id: Optional[str] = None):
        super().__init__()
        if id is not None:
            self._id = id
        self.jitter = jitter
        self._t0: Optional[float] = None
        self._n = 0
        # aiortc's receiver hands its decoder thread this track's ``_queue``; that thread
        # is stopped as soon as it starts (see use_dred_receiver), so nothing piles up.
        self._queue: asyncio.Queue = asyncio.Queue()

    async def recv(self) -> "av.AudioFrame":
        if self.readyState != "live":
            raise MediaStreamError
        if self._t0 is None:
            self._t0 = time.monotonic()
        wait = self._t0 + self._n * 0.02 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        pcm = self.jitter.pull()
        s16 = np.clip(np.floor(0.5 + pcm * 32768), -32768, 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(s16.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.jitter.sample_rate
        frame.pts = self._n * len(s16)
        frame.time_base = fractions.Fraction(1, self.jitter.sample_rate)
        self._n += 1
        return frame


def use_dred_receiver(receiver: Any, **rtp_kwargs) -> DredAudioTrack:
    """Routes an aiortc ``RTCRtpReceiver``'s Opus packets to dredfast; returns the track
    to read.  Call before the connection starts receiving (in ``pc.on("track")`` or
    earlier).  ``rtp_kwargs`` go to :class:`dredfast.RtpReceiver` (``min_delay_ms``,
    ``vocoder``, ...); the track plays mono at 48 kHz (16 kHz where the receiver does
    not take 48 kHz yet) unless ``sample_rate`` says otherwise."""
    if "sample_rate" in rtp_kwargs:
        jb = RtpReceiver(**rtp_kwargs)
    else:
        try:
            jb = RtpReceiver(sample_rate=RATE, **rtp_kwargs)
        except ValueError:
            jb = RtpReceiver(sample_rate=FALLBACK_RATE, **rtp_kwargs)
    old = getattr(receiver, "_track", None)
    track = DredAudioTrack(jb, id=getattr(old, "id", None))
    receiver._track = track
    codecs_attr = _private(receiver, "RTCRtpReceiver", "codecs")
    thread_attr = _private(receiver, "RTCRtpReceiver", "decoder_thread")
    queue_attr = _private(receiver, "RTCRtpReceiver", "decoder_queue")
    handle = receiver._handle_rtp_packet
    receive = receiver.receive

    async def receive_then_stop_stock_decoder(parameters):
        await receive(parameters)
        thread = getattr(receiver, thread_attr)
        if thread is not None:   # aiortc's decoder is not used: end its thread
            getattr(receiver, queue_attr).put(None)
            setattr(receiver, thread_attr, None)

    async def handle_rtp(packet, arrival_time_ms: int) -> None:
        # aiortc's own handling first: RTCP statistics, NACKs (its decoder is stopped).
        await handle(packet, arrival_time_ms)
        codec = getattr(receiver, codecs_attr).get(packet.payload_type)
        if codec is None or codec.mimeType.lower() != "audio/opus" or not receiver._enabled:
            return
        jb.push(make_rtp(packet.payload, sequence=packet.sequence_number, timestamp=packet.timestamp,
                         ssrc=packet.ssrc, payload_type=packet.payload_type, marker=bool(packet.marker)),
                arrival_time=arrival_time_ms / 1000)

    receiver.receive = receive_then_stop_stock_decoder
    receiver._handle_rtp_packet = handle_rtp
    if getattr(receiver, thread_attr) is not None:   # already receiving
        getattr(receiver, queue_attr).put(None)
        setattr(receiver, thread_attr, None)
    return track


class DredOpusEncoder:
    """aiortc encoder interface (``encode(frame) -> (payloads, timestamp)``): any audio
    frame in (mixed down to mono, resampled with soxr to 48 kHz -- or 16 kHz where the
    encoder does not take 48 kHz yet), one Opus packet with DRED out per 20 ms.  Keyword
    arguments go to :class:`dredfast.Encoder`; default 24 kb/s + LBRR + 1 s of DRED at
    16 kb/s (the ``dredfast encode`` defaults)."""

    def __init__(self, **encoder_kwargs):
        from .encoder import Encoder
        encoder_kwargs.setdefault("bitrate", 24000)
        encoder_kwargs.setdefault("dred_bitrate", 16000)
        rate = encoder_kwargs.pop("sample_rate", None)
        if rate is None:
            try:
                self._enc, rate = Encoder(sample_rate=RATE, **encoder_kwargs), RATE
            except ValueError:
                self._enc, rate = Encoder(sample_rate=FALLBACK_RATE, **encoder_kwargs), FALLBACK_RATE
        else:
            self._enc = Encoder(sample_rate=rate, **encoder_kwargs)
        self.sample_rate = int(rate)
        self._frame = self._enc.frame_samples                # samples per packet
        self._ticks = self._frame * 48000 // self.sample_rate  # RTP clock per packet
        self._rs = None
        self._rate = None
        self._buf = np.zeros(0, np.float32)
        self._ready: deque = deque()
        self._ts = 0

    def _pcm(self, frame) -> np.ndarray:
        a = frame.to_ndarray()
        ch = len(frame.layout.channels)
        if frame.format.is_planar:
            a = a.reshape(ch, -1).T
        else:
            a = a.reshape(-1, ch)
        x = a.astype(np.float32)
        if a.dtype == np.int16:
            x *= np.float32(1 / 32768)
        elif a.dtype == np.int32:
            x *= np.float32(1 / 2147483648)
        return x.mean(axis=1, dtype=np.float32)

    def encode(self, frame, force_keyframe: bool = False):
        import soxr
        x = self._pcm(frame)
        if frame.sample_rate != self._rate:
            self._rate = frame.sample_rate
            self._rs = None if self._rate == self.sample_rate else \
                soxr.ResampleStream(self._rate, self.sample_rate, 1, dtype="float32")
        y = x if self._rs is None else self._rs.resample_chunk(x)
        self._buf = np.concatenate([self._buf, y])
        while len(self._buf) >= self._frame:
            self._ready.append(self._enc.encode(self._buf[:self._frame]))
            self._buf = self._buf[self._frame:]
        if not self._ready:
            return [], None
        # aiortc stamps every payload of one call with the same timestamp: one packet
        # per call (a second one, when the resampler's output crossed two frames, waits).
        ts = self._ts
        self._ts += self._ticks
        return [self._ready.popleft()], ts

    def pack(self, packet):   # pre-encoded input is not re-encoded
        raise NotImplementedError("DredOpusEncoder encodes audio frames only")


def use_dred_sender(sender: Any, **encoder_kwargs) -> DredOpusEncoder:
    """Makes an aiortc ``RTCRtpSender`` of audio encode with :class:`DredOpusEncoder`.
    Call before it sends its first frame."""
    enc = DredOpusEncoder(**encoder_kwargs)
    setattr(sender, _private(sender, "RTCRtpSender", "encoder"), enc)
    return enc


def enable(pc: Any, *, receiver: Optional[Dict] = None, sender: Optional[Dict] = None) -> None:
    """dredfast on every audio track of an ``RTCPeerConnection``, present and future:
    incoming audio tracks (``pc.on("track")`` and ``receiver.track``) become
    :class:`DredAudioTrack`, outgoing audio is encoded with DRED.  ``receiver`` /
    ``sender``: keyword arguments for :func:`use_dred_receiver` / :func:`use_dred_sender`.
    Call before ``setRemoteDescription``."""
    rx_kw, tx_kw = dict(receiver or {}), dict(sender or {})
    emit = pc.emit
    patched_senders: set = set()

    def patch_senders() -> None:
        for t in pc.getTransceivers():
            s = t.sender
            if t.kind == "audio" and id(s) not in patched_senders:
                use_dred_sender(s, **tx_kw)
                patched_senders.add(id(s))

    def emit_with_dred(event, *args, **kwargs):
        if event == "track" and args and getattr(args[0], "kind", None) == "audio":
            for t in pc.getTransceivers():
                if t.receiver.track is args[0]:
                    args = (use_dred_receiver(t.receiver, **rx_kw),) + args[1:]
                    break
        return emit(event, *args, **kwargs)

    pc.emit = emit_with_dred
    for name in ("addTrack", "addTransceiver"):
        orig = getattr(pc, name)

        def wrapped(*a, _orig=orig, **k):
            out = _orig(*a, **k)
            patch_senders()
            return out
        setattr(pc, name, wrapped)
    for name in ("setRemoteDescription", "createOffer", "createAnswer"):
        orig = getattr(pc, name)

        async def wrapped_async(*a, _orig=orig, **k):
            out = await _orig(*a, **k)
            patch_senders()
            return out
        setattr(pc, name, wrapped_async)
    patch_senders()
