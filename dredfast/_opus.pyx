# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, embedsignature=True
"""The compiled libopus binding behind :mod:`dredfast._libopus` (Cython).

One wrapper class per libopus concept: :class:`Library` (one loaded libopus: the
``df_opus_lib`` function table of ``csrc/libopus/opus_lib.c``, the same loader the C
receiver uses, so the Python API and the receiver accept exactly the same libraries),
:class:`OpusDecoder` and :class:`OpusEncoder` (one libopus state each, in memory this
object owns).  Which file to load is the Python loader's choice
(:func:`dredfast._libopus._load`); nothing here searches for libraries.

Why a function table and not linking libopus: any libopus >= 1.3 the user points to
(``libopus=``, ``DREDFAST_LIBOPUS``, the copy a wheel carries, the system's) must work
without rebuilding, and a machine without libopus must still import dredfast.

Every state has a lock (:class:`dredfast._locks.StreamLock`, free again after ``fork``),
so one object may be shared between threads; the GIL is released while libopus runs.
Negative libopus return codes become :class:`OpusError` with ``opus_strerror``'s text;
bad arguments are rejected here, before libopus sees them.
"""
import os

import numpy as np

cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport int16_t, int32_t, uint32_t
from libc.stdlib cimport free, malloc

from ._checks import as_int, as_packet
from ._locks import StreamLock

cnp.import_array()

cdef extern from "libopus/opus_lib.h" nogil:
    ctypedef struct df_opus_lib:
        void *handle
        char version[64]
        int (*decoder_get_size)(int channels) noexcept nogil
        int (*decoder_init)(void *st, int32_t fs, int channels) noexcept nogil
        int (*decode)(void *st, const unsigned char *data, int32_t len, int16_t *pcm, int frame_size,
                      int decode_fec) noexcept nogil
        int (*decoder_ctl)(void *st, int request, ...) noexcept nogil
        int (*encoder_get_size)(int channels) noexcept nogil
        int (*encoder_init)(void *st, int32_t fs, int channels, int application) noexcept nogil
        int32_t (*encode_float)(void *st, const float *pcm, int frame_size, unsigned char *data,
                                int32_t max_bytes) noexcept nogil
        int (*encoder_ctl)(void *st, int request, ...) noexcept nogil
        const char *(*strerror)(int error) noexcept nogil
        int (*decode_float)(void *st, const unsigned char *data, int32_t len, float *pcm, int frame_size,
                            int decode_fec) noexcept nogil
        int32_t (*encode)(void *st, const int16_t *pcm, int frame_size, unsigned char *data,
                          int32_t max_bytes) noexcept nogil
        int (*packet_get_nb_samples)(const unsigned char *data, int32_t len, int32_t fs) noexcept nogil
        int (*packet_get_samples_per_frame)(const unsigned char *data, int32_t fs) noexcept nogil
        int (*packet_parse)(const unsigned char *data, int32_t len, unsigned char *toc,
                            const unsigned char **frames, int16_t *size, int *payload_offset) noexcept nogil
        int (*packet_has_lbrr)(const unsigned char *data, int32_t len) noexcept nogil

    int df_opus_lib_open(df_opus_lib *lib, const char *path, char *err, size_t errlen)
    void df_opus_lib_close(df_opus_lib *lib)

# --- opus_defines.h: return codes, CTL requests, enumerations (public, stable values) ---
OPUS_OK = 0
OPUS_BAD_ARG = -1
OPUS_BUFFER_TOO_SMALL = -2
OPUS_INVALID_PACKET = -4
OPUS_AUTO = -1000
OPUS_BITRATE_MAX = -1

cdef enum:
    _SET_BITRATE = 4002
    _GET_BITRATE = 4003
    _SET_MAX_BANDWIDTH = 4004
    _SET_VBR = 4006
    _SET_BANDWIDTH = 4008
    _GET_BANDWIDTH = 4009
    _SET_COMPLEXITY = 4010
    _SET_INBAND_FEC = 4012
    _SET_PACKET_LOSS_PERC = 4014
    _SET_DTX = 4016
    _SET_SIGNAL = 4024
    _GET_LOOKAHEAD = 4027
    _RESET_STATE = 4028
    _GET_FINAL_RANGE = 4031
    _GET_PITCH = 4033
    _SET_GAIN = 4034
    _GET_LAST_PACKET_DURATION = 4039
    _GET_GAIN = 4045  # sic: opus_defines.h notes it should have been 4035
    # OPUS_SET_FORCE_MODE: declared in libopus's opus_private.h, not opus_defines.h, but
    # handled by opus_encoder_ctl in every release since 1.0 (opus_demo's -forcemode uses it).
    _SET_FORCE_MODE = 11002
    C_MAX_FRAMES = 48     # frames per packet (RFC 6716 3.2.5)
    C_MAX_PACKET = 1500   # libopus's recommended largest encoded packet (the encode buffer)

