"""The LPCNet receiver (``Receiver(vocoder="lpcnet")``): 16 kHz mono, driven from Python.

The FARGAN receiver runs in C (``csrc/receiver/``) at every output rate; the LPCNet vocoder is
not in that C receiver yet, so ``vocoder="lpcnet"`` keeps this Python state machine (same
choices and fades as the C one at 16 kHz).  Original description:

The receiver: Opus packets in, some missing, continuous 16 kHz speech out.

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
audio.  During a loss its state must move on too: by default each concealed frame is
re-encoded (SILK-only, see ``_shadow.py``) and decoded by it, output dropped, so that it
continues from the audio that was played, as libopus 1.6.1 does internally; for streams
that are not SILK-only it conceals its own way instead.  Its first decoded frames after a
loss are cross-faded from the neural continuation.
"""
from __future__ import annotations

import threading
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ._checks import as_packet
from ._shadow import SILK_FRAMES, ShadowEncoder, silk_bandwidth
from ._weights import PathLike, Weights, resolve

SAMPLE_RATE = 16000
FRAME_10MS = 160
DEFAULT_FRAME = 320
MAX_CROSSFADE = 640  # samples (40 ms)
LPCNET_PRIME_SAMPLES = 320
LPCNET_PRIME_FRAMES = 6


from .receiver_stats import ReceiverStats


