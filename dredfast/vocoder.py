"""Neural vocoders: acoustic features (20 per 10 ms) to 16 kHz speech."""
from __future__ import annotations

import functools
from importlib import resources
from typing import Optional, Union


import numpy as np

from . import _core
from ._checks import MAX_ABS_FEATURE, MAX_ABS_PCM, check_finite_within
from ._isa import isa_code
from ._locks import StreamLock
from ._weights import PathLike, Weights, resolve

FRAME = 160          # samples per feature frame
NUM_FEATURES = 20
HISTORY_SAMPLES = 320
HISTORY_FRAMES = 5
#: LPCNet's priming needs: 2 frames of audio, and the 6 feature frames the
#: vocoder would have been fed up to them (4 to fill its convolutions + 2).
LPCNET_HISTORY_SAMPLES = 320
LPCNET_HISTORY_FRAMES = 6
#: Packaged FreeDV LPCNet 191005 model (only the records synthesis reads).
LPCNET_BLOB = "lpcnet-191005.bin"

VOCODERS = ("fargan", "lpcnet")


#: Column counts of FreeDV LPCNet feature arrays: the network's 38 inputs, or
#: ``lpcnet_dump``'s 55 (38 + LPC gain + 16 LPC, unused by synthesis).
FREEDV_COLUMNS = (38, 55)
_SOFTPLUS5 = float(np.log1p(np.exp(5.0)))


def opus_to_lpcnet_features(features) -> np.ndarray:
    """Opus / DRED features (n, 20) to the 20 values per frame FreeDV LPCNet 191005 reads.

    Returns (n, 20) float32: columns 0-17 cepstrum, 18 pitch feature, 19 pitch gain, in
    FreeDV's convention (its feature columns 0-17, 36 and 37; the network's inputs 18-35
    are zero in FreeDV's decoder and are zero here).  The mapping:

    * **cepstrum, columns 0-17: unchanged.**  Both analyses compute the DCT of
      ``log10(1e-2 + E_band)`` of the same 18 bands of the same pre-emphasised (0.85),
      windowed 20 ms frame every 10 ms, with the same floors (``logMax - 8``,
      ``follow - 2.5``) and ``-4`` on column 0; frame k of both is the call on samples
      ``160k..160k+159``.  Remaining differences are FreeDV's input high-pass and dither
      (0.024 rms over the dev clips).
    * **pitch, column 18:** Opus stores ``p`` with period ``P = 256 / 2**(p + 1.5)``
      samples (16 kHz); FreeDV stores ``0.01 * (I - 200)`` with ``I`` Codec 2's period in
      half samples, ``round(2 P)``, clamped to [64, 511] as ``lpcnet_dump`` does.  So
      ``column 18 = 0.01 * (clip(round(2 * 256 / 2**(p + 1.5)), 64, 511) - 200)``.
    * **pitch gain, column 19:** Opus stores ``softplus(5 c) / softplus(5) - 0.5`` of the
      normalised correlation ``c = xy / sqrt(1 + xx yy)`` at the pitch period; it is
      inverted exactly, ``c = log(exp((f + 0.5) * softplus(5)) - 1) / 5``, and ``c`` is
      used as FreeDV's gain (its ``remove_doubling`` gain is the same kind of normalised
      correlation at the period, on a differently filtered signal: the two correlate at
      0.67 over the dev clips, and using ``c`` as is scored best of the mappings tried).
    """
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] != NUM_FEATURES:
        raise ValueError(f"features must have shape (n, {NUM_FEATURES}), got {f.shape}")
    with np.errstate(over="ignore", divide="ignore"):  # absurd inputs clamp below
        period = 256.0 / np.exp2(f[:, 18] + 1.5)
        half = np.clip(np.round(2.0 * period), 64, 511)
        # expm1 of a value <= 0 would give log(<= 0) (c -> -inf at the feature's floor);
        # clamp so any input maps to a finite correlation, and cap absurdly large ones.
        arg = np.clip(np.expm1((f[:, 19] + 0.5) * _SOFTPLUS5), 1e-30, 1e30)
        gain = np.log(arg) / 5.0
    out = np.empty((f.shape[0], NUM_FEATURES), np.float32)
    out[:, :18] = f[:, :18]
    out[:, 18] = 0.01 * (half - 200.0)
    out[:, 19] = gain
    return out


