"""Packet-loss traces: one line per 20 ms packet, ``1`` = received, ``0`` = lost.

This is the format of the evaluation traces (published, Gilbert-Elliott and Opus
loss-generator traces): plain text, no header or comments.  In memory dredfast uses the
opposite, more convenient sense: a bool array that is True where the packet is *lost*.
"""
from __future__ import annotations

import os
from typing import Dict, Union

import numpy as np

from ._checks import as_int

PathLike = Union[str, "os.PathLike[str]"]

#: Refuse anything larger: 10 M packets are 55 hours of 20 ms packets.
MAX_TRACE_BYTES = 20 << 20


def load_trace(path: PathLike) -> np.ndarray:
    """The trace in ``path`` as a bool array, **True = lost** (the file says 0 = lost).

    Every line must be ``0`` or ``1`` (surrounding whitespace and Windows line ends are
    tolerated; blank lines only at the end).  Raises ValueError naming the first bad line,
    or for an empty trace.
    """
    p = os.fspath(path)
    size = os.path.getsize(p)
    if size > MAX_TRACE_BYTES:
        raise ValueError(f"{p}: {size} bytes is too large for a loss trace")
    with open(p, "rb") as f:
        data = f.read()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"{p}: not a text loss trace (non-ASCII bytes)") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ValueError(f"{p}: empty loss trace")
    received = np.empty(len(lines), dtype=bool)
    for i, line in enumerate(lines):
        v = line.strip()
        if v == "1":
            received[i] = True
        elif v == "0":
            received[i] = False
        else:
            raise ValueError(f"{p}, line {i + 1}: expected 0 (lost) or 1 (received), got {line[:40]!r}")
    return ~received


def trace_for(lost: np.ndarray, n_packets: int, offset: int = 0) -> np.ndarray:
    """``n_packets`` entries of a trace from ``offset``, wrapping around at its end
    (packet i uses ``lost[(offset + i) % len(lost)]``)."""
    a = np.asarray(lost)
    if a.ndim != 1 or a.dtype != np.bool_ or a.size == 0:
        raise ValueError("lost must be a non-empty 1-D bool array (from load_trace)")
    n = as_int(n_packets, "n_packets", 0, 1 << 31)
    off = as_int(offset, "offset", 0, 1 << 31)
    return a[(off + np.arange(n)) % a.size]


def loss_stats(lost: np.ndarray) -> Dict[str, float]:
    """``loss`` (fraction lost), ``bursts`` (runs of consecutive losses), ``mean_burst``
    and ``max_burst`` (in packets; 0 without losses) of a bool trace, True = lost."""
    a = np.asarray(lost)
    if a.ndim != 1 or a.dtype != np.bool_ or a.size == 0:
        raise ValueError("lost must be a non-empty 1-D bool array (from load_trace)")
    x = np.concatenate(([False], a, [False])).astype(np.int8)
    starts = np.flatnonzero(np.diff(x) == 1)
    ends = np.flatnonzero(np.diff(x) == -1)
    runs = ends - starts
    return {
        "packets": int(a.size),
        "loss": float(a.mean()),
        "bursts": int(runs.size),
        "mean_burst": float(runs.mean()) if runs.size else 0.0,
        "max_burst": int(runs.max()) if runs.size else 0,
    }
