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
FRAME_MS = (10, 20, 40, 60)

#: Cutoff of the encoder's high-pass filter.  libopus adapts it between 60 and
#: 100 Hz from SILK's pitch and band-0 quality, and on clean speech its target is
#: pulled to the 60 Hz floor; 60 Hz reproduces 99.1 % of libopus's DRED integers on
#: the dev clips (tests/test_dred_encoder.py).
HIGHPASS_HZ = 60


class DredEncoder:
    """Adds up to 1 s of DRED to any Opus stream: call :meth:`push` with each packet's
    audio and attach the returned payload with :func:`dredfast.add_dred`.

    ``bitrate=None`` reproduces libopus 1.6.1's budget for an Opus stream at
    ``primary_bitrate`` with ``packet_loss_pct`` and ``lbrr`` (in-band FEC) set as on
    that encoder (at 24 kb/s, 20 % loss: 160 ms of DRED; with LBRR: none).  A number
    gives DRED that many bits per second of its own, on top of the primary audio.

    The analysis, RDO-VAE encoder, quantiser, latent selection and range coder are
    libopus's, bit for bit; the payload is what a libopus 1.6.1 encoder with the same
    signal, activity decisions and budget writes.  Two things libopus takes from its
    own encoder are modelled: its VOIP high-pass filter (fixed at its 60 Hz floor, see
    ``HIGHPASS_HZ``) and its voice-activity decision (here an energy threshold,
    ``vad_threshold_db``; pass ``active=`` to :meth:`push` to use your own VAD).
    Inactive (silent) latents are not sent, as in libopus.

    One object per stream; not for concurrent use from several threads (calls on one
    object are serialised by a lock).
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, dred_ms: int = 1000, bitrate: Optional[int] = None,
                 weights: Optional[Union[Weights, PathLike]] = None, *, primary_bitrate: int = 24000,
                 packet_loss_pct: int = 20, lbrr: bool = False, vbr: bool = True, frame_ms: int = 20,
                 vad_threshold_db: float = -75.0, highpass: bool = True, isa: Optional[str] = None):
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"DredEncoder works at 16000 Hz (got {sample_rate}); resample first, e.g. with soxr")
        self.dred_ms = as_int(dred_ms, "dred_ms", 0, 1040)
        if frame_ms not in FRAME_MS:
            raise ValueError(f"frame_ms must be one of {FRAME_MS}, got {frame_ms!r}")
        self.frame_ms = frame_ms
        self.frame_samples = SAMPLE_RATE * frame_ms // 1000
        if bitrate is None:
            self.budget: DredBudget = libopus_budget(
                as_int(primary_bitrate, "primary_bitrate", 500, 512000),
                packet_loss_pct=as_int(packet_loss_pct, "packet_loss_pct", 0, 100), lbrr=bool(lbrr),
                dred_ms=self.dred_ms, frame_ms=frame_ms, vbr=bool(vbr))
        else:
            self.budget = own_budget(as_int(bitrate, "bitrate", 0, 512000), dred_ms=self.dred_ms, frame_ms=frame_ms)
        self.vad_threshold_db = float(vad_threshold_db)
        self._cutoff = HIGHPASS_HZ if highpass else 0
        self._core = _core.DredEncoderCore(resolve(weights)._blob, isa_code(isa))
        self._lock = StreamLock()
        #: Decisions of the last :meth:`push`: ``nb_latents`` coded (0 = no DRED),
        #: ``extra_offset`` (inactive newest latents skipped), ``offset`` (signalled, 2.5 ms units).
        self.last_info: dict = {}

    def reset(self) -> None:
        """Starts a new stream (as libopus's ``OPUS_RESET_STATE``)."""
        with self._lock:
            self._core.reset()
            self.last_info = {}

    def push(self, pcm, *, active: Optional[bool] = None) -> bytes:
        """Feeds one packet's audio (``frame_ms`` of 16 kHz mono: float in [-1, 1] or
        int16) and returns this packet's DRED payload (starting ``b"D\\x0c"``), or
        ``b""`` when libopus would send none (silence, no budget, stream start).

        ``active`` overrides the built-in voice-activity decision for this packet.
        """
        x = _pcm(pcm, self.frame_samples)
        if active is None:
            energy = float(np.dot(x, x)) / len(x)
            active = energy > 10.0 ** (self.vad_threshold_db / 10.0)
        b = self.budget
        with self._lock:
            self._core.push(x, bool(active), self._cutoff)
            if b.max_chunks < 1:
                self.last_info = {"nb_latents": 0, "extra_offset": 0, "offset": 0, "latent_offset": 0}
                return b""
            payload, info = self._core.code(b.max_chunks, b.max_bytes, b.q0, b.dq, b.qmax)
            self.last_info = info
        return DRED_PREFIX + payload if payload else b""


def _pcm(pcm, n: int) -> np.ndarray:
    a = np.asarray(pcm)
    if a.dtype == np.int16:
        a = a.astype(np.float32) / np.float32(32768.0)
    elif a.dtype.kind == "f":
        with np.errstate(over="ignore"):  # beyond float32 becomes inf: refused below
            a = np.ascontiguousarray(a, dtype=np.float32)
    else:
        raise TypeError(f"pcm must be float (in [-1, 1]) or int16, got dtype {a.dtype}")
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"pcm must be 1-D with {n} samples (one packet), got shape {a.shape}")
    check_finite_within(a, MAX_ABS_PCM, "pcm")
    return a
