"""The DRED sender: speech in, one DRED payload per packet out, as libopus 1.6.1 codes it."""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from . import _core
from ._checks import MAX_ABS_PCM, as_int, check_finite_within
from ._isa import isa_code
from ._locks import StreamLock
from ._weights import PathLike, Weights, resolve
from .dred_budget import DredBudget, libopus_budget, own_budget
from .packets import DRED_PREFIX

SAMPLE_RATE = 16000
#: Input rates libopus's DRED encoder converts to its 16 kHz (the Opus rates).
SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
FRAME_MS = (10, 20, 40, 60)
#: The Opus encoder's input filter, which DRED analyses after: VOIP runs the
#: adaptive high-pass, the other applications a 3 Hz DC rejection; the
#: restricted low-delay application also has no delay compensation.
APPLICATIONS = ("voip", "audio", "restricted_lowdelay")
_DC_REJECT = -1  # the C core's DF_DRED_ENC_DC_REJECT
_OPUS_DELAY_16K = 64  # libopus's delay compensation, Fs/250, in 16 kHz samples

#: Cutoff of the encoder's VOIP high-pass filter.  In SILK and hybrid mode libopus
#: adapts it between 60 and 100 Hz from SILK's pitch and band-0 quality, and on
#: clean speech its target is pulled to the 60 Hz floor; 60 Hz reproduces 99.1 % of
#: libopus's DRED integers on the dev clips (tests/test_dred_encoder.py).  In
#: CELT-only mode libopus holds it at exactly 60 Hz.
HIGHPASS_HZ = 60