MODES = {"silk": 1000, "hybrid": 1001, "celt": 1002}
APPLICATIONS = {"voip": 2048, "audio": 2049, "restricted_lowdelay": 2051}
SIGNALS = {"auto": OPUS_AUTO, "voice": 3001, "music": 3002}
BANDWIDTHS = {"narrowband": 1101, "mediumband": 1102, "wideband": 1103, "superwideband": 1104,
              "fullband": 1105}
_BANDWIDTH_NAMES = {v: k for k, v in BANDWIDTHS.items()}
SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
MAX_FRAMES = C_MAX_FRAMES
MAX_PACKET = C_MAX_PACKET


class OpusError(RuntimeError):
    """libopus returned an error code (``code``; the message is ``opus_strerror``'s)."""

    def __init__(self, code: int, what: str, text: str):
        super().__init__(f"{what}: libopus error {code} ({text})")
        self.code = code


cdef class Library:
    """One loaded libopus (``dlopen`` of ``where``) and its function table.

    Raises OSError with the loader's message when ``where`` cannot be opened, is not
    libopus or is older than 1.3.  Decoders and encoders keep their Library alive, so
    the library stays mapped while any state made by it exists.
    """

    cdef df_opus_lib t
    cdef readonly str where
    cdef readonly str version
    #: ``(major, minor)`` parsed from ``version`` by the loader (None if unparsable)
    cdef public object version_tuple

    def __cinit__(self, where: str):
        cdef char err[512]
        err[0] = 0
        path = os.fsencode(where)
        if df_opus_lib_open(&self.t, path, err, sizeof(err)) != 0:
            raise OSError(err.decode("utf-8", "replace"))
        self.where = where
        self.version = self.t.version.decode("ascii", "replace")
        self.version_tuple = None

    def __dealloc__(self):
        df_opus_lib_close(&self.t)

    @property
    def has_native_lbrr(self) -> bool:
        """Whether this libopus has ``opus_packet_has_lbrr`` (1.5 and newer)."""
        return self.t.packet_has_lbrr != NULL

    def strerror(self, int code) -> str:
        cdef const char *s = self.t.strerror(code)
        return s.decode("ascii", "replace") if s != NULL else "unknown error"

    def check(self, ret: int, what: str) -> int:
        """``ret``, or OpusError when it is a (negative) libopus error code."""
        if ret < 0:
            raise OpusError(ret, what, self.strerror(ret))
        return ret

    cdef int _check(self, int ret, what) except -1:
        if ret < 0:
            raise OpusError(ret, what, self.strerror(ret))
        return ret

    def native_has_lbrr(self, bytes pkt) -> bool:
        """``opus_packet_has_lbrr`` (libopus >= 1.5 only; ValueError otherwise)."""
        if self.t.packet_has_lbrr == NULL:
            raise ValueError(f"{self.version} has no opus_packet_has_lbrr")
        cdef int ret = self.t.packet_has_lbrr(<const unsigned char *>PyBytes_AS_STRING(pkt),
                                              <int32_t>PyBytes_GET_SIZE(pkt))
        return bool(self._check(ret, "opus_packet_has_lbrr"))

    def first_frame(self, bytes pkt) -> bytes:
        """The first frame's bytes (``opus_packet_parse``); OpusError for a malformed packet."""
        cdef const unsigned char *frames[C_MAX_FRAMES]
        cdef int16_t sizes[C_MAX_FRAMES]
        cdef unsigned char toc = 0
        cdef const unsigned char *data = <const unsigned char *>PyBytes_AS_STRING(pkt)
        if PyBytes_GET_SIZE(pkt) > 0x7FFFFFFF:
            raise ValueError("packet too long")
        self._check(self.t.packet_parse(data, <int32_t>PyBytes_GET_SIZE(pkt), &toc, frames, sizes, NULL),
                    "opus_packet_parse")
        if sizes[0] <= 0:
            return b""
        return PyBytes_FromStringAndSize(<const char *>frames[0], sizes[0])

    def samples_per_frame(self, bytes pkt, int fs) -> int:
        """``opus_packet_get_samples_per_frame`` (reads the TOC byte only; ``pkt`` not empty)."""
        if PyBytes_GET_SIZE(pkt) < 1:
            raise ValueError("empty packet")
        return self.t.packet_get_samples_per_frame(<const unsigned char *>PyBytes_AS_STRING(pkt), fs)

    def nb_samples(self, bytes pkt, int fs) -> int:
        """``opus_packet_get_nb_samples``: samples per channel ``pkt`` decodes to at ``fs`` Hz."""
        if PyBytes_GET_SIZE(pkt) < 1:
            raise ValueError("empty packet")
        if PyBytes_GET_SIZE(pkt) > 0x7FFFFFFF:
            raise ValueError("packet too long")
        return self._check(self.t.packet_get_nb_samples(<const unsigned char *>PyBytes_AS_STRING(pkt),
                                                        <int32_t>PyBytes_GET_SIZE(pkt), fs),
                           "opus_packet_get_nb_samples")

    def __repr__(self) -> str:
        return f"<dredfast libopus {self.version!r} from {self.where!r}>"


