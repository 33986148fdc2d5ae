"""Writing and reading DNNw weight blobs in plain Python (for tests).

Independent of the C loader on purpose: tests build blobs here (random layers,
corrupted blobs) and check what the C core makes of them.
"""
from __future__ import annotations

import struct
from typing import Dict, Iterable, List, Tuple

import numpy as np

TYPE_CODES = {np.dtype(np.float32): 0, np.dtype(np.int32): 1, np.dtype(np.int8): 3, np.dtype(np.uint8): 4}
DTYPES = {0: np.float32, 1: np.int32, 3: np.int8, 4: np.uint8}


def record(name: str, array: np.ndarray, *, type_code: int | None = None, size: int | None = None,
           block: int | None = None, head: bytes = b"DNNw", version: int = 0) -> bytes:
    """One DNNw record; keyword overrides write inconsistent headers for hostile tests."""
    payload = np.ascontiguousarray(array).tobytes()
    t = TYPE_CODES[np.asarray(array).dtype] if type_code is None else type_code
    n = len(payload) if size is None else size
    b = (len(payload) + 63) // 64 * 64 if block is None else block
    name_b = name.encode()
    assert len(name_b) < 44
    hdr = head + struct.pack("<iiii", version, t, n, b) + name_b + b"\0" * (44 - len(name_b))
    return hdr + payload + b"\0" * ((len(payload) + 63) // 64 * 64 - len(payload))


def blob(records: Iterable[Tuple[str, np.ndarray]]) -> bytes:
    return b"".join(record(n, a) for n, a in records)


def parse(data: bytes) -> List[Tuple[str, np.ndarray, int]]:
    """(name, array, header offset) of every record."""
    out, i = [], 0
    while i < len(data):
        _, _, t, size, block = struct.unpack_from("<4siiii", data, i)
        name = data[i + 20:i + 64].split(b"\0")[0].decode()
        out.append((name, np.frombuffer(data[i + 64:i + 64 + size], DTYPES[t]), i))
        i += 64 + block
    return out


def as_dict(data: bytes) -> Dict[str, np.ndarray]:
    return {n: a for n, a, _ in parse(data)}


# ---- layers ---------------------------------------------------------------

def dense_int8_layer(prefix: str, w: np.ndarray, bias: np.ndarray, scale: np.ndarray):
    """Records of a dense int8 layer; w is (nb_outputs, nb_inputs) int8."""
    nout, nin = w.shape
    blocks = w.reshape(nout // 8, 8, nin // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    subias = bias - 127 * scale * w.astype(np.float64).sum(axis=1)
    return [(f"{prefix}_weights_int8", blocks.astype(np.int8)), (f"{prefix}_bias", bias.astype(np.float32)),
            (f"{prefix}_scale", scale.astype(np.float32)), (f"{prefix}_subias", subias.astype(np.float32))]


def sparse_int8_layer(prefix: str, w: np.ndarray, bias: np.ndarray, scale: np.ndarray):
    """Records of an 8x4 block-sparse int8 layer: all-zero blocks are left out."""
    nout, nin = w.shape
    idx, blocks = [], []
    for g in range(nout // 8):
        present = [j for j in range(0, nin, 4) if np.any(w[g * 8:g * 8 + 8, j:j + 4])]
        idx.append(len(present))
        for j in present:
            idx.append(j)
            blocks.append(w[g * 8:g * 8 + 8, j:j + 4].reshape(-1))
    subias = bias - 127 * scale * w.astype(np.float64).sum(axis=1)
    data = np.concatenate(blocks).astype(np.int8) if blocks else np.zeros(0, np.int8)
    return [(f"{prefix}_weights_int8", data), (f"{prefix}_weights_idx", np.array(idx, np.int32)),
            (f"{prefix}_bias", bias.astype(np.float32)), (f"{prefix}_scale", scale.astype(np.float32)),
            (f"{prefix}_subias", subias.astype(np.float32))]


def dense_float_layer(prefix: str, w: np.ndarray, bias: np.ndarray):
    """Records of a dense float layer; stored input-major (element (i, j) at j*nout + i)."""
    return [(f"{prefix}_weights_float", np.ascontiguousarray(w.T).astype(np.float32).reshape(-1)),
            (f"{prefix}_bias", bias.astype(np.float32))]


def layer_matrix(recs: Dict[str, np.ndarray], prefix: str, nin: int, nout: int) -> Tuple[np.ndarray, bool]:
    """(dense float64 matrix (nout, nin), is_int8) of a layer stored in a blob; int8 unscaled."""
    if f"{prefix}_weights_int8" in recs:
        w = recs[f"{prefix}_weights_int8"].astype(np.float64)
        if f"{prefix}_weights_idx" in recs:
            m = np.zeros((nout, nin))
            idx = recs[f"{prefix}_weights_idx"]
            k = b = 0
            for g in range(nout // 8):
                n = idx[k]
                k += 1
                for _ in range(n):
                    j = idx[k]
                    k += 1
                    m[g * 8:g * 8 + 8, j:j + 4] = w[b * 32:(b + 1) * 32].reshape(8, 4)
                    b += 1
            return m, True
        return w.reshape(nout // 8, nin // 4, 8, 4).transpose(0, 2, 1, 3).reshape(nout, nin), True
    return recs[f"{prefix}_weights_float"].astype(np.float64).reshape(nin, nout).T, False
