"""Writing DRED payloads: header and quantised integers to Opus 1.6 DRED bytes."""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from . import _core
from ._checks import as_int
from ._weights import PathLike, Weights, _default, resolve
from .packets import DRED_PREFIX

#: libopus's DRED_MAX_DATA_SIZE: the most bytes it ever spends on one payload.
DEFAULT_MAX_BYTES = 1000


def _int_array(value, name: str) -> np.ndarray:
    a = np.asarray(value)
    if a.size == 0:
        return a.astype(np.int32).reshape(a.shape)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    # Compare in the array's own kind: casting uint64 2**64-1 to int64 gives -1.
    if a.dtype.kind == "u":
        if int(a.max()) > 2 ** 31 - 1:
            raise ValueError(f"{name} has values outside int32")
    elif int(a.min()) < -(2 ** 31 - 1) or int(a.max()) > 2 ** 31 - 1:
        raise ValueError(f"{name} has values outside int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def encode_dred_payload(*, q0: int, dq: int, qmax: int, dred_offset: int, state_q, latents_q,
                        weights: Optional[Union[Weights, PathLike]] = None,
                        max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Range-code a DRED payload; returns the extension data (``b"D\\x0c"`` + coded bytes).

    The inverse of :meth:`DredDecoder.parse`: ``q0`` (0..15), ``dq`` (0..7), ``qmax``
    (15 unless ``q0 < 14 and dq > 0``, then ``q0 < qmax <= 15``), ``dred_offset``
    (libopus's ``dred_offset`` for a DRED attached to frame 0, 2.5 ms units,
    ``16 - 8191 .. 16``), ``state_q`` (50 integers) and ``latents_q`` (n x 25, n <= 26,
    newest first).  The bytes are exactly what libopus 1.6.1 writes for the same values
    (its length rule: every byte the range coder has started, ``ceil(ec_tell / 8)``).
    Raises ``ValueError`` for out-of-range fields, values that cannot be coded, or a
    payload longer than ``max_bytes``.
    """
    w = resolve(weights)
    tables = _tables(w if "dred_latent_quant_scales_q8" in w else _default())
    q0 = as_int(q0, "q0", 0, 15)
    dq = as_int(dq, "dq", 0, 7)
    qmax = as_int(qmax, "qmax", 0, 15)
    offset = 16 - as_int(dred_offset, "dred_offset", 16 - (32 * 255 + 31), 16)
    max_bytes = as_int(max_bytes, "max_bytes", 1, 65536)
    state = _int_array(state_q, "state_q")
    lat = _int_array(latents_q, "latents_q")
    if lat.size == 0:
        lat = np.zeros((0, 25), np.int32)
    if state.shape != (50,):
        raise ValueError(f"state_q must have shape (50,), got {state.shape}")
    if lat.ndim != 2 or lat.shape[1] != 25 or lat.shape[0] > 26:
        raise ValueError(f"latents_q must have shape (n, 25) with n <= 26, got {lat.shape}")
    return DRED_PREFIX + tables.encode(q0, dq, qmax, offset, state, lat, max_bytes)


def _tables(w: Weights) -> "_core.DredTables":
    """The quantiser tables of a blob, bound once and kept with it."""
    t = getattr(w, "_dred_tables", None)
    if t is None:
        t = w._dred_tables = _core.DredTables(w._blob)
    return t