def _check_rate_channels(sample_rate, channels):
    sr = as_int(sample_rate, "sample_rate", 8000, 48000)
    if sr not in SAMPLE_RATES:
        raise ValueError(f"sample_rate must be one of {SAMPLE_RATES}, got {sr}")
    return sr, as_int(channels, "channels", 1, 2)


cdef inline bytes _packet(object packet):
    """bytes unchanged (the common case, no call), other bytes-likes copied, else TypeError."""
    if type(packet) is bytes:
        return <bytes>packet
    return as_packet(packet)


cdef class _Handle:
    """Owns one libopus state (malloc'd here, sized by libopus), its lock and the CTL helpers."""

    cdef Library L
    cdef void *st
    cdef object _lock
    cdef bint is_encoder
    cdef readonly int sample_rate
    cdef readonly int channels

    def __dealloc__(self):
        free(self.st)  # libopus states are flat memory: nothing else to release
        self.st = NULL

    cdef inline int _ctl(self, int request, int32_t value) except? -9999:
        """A CTL with one int argument (SET) or none (RESET), under the lock."""
        cdef int ret
        lk = self._lock._lock
        lk.acquire()
        try:
            if self.st == NULL:
                raise ValueError(f"{type(self).__name__} is closed")
            with nogil:
                if self.is_encoder:
                    ret = self.L.t.encoder_ctl(self.st, request, value)
                else:
                    ret = self.L.t.decoder_ctl(self.st, request, value)
        finally:
            lk.release()
        return ret

    cdef _ctl_set(self, int request, int32_t value, what):
        self.L._check(self._ctl(request, value), what)

    cdef _ctl_get(self, int request, what, bint unsigned=False):
        cdef int32_t v = 0
        cdef int ret
        lk = self._lock._lock
        lk.acquire()
        try:
            if self.st == NULL:
                raise ValueError(f"{type(self).__name__} is closed")
            with nogil:
                if self.is_encoder:
                    ret = self.L.t.encoder_ctl(self.st, request, &v)
                else:
                    ret = self.L.t.decoder_ctl(self.st, request, &v)
        finally:
            lk.release()
        self.L._check(ret, what)
        return <uint32_t>v if unsigned else v

    def reset(self) -> None:
        """Resets the state as for a new stream (``OPUS_RESET_STATE``)."""
        cdef int ret
        lk = self._lock._lock
        lk.acquire()
        try:
            if self.st == NULL:
                raise ValueError(f"{type(self).__name__} is closed")
            with nogil:
                if self.is_encoder:
                    ret = self.L.t.encoder_ctl(self.st, _RESET_STATE)
                else:
                    ret = self.L.t.decoder_ctl(self.st, _RESET_STATE)
        finally:
            lk.release()
        self.L._check(ret, "OPUS_RESET_STATE")

    @property
    def final_range(self) -> int:
        """Range-coder state after the last packet (``OPUS_GET_FINAL_RANGE``), for conformance checks."""
        return self._ctl_get(_GET_FINAL_RANGE, "OPUS_GET_FINAL_RANGE", True)

    @property
    def libopus_version(self) -> str:
        return self.L.version

    @property
    def _L(self) -> Library:
        return self.L

    def close(self) -> None:
        """Frees the libopus state (also done when the object is garbage-collected)."""
        if self._lock is None:
            return
        lk = self._lock._lock
        lk.acquire()
        try:
            free(self.st)
            self.st = NULL
        finally:
            lk.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    cdef _create(self, lib, int application):
        """Loads the library, allocates and initialises the state (``opus_*_init``)."""
        from ._libopus import _load  # the loader's search order lives in Python

        cdef Library L = _load(lib)
        cdef int size = L.t.encoder_get_size(self.channels) if self.is_encoder else L.t.decoder_get_size(self.channels)
        if size <= 0:
            raise OpusError(OPUS_BAD_ARG, "opus_*_get_size", L.strerror(OPUS_BAD_ARG))
        self.st = malloc(size)
        if self.st == NULL:
            raise MemoryError()
        cdef int ret
        if self.is_encoder:
            ret = L.t.encoder_init(self.st, self.sample_rate, self.channels, application)
        else:
            ret = L.t.decoder_init(self.st, self.sample_rate, self.channels)
        if ret != OPUS_OK:
            free(self.st)
            self.st = NULL
            L._check(ret if ret < 0 else -3, "opus_encoder_create" if self.is_encoder else "opus_decoder_create")
        self.L = L
        self._lock = StreamLock()


