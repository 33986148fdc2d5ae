"""How a sender with a total bitrate splits it between the primary audio, LBRR and DRED.

libopus 1.6.1 takes DRED's bits out of the primary by fixed rules (``dred_budget.py``:
at 24 kb/s and 20 % loss 9 kb/s of budget but only 4 latents, 160 ms, are sent; with
LBRR on at 24-32 kb/s no DRED at all).  ``Encoder(bitrate=TOTAL, allocation="auto")``
instead picks the split that scored best in a measurement:

* :func:`auto_split` reads :data:`TABLE` (primary share of the total, LBRR on/off, DRED
  duration, by total bitrate and expected loss) and gives a :class:`Split`; DRED gets
  the rest of the total, its quantisers chosen by :func:`dredfast.dred_budget.own_budget`
  for that bitrate and duration.
* :class:`TotalRateCap` holds the stream to the total: the primary packets' real sizes
  are counted, and each packet's DRED may only use what is left of the total's credit
  (a token bucket that keeps at most ``window_ms`` of unused credit), so the mean
  bitrate of the produced packets stays at or below the total whenever the primary
  encoder alone does (libopus 1.3's VBR spends 92-95 % of its target on speech).

The table comes from ``benchmarks/alloc_search.py`` (training speech other than the dev
set, loss patterns from :mod:`dredfast.lossmodels`, not the anchors' traces); its
measurements are in ``benchmarks/allocation/alloc_search.csv`` with a plot beside it,
and the README's "Choosing the split" section describes the curve.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from ._checks import as_int


@dataclass(frozen=True)
class Split:
    """One way to spend a total bitrate."""

    primary_bitrate: int  #: target handed to the primary Opus encoder (VBR), b/s
    lbrr: bool            #: in-band FEC (LBRR) in the primary; libopus takes its bits from the primary's
    dred_ms: int          #: DRED duration requested (0 = no DRED)
    dred_bitrate: int     #: nominal DRED bitrate for its quantisers (``own_budget``), b/s


#: (total b/s, expected loss %) -> (primary share of the total, LBRR, DRED ms).
#: Measured by benchmarks/alloc_search.py; see benchmarks/allocation/README.md.
TABLE: Tuple[Tuple[int, int, float, bool, int], ...] = (
    # total, loss, primary share, lbrr, dred_ms
    (16000, 0, 1.0, False, 0),
    (24000, 0, 1.0, False, 0),
    (40000, 0, 1.0, False, 0),
    (16000, 10, 0.625, False, 1000),
    (24000, 10, 0.583, False, 1000),
    (40000, 10, 0.6, False, 1000),
    (16000, 20, 0.625, False, 1000),
    (24000, 20, 0.583, False, 1000),
    (40000, 20, 0.6, False, 1000),
)

#: DRED below this many b/s carries too little to help (``own_budget`` fits no latent
#: of a useful duration): it goes to the primary instead.
MIN_DRED_BITRATE = 5000


def _cell(total: int, loss: int) -> Tuple[float, bool, int]:
    """The table's row for the nearest expected loss at or below ``loss`` (the table's
    highest loss beyond it), the primary share interpolated linearly in the total
    (held at the table's ends)."""
    losses = sorted({r[1] for r in TABLE})
    row_loss = max([x for x in losses if x <= loss] or [losses[0]])
    rows = sorted((r for r in TABLE if r[1] == row_loss), key=lambda r: r[0])
    if total <= rows[0][0]:
        return rows[0][2], rows[0][3], rows[0][4]
    if total >= rows[-1][0]:
        return rows[-1][2], rows[-1][3], rows[-1][4]
    for a, b in zip(rows, rows[1:]):
        if a[0] <= total <= b[0]:
            t = (total - a[0]) / (b[0] - a[0])
            near = a if t < 0.5 else b  # LBRR and duration are not interpolated
            return a[2] + t * (b[2] - a[2]), near[3], near[4]
    raise AssertionError("unreachable")


def auto_split(total_bitrate: int, packet_loss_pct: int) -> Split:
    """The split :data:`TABLE` gives for a total of ``total_bitrate`` b/s (primary +
    LBRR + DRED, what the packets may carry on average) and ``packet_loss_pct`` % of
    expected loss."""
    total = as_int(total_bitrate, "bitrate", 6000, 510000)
    loss = as_int(packet_loss_pct, "packet_loss_pct", 0, 100)
    share, lbrr, dred_ms = _cell(total, loss)
    primary = int(round(total * share))
    dred = total - primary
    if dred_ms == 0 or dred < MIN_DRED_BITRATE:
        return Split(total, lbrr, 0, 0)
    return Split(primary, lbrr, dred_ms, dred)


class TotalRateCap:
    """A token bucket for the whole packet: ``total_bitrate`` b/s of credit accrue per
    packet, the primary frame spends what it took, DRED may use the rest.

    Unused credit is kept up to ``window_ms`` worth (speech after a pause may carry
    more DRED than average, the mean stays within the total); a primary packet larger
    than the credit leaves it negative, and DRED waits until it has been paid back.
    """

    #: Bytes a DRED extension adds besides its payload: the code-3 frame-count byte,
    #: the padding-length byte(s) and the extension ID byte (DRED goes last, no length).
    OVERHEAD = 3

    def __init__(self, total_bitrate: int, frame_ms: int, window_ms: int = 1000):
        self.per_packet = total_bitrate * frame_ms / 8000.0
        self.max_credit = total_bitrate * window_ms / 8000.0
        self.credit = 0.0

    def room(self, primary_bytes: int) -> int:
        """Most DRED payload bytes (after the 2-byte ``D\\x0c`` prefix) this packet may
        carry after a primary packet of ``primary_bytes``; 0 = none."""
        left = self.credit + self.per_packet - primary_bytes - self.OVERHEAD - 2
        left -= left // 255  # a longer padding length
        return max(0, int(left))

    def spend(self, packet_bytes: int) -> None:
        """Books the packet as sent (``packet_bytes``: its whole length)."""
        self.credit = min(self.max_credit, self.credit + self.per_packet - packet_bytes)

    def reset(self) -> None:
        self.credit = 0.0
