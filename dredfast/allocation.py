"""How a sender with a total bitrate splits it between the primary audio, LBRR and DRED.

libopus 1.6.1 takes DRED's bits out of the primary by fixed rules (``dred_budget.py``:
at 24 kb/s and 20 % loss 9 kb/s of budget but only 4 latents, 160 ms, are sent; with
LBRR on at 24-32 kb/s no DRED at all).  ``Encoder(bitrate=TOTAL, allocation="auto")``
instead picks the split that scored best in a measurement:

* :func:`auto_split` reads :data:`TABLE` (primary share of the total, LBRR on/off, DRED
  duration and quantisers q0/dQ, by total bitrate and expected loss) and gives a
  :class:`Split`; DRED gets the rest of the total.  Measured: without loss everything
  goes to the primary; under loss fine quantisers over few latents beat coarse ones
  over the whole second (what ``own_budget``'s duration-first rule gives), and LBRR
  from libopus 1.3 costs more than it brings.
* :class:`TotalRateCap` holds the stream to the total: the primary packets' real sizes
  are counted, and each packet's DRED may only use what is left of the total's credit
  (a token bucket that keeps at most ``window_ms`` of unused credit), so the mean
  bitrate of the produced packets stays at or below the total whenever the primary
  encoder alone does (libopus 1.3's VBR spends 92-95 % of its target on speech).

The table comes from ``benchmarks/alloc_search.py`` (training speech other than the dev
set, loss patterns from :mod:`dredfast.lossmodels`, not the anchors' traces); its
measurements are in ``benchmarks/allocation/alloc_search.csv`` with a plot and a README
beside it (the curve and what it shows); the README's "Choosing the split" section
summarises it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from ._checks import as_int


@dataclass(frozen=True)
class Split:
    """One way to spend a total bitrate."""

    primary_bitrate: int  #: target handed to the primary Opus encoder (VBR), b/s
    lbrr: bool            #: in-band FEC (LBRR) in the primary; libopus takes its bits from the primary's
    dred_ms: int          #: DRED duration requested (0 = no DRED)
    dred_bitrate: int     #: DRED's nominal share of the total, b/s
    #: DRED's quantiser of the newest latent and slope (``DredBudget.q0``/``dq``); None:
    #: :func:`dredfast.dred_budget.own_budget` fits them to ``dred_bitrate`` for all of
    #: ``dred_ms``.  With them set, the packet's leftover credit under the total
    #: (:class:`TotalRateCap`) decides how many latents go out, oldest dropped first.
    q0: Optional[int] = None
    dq: Optional[int] = None
    #: The loss rate the primary encoder is told (SILK trades coding efficiency for
    #: robustness with it; LBRR's share grows with it); None: the expected loss.
    primary_loss_pct: Optional[int] = None


#: (total b/s, expected loss %) -> (primary share of the total, LBRR, DRED ms, q0, dQ).
#: Measured by benchmarks/alloc_search.py (benchmarks/allocation/README.md): the best mean
#: PESQ-WB of the candidates tried at that total on the training speech under the
#: generated losses of that rate (0: no loss; 10: Gilbert 10 %; 20: Gilbert 20 % / 25 % and
#: the loss generator at 20 %).
TABLE: Tuple[Tuple[int, int, float, bool, int, int, int], ...] = (
    # total, loss, primary share, lbrr, dred_ms, q0, dq
    (24000, 0, 1.0, False, 0, 0, 0),
    (40000, 0, 1.0, False, 0, 0, 0),
    (24000, 10, 0.667, False, 1000, 9, 5),
    (32000, 10, 0.5625, False, 160, 9, 5),
    (40000, 10, 0.6, False, 1000, 6, 3),
    (24000, 20, 0.625, False, 160, 9, 5),
    (32000, 20, 0.5625, False, 1000, 6, 5),
    (40000, 20, 0.5, False, 1000, 6, 5),
)

#: DRED below this many b/s carries too little to help (the 2-byte prefix, the
#: extension framing, the initial state and one latent take about 4 kb/s at q0 9):
#: it goes to the primary instead.
MIN_DRED_BITRATE = 5000


def _cell(total: int, loss: int) -> Tuple[float, bool, int, int, int]:
    """The table's rows for the measured loss nearest ``loss`` (ties: the higher), the
    primary share interpolated linearly in the total between measured totals and held
    beyond them; LBRR, duration and quantisers from the nearer total."""
    losses = sorted({r[1] for r in TABLE})
    row_loss = min(losses, key=lambda x: (abs(x - loss), -x))
    rows = sorted((r for r in TABLE if r[1] == row_loss), key=lambda r: r[0])
    if total <= rows[0][0]:
        return rows[0][2:]
    if total >= rows[-1][0]:
        return rows[-1][2:]
    for a, b in zip(rows, rows[1:]):
        if a[0] <= total <= b[0]:
            t = (total - a[0]) / (b[0] - a[0])
            near = a if t < 0.5 else b
            return (a[2] + t * (b[2] - a[2]),) + near[3:]
    raise AssertionError("unreachable")


def auto_split(total_bitrate: int, packet_loss_pct: int) -> Split:
    """The split :data:`TABLE` gives for a total of ``total_bitrate`` b/s (primary +
    LBRR + DRED, what the packets may carry on average) and ``packet_loss_pct`` % of
    expected loss."""
    total = as_int(total_bitrate, "bitrate", 6000, 510000)
    loss = as_int(packet_loss_pct, "packet_loss_pct", 0, 100)
    share, lbrr, dred_ms, q0, dq = _cell(total, loss)
    primary = int(round(total * share))
    dred = total - primary
    if dred_ms == 0 or dred < MIN_DRED_BITRATE:
        return Split(total, lbrr, 0, 0)
    return Split(primary, lbrr, dred_ms, dred, q0, dq)


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
