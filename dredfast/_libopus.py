"""The system libopus (1.3 or newer), loaded with ctypes: primary Opus encoding and decoding.

dredfast has no build-time dependency on libopus: DRED travels in the packet padding,
which every libopus ignores, so any libopus >= 1.3 encodes and decodes the primary audio
of DRED packets exactly.  The library is looked up, in this order, as

1. the ``lib`` argument (a path, or an already loaded :class:`ctypes.CDLL`);
2. the ``DREDFAST_LIBOPUS`` environment variable (a path);
3. :func:`ctypes.util.find_library` ``("opus")``;
4. the usual sonames (``libopus.so.0``, ``libopus.0.dylib``, ``opus.dll``, ...).

Every object owns its libopus state (created in ``__init__``, destroyed by ``close()``
or when garbage-collected) and a lock, so one object may be shared between threads;
ctypes releases the GIL while libopus runs.  Negative libopus return codes become
:class:`OpusError` (a ``RuntimeError``) carrying ``opus_strerror``'s text; bad
arguments are rejected in Python, before libopus sees them.

The CTL request numbers below are the public values of ``opus_defines.h``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import sys
import threading
from typing import Dict, Optional, Tuple, Union

import numpy as np

from ._checks import as_int, as_packet
from ._locks import StreamLock

LibLike = Union[None, str, "os.PathLike[str]", ctypes.CDLL]

#: Oldest libopus accepted: 1.3 is the oldest still shipped by current distributions
#: (Debian 11/12 libopus0 1.3.1) and has every call used here.
MIN_VERSION: Tuple[int, int] = (1, 3)
ENV_VAR = "DREDFAST_LIBOPUS"
INSTALL_HINT = ("install it (Debian/Ubuntu: `apt install libopus0`, Fedora: `dnf install opus`, "
                "macOS: `brew install opus`) or pass the library's path as `libopus=` "
                f"(or set {ENV_VAR})")

# --- opus_defines.h: return codes, CTL requests, enumerations -------------------------
OPUS_OK = 0
OPUS_BAD_ARG = -1
OPUS_BUFFER_TOO_SMALL = -2
OPUS_INVALID_PACKET = -4

_SET_APPLICATION = 4000
_SET_BITRATE = 4002
_GET_BITRATE = 4003
_SET_MAX_BANDWIDTH = 4004
_SET_BANDWIDTH = 4008
_SET_VBR = 4006
_SET_COMPLEXITY = 4010
_SET_INBAND_FEC = 4012
_SET_PACKET_LOSS_PERC = 4014
_SET_DTX = 4016
_GET_BANDWIDTH = 4009
_SET_SIGNAL = 4024
_GET_LOOKAHEAD = 4027
_RESET_STATE = 4028
_GET_SAMPLE_RATE = 4029
_GET_FINAL_RANGE = 4031
_GET_PITCH = 4033
_SET_GAIN = 4034
_GET_GAIN = 4045  # sic: opus_defines.h notes it should have been 4035
_GET_LAST_PACKET_DURATION = 4039
# OPUS_SET_FORCE_MODE: declared in libopus's opus_private.h, not opus_defines.h, but handled by
# opus_encoder_ctl in every release since 1.0 (opus_demo's -forcemode uses it).
_SET_FORCE_MODE = 11002
MODES: Dict[str, int] = {"silk": 1000, "hybrid": 1001, "celt": 1002}

OPUS_AUTO = -1000
OPUS_BITRATE_MAX = -1
APPLICATIONS: Dict[str, int] = {"voip": 2048, "audio": 2049, "restricted_lowdelay": 2051}
SIGNALS: Dict[str, int] = {"auto": OPUS_AUTO, "voice": 3001, "music": 3002}
BANDWIDTHS: Dict[str, int] = {"narrowband": 1101, "mediumband": 1102, "wideband": 1103,
                              "superwideband": 1104, "fullband": 1105}
_BANDWIDTH_NAMES = {v: k for k, v in BANDWIDTHS.items()}

SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
MAX_FRAMES = 48          # frames per packet (RFC 6716 3.2.5)
MAX_PACKET = 1500        # libopus's recommended largest encoded packet (also the encode buffer)


class OpusError(RuntimeError):
    """libopus returned an error code (``code``; the message is ``opus_strerror``'s)."""

    def __init__(self, code: int, what: str, text: str):
        super().__init__(f"{what}: libopus error {code} ({text})")
        self.code = code


class LibopusNotFound(ImportError):
    """No usable libopus (missing, or older than 1.3)."""


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
_c_int_p = ctypes.POINTER(ctypes.c_int)
_c_int16_p = ctypes.POINTER(ctypes.c_int16)
_c_float_p = ctypes.POINTER(ctypes.c_float)
_c_ubyte_p = ctypes.POINTER(ctypes.c_ubyte)


class _Lib:
    """A loaded libopus with its prototypes set (one per library file, shared)."""

    def __init__(self, cdll: ctypes.CDLL, where: str):
        self.cdll = cdll
        self.where = where
        f = cdll
        f.opus_get_version_string.argtypes = []
        f.opus_get_version_string.restype = ctypes.c_char_p
        self.version = f.opus_get_version_string().decode("ascii", "replace")
        self.version_tuple = _parse_version(self.version)
        if self.version_tuple is not None and self.version_tuple < MIN_VERSION:
            raise LibopusNotFound(f"{where} is {self.version}, dredfast needs libopus >= "
                                  f"{MIN_VERSION[0]}.{MIN_VERSION[1]}: {INSTALL_HINT}")
        f.opus_strerror.argtypes = [ctypes.c_int]
        f.opus_strerror.restype = ctypes.c_char_p

        f.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, _c_int_p]
        f.opus_decoder_create.restype = ctypes.c_void_p
        f.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        f.opus_decoder_destroy.restype = None
        f.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, _c_int16_p,
                                  ctypes.c_int, ctypes.c_int]
        f.opus_decode.restype = ctypes.c_int
        f.opus_decode_float.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, _c_float_p,
                                        ctypes.c_int, ctypes.c_int]
        f.opus_decode_float.restype = ctypes.c_int
        # The CTLs are variadic: only the fixed arguments get argtypes, so ctypes passes the
        # extra one the variadic way (this matters on Apple arm64).
        f.opus_decoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int]
        f.opus_decoder_ctl.restype = ctypes.c_int

        f.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, _c_int_p]
        f.opus_encoder_create.restype = ctypes.c_void_p
        f.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
        f.opus_encoder_destroy.restype = None
        f.opus_encode_float.argtypes = [ctypes.c_void_p, _c_float_p, ctypes.c_int, _c_ubyte_p, ctypes.c_int32]
        f.opus_encode_float.restype = ctypes.c_int32
        f.opus_encode.argtypes = [ctypes.c_void_p, _c_int16_p, ctypes.c_int, _c_ubyte_p, ctypes.c_int32]
        f.opus_encode.restype = ctypes.c_int32
        f.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int]
        f.opus_encoder_ctl.restype = ctypes.c_int

        f.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32]
        f.opus_packet_get_nb_samples.restype = ctypes.c_int
        f.opus_packet_get_nb_channels.argtypes = [ctypes.c_char_p]
        f.opus_packet_get_nb_channels.restype = ctypes.c_int
        f.opus_packet_get_samples_per_frame.argtypes = [ctypes.c_char_p, ctypes.c_int32]
        f.opus_packet_get_samples_per_frame.restype = ctypes.c_int
        f.opus_packet_parse.argtypes = [_c_ubyte_p, ctypes.c_int32, _c_ubyte_p,
                                        ctypes.POINTER(ctypes.c_void_p), _c_int16_p, _c_int_p]
        f.opus_packet_parse.restype = ctypes.c_int
        # libopus >= 1.5 has its own LBRR test; older ones get ours (same answer).
        self.has_native_lbrr = hasattr(f, "opus_packet_has_lbrr")
        if self.has_native_lbrr:
            f.opus_packet_has_lbrr.argtypes = [ctypes.c_char_p, ctypes.c_int32]
            f.opus_packet_has_lbrr.restype = ctypes.c_int

    def strerror(self, code: int) -> str:
        s = self.cdll.opus_strerror(int(code))
        return s.decode("ascii", "replace") if s else "unknown error"

    def check(self, ret: int, what: str) -> int:
        if ret < 0:
            raise OpusError(ret, what, self.strerror(ret))
        return ret


