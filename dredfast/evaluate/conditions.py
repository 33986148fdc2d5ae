"""What one run of the receiver is: a :class:`Condition` (sender and receiver settings,
vocoder), and the named conditions of ``benchmarks/quality_receiver.py``'s grid."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Dict, List, Optional

#: Packets taken from the reference vectors (``<vectors>/<clip>/<variant>.pkts``, libopus
#: 1.6.1's own encodings), or made by :class:`dredfast.Encoder` (``"encode"``).
PACKET_SOURCES = ("v24", "v24fec", "v32", "v96", "encode")
#: "Whole gap" jitter buffer: a lost frame is filled once the next packet has arrived (as
#: opus_demo and the anchors decode), so every packet after the gap is look-ahead.
WHOLE_GAP_MS = 100000


@dataclass(frozen=True)
class Condition:
    """One configuration of the sender and the receiver.

    ``packets``: a variant of the reference vectors (``"v24"``, ``"v24fec"``, ``"v32"``,
    ``"v96"``: libopus 1.6.1's packets of the clip) or ``"encode"`` (the clip encoded by
    :class:`dredfast.Encoder` with ``bitrate``, ``lbrr``, ``dred_ms``, ``dred_bitrate``).
    Receiver: ``vocoder``, ``use_dred``, ``use_lbrr``, ``jitter_ms`` (look-ahead;
    :data:`WHOLE_GAP_MS` = whole gap), ``history``, ``crossfade_ms``, ``plc_lookahead``
    (``Receiver(plc_lookahead=)``; None = its default, 0 = no look-ahead concealment).  ``anchor``: the
    condition of libopus 1.6.1's anchors (``quality_anchor_dev.csv``) this one is compared
    with, if any.  ``libopus_mode``: the vectors' decoded-PCM mode (``arrays.npz`` key
    ``<packets>_dec_<mode>``) scored beside it when asked.
    """

    name: str
    packets: str = "v24"
    vocoder: str = "fargan"
    use_dred: bool = True
    use_lbrr: bool = True
    jitter_ms: int = WHOLE_GAP_MS
    history: str = "shadow"
    crossfade_ms: Optional[float] = None
    plc_lookahead: Optional[int] = None
    bitrate: int = 24000
    lbrr: bool = False
    dred_ms: int = 1000
    dred_bitrate: Optional[int] = None
    anchor: Optional[str] = None
    libopus_mode: Optional[str] = None

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in ",\n\r\""):
            raise ValueError(f"condition name {self.name!r}: must be non-empty without commas or quotes")
        if self.packets not in PACKET_SOURCES:
            raise ValueError(f"condition {self.name}: packets must be one of {PACKET_SOURCES}, got {self.packets!r}")
        if self.vocoder not in ("fargan", "lpcnet"):
            raise ValueError(f"condition {self.name}: vocoder must be 'fargan' or 'lpcnet'")
        if self.history not in ("shadow", "stock"):
            raise ValueError(f"condition {self.name}: history must be 'shadow' or 'stock'")
        if int(self.jitter_ms) < 0:
            raise ValueError(f"condition {self.name}: jitter_ms must be >= 0")
        # checked here, not first in a worker: the grid fails before any run starts
        if self.plc_lookahead is not None:
            if isinstance(self.plc_lookahead, bool) or not 0 <= int(self.plc_lookahead) <= 1000:
                raise ValueError(f"condition {self.name}: plc_lookahead must be None or 0..1000")
            if self.plc_lookahead and self.vocoder == "lpcnet":
                raise ValueError(f"condition {self.name}: plc_lookahead needs vocoder 'fargan'")

    def to_dict(self) -> Dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Dict) -> "Condition":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown condition settings {sorted(unknown)} (known: {sorted(known)})")
        return cls(**d)


#: The grid of ``benchmarks/quality_receiver.py`` (names as there).
PRESETS: Dict[str, Condition] = {c.name: c for c in (
    Condition("dred", "v24", anchor="dred", libopus_mode="dred"),
    Condition("plc_dredstream", "v24", use_dred=False, anchor="plc_dredstream", libopus_mode="plc"),
    Condition("lbrr_plc", "v24fec", use_dred=False, anchor="lbrr_plc", libopus_mode="lbrr"),
    Condition("dred_v32", "v32", libopus_mode="dred"),
    Condition("plc_v32", "v32", use_dred=False, libopus_mode="plc"),
    # dredfast.Encoder at libopus 1.6.1's settings of the v24 stream (24 kb/s, no LBRR,
    # libopus's DRED budget): compare with "dred" on libopus's packets.
    Condition("own_v24", "encode", lbrr=False, anchor="dred"),
    # dredfast's own sender: 24 kb/s + LBRR + 1 s DRED with its own budget (set dred_bitrate).
    Condition("own_lbrr_dred", "encode", lbrr=True, dred_bitrate=16000, anchor="lbrr_dred"),
)}


def parse_conditions(spec: str, **overrides) -> List[Condition]:
    """Conditions from a command-line spec: comma-separated preset names, or a JSON file
    (``@conditions.json``: a list of objects with :class:`Condition`'s fields; ``"base"``
    names a preset to start from).  ``overrides`` (e.g. ``vocoder="lpcnet"``; None values
    ignored) apply to every condition."""
    out: List[Condition] = []
    if spec.startswith("@"):
        with open(spec[1:]) as f:
            items = json.load(f)
        if not isinstance(items, list):
            raise ValueError(f"{spec[1:]}: expected a JSON list of conditions")
        for d in items:
            d = dict(d)
            base = d.pop("base", None)
            if base is not None:
                if base not in PRESETS:
                    raise ValueError(f"unknown base condition {base!r} (presets: {', '.join(PRESETS)})")
                d = {**PRESETS[base].to_dict(), **d}
            out.append(Condition.from_dict(d))
    else:
        for name in filter(None, (s.strip() for s in spec.split(","))):
            if name not in PRESETS:
                raise ValueError(f"unknown condition {name!r} (presets: {', '.join(PRESETS)}; or @file.json)")
            out.append(PRESETS[name])
    ov = {k: v for k, v in overrides.items() if v is not None}
    out = [replace(c, **ov) for c in out]
    if len({c.name for c in out}) != len(out):
        raise ValueError("condition names must be unique")
    return out