cdef class OpusDecoder(_Handle):
    """A libopus decoder (``opus_decoder_create``) for ``sample_rate`` Hz, ``channels`` channels.

    Outputs are numpy arrays, 1-D for mono and ``(samples, channels)`` for stereo.
    """

    #: largest frame_size accepted: 120 ms, the longest Opus packet
    cdef readonly int max_frame_size
    cdef int step

    def __init__(self, sample_rate: int = 16000, channels: int = 1, lib=None):
        self.sample_rate, self.channels = _check_rate_channels(sample_rate, channels)
        self.is_encoder = False
        self._create(lib, 0)
        self.max_frame_size = self.sample_rate * 120 // 1000
        self.step = self.sample_rate // 400

    cdef int _frame_size(self, object frame_size, bint concealing) except -1:
        cdef long n
        if type(frame_size) is int and 1 <= <object>frame_size <= self.max_frame_size:
            n = <long>frame_size  # the common case, without a Python call
        else:
            n = as_int(frame_size, "frame_size", 1, self.max_frame_size)
        if concealing and n % self.step:
            # libopus conceals and decodes FEC in whole 2.5 ms steps (it would return OPUS_BAD_ARG)
            raise ValueError(f"frame_size for PLC/FEC must be a multiple of 2.5 ms ({self.step} samples), "
                             f"got {n}")
        return <int>n

    cdef object _decode(self, object packet, object frame_size, object fec, bint as_float):
        cdef bint use_fec
        if fec is True or fec is False:
            use_fec = fec is True
        elif isinstance(fec, np.bool_):
            use_fec = bool(fec)
        else:
            raise TypeError(f"fec must be a bool, not {type(fec).__name__}")
        cdef bytes pkt = None if packet is None else _packet(packet)
        cdef Py_ssize_t plen = 0 if pkt is None else PyBytes_GET_SIZE(pkt)
        if plen > 0x7FFFFFFF:
            raise ValueError("packet too long")
        cdef bint lost = plen == 0
        cdef int n = self._frame_size(frame_size, lost or use_fec)
        cdef cnp.npy_intp dims = <cnp.npy_intp>n * self.channels
        out = cnp.PyArray_EMPTY(1, &dims, cnp.NPY_FLOAT32 if as_float else cnp.NPY_INT16, 0)
        cdef void *pcm = cnp.PyArray_DATA(<cnp.ndarray>out)
        cdef const unsigned char *data = NULL
        if not lost:
            data = <const unsigned char *>PyBytes_AS_STRING(pkt)
        cdef int32_t len32 = <int32_t>plen
        cdef int ret
        cdef int fec_flag = 1 if use_fec else 0
        lk = self._lock._lock
        lk.acquire()
        try:
            if self.st == NULL:
                raise ValueError(f"{type(self).__name__} is closed")
            with nogil:
                if as_float:
                    ret = self.L.t.decode_float(self.st, data, len32, <float *>pcm, n, fec_flag)
                else:
                    ret = self.L.t.decode(self.st, data, len32, <int16_t *>pcm, n, fec_flag)
        finally:
            lk.release()
        if ret < 0:
            self.L._check(ret, "opus_decode_float" if as_float else "opus_decode")
        if ret != n:
            out = out[:ret * self.channels]
        return out if self.channels == 1 else out.reshape(ret, self.channels)

    def decode(self, packet, frame_size=320, *, fec=False) -> np.ndarray:
        """Decodes one packet to float32 samples in [-1, 1] (``opus_decode_float``).

        ``packet=None`` (or empty) conceals ``frame_size`` lost samples (libopus PLC).
        ``fec=True`` decodes the in-band FEC (LBRR) that ``packet`` carries for the frame
        *before* it (``decode_fec=1``; ``frame_size`` = that lost frame's length); without
        LBRR libopus conceals instead.  Otherwise ``frame_size`` is the most samples per
        channel to return (at least the packet's duration).
        """
        return self._decode(packet, frame_size, fec, True)

    def decode_int16(self, packet, frame_size=320, *, fec=False) -> np.ndarray:
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
    def bandwidth(self):
        """Audio bandwidth of the last decoded packet (``"narrowband"``..``"fullband"``;
        None before the first packet) (``OPUS_GET_BANDWIDTH``)."""
        return _BANDWIDTH_NAMES.get(self._ctl_get(_GET_BANDWIDTH, "OPUS_GET_BANDWIDTH"))

    @property
    def gain(self) -> int:
        """Output gain in Q8 dB (``OPUS_GET_GAIN``; 0 = unchanged, 256 = +1 dB)."""
        return self._ctl_get(_GET_GAIN, "OPUS_GET_GAIN")

    @gain.setter
    def gain(self, q8_db) -> None:
        self._ctl_set(_SET_GAIN, as_int(q8_db, "gain", -32768, 32767), "OPUS_SET_GAIN")

    def packet_nb_samples(self, packet) -> int:
        """Samples per channel ``packet`` decodes to at this decoder's rate."""
        return self.L.nb_samples(_packet(packet), self.sample_rate)

    def get_nb_samples(self, packet) -> int:
        """The name of the libopus call for :meth:`packet_nb_samples` (``opus_packet_get_nb_samples``)."""
        return self.L.nb_samples(_packet(packet), self.sample_rate)

    def has_lbrr(self, packet) -> bool:
        """Whether ``packet`` (SILK or hybrid) carries LBRR for the frame before it.

        Uses ``opus_packet_has_lbrr`` on libopus >= 1.5, else reads the SILK header flags
        itself (same rule: the first frame's LBRR flag of either channel).
        """
        from ._libopus import _has_lbrr
        return _has_lbrr(self.L, packet)


