"""Ogg Opus files (RFC 7845 over RFC 3533 Ogg): packets in, packets out.

Packets are stored byte for byte, so the DRED that dredfast writes into the Opus padding
travels with them and every Opus player simply ignores it.  Writing follows RFC 7845:
an ``OpusHead`` page (BOS), ``OpusTags`` on its own page(s), then audio pages whose
granule position counts 48 kHz samples including the pre-skip; the last page (EOS)
carries the granule that trims the end to the original length.  Reading takes the first
Opus logical stream of the file (other multiplexed streams and later chained links are
ignored) and checks every page's CRC.

Small and dependency-free on purpose: the job is a few hundred bytes of framing, and
the available Python muxers (PyAV's, via FFmpeg) cannot be given pre-encoded Opus
packets with their exact bytes and granule positions without pulling in FFmpeg.
"""
from __future__ import annotations

import os
import random
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, List, Optional, Tuple, Union

from .rtp import opus_duration

PathLike = Union[str, "os.PathLike[str]"]

_PAGE = struct.Struct("<4sBBqIIIB")   # capture, version, flags, granule, serial, sequence, crc, segments
_CONTINUED, _BOS, _EOS = 0x01, 0x02, 0x04
#: Refuse files whose header packets are absurdly large (OpusTags with cover art is
#: legal, but not hundreds of megabytes in one packet).
MAX_PACKET = 16 << 20


