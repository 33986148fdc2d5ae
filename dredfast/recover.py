"""Recovering recorded streams: a folder of ``.opus`` (Ogg Opus) / ``.pkts`` files or
packet captures of RTP (``.pcap`` / ``.pcapng``) with their losses in, recovered WAV files and a report of what was filled how out
(``dredfast recover``).  Runs on the evaluation engine (:mod:`dredfast.evaluate`): one
task per file on Dask or in this process, report rows streamed to disk, resumable.

Where the losses are:

* ``.pkts``: an empty record is a packet slot that did not arrive (how dredfast's tools
  and the reference vectors write losses);
* ``.opus``: missing pages.  Each page's granule position counts the 48 kHz samples
  decoded by its end, so when the samples between two pages' granules exceed what the
  later page's packets hold, the difference is packets lost with the pages in between
  (counted in frames of the packets around them).  A packet broken off by a lost page
  reaches the receiver as a bad packet and is concealed (counted as ``bad``);
* ``.pcap`` / ``.pcapng``: missing RTP sequence numbers of the capture's Opus stream
  (:mod:`dredfast.pcap`: the SSRC with the most packets of a dynamic payload type),
  reordered packets put back in order, duplicates dropped.

Every lost slot is filled with the whole recording available: the look-ahead of a lost
packet is the stream up to the next packet that arrived (up to 1 s), as opus_demo and
libopus's reference figures decode, so DRED and LBRR are used wherever they cover.
"""
from __future__ import annotations

import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: Report columns (one row per file); ``file`` is the key a resumed run skips.
COLUMNS = ("file", "format", "slots", "received", "lost", "n_normal", "n_lbrr", "n_dred", "n_plc", "n_bad",
           "duration_s", "sample_rate", "channels", "output", "cpu_s", "worker")
KEY = ("file",)
#: Longest look-ahead handed to the receiver (slots): DRED reaches back 1 s.
MAX_LOOKAHEAD = 50
SUFFIXES = (".opus", ".pkts", ".pcap", ".pcapng")


@dataclass(frozen=True)
class RecoverTask:
    """Recover ``path`` into ``out_dir`` (``<stem>.wav``)."""

    path: str
    out_dir: str
    sample_rate: Optional[int] = None   #: None: 48000 for .opus and captures, 16000 for .pkts
    vocoder: str = "fargan"
    history: str = "shadow"

    @property
    def key(self) -> Tuple[str]:
        return (os.path.basename(self.path),)


def _ogg_slots(path: str) -> Tuple[List[Optional[bytes]], Dict]:
    """Packet slots of an Ogg Opus file (None = lost) and its header facts."""
    from .ogg import read_opus
    from .rtp import opus_duration

    ogg = read_opus(path)
    if ogg.head.channels not in (1, 2):
        raise ValueError(f"{path}: {ogg.head.channels} channels; recover handles mono and stereo Opus")
    slots: List[Optional[bytes]] = []
    prev_granule = 0
    frame = None
    i = 0
    pk, gr = ogg.packets, ogg.granules
    while i < len(pk):
        j = i
        while j < len(pk) and gr[j] == gr[i]:
            j += 1
        page = pk[i:j]
        durs = [opus_duration(p) for p in page]
        frame = frame or next((d for d in durs if d), None)
        held = sum(d for d in durs if d)
        gap = gr[i] - prev_granule - held
        if gr[i] >= 0 and frame and gap >= frame:
            slots.extend([None] * int(round(gap / frame)))
        slots.extend(page)
        if gr[i] >= 0:
            prev_granule = gr[i]
        i = j
    return slots, {"channels": ogg.head.channels, "pre_skip": ogg.head.pre_skip, "length48": ogg.length}


def read_stream(path: str) -> Tuple[List[Optional[bytes]], Dict]:
    """(slots, facts) of a recorded stream: one entry per packet slot, None where lost."""
    from .packets import read_packets

    if path.endswith(".opus"):
        return _ogg_slots(path)
    if path.endswith(".pkts"):
        return [p if p else None for p in read_packets(path)], {"channels": 1, "pre_skip": 0, "length48": None}
    if path.endswith((".pcap", ".pcapng")):
        from .pcap import rtp_slots, udp_payloads

        slots, info = rtp_slots(udp_payloads(path))
        first = next(p for p in slots if p)
        # The TOC's stereo flag (RFC 6716 3.1) of the stream's first packet.
        return slots, {"channels": 2 if first[0] & 4 else 1, "pre_skip": 0, "length48": None}
    raise ValueError(f"{path}: not a .opus, .pkts, .pcap or .pcapng file")


