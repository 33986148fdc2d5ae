"""What a receiver did with the packet slots it was given."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class ReceiverStats:
    """How many frames (packet slots) were produced each way, and bad packets seen.

    ``normal``: decoded from their own packet; ``lbrr``: from the next packet's in-band FEC;
    ``dred``: from Deep REDundancy; ``plc``: predicted by the neural PLC (or silence before the
    first packet); ``bad_packets``: packets present but undecodable (each also counted in the
    concealment kind that replaced it); ``dred_unknown_version``: packets consulted for DRED
    whose DRED has a version the receiver does not read (ignored, as libopus does).
    """

    normal: int = 0
    lbrr: int = 0
    dred: int = 0
    plc: int = 0
    bad_packets: int = 0
    dred_unknown_version: int = 0

    def as_dict(self) -> dict:
        return asdict(self)
