"""Audio files in, at any rate: whatever libsndfile reads (via ``soundfile``), resampled
with ``soxr``.

WAV (16/24/32-bit integer, float), FLAC, Ogg Vorbis/Opus, MP3 (libsndfile 1.1 or newer),
AIFF, ...: any sample rate and channel count.  Unreadable files raise ``ValueError`` with
one line saying which file and why.
"""
from __future__ import annotations

import os
from typing import Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


def read_audio(path: PathLike) -> Tuple[np.ndarray, int]:
    """(float32 samples of shape (frames, channels) in [-1, 1], sample rate) of an audio
    file.  ``ValueError`` for a missing, unreadable or empty file."""
    p = os.fspath(path)
    try:
        import soundfile
    except ImportError:   # pragma: no cover - soundfile is a dependency
        from .audio import read_wav
        x, fs = read_wav(p)
        return x[:, None], fs
    try:
        x, fs = soundfile.read(p, dtype="float32", always_2d=True)
    except (RuntimeError, OSError, TypeError, ValueError) as e:   # LibsndfileError is a RuntimeError
        msg = " ".join(str(e).split()) or type(e).__name__
        raise ValueError(f"{p}: not a readable audio file ({msg})") from None
    if x.shape[0] == 0:
        raise ValueError(f"{p}: the file holds no audio samples")
    if not np.isfinite(x).all():
        raise ValueError(f"{p}: the audio contains NaN or infinite samples")
    return x, int(fs)


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``pcm`` (frames, or frames x channels) from one rate to another, float32
    (soxr, high quality; the same array back when the rates match)."""
    x = np.asarray(pcm, np.float32)
    if from_rate == to_rate:
        return x
    import soxr
    return np.asarray(soxr.resample(x, from_rate, to_rate, quality="HQ"), np.float32)


def to_mono(pcm: np.ndarray) -> np.ndarray:
    """The mean of the channels of (frames, channels) audio; 1-D input is returned as is."""
    x = np.asarray(pcm, np.float32)
    return x if x.ndim == 1 else x.mean(axis=1, dtype=np.float32)


def read_mono(path: PathLike, sample_rate: int) -> np.ndarray:
    """An audio file as float32 mono at ``sample_rate`` (channels mixed down, resampled)."""
    x, fs = read_audio(path)
    return resample(to_mono(x), fs, sample_rate)
