"""How a sender with a total bitrate splits it between the primary audio, LBRR and DRED.

libopus 1.6.1 takes DRED's bits out of the primary by fixed rules (``dred_budget.py``:
at 24 kb/s and 20 % loss 9 kb/s of budget but only 4 latents, 160 ms, are sent; with
LBRR on at 24-32 kb/s no DRED at all).  ``Encoder(bitrate=TOTAL, allocation="auto")``
instead picks the split that scored best in a measurement:

* :func:`auto_split` reads :data:`TABLE` (primary share of the total, LBRR on/off, DRED
  duration and quantisers q0/dQ, DRED's steady share, by total bitrate and expected loss)
  and gives a :class:`Split`.  Measured: without loss everything goes to the primary;
  under loss DRED with fine quantisers and a steady share per packet, the primary's
  bitrate steered around it, beats DRED taking what the primary leaves.
* :class:`TotalRateCap` holds the stream to the total: the primary packets' real sizes
  are counted, and each packet's DRED may only use what is left of the total's credit
  (a token bucket that keeps at most ``window_ms`` of unused credit), so the mean
  bitrate of the produced packets stays at or below the total whenever the primary
  encoder alone does; with ``Split.hold == "primary"`` it also sets the primary's
  bitrate before each packet so that credit stays banked for DRED.

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
    #: DRED's share, b/s: its nominal share of the total (``hold="dred"``), or the most one
    #: packet's DRED may carry, as a rate (``hold="primary"``)
    dred_bitrate: int
    #: DRED's quantiser of the newest latent and slope (``DredBudget.q0``/``dq``); None:
    #: :func:`dredfast.dred_budget.own_budget` fits them to ``dred_bitrate`` for all of
    #: ``dred_ms``.  With them set, the packet's leftover credit under the total
    #: (:class:`TotalRateCap`) decides how many latents go out, oldest dropped first.
    q0: Optional[int] = None
    dq: Optional[int] = None
    #: The loss rate the primary encoder is told (SILK trades coding efficiency for
    #: robustness with it; LBRR's share grows with it); None: the expected loss.
    primary_loss_pct: Optional[int] = None
    #: What gives way so that the packets' mean stays within the total.  ``"dred"``: the
    #: primary codes at ``primary_bitrate`` and each packet's DRED gets what the primary
    #: left of the credit (a large primary packet leaves the next ones without DRED).
    #: ``"primary"``: each packet's DRED gets up to ``dred_bitrate``'s worth (still never
    #: more than the credit), and the primary's bitrate is steered around
    #: ``primary_bitrate`` to hold the total (:meth:`TotalRateCap.primary_target`).
    #: Measured (benchmarks/allocation/README.md): with "dred", 12 % of the packets of a
    #: 24 kb/s stream went out without DRED, and losses after them went to the PLC.
    hold: str = "dred"


#: (total b/s, expected loss %) -> (primary share of the total, LBRR, DRED ms, q0, dQ, DRED
#: share: the most one packet's DRED may carry, as a fraction of the total, with the primary
#: steered; None: DRED gets what the primary leaves, ``hold="dred"``).
#: Measured by benchmarks/alloc_search.py (benchmarks/allocation/README.md), primary coded by
#: libopus 1.6.1: the best mean PESQ-WB of the candidates tried at that total, among those
#: whose STOI is within 0.005 of libopus's own split's or above, on the training speech
#: under the generated losses of that rate (0: no loss; 10: Gilbert 10 %; 20: Gilbert 20 % /
#: 25 % and the loss generator at 20 %).
TABLE: Tuple[Tuple[int, int, float, bool, int, int, int, Optional[float]], ...] = (
    # total, loss, primary share, lbrr, dred_ms, q0, dq, DRED share (None: hold="dred")
    (24000, 0, 1.0, False, 0, 0, 0, None),
    (40000, 0, 1.0, False, 0, 0, 0, None),
    (24000, 10, 0.625, False, 160, 9, 5, None),
    (32000, 10, 0.55, False, 1000, 5, 5, 0.45),
    (40000, 10, 0.5, False, 1000, 5, 4, 0.5),
    (24000, 20, 0.6, False, 160, 9, 5, 0.56),
    (32000, 20, 0.45, False, 1000, 5, 5, 0.55),
    (40000, 20, 0.5, False, 1000, 5, 5, 0.5),
)

#: DRED below this many b/s carries too little to help (the 2-byte prefix, the
#: extension framing, the initial state and one latent take about 4 kb/s at q0 9):
#: it goes to the primary instead.
MIN_DRED_BITRATE = 5000


def _cell(total: int, loss: int) -> Tuple[float, bool, int, int, int, Optional[float]]:
    """The table's rows for the measured loss nearest ``loss`` (ties: the higher), the
    primary's (and a steered DRED's) share interpolated linearly in the total between
    measured totals and held beyond them; LBRR, duration and quantisers from the nearer
    total."""
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
            da, db = a[7], b[7]
            dred_share = da + t * (db - da) if da is not None and db is not None else near[7]
            return (a[2] + t * (b[2] - a[2]),) + near[3:7] + (dred_share,)
    raise AssertionError("unreachable")


def auto_split(total_bitrate: int, packet_loss_pct: int) -> Split:
    """The split :data:`TABLE` gives for a total of ``total_bitrate`` b/s (primary +
    LBRR + DRED, what the packets may carry on average) and ``packet_loss_pct`` % of
    expected loss."""
    total = as_int(total_bitrate, "bitrate", 6000, 510000)
    loss = as_int(packet_loss_pct, "packet_loss_pct", 0, 100)
    share, lbrr, dred_ms, q0, dq, dred_share = _cell(total, loss)
    primary = int(round(total * share))
    dred = total - primary if dred_share is None else int(round(total * dred_share))
    if dred_ms == 0 or dred < MIN_DRED_BITRATE:
        return Split(total, lbrr, 0, 0)
    return Split(primary, lbrr, dred_ms, dred, q0, dq, hold="dred" if dred_share is None else "primary")


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

    #: Credit, in packets' worth of the total, that a steered primary aims to leave banked:
    #: without a margin the credit hovers at zero and every primary packet above the
    #: average leaves its DRED out.  Measured on the training speech (24 and 40 kb/s, 20 %
    #: loss): PESQ-WB within 0.01 of a primary steered without the credit limit on DRED.
    SETPOINT_PACKETS = 2
    #: How long the steering takes to pay back a credit difference.
    HORIZON_MS = 1000

    def __init__(self, total_bitrate: int, frame_ms: int, window_ms: int = 1000):
        self.frame_ms = frame_ms
        self.per_packet = total_bitrate * frame_ms / 8000.0
        self.max_credit = total_bitrate * window_ms / 8000.0
        self.credit = 0.0

    def primary_target(self, nominal: int) -> int:
        """Bitrate for the primary's next packet when the primary absorbs the difference
        from the total: ``nominal`` corrected by the credit's distance from
        ``SETPOINT_PACKETS`` packets' worth, paid back over ``HORIZON_MS`` (credit to
        spare raises it, debt lowers it), kept within half and one and a half times
        ``nominal`` and at least 6 kb/s."""
        t = nominal + (self.credit - self.SETPOINT_PACKETS * self.per_packet) * 8000.0 / self.HORIZON_MS
        return int(min(1.5 * nominal, 510000.0, max(0.5 * nominal, 6000.0, t)))

    def dred_room(self, dred_bitrate: int) -> int:
        """Most DRED payload bytes one packet may carry at ``dred_bitrate`` b/s (the
        extension's framing and 2-byte prefix included in the rate)."""
        return max(0, int(dred_bitrate * self.frame_ms / 8000.0) - self.OVERHEAD - 2)

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
