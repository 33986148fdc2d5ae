"""Plain NumPy reference of the nnet layers, written from the maths (not from
the C code): what every kernel path is compared with.

``exact=True`` follows the arithmetic the C kernels promise bit for bit
(float32 products/accumulation order for float layers, u8 input quantisation,
exact integer dot products, float32 scale and bias), except activations,
which are returned by the rational approximation with exact division.
"""
from __future__ import annotations

import numpy as np

from blobutil import layer_matrix

TANH = (952.52801514, 96.39235687, 0.60863042, 952.72399902, 413.36801147, 11.88600922)
SIGM = (238.13200378, 6.02452230, 0.00950985, 952.72399902, 103.34200287, 0.74287558)


def quantize_u8(x: np.ndarray) -> np.ndarray:
    """127 + round-half-even(127 x), saturated to [0, 255].

    fma(x, 127, 127) rounds once to float32: the float64 product-sum is exact for a
    float32 x, and casting it to float32 is that single rounding."""
    v = np.rint((x.astype(np.float64) * 127.0 + 127.0).astype(np.float32).astype(np.float64))
    return np.clip(v, 0, 255).astype(np.int64)


def tanh_approx(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    n0, n1, n2, d0, d1, d2 = TANH
    x2 = x * x
    return np.clip(x * (n0 + x2 * (n1 + x2 * n2)) / (d0 + x2 * (d1 + x2 * d2)), -1, 1)


def sigmoid_approx(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    n0, n1, n2, d0, d1, d2 = SIGM
    x2 = x * x
    return np.clip(0.5 + x * (n0 + x2 * (n1 + x2 * n2)) / (d0 + x2 * (d1 + x2 * d2)), 0, 1)


ACT = {0: lambda x: x, 1: sigmoid_approx, 2: tanh_approx, 3: lambda x: np.maximum(x, 0)}


class Layer:
    def __init__(self, recs, prefix: str, nin: int, nout: int):
        self.m, self.int8 = layer_matrix(recs, prefix, nin, nout)
        self.bias = recs[f"{prefix}_bias"].astype(np.float64)
        self.scale = recs[f"{prefix}_scale"].astype(np.float64) if self.int8 else None
        self.subias = recs[f"{prefix}_subias"] if self.int8 else None
        self.nin, self.nout = nin, nout

    def linear(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if self.int8:
            acc = self.m.astype(np.int64) @ quantize_u8(x)
            y = (acc.astype(np.float32) * self.scale.astype(np.float32)).astype(np.float32)
            return (y + self.subias).astype(np.float32)
        y = self.m @ x.astype(np.float64)
        return (y + self.bias).astype(np.float32)

    def dense(self, x, act):
        return ACT[act](self.linear(x)).astype(np.float32)


def gru_step(inp: Layer, rec: Layer, state: np.ndarray, x: np.ndarray) -> np.ndarray:
    n = rec.nin
    a, b = inp.linear(x).astype(np.float64), rec.linear(state).astype(np.float64)
    z = sigmoid_approx(a[:n] + b[:n])
    r = sigmoid_approx(a[n:2 * n] + b[n:2 * n])
    h = tanh_approx(a[2 * n:] + r * b[2 * n:])
    return (z * state + (1 - z) * h).astype(np.float32)


def glu(layer: Layer, x: np.ndarray) -> np.ndarray:
    return (x * sigmoid_approx(layer.linear(x))).astype(np.float32)


def conv1d(layer: Layer, mem: np.ndarray, x: np.ndarray, act: int):
    full = np.concatenate([mem, x]).astype(np.float32)
    return layer.dense(full, act), full[len(x):]
