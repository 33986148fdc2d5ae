"""Speech-quality metrics used for dredfast's quality anchors: PESQ-WB, STOI, PLCMOS v2.

Optional: they need the ``metrics`` extra (``pip install dredfast[metrics]``: ``pesq``,
``pystoi``, ``speechmos``, ``onnxruntime``); each function imports its package on first
use and raises an ImportError naming the extra when it is missing.  Nothing here uses the
network: the PLCMOS model ships inside the ``speechmos`` wheel.

Conventions are those of ``quality_anchor_dev.csv`` (reference vectors): signals at
16 kHz, reference = the clean clip, degraded = the decoder output advanced by the codec
delay (104 samples for Opus at 16 kHz: :func:`align`, :func:`quality`), both the same
length; PLCMOS v2 averages 15 rater embeddings drawn from NumPy's legacy generator seeded
with 0 (as ``np.random.seed(0)`` before ``speechmos``'s own scoring).  The alignment
helpers need only NumPy.  Inputs are 1-D float arrays in [-1, 1] or int16.
"""
from __future__ import annotations

import threading
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ._checks import as_int

EXTRA_HINT = "install the optional metrics dependencies: pip install 'dredfast[metrics]'"
SAMPLE_RATE = 16000
#: PLCMOS's rater-embedding convention of the anchors
PLCMOS_ROUNDS = 15
PLCMOS_SEED = 0
#: Opus's encoder look-ahead at 16 kHz in VOIP mode (2.5 ms + 4 ms of SILK delay
#: compensation, ``OPUS_GET_LOOKAHEAD``): decoded sample ``i + 104`` lines up with input ``i``.
DECODER_DELAY = 104
#: samples per 20 ms packet at 16 kHz
FRAME = 320


