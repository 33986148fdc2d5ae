"""Weight blobs: Opus's exported ``DNNw`` format, parsed once by the C core."""
from __future__ import annotations

import functools
import os
from importlib import resources
from typing import List, Optional, Tuple, Union

from . import _core

#: File name of the packaged default blob: libopus 1.6.1's exported weights
#: (PitchDNN, FARGAN, PLC, RDO-VAE encoder and decoder) followed by the DRED
#: quantiser tables.
DEFAULT_BLOB = "opus-1.6.1.bin"

#: File name of the packaged libopus 1.5.2 DRED decoder and quantiser tables: the
#: model of DRED extension version 10, which libopus 1.5.x senders write.
V10_BLOB = "opus-1.5.2-dred.bin"

PathLike = Union[str, "os.PathLike[str]"]


class Weights:
    """A parsed, validated weight blob, shared read-only by every model built on it.

    Create with :func:`load_weights`.  ``name in weights`` tells whether a record exists.
    """

    def __init__(self, blob: "_core.Blob", path: Optional[str]):
        self._blob = blob
        self.path = path

    @property
    def nbytes(self) -> int:
        """Size of the blob in bytes."""
        return self._blob.nbytes

    def records(self) -> List[Tuple[str, str, int]]:
        """``(name, element type, element count)`` of every record, in blob order."""
        return self._blob.records()

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._blob.has(name)

    def __repr__(self) -> str:
        return f"<dredfast.Weights {self.path or '<bytes>'}: {len(self.records())} records, {self.nbytes} bytes>"


@functools.lru_cache(maxsize=1)
def _default() -> Weights:
    ref = resources.files("dredfast.weights").joinpath(DEFAULT_BLOB)
    data = ref.read_bytes()
    return Weights(_core.Blob(data), str(ref))


@functools.lru_cache(maxsize=1)
def _default_v10() -> Weights:
    ref = resources.files("dredfast.weights").joinpath(V10_BLOB)
    return Weights(_core.Blob(ref.read_bytes()), str(ref))


def resolve_v10(weights_v10: Optional[Union[Weights, PathLike, bool]]) -> Optional[Weights]:
    """The version-10 (libopus 1.5) DRED blob to use: None or True for the packaged one,
    False for none (version-10 DRED is then ignored), else a :class:`Weights` or a path."""
    if weights_v10 is None or weights_v10 is True:
        return _default_v10()
    if weights_v10 is False:
        return None
    return resolve(weights_v10)


def load_weights(path: Optional[Union[PathLike, bytes]] = None) -> Weights:
    """Load a ``DNNw`` weight blob.

    ``path=None`` returns the packaged Opus 1.6.1 weights (read once per process and
    shared).  A path (or the blob's bytes) loads any blob, e.g. one written by libopus's
    ``write_lpcnet_weights``.  Raises ``ValueError`` naming the offending record when
    the blob is truncated, corrupt or inconsistent, ``OSError`` when it cannot be read.
    """
    if path is None:
        return _default()
    if isinstance(path, (bytes, bytearray, memoryview)):
        return Weights(_core.Blob(bytes(path)), None)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, os.PathLike, bytes or None, not {type(path).__name__}")
    with open(path, "rb") as f:
        data = f.read()
    try:
        return Weights(_core.Blob(data), os.fspath(path))
    except ValueError as e:
        raise ValueError(f"{os.fspath(path)}: {e}") from None


def resolve(weights: Optional[Union[Weights, PathLike]]) -> Weights:
    """Accepts a :class:`Weights`, a path or None (packaged default)."""
    if weights is None or isinstance(weights, Weights):
        return weights or _default()
    return load_weights(weights)
