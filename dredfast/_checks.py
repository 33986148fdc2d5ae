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


#: Largest magnitude accepted in float PCM (80 dB above full scale).  Finite but absurd
#: samples (1e30) overflowed the analysis's energies and left its state NaN for good;
#: anything within this limit is recovered from within a few frames
#: (tests/test_hardening_streams.py).
MAX_ABS_PCM = 1e4

#: Largest magnitude accepted in a feature array.  Real features are within about
#: +-20; one frame at 1e10 left the LPCNet vocoder producing full-scale noise until
#: reset, while 1e6 is recovered from: the limit keeps two orders of margin.
MAX_ABS_FEATURE = 1e4


def check_finite_within(a, limit: float, name: str) -> None:
    """ValueError unless every value of ``a`` (already in the dtype the core will read,
    so a float64 that only overflows in the float32 cast is caught) is finite and
    within ``+-limit``."""
    import numpy as np

    if not a.size:
        return
    # Two reductions without temporaries (this runs on every packet of audio): NaN
    # propagates through min/max and fails the comparison, as does an infinity.
    lo, hi = float(a.min()), float(a.max())
    if -limit <= lo and hi <= limit:
        return
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    raise ValueError(f"{name} has values beyond +-{limit:g} (got {max(-lo, hi):g})")