def recover_file(task: RecoverTask) -> Dict:
    """Recovers one file; writes ``<out_dir>/<stem>.wav``; returns its report row."""
    import soundfile

    from .receiver import Receiver

    t0 = time.process_time()
    slots, facts = read_stream(task.path)
    if not slots:
        raise ValueError(f"{task.path}: no packets")
    is_ogg = task.path.endswith(".opus")
    fmt = "opus" if is_ogg else "pkts" if task.path.endswith(".pkts") else "rtp"
    rate = task.sample_rate or (16000 if fmt == "pkts" else 48000)
    ch = facts["channels"]
    rx = Receiver(rate, vocoder=task.vocoder, channels=ch, history=task.history)
    out = []
    n = len(slots)
    for t, p in enumerate(slots):
        ahead: List[Optional[bytes]] = []
        if p is None:
            for m in range(t + 1, min(n, t + 1 + MAX_LOOKAHEAD)):
                ahead.append(slots[m])
                if slots[m] is not None:
                    break
            while ahead and ahead[-1] is None:
                ahead.pop()
        out.append(rx.decode(p, lookahead=ahead))
    y = np.concatenate(out)
    if is_ogg:
        # RFC 7845: drop the pre-skip, trim to the stream's length (both in 48 kHz samples).
        skip = facts["pre_skip"] * rate // 48000
        y = y[skip:]
        if facts["length48"]:
            y = y[: facts["length48"] * rate // 48000]
    Path(task.out_dir).mkdir(parents=True, exist_ok=True)
    wav = Path(task.out_dir) / (Path(task.path).stem + ".wav")
    soundfile.write(str(wav), np.clip(y, -1.0, 32767 / 32768), rate, subtype="PCM_16")
    st = rx.stats
    lost = sum(p is None for p in slots)
    return {"file": os.path.basename(task.path), "format": fmt, "slots": n,
            "received": n - lost, "lost": lost, "n_normal": st.normal, "n_lbrr": st.lbrr,
            "n_dred": st.dred, "n_plc": st.plc, "n_bad": st.bad_packets, "duration_s": round(len(y) / rate, 3),
            "sample_rate": rate, "channels": ch, "output": str(wav), "cpu_s": round(time.process_time() - t0, 4),
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def find_inputs(inputs: Sequence[str]) -> List[str]:
    """The .opus / .pkts / .pcap / .pcapng files among ``inputs`` (files, or folders searched
    one level)."""
    files: List[str] = []
    for x in inputs:
        if os.path.isdir(x):
            files += sorted(str(p) for p in Path(x).iterdir() if p.suffix in SUFFIXES and p.is_file())
        elif os.path.isfile(x):
            files.append(x)
        else:
            raise FileNotFoundError(f"{x}: no such file or folder")
    stems = [Path(f).stem for f in files]
    if len(set(stems)) != len(stems):
        dup = sorted({s for s in stems if stems.count(s) > 1})
        raise ValueError(f"inputs share a name ({', '.join(dup)}): outputs are <name>.wav, one per name")
    return files


def recover(inputs: Sequence[str], out_dir: str, *, sample_rate: Optional[int] = None, vocoder: str = "fargan",
            history: str = "shadow", scheduler: str = "local", workers: int = 2, progress: bool = True) -> Dict:
    """Recovers every input into ``out_dir`` (WAV files, ``report.csv``, ``errors.jsonl``);
    files already in the report are skipped (resume).  Returns ``{"report": RunReport,
    "rows": [...]}`` (all rows of the report, earlier runs' included)."""
    from .evaluate.results import ResultsFile
    from .evaluate.runner import run

    files = find_inputs(inputs)
    tasks = [RecoverTask(f, out_dir, sample_rate, vocoder, history) for f in files]
    with ResultsFile(out_dir, "report.csv", COLUMNS, KEY) as res:
        rep = run(tasks, res, scheduler=scheduler, workers=workers, progress=progress, fn=recover_file,
                  name="recover")
        rows = res.rows()
    return {"report": rep, "rows": rows}


def format_report(rows: Sequence[Dict]) -> str:
    lines = [f"{'file':32s} {'slots':>6s} {'lost':>5s} | {'normal':>6s} {'lbrr':>5s} {'dred':>5s} {'plc':>5s} "
             f"{'bad':>4s} | {'s':>7s}"]
    for r in rows:
        lines.append(f"{r['file'][:32]:32s} {int(r['slots']):6d} {int(r['lost']):5d} | {int(r['n_normal']):6d} "
                     f"{int(r['n_lbrr']):5d} {int(r['n_dred']):5d} {int(r['n_plc']):5d} {int(r['n_bad']):4d} | "
                     f"{float(r['duration_s']):7.1f}")
    return "\n".join(lines)
