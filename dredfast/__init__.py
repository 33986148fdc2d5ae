"""dredfast: Opus Deep REDundancy (DRED) for Python, with a fast C core.

>>> import dredfast
>>> dec = dredfast.DredDecoder()
>>> dred = dec.parse(packet)            # None when the packet carries no DRED
>>> feats = dred.features()             # (4*num_latents, 20), newest 10 ms frame first
"""
try:
    from . import _core  # noqa: F401  (the compiled C core)
    from . import _opus  # noqa: F401  (the compiled libopus binding)
except ImportError as _e:  # pragma: no cover - depends on how Python was started
    import os as _os
    _here = _os.path.dirname(_os.path.abspath(__file__))
    raise ImportError(
        f"dredfast's compiled modules (_core, _opus) are missing from {_here}. If this is the source tree "
        "(you are running Python inside the checkout after `pip install .`), Python imports the "
        "source folder instead of the installed package: run from another directory, or build "
        "in place with `python setup.py build_ext --inplace`.") from _e
from ._isa import available_isas
from ._weights import Weights, load_weights
from .dred import Dred, DredDecoder, find_dred_payload
from .dred_payload import encode_dred_payload
from .dred_encoder import DredEncoder
from .encoder import Encoder
from .receiver import Receiver
from .receiver_stats import ReceiverStats
from .jitter import RtpReceiver, RtpStats
from .ogg import OggOpus, OggOpusWriter, read_opus, write_opus
from .analysis import Analyzer, analyze
from .vocoder import Vocoder
from ._libopus import OpusDecoder, OpusEncoder, libopus_version
from .traces import load_trace
from .packets import add_dred, iter_packets, packet_info, read_packets, write_packets

__version__ = "0.1.0"

__all__ = [
    "add_dred",
    "analyze",
    "Analyzer",
    "Dred",
    "DredDecoder",
    "DredEncoder",
    "Encoder",
    "Receiver",
    "ReceiverStats",
    "RtpReceiver",
    "RtpStats",
    "OggOpus",
    "OggOpusWriter",
    "read_opus",
    "write_opus",
    "OpusDecoder",
    "OpusEncoder",
    "libopus_version",
    "load_trace",
    "encode_dred_payload",
    "Vocoder",
    "Weights",
    "available_isas",
    "find_dred_payload",
    "iter_packets",
    "load_weights",
    "packet_info",
    "read_packets",
    "write_packets",
    "__version__",
]
