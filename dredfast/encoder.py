"""An Opus encoder with DRED: primary audio by the system libopus, DRED by dredfast."""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from ._checks import as_int
from ._locks import StreamLock
from ._weights import PathLike, Weights
from .allocation import Split, TotalRateCap, auto_split
from .dred_budget import MAX_PAYLOAD_BYTES, DredBudget, chunks_for, libopus_budget, multiframe_max_bytes
from .dred_encoder import FRAME_MS, DredEncoder, _pcm
from .packets import add_dred, packet_info

SAMPLE_RATE = 16000
#: Largest packet handed out (libopus's recommended maximum for one packet).
MAX_PACKET = 1500


class Encoder:
    """Encodes speech to Opus packets that carry DRED, with any libopus.

    Input: ``sample_rate`` 8000, 12000, 16000, 24000 or 48000 Hz, ``channels`` 1 or 2.
    The primary audio comes from the system libopus (1.3 or newer; ``libopus`` is a
    path to it, default: found automatically) with that format, ``application``
    (``"voip"``, ``"audio"``, ``"restricted_lowdelay"``), ``complexity``, VBR, in-band
    FEC (LBRR) if ``lbrr`` and ``packet_loss_pct`` signalled; ``bandwidth`` forces the
    coded bandwidth (``"narrowband"`` .. ``"fullband"``; None: libopus decides from the
    signal) and ``mode`` the coding mode (``"silk"``, ``"hybrid"``, ``"celt"``; None:
    libopus decides).  DRED for ``dred_ms`` (up to 1040 ms) is computed from the 16 kHz
    mono signal libopus 1.6.1's DRED encoder derives from this input and added in the
    packet padding exactly as libopus 1.6.1 writes it, in every mode, so every Opus
    decoder plays the packets and DRED-aware decoders recover losses from them.

    ``dred_bitrate=None`` splits ``bitrate`` as libopus 1.6.1 does: DRED gets the share
    its budget rules give it (about 9 kb/s of 24 kb/s at 20 % loss, 39 kb/s of 64 kb/s,
    none with LBRR at 24 or 32 kb/s) and the primary encoder the rest.  A number gives
    DRED that many b/s on top of the primary ``bitrate`` instead (e.g. 24 kb/s + LBRR +
    1 s of DRED).

    ``allocation="auto"`` makes ``bitrate`` the total of everything sent (primary, LBRR
    and DRED) and lets :func:`dredfast.allocation.auto_split` choose the split for it and
    ``packet_loss_pct`` (primary bitrate, LBRR on/off, DRED duration and bitrate, from a
    measured table); ``lbrr``, ``dred_ms`` and ``dred_bitrate`` are then decided for you
    (``dred_bitrate`` must stay None).  A :class:`dredfast.allocation.Split` spends the
    total that way instead.  In both cases each packet's DRED is capped so that the mean
    bitrate of the packets stays within ``bitrate`` (:class:`dredfast.allocation.TotalRateCap`),
    and with ``Split.hold == "primary"`` (the automatic split's) the primary's bitrate is
    steered packet by packet to hold the total while DRED keeps a steady share;
    ``split`` holds the choice.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, bitrate: int = 24000, lbrr: bool = True,
                 packet_loss_pct: int = 20, dred_ms: int = 1000, dred_bitrate: Optional[int] = None,
                 libopus: Optional[str] = None, *, channels: int = 1, application: str = "voip",
                 bandwidth: Optional[str] = None, mode: Optional[str] = None, complexity: int = 9,
                 frame_ms: int = 20, weights: Optional[Union[Weights, PathLike]] = None,
                 max_bytes: int = MAX_PACKET, isa: Optional[str] = None,
                 allocation: Union[str, Split] = "libopus"):
        from ._libopus import OpusEncoder

        if mode == "silk" and bandwidth in ("superwideband", "fullband"):
            # libopus would quietly code hybrid instead.
            raise ValueError(f"SILK codes up to wideband; bandwidth={bandwidth!r} needs mode='hybrid' or 'celt'")
        if isinstance(frame_ms, bool) or frame_ms not in FRAME_MS:
            raise ValueError(f"frame_ms must be one of {FRAME_MS}, got {frame_ms!r}")
        bitrate = as_int(bitrate, "bitrate", 6000, 510000)
        packet_loss_pct = as_int(packet_loss_pct, "packet_loss_pct", 0, 100)
        self.max_bytes = as_int(max_bytes, "max_bytes", 64, MAX_PACKET)
        common = dict(sample_rate=sample_rate, channels=channels, application=application, frame_ms=frame_ms,
                      weights=weights, isa=isa)
        self.split: Optional[Split] = None
        self._cap: Optional[TotalRateCap] = None
        self._steer = False  # the primary's bitrate set before each packet (Split.hold == "primary")
        if isinstance(allocation, Split) or allocation == "auto":
            if dred_bitrate is not None:
                raise ValueError("allocation='auto' chooses the DRED bitrate itself: leave dred_bitrate=None")
            split = auto_split(bitrate, packet_loss_pct) if allocation == "auto" else allocation
            if split.hold not in ("dred", "primary"):
                raise ValueError(f"Split.hold must be 'dred' or 'primary', got {split.hold!r}")
            self.split = split
            lbrr, dred_ms, dred_bitrate = split.lbrr, split.dred_ms, split.dred_bitrate
            self._cap = TotalRateCap(bitrate, frame_ms)
            self._steer = split.hold == "primary"
        elif allocation != "libopus":
            raise ValueError(f"allocation must be 'libopus', 'auto' or a Split, got {allocation!r}")
        if self.split is not None:
            primary = as_int(self.split.primary_bitrate, "split.primary_bitrate", 6000, 510000)
            self._dred = DredEncoder(dred_ms=dred_ms, bitrate=dred_bitrate, **common)
            if split.q0 is not None and dred_ms > 0:
                # Fixed quantisers; the total-rate cap trims the latents to what fits.
                self._dred.budget = DredBudget(as_int(split.q0, "q0", 0, 15), as_int(split.dq, "dq", 0, 7), 15,
                                               chunks_for(dred_ms), MAX_PAYLOAD_BYTES, dred_bitrate)
        elif dred_bitrate is None:
            budget = libopus_budget(bitrate, packet_loss_pct=packet_loss_pct, lbrr=bool(lbrr),
                                    dred_ms=dred_ms, frame_ms=frame_ms)
            primary = bitrate - budget.bitrate  # libopus takes DRED's share out of the total
            self._dred = DredEncoder(dred_ms=dred_ms, primary_bitrate=bitrate, packet_loss_pct=packet_loss_pct,
                                     lbrr=bool(lbrr), **common)
        else:
            primary = bitrate
            self._dred = DredEncoder(dred_ms=dred_ms, bitrate=dred_bitrate, **common)
        self.sample_rate, self.channels = self._dred.sample_rate, self._dred.channels
        self.frame_samples = self._dred.frame_samples
        self.primary_bitrate = primary
        self._bitrate, self._libopus_split = bitrate, dred_bitrate is None
        primary_loss = packet_loss_pct
        if self.split is not None and self.split.primary_loss_pct is not None:
            primary_loss = as_int(self.split.primary_loss_pct, "primary_loss_pct", 0, 100)
        self._opus = OpusEncoder(self.sample_rate, self.channels, application=application, bitrate=primary,
                                 complexity=complexity, vbr=True, inband_fec=bool(lbrr),
                                 packet_loss_pct=primary_loss, lib=libopus, mode=mode)
        if bandwidth is not None:
            self._opus.force_bandwidth(bandwidth)
        self.bandwidth, self.mode = bandwidth, mode
        self._lock = StreamLock()

    @property
    def dred_budget(self):
        """The :class:`dredfast.dred_budget.DredBudget` in use."""
        return self._dred.budget

    def reset(self) -> None:
        """Starts a new stream."""
        with self._lock:
            self._opus.reset()
            self._dred.reset()
            if self._cap is not None:
                self._cap.reset()

    def encode(self, pcm) -> bytes:
        """One packet from ``frame_ms`` (default 20 ms: 320 samples at 16 kHz, 960 at
        48 kHz) of audio, float in [-1, 1] or int16; 1-D for mono, ``(samples, 2)`` for
        stereo."""
        x = _pcm(pcm, self.frame_samples, self.channels)
        with self._lock:
            steer = self._steer
            if steer:
                self._opus.set_bitrate(self._cap.primary_target(self.primary_bitrate))
            packet = self._opus.encode(x)
            # libopus codes hybrid and CELT packets over 20 ms as 20 ms frames (TOC
            # configurations 12-31; SILK is 0-11), and DRED after the first of them.
            multi = self._dred.frame_ms > 20 and len(packet) > 0 and packet[0] >> 3 >= 12
            cap = None
            if multi and self._libopus_split:
                # libopus leaves DRED what the first frame's share does not use.
                first = packet_info(packet)["frame_lengths"][0] + 1
                cap = multiframe_max_bytes(self._bitrate, self._dred.budget.bitrate, self._dred.frame_ms, first)
            if self._cap is not None:
                room = self._cap.room(len(packet))
                if steer:
                    room = min(room, self._cap.dred_room(self.split.dred_bitrate))
                cap = room if cap is None else min(cap, room)
            payload = self._dred.push(x, multiframe=multi, max_bytes=cap)
            if payload:
                try:
                    packet = add_dred(packet, payload, max_bytes=self.max_bytes)
                except ValueError:
                    pass  # does not fit within max_bytes: send the primary packet alone
            if self._cap is not None:
                self._cap.spend(len(packet))
        return packet

    def encode_all(self, pcm) -> list:
        """Encodes a whole signal (zero-padded to whole packets; ``(samples, 2)`` for
        stereo) and returns the packets."""
        x = np.asarray(pcm)
        if self.channels == 2 and (x.ndim != 2 or x.shape[1] != 2):
            raise ValueError(f"stereo pcm must have shape (samples, 2), got {x.shape}")
        n = -(-len(x) // self.frame_samples)
        padded = np.zeros((n * self.frame_samples,) + x.shape[1:],
                          dtype=x.dtype if x.dtype == np.int16 else np.float32)
        padded[:len(x)] = x
        return [self.encode(padded[i * self.frame_samples:(i + 1) * self.frame_samples]) for i in range(n)]
