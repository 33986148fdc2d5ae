"""Which libopus dredfast loads, and that the compiled binding and the C receiver share it.

Needs a libopus >= 1.3 (skips with the loader's reason without one, unless
DREDFAST_REQUIRE_LIBOPUS=1)."""
from __future__ import annotations

import ctypes
import os
import shutil

import numpy as np
import pytest

import dredfast
from dredfast import _libopus, _opus


def test_binding_is_compiled():
    """The API classes are the Cython ones (not a ctypes layer)."""
    assert _libopus.OpusDecoder is _opus.OpusDecoder and _libopus.OpusEncoder is _opus.OpusEncoder
    assert _opus.__file__.endswith((".so", ".pyd"))
    assert not hasattr(_libopus, "_c_int_p")  # no ctypes prototypes left


def test_lib_argument_kinds(libopus):
    """``lib=`` takes a path, a ctypes.CDLL of it, or a loaded Library; all decode alike."""
    pkt = dredfast.OpusEncoder(16000, 1).encode(np.zeros(320, np.float32))
    outs = []
    for lib in (libopus.where, ctypes.CDLL(libopus.where), libopus):
        dec = dredfast.OpusDecoder(16000, 1, lib=lib)
        assert dec.libopus_version == libopus.version
        outs.append(dec.decode(pkt))
    assert all(np.array_equal(outs[0], o) for o in outs[1:])


def test_receiver_uses_the_same_library(libopus):
    """The C receiver opens the file the Python loader picked (the same function table code)."""
    rx = dredfast.Receiver(16000, libopus=libopus.where)
    assert rx.libopus_version == libopus.version == dredfast.libopus_version(libopus.where)


def test_search_order(libopus, tmp_path, monkeypatch):
    """``lib=`` first, then DREDFAST_LIBOPUS, the system's, and a wheel's own copy
    (dredfast/_bundled/) when the system has none."""
    real = libopus.where if os.path.isabs(libopus.where) else _find_file(libopus.where)
    if real is None:
        pytest.skip(f"cannot locate the file behind {libopus.where} to copy it")
    bundled = tmp_path / "bundle"
    bundled.mkdir()
    shutil.copy(real, bundled / "libopus.so.0")
    monkeypatch.setattr(_libopus, "BUNDLED_DIR", str(bundled))
    monkeypatch.setattr(_libopus, "_cache", {})
    monkeypatch.delenv(_libopus.ENV_VAR, raising=False)
    monkeypatch.setattr(_libopus, "_pyav_libopus", lambda: [])
    system = _libopus._load()
    assert system.where != str(bundled / "libopus.so.0")  # the system's wins
    assert _libopus._load(real).where == real
    monkeypatch.setenv(_libopus.ENV_VAR, real)
    assert _libopus._load().where == real
    monkeypatch.delenv(_libopus.ENV_VAR)
    # no system libopus: the wheel's copy
    monkeypatch.setattr(_libopus.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(_libopus, "_default_names", lambda: [])
    monkeypatch.setattr(_libopus, "_cache", {})
    assert _libopus._load().where == str(bundled / "libopus.so.0")


def _find_file(name: str):
    """The path of a loaded soname, from /proc/self/maps (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if os.path.basename(path).startswith(name.split(".so")[0] + ".so") and os.path.isfile(path):
                    return path
    except OSError:
        return None
    return None


def test_closed_and_errors(libopus):
    dec = dredfast.OpusDecoder(16000, 1)
    with pytest.raises(TypeError):
        dec.decode("not bytes")
    with pytest.raises(TypeError, match="fec must be a bool"):
        dec.decode(b"\x08", fec=1)
    with pytest.raises(ValueError, match="frame_size"):
        dec.decode(None, 321)
    dec.close()
    dec.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        dec.decode(None)
    enc = dredfast.OpusEncoder(16000, 1)
    enc.close()
    with pytest.raises(ValueError, match="closed"):
        enc.encode(np.zeros(320, np.float32))
