"""libopus (1.3 or newer) for primary Opus encoding and decoding: which library, and the API.

dredfast has no build-time dependency on libopus: DRED travels in the packet padding,
which every libopus ignores, so any libopus >= 1.3 encodes and decodes the primary audio
of DRED packets exactly.  The calls go through the compiled binding
:mod:`dredfast._opus` (Cython over ``csrc/libopus/opus_lib.c``, the same function
table the C receiver fills); this module chooses the library file and re-exports the
API.  The library is looked up, in this order, as

1. the ``lib`` argument (a path, an already loaded :class:`ctypes.CDLL`, or a
   :class:`~dredfast._opus.Library`);
2. the ``DREDFAST_LIBOPUS`` environment variable (a path);
3. the system's: :func:`ctypes.util.find_library` ``("opus")``, then the usual sonames
   (``libopus.so.0``, ``libopus.0.dylib``, ``opus.dll``, ...);
4. the copy a binary wheel carries (``dredfast/_bundled/``, libopus 1.6.1; source installs
   have none);
5. the libopus PyAV's wheels carry (``pip install av``; exports the whole ``opus_*`` API),
   found next to the ``av`` package without importing it.

Why the system's before the wheel's own: the test suite and the README's quality figures
are verified in CI over the system libopus (1.3.1), and the receiver's results depend a
little on the stock decoder's own concealment, which changed by 1.6 (measured: the shadow
history's PESQ-WB gain over the stock PLC history is +0.015 over libopus 1.6.1, below the
+0.025 tests/test_receiver.py asks and reaches over 1.3.1); a system libopus also gets the distribution's
security updates.  The wheel's copy makes a machine without one work.

Every object owns its libopus state (created in ``__init__``, freed by ``close()``
or when garbage-collected) and a lock, so one object may be shared between threads;
the GIL is released while libopus runs.  Negative libopus return codes become
:class:`OpusError` (a ``RuntimeError``) carrying ``opus_strerror``'s text; bad
arguments are rejected before libopus sees them.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import importlib.util
import os
import re
import sys
import threading
from typing import Dict, List, Optional, Tuple, Union

from ._checks import as_packet
from ._opus import (APPLICATIONS, BANDWIDTHS, MAX_FRAMES, MAX_PACKET, MODES, OPUS_AUTO, OPUS_BAD_ARG,  # noqa: F401
                    OPUS_BITRATE_MAX, OPUS_BUFFER_TOO_SMALL, OPUS_INVALID_PACKET, OPUS_OK, SAMPLE_RATES,
                    SIGNALS, Library, OpusDecoder, OpusEncoder, OpusError)

LibLike = Union[None, str, "os.PathLike[str]", ctypes.CDLL, Library]

#: Oldest libopus accepted: 1.3 is the oldest still shipped by current distributions
#: (Debian 11/12 libopus0 1.3.1) and has every call used here.  (The C loader,
#: csrc/libopus/opus_lib.c, refuses older ones too.)
MIN_VERSION: Tuple[int, int] = (1, 3)
ENV_VAR = "DREDFAST_LIBOPUS"
INSTALL_HINT = ("install it (Debian/Ubuntu: `apt install libopus0`, Fedora: `dnf install opus`, "
                "macOS: `brew install opus`, or `pip install av`, whose wheels carry one) or pass "
                f"the library's path as `libopus=` (or set {ENV_VAR})")

#: Where a binary wheel carries its libopus (tools/build_libopus.py puts it there).
BUNDLED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bundled")


class LibopusNotFound(ImportError):
    """No usable libopus (missing, or older than 1.3)."""


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def _parse_version(s: str) -> Optional[Tuple[int, int]]:
    """``"libopus 1.3.1"`` -> (1, 3); None if there is no ``X.Y`` (e.g. a bare git hash)."""
    m = re.search(r"(\d+)\.(\d+)", s)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _bundled() -> List[str]:
    """The libopus a binary wheel carries (none in a source install)."""
    names = ("libopus.0.dylib",) if sys.platform == "darwin" else ("opus.dll",) if sys.platform == "win32" \
        else ("libopus.so.0",)
    return [p for p in (os.path.join(BUNDLED_DIR, n) for n in names) if os.path.isfile(p)]


def _pyav_libopus() -> List[str]:
    """PyAV's libopus (auditwheel names it ``av.libs/libopus-<hash>.so.0.*``), if PyAV is installed."""
    try:
        spec = importlib.util.find_spec("av")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    site = os.path.dirname(list(spec.submodule_search_locations)[0])
    pats = ("av.libs/libopus*.so*", "av/.dylibs/libopus*.dylib", "av.libs/*opus*.dll")
    return sorted(p for pat in pats for p in glob.glob(os.path.join(site, pat)))


def _default_names():
    if sys.platform == "darwin":
        return ["libopus.0.dylib", "libopus.dylib", "/opt/homebrew/lib/libopus.0.dylib",
                "/usr/local/lib/libopus.0.dylib"]
    if sys.platform == "win32":
        return ["opus.dll", "libopus-0.dll", "libopus.dll"]
    return ["libopus.so.0", "libopus.so"]


