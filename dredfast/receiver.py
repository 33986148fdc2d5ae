"""The receiver: Opus packets in, some missing, continuous 16 kHz speech out.

Per 20 ms it chooses, as libopus 1.6.1 does with DRED enabled:

1. the packet itself, decoded by the system libopus;
2. for a lost packet whose successor is already in the jitter buffer and carries LBRR
   (in-band FEC) for it: that LBRR, decoded by the system libopus;
3. otherwise, when a later packet in the jitter buffer carries DRED covering the lost
   one: the DRED features (from the packet closest after the gap, where the lost frame is
   among its newest, most finely quantised latents), synthesised by the vocoder
   continuing from the real past audio;
4. otherwise neural PLC: the Opus PLC network predicts the features from the history,
   fading out over long losses as libopus does.

The concealment machinery (feature queue, PLC network, FARGAN continuation, attenuation)
is libopus's deep PLC, run in dredfast's C core.  The system libopus decodes the primary
audio; during a loss it is also asked to conceal (and its output dropped) so that its
state moves on, and its first decoded frame after a loss is cross-faded from the neural
continuation.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, asdict
from typing import Optional, Sequence, Union

import numpy as np

from ._checks import as_packet
from ._weights import PathLike, Weights, resolve

SAMPLE_RATE = 16000
FRAME_10MS = 160
DEFAULT_FRAME = 320


@dataclass
class ReceiverStats:
    """How many 20 ms frames were produced each way (and bad packets seen)."""

    normal: int = 0
    lbrr: int = 0
    dred: int = 0
    plc: int = 0
    bad_packets: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


class Receiver:
    """Decodes a packet stream with losses, recovering them with LBRR, DRED and neural PLC.

    ``vocoder``: ``"fargan"`` (libopus 1.6.1's) or ``"lpcnet"`` synthesises concealed
    audio.  ``libopus``: path to the system libopus (default: found automatically).
    ``crossfade_ms``: length of the fade from concealed audio back to decoded audio.

    Call :meth:`decode` once per packet slot, in order, with ``None`` for a packet that
    did not arrive; ``lookahead`` are the packets of the following slots that the
    application's jitter buffer already holds (oldest first, ``None`` for a slot still
    empty).  Thread-safe per object; the GIL is released during decoding and synthesis.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, vocoder: str = "fargan",
                 weights: Optional[Union[Weights, PathLike]] = None, libopus: Optional[str] = None, *,
                 isa: Optional[str] = None, crossfade_ms: float = 10.0, max_dred_ms: int = 1000):
        from ._libopus import OpusDecoder
        from ._plc import DeepPLC
        from .dred import DredDecoder

        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"Receiver works at 16000 Hz (got {sample_rate}); resample its output if needed")
        if vocoder not in ("fargan", "lpcnet"):
            raise ValueError(f"vocoder must be 'fargan' or 'lpcnet', got {vocoder!r}")
        w = resolve(weights)
        self.vocoder = vocoder
        self._opus = OpusDecoder(SAMPLE_RATE, 1, lib=libopus)
        self._plc = DeepPLC(weights=w, isa=isa, vocoder=vocoder)
        self._dred = DredDecoder(w, isa=isa)
        self._max_dred_ms = int(max_dred_ms)
        n = int(round(crossfade_ms * SAMPLE_RATE / 1000))
        if not 0 <= n <= FRAME_10MS:
            raise ValueError("crossfade_ms must be between 0 and 10")
        # Raised-cosine fade-in of the decoded audio (fade-out of the concealment).
        self._fade = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32) if n else None
        self._frame = DEFAULT_FRAME
        self._concealed = False      # the last output came from the vocoder
        self._last_packet: Optional[bytes] = None
        self._dred_cache: dict = {}
        self._lock = threading.Lock()
        self.stats = ReceiverStats()
        #: How the last :meth:`decode` produced its audio: "normal", "lbrr", "dred", "plc" or "bad".
        self.last_kind = ""

    def reset(self) -> None:
        """Starts a new stream."""
        with self._lock:
            self._opus.reset()
            self._plc.reset()
            self._frame = DEFAULT_FRAME
            self._concealed = False
            self._last_packet = None
            self._dred_cache.clear()
            self.stats = ReceiverStats()

    # -- decoding -------------------------------------------------------------------
    def decode(self, packet: Optional[bytes], *, lookahead: Sequence[Optional[bytes]] = ()) -> np.ndarray:
        """One packet's worth of 16 kHz float32 audio (320 samples for a 20 ms packet)."""
        pkt = None if packet is None else as_packet(packet)
        ahead = [None if p is None else as_packet(p, "lookahead packet") for p in lookahead]
        with self._lock:
            if pkt is not None:
                out = self._decode_packet(pkt)
                if out is not None:
                    return out
                self.stats.bad_packets += 1
                kind_bad = True
            else:
                kind_bad = False
            out = self._conceal(ahead)
            if kind_bad:
                self.last_kind = "bad"
            return out

    def _decode_packet(self, pkt: bytes) -> Optional[np.ndarray]:
        if pkt == self._last_packet:
            return None  # a repeated packet: its audio was already played
        try:
            n = self._opus.packet_nb_samples(pkt)
        except ValueError:
            return None
        if n % FRAME_10MS or not 0 < n <= 5760:
            return None
        try:
            y = self._opus.decode(pkt, n)
        except ValueError:
            return None
        self._last_packet = pkt
        self._frame = n
        self._finish_decoded(y)
        self.stats.normal += n // DEFAULT_FRAME or 1
        self.last_kind = "normal"
        return y

    def _finish_decoded(self, y: np.ndarray) -> None:
        """Cross-fades out of a concealment and feeds the decoded audio to the PLC history."""
        if self._concealed and self._fade is not None:
            cont = self._plc.peek()
            k = len(self._fade)
            y[:k] = self._fade * y[:k] + (1.0 - self._fade) * cont[:k]
        self._concealed = False
        self._plc.update(y)

    def _conceal(self, ahead: Sequence[Optional[bytes]]) -> np.ndarray:
        frame = self._frame
        nxt = next((j for j, p in enumerate(ahead) if p is not None), None)
        # LBRR: the very next packet carries this frame's in-band FEC.
        if nxt == 0 and self._opus.has_lbrr(ahead[0]):
            try:
                y = self._opus.decode(ahead[0], frame, fec=True)
            except ValueError:
                y = None
            if y is not None:
                self._finish_decoded(y)
                self.stats.lbrr += 1
                self.last_kind = "lbrr"
                return y
        # Keep the system decoder's state moving through the gap (its audio is not used).
        self._opus.decode(None, frame)
        dred = self._dred_for(ahead[nxt]) if nxt is not None else None
        self._plc.fec_clear()
        kind = "plc"
        if dred is not None:
            feats = dred[1]
            init = 0 if self._plc.blend else 2
            # libopus (opus_decode_native): the lost frame starts D samples before the
            # packet carrying DRED; feature row for 10 ms step i, floor() on purpose.
            dist = (nxt + 1) * frame
            base = (dist + dred[0] * 40) // FRAME_10MS
            added = 0
            for i in range(init + frame // FRAME_10MS):
                row = init - i - 2 + base
                if 0 <= row < len(feats):
                    self._plc.fec_add(feats[row])
                    added += 1
                elif row >= 0:
                    self._plc.fec_add(None)
            if added:
                kind = "dred"
        y = self._plc.conceal(frame // FRAME_10MS)
        self._concealed = True
        if kind == "dred":
            self.stats.dred += 1
        else:
            self.stats.plc += 1
        self.last_kind = kind
        return y

    def _dred_for(self, pkt: bytes):
        """(dred_offset, features oldest-row-last) of a packet's DRED, cached; None if none."""
        hit = self._dred_cache.get(pkt)
        if hit is not None or pkt in self._dred_cache:
            return hit
        try:
            d = self._dred.parse(pkt, self._max_dred_ms)
        except ValueError:
            d = None
        val = None if d is None or d.samples(SAMPLE_RATE) <= 0 else (d.offset, d.features())
        if len(self._dred_cache) > 8:
            self._dred_cache.clear()
        self._dred_cache[pkt] = val
        return val
