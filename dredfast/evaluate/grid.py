"""Building an evaluation grid: clips x traces x conditions -> tasks."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from .conditions import Condition
from .tasks import Task

#: The anchors' five loss traces (relative to the reference data's traces/ folder).
ANCHOR_TRACES = ("lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss10_burst8_seed1.txt",
                 "synthetic/ge_loss20_burst25_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt",
                 "synthetic/ge_loss30_burst8_seed1.txt")


def find_shared(given: Optional[str] = None) -> Optional[Path]:
    """The reference data folder (the one holding ``vectors/``, ``speech/``, ``traces/``):
    ``given``, else ``$DREDFAST_SHARED``; None when neither is set.  The installed package
    never guesses a path: only the ``dev`` clips, the anchors' traces and the conditions on
    the reference packets need that folder, and the user names it."""
    c = given or os.environ.get("DREDFAST_SHARED")
    if not c:
        return None
    if not (Path(c) / "vectors").is_dir():
        src = "--shared" if given else "$DREDFAST_SHARED"
        raise FileNotFoundError(f"{c} ({src}): no vectors/ folder there")
    return Path(c)


def resolve_clips(spec: str, shared: Optional[Path], limit: int = 0) -> List[Tuple[str, str]]:
    """(name, wav path) per clip.  ``spec``: ``dev`` (the shared dev set, in the vectors'
    order), a folder of WAV files, or comma-separated WAV paths.  ``limit``: the first N."""
    if spec == "dev":
        if shared is None:
            raise FileNotFoundError("--clips dev needs the shared folder (--shared or $DREDFAST_SHARED)")
        d = shared / "speech" / "dev"
        names = sorted(p.stem for p in d.glob("*.wav"))
        settings = shared / "vectors" / "settings.json"
        if settings.is_file():
            order = json.loads(settings.read_text()).get("clips", [])
            names = [c for c in order if c in names] + [c for c in names if c not in order]
        clips = [(n, str(d / f"{n}.wav")) for n in names]
    elif os.path.isdir(spec):
        clips = [(p.stem, str(p)) for p in sorted(Path(spec).glob("*.wav"))]
    else:
        clips = [(Path(p).stem, p) for p in spec.split(",") if p]
    if not clips:
        raise ValueError(f"no clips in {spec!r}")
    return clips[: limit or None]


def resolve_traces(spec: str) -> List[str]:
    """Trace specs: ``anchors`` (the five of the anchors) or comma-separated trace files
    (relative to the shared traces folder) / loss models (``ge:loss=0.2:burst=8:seed=1``)."""
    if spec == "anchors":
        return list(ANCHOR_TRACES)
    out = [s.strip() for s in spec.split(",") if s.strip()]
    if not out:
        raise ValueError("no traces")
    return out


def make_tasks(clips: Sequence[Tuple[str, str]], traces: Sequence[str], conditions: Sequence[Condition],
               shared: Optional[Path], *, seconds: float = 0.0, metrics: Sequence[str] = ("pesq_wb", "stoi", "plcmos"),
               score_libopus: bool = False) -> List[Task]:
    """One task per clip x trace x condition (clip-major, so finished rows fill clip by clip)."""
    tdir = str(shared / "traces") if shared is not None else None
    vdir = str(shared / "vectors") if shared is not None and (shared / "vectors").is_dir() else None
    return [Task(name, wav, tr, c.to_dict(), traces_dir=tdir, vectors_dir=vdir, seconds=seconds,
                 metrics=tuple(metrics), score_libopus=score_libopus)
            for name, wav in clips for tr in traces for c in conditions]
