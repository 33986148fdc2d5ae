"""Choice of the C kernel path (scalar, AVX2/FMA, AVX-512 VNNI, NEON, NEON + SDOT)."""
from __future__ import annotations

import functools
import os
from typing import List, Optional

from . import _core

#: every path name, whether or not this CPU runs it (``isa=`` and the CLI's ``--isa``)
ISA_NAMES = ("scalar", "avx2", "avx512", "neon", "neon_dotprod")

_NAMES = {"scalar": _core.ISA_SCALAR, "avx2": _core.ISA_AVX2, "avx512": _core.ISA_AVX512,
          "neon": _core.ISA_NEON, "neon_dotprod": _core.ISA_NEON_DOTPROD}


@functools.lru_cache(maxsize=None)
def _supported(code: int) -> bool:
    # The CPU's features do not change while the process runs; CPUID traps to the hypervisor
    # on virtual machines (about 30 us a call measured on the project's), and every model
    # object asks.  The C core keeps no such cache (no global state there).
    return bool(_core.isa_supported(code))


@functools.lru_cache(maxsize=None)
def _best() -> int:
    return int(_core.isa_best())


def available_isas() -> List[str]:
    """Kernel paths this CPU can run, slowest first (``'scalar'`` is always there)."""
    return [n for n, v in _NAMES.items() if _supported(v)]


def isa_code(isa: Optional[str]) -> int:
    """Code of a path name; None means ``$DREDFAST_ISA`` or else the fastest available."""
    if isa is None:
        isa = os.environ.get("DREDFAST_ISA") or None
    if isa is None:
        return _best()
    if not isinstance(isa, str) or isa not in _NAMES:
        raise ValueError(f"isa must be one of {sorted(_NAMES)} or None, not {isa!r}")
    if not _supported(_NAMES[isa]):
        raise ValueError(f"instruction set {isa!r} is not available on this CPU (available: {available_isas()})")
    return _NAMES[isa]