class LpcnetReceiver:
    """Decodes a packet stream with losses, recovering them with LBRR, DRED and neural PLC.

    ``vocoder``: ``"fargan"`` (libopus 1.6.1's) or ``"lpcnet"`` synthesises concealed
    audio.  ``libopus``: path to the system libopus (default: found automatically).
    ``history``: how the system decoder's state follows a concealment: ``"shadow"``
    (default) re-encodes the concealed audio and decodes it, so that decoding resumes from
    what was played; ``"stock"`` lets the system decoder conceal its own way (its classic
    PLC, output unused).  ``crossfade_ms``: length of the fade from the concealment back
    into decoded audio, 0-40 ms (default: the best measured -- 20 ms after DRED, 2.5 ms
    after PLC with ``"shadow"``; 20 ms after both with ``"stock"``).
    ``use_dred`` / ``use_lbrr``: recover from DRED / LBRR when packets carry them (both on
    by default; off = plain neural PLC for that kind).  ``seed``: LPCNet's sampling seed.

    Call :meth:`decode` once per packet slot, in order, with ``None`` for a packet that
    did not arrive; ``lookahead`` are the packets of the following slots that the
    application's jitter buffer already holds (oldest first, ``None`` for a slot still
    empty).  Thread-safe per object; the GIL is released during decoding and synthesis.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, vocoder: str = "fargan",
                 weights: Optional[Union[Weights, PathLike]] = None, libopus: Optional[str] = None, *,
                 isa: Optional[str] = None, crossfade_ms: Optional[float] = None, max_dred_ms: int = 1000, seed: int = 0,
                 use_dred: bool = True, use_lbrr: bool = True, history: str = "shadow", weights_v10=None):
        from ._libopus import OpusDecoder
        from ._plc import DeepPLC
        from .dred import DredDecoder

        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"Receiver works at 16000 Hz (got {sample_rate}); resample its output if needed")
        if vocoder not in ("fargan", "lpcnet"):
            raise ValueError(f"vocoder must be 'fargan' or 'lpcnet', got {vocoder!r}")
        if history not in ("shadow", "stock"):
            raise ValueError(f"history must be 'shadow' or 'stock', got {history!r}")
        w = resolve(weights)
        self.vocoder = vocoder
        self._opus = OpusDecoder(SAMPLE_RATE, 1, lib=libopus)
        self.history = history
        self._shadow = ShadowEncoder(SAMPLE_RATE, lib=libopus) if history == "shadow" else None
        self._silk_bw: Optional[str] = None  # SILK bandwidth of the last decoded packet
        self._shadowed = False              # the last concealed frame went to the decoder re-encoded
        self._plc = DeepPLC(w, isa=isa)
        self._dred = DredDecoder(w, isa=isa, weights_v10=weights_v10)
        self._max_dred_ms = int(max_dred_ms)
        self.use_dred, self.use_lbrr = bool(use_dred), bool(use_lbrr)
        # Fade lengths by (kind of the last concealed frame, whether the decoder followed it
        # re-encoded).  Measured on the dev set (24 clips x 5 traces, FARGAN), PESQ-WB:
        # re-encoded, after DRED 0 / 2.5 / 10 / 20 ms: 2.109 / 2.123 / 2.140 / 2.146; after
        # PLC 0 / 2.5 / 5 / 10 ms: 1.627 / 1.628 / 1.621 / 1.606 (PLCMOS 2.882 / 2.895 / 2.886 /
        # 2.886).  Stock PLC history: 20 ms after both (0 / 10 / 20 / 40 ms after DRED on a
        # subset: 1.66 / 1.95 / 2.02 / 2.00) -- there the fade hides the decoder's different past.
        if crossfade_ms is None:
            lengths = {("dred", True): 320, ("plc", True): 40, ("dred", False): 320, ("plc", False): 320}
        else:
            n = int(round(float(crossfade_ms) * SAMPLE_RATE / 1000))
            if not 0 <= n <= MAX_CROSSFADE:
                raise ValueError("crossfade_ms must be between 0 and 40")
            lengths = {(k, f): n for k in ("dred", "plc") for f in (True, False)}
        # Raised-cosine fade-in of the decoded audio (fade-out of the concealment).
        self._fades = {k: (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32) if n else None
                       for k, n in lengths.items()}
        self._fade = None
        self._conceal_kind = "plc"
        self._lpcnet = None
        if vocoder == "lpcnet":
            from .analysis import Analyzer
            from .vocoder import Vocoder
            self._lpcnet = Vocoder("lpcnet", seed=seed, weights=None, isa=isa)
            self._analyzer = Analyzer(weights=w, isa=isa)
            self._hist_pcm = np.zeros(LPCNET_PRIME_SAMPLES, np.float32)
            self._hist_feat = np.zeros((LPCNET_PRIME_FRAMES, 20), np.float32)
        self._frame = DEFAULT_FRAME
        self._concealed = False      # the last output came from the vocoder
        self._xf_cont: Optional[np.ndarray] = None  # continuation being faded out
        self._xf_pos = 0
        self._started = False        # a packet has been decoded
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
            self._xf_cont = None
            self._started = False
            self._dred_cache.clear()
            self._silk_bw = None
            self._shadowed = False
            if self._shadow is not None:
                self._shadow.reset()
            self.stats = ReceiverStats()
            if self._lpcnet is not None:
                self._lpcnet.reset()
                self._analyzer.reset()
                self._hist_pcm[:] = 0
                self._hist_feat[:] = 0

    # -- decoding -------------------------------------------------------------------
    def decode(self, packet: Optional[bytes], *, lookahead: Sequence[Optional[bytes]] = ()) -> np.ndarray:
        """One packet's worth of 16 kHz float32 audio (320 samples for a 20 ms packet).

        ``packet=None``: the packet of this slot was lost.  A packet that cannot be
        decoded (garbage, repeated) is concealed like a lost one and counted in
        ``stats.bad_packets``.  Never raises for packet contents.
        """
        pkt = None if packet is None else as_packet(packet)
        ahead = [None if p is None else as_packet(p, "lookahead packet") for p in lookahead]
        with self._lock:
            y = self._decode_packet(pkt) if pkt is not None else None
            if y is not None:
                self.stats.normal += 1
                self.last_kind = "normal"
            else:
                if pkt is not None:
                    self.stats.bad_packets += 1
                y = self._conceal(ahead)
                if pkt is not None:
                    self.last_kind = "bad"
            return y

    def _decode_packet(self, pkt: bytes) -> Optional[np.ndarray]:
        from ._libopus import OpusError
        try:
            n = self._opus.packet_nb_samples(pkt)
            if n % FRAME_10MS or not 0 < n <= 5760:
                return None
            self._resume()
            y = self._opus.decode_int16(pkt, n)
        except (ValueError, OpusError):
            return None
        self._frame = n
        self._started = True
        self._silk_bw = silk_bandwidth(pkt)
        return self._decoded(y)

    def _decoded(self, y16: np.ndarray) -> np.ndarray:
        """Fades out of a concealment into decoded audio; feeds the result to the PLC history
        (the fade was set up by :meth:`_resume`, across packets if needed)."""
        y = y16.astype(np.float32) * np.float32(1 / 32768)
        self._concealed = False
        if self._xf_cont is not None:
            k = min(len(self._xf_cont) - self._xf_pos, len(y))
            f = self._fade[self._xf_pos:self._xf_pos + k]
            y[:k] = f * y[:k] + (1 - f) * self._xf_cont[self._xf_pos:self._xf_pos + k]
            self._xf_pos += k
            if self._xf_pos >= len(self._xf_cont):
                self._xf_cont = None
            y16 = np.clip(np.floor(0.5 + y * 32768), -32768, 32767).astype(np.int16)
        self._plc.update(y16)
        if self._shadow is not None:
            self._shadow.decoded(y)
        if self._lpcnet is not None:
            self._remember(y, self._analyzer.process(y))
        return y

    def _resume(self) -> None:
        """Before the first packet (or LBRR frame) decoded after a concealment: hands the
        system decoder the last concealed frame (re-encoded, it needed the continuation
        past it) and sets up the fade from the neural continuation into decoded audio."""
        if not self._concealed:
            return
        fade = self._fades[(self._conceal_kind, self._shadowed)]
        k = 0 if fade is None else len(fade)
        pending = self._shadow is not None and self._shadow.pending
        need = max(k, self._shadow.lookahead if pending else 0)
        cont = self._peek(-(-need // FRAME_10MS)) if need else None
        if pending:
            self._to_system_decoder(self._shadow.flush(cont))
        self._fade = fade
        self._xf_cont = cont[:k] if k else None
        self._xf_pos = 0

    def _peek(self, frames: int) -> np.ndarray:
        return self._plc.peek(frames).astype(np.float32) * np.float32(1 / 32768)

    def _conceal(self, ahead: Sequence[Optional[bytes]]) -> np.ndarray:
        from ._libopus import OpusError
        frame = self._frame
        nxt = next((j for j, p in enumerate(ahead) if p is not None), None)
        # LBRR: the very next packet carries this frame's in-band FEC.
        if nxt == 0 and self._started and self.use_lbrr:
            try:
                if self._opus.has_lbrr(ahead[0]):
                    self._resume()
                    y = self._decoded(self._opus.decode_int16(ahead[0], frame, fec=True))
                    self.stats.lbrr += 1
                    self.last_kind = "lbrr"
                    return y
            except (ValueError, OpusError):
                pass
        if not self._started:
            # Nothing decoded yet: no history to continue (libopus outputs silence too).
            self.stats.plc += 1
            self.last_kind = "plc"
            y = np.zeros(frame, np.float32)
            if self._shadow is not None:
                self._shadow.decoded(y)
            return y
        kind = "plc"
        dred = self._dred_for(ahead[nxt]) if nxt is not None and self.use_dred else None
        if dred is not None and self._plc.queue_dred(dred[1], dred[0], (nxt + 1) * frame, frame) > 0:
            kind = "dred"
        elif dred is not None:
            self._plc.fec_clear()
        burst_start = not self._plc.blend
        y16, feats = self._plc.conceal(frame // FRAME_10MS, return_features=True)
        if self._lpcnet is not None:
            y = self._lpcnet_conceal(feats, burst_start)
        else:
            y = y16.astype(np.float32) * np.float32(1 / 32768)
        self._follow(y, frame)
        self._concealed = True
        self._conceal_kind = kind
        if kind == "dred":
            self.stats.dred += 1
        else:
            self.stats.plc += 1
        self.last_kind = kind
        return y

    def _follow(self, y: np.ndarray, frame: int) -> None:
        """Moves the system decoder through a concealed frame (its own output is not used):
        re-encoded so that it continues from ``y`` for SILK streams, else its own PLC.
        A re-encoded frame reaches the decoder one frame late (with the next concealed
        frame, or in :meth:`_resume`): its encoding needs the audio that follows it."""
        self._shadowed = self._shadow is not None and self._silk_bw is not None and frame in SILK_FRAMES
        self._to_system_decoder(self._shadow.concealed(y, self._silk_bw) if self._shadowed else (None, frame))

    def _to_system_decoder(self, due: Optional[Tuple[Optional[bytes], int]]) -> None:
        """Decodes ``due`` = (packet, frame size) with the system decoder, output unused;
        packet None (or undecodable): its own PLC conceals the frame; ``due`` None: nothing."""
        from ._libopus import OpusError
        if due is None:
            return
        pkt, frame = due
        if pkt is not None:
            try:
                self._opus.decode_int16(pkt, frame)
                return
            except (ValueError, OpusError):
                pass
        try:
            self._opus.decode_int16(None, frame)
        except (ValueError, OpusError):
            pass

    def _dred_for(self, pkt: bytes):
        """(dred_offset, features with row 0 newest) of a packet's DRED, cached; None if none."""
        if pkt in self._dred_cache:
            return self._dred_cache[pkt]
        try:
            d = self._dred.parse(pkt, self._max_dred_ms)
        except ValueError:
            d = None
        val = None if d is None or d.samples(SAMPLE_RATE) <= 0 else (d.offset, d.features())
        if len(self._dred_cache) > 8:
            self._dred_cache.clear()
        self._dred_cache[pkt] = val
        return val

    # -- LPCNet rendering of the concealment -------------------------------------------
    # LPCNet's frame network looks two frames ahead; the concealment produces features
    # one frame at a time, so they are fed two rows late: each concealed frame is rendered
    # from its own features with a causal (look-back only) conditioning.
    def _remember(self, y: np.ndarray, feats: np.ndarray) -> None:
        self._hist_pcm = np.concatenate([self._hist_pcm, y])[-LPCNET_PRIME_SAMPLES:]
        self._hist_feat = np.concatenate([self._hist_feat, feats])[-LPCNET_PRIME_FRAMES:]

    def _lpcnet_conceal(self, feats: np.ndarray, burst_start: bool) -> np.ndarray:
        if burst_start:
            self._lpcnet.prime(self._hist_pcm, self._hist_feat)
        y = self._lpcnet.synthesize(feats)
        self._remember(y, feats)
        return y