def freedv_to_lpcnet_features(features) -> np.ndarray:
    """FreeDV LPCNet features, (n, 38) or (n, 55) (e.g. ``lpcnet_dump`` output), to the 20
    values per frame the network reads: columns 0-17, 36 and 37."""
    f = np.asarray(features, dtype=np.float32)
    if f.ndim != 2 or f.shape[1] not in FREEDV_COLUMNS:
        raise ValueError(f"features must have shape (n, 38) or (n, 55), got {f.shape}")
    return np.ascontiguousarray(np.concatenate([f[:, :18], f[:, 36:38]], axis=1))


@functools.lru_cache(maxsize=1)
def _lpcnet_default() -> Weights:
    ref = resources.files("dredfast.weights").joinpath(LPCNET_BLOB)
    return Weights(_core.Blob(ref.read_bytes()), str(ref))


def _features(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")
    with np.errstate(over="ignore"):  # beyond float32 becomes inf: refused below
        a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim != 2 or a.shape[1] != NUM_FEATURES:
        raise ValueError(f"{name} must have shape (n, {NUM_FEATURES}), got {a.shape}")
    check_finite_within(a, MAX_ABS_FEATURE, name)
    return a


def _lpcnet_features(x, name: str) -> np.ndarray:
    """(n, 20) Opus features, or FreeDV's (n, 38) / (n, 55), to LPCNet's 20 inputs."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a numeric array, got dtype {a.dtype}")
    if a.ndim != 2 or a.shape[1] not in (NUM_FEATURES,) + FREEDV_COLUMNS:
        raise ValueError(f"{name} must have shape (n, 20) (Opus features) or (n, 38) / (n, 55) "
                         f"(FreeDV LPCNet features), got {a.shape}")
    # Checked as float32, the type the network reads: a float64 1e300 is finite
    # before the cast and inf after it.
    with np.errstate(over="ignore"):
        check_finite_within(a.astype(np.float32), MAX_ABS_FEATURE, name)
    return opus_to_lpcnet_features(a) if a.shape[1] == NUM_FEATURES else freedv_to_lpcnet_features(a)


def _pcm(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.dtype == np.int16:
        a = a.astype(np.float32) / 32768.0
    elif a.dtype.kind == "f":
        with np.errstate(over="ignore"):  # beyond float32 becomes inf: refused below
            a = a.astype(np.float32)
    else:
        raise TypeError(f"{name} must be float in [-1, 1] or int16, got dtype {a.dtype}")
    check_finite_within(a, MAX_ABS_PCM, name)
    return np.ascontiguousarray(a)


class Vocoder:
    """A streaming neural vocoder: ``synthesize(features)`` returns 160 samples (10 ms at
    16 kHz, float32 in about [-1, 1]) per feature frame, continuing where the last call
    stopped.

    ``kind``:

    * ``"fargan"`` (Opus 1.6's vocoder, deterministic; bit-exact with libopus on Intel).
      Before the first frame the vocoder needs a history: call :meth:`prime` with real past
      audio and its features to continue seamlessly from decoded speech (what DRED and PLC
      do); without it, the first call primes from silence and its first feature frame, as
      libopus's ``fargan_demo`` does.
    * ``"lpcnet"`` (FreeDV LPCNet, model 191005: sample-rate LPCNet drawing mu-law
      excitation from its output distribution; ``seed`` makes runs reproducible, and every
      kernel path draws the same samples for a seed).  It takes the 20 Opus features
      (converted as :func:`opus_to_lpcnet_features` documents) or FreeDV's
      own 38/55-column features.  Its feature convolutions look 2 frames ahead: the audio
      of a call is driven by the features given 2 frames earlier, 400 samples behind the
      analysed speech in all; after :meth:`reset` the first 2 frames are silent, as in
      FreeDV.  :meth:`prime` continues from real audio instead.

    Feature values beyond +-1e4 (real ones are within about +-20), NaN or inf raise
    ``ValueError``: one absurd frame used to leave LPCNet producing noise until reset.

    Calls on one object are serialised by a lock (a stream has one state); the GIL is
    released while it runs, so separate objects run in parallel.
    """

    def __init__(self, kind: str = "fargan", *, seed: int = 0,
                 weights: Optional[Union[Weights, PathLike]] = None, isa: Optional[str] = None):
        if kind not in VOCODERS:
            raise ValueError(f"unknown vocoder {kind!r}; available: {', '.join(VOCODERS)}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
            raise ValueError(f"seed must be an integer in [0, 2**64), not {seed!r}")
        self.kind = kind
        self.seed = int(seed)
        if kind == "lpcnet":
            w = _lpcnet_default() if weights is None else resolve(weights)
            self._v = _core.Lpcnet(w._blob, isa_code(isa), self.seed)
        else:
            w = resolve(weights)
            self._v = _core.Fargan(w._blob, isa_code(isa))
        self._lock = StreamLock()

    def reset(self, seed: Optional[int] = None) -> None:
        """Starts a new stream (LPCNet: re-seeded with ``seed``, default the current seed)."""
        with self._lock:
            self._reset_unlocked(seed)

    def prime(self, pcm_history, features_history) -> None:
        with self._lock:
            self._prime_unlocked(pcm_history, features_history)

    def synthesize(self, features) -> np.ndarray:
        """float32 PCM, ``160 * len(features)`` samples, continuing the stream."""
        with self._lock:
            return self._synthesize_unlocked(features)

    @property
    def isa(self) -> Optional[str]:
        """Kernel path in use (LPCNet only; None for FARGAN)."""
        return self._v.isa if self.kind == "lpcnet" else None

    def _reset_unlocked(self, seed: Optional[int] = None) -> None:
        """Forget all history (FARGAN: the next call primes again; LPCNet: FreeDV's start-up,
        generator re-seeded with ``seed``, default the constructor's)."""
        if self.kind == "lpcnet":
            if seed is not None:
                if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 64:
                    raise ValueError(f"seed must be an integer in [0, 2**64), not {seed!r}")
                self.seed = int(seed)
            self._v.reset(self.seed)
        else:
            self._v.reset()

    def _prime_unlocked(self, pcm_history, features_history) -> None:
        """Continue from real audio.

        FARGAN: the last 320 samples (float in [-1, 1] or int16) and the last 5 feature
        frames that describe them (the 5th = the newest 10 ms).

        LPCNet: the last 320 samples and the last 6 feature frames the vocoder would have
        been fed up to them: the newest row is the one whose call would have returned the
        newest 160 samples (those samples are driven by the row 2 before it).  GRU-A and
        GRU-B then run teacher-forced over the audio, so the next :meth:`synthesize`
        continues it seamlessly.  The random generator is not re-seeded.
        """
        pcm = _pcm(pcm_history, "pcm_history")
        if self.kind == "lpcnet":
            feats = _lpcnet_features(features_history, "features_history")
            if len(pcm) < LPCNET_HISTORY_SAMPLES or len(feats) < LPCNET_HISTORY_FRAMES:
                raise ValueError(f"prime needs at least {LPCNET_HISTORY_SAMPLES} samples and "
                                 f"{LPCNET_HISTORY_FRAMES} feature frames, got {len(pcm)} and {len(feats)}")
            self._v.prime(pcm[-LPCNET_HISTORY_SAMPLES:], feats[-LPCNET_HISTORY_FRAMES:])
            return
        feats = _features(features_history, "features_history")
        if len(pcm) < HISTORY_SAMPLES or len(feats) < HISTORY_FRAMES:
            raise ValueError(f"prime needs at least {HISTORY_SAMPLES} samples and {HISTORY_FRAMES} feature frames, "
                             f"got {len(pcm)} and {len(feats)}")
        self._v.prime(pcm[-HISTORY_SAMPLES:], feats[-HISTORY_FRAMES:])

    def _synthesize_unlocked(self, features) -> np.ndarray:
        """float32 PCM, ``160 * len(features)`` samples."""
        if self.kind == "lpcnet":
            return self._v.synthesize(_lpcnet_features(features, "features"))
        feats = _features(features, "features")
        if not self._v.primed:
            if len(feats) == 0:
                return np.zeros(0, np.float32)
            self._v.prime(np.zeros(HISTORY_SAMPLES, np.float32), np.repeat(feats[:1], HISTORY_FRAMES, axis=0))
        return self._v.synthesize(feats)

    prime.__doc__ = _prime_unlocked.__doc__

    def __repr__(self) -> str:
        return f"<dredfast.Vocoder {self.kind}>"
