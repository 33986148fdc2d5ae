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
    (repeats expanded).  Raises ``ValueError`` for a malformed packet.
    """
    return _core.packet_info(as_packet(packet))


def iter_packets(f: BinaryIO) -> Iterator[bytes]:
    """Packets of an open ``.pkts`` file, in order.  ``ValueError`` on a truncated record."""
    index = 0
    while True:
        head = f.read(4)
        if not head:
            return
        if len(head) < 4:
            raise ValueError(f"packet container truncated in the length of record {index}")
        (n,) = struct.unpack("<I", head)
        if n > MAX_PACKET_BYTES:
            raise ValueError(f"packet container record {index} claims {n} bytes: not a .pkts file?")
        data = f.read(n)
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
