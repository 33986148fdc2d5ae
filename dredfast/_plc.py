"""Deep packet-loss concealment of Opus 1.6.1 (internal; the receiver builds on it).

:class:`DeepPLC` is libopus's ``LPCNetPLCState`` driven one 10 ms frame (160 samples,
16 kHz) at a time.  What libopus's SILK decoder calls, and so what a receiver must call:

* every frame decoded normally **or from LBRR**: :meth:`DeepPLC.update` with the decoded
  samples (SILK's own output, before any later processing);
* every lost frame: :meth:`DeepPLC.conceal`; a 20 ms frame is two calls;
* a lost 20 ms frame recovered from DRED: first :meth:`DeepPLC.queue_dred` (libopus's
  ``fec_clear`` + ``fec_add`` with the offset rule of ``opus_decode_native``), then the
  two :meth:`conceal` calls, which take the queued features instead of predicting.

The first concealment after decoded audio re-analyses the last frames, primes FARGAN from
them and predicts two extra frames; :attr:`DeepPLC.blend` is False exactly when that will
happen, which is also when :meth:`queue_dred` adds its 2 priming frames.
"""
from __future__ import annotations

from typing import List, Optional, Union

import numpy as np

from . import _core
from ._checks import as_int
from ._isa import isa_code
from ._weights import PathLike, Weights, resolve

#: samples per call (10 ms at 16 kHz)
FRAME = 160
#: acoustic features per frame
NB_FEATURES = 20
#: capacity of the DRED feature queue (libopus's PLC_MAX_FEC)
MAX_FEC = 104


