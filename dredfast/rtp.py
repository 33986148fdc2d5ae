"""RTP packets (RFC 3550) carrying Opus (RFC 7587): parsing, building, unwrapping.

Only what a receiver of an Opus stream needs: the fixed header, CSRC list, header
extension and padding are parsed and checked; the payload is the Opus packet.  RTP
timestamps of Opus are always in 48 kHz units whatever the coded or output rate
(RFC 7587 section 4.1).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

#: RTP clock rate of Opus (RFC 7587 4.1), whatever the sampling rate of the audio.
OPUS_CLOCK = 48000

_FIXED = struct.Struct("!BBHII")


@dataclass(frozen=True)
class RtpPacket:
    """One parsed RTP packet."""

    payload_type: int
    marker: bool
    sequence: int          #: 16-bit sequence number as sent
    timestamp: int         #: 32-bit timestamp as sent (48 kHz units for Opus)
    ssrc: int
    csrc: tuple = ()
    extension: Optional[tuple] = None   #: (profile, bytes) of the header extension, if any
    payload: bytes = b""


def parse_rtp(data: bytes) -> RtpPacket:
    """Parses an RTP packet (RFC 3550 5.1).  Raises ``ValueError`` for anything that is
    not a well-formed version-2 packet: too short, CSRC list / extension / padding
    running past the end, a padding count of 0."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"an RTP packet must be bytes, got {type(data).__name__}")
    b = bytes(data)
    if len(b) < _FIXED.size:
        raise ValueError(f"RTP packet of {len(b)} bytes is shorter than the 12-byte header")
    v_p_x_cc, m_pt, seq, ts, ssrc = _FIXED.unpack_from(b)
    if v_p_x_cc >> 6 != 2:
        raise ValueError(f"RTP version {v_p_x_cc >> 6}, expected 2")
    cc = v_p_x_cc & 0x0F
    pos = _FIXED.size + 4 * cc
    if pos > len(b):
        raise ValueError(f"RTP CSRC list ({cc} entries) runs past the end of the packet")
    csrc = struct.unpack_from(f"!{cc}I", b, _FIXED.size) if cc else ()
    ext = None
    if v_p_x_cc & 0x10:
        if pos + 4 > len(b):
            raise ValueError("RTP header extension runs past the end of the packet")
        profile, words = struct.unpack_from("!HH", b, pos)
        end = pos + 4 + 4 * words
        if end > len(b):
            raise ValueError("RTP header extension runs past the end of the packet")
        ext = (profile, b[pos + 4:end])
        pos = end
    end = len(b)
    if v_p_x_cc & 0x20:
        pad = b[-1]
        # The count includes itself, so it is at least 1 (RFC 3550 5.1).
        if pad == 0 or end - pad < pos:
            raise ValueError(f"RTP padding count {pad} is invalid for a {len(b)}-byte packet")
        end -= pad
    return RtpPacket(payload_type=m_pt & 0x7F, marker=bool(m_pt & 0x80), sequence=seq, timestamp=ts,
                     ssrc=ssrc, csrc=tuple(csrc), extension=ext, payload=b[pos:end])


def make_rtp(payload: bytes, *, sequence: int, timestamp: int, ssrc: int, payload_type: int = 111,
             marker: bool = False, csrc: tuple = (), extension: Optional[tuple] = None,
             padding: int = 0) -> bytes:
    """Builds an RTP packet (the inverse of :func:`parse_rtp`; used by senders and tests).
    ``sequence`` / ``timestamp`` are taken modulo 2^16 / 2^32; ``padding`` adds that many
    bytes of RTP padding (0 or 1-255)."""
    if not 0 <= padding <= 255:
        raise ValueError("padding must be 0-255 bytes")
    if len(csrc) > 15:
        raise ValueError("at most 15 CSRCs")
    first = 0x80 | (0x20 if padding else 0) | (0x10 if extension is not None else 0) | len(csrc)
    out = bytearray(_FIXED.pack(first, (0x80 if marker else 0) | (payload_type & 0x7F), sequence & 0xFFFF,
                                timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF))
    for c in csrc:
        out += struct.pack("!I", c)
    if extension is not None:
        profile, body = extension
        if len(body) % 4:
            raise ValueError("RTP header extension data must be a multiple of 4 bytes")
        out += struct.pack("!HH", profile, len(body) // 4) + bytes(body)
    out += bytes(payload)
    if padding:
        out += bytes(padding - 1) + bytes([padding])
    return bytes(out)


def unwrap(value: int, reference: int, bits: int) -> int:
    """The extended (unwrapped) counter closest to ``reference`` whose low ``bits`` bits
    are ``value``: sequence numbers (16) and timestamps (32) wrap around, and packets
    arrive on either side of the newest one."""
    mod = 1 << bits
    delta = (value - reference) % mod
    if delta >= mod >> 1:
        delta -= mod
    return reference + delta


#: Frame durations in 48 kHz samples by TOC configuration (RFC 6716 3.1).
_SILK = (480, 960, 1920, 2880)
_HYBRID = (480, 960)
_CELT = (120, 240, 480, 960)


def opus_duration(payload: bytes) -> Optional[int]:
    """Duration of an Opus packet in 48 kHz samples from its TOC (RFC 6716 3.1), or None
    when the TOC is unreadable or claims more than 120 ms."""
    if not payload:
        return None
    config, code = payload[0] >> 3, payload[0] & 3
    if config < 12:
        frame = _SILK[config & 3]
    elif config < 16:
        frame = _HYBRID[config & 1]
    else:
        frame = _CELT[config & 3]
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(payload) < 2:
            return None
        count = payload[1] & 0x3F
    total = count * frame
    return total if 0 < total <= 5760 else None