def _parse_version(s: str) -> Optional[Tuple[int, int]]:
    """``"libopus 1.3.1"`` -> (1, 3); None if there is no ``X.Y`` (e.g. a bare git hash)."""
    m = re.search(r"(\d+)\.(\d+)", s)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _default_names():
    if sys.platform == "darwin":
        return ["libopus.0.dylib", "libopus.dylib", "/opt/homebrew/lib/libopus.0.dylib",
                "/usr/local/lib/libopus.0.dylib"]
    if sys.platform == "win32":
        return ["opus.dll", "libopus-0.dll", "libopus.dll"]
    return ["libopus.so.0", "libopus.so"]


_cache: Dict[str, _Lib] = {}
_SYSTEM = "<system libopus>"   # cache key of the automatic search's answer
_cache_lock = threading.Lock()


def _load(lib: LibLike = None) -> _Lib:
    """The libopus to use (cached per path); raises LibopusNotFound with an install hint."""
    if isinstance(lib, ctypes.CDLL):
        key = f"cdll:{id(lib)}"
        with _cache_lock:
            if key not in _cache:
                _cache[key] = _Lib(lib, getattr(lib, "_name", "the given library"))
            return _cache[key]
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
        candidates = ([found] if found else []) + _default_names()
        explicit = False
    errors = []
    for name in candidates:
        with _cache_lock:
            if name in _cache:
                if not explicit:
                    _cache.setdefault(_SYSTEM, _cache[name])
                return _cache[name]
        try:
            cdll = ctypes.CDLL(name)
        except OSError as e:
            errors.append(f"{name}: {e}")
            continue
        try:
            loaded = _Lib(cdll, name)
        except AttributeError as e:  # a library without the Opus API
            errors.append(f"{name}: not libopus ({e})")
            continue
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
def _first_frame(L: _Lib, pkt: bytes) -> bytes:
    """The first frame's bytes (opus_packet_parse); raises OpusError for a malformed packet."""
    buf = (ctypes.c_ubyte * len(pkt)).from_buffer_copy(pkt)
    frames = (ctypes.c_void_p * MAX_FRAMES)()
    sizes = (ctypes.c_int16 * MAX_FRAMES)()
    toc = ctypes.c_ubyte()
    L.check(L.cdll.opus_packet_parse(buf, len(pkt), ctypes.byref(toc), frames, sizes, None),
            "opus_packet_parse")
    if sizes[0] <= 0:
        return b""
    start = frames[0] - ctypes.addressof(buf)
    return pkt[start:start + sizes[0]]


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


