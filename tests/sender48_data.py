"""Inputs and reference data of the 8-48 kHz DRED sender tests (tests only).

* ``demo_input(fs, channels)``: the packaged demo speech (16 kHz) brought to ``fs``
  in integer arithmetic only (so every machine and numpy version builds the same
  samples): 48 kHz by linear interpolation rounded to int16 (it keeps the
  interpolation's images above 8 kHz: real fullband content), other rates by
  taking every k-th 48 kHz sample; stereo right channel = left delayed 7 ms
  (336 samples at 48 kHz) at 0.7, rounded, as ../shared/vectors48 builds its
  stereo input.
* ``tests/data/sender48/dred_encoder48_subset.npz`` (``CASES``): what libopus 1.6.1 did with
  those inputs (tools/libopus_dred_trace/README.md says how it was recorded).
* ``tests/data/sender48/vectors48_encoder_trace.npz``: libopus's activity and high-pass
  cutoff for every packet of ../shared/vectors48's fb32, celt64 and st64 streams.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, NamedTuple

import numpy as np
from scipy.io import wavfile

TESTS_DIR = Path(__file__).resolve().parent
SUBSET = TESTS_DIR / "data" / "sender48" / "dred_encoder48_subset.npz"
VECTORS48_TRACE = TESTS_DIR / "data" / "sender48" / "vectors48_encoder_trace.npz"
DEMO_WAV = TESTS_DIR.parent / "dredfast" / "data" / "demo_speech.wav"
SECONDS_MS = 2000  # 2 s of every case in the committed subset


class Case(NamedTuple):
    name: str
    fs: int
    channels: int
    bitrate: int
    mode: str          # "auto" or the forced mode
    application: str   # dredfast's names
    frame_ms: int = 20

    @property
    def packets(self) -> int:
        return SECONDS_MS // self.frame_ms


#: Encoder configurations of the committed subset (all: complexity 9, VBR, 20 % loss,
#: 1 s of DRED requested, no LBRR, no DTX, fullband forced).  The first three are
#: vectors48's fb32 / celt64 / st64 settings; the last three use 10, 40 and 60 ms
#: packets (libopus codes hybrid and CELT packets over 20 ms as 20 ms frames).
CASES: List[Case] = [
    Case("fb32", 48000, 1, 32000, "auto", "voip"),
    Case("celt64", 48000, 1, 64000, "celt", "voip"),
    Case("st64", 48000, 2, 64000, "auto", "voip"),
    Case("lowdelay64", 48000, 1, 64000, "auto", "restricted_lowdelay"),
    Case("st24k48", 24000, 2, 48000, "auto", "voip"),
    Case("st16k32", 16000, 2, 32000, "auto", "voip"),
    Case("mono12k24", 12000, 1, 24000, "auto", "voip"),
    Case("audio8k24", 8000, 1, 24000, "auto", "audio"),
    Case("st64_10ms", 48000, 2, 64000, "auto", "voip", 10),
    Case("celt64_40ms", 48000, 1, 64000, "celt", "voip", 40),
    Case("fb32_60ms", 48000, 1, 32000, "auto", "voip", 60),
]
#: vectors48 configurations: (channels, bitrate).
VECTORS48 = {"fb32": (1, 32000), "celt64": (1, 64000), "st64": (2, 64000)}


def demo_input(fs: int, channels: int) -> np.ndarray:
    """int16, (n,) mono or (n, 2) stereo; see the module docstring."""
    _, x = wavfile.read(DEMO_WAV)
    x = x.astype(np.int64)
    nxt = np.append(x[1:], 0)
    # y[3k + j] = round((x[k] (3 - j) + x[k + 1] j) / 3), half away from -inf: floor((2s + 3) / 6)
    y = np.stack([(2 * (x * (3 - j) + nxt * j) + 3) // 6 for j in range(3)], 1).reshape(-1)
    left = y
    if channels == 2:
        right = np.zeros_like(left)
        right[336:] = (14 * left[:-336] + 10) // 20  # round(0.7 x), half up
        y = np.stack([left, right], 1)
    step = 48000 // fs
    return np.ascontiguousarray(y[::step]).astype(np.int16)


def packets(x: np.ndarray, fs: int, n: int, frame_ms: int = 20) -> np.ndarray:
    """The input cut/zero-padded to n packets of frame_ms, shape (n, samples[, 2])."""
    frame = fs * frame_ms // 1000
    out = np.zeros((n * frame,) + x.shape[1:], np.int16)
    m = min(len(x), n * frame)
    out[:m] = x[:m]
    return out.reshape((n, frame) + x.shape[1:])


def payloads(z, key: str) -> List[bytes]:
    ptr, data = z[f"{key}/payload_ptr"], z[f"{key}/payload"].tobytes()
    return [data[ptr[i]:ptr[i + 1]] for i in range(len(ptr) - 1)]


def unpack_trace(byte: np.ndarray) -> Dict[str, np.ndarray]:
    """Activity flag (bit 7) and high-pass cutoff - 60 Hz (bits 0-6) per libopus frame
    (per packet; per 20 ms of a hybrid/CELT packet coded as 20 ms frames)."""
    b = byte.astype(np.int64)
    return {"activity": (b >> 7) & 1, "cutoff_hz": (b & 0x7F) + 60}