def _import(name: str, pip_name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ImportError(f"dredfast.metrics needs the `{pip_name}` package ({e}); {EXTRA_HINT}") from e


def _signal(x, name: str) -> np.ndarray:
    """1-D float64 signal in [-1, 1] (int16 is scaled by 1/32768)."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (mono), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if a.dtype == np.int16:
        return a.astype(np.float64) / 32768.0
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be float or int16 samples, not {a.dtype}")
    if a.dtype.kind in "iu":
        raise TypeError(f"{name}: integer samples must be int16 (got {a.dtype}); scale other types yourself")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity")
    if np.max(np.abs(a)) > 1.0:
        raise ValueError(f"{name} must be within [-1, 1] (float samples)")
    return a


def _pair(ref, deg) -> Tuple[np.ndarray, np.ndarray]:
    r, d = _signal(ref, "ref"), _signal(deg, "deg")
    if r.shape != d.shape:
        raise ValueError(f"ref and deg must have the same length (got {r.size} and {d.size}); "
                         "align them first (Opus at 16 kHz: deg = decoded[104:104 + len(ref)])")
    return r, d


def _rate(fs: object, allowed: Optional[Tuple[int, ...]] = None) -> int:
    if isinstance(fs, bool) or not isinstance(fs, (int, np.integer)):
        raise TypeError(f"fs must be an int, not {type(fs).__name__}")
    fs = int(fs)
    if allowed is not None and fs not in allowed:
        raise ValueError(f"fs must be one of {allowed}, got {fs}")
    if fs <= 0:
        raise ValueError(f"fs must be positive, got {fs}")
    return fs


# --------------------------------------------------------------------------------------
# Alignment: the conventions of the reference vectors
# --------------------------------------------------------------------------------------
def n_packets(n_samples: int, frame: int = FRAME) -> int:
    """Packets the vectors encode for a clip of ``n_samples``: one more than the clip needs,
    so the decoded output, ``DECODER_DELAY`` samples late, still covers the whole clip."""
    n = as_int(n_samples, "n_samples", 1, 1 << 40)
    f = as_int(frame, "frame", 1, 1 << 20)
    return -(-n // f) + 1


def pad_for_encoding(x, frame: int = FRAME) -> np.ndarray:
    """``x`` (1-D) zero-padded to ``n_packets(len(x)) * frame`` samples, ready to cut into frames."""
    a = np.asarray(x)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"x must be a non-empty 1-D signal, got shape {a.shape}")
    out = np.zeros(n_packets(a.size, frame) * frame, dtype=a.dtype)
    out[:a.size] = a
    return out


def align(decoded, n: int, delay: int = DECODER_DELAY, *, pad: bool = False) -> np.ndarray:
    """The part of ``decoded`` that lines up with an ``n``-sample reference: ``decoded[delay:delay + n]``.

    Decoder output shorter than ``delay + n`` is an error, unless ``pad=True``, which fills
    the missing tail with zeros (silence counts against the score, as a real gap would).
    The dtype is kept, so int16 output stays int16 (the metrics accept both).
    """
    a = np.asarray(decoded)
    if a.ndim != 1:
        raise ValueError(f"decoded must be 1-D (mono), got shape {a.shape}")
    n = as_int(n, "n", 1, 1 << 40)
    delay = as_int(delay, "delay", 0, 1 << 40)
    y = a[delay:delay + n]
    if y.size < n:
        if not pad:
            raise ValueError(f"decoded has {a.size} samples, aligning {n} at delay {delay} needs "
                             f"{delay + n} (encode n_packets(n) packets, or pass pad=True)")
        y = np.concatenate([y, np.zeros(n - y.size, dtype=a.dtype)])
    return y


def quality(ref, decoded, *, delay: int = DECODER_DELAY, which: Sequence[str] = ("pesq_wb", "stoi", "plcmos"),
            pad: bool = False) -> Dict[str, float]:
    """The anchors' figures for one clip: ``decoded`` (raw decoder output, 16 kHz) is aligned
    to ``ref`` with :func:`align`, then scored (full precision; the csv rounds to 4 decimals)."""
    r = np.asarray(ref)
    if r.ndim != 1:
        raise ValueError(f"ref must be 1-D (mono), got shape {r.shape}")
    unknown = [m for m in which if m not in ("pesq_wb", "stoi", "plcmos")]
    if unknown or isinstance(which, str):
        raise ValueError(f"which must name pesq_wb, stoi and/or plcmos, got {which!r}")
    deg = align(decoded, r.size, delay, pad=pad)
    out: Dict[str, float] = {}
    for m in which:
        out[m] = plcmos(deg) if m == "plcmos" else (pesq_wb(r, deg) if m == "pesq_wb" else stoi(r, deg))
    return out


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------
def pesq_wb(ref, deg, fs: int = SAMPLE_RATE) -> float:
    """Wide-band PESQ (ITU-T P.862.2, MOS-LQO, about 1.0-4.64) of ``deg`` against ``ref``."""
    fs = _rate(fs, (16000,))
    pesq = _import("pesq", "pesq")
    r, d = _pair(ref, deg)
    if not (np.any(r) and np.any(d)):  # pesq would divide by a zero peak and report no utterances
        raise ValueError("PESQ cannot score an all-zero signal")
    try:
        return float(pesq.pesq(fs, r, d, "wb"))
    except (pesq.NoUtterancesError, pesq.BufferTooShortError) as e:  # silent or too short input
        raise ValueError(f"PESQ cannot score these signals: {e}") from e


def stoi(ref, deg, fs: int = SAMPLE_RATE, extended: bool = False) -> float:
    """Short-time objective intelligibility (``pystoi``; 0-1, ``extended`` for ESTOI)."""
    fs = _rate(fs)
    pystoi = _import("pystoi", "pystoi")
    r, d = _pair(ref, deg)
    return float(pystoi.stoi(r, d, fs, extended=bool(extended)))


_plcmos_model = None
_plcmos_lock = threading.Lock()


def _plcmos_instance():
    """One speechmos PLCMOS v2 model per process (loading the ONNX session costs ~0.1 s)."""
    global _plcmos_model
    with _plcmos_lock:
        if _plcmos_model is None:
            _import("onnxruntime", "onnxruntime")
            module = _import("speechmos.plcmos", "speechmos")
            _plcmos_model = module.PLCMOS()
        return _plcmos_model


def plcmos(deg, fs: int = SAMPLE_RATE, *, rounds: int = PLCMOS_ROUNDS, seed: Optional[int] = PLCMOS_SEED) -> float:
    """PLCMOS v2 (non-intrusive, 1-5) of ``deg`` with ``speechmos``'s model, offline.

    The score averages ``rounds`` runs with random rater embeddings (64 normal values each).
    They are drawn from ``np.random.RandomState(seed)``, the same numbers ``speechmos``
    uses after ``np.random.seed(seed)``, without touching NumPy's global generator;
    ``seed=None`` draws them from the global generator as ``speechmos`` itself does.
    """
    fs = _rate(fs, (16000,))
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1:
        raise ValueError(f"rounds must be a positive int, got {rounds!r}")
    x = _signal(deg, "deg")
    model = _plcmos_instance()
    feats = np.float32(model.stft_transform(x))[np.newaxis, np.newaxis, ...]
    draw = np.random.normal if seed is None else np.random.RandomState(seed).normal
    total = 0.0
    for _ in range(int(rounds)):
        embed = np.asarray(draw(size=(1, 64)), dtype=np.float32)
        out = model.session.run(None, {"degraded_audio": feats, "rater_embed": embed})[0]
        total += float(np.asarray(out).reshape(-1)[0])
    return total / int(rounds)


#: lsd_hf's frames: 20 ms Hann windows every 10 ms at 48 kHz, band 8-20 kHz, and the
#: reference's high-band level below which a frame is left out (vectors48/README.md)
LSD_FRAME = 960
LSD_HOP = 480
LSD_BAND = (8000.0, 20000.0)
LSD_GATE_DBFS = -70.0


def lsd_hf(deg, ref, fs: int = 48000) -> float:
    """Log-spectral distance (dB) of ``deg`` against ``ref`` over 8-20 kHz, at 48 kHz.

    The anchors' ``lsd_hf`` (``vectors48/README.md``): per 960-sample Hann frame (hop 480)
    whose reference band power is above -70 dBFS, the rms over the 8-20 kHz bins of the
    difference of the two power spectra in dB (each floored at 1e-10), then the mean over
    the frames.  ``ref`` is the no-loss decode; both signals are compared over the shorter
    length.  NaN when no frame passes the gate.  Needs only NumPy.
    """
    _rate(fs, (48000,))
    x, r = _signal(deg, "deg"), _signal(ref, "ref")
    n = min(len(x), len(r))
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(LSD_FRAME) / LSD_FRAME)
    f = np.fft.rfftfreq(LSD_FRAME, 1 / fs)
    band = (f >= LSD_BAND[0]) & (f <= LSD_BAND[1])
    norm = LSD_FRAME * np.sum(w ** 2)
    vals = []
    for s in range(0, n - LSD_FRAME + 1, LSD_HOP):
        X = np.abs(np.fft.rfft(w * x[s:s + LSD_FRAME])[band]) ** 2
        R = np.abs(np.fft.rfft(w * r[s:s + LSD_FRAME])[band]) ** 2
        if 10 * np.log10(2 * np.sum(R) / norm + 1e-30) <= LSD_GATE_DBFS:
            continue
        d = 10 * np.log10(X + 1e-10) - 10 * np.log10(R + 1e-10)
        vals.append(np.sqrt(np.mean(d ** 2)))
    return float(np.mean(vals)) if vals else float("nan")
