"""The receiver: Opus packets in, some missing, continuous audio out at any Opus rate.

Per packet slot it chooses, as libopus 1.6.1 does with DRED enabled:

1. the packet itself, decoded by the system libopus at the output rate and channel count;
2. for a lost packet whose successor is already in the jitter buffer and carries LBRR
   (in-band FEC) for it: that LBRR, decoded by the system libopus;
3. otherwise, when a later packet in the jitter buffer carries DRED covering the lost
   one: the DRED features (from the packet closest after the gap, where the lost frame is
   among its newest, most finely quantised latents), synthesised by FARGAN continuing from
   the real past audio;
4. otherwise neural PLC: the Opus PLC network predicts the features from the history,
   fading out over long losses as libopus does.

The per-frame work happens in C (``csrc/receiver/receiver.c``): one call per slot.  The
concealment runs at 16 kHz mono, as libopus's; at other rates its history is the played
output brought to 16 kHz and its audio is brought back to the output rate.  A stereo gap
without DRED gets libopus's SILK stereo concealment (the neural mid, the side from the
system decoder's own PLC); above 8 kHz a hybrid or CELT gap is filled with the last
frame's band, decaying.  See the C header for how the system decoder's history follows a
concealment (``history``).
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence, Union

import numpy as np

from . import _core
from ._checks import as_int, as_packet
from ._isa import isa_code
from ._locks import StreamLock
from ._weights import PathLike, Weights, resolve, resolve_v10
from .receiver_stats import ReceiverStats

SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
#: Longest cross-fade from a concealment back into decoded audio.
MAX_CROSSFADE_MS = 40
_KINDS = ("normal", "lbrr", "dred", "plc")


@functools.lru_cache(maxsize=8)
def _models(w: Weights, stats: Weights, w10: Optional[Weights], isa: int) -> "_core.ReceiverModels":
    """The read-only models (deep PLC, DRED decoder) bound once per blobs and ISA and
    shared by every receiver on them: binding them was about half of a Receiver's
    construction, which streams-per-core and short calls pay per stream.  (Up to 8
    combinations stay cached, with their blobs.)"""
    blob10 = None if w10 is None else w10._blob
    return _core.ReceiverModels(w._blob, stats._blob, isa, blob10, blob10)


@functools.lru_cache(maxsize=8)
def _template(*config) -> "_core.ReceiverCore":
    """A receiver of this configuration that never decodes: new receivers copy its freshly
    initialised libopus states and its resampling filters instead of making them (libopus's
    initialisation runs CPUID, which virtual machines trap: about 150 us of a 16 kHz
    receiver's construction here; the filters' design about as much at 48 kHz).  Read-only,
    so receivers in any thread may copy it at once."""
    return _core.ReceiverCore(*config, None)
#: Default of Receiver(plc_lookahead=): slots ahead the packet after a gap may be to steer
#: the PLC (dev set after PLC, 24 clips x 5 traces, whole gap visible: PESQ-WB 1.621 -> 1.704,
#: PLCMOS 2.866 -> 3.049, STOI 0.809 -> 0.833; see steer_plan in csrc/receiver/receiver.c).
PLC_LOOKAHEAD = 50

# Fade lengths at 16 kHz by (kind of the last concealed frame, system decoder followed by the
# re-encoded concealment).  Measured on the dev set (24 clips x 5 traces, FARGAN), PESQ-WB:
# re-encoded, after DRED 0 / 2.5 / 10 / 20 ms: 2.109 / 2.123 / 2.140 / 2.146; after PLC
# 0 / 2.5 / 5 / 10 ms: 1.627 / 1.628 / 1.621 / 1.606 (PLCMOS 2.882 / 2.895 / 2.886 / 2.886).
# Decoder's own PLC as history: 20 ms after both (0 / 10 / 20 / 40 ms after DRED on a subset:
# 1.66 / 1.95 / 2.02 / 2.00) -- there the fade hides the decoder's different past.
_FADES_16K = (320, 40, 320, 320)  # DRED+shadow, PLC+shadow, DRED+stock, PLC+stock


class Receiver:
    """Decodes a packet stream with losses, recovering them with LBRR, DRED and neural PLC.

    ``sample_rate`` (8000, 12000, 16000, 24000 or 48000) and ``channels`` (1 or 2): the output
    format; normal frames are the system libopus's decode in that format, concealed ones come
    out in it too.  ``vocoder``: ``"fargan"`` (libopus 1.6.1's, any format) or ``"lpcnet"``
    (FreeDV's LPCNet; 16 kHz mono only).  ``libopus``: path to the system libopus (default:
    found automatically).  ``history``: how the system decoder's state follows a
    concealment: ``"shadow"`` (default) re-encodes concealed frames of SILK-only streams and
    decodes them, so that decoding resumes from what was played; ``"stock"`` lets the system
    decoder conceal its own way (its classic PLC, output unused), as it always does for
    hybrid and CELT streams.  ``crossfade_ms``: length of the fade from the concealment back
    into decoded audio, 0-40 ms (default: the best measured -- 20 ms after DRED, 2.5 ms after
    PLC with ``"shadow"``; 20 ms after both with ``"stock"``).  ``use_dred`` / ``use_lbrr``:
    recover from DRED / LBRR when packets carry them (both on by default).  ``max_dred_ms``:
    how far back DRED is decoded (0-1000).  ``seed``: LPCNet's sampling seed.
    ``weights_v10``: the model for DRED version 10, which libopus 1.5.x senders write (as
    :class:`DredDecoder`: None for the packaged libopus 1.5.2 model, False to ignore such
    DRED as libopus 1.6 does; ``stats.dred_unknown_version`` counts DRED that was ignored).
    ``plc_lookahead``: look-ahead concealment.  In a gap that neither LBRR nor DRED
    fills, if the packet after the gap is already in ``lookahead`` and at most this many
    slots ahead, it is decoded and analysed and the neural PLC's predicted features are
    steered to land on its own (the gap is interpolated instead of extrapolated).  0 turns
    it off (libopus's behaviour); default 50 (any gap the jitter buffer can see the end
    of, up to 1 s of 20 ms packets).  FARGAN only.

    Call :meth:`decode` once per packet slot, in order, with ``None`` for a packet that
    did not arrive; ``lookahead`` are the packets of the following slots that the
    application's jitter buffer already holds (oldest first, ``None`` for a slot still
    empty).  Thread-safe per object; the GIL is released during decoding and synthesis.
    """

    def __init__(self, sample_rate: int = 16000, vocoder: str = "fargan",
                 weights: Optional[Union[Weights, PathLike]] = None, libopus: Optional[str] = None, *,
                 channels: int = 1, isa: Optional[str] = None, crossfade_ms: Optional[float] = None,
                 max_dred_ms: int = 1000, seed: int = 0, use_dred: bool = True, use_lbrr: bool = True,
                 history: str = "shadow", weights_v10: Optional[Union[Weights, PathLike, bool]] = None,
                 plc_lookahead: Optional[int] = None):
        if sample_rate not in SAMPLE_RATES or isinstance(sample_rate, bool):
            raise ValueError(f"sample_rate must be one of {SAMPLE_RATES}, got {sample_rate!r}")
        if channels not in (1, 2) or isinstance(channels, bool):
            raise ValueError(f"channels must be 1 or 2, got {channels!r}")
        if vocoder not in ("fargan", "lpcnet"):
            raise ValueError(f"vocoder must be 'fargan' or 'lpcnet', got {vocoder!r}")
        if history not in ("shadow", "stock"):
            raise ValueError(f"history must be 'shadow' or 'stock', got {history!r}")
        max_dred_ms = as_int(max_dred_ms, "max_dred_ms", 0, 1000)
        if plc_lookahead is None:
            plc_lookahead = 0 if vocoder == "lpcnet" else PLC_LOOKAHEAD
        plc_lookahead = as_int(plc_lookahead, "plc_lookahead", 0, 1000)
        if plc_lookahead and vocoder == "lpcnet":
            raise ValueError("plc_lookahead needs vocoder='fargan'")
        self.plc_lookahead = plc_lookahead
        if crossfade_ms is not None:
            ms = float(crossfade_ms)
            if not 0 <= ms <= MAX_CROSSFADE_MS:
                raise ValueError(f"crossfade_ms must be between 0 and {MAX_CROSSFADE_MS}")
        self.vocoder = vocoder
        self.history = history
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.use_dred, self.use_lbrr = bool(use_dred), bool(use_lbrr)
        self._lock = StreamLock()
        self._last = ""
        self._legacy = None
        self._core = None
        if vocoder == "lpcnet":
            if sample_rate != 16000 or channels != 1:
                raise ValueError("vocoder='lpcnet' works at 16000 Hz mono; use vocoder='fargan' for other formats")
            from ._receiver_lpcnet import LpcnetReceiver
            self._legacy = LpcnetReceiver(16000, "lpcnet", weights, libopus, isa=isa, crossfade_ms=crossfade_ms,
                                          max_dred_ms=max_dred_ms, seed=seed, use_dred=use_dred,
                                          use_lbrr=use_lbrr, history=history, weights_v10=weights_v10)
            return
        from ._libopus import _load
        from .dred import _default

        lib = _load(libopus)
        w = resolve(weights)
        w10 = resolve_v10(weights_v10)
        stats = w if "dred_latent_quant_scales_q8" in w else _default()
        if crossfade_ms is None:
            fades16 = _FADES_16K
        else:
            fades16 = (int(round(float(crossfade_ms) * 16)),) * 4
        fades = [n * self.sample_rate // 16000 for n in fades16]
        config = (_models(w, stats, w10, isa_code(isa)), self.sample_rate, self.channels, max_dred_ms,
                  self.use_dred, self.use_lbrr, history == "shadow", tuple(fades), lib.where, plc_lookahead)
        self._core = _core.ReceiverCore(*config, _template(*config))

    @property
    def stats(self) -> ReceiverStats:
        """How many packet slots were produced each way so far (a snapshot)."""
        if self._legacy is not None:
            return self._legacy.stats
        return ReceiverStats(**self._core.stats())

    @property
    def last_kind(self) -> str:
        """How the last :meth:`decode` produced its audio: "normal", "lbrr", "dred", "plc" or
        "bad" (a packet that was present but undecodable, concealed); "" before the first."""
        if self._legacy is not None:
            return self._last
        kind, bad = self._core.last()
        return "bad" if bad else _KINDS[kind] if kind >= 0 else ""

    @property
    def libopus_version(self) -> str:
        """Version string of the libopus decoding the primary audio."""
        if self._core is not None:
            return self._core.libopus_version
        return self._legacy._opus.libopus_version

    @property
    def delay(self) -> int:
        """Samples of delay the receiver adds to libopus's own decoder delay: 0 (concealment
        is aligned with the decoded audio; libopus's decoder delay is 6.5 ms)."""
        return 0

    def reset(self) -> None:
        """Starts a new stream."""
        with self._lock:
            if self._legacy is not None:
                self._legacy.reset()
            else:
                self._core.reset()
            self._last = ""

    def decode(self, packet: Optional[bytes], *, lookahead: Sequence[Optional[bytes]] = ()) -> np.ndarray:
        """One packet's worth of float32 audio at the output rate: shape (n,) for mono,
        (n, 2) for stereo (n = 960 for a 20 ms packet at 48 kHz).

        ``packet=None``: the packet of this slot was lost.  A packet that cannot be
        decoded (garbage, truncated) is concealed like a lost one and counted in
        ``stats.bad_packets``.  Never raises for packet contents.
        """
        # bytes pass straight through (the common case costs no copies or checks here)
        pkt = packet if packet is None or type(packet) is bytes else as_packet(packet)
        if self._legacy is not None:
            ahead = [p if p is None or type(p) is bytes else as_packet(p, "lookahead packet") for p in lookahead]
            with self._lock:
                y = self._legacy.decode(pkt, lookahead=ahead)
                self._last = self._legacy.last_kind
                return y
        # The core takes a list or tuple of bytes / None as it is and raises TypeError,
        # before touching the stream, for anything else; then the items are converted
        # (or the TypeError names the culprit).  The StreamLock's own threading.Lock is
        # entered directly: its C-level context manager costs a fraction of the
        # wrapper's Python one, on every packet.
        with self._lock._lock:
            try:
                return self._core.decode(pkt, lookahead)
            except TypeError:
                ahead = [p if p is None or type(p) is bytes else as_packet(p, "lookahead packet") for p in lookahead]
                return self._core.decode(pkt, ahead)

    def __repr__(self) -> str:
        return (f"<dredfast.Receiver {self.sample_rate} Hz x{self.channels} vocoder={self.vocoder} "
                f"history={self.history}>")
