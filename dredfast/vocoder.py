"""Neural vocoders: acoustic features (20 per 10 ms) to 16 kHz speech."""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from . import _core
from ._isa import isa_code
from ._weights import PathLike, Weights, resolve

FRAME = 160          # samples per feature frame
NUM_FEATURES = 20
HISTORY_SAMPLES = 320
HISTORY_FRAMES = 5

VOCODERS = ("fargan",)


def _features(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim != 2 or a.shape[1] != NUM_FEATURES:
        raise ValueError(f"{name} must have shape (n, {NUM_FEATURES}), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _pcm(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.dtype == np.int16:
        a = a.astype(np.float32) / 32768.0
    elif a.dtype.kind == "f":
        a = a.astype(np.float32)
    else:
        raise TypeError(f"{name} must be float in [-1, 1] or int16, got dtype {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return np.ascontiguousarray(a)


class Vocoder:
    """A streaming neural vocoder: ``synthesize(features)`` returns 160 samples (10 ms at
    16 kHz, float32 in about [-1, 1]) per feature frame, continuing where the last call
    stopped.

    ``kind``: ``"fargan"`` (Opus 1.6's vocoder, deterministic; bit-exact with libopus on
    Intel).  Before the first frame the vocoder needs a history: call :meth:`prime` with
    real past audio and its features to continue seamlessly from decoded speech (what DRED
    and PLC do); without it, the first call primes from silence and its first feature frame,
    as libopus's ``fargan_demo`` does.  Not thread-safe per object; the GIL is released
    while it runs, so separate objects run in parallel.
    """

    def __init__(self, kind: str = "fargan", *, weights: Optional[Union[Weights, PathLike]] = None,
                 isa: Optional[str] = None):
        if kind not in VOCODERS:
            raise ValueError(f"unknown vocoder {kind!r}; available: {', '.join(VOCODERS)}")
        self.kind = kind
        w = resolve(weights)
        self._v = _core.Fargan(w._blob, isa_code(isa))

    def reset(self) -> None:
        """Forget all history (the next call primes again)."""
        self._v.reset()

    def prime(self, pcm_history, features_history) -> None:
        """Continue from real audio: the last 320 samples (float in [-1, 1] or int16) and
        the last 5 feature frames that describe them (the 5th = the newest 10 ms)."""
        pcm = _pcm(pcm_history, "pcm_history")
        feats = _features(features_history, "features_history")
        if len(pcm) < HISTORY_SAMPLES or len(feats) < HISTORY_FRAMES:
            raise ValueError(f"prime needs at least {HISTORY_SAMPLES} samples and {HISTORY_FRAMES} feature frames, "
                             f"got {len(pcm)} and {len(feats)}")
        self._v.prime(pcm[-HISTORY_SAMPLES:], feats[-HISTORY_FRAMES:])

    def synthesize(self, features) -> np.ndarray:
        """float32 PCM, ``160 * len(features)`` samples."""
        feats = _features(features, "features")
        if not self._v.primed:
            if len(feats) == 0:
                return np.zeros(0, np.float32)
            self._v.prime(np.zeros(HISTORY_SAMPLES, np.float32), np.repeat(feats[:1], HISTORY_FRAMES, axis=0))
        return self._v.synthesize(feats)

    def __repr__(self) -> str:
        return f"<dredfast.Vocoder {self.kind}>"
