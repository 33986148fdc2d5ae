"""Small WAV helpers (16-bit PCM, standard library only)."""
from __future__ import annotations

import os
import wave
from typing import Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


def read_wav(path: PathLike, mono: bool = True) -> Tuple[np.ndarray, int]:
    """(float32 samples in [-1, 1], sample rate) of a 16-bit PCM WAV file: the
    channels averaged if ``mono``, else shape (samples, channels) when there are
    several.

    ``ValueError`` for anything else (float or compressed WAV, not RIFF, no channels,
    empty or cut-short header), ``OSError`` when the file cannot be read."""
    try:
        w = wave.open(os.fspath(path), "rb")
    except (wave.Error, EOFError) as e:
        # wave says "unknown format: 3" for float, an empty EOFError for a 0-byte file.
        raise ValueError(f"{path}: not a 16-bit PCM WAV file ({e or 'file too short'})") from None
    with w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported (got {8 * w.getsampwidth()}-bit)")
        ch, fs, n = w.getnchannels(), w.getframerate(), w.getnframes()
        if ch < 1 or fs < 1:
            raise ValueError(f"{path}: WAV header claims {ch} channels at {fs} Hz")
        raw = w.readframes(n)
        raw = raw[:len(raw) // (2 * ch) * (2 * ch)]  # a cut-short last frame
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if ch > 1:
        data = data.reshape(-1, ch)
        if mono:
            data = data.mean(axis=1)
    return data, fs


def write_wav(path: PathLike, pcm: np.ndarray, sample_rate: int = 16000) -> None:
    """Writes float samples (clipped to [-1, 1]) as 16-bit mono PCM."""
    x = np.clip(np.asarray(pcm, dtype=np.float64), -1.0, 32767 / 32768)
    data = np.floor(0.5 + x * 32768).astype("<i2")
    # Open the file first: wave.open on a path it cannot create raises, then its
    # half-built writer complains again when collected.
    with open(os.fspath(path), "wb") as f, wave.open(f, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(data.tobytes())
