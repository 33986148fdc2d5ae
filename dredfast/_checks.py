"""Argument validation shared by the public API (clear errors before C sees anything)."""
from __future__ import annotations

import operator


def as_packet(packet: object, name: str = "packet") -> bytes:
    """Returns the packet as bytes; raises TypeError for anything that is not bytes-like."""
    if isinstance(packet, bytes):
        return packet
    if isinstance(packet, (bytearray, memoryview)):
        return bytes(packet)
    raise TypeError(f"{name} must be bytes, bytearray or memoryview, not {type(packet).__name__}")


def as_int(value: object, name: str, minimum: int, maximum: int) -> int:
    """Returns an integer within [minimum, maximum]; TypeError/ValueError otherwise."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if not minimum <= v <= maximum:
        raise ValueError(f"{name} must be in [{minimum}, {maximum}], got {v}")
    return v