cdef class OpusEncoder(_Handle):
    """A libopus encoder (``opus_encoder_create``) with the settings dredfast's sender uses.

    ``application``: ``"voip"``, ``"audio"`` or ``"restricted_lowdelay"``; ``bitrate`` in b/s
    (500..512000, or ``"auto"``/``"max"``); ``complexity`` 0..10; ``vbr``; ``inband_fec``
    (LBRR) and ``packet_loss_pct`` (0..100, the loss the encoder plans for; LBRR is only
    produced when it is > 0); ``signal`` ``"auto"|"voice"|"music"``; ``max_bandwidth``
    ``"narrowband".."fullband"`` (None: libopus default); ``dtx``; ``mode``: ``"silk"``,
    ``"hybrid"`` or ``"celt"`` forces that coding mode (None: libopus decides).
    """

    cdef readonly str application
    cdef unsigned char out[C_MAX_PACKET]  # encode buffer (used under the lock)
    cdef tuple valid

    def __init__(self, sample_rate: int = 16000, channels: int = 1, application: str = "voip",
                 bitrate=24000, complexity: int = 9, vbr: bool = True, inband_fec: bool = False,
                 packet_loss_pct: int = 0, lib=None, *, signal: str = "auto", max_bandwidth=None,
                 dtx: bool = False, mode=None):
        self.sample_rate, self.channels = _check_rate_channels(sample_rate, channels)
        if application not in APPLICATIONS:
            raise ValueError(f"application must be one of {sorted(APPLICATIONS)}, got {application!r}")
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {sorted(SIGNALS)}, got {signal!r}")
        if mode is not None and mode not in MODES:
            raise ValueError(f"mode must be None or one of {sorted(MODES)}, got {mode!r}")
        if max_bandwidth is not None and max_bandwidth not in BANDWIDTHS:
            raise ValueError(f"max_bandwidth must be None or one of {sorted(BANDWIDTHS)}, got {max_bandwidth!r}")
        if isinstance(bitrate, str) and bitrate == "auto":
            br = OPUS_AUTO
        elif isinstance(bitrate, str) and bitrate == "max":
            br = OPUS_BITRATE_MAX
        else:
            br = as_int(bitrate, "bitrate", 500, 512000)
        complexity = as_int(complexity, "complexity", 0, 10)
        packet_loss_pct = as_int(packet_loss_pct, "packet_loss_pct", 0, 100)
        for name, v in (("vbr", vbr), ("inband_fec", inband_fec), ("dtx", dtx)):
            if not isinstance(v, (bool, np.bool_, int)) or int(v) not in (0, 1):
                raise TypeError(f"{name} must be a bool, got {v!r}")
        self.is_encoder = True
        self._create(lib, APPLICATIONS[application])
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
        # Opus frames: 2.5, 5, 10, 20, 40 or 60 ms (plus 80/100/120 ms since libopus 1.2)
        self.valid = tuple(self.sample_rate * k // 400 for k in (1, 2, 4, 8, 16, 24, 32, 40, 48))

    @property
    def lookahead(self) -> int:
        """Encoder delay in samples (``OPUS_GET_LOOKAHEAD``; 104 at 16 kHz in VOIP mode)."""
        return self._ctl_get(_GET_LOOKAHEAD, "OPUS_GET_LOOKAHEAD")

    @property
    def bandwidth(self):
        """Audio bandwidth of the last packet (``OPUS_GET_BANDWIDTH``; libopus says
        ``"fullband"`` before the first one)."""
        return _BANDWIDTH_NAMES.get(self._ctl_get(_GET_BANDWIDTH, "OPUS_GET_BANDWIDTH"))

    def force_bandwidth(self, bandwidth) -> None:
        """Codes every following packet at ``bandwidth`` (``OPUS_SET_BANDWIDTH``; None: automatic)."""
        if bandwidth is not None and bandwidth not in BANDWIDTHS:
            raise ValueError(f"bandwidth must be None or one of {sorted(BANDWIDTHS)}, got {bandwidth!r}")
        self._ctl_set(_SET_BANDWIDTH, OPUS_AUTO if bandwidth is None else BANDWIDTHS[bandwidth],
                      "OPUS_SET_BANDWIDTH")

    @property
    def bitrate(self) -> int:
        """The bitrate libopus uses (``OPUS_GET_BITRATE``)."""
        return self._ctl_get(_GET_BITRATE, "OPUS_GET_BITRATE")

    def set_bitrate(self, bitrate: int) -> None:
        """Target bitrate in b/s for the following packets (``OPUS_SET_BITRATE``)."""
        self._ctl_set(_SET_BITRATE, as_int(bitrate, "bitrate", 500, 512000), "OPUS_SET_BITRATE")

    cdef tuple _frame(self, pcm):
        x = np.asarray(pcm)
        cdef bint is_float
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
        elif x.ndim != 2 or x.shape[1] != self.channels:
            raise ValueError(f"pcm must have shape (samples, {self.channels}), got {x.shape}")
        n = x.shape[0]
        if n not in self.valid:
            raise ValueError(f"a frame must have one of {list(self.valid)} samples per channel at "
                             f"{self.sample_rate} Hz, got {n}")
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
        cdef cnp.ndarray a = <cnp.ndarray>x
        cdef int n = <int>cnp.PyArray_DIM(a, 0)
        cdef void *pcm_p = cnp.PyArray_DATA(a)
        cdef bint f = is_float
        cdef int32_t ret
        lk = self._lock._lock
        lk.acquire()
        try:
            if self.st == NULL:
                raise ValueError(f"{type(self).__name__} is closed")
            with nogil:
                if f:
                    ret = self.L.t.encode_float(self.st, <const float *>pcm_p, n, self.out, C_MAX_PACKET)
                else:
                    ret = self.L.t.encode(self.st, <const int16_t *>pcm_p, n, self.out, C_MAX_PACKET)
            if ret >= 0:
                return PyBytes_FromStringAndSize(<const char *>self.out, ret)
        finally:
            lk.release()
        self.L._check(ret, "opus_encode_float" if f else "opus_encode")
