"""Keeps a stock libopus decoder's history on the audio the receiver actually played.

libopus 1.6.1 hands its deep-PLC (or DRED) audio back to SILK during a loss, so the frames
decoded after the loss predict from the concealed audio.  A stock libopus can only conceal
its own classic way, and then continues from that: a different past for the first frames
after every loss (measured: 0.06-0.07 PESQ-WB lower on the dev set than libopus 1.6.1).

No public API writes a decoder's history, but decoding a packet does.  So each concealed
frame is re-encoded here by a SILK-only encoder and that packet is decoded by the stock
decoder instead of ``decode(NULL)``; its output is discarded, its state is what matters.
The encoder input is the played audio advanced by the encoder's look-ahead (104 samples at
16 kHz), so that the decoder's reconstruction lines up with what was played (104 was best
by far: 91 or 117 lose 0.03 PESQ); the look-ahead samples past the concealed frame come
from the concealment's own continuation.  The encoder is reset at the start of each gap
and primed with the last ``warmup`` played frames so that its first shadow frame already
has a pitch and LPC history.  Bitrate (24-64 kb/s) and complexity (0-5) changed quality by
at most 0.002 PESQ, so the cheapest encoder is used: complexity 0, 40 kb/s.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from ._libopus import LibLike, OpusEncoder, OpusError

SILK_BANDWIDTHS = ("narrowband", "mediumband", "wideband")
# Frame sizes (samples at 16 kHz) SILK codes: 10, 20, 40, 60 ms and their 80-120 ms multiples.
SILK_FRAMES = (160, 320, 640, 960, 1280, 1600, 1920)
MAX_FRAME = max(SILK_FRAMES)


def silk_bandwidth(packet: bytes) -> Optional[str]:
    """The SILK bandwidth of an Opus packet's TOC byte, or None if it is not SILK-only."""
    if not packet:
        return None
    config = packet[0] >> 3
    return SILK_BANDWIDTHS[config // 4] if config < 12 else None


class ShadowEncoder:
    """Turns each concealed frame into a packet whose decoding moves a stock decoder's history
    to the concealed audio.  The packet for a frame is due once the audio after it is known:
    with the next concealed frame (:meth:`concealed`) or when the gap ends (:meth:`flush`).
    ``warmup``: played frames encoded (not sent) at the start of each gap."""

    def __init__(self, sample_rate: int = 16000, lib: LibLike = None, warmup: int = 2):
        self._enc = OpusEncoder(sample_rate, 1, "voip", bitrate=40000, complexity=0, vbr=True,
                                signal="voice", mode="silk", lib=lib)
        self.lookahead = self._enc.lookahead
        self.warmup = int(warmup)
        # The last played samples, newest last.
        self._played = np.zeros(self.warmup * MAX_FRAME, np.float32)
        self._pending: Optional[np.ndarray] = None   # concealed frame whose packet is not due yet
        self._pending_bw = ""
        self._bandwidth = ""                         # bandwidth the encoder runs at in this gap
        self._in_gap = False

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def reset(self) -> None:
        self._played[:] = 0
        self._pending = None
        self._in_gap = False

    def _record(self, y: np.ndarray) -> None:
        n = min(len(y), len(self._played))
        self._played[:-n] = self._played[n:]
        self._played[-n:] = y[-n:]

    def decoded(self, y: np.ndarray) -> None:
        """Records a decoded (or silent) output frame: the gap, if any, is over."""
        self._pending = None
        self._in_gap = False
        self._record(y)

    def concealed(self, y: np.ndarray, bandwidth: str) -> Optional[Tuple[Optional[bytes], int]]:
        """Records a concealed frame (played as ``y``, float32; SILK ``bandwidth``); returns
        what is due for the previous one: (packet, its frame size), or None."""
        due = None
        if self._pending is not None:
            due = self._emit(y)
        self._pending = np.array(y, np.float32)
        self._pending_bw = bandwidth
        return due

    def flush(self, continuation: np.ndarray) -> Optional[Tuple[Optional[bytes], int]]:
        """The gap ends: (packet, frame size) for the last concealed frame given at least
        ``lookahead`` samples of what the concealment would have played next; None if no
        frame is pending."""
        if self._pending is None:
            return None
        due = self._emit(continuation)
        self._pending = None
        return due

    def _emit(self, after: np.ndarray) -> Tuple[Optional[bytes], int]:
        """Encodes the pending frame; packet None when the encoder refuses (e.g. NaN audio)."""
        y, d = self._pending, self.lookahead
        frame = len(y)
        if len(after) < d:
            raise ValueError(f"need {d} samples after the frame, got {len(after)}")
        past = self.warmup * frame
        seq = np.concatenate([self._played[len(self._played) - past:], y, after[:d]])
        self._record(y)
        try:
            if not self._in_gap or self._pending_bw != self._bandwidth:
                self._enc.reset()
                self._enc.force_bandwidth(self._pending_bw)
                self._bandwidth = self._pending_bw
                for j in range(self.warmup):
                    self._enc.encode(seq[j * frame + d:(j + 1) * frame + d])
                self._in_gap = True
            return self._enc.encode(seq[past + d:]), frame
        except (ValueError, OpusError):
            self._in_gap = False
            return None, frame
