"""How many bits DRED gets: libopus 1.6.1's budget, or one of dredfast's own.

libopus (``opus_encoder.c``: ``compute_dred_bitrate``, ``estimate_dred_bitrate``)
takes DRED's bits out of the primary bitrate: a share that grows with the expected
loss, a base quantiser ``q0`` and slope ``dQ`` fitted to the bitrate, and as many
40 ms chunks as its bit estimate lets fit in that share.  At 24 kb/s with 20 % loss
that is 4 chunks (160 ms); with in-band FEC (LBRR) on it is none at all.

dredfast can instead give DRED a bitrate of its own, on top of the primary audio:
then the finest ``q0`` (and the gentler of libopus's two slopes) whose estimated
cost for the whole requested duration fits that bitrate is chosen.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _core

#: libopus's DRED_MAX_DATA_SIZE minus what it reserves for the padding-length
#: bytes and the two prefix bytes ('D', 12): the payload limit it passes its coder
#: when the packet has room (``max_data_bytes`` >= 1275).
MAX_PAYLOAD_BYTES = 995
MAX_CHUNKS = 26  # 26 latents x 40 ms = 1.04 s

# libopus's estimate of the bits one latent (or the initial state) costs at each
# quantiser level.
_BITS_TABLE = np.array([73.2, 68.1, 62.5, 57.0, 51.5, 45.7, 39.9, 32.4, 26.4, 20.4, 16.3, 13.0, 9.3, 8.2, 7.2, 6.4],
                       dtype=np.float32)


@dataclass(frozen=True)
class DredBudget:
    """What the DRED coder is allowed per packet."""

    q0: int          #: quantiser level of the initial state and the newest latent
    dq: int          #: how fast the level coarsens for older latents (0..7)
    qmax: int        #: coarsest level
    max_chunks: int  #: most latents (40 ms each) per packet; 0 = no DRED
    max_bytes: int = MAX_PAYLOAD_BYTES  #: most payload bytes after the 2-byte prefix
    bitrate: int = 0  #: the DRED bitrate this budget was derived for (b/s)


def chunks_for(dred_ms: int) -> int:
    """Latents needed for ``dred_ms`` of redundancy, as libopus counts them."""
    duration_10ms = dred_ms // 10
    if duration_10ms <= 0:
        return 0  # libopus: a DRED duration of 0 turns DRED off
    return min((duration_10ms + 5) // 4, MAX_CHUNKS)


def estimate_bits(q0: int, dq: int, qmax: int, chunks: int, target_bits: int | None = None):
    """libopus's ``estimate_dred_bitrate``: estimated bits per packet for ``chunks``
    latents, and how many chunks fit under ``target_bits`` (float32 arithmetic)."""
    bits = np.float32(8 * (3 + 2))
    bits += np.float32(50.0) + _BITS_TABLE[q0]
    fit = 0
    for i in range(chunks):
        bits += _BITS_TABLE[_core.dred_quantizer_level(q0, dq, qmax, i)]
        if target_bits is not None and bits < target_bits:
            fit = i + 1
    return int(np.floor(np.float32(0.5) + bits)), fit


def libopus_budget(bitrate: int, *, packet_loss_pct: int, lbrr: bool, dred_ms: int = 1000,
                   frame_ms: int = 20, vbr: bool = True) -> DredBudget:
    """The DRED budget libopus 1.6.1 sets for an Opus stream at ``bitrate`` b/s
    (any sampling rate and channel count: the rules depend on the bitrate, frame
    duration, the encoder's ``OPUS_SET_PACKET_LOSS_PERC`` and in-band FEC settings
    only), as its ``compute_dred_bitrate`` and packet code compute it."""
    f32 = np.float32
    loss = f32(packet_loss_pct) / f32(100.0)
    if lbrr:
        frac = min(f32(0.7), f32(3.0) * loss)
        offset = 20000
    elif packet_loss_pct > 5:
        frac = min(f32(0.8), f32(0.55) + loss)
        offset = 12000
    else:
        frac = f32(12) * loss
        offset = 12000
    frame_size = 16 * frame_ms
    # Longer packets need less redundancy.
    frac = frac / (frac + (f32(1) - frac) * (f32(frame_size * 50.0) / f32(16000)))
    q0 = min(15, max(4, 51 - 3 * max(1, bitrate - offset).bit_length()))
    dq = 3 if bitrate - offset > 36000 else 5
    qmax = 15
    target_bitrate = max(0, int(frac * f32(bitrate - offset)))
    target_chunks = max_bits = 0
    if dred_ms >= 10:
        target_bits = target_bitrate * 6 // (6 * 16000 // frame_size)
        max_bits, target_chunks = estimate_bits(q0, dq, qmax, chunks_for(dred_ms), target_bits)
    chunks = chunks_for(dred_ms)
    if vbr:
        chunks = min(chunks, target_chunks)
    # What libopus takes out of the primary bitrate: the share, or less when even
    # the whole requested duration is estimated to cost less (96 kb/s: 48.45 kb/s).
    dred_bitrate = min(target_bitrate, max_bits * (6 * 1000 // frame_ms) // 6)
    return DredBudget(q0, dq, qmax, chunks, MAX_PAYLOAD_BYTES, dred_bitrate if target_chunks >= 2 else 0)


def own_budget(dred_bitrate: int, *, dred_ms: int = 1000, frame_ms: int = 20) -> DredBudget:
    """A budget of ``dred_bitrate`` b/s for DRED alone: the finest ``q0`` (then the
    gentler slope) whose estimated cost for all of ``dred_ms`` fits; if even the
    coarsest setting does not, as many chunks as fit at the coarsest."""
    chunks = chunks_for(dred_ms)
    if chunks == 0:
        return DredBudget(15, 5, 15, 0, MAX_PAYLOAD_BYTES, 0)
    target_bits = dred_bitrate * frame_ms // 1000
    for q0 in range(4, 16):
        for dq in (3, 5):
            bits, _ = estimate_bits(q0, dq, 15, chunks)
            if bits <= target_bits:
                return DredBudget(q0, dq, 15, chunks, _max_bytes(target_bits), dred_bitrate)
    _, fit = estimate_bits(15, 5, 15, chunks, target_bits)
    return DredBudget(15, 5, 15, fit, _max_bytes(target_bits), dred_bitrate)


def _max_bytes(target_bits: int) -> int:
    # The estimate is an average; a packet may need more (speech onsets), so the
    # hard cap allows twice the target before the coder drops the oldest latents.
    return int(min(MAX_PAYLOAD_BYTES, max(8, (2 * target_bits + 7) // 8)))


def multiframe_max_bytes(bitrate: int, dred_bitrate: int, frame_ms: int, first_frame_bytes: int,
                         buffer_bytes: int = 1500) -> int:
    """The payload limit (bytes after the 2-byte prefix) libopus 1.6.1 gives DRED in a
    hybrid or CELT packet longer than 20 ms, which it codes as 20 ms frames with DRED
    attached to the first: what is left of the first frame's share (its part of the
    primary bitrate ``bitrate - dred_bitrate`` plus the whole packet's DRED bits) once
    that frame (``first_frame_bytes``, TOC included) is written, less the padding and
    extension overhead (``opus_encode_native``'s ``curr_max`` and the DRED block of
    ``opus_encode_frame_native``).  ``buffer_bytes`` is the output buffer given to
    ``opus_encode``.  Returns 0 when DRED does not fit at all (< 8 bytes)."""
    frames = frame_ms // 20

    def bits(rate: int, ms: int) -> int:  # libopus's bitrate_to_bits
        return rate * 6 // (6 * 1000 // ms)

    header = 3 if frames == 2 else 2 + (frames - 1) * 2
    max_len_sum = frames + buffer_bytes - header
    dred_bytes = bits(dred_bitrate, frame_ms) // 8
    cap = min(bits(bitrate - dred_bitrate, 20) // 8, max_len_sum // frames)
    cap = min(cap, (max_len_sum - dred_bytes) // frames) + dred_bytes
    cap = min(max_len_sum, cap)
    left = min(MAX_PAYLOAD_BYTES + 5, cap - first_frame_bytes - 3)  # DRED_MAX_DATA_SIZE = 1000
    left -= (left + 1 + 2) // 255  # a longer padding length
    return left - 2 if left >= 8 + 2 else 0
