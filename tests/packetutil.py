"""Building Opus packets by hand for tests (RFC 6716 section 3.2 framing)."""
from __future__ import annotations

from typing import Sequence


def padding_length(n: int) -> bytes:
    """RFC 6716 padding length: each 255 byte stands for 254 bytes and continues."""
    out = b""
    while n >= 255:
        out += b"\xff"
        n -= 254
    return out + bytes([n])


def code3(frames: Sequence[bytes], padding: bytes = b"", vbr: bool = True, toc_config: int = 9) -> bytes:
    """A code-3 packet carrying frames and a padding area (default TOC: SILK WB 20 ms)."""
    toc = bytes([toc_config << 3 | 3])
    count = len(frames) | (0x80 if vbr else 0) | (0x40 if padding else 0)
    out = toc + bytes([count])
    if padding:
        out += padding_length(len(padding))
    if vbr:
        for f in frames[:-1]:
            out += bytes([len(f)]) if len(f) < 252 else bytes([252 + (len(f) - 252) % 4, (len(f) - 252) // 4])
    return out + b"".join(frames) + padding
