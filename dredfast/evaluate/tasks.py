"""One task of an evaluation: a clip under a loss trace in one condition -> one tidy row.

Tasks are plain data (picklable, small) so a Dask worker anywhere can run them; the work
reads the clip, packets and trace itself from paths the worker must see (a shared folder
on a cluster)."""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from .conditions import Condition

#: Columns of the results CSV, in order.  ``key`` columns identify a run (resume skips
#: rows already there); ``libopus_*``: the vectors' decoded PCM scored by the same metrics
#: (only with ``score_libopus``); ``cpu_*``: process CPU seconds in the worker.
KEY = ("clip", "trace", "condition", "vocoder")
COLUMNS = KEY + ("pesq_wb", "stoi", "plcmos", "packets", "lost", "n_normal", "n_lbrr", "n_dred", "n_plc",
                 "n_bad", "bitrate", "audio_s", "cpu_decode_s", "cpu_metrics_s",
                 "libopus_pesq_wb", "libopus_stoi", "libopus_plcmos", "worker")
#: The vectors' PLC-mode PCM conceals at once; opus_demo-style elsewhere.  Trace of the
#: vectors' decoded PCM (see benchmarks/quality_receiver.py --trace vectors).
VECTOR_TRACE = "synthetic/ge_loss20_burst8_seed1.txt"


@dataclass(frozen=True)
class Task:
    """Clip ``clip`` (16 kHz WAV at ``wav``) under ``trace`` in ``condition``."""

    clip: str
    wav: str
    trace: str
    condition: Dict
    traces_dir: Optional[str] = None
    vectors_dir: Optional[str] = None
    seconds: float = 0.0            #: only the first seconds of the clip (0 = all)
    metrics: Tuple[str, ...] = ("pesq_wb", "stoi", "plcmos")
    score_libopus: bool = False

    @property
    def key(self) -> Tuple[str, str, str, str]:
        return (self.clip, self.trace, self.condition["name"], self.condition["vocoder"])


def load_loss(spec: str, n: int, traces_dir: Optional[str] = None) -> np.ndarray:
    """Loss flags (True = lost) for n packets from a trace spec: a trace file (0 = lost, one
    line per packet; relative names are looked up in ``traces_dir`` first), or a loss model
    ``ge:loss=0.2:burst=8:seed=1`` (Gilbert-Elliott) / ``lossgen:loss=0.2:seed=1``
    (libopus's LossGen network) / ``none``."""
    from .. import lossmodels
    from ..traces import load_trace

    if spec == "none":
        return np.zeros(n, bool)
    kind, _, rest = spec.partition(":")
    if kind in ("ge", "lossgen") and rest:
        args = {}
        for part in rest.split(":"):
            k, eq, v = part.partition("=")
            if not eq:
                raise ValueError(f"loss model {spec!r}: expected key=value, got {part!r}")
            args[k] = float(v) if k != "seed" else int(v)
        if kind == "ge":
            return lossmodels.gilbert_elliott(n, **args).astype(bool)
        return lossmodels.lossgen(n, **args).astype(bool)
    p = Path(spec)
    if not p.is_absolute() and traces_dir is not None and (Path(traces_dir) / p).is_file():
        p = Path(traces_dir) / p
    lost = load_trace(p)
    if len(lost) < n:
        raise ValueError(f"trace {spec} has {len(lost)} packets, the clip needs {n}")
    return lost[:n]


def scores(ref: np.ndarray, deg: np.ndarray, which) -> Dict[str, float]:
    """The metrics in ``which`` of ``deg`` against ``ref``, rounded to 3 decimals as
    :func:`dredfast.simulate.quality` (whose figures the README's tables are)."""
    from .. import metrics as m
    out = {}
    for k in which:
        if k == "pesq_wb":
            out[k] = round(float(m.pesq_wb(ref, deg)), 3)
        elif k == "stoi":
            out[k] = round(float(m.stoi(ref, deg)), 3)
        elif k == "plcmos":
            out[k] = round(float(m.plcmos(deg)), 3)
        else:
            raise ValueError(f"unknown metric {k!r} (pesq_wb, stoi, plcmos)")
    return out


def run_task(task: Task) -> Dict:
    """Runs one task; returns its row (all of :data:`COLUMNS`).  Raises on failure (the
    runner records the error per task)."""
    from ..audio import read_wav
    from ..packets import read_packets
    from ..simulate import DECODER_DELAY, FRAME, simulate

    cond = Condition.from_dict(task.condition)
    x, fs = read_wav(task.wav)
    if fs != 16000:
        raise ValueError(f"{task.wav}: {fs} Hz; evaluate works on 16 kHz clips")
    x = np.asarray(x, np.float32)
    if task.seconds:
        x = x[: int(task.seconds * 16000)]
    t0 = time.process_time()
    if cond.packets == "encode":
        n = -(-len(x) // FRAME) + 1
        lost = load_loss(task.trace, n, task.traces_dir)
        res = simulate(x, lost, bitrate=cond.bitrate, lbrr=cond.lbrr, dred_ms=cond.dred_ms,
                       dred_bitrate=cond.dred_bitrate, vocoder=cond.vocoder, jitter_ms=cond.jitter_ms,
                       history=cond.history, use_dred=cond.use_dred, use_lbrr=cond.use_lbrr,
                       crossfade_ms=cond.crossfade_ms, plc_lookahead=cond.plc_lookahead, metrics=False)
    else:
        if task.vectors_dir is None:
            raise ValueError(f"condition {cond.name} takes the vectors' {cond.packets} packets: no vectors folder")
        pk = read_packets(Path(task.vectors_dir) / task.clip / f"{cond.packets}.pkts")
        if task.seconds:
            pk = pk[: -(-len(x) // FRAME) + 1]
        lost = load_loss(task.trace, len(pk), task.traces_dir)
        res = simulate(x, lost, packets=pk, vocoder=cond.vocoder, jitter_ms=cond.jitter_ms,
                       use_dred=cond.use_dred, use_lbrr=cond.use_lbrr, history=cond.history,
                       crossfade_ms=cond.crossfade_ms, plc_lookahead=cond.plc_lookahead, metrics=False)
    t1 = time.process_time()
    m = scores(x, res.output, task.metrics)
    ref: Dict = {}
    # The vectors' decoded PCM was made under VECTOR_TRACE only.
    if task.score_libopus and task.trace == VECTOR_TRACE and cond.libopus_mode and cond.packets != "encode":
        arrays = np.load(Path(task.vectors_dir) / task.clip / "arrays.npz")
        k = f"{cond.packets}_dec_{cond.libopus_mode}"
        if k in arrays.files:
            pcm = arrays[k].astype(np.float32) / 32768
            y = pcm[DECODER_DELAY:DECODER_DELAY + len(x)]
            y = np.concatenate([y, np.zeros(len(x) - len(y), np.float32)])
            ref = {f"libopus_{a}": b for a, b in scores(x, y, task.metrics).items()}
    t2 = time.process_time()
    c = res.counts()
    row = {"clip": task.clip, "trace": task.trace, "condition": cond.name, "vocoder": cond.vocoder,
           **m, "packets": len(res.kinds), "lost": int(res.lost.sum()),
           **{f"n_{k}": c[k] for k in ("normal", "lbrr", "dred", "plc", "bad")},
           "bitrate": round(res.bitrate, 1), "audio_s": round(res.duration_s, 3),
           "cpu_decode_s": round(t1 - t0, 4), "cpu_metrics_s": round(t2 - t1, 4), **ref,
           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    return {k: row.get(k, "") for k in COLUMNS}