class DredEncoder:
    """Adds up to 1 s of DRED to any Opus stream: call :meth:`push` with each packet's
    audio and attach the returned payload with :func:`dredfast.add_dred`.

    Input: ``sample_rate`` 8000, 12000, 16000, 24000 or 48000 Hz, ``channels`` 1 or 2,
    the audio the Opus encoder is given.  As libopus does, the Opus encoder's input
    filter for ``application`` runs at that rate, then the channels are averaged and
    brought to 16 kHz by libopus's own resampling filter, and DRED is computed from that.

    ``bitrate=None`` reproduces libopus 1.6.1's budget for an Opus stream at
    ``primary_bitrate`` with ``packet_loss_pct`` and ``lbrr`` (in-band FEC) set as on
    that encoder (at 24 kb/s, 20 % loss: 160 ms of DRED; with LBRR: none; at 64 kb/s:
    640 ms).  A number gives DRED that many bits per second of its own, on top of the
    primary audio.

    The conversion, analysis, RDO-VAE encoder, quantiser, latent selection and range
    coder are libopus's, bit for bit; the payload is what a libopus 1.6.1 encoder with
    the same signal, activity decisions and budget writes.  Two things libopus takes
    from its own encoder are modelled: its VOIP high-pass filter (fixed at its 60 Hz
    floor, see ``HIGHPASS_HZ``; exact in CELT-only mode) and its voice-activity
    decision (here an energy threshold, ``vad_threshold_db``; pass ``active=`` to
    :meth:`push` to use your own VAD).  Inactive (silent) latents are not sent, as in
    libopus.

    One object per stream; not for concurrent use from several threads (calls on one
    object are serialised by a lock).
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, dred_ms: int = 1000, bitrate: Optional[int] = None,
                 weights: Optional[Union[Weights, PathLike]] = None, *, channels: int = 1,
                 application: str = "voip", primary_bitrate: int = 24000, packet_loss_pct: int = 20,
                 lbrr: bool = False, vbr: bool = True, frame_ms: int = 20, vad_threshold_db: float = -75.0,
                 highpass: bool = True, isa: Optional[str] = None):
        sample_rate = as_int(sample_rate, "sample_rate", 8000, 48000)
        if sample_rate not in SAMPLE_RATES:
            raise ValueError(f"sample_rate must be one of {SAMPLE_RATES}, got {sample_rate}")
        self.sample_rate = sample_rate
        self.channels = as_int(channels, "channels", 1, 2)
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {APPLICATIONS}, got {application!r}")
        self.application = application
        self.dred_ms = as_int(dred_ms, "dred_ms", 0, 1040)
        if frame_ms not in FRAME_MS:
            raise ValueError(f"frame_ms must be one of {FRAME_MS}, got {frame_ms!r}")
        self.frame_ms = frame_ms
        #: Samples per channel in one packet.
        self.frame_samples = sample_rate * frame_ms // 1000
        if bitrate is None:
            self.budget: DredBudget = libopus_budget(
                as_int(primary_bitrate, "primary_bitrate", 500, 512000),
                packet_loss_pct=as_int(packet_loss_pct, "packet_loss_pct", 0, 100), lbrr=bool(lbrr),
                dred_ms=self.dred_ms, frame_ms=frame_ms, vbr=bool(vbr))
        else:
            self.budget = own_budget(as_int(bitrate, "bitrate", 0, 512000), dred_ms=self.dred_ms, frame_ms=frame_ms)
        self.vad_threshold_db = float(vad_threshold_db)
        if not highpass:
            self._cutoff = 0
        elif application == "voip":
            self._cutoff = HIGHPASS_HZ
        else:
            self._cutoff = _DC_REJECT
        delay = 0 if application == "restricted_lowdelay" else _OPUS_DELAY_16K
        self._core = _core.DredEncoderCore(resolve(weights)._blob, isa_code(isa), sample_rate, self.channels, delay)
        self._lock = StreamLock()
        #: Decisions of the last :meth:`push`: ``nb_latents`` coded (0 = no DRED),
        #: ``extra_offset`` (inactive newest latents skipped), ``offset`` (signalled, 2.5 ms units).
        self.last_info: dict = {}

    def reset(self) -> None:
        """Starts a new stream (as libopus's ``OPUS_RESET_STATE``)."""
        with self._lock:
            self._core.reset()
            self.last_info = {}

    def voice_active(self, pcm) -> bool:
        """The built-in voice-activity decision :meth:`push` takes for this packet's audio
        when ``active`` is not given: mean energy above ``vad_threshold_db`` (dB re full
        scale).  Agrees with libopus 1.6.1's own decisions on 99.0 % of the dev clips'
        packets (tests/test_dred_encoder.py)."""
        return self._energy_active(_pcm(pcm, self.frame_samples, self.channels).reshape(-1))

    def _energy_active(self, x: np.ndarray) -> bool:
        energy = float(np.dot(x, x)) / len(x)
        return energy > 10.0 ** (self.vad_threshold_db / 10.0)

    def push(self, pcm, *, active=None, multiframe: bool = False, max_bytes: Optional[int] = None,
             _cutoff_hz=None) -> bytes:
        """Feeds one packet's audio (``frame_ms`` at ``sample_rate``: float in [-1, 1] or
        int16; 1-D for mono, ``(samples, 2)`` for stereo) and returns this packet's DRED
        payload (starting ``b"D\\x0c"``), or ``b""`` when libopus would send none
        (silence, no budget, stream start).

        ``active`` overrides the built-in voice-activity decision: a bool for the packet,
        or one per 20 ms when ``multiframe``.  ``multiframe``: the Opus packet is made of
        20 ms frames, as libopus codes hybrid and CELT packets longer than 20 ms; libopus
        then codes DRED right after the first 20 ms (the DRED of a 40/60 ms hybrid or
        CELT packet is 20/40 ms older than the packet's end), and so does this.
        ``max_bytes`` caps this packet's payload (after the 2-byte prefix) below the
        budget's (:func:`dredfast.dred_budget.multiframe_max_bytes` gives libopus's cap
        for such packets); 0 sends no DRED.  (``_cutoff_hz``, for the tests: libopus's
        high-pass cutoff for this packet, or one per 20 ms, instead of ``HIGHPASS_HZ``.)
        """
        x = _pcm(pcm, self.frame_samples, self.channels).reshape(-1)
        parts = self.frame_ms // 20 if multiframe and self.frame_ms > 20 else 1
        step = len(x) // parts
        chunks = [x[i * step:(i + 1) * step] for i in range(parts)]
        if active is None:
            flags = [self._energy_active(c) for c in chunks]
        elif np.ndim(active) == 0:
            flags = [bool(active)] * parts
        else:
            flags = [bool(a) for a in active]
            if len(flags) != parts:
                raise ValueError(f"active needs {parts} flag(s) for this packet, got {len(flags)}")
        cut = [self._cutoff] * parts
        if _cutoff_hz is not None and self._cutoff > 0:
            cut = [int(c) for c in np.broadcast_to(np.asarray(_cutoff_hz), (parts,))]
        b = self.budget
        cap = b.max_bytes if max_bytes is None else min(b.max_bytes, as_int(max_bytes, "max_bytes", 0, 100000))
        with self._lock:
            self._core.push(chunks[0], flags[0], cut[0])
            if b.max_chunks < 1 or cap < 1:
                self.last_info = {"nb_latents": 0, "extra_offset": 0, "offset": 0, "latent_offset": 0}
                payload = b""
            else:
                payload, self.last_info = self._core.code(b.max_chunks, cap, b.q0, b.dq, b.qmax)
            for c, f, h in zip(chunks[1:], flags[1:], cut[1:]):
                self._core.push(c, f, h)
        return DRED_PREFIX + payload if payload else b""


def _pcm(pcm, n: int, channels: int = 1) -> np.ndarray:
    """One packet as float32 in [-1, 1] scale: shape (n,) for mono, (n, channels) otherwise."""
    a = np.asarray(pcm)
    if a.dtype == np.int16:
        a = a.astype(np.float32) / np.float32(32768.0)
    elif a.dtype == np.float32:
        pass  # the common case: no cast (and no errstate context, which costs microseconds per packet)
    elif a.dtype.kind == "f":
        with np.errstate(over="ignore"):  # beyond float32 becomes inf: refused below
            a = np.ascontiguousarray(a, dtype=np.float32)
    else:
        raise TypeError(f"pcm must be float (in [-1, 1]) or int16, got dtype {a.dtype}")
    if channels == 1:
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim != 1 or a.shape[0] != n:
            raise ValueError(f"pcm must be 1-D with {n} samples (one packet), got shape {a.shape}")
    elif a.shape != (n, channels):
        raise ValueError(f"pcm must have shape ({n}, {channels}) (one packet), got shape {a.shape}")
    check_finite_within(a, MAX_ABS_PCM, "pcm")
    return np.ascontiguousarray(a)
