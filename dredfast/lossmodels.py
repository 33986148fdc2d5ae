"""Packet-loss patterns made on the spot, for ``dredfast simulate`` without a trace.

* :func:`gilbert_elliott`: the simple Gilbert model of the shared traces -- a good state
  that loses nothing, a bad state that loses everything; for loss L and mean burst B
  packets, P(good->bad) = L / (B (1 - L)) and P(bad->good) = 1 / B.
* :func:`lossgen`: libopus 1.6.1's neural loss generator (``dnn/lossgen.c``: dense 2->8
  tanh, GRU 16, GRU 32, dense 32->1 sigmoid, fed the last loss and the target rate; the
  first 1000 draws are discarded as libopus does), run in NumPy from its weights
  (``weights/opus-1.6.1-lossgen.bin``, 10.8 kB).  Its draws come from NumPy's generator,
  not C's ``rand()``, so the patterns are libopus's in distribution, not sample for sample.

Both return a bool array, True = lost (the in-memory convention of :mod:`dredfast.traces`).
"""
from __future__ import annotations

import os
import struct
from typing import Dict, Optional

import numpy as np


def gilbert_elliott(n: int, loss: float, burst: float, seed: Optional[int] = 0) -> np.ndarray:
    """``n`` packets of Gilbert-model loss: ``loss`` in [0, 1), mean ``burst`` >= 1 packets."""
    if not 0 <= loss < 1:
        raise ValueError(f"loss must be in [0, 1), got {loss}")
    if burst < 1:
        raise ValueError(f"burst must be at least 1 packet, got {burst}")
    p, r = loss / (burst * (1 - loss)), 1.0 / burst
    if p > 1:
        raise ValueError(f"{100 * loss:g} % loss cannot have bursts as short as {burst:g} packets on average")
    u = np.random.default_rng(seed).random(n)
    out = np.empty(n, bool)
    bad = u[0] < loss if n else False   # start in the stationary distribution
    for i in range(n):
        if i:
            bad = (u[i] >= r) if bad else (u[i] < p)
        out[i] = bad
    return out


def _read_blob(path: str) -> Dict[str, np.ndarray]:
    """The records of a DNNw weight blob (see the shared weights' MANIFEST) by name."""
    data = open(path, "rb").read()
    out, pos = {}, 0
    types = {0: np.float32, 1: np.int32, 3: np.int8, 4: np.uint8}
    while pos + 64 <= len(data):
        head, _ver, typ, size, block = struct.unpack_from("<4siiii", data, pos)
        if head != b"DNNw" or typ not in types or pos + 64 + block > len(data):
            raise ValueError(f"{path}: not a DNNw weight blob (record at byte {pos})")
        name = data[pos + 20:pos + 64].split(b"\0", 1)[0].decode("ascii")
        out[name] = np.frombuffer(data, types[typ], size // np.dtype(types[typ]).itemsize, pos + 64)
        pos += 64 + block
    return out


def _int8_matrix(w: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float matrix from Opus's dense int8 layout: 8 outputs x 4 inputs
    blocks, output groups outer, input groups inner, byte r*4+c = (output r, input c)."""
    blocks = w.reshape(n_out // 8, n_in // 4, 8, 4).astype(np.float32)
    return blocks.transpose(0, 2, 1, 3).reshape(n_out, n_in)


DEFAULT_LOSSGEN = "opus-1.6.1-lossgen.bin"


class LossGen:
    """libopus 1.6.1's loss-generator network (one stream state per object)."""

    def __init__(self, path: Optional[str] = None, seed: Optional[int] = 0):
        if path is None:
            from importlib import resources
            with resources.as_file(resources.files("dredfast.weights").joinpath(DEFAULT_LOSSGEN)) as p:
                rec = _read_blob(os.fspath(p))
        else:
            rec = _read_blob(os.fspath(path))
        try:
            self._din = rec["lossgen_dense_in_weights_float"].reshape(2, 8).T, rec["lossgen_dense_in_bias"]
            self._dout = rec["lossgen_dense_out_weights_float"].reshape(32, 1).T, rec["lossgen_dense_out_bias"]
            self._g1 = self._gru(rec, "lossgen_gru1", 8, 16)
            self._g2 = self._gru(rec, "lossgen_gru2", 16, 32)
        except (KeyError, ValueError) as e:
            raise ValueError(f"not the loss-generator weights: {e}") from None
        self._rng = np.random.default_rng(seed)
        self._s1, self._s2 = np.zeros(16, np.float32), np.zeros(32, np.float32)
        self._last = 0.0
        self._warm = False

    @staticmethod
    def _gru(rec, name, n_in, n):
        layers = []
        for part, k in (("input", n_in), ("recurrent", n)):
            w = _int8_matrix(rec[f"{name}_{part}_weights_int8"], k, 3 * n)
            layers.append((w, rec[f"{name}_{part}_scale"], rec[f"{name}_{part}_bias"]))
        return layers

    @staticmethod
    def _linear(layer, x):
        w, scale, bias = layer
        return scale * (w @ np.floor(0.5 + 127 * x)) + bias   # int8 weights x 8-bit input

    def _step_gru(self, layers, state, x):
        n = len(state)
        zrh = self._linear(layers[0], x)
        rec = self._linear(layers[1], state)
        zr = 1 / (1 + np.exp(-(zrh[:2 * n] + rec[:2 * n])))
        z, r = zr[:n], zr[n:]
        h = np.tanh(zrh[2 * n:] + r * rec[2 * n:])
        return (z * state + (1 - z) * h).astype(np.float32)

    def _sample(self, rate: float) -> bool:
        w, b = self._din
        t = np.tanh(w @ np.array([self._last, rate], np.float32) + b)
        self._s1 = self._step_gru(self._g1, self._s1, t)
        self._s2 = self._step_gru(self._g2, self._s2, self._s1)
        w, b = self._dout
        p = 1 / (1 + np.exp(-(w @ self._s2 + b)[0]))
        lost = bool(self._rng.random() < p)
        self._last = float(lost)
        return lost

    def sample(self, rate: float) -> bool:
        """One packet: lost?  ``rate`` is the target loss in [0, 1]."""
        if not self._warm:   # the GRUs start at zero: libopus discards the first 1000 draws
            for _ in range(1000):
                self._sample(rate)
            self._warm = True
        return self._sample(rate)


def lossgen(n: int, loss: float, seed: Optional[int] = 0, weights: Optional[str] = None) -> np.ndarray:
    """``n`` packets from libopus's loss generator at target ``loss`` in [0, 1]."""
    if not 0 <= loss <= 1:
        raise ValueError(f"loss must be in [0, 1], got {loss}")
    g = LossGen(weights, seed)
    return np.array([g.sample(loss) for _ in range(n)], bool)
