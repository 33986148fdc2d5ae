"""Packet-loss simulation: speech -> Opus packets (with DRED) -> loss trace -> Receiver
-> recovered speech, with the quality figures and a picture of what happened."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

SAMPLE_RATE = 16000
FRAME = 320            # samples per 20 ms packet
DECODER_DELAY = 104    # Opus's encoder look-ahead at 16 kHz: the decoded output lags the input by this

#: How each 20 ms of output was produced (Receiver.last_kind), in the order of the plot legend.
KINDS = ("normal", "lbrr", "dred", "plc", "bad")


@dataclass
class SimResult:
    """Outcome of :func:`simulate`."""

    output: np.ndarray            #: recovered speech, aligned with the input (decoder delay removed)
    kinds: List[str]              #: per packet: how it was filled (see KINDS)
    lost: np.ndarray              #: per packet: lost in the trace
    packets_bytes: int            #: total bytes of all packets sent
    duration_s: float
    settings: Dict = field(default_factory=dict)
    metrics: Dict = field(default_factory=dict)

    @property
    def bitrate(self) -> float:
        """Average bitrate of the packets sent (b/s)."""
        return 8.0 * self.packets_bytes / self.duration_s if self.duration_s else 0.0

    def counts(self) -> Dict[str, int]:
        """Packets per kind."""
        return {k: sum(1 for x in self.kinds if x == k) for k in KINDS}

    def report(self) -> Dict:
        """A JSON-able summary."""
        lost = self.lost.astype(bool)
        bursts = _bursts(lost)
        return {
            "settings": self.settings,
            "duration_s": round(self.duration_s, 3),
            "packets": len(self.kinds),
            "lost_packets": int(lost.sum()),
            "loss_rate": round(float(lost.mean()) if len(lost) else 0.0, 4),
            "bursts": len(bursts),
            "max_burst": max(bursts) if bursts else 0,
            "filled_by": self.counts(),
            "bitrate_bps": round(self.bitrate),
            "metrics": self.metrics,
        }


def _bursts(lost: np.ndarray) -> List[int]:
    out, run = [], 0
    for x in lost:
        if x:
            run += 1
        elif run:
            out.append(run)
            run = 0
    if run:
        out.append(run)
    return out


def simulate(speech: np.ndarray, lost: Sequence[bool], *, packets: Optional[List[bytes]] = None,
             bitrate: int = 24000, lbrr: bool = True, dred_ms: int = 1000, dred_bitrate: Optional[int] = None,
             packet_loss_pct: int = 20, vocoder: str = "fargan", jitter_ms: int = 60,
             libopus: Optional[str] = None, weights=None, isa: Optional[str] = None,
             metrics: bool = True, use_dred: bool = True, use_lbrr: bool = True,
             crossfade_ms: Optional[float] = None, history: str = "shadow", plc_lookahead: Optional[int] = None,
             progress: Optional[Callable[[int, int], None]] = None) -> SimResult:
    """Runs 16 kHz ``speech`` through Opus encoding (or takes ``packets``), drops the packets
    marked in ``lost`` (one flag per 20 ms packet, True = lost; shorter traces are an error),
    and decodes the rest with a :class:`dredfast.Receiver` whose jitter buffer holds
    ``jitter_ms`` of later packets (its look-ahead for DRED and LBRR).

    ``metrics=True`` adds PESQ-WB, STOI (against ``speech``) and PLCMOS (needs the
    ``dredfast[metrics]`` extra).  ``use_dred``, ``use_lbrr``, ``crossfade_ms``, ``history``,
    ``plc_lookahead``:
    as for :class:`dredfast.Receiver`.
    """
    from .receiver import Receiver

    x = np.asarray(speech, dtype=np.float32)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError("speech must be a non-empty 1-D array")
    settings: Dict = {"vocoder": vocoder, "jitter_ms": jitter_ms}
    if packets is None:
        from .encoder import Encoder
        enc = Encoder(bitrate=bitrate, lbrr=lbrr, packet_loss_pct=packet_loss_pct, dred_ms=dred_ms,
                      dred_bitrate=dred_bitrate, libopus=libopus, weights=weights, isa=isa)
        # One more packet than the signal needs, so the decoded output (delayed by the
        # encoder look-ahead) covers the whole clip -- as in the reference vectors.
        padded = np.zeros((-(-len(x) // FRAME) + 1) * FRAME, np.float32)
        padded[:len(x)] = x
        packets = enc.encode_all(padded)
        settings.update(bitrate=bitrate, lbrr=lbrr, dred_ms=dred_ms, dred_bitrate=dred_bitrate,
                        primary_bitrate=enc.primary_bitrate, dred_budget=asdict(enc.dred_budget),
                        packet_loss_pct=packet_loss_pct)
    else:
        settings["packets"] = "given"
    n = len(packets)
    lost = np.asarray(lost, dtype=bool)
    if len(lost) < n:
        raise ValueError(f"the loss trace has {len(lost)} packets, the signal needs {n}")
    lost = lost[:n]
    depth = max(0, int(jitter_ms) // 20)
    rx = Receiver(vocoder=vocoder, weights=weights, libopus=libopus, isa=isa, use_dred=use_dred,
                  use_lbrr=use_lbrr, crossfade_ms=crossfade_ms, history=history, plc_lookahead=plc_lookahead)
    settings["plc_lookahead"] = rx.plc_lookahead
    out, kinds = [], []
    for i in range(n):
        pkt = None if lost[i] else packets[i]
        # Slots past the end are empty (and dropped below): no need to build them, which
        # for a "whole gap" buffer (jitter_ms=100000: 5000 slots) cost more than decoding.
        ahead = [None if lost[i + 1 + m] else packets[i + 1 + m] for m in range(min(depth, n - 1 - i))]
        while ahead and ahead[-1] is None:
            ahead.pop()
        out.append(rx.decode(pkt, lookahead=ahead))
        kinds.append(rx.last_kind)
        if progress is not None:
            progress(i + 1, n)
    y = np.concatenate(out)[DECODER_DELAY:DECODER_DELAY + len(x)]
    if len(y) < len(x):
        y = np.concatenate([y, np.zeros(len(x) - len(y), np.float32)])
    res = SimResult(y, kinds, lost, sum(len(p) for p in packets), n * FRAME / SAMPLE_RATE, settings)
    if metrics:
        res.metrics = quality(x, y)
    return res


def quality(ref: np.ndarray, deg: np.ndarray) -> Dict[str, float]:
    """PESQ-WB, STOI (against ``ref``) and PLCMOS of ``deg`` (16 kHz, aligned)."""
    from . import metrics as m
    return {"pesq_wb": round(float(m.pesq_wb(ref, deg)), 3), "stoi": round(float(m.stoi(ref, deg)), 3),
            "plcmos": round(float(m.plcmos(deg)), 3)}


#: Colours of the plot, by kind.
_COLOURS = {"lbrr": "#2ca02c", "dred": "#1f77b4", "plc": "#d62728", "bad": "#7f7f7f"}


def plot(result: SimResult, reference: np.ndarray, path: str, title: str = "") -> None:
    """Waveforms (reference and recovered) and the recovered spectrogram, with every lost
    packet shaded by how it was filled.  Needs matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install matplotlib") from e
    t = np.arange(len(reference)) / SAMPLE_RATE
    fig, ax = plt.subplots(3, 1, figsize=(12, 7), sharex=True)
    ax[0].plot(t, reference, lw=0.4, color="0.3")
    ax[0].set_ylabel("sent")
    ax[1].plot(t, result.output, lw=0.4, color="k")
    ax[1].set_ylabel("received")
    with np.errstate(divide="ignore"):
        ax[2].specgram(result.output + 1e-9, NFFT=512, Fs=SAMPLE_RATE, noverlap=384, cmap="magma")
    ax[2].set_ylabel("Hz")
    ax[2].set_xlabel("s")
    for i, kind in enumerate(result.kinds):
        if kind == "normal":
            continue
        # Packet i's audio appears DECODER_DELAY samples later in the decoded stream,
        # which the alignment removed again: it covers [i*FRAME, (i+1)*FRAME) - delay.
        a = (i * FRAME - DECODER_DELAY) / SAMPLE_RATE
        for axis in ax:
            axis.axvspan(a, a + FRAME / SAMPLE_RATE, color=_COLOURS.get(kind, "orange"), alpha=0.25, lw=0)
    counts = result.counts()
    handles = [Patch(color=c, alpha=0.4, label=f"{k.upper()} ({counts.get(k, 0)})") for k, c in _COLOURS.items()
               if counts.get(k, 0)]
    if handles:
        ax[0].legend(handles=handles, loc="upper right", fontsize=8)
    m = result.metrics
    sub = ", ".join(f"{k} {v}" for k, v in m.items())
    fig.suptitle((title + "\n" if title else "") + sub, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(result: SimResult, path: str) -> None:
    with open(path, "w") as f:
        json.dump(result.report(), f, indent=2)
