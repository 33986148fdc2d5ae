"""Opus packet helpers and the ``.pkts`` packet container.

Container: a plain sequence of records ``uint32 little-endian length`` + that many
bytes of one Opus packet, nothing else (the format of the reference vectors).
"""
from __future__ import annotations

import os
import struct
from typing import BinaryIO, Iterable, Iterator, List, Union

from . import _core
from ._checks import as_packet

PathLike = Union[str, "os.PathLike[str]"]

#: Largest packet the container reader accepts (an Opus packet is at most 120 ms
#: of 1275-byte frames plus padding; anything larger is a corrupt file).
MAX_PACKET_BYTES = 1 << 20


def packet_info(packet: bytes) -> dict:
    """TOC, frame count and lengths, padding and extensions of an Opus packet.

    ``extensions`` lists ``(id, frame, offset, length)`` for every extension in the padding
    (repeats expanded).  Raises ``ValueError`` for a malformed packet, or one whose repeat
    markers expand to more than 6144 extensions (each ID once on each of 48 frames): a
    repeat lists every earlier extension again for each later frame, so without the limit
    a 60 kB packet listed 2.9 million entries.
    """
    return _core.packet_info(as_packet(packet))


def _read_exact(f: BinaryIO, n: int) -> bytes:
    """n bytes, fewer only at end of file: a pipe or socket may return a short read
    that is not the end (a single read() called that "truncated")."""
    parts, got = [], 0
    while got < n:
        chunk = f.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def iter_packets(f: BinaryIO) -> Iterator[bytes]:
    """Packets of an open ``.pkts`` file, in order.  ``ValueError`` on a truncated record."""
    index = 0
    while True:
        head = _read_exact(f, 4)
        if not head:
            return
        if len(head) < 4:
            raise ValueError(f"packet container truncated in the length of record {index}")
        (n,) = struct.unpack("<I", head)
        if n > MAX_PACKET_BYTES:
            raise ValueError(f"packet container record {index} claims {n} bytes: not a .pkts file?")
        data = _read_exact(f, n)
        if len(data) < n:
            raise ValueError(f"packet container truncated inside record {index} ({len(data)} of {n} bytes)")
        yield data
        index += 1


def read_packets(path: PathLike) -> List[bytes]:
    """All packets of a ``.pkts`` file."""
    with open(path, "rb") as f:
        return list(iter_packets(f))


def write_packets(path: PathLike, packets: Iterable[bytes]) -> None:
    """Writes packets as a ``.pkts`` file."""
    with open(path, "wb") as f:
        for p in packets:
            p = as_packet(p)
            f.write(struct.pack("<I", len(p)))
            f.write(p)


#: Default limit for packets written by :func:`add_dred` (RFC 6716's largest
#: frame plus framing; raise it for multi-frame packets).
DEFAULT_MAX_BYTES = 1500

DRED_EXTENSION_ID = 126
DRED_PREFIX = b"D\x0c"  # experimental DRED version 12, as libopus 1.6 writes


def add_dred(packet: bytes, payload: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Returns ``packet`` carrying ``payload`` as its DRED extension (ID 126, frame 0).

    ``payload`` is the extension data starting with ``b"D\\x0c"`` (what
    :func:`find_dred_payload` returns and :func:`encode_dred_payload` writes).  The
    primary frames are kept byte for byte; the packet is re-framed as code 3 with the
    extensions in its padding; other extensions are kept, an existing DRED is replaced.
    Raises ``ValueError`` for a malformed packet, a payload without the prefix, or a
    result longer than ``max_bytes``.
    """
    pkt = as_packet(packet)
    data = as_packet(payload, "payload")
    if len(data) <= len(DRED_PREFIX) or not data.startswith(DRED_PREFIX):
        raise ValueError("payload must start with b'D\\x0c' and carry at least one byte after it")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or not 0 < max_bytes < 2 ** 31:
        raise ValueError(f"max_bytes must be a positive int below 2**31, got {max_bytes!r}")
    info = _core.packet_info(pkt)
    exts = []
    for ext_id, frame, offset, length in info["extensions"]:
        body = pkt[offset:offset + length]
        if ext_id == DRED_EXTENSION_ID and length > 2 and body.startswith(DRED_PREFIX):
            continue  # replaced below
        exts.append((ext_id, frame, body))
    exts.append((DRED_EXTENSION_ID, 0, data))
    # libopus writes DRED last so it can take the rest of the padding (L = 0).
    exts.sort(key=lambda e: (e[1], e[0] == DRED_EXTENSION_ID))
    return _core.packet_with_extensions(pkt, exts, max_bytes)
