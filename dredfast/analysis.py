"""Feature analysis: 16 kHz speech to the 20 features per 10 ms that DRED, PLC and the
vocoders use (libopus 1.6.1's LPCNet analysis with PitchDNN)."""
from __future__ import annotations

from typing import Optional, Tuple, Union


import numpy as np

from . import _core
from ._checks import MAX_ABS_PCM, as_int, check_finite_within
from ._isa import isa_code
from ._locks import StreamLock
from ._weights import PathLike, Weights, resolve

FRAME = 160
SAMPLE_RATE = 16000


def _pcm_int16_scale(pcm) -> np.ndarray:
    a = np.asarray(pcm)
    if a.ndim != 1:
        raise ValueError(f"pcm must be 1-D (mono), got shape {a.shape}")
    if a.dtype == np.int16:
        return a.astype(np.float32)
    if a.dtype.kind != "f":
        raise TypeError(f"pcm must be float in [-1, 1] or int16, got dtype {a.dtype}")
    with np.errstate(over="ignore"):  # a float64 beyond float32 becomes inf: refused below
        a32 = a.astype(np.float32)
    check_finite_within(a32, MAX_ABS_PCM, "pcm")
    return a32 * np.float32(32768.0)


class Analyzer:
    """Streaming analysis: ``process(pcm)`` returns the features of every complete 10 ms
    frame, keeping the remainder and the analysis state for the next call.

    Float samples beyond +-1e4 (80 dB over full scale), NaN or inf raise ``ValueError``
    before anything reaches the state."""

    def __init__(self, *, weights: Optional[Union[Weights, PathLike]] = None, isa: Optional[str] = None):
        self._a = _core.Analyzer(resolve(weights)._blob, isa_code(isa))
        self._rest = np.zeros(0, np.float32)
        self._lock = StreamLock()  # one stream state: calls are serialised

    def reset(self) -> None:
        with self._lock:
            self._a.reset()
            self._rest = np.zeros(0, np.float32)

    def process(self, pcm, *, with_lpc: bool = False):
        """float32 features (frames, 20) — and the 16 LPC coefficients per frame when
        ``with_lpc`` — for 16 kHz mono ``pcm`` (float in [-1, 1] or int16)."""
        x16 = _pcm_int16_scale(pcm)
        with self._lock:
            x = np.concatenate([self._rest, x16])
            n = len(x) // FRAME * FRAME
            self._rest = x[n:].copy()
            feats, lpc = self._a.run(np.ascontiguousarray(x[:n]))
        return (feats, lpc) if with_lpc else feats


def analyze(pcm, sample_rate: int = SAMPLE_RATE, *, weights: Optional[Union[Weights, PathLike]] = None,
            isa: Optional[str] = None) -> np.ndarray:
    """The 20 features of every complete 10 ms frame of ``pcm``: float32 (len(pcm) // 160, 20).

    Columns: 18 Bark cepstral coefficients (column 0 minus 4), PitchDNN pitch value,
    pitch correlation — exactly libopus 1.6.1's ``lpcnet_compute_single_frame_features``
    on the same samples (row k covers samples 160k..160k+159, fresh state).  ``pcm``:
    mono, float in [-1, 1] or int16.  Only 16 kHz is accepted; resample other rates first
    (e.g. with soxr) — a ``ValueError`` says so.
    """
    fs = as_int(sample_rate, "sample_rate", 1, 768000)
    if fs != SAMPLE_RATE:
        raise ValueError(f"analyze() works on 16 kHz speech; resample from {fs} Hz first "
                         "(e.g. soxr.resample(pcm, fs, 16000))")
    return Analyzer(weights=weights, isa=isa).process(pcm)