_cache: Dict[str, Library] = {}
_SYSTEM = "<system libopus>"   # cache key of the automatic search's answer
_cache_lock = threading.Lock()


def _load(lib: LibLike = None) -> Library:
    """The libopus to use (cached per path); raises LibopusNotFound with an install hint."""
    if isinstance(lib, Library):
        return lib
    if isinstance(lib, ctypes.CDLL):
        # The same file again: dlopen hands back the mapping ctypes already holds.
        lib = getattr(lib, "_name", None) or "the given library"
    if lib is not None:
        candidates = [os.fspath(lib)]
        explicit = True
    elif os.environ.get(ENV_VAR):
        candidates = [os.environ[ENV_VAR]]
        explicit = True
    else:
        with _cache_lock:
            if _SYSTEM in _cache:
                return _cache[_SYSTEM]
        # find_library runs `ldconfig -p` in a subprocess (~3 ms): done once per process,
        # its answer kept under _SYSTEM below, not on every decoder/receiver construction.
        found = ctypes.util.find_library("opus")
        # (dict.fromkeys: find_library usually returns one of the default names)
        candidates = list(dict.fromkeys(([found] if found else []) + _default_names() + _bundled()
                                        + _pyav_libopus()))
        explicit = False
    errors = []
    for name in candidates:
        with _cache_lock:
            if name in _cache:
                if not explicit:
                    _cache.setdefault(_SYSTEM, _cache[name])
                return _cache[name]
        try:
            loaded = Library(name)  # the C loader: missing file, not libopus, or older than 1.3
        except OSError as e:
            errors.append(str(e) if name in str(e) else f"{name}: {e}")
            continue
        loaded.version_tuple = _parse_version(loaded.version)
        if loaded.version_tuple is not None and loaded.version_tuple < MIN_VERSION:
            raise LibopusNotFound(f"{name} is {loaded.version}, dredfast needs libopus >= "
                                  f"{MIN_VERSION[0]}.{MIN_VERSION[1]}: {INSTALL_HINT}")
        with _cache_lock:
            loaded = _cache.setdefault(name, loaded)
            if not explicit:
                _cache.setdefault(_SYSTEM, loaded)
            return loaded
    source = "the given path" if lib is not None else (ENV_VAR if explicit else "the system")
    raise LibopusNotFound(f"libopus not found ({source}; tried {'; '.join(errors) or 'nothing'}): "
                          f"dredfast needs libopus >= {MIN_VERSION[0]}.{MIN_VERSION[1]}; {INSTALL_HINT}")


def libopus_version(lib: LibLike = None) -> str:
    """``opus_get_version_string()`` of the libopus dredfast uses, e.g. ``"libopus 1.3.1"``."""
    return _load(lib).version


# --------------------------------------------------------------------------------------
# Packet helpers
# --------------------------------------------------------------------------------------
def _first_frame(L: Library, pkt: bytes) -> bytes:
    """The first frame's bytes (opus_packet_parse); raises OpusError for a malformed packet."""
    return L.first_frame(as_packet(pkt))


def _silk_lbrr_flags(frame: bytes, silk_frames: int, channels: int) -> bool:
    """The LBRR flag(s) at the start of a SILK (or hybrid) frame's range-coded data.

    RFC 6716 4.2.3-4.2.4: the range coder opens, per channel (mid then side), with one
    VAD flag per SILK frame and then the LBRR flag, all coded with probability 1/2
    (libopus's ``ec_dec_bit_logp(dec, 1)``).  A 1/2-probability symbol is decoded here
    as the two-symbol ``ec_decode(2)``/``ec_dec_update`` step of the range decoder,
    which is exactly what ``ec_dec_bit_logp(1)`` computes (value 1 = the lower half).
    """
    from . import _core  # the compiled range decoder (a test hook, cheap to construct)

    dec = _core.TestRangeDecoder(frame)
    lbrr = False
    for _ in range(channels):
        for _ in range(silk_frames + 1):  # VAD flags, then the LBRR flag
            bit = dec.decode(2)
            dec.update(bit, bit + 1, 2)
        lbrr = lbrr or bit == 1
    return lbrr


def _has_lbrr(L: Library, packet: bytes, native: bool = True) -> bool:
    pkt = as_packet(packet)
    if not pkt:
        return False
    if native and L.has_native_lbrr:
        return L.native_has_lbrr(pkt)
    toc = pkt[0]
    if toc & 0x80:  # TOC configs 16-31: CELT only, no SILK layer (checked first, as libopus does)
        return False
    frame = _first_frame(L, pkt)  # validates the whole packet, as libopus does
    if not frame:
        return False
    spf = L.samples_per_frame(pkt, 48000)
    silk_frames = max(1, spf // 960)  # SILK frames are 20 ms; 10 ms Opus frames hold one
    channels = 2 if toc & 0x04 else 1
    return _silk_lbrr_flags(frame, silk_frames, channels)


def packet_has_lbrr(packet: bytes, lib: LibLike = None) -> bool:
    """Whether a SILK or hybrid packet carries LBRR (in-band FEC) for the frame before it."""
    return _has_lbrr(_load(lib), packet)


