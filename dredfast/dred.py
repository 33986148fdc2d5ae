"""DRED decoding: Opus packet -> DRED integers -> acoustic features."""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from . import _core
from ._checks import as_int, as_packet
from ._isa import isa_code
from ._weights import PathLike, Weights, _default, resolve, resolve_v10

#: Largest useful ``max_ms``: 26 latents of 40 ms (libopus clamps the same way).
MAX_MS = 1040


def _c_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, as C does (libopus's arithmetic)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


class Dred:
    """The DRED carried by one Opus packet, decoded to integers.

    Header fields follow libopus 1.6.1's names: ``q0`` (base quantiser level), ``dq``
    (quantiser slope index), ``qmax``, ``offset`` (libopus's ``dred_offset``, in 2.5 ms
    units, negative when the DRED starts before the packet), ``extra_offset`` (the
    signalled extra offset, in 2.5 ms units), ``frame`` (the packet frame the extension
    is attached to), ``num_latents``.  Each latent covers 40 ms = 4 feature frames.
    ``version`` is the extension's version byte: 12 (libopus 1.6 model: 25 latent and
    50 state values) or 10 (libopus 1.5 model: 21 and 19).
    """

    __slots__ = ("_d", "q0", "dq", "qmax", "offset", "extra_offset", "frame", "num_latents", "version")

    def __init__(self, data: "_core.DredData"):
        self._d = data
        q0, dq, qmax, offset, extra_val, frame, num_latents, version = data.fields()
        self.version: int = version
        self.q0: int = q0
        self.dq: int = dq
        self.qmax: int = qmax
        self.offset: int = offset
        self.extra_offset: int = 32 * extra_val
        self.frame: int = frame
        self.num_latents: int = num_latents

    @property
    def state_q(self) -> np.ndarray:
        """Quantised initial state, int32 (50,) (version 10: (19,)), bitstream order."""
        return self._d.state_q()

    @property
    def latents_q(self) -> np.ndarray:
        """Quantised latents, int32 (num_latents, 25) (version 10: 21 columns); row 0 is the newest."""
        return self._d.latents_q()

    @property
    def state(self) -> np.ndarray:
        """Dequantised initial state, float32 (50,) (version 10: (19,)) (libopus's ``OpusDRED.state``)."""
        return self._d.state()

    @property
    def latents(self) -> np.ndarray:
        """The decoder's input per latent, float32, as libopus's ``OpusDRED.latents``.

        Version 12: (num_latents, 26), the 25 dequantised values plus ``qlevel/8 - 1``;
        version 10: (num_latents, 21), the dequantised values only (1.5's decoder has no
        26th input).
        """
        return self._d.latents()

    @property
    def qlevels(self) -> np.ndarray:
        """Quantiser level of each latent, int32 (num_latents,)."""
        return self._d.qlevel()

    @property
    def header(self) -> dict:
        """All decoded header fields and the extension's position, as a dict."""
        return self._d.header()

    def samples(self, sample_rate: int = 16000) -> int:
        """Audio the DRED reaches back from the packet, in samples (``opus_dred_parse``'s return)."""
        fs = as_int(sample_rate, "sample_rate", 1, 192000)
        return max(0, _c_div(self.num_latents * fs, 25) - _c_div(self.offset * fs, 400))

    def end_samples(self, sample_rate: int = 16000) -> int:
        """Most recent samples *not* covered (> 0 only when ``offset`` < 0; libopus's ``dred_end``)."""
        fs = as_int(sample_rate, "sample_rate", 1, 192000)
        return max(0, _c_div(-self.offset * fs, 400))

    def features(self) -> np.ndarray:
        """Runs the RDO-VAE decoder: float32 (4*num_latents, 20), row 0 = the newest 10 ms frame.

        Columns: 18 cepstral coefficients, pitch, pitch correlation (as libopus's
        ``fec_features``).  Releases the GIL while it runs.
        """
        return self._d.features()

    def __repr__(self) -> str:
        return (f"<dredfast.Dred v{self.version} q0={self.q0} dq={self.dq} qmax={self.qmax} offset={self.offset} "
                f"num_latents={self.num_latents}>")


class DredDecoder:
    """Finds and decodes the DRED extension of Opus packets.

    ``weights``: a :class:`Weights`, a path to a ``DNNw`` blob, or None for the packaged
    Opus 1.6.1 model.  A blob without the DRED quantiser tables (libopus compiles them in,
    so its exported blobs lack them) takes them from the packaged blob.
    ``isa``: kernel path (``'scalar'``, ``'avx2'``, ``'avx512'``, ``'neon'``, ``'neon_dotprod'``), None for the fastest.
    ``weights_v10``: the model for DRED version 10 (what libopus 1.5.x senders write, and
    libopus 1.6 ignores): None for the packaged libopus 1.5.2 model and tables, a
    :class:`Weights` or path to a blob holding both, or False to ignore version 10 as
    libopus 1.6 does.  A packet carrying both versions is read as version 12.
    Objects are independent; one decoder may be used from several threads.
    """

    def __init__(self, weights: Optional[Union[Weights, PathLike]] = None, *, isa: Optional[str] = None,
                 weights_v10: Optional[Union[Weights, PathLike, bool]] = None):
        w = resolve(weights)
        stats = w if "dred_latent_quant_scales_q8" in w else _default()
        w10 = resolve_v10(weights_v10)
        self.weights = w
        self.weights_v10 = w10
        self._dec = _core.DredDecoder(w._blob, stats._blob, isa_code(isa),
                                      None if w10 is None else w10._blob, None if w10 is None else w10._blob)

    @property
    def versions(self) -> tuple:
        """The DRED version bytes this decoder reads, in order of preference."""
        return tuple(self._dec.versions)

    @property
    def isa(self) -> str:
        """The kernel path in use."""
        return self._dec.isa

    def parse(self, packet: bytes, max_ms: int = 1000) -> Optional[Dred]:
        """Decode the DRED of ``packet``; None if it carries none.

        ``max_ms`` caps the redundancy decoded, like libopus's ``max_dred_samples``: latents
        are decoded for ``min(2 + max_ms // 10, 104)`` feature frames' worth (so 1000 ms →
        up to 26 latents, 20 ms → 1).  Raises ``ValueError`` for a malformed packet or
        extension area, ``TypeError`` for a non-bytes packet.
        """
        pkt = as_packet(packet)
        ms = as_int(max_ms, "max_ms", 0, MAX_MS * 100)
        d = self._dec.parse(pkt, ms)
        return None if d is None else Dred(d)

    def __repr__(self) -> str:
        return f"<dredfast.DredDecoder isa={self.isa}>"


def find_dred_payload(packet: bytes) -> Optional[bytes]:
    """The DRED extension data of ``packet`` (starting with ``b'D\\x0c'``, or ``b'D\\x0a'`` for
    libopus 1.5's version 10 when the packet has no version-12 DRED), or None.

    Raises ``ValueError`` for a malformed packet or extension area.
    """
    pkt = as_packet(packet)
    loc = _core.find_dred(pkt)
    if loc is None:
        return None
    pos, length = loc[0], loc[1]
    return pkt[pos:pos + length]