def _has_lbrr(L: _Lib, packet: bytes, native: bool = True) -> bool:
    pkt = as_packet(packet)
    if not pkt:
        return False
    if native and L.has_native_lbrr:
        return bool(L.check(L.cdll.opus_packet_has_lbrr(pkt, len(pkt)), "opus_packet_has_lbrr"))
    toc = pkt[0]
    if toc & 0x80:  # TOC configs 16-31: CELT only, no SILK layer (checked first, as libopus does)
        return False
    frame = _first_frame(L, pkt)  # validates the whole packet, as libopus does
    if not frame:
        return False
    spf = L.cdll.opus_packet_get_samples_per_frame(pkt, 48000)
    silk_frames = max(1, spf // 960)  # SILK frames are 20 ms; 10 ms Opus frames hold one
    channels = 2 if toc & 0x04 else 1
    return _silk_lbrr_flags(frame, silk_frames, channels)


def packet_has_lbrr(packet: bytes, lib: LibLike = None) -> bool:
    """Whether a SILK or hybrid packet carries LBRR (in-band FEC) for the frame before it."""
    return _has_lbrr(_load(lib), packet)


# --------------------------------------------------------------------------------------
# Shared object plumbing
# --------------------------------------------------------------------------------------
class _Handle:
    """Owns one libopus state: create/destroy, the lock and the CTL helpers."""

    _destroy_name = ""
    _ctl_name = ""

    def _init_handle(self, L: _Lib, ptr: Optional[int]) -> None:
        self._L = L
        self._ptr = ptr
        self._lock = StreamLock()

    def _state(self) -> int:
        if not self._ptr:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def _ctl_set(self, request: int, value: int, what: str) -> None:
        with self._lock:
            ret = getattr(self._L.cdll, self._ctl_name)(self._state(), request, ctypes.c_int32(value))
        self._L.check(ret, what)

    def _ctl_get(self, request: int, what: str, unsigned: bool = False) -> int:
        v = ctypes.c_uint32() if unsigned else ctypes.c_int32()
        with self._lock:
            ret = getattr(self._L.cdll, self._ctl_name)(self._state(), request, ctypes.byref(v))
        self._L.check(ret, what)
        return int(v.value)

    def reset(self) -> None:
        """Resets the state as for a new stream (``OPUS_RESET_STATE``)."""
        with self._lock:
            ret = getattr(self._L.cdll, self._ctl_name)(self._state(), _RESET_STATE)
        self._L.check(ret, "OPUS_RESET_STATE")

    @property
    def final_range(self) -> int:
        """Range-coder state after the last packet (``OPUS_GET_FINAL_RANGE``), for conformance checks."""
        return self._ctl_get(_GET_FINAL_RANGE, "OPUS_GET_FINAL_RANGE", unsigned=True)

    def close(self) -> None:
        """Frees the libopus state (also done when the object is garbage-collected)."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            ptr, self._ptr = self._ptr, None
            if ptr:
                getattr(self._L.cdll, self._destroy_name)(ptr)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible left to do
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_rate_channels(sample_rate: object, channels: object) -> Tuple[int, int]:
    sr = as_int(sample_rate, "sample_rate", 8000, 48000)
    if sr not in SAMPLE_RATES:
        raise ValueError(f"sample_rate must be one of {SAMPLE_RATES}, got {sr}")
    return sr, as_int(channels, "channels", 1, 2)


# --------------------------------------------------------------------------------------
# Decoder
# --------------------------------------------------------------------------------------
class OpusDecoder(_Handle):
    """A libopus decoder (``opus_decoder_create``) for ``sample_rate`` Hz, ``channels`` channels.

    Outputs are numpy arrays, 1-D for mono and ``(samples, channels)`` for stereo.
    """

    _destroy_name = "opus_decoder_destroy"
    _ctl_name = "opus_decoder_ctl"

    def __init__(self, sample_rate: int = 16000, channels: int = 1, lib: LibLike = None):
        self._ptr = None
        self.sample_rate, self.channels = _check_rate_channels(sample_rate, channels)
        L = _load(lib)
        err = ctypes.c_int(0)
        ptr = L.cdll.opus_decoder_create(self.sample_rate, self.channels, ctypes.byref(err))
        if not ptr or err.value != OPUS_OK:
            if ptr:
                L.cdll.opus_decoder_destroy(ptr)
            L.check(err.value if err.value < 0 else -3, "opus_decoder_create")
        self._init_handle(L, ptr)
        #: largest frame_size accepted: 120 ms, the longest Opus packet
        self.max_frame_size = self.sample_rate * 120 // 1000

    @property
    def libopus_version(self) -> str:
        return self._L.version

    def _frame_size(self, frame_size: object, concealing: bool) -> int:
        n = as_int(frame_size, "frame_size", 1, self.max_frame_size)
        step = self.sample_rate // 400
        if concealing and n % step:
            # libopus conceals and decodes FEC in whole 2.5 ms steps (it would return OPUS_BAD_ARG)
            raise ValueError(f"frame_size for PLC/FEC must be a multiple of 2.5 ms ({step} samples), got {n}")
        return n

    def _decode(self, packet, frame_size, fec: bool, as_float: bool) -> np.ndarray:
        if not isinstance(fec, (bool, np.bool_)):
            raise TypeError(f"fec must be a bool, not {type(fec).__name__}")
        pkt = None if packet is None else as_packet(packet)
        if pkt is not None and len(pkt) > 0x7FFFFFFF:
            raise ValueError("packet too long")
        lost = not pkt
        n = self._frame_size(frame_size, concealing=lost or bool(fec))
        out = np.zeros(n * self.channels, dtype=np.float32 if as_float else np.int16)
        fn = self._L.cdll.opus_decode_float if as_float else self._L.cdll.opus_decode
        ptr_t = _c_float_p if as_float else _c_int16_p
        with self._lock:
            ret = fn(self._state(), None if lost else pkt, 0 if lost else len(pkt),
                     out.ctypes.data_as(ptr_t), n, 1 if fec else 0)
        self._L.check(ret, "opus_decode_float" if as_float else "opus_decode")
        out = out[:ret * self.channels]
        return out if self.channels == 1 else out.reshape(ret, self.channels)

    def decode(self, packet: Optional[bytes], frame_size: int = 320, *, fec: bool = False) -> np.ndarray:
        """Decodes one packet to float32 samples in [-1, 1] (``opus_decode_float``).

        ``packet=None`` (or empty) conceals ``frame_size`` lost samples (libopus PLC).
        ``fec=True`` decodes the in-band FEC (LBRR) that ``packet`` carries for the frame
        *before* it (``decode_fec=1``; ``frame_size`` = that lost frame's length); without
        LBRR libopus conceals instead.  Otherwise ``frame_size`` is the most samples per
        channel to return (at least the packet's duration).
        """
        return self._decode(packet, frame_size, fec, True)

    def decode_int16(self, packet: Optional[bytes], frame_size: int = 320, *, fec: bool = False) -> np.ndarray:
        """As :meth:`decode`, with 16-bit output (``opus_decode``)."""
        return self._decode(packet, frame_size, fec, False)

    @property
    def last_packet_duration(self) -> int:
        """Samples per channel of the last decoded packet or concealment (``OPUS_GET_LAST_PACKET_DURATION``)."""
        return self._ctl_get(_GET_LAST_PACKET_DURATION, "OPUS_GET_LAST_PACKET_DURATION")

    @property
    def pitch(self) -> int:
        """Pitch period of the last decoded frame in samples at 48 kHz, 0 when unvoiced or
        CELT-coded (``OPUS_GET_PITCH``)."""
        return self._ctl_get(_GET_PITCH, "OPUS_GET_PITCH")

    @property
    def bandwidth(self) -> Optional[str]:
        """Audio bandwidth of the last decoded packet (``"narrowband"``..``"fullband"``;
        None before the first packet) (``OPUS_GET_BANDWIDTH``)."""
        return _BANDWIDTH_NAMES.get(self._ctl_get(_GET_BANDWIDTH, "OPUS_GET_BANDWIDTH"))

    @property
    def gain(self) -> int:
        """Output gain in Q8 dB (``OPUS_GET_GAIN``; 0 = unchanged, 256 = +1 dB)."""
        return self._ctl_get(_GET_GAIN, "OPUS_GET_GAIN")

    @gain.setter
    def gain(self, q8_db: int) -> None:
        self._ctl_set(_SET_GAIN, as_int(q8_db, "gain", -32768, 32767), "OPUS_SET_GAIN")

    def packet_nb_samples(self, packet: bytes) -> int:
        """Samples per channel ``packet`` decodes to at this decoder's rate."""
        pkt = as_packet(packet)
        if not pkt:
            raise ValueError("empty packet")
        return self._L.check(self._L.cdll.opus_packet_get_nb_samples(pkt, len(pkt), self.sample_rate),
                             "opus_packet_get_nb_samples")

    #: the name of the libopus call (``opus_packet_get_nb_samples``)
    get_nb_samples = packet_nb_samples

    def has_lbrr(self, packet: bytes) -> bool:
        """Whether ``packet`` (SILK or hybrid) carries LBRR for the frame before it.

        Uses ``opus_packet_has_lbrr`` on libopus >= 1.5, else reads the SILK header flags
        itself (same rule: the first frame's LBRR flag of either channel).
        """
        return _has_lbrr(self._L, packet)


# --------------------------------------------------------------------------------------
# Encoder
# --------------------------------------------------------------------------------------
class OpusEncoder(_Handle):
    """A libopus encoder (``opus_encoder_create``) with the settings dredfast's sender uses.

    ``application``: ``"voip"``, ``"audio"`` or ``"restricted_lowdelay"``; ``bitrate`` in b/s
    (500..512000, or ``"auto"``/``"max"``); ``complexity`` 0..10; ``vbr``; ``inband_fec``
    (LBRR) and ``packet_loss_pct`` (0..100, the loss the encoder plans for; LBRR is only
    produced when it is > 0); ``signal`` ``"auto"|"voice"|"music"``; ``max_bandwidth``
    ``"narrowband".."fullband"`` (None: libopus default); ``dtx``; ``mode``: ``"silk"``,
    ``"hybrid"`` or ``"celt"`` forces that coding mode (None: libopus decides).
    """

    _destroy_name = "opus_encoder_destroy"
    _ctl_name = "opus_encoder_ctl"

    def __init__(self, sample_rate: int = 16000, channels: int = 1, application: str = "voip",
                 bitrate: Union[int, str] = 24000, complexity: int = 9, vbr: bool = True,
                 inband_fec: bool = False, packet_loss_pct: int = 0, lib: LibLike = None, *,
                 signal: str = "auto", max_bandwidth: Optional[str] = None, dtx: bool = False,
                 mode: Optional[str] = None):
        self._ptr = None
        self.sample_rate, self.channels = _check_rate_channels(sample_rate, channels)
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {sorted(APPLICATIONS)}, got {application!r}")
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {sorted(SIGNALS)}, got {signal!r}")
        if mode is not None and mode not in MODES:
            raise ValueError(f"mode must be None or one of {sorted(MODES)}, got {mode!r}")
        if max_bandwidth is not None and max_bandwidth not in BANDWIDTHS:
            raise ValueError(f"max_bandwidth must be None or one of {sorted(BANDWIDTHS)}, got {max_bandwidth!r}")
        if bitrate == "auto":
            br = OPUS_AUTO
        elif bitrate == "max":
            br = OPUS_BITRATE_MAX
        else:
            br = as_int(bitrate, "bitrate", 500, 512000)
        complexity = as_int(complexity, "complexity", 0, 10)
        packet_loss_pct = as_int(packet_loss_pct, "packet_loss_pct", 0, 100)
        for name, v in (("vbr", vbr), ("inband_fec", inband_fec), ("dtx", dtx)):
            if not isinstance(v, (bool, np.bool_, int)) or int(v) not in (0, 1):
                raise TypeError(f"{name} must be a bool, got {v!r}")
        L = _load(lib)
        err = ctypes.c_int(0)
        ptr = L.cdll.opus_encoder_create(self.sample_rate, self.channels, APPLICATIONS[application],
                                         ctypes.byref(err))
        if not ptr or err.value != OPUS_OK:
            if ptr:
                L.cdll.opus_encoder_destroy(ptr)
            L.check(err.value if err.value < 0 else -3, "opus_encoder_create")
        self._init_handle(L, ptr)
        self.application = application
        self._ctl_set(_SET_BITRATE, br, "OPUS_SET_BITRATE")
        self._ctl_set(_SET_COMPLEXITY, complexity, "OPUS_SET_COMPLEXITY")
        self._ctl_set(_SET_VBR, int(bool(vbr)), "OPUS_SET_VBR")
        self._ctl_set(_SET_INBAND_FEC, int(bool(inband_fec)), "OPUS_SET_INBAND_FEC")
        self._ctl_set(_SET_PACKET_LOSS_PERC, packet_loss_pct, "OPUS_SET_PACKET_LOSS_PERC")
        self._ctl_set(_SET_SIGNAL, SIGNALS[signal], "OPUS_SET_SIGNAL")
        self._ctl_set(_SET_DTX, int(bool(dtx)), "OPUS_SET_DTX")
        if max_bandwidth is not None:
            self._ctl_set(_SET_MAX_BANDWIDTH, BANDWIDTHS[max_bandwidth], "OPUS_SET_MAX_BANDWIDTH")
        if mode is not None:
            self._ctl_set(_SET_FORCE_MODE, MODES[mode], "OPUS_SET_FORCE_MODE")
        self._out = np.zeros(MAX_PACKET, dtype=np.uint8)  # reused encode buffer (under the lock)

    @property
    def libopus_version(self) -> str:
        return self._L.version

    @property
    def lookahead(self) -> int:
        """Encoder delay in samples (``OPUS_GET_LOOKAHEAD``; 104 at 16 kHz in VOIP mode)."""
        return self._ctl_get(_GET_LOOKAHEAD, "OPUS_GET_LOOKAHEAD")

    @property
    def bandwidth(self) -> Optional[str]:
        """Audio bandwidth of the last packet (``OPUS_GET_BANDWIDTH``; libopus says
        ``"fullband"`` before the first one)."""
        return _BANDWIDTH_NAMES.get(self._ctl_get(_GET_BANDWIDTH, "OPUS_GET_BANDWIDTH"))

    def force_bandwidth(self, bandwidth: Optional[str]) -> None:
        """Codes every following packet at ``bandwidth`` (``OPUS_SET_BANDWIDTH``; None: automatic)."""
        if bandwidth is not None and bandwidth not in BANDWIDTHS:
            raise ValueError(f"bandwidth must be None or one of {sorted(BANDWIDTHS)}, got {bandwidth!r}")
        self._ctl_set(_SET_BANDWIDTH, OPUS_AUTO if bandwidth is None else BANDWIDTHS[bandwidth], "OPUS_SET_BANDWIDTH")

    @property
    def bitrate(self) -> int:
        """The bitrate libopus uses (``OPUS_GET_BITRATE``)."""
        return self._ctl_get(_GET_BITRATE, "OPUS_GET_BITRATE")

    def _frame(self, pcm) -> Tuple[np.ndarray, bool]:
        x = np.asarray(pcm)
        if x.dtype == np.int16:
            is_float = False
        elif x.dtype.kind == "f":
            is_float = True
        else:
            raise TypeError(f"pcm must be float (in [-1, 1]) or int16, not {x.dtype}")
        if self.channels == 1:
            if x.ndim == 2 and x.shape[1] == 1:
                x = x[:, 0]
            if x.ndim != 1:
                raise ValueError(f"mono pcm must be 1-D, got shape {x.shape}")
            n = x.shape[0]
        else:
            if x.ndim != 2 or x.shape[1] != self.channels:
                raise ValueError(f"pcm must have shape (samples, {self.channels}), got {x.shape}")
            n = x.shape[0]
        # Opus frames: 2.5, 5, 10, 20, 40 or 60 ms (plus 80/100/120 ms since libopus 1.2)
        valid = [self.sample_rate * k // 400 for k in (1, 2, 4, 8, 16, 24, 32, 40, 48)]
        if n not in valid:
            raise ValueError(f"a frame must have one of {valid} samples per channel at {self.sample_rate} Hz, "
                             f"got {n}")
        if is_float:
            x = np.ascontiguousarray(x, dtype=np.float32)
            if not np.all(np.isfinite(x)):
                raise ValueError("pcm contains NaN or infinity")
        else:
            x = np.ascontiguousarray(x)
        return x, is_float

    def encode(self, pcm) -> bytes:
        """One packet from one frame (default use: 320 samples = 20 ms at 16 kHz), float32 or int16."""
        x, is_float = self._frame(pcm)
        n = x.shape[0]
        L = self._L
        with self._lock:
            if is_float:
                ret = L.cdll.opus_encode_float(self._state(), x.ctypes.data_as(_c_float_p), n,
                                               self._out.ctypes.data_as(_c_ubyte_p), MAX_PACKET)
            else:
                ret = L.cdll.opus_encode(self._state(), x.ctypes.data_as(_c_int16_p), n,
                                         self._out.ctypes.data_as(_c_ubyte_p), MAX_PACKET)
            if ret >= 0:
                return self._out[:ret].tobytes()
        L.check(ret, "opus_encode_float" if is_float else "opus_encode")
        raise AssertionError("unreachable")