# Ogg's CRC-32 (RFC 3533 6): polynomial 0x04C11DB7, MSB first, initial 0, no final xor.
# zlib's CRC-32 is the same polynomial bit-reflected (LSB first), so with every byte and
# the result bit-reversed -- and zlib's initial / final inversions cancelled -- it gives
# Ogg's checksum at C speed (a per-byte Python loop takes ~0.4 s per MB).
_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum of ``data`` (a page with its CRC field zeroed)."""
    r = zlib.crc32(bytes(data).translate(_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{r:032b}"[::-1], 2)


@dataclass
class OpusHead:
    """The identification header (RFC 7845 5.1)."""

    channels: int = 1
    pre_skip: int = 312              #: 48 kHz samples to drop at the start (encoder look-ahead)
    input_sample_rate: int = 16000   #: informational: the rate of the original audio
    output_gain: int = 0             #: Q7.8 dB
    mapping_family: int = 0
    version: int = 1
    mapping: bytes = b""             #: stream count, coupled count, channel mapping (family != 0)

    def to_bytes(self) -> bytes:
        out = struct.pack("<8sBBHIhB", b"OpusHead", self.version, self.channels, self.pre_skip,
                          self.input_sample_rate, self.output_gain, self.mapping_family)
        return out + (self.mapping if self.mapping_family else b"")

    @classmethod
    def parse(cls, data: bytes) -> "OpusHead":
        if len(data) < 19 or not data.startswith(b"OpusHead"):
            raise ValueError("not an Ogg Opus stream: the first packet is not OpusHead")
        _, version, channels, pre_skip, rate, gain, family = struct.unpack_from("<8sBBHIhB", data)
        if version >> 4 != 0:
            raise ValueError(f"unsupported OpusHead version {version}")
        if channels == 0:
            raise ValueError("OpusHead: 0 channels")
        mapping = b""
        if family != 0:
            if len(data) < 21 + channels:
                raise ValueError("OpusHead: channel mapping table truncated")
            mapping = data[19:21 + channels]
        return cls(channels, pre_skip, rate, gain, family, version, mapping)


@dataclass
class OggOpus:
    """An Ogg Opus stream read back: headers, the audio packets in order, and timing."""

    head: OpusHead
    vendor: str = ""
    comments: List[str] = field(default_factory=list)
    packets: List[bytes] = field(default_factory=list)
    #: Granule position of the page each packet ends on (-1 if the page has none).
    granules: List[int] = field(default_factory=list)
    #: Granule position of the last page (48 kHz samples, pre-skip included).
    final_granule: int = -1

    @property
    def length(self) -> int:
        """Playable length in 48 kHz samples after pre-skip and end trimming."""
        if self.final_granule < 0:
            return max(0, sum(opus_duration(p) or 0 for p in self.packets) - self.head.pre_skip)
        return max(0, self.final_granule - self.head.pre_skip)


def _tags(vendor: str, comments: Iterable[str]) -> bytes:
    v = vendor.encode("utf-8")
    cs = [c.encode("utf-8") for c in comments]
    out = b"OpusTags" + struct.pack("<I", len(v)) + v + struct.pack("<I", len(cs))
    for c in cs:
        out += struct.pack("<I", len(c)) + c
    return out


def _parse_tags(data: bytes) -> Tuple[str, List[str]]:
    if not data.startswith(b"OpusTags"):
        raise ValueError("Ogg Opus stream: the second packet is not OpusTags")
    try:
        pos = 8
        (n,) = struct.unpack_from("<I", data, pos)
        vendor = data[pos + 4:pos + 4 + n].decode("utf-8", "replace")
        pos += 4 + n
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        comments = []
        for _ in range(min(count, len(data) // 4)):
            (n,) = struct.unpack_from("<I", data, pos)
            comments.append(data[pos + 4:pos + 4 + n].decode("utf-8", "replace"))
            pos += 4 + n
    except struct.error:
        raise ValueError("OpusTags truncated") from None
    return vendor, comments


def _pages(f: BinaryIO):
    """(flags, granule, serial, lacing, body) of each page; ValueError on a bad page."""
    index = 0
    while True:
        head = f.read(_PAGE.size)
        if not head:
            return
        if len(head) < _PAGE.size:
            raise ValueError(f"Ogg page {index}: truncated header")
        capture, version, flags, granule, serial, _seq, crc, nseg = _PAGE.unpack(head)
        if capture != b"OggS":
            raise ValueError(f"Ogg page {index}: no 'OggS' capture pattern (not an Ogg file?)")
        if version != 0:
            raise ValueError(f"Ogg page {index}: unknown version {version}")
        lacing = f.read(nseg)
        body = f.read(sum(lacing))
        if len(lacing) < nseg or len(body) < sum(lacing):
            raise ValueError(f"Ogg page {index}: truncated")
        if ogg_crc(head[:22] + b"\0\0\0\0" + head[26:] + lacing + body) != crc:
            raise ValueError(f"Ogg page {index}: CRC mismatch (corrupt file)")
        yield flags, granule, serial, lacing, body
        index += 1


def read_opus(path: PathLike) -> OggOpus:
    """Reads the first Opus stream of an Ogg file.  ``ValueError`` if the file is not
    Ogg Opus or is corrupt (bad CRC, truncated page, missing headers)."""
    with open(path, "rb") as f:
        return read_opus_stream(f)


def read_opus_stream(f: BinaryIO) -> OggOpus:
    """:func:`read_opus` on an open binary file."""
    serial: Optional[int] = None
    packets: List[bytes] = []
    granules: List[int] = []
    partial = b""
    final = -1
    ended = False
    for flags, granule, ser, lacing, body in _pages(f):
        if serial is None:
            if not flags & _BOS:
                raise ValueError("Ogg file does not start with a beginning-of-stream page")
            if not body.startswith(b"OpusHead"):
                continue   # another codec's stream multiplexed in front: skip it
            serial = ser
        elif ser != serial:
            continue
        if ended:
            break
        pos = 0
        done_here = 0
        if not flags & _CONTINUED and partial:
            partial = b""   # a packet broken off by a lost page: drop it
        for lace in lacing:
            partial += body[pos:pos + lace]
            pos += lace
            if len(partial) > MAX_PACKET:
                raise ValueError(f"Ogg packet over {MAX_PACKET} bytes")
            if lace < 255:
                packets.append(partial)
                partial = b""
                done_here += 1
        granules.extend([granule] * done_here)
        if done_here:
            final = granule
        if flags & _EOS:
            ended = True
    if serial is None or not packets:
        raise ValueError("no Ogg Opus stream found (no OpusHead)")
    head = OpusHead.parse(packets[0])
    if len(packets) < 2:
        raise ValueError("Ogg Opus stream without OpusTags")
    vendor, comments = _parse_tags(packets[1])
    return OggOpus(head, vendor, comments, packets[2:], granules[2:], final)


class OggOpusWriter:
    """Writes Opus packets as a standard ``.opus`` file, streaming.

    ``pre_skip``: 48 kHz samples the player drops at the start (the encoder's look-ahead:
    libopus at 16 kHz has 104 samples = 312 at 48 kHz).  ``packets_per_page``: a page is
    written every that many packets (50 = 1 s of 20 ms packets).  :meth:`close` takes the
    original length in 48 kHz samples to trim the end (RFC 7845 4.4).
    """

    def __init__(self, f: Union[PathLike, BinaryIO], *, channels: int = 1, pre_skip: int = 312,
                 input_sample_rate: int = 16000, vendor: str = "dredfast", comments: Iterable[str] = (),
                 serial: Optional[int] = None, packets_per_page: int = 50):
        if channels not in (1, 2):
            raise ValueError("channels must be 1 or 2 (channel mapping family 0)")
        if not 0 <= pre_skip <= 65535:
            raise ValueError("pre_skip must fit in 16 bits")
        self._own = not hasattr(f, "write")
        self._f = open(f, "wb") if self._own else f
        self._serial = random.getrandbits(32) if serial is None else serial & 0xFFFFFFFF
        self._seq = 0
        self._granule = 0   # counts every decoded sample, the pre-skip ones included
        self.pre_skip = pre_skip
        self._per_page = max(1, int(packets_per_page))
        self._pending: List[Tuple[bytes, int]] = []   # (packet, granule after it)
        self._last_granule = -1
        self._closed = False
        self._page([OpusHead(channels, pre_skip, input_sample_rate).to_bytes()], [0], _BOS)
        self._page([_tags(vendor, comments)], [0], 0)

    def _page(self, packets: List[bytes], granules: List[int], flags: int) -> None:
        """Writes packets as one or more pages.  A page holds at most 255 lacing values; a
        packet that does not fit continues on the next page (flag 0x01).  Each page's
        granule is that of the last packet ending on it, -1 if none ends there."""
        lacing: List[Tuple[int, int]] = []   # (lacing value, index of its packet)
        for k, p in enumerate(packets):
            lacing += [(255, k)] * (len(p) // 255) + [(len(p) % 255, k)]
        data = b"".join(packets)
        pos, first, cont = 0, True, False
        while True:
            seg, lacing = lacing[:255], lacing[255:]
            body = data[pos:pos + sum(v for v, _ in seg)]
            pos += len(body)
            last = not lacing
            ends = [k for v, k in seg if v < 255]
            g = granules[ends[-1]] if ends else -1
            f = (_CONTINUED if cont else 0) | (flags & _BOS if first else 0) | (flags & _EOS if last else 0)
            head = _PAGE.pack(b"OggS", 0, f, g, self._serial, self._seq, 0, len(seg))
            lace = bytes(v for v, _ in seg)
            crc = ogg_crc(head + lace + body)
            self._f.write(head[:22] + struct.pack("<I", crc) + head[26:] + lace + body)
            self._seq += 1
            cont = bool(seg) and seg[-1][0] == 255
            first = False
            if last:
                return

    def write(self, packet: bytes) -> None:
        """Adds one Opus packet (its bytes unchanged)."""
        if self._closed:
            raise ValueError("writer is closed")
        p = bytes(packet)
        dur = opus_duration(p)
        if dur is None:
            raise ValueError("not a valid Opus packet (unreadable TOC)")
        self._granule += dur
        self._pending.append((p, self._granule))
        # The newest packet stays behind so that the last page always ends a packet
        # (its granule carries the end trimming).
        if len(self._pending) > self._per_page:
            done, self._pending = self._pending[:-1], self._pending[-1:]
            self._page([p for p, _ in done], [g for _, g in done], 0)
            self._last_granule = done[-1][1]

    def close(self, length: Optional[int] = None) -> None:
        """Ends the stream; ``length``: the original audio's length in 48 kHz samples
        (the last page's granule then trims the decoded output to it)."""
        if self._closed:
            return
        grans = [g for _, g in self._pending]
        if length is not None:
            end = length + self.pre_skip
            if not self._pending or not max(self._last_granule, 0) <= end <= grans[-1]:
                raise ValueError(f"length {length} does not fall in the last page of packets "
                                 f"({self._last_granule - self.pre_skip}..{self._granule - self.pre_skip})")
            grans[-1] = end
        self._page([p for p, _ in self._pending], grans, _EOS)
        self._pending = []
        self._closed = True
        if self._own:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_opus(path: PathLike, packets: Iterable[bytes], *, length: Optional[int] = None, **kw) -> None:
    """Writes ``packets`` as an ``.opus`` file; ``length`` (48 kHz samples) trims the end;
    other keywords as :class:`OggOpusWriter`."""
    w = OggOpusWriter(path, **kw)
    for p in packets:
        w.write(p)
    w.close(length)


def is_ogg(path: PathLike) -> bool:
    """Whether the file starts with an Ogg page."""
    with open(path, "rb") as f:
        return f.read(4) == b"OggS"