def dred_feature_rows(dred_offset: int, gap_samples: int, num_latents: int, blend: bool,
                      frame_samples: int = 320) -> List[Optional[int]]:
    """The queue libopus builds for one lost frame decoded from DRED.

    libopus 1.6.1 ``opus_decode_native``: for a lost frame of ``frame_samples`` that starts
    ``gap_samples`` (16 kHz) before the packet carrying the DRED, with the packet's
    ``dred_offset`` (2.5 ms units, :attr:`dredfast.Dred.offset`), it queues, for
    ``i = 0 .. init + frame_samples // 160 - 1`` (``init`` = 2 when ``blend`` is False),
    row ``init - i - 2 + floor((gap_samples + 40 * dred_offset) / 160)`` of the DRED
    features (row 0 = newest).  Rows past the decoded ones (``> 4 * num_latents - 1``)
    become ``None`` (a "skip": that frame is predicted); negative rows (too recent) are
    left out.  Returns the rows in queue order.
    """
    off = as_int(dred_offset, "dred_offset", -(1 << 20), 1 << 20)
    gap = as_int(gap_samples, "gap_samples", 0, 1 << 24)
    nlat = as_int(num_latents, "num_latents", 0, 26)
    fs = as_int(frame_samples, "frame_samples", 1, 1 << 20)
    init = 0 if blend else 2
    base = (gap + 40 * off) // FRAME  # floor, as libopus (its float division is exact here)
    rows: List[Optional[int]] = []
    for i in range(init + max(1, fs // FRAME)):
        r = init - i - 2 + base
        if 0 <= r <= 4 * nlat - 1:
            rows.append(r)
        elif r >= 0:
            rows.append(None)
    return rows


def _pcm16(pcm, name: str = "pcm") -> np.ndarray:
    a = np.asarray(pcm)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must be int16 samples (an integer array), got dtype {a.dtype}")
    if a.size % FRAME:
        raise ValueError(f"{name} must hold whole 10 ms frames (a multiple of {FRAME} samples), got {a.size}")
    if a.dtype != np.int16:
        if a.size and (a.min() < -32768 or a.max() > 32767):
            raise ValueError(f"{name} has values outside the int16 range")
        a = a.astype(np.int16)
    return np.ascontiguousarray(a)


def _features(x, name: str = "features") -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2 or a.shape[1] != NB_FEATURES:
        raise ValueError(f"{name} must be (20,) or (n, 20), got shape {np.shape(x)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


class DeepPLC:
    """One stream's deep PLC (libopus 1.6.1 ``LPCNetPLCState``), bit-exact with libopus's
    AVX2 build on every kernel path.

    ``weights``: :class:`dredfast.Weights`, a blob path or None (packaged Opus 1.6.1
    weights; needs the ``plc``, ``fargan`` and ``pitchdnn`` records).  ``isa``: kernel path
    (``'scalar'``, ``'avx2'``, ``'avx512'``), None for the fastest.  The networks are
    shared read-only between the streams made by :meth:`new_stream`.  Not thread-safe per
    object; the GIL is released while concealing.
    """

    def __init__(self, weights: Optional[Union[Weights, PathLike]] = None, *, isa: Optional[str] = None,
                 _model: Optional["_core.PlcModel"] = None):
        if _model is None:
            w = resolve(weights)
            _model = _core.PlcModel(w._blob, isa_code(isa))
        self._model = _model
        self._st = _core.DeepPlc(_model)

    def new_stream(self) -> "DeepPLC":
        """A fresh, independent stream sharing this one's networks and kernel path."""
        return DeepPLC(_model=self._model)

    @property
    def isa(self) -> str:
        """The kernel path in use."""
        return self._model.isa

    @property
    def blend(self) -> bool:
        """True when the last call was a concealment (libopus's ``blend``).  When False the
        next :meth:`conceal` starts a burst, and :meth:`queue_dred` adds 2 priming frames
        (libopus's ``init_frames``)."""
        return self._st.blend

    @property
    def loss_count(self) -> int:
        """Consecutive frames predicted by the network (DRED frames reset it); drives the
        attenuation of the predicted energy: c0 += 0, 0, -.2, -.2, -.4, -.4, -.8, -.8, -1.6,
        -1.6 for counts 0..9, then -1.6 - 2 (count - 9), floored at -15."""
        return self._st.loss_count

    def reset(self, full: bool = True) -> None:
        """``full=True``: back to a new stream.  ``full=False``: libopus's
        ``lpcnet_plc_reset`` (what ``OPUS_RESET_STATE`` does), which keeps FARGAN's
        recurrent state."""
        self._st.reset(bool(full))

    def update(self, pcm) -> None:
        """Remember decoded audio: int16 samples, a whole number of 10 ms frames (libopus
        calls this for every 10 ms a normal or LBRR SILK frame decodes)."""
        self._st.update(_pcm16(pcm))

    def conceal(self, frames: int = 1, *, return_features: bool = False):
        """Conceal ``frames`` lost 10 ms frames: int16 array of ``160 * frames`` samples.

        With ``return_features=True`` also returns the (frames, 20) features FARGAN
        synthesised (a DRED frame or the network's prediction, after attenuation).
        """
        n = as_int(frames, "frames", 0, 1 << 20)
        pcm, feats = self._st.conceal(n)
        return (pcm, feats) if return_features else pcm

    def peek(self, frames: int = 1) -> np.ndarray:
        """The next ``frames`` x 10 ms (1..8) :meth:`conceal` would produce (int16), leaving
        the stream unchanged; used to fade from concealment back into decoded audio."""
        return self._st.peek(as_int(frames, "frames", 1, 8))

    def fec_clear(self) -> None:
        """Empty the DRED feature queue (libopus's ``lpcnet_plc_fec_clear``)."""
        self._st.fec_clear()

    def fec_add(self, features) -> None:
        """Queue DRED feature frames, oldest first: (20,) or (n, 20); ``None`` queues a
        "skip" (libopus's ``lpcnet_plc_fec_add(NULL)``: the next frame that would take a
        queued feature is predicted instead).  ValueError when the queue (104) is full."""
        if features is None:
            self._st.fec_skip(1)
            return
        self._st.fec_add(_features(features))

    def queue_dred(self, dred_features, dred_offset: int, gap_samples: int, frame_samples: int = 320) -> int:
        """Prepare the concealment of one lost frame from DRED, as libopus's
        ``opus_decoder_dred_decode(dec, dred, gap_samples, pcm, frame_samples)`` does before
        concealing: clear the queue and add the rows :func:`dred_feature_rows` gives.

        ``dred_features``: the packet's (4 * num_latents, 20) features, row 0 newest
        (:meth:`dredfast.Dred.features`); ``dred_offset``: :attr:`dredfast.Dred.offset`;
        ``gap_samples``: how far before the DRED packet the lost frame starts (16 kHz).
        Returns the number of real feature frames queued.  Then call :meth:`conceal` for the
        frame (``frame_samples // 160`` calls).
        """
        feats = _features(dred_features, "dred_features")
        if len(feats) % 4:
            raise ValueError("dred_features must have 4 rows per latent")
        rows = dred_feature_rows(dred_offset, gap_samples, len(feats) // 4, self.blend, frame_samples)
        self.fec_clear()
        for r in rows:
            if r is None:
                self._st.fec_skip(1)
            else:
                self._st.fec_add(feats[r:r + 1])
        return sum(r is not None for r in rows)

    def _state(self) -> dict:
        """Internal positions and counters (tests)."""
        return self._st.state()

    def __repr__(self) -> str:
        return f"<dredfast DeepPLC isa={self.isa} blend={self.blend} loss_count={self.loss_count}>"
