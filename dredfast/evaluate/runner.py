"""Runs evaluation tasks on Dask (a LocalCluster by default, or any running scheduler) or in
this process, streaming rows to a :class:`ResultsFile`."""
from __future__ import annotations

import hashlib
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from .results import ResultsFile
from .tasks import Task, run_task

CLUSTER_HINT = "evaluate runs on Dask: pip install 'dredfast[cluster]' (or use --scheduler serial)"


@dataclass
class RunReport:
    """What a run did: tasks already in the CSV (skipped), finished now, failed now."""

    total: int
    skipped: int
    finished: int = 0
    failed: List[str] = field(default_factory=list)
    wall_s: float = 0.0


def _task_key(t, prefix: str) -> str:
    # Dask keys must be unique per task and stable (a resubmitted run reuses nothing
    # unless it is the same task); a short hash of the key columns.
    h = hashlib.sha1("\x1f".join(t.key).encode()).hexdigest()[:16]
    return f"dredfast-{prefix}-{h}"


class Progress:
    """One line per finished task on ``stream``: count, the row's figures, ETA."""

    def __init__(self, total: int, stream=sys.stderr, enabled: bool = True,
                 show=("pesq_wb", "stoi", "plcmos", "lost", "n_dred", "n_plc")):
        self.total, self.stream, self.enabled, self.show = total, stream, enabled, show
        self.done = 0
        self.t0 = time.monotonic()

    def __call__(self, key, row: Optional[dict], error: Optional[str] = None) -> None:
        self.done += 1
        if not self.enabled:
            return
        el = time.monotonic() - self.t0
        eta = el / self.done * (self.total - self.done)
        what = " ".join(key)
        if error is not None:
            msg = f"FAILED: {error.strip().splitlines()[-1] if error.strip() else error}"
        else:
            msg = " ".join(f"{k} {row[k]}" for k in self.show if row.get(k) not in (None, ""))
        self.stream.write(f"[{self.done}/{self.total} {el:6.0f} s, ETA {eta:5.0f} s] {what}: {msg}\n")
        self.stream.flush()


def run(tasks: Sequence[Task], results: ResultsFile, *, scheduler: str = "local", workers: int = 2,
        progress: bool = True, on_row: Optional[Callable[[dict], None]] = None,
        fn: Callable = run_task, name: str = "evaluate") -> RunReport:
    """Runs the tasks whose key is not in ``results`` yet; appends each row as it finishes.
    ``fn(task) -> row`` does one task (default :func:`run_task`; tasks have a ``key`` tuple).

    ``scheduler``: ``"local"`` (a ``distributed.LocalCluster`` of ``workers`` single-threaded
    worker processes, closed at the end), ``"serial"`` (this process, no Dask), or the
    address of a running Dask scheduler (``tcp://host:8786``; its workers must import
    dredfast and see the clip, packet and trace paths).  A failing task is recorded in
    ``errors.jsonl`` and reported; the others go on.  Dask reschedules the tasks of a
    worker that dies; a task that kills workers repeatedly fails alone (KilledWorker).
    """
    done = results.done_keys()
    seen = set()
    pending = []
    for t in tasks:
        if t.key in done or t.key in seen:
            continue
        seen.add(t.key)
        pending.append(t)
    rep = RunReport(total=len(tasks), skipped=len(tasks) - len(pending))
    t0 = time.monotonic()
    prog = Progress(len(pending), enabled=progress)
    if progress:
        sys.stderr.write(f"{name}: {len(tasks)} tasks, {rep.skipped} already in {results.path}, "
                         f"{len(pending)} to do ({scheduler})\n")

    def ok(t: Task, row: dict) -> None:
        results.append(row)
        rep.finished += 1
        prog(t.key, row)
        if on_row is not None:
            on_row(row)

    def bad(t: Task, err: str) -> None:
        results.error(t.key, err)
        rep.failed.append(" ".join(t.key) + ": " + (err.strip().splitlines() or ["?"])[-1])
        prog(t.key, None, err)

    if scheduler == "serial" or not pending:
        for t in pending:
            try:
                row = fn(t)
            except Exception:  # noqa: BLE001 - reported per task, the run goes on
                bad(t, traceback.format_exc())
                continue
            ok(t, row)
        rep.wall_s = time.monotonic() - t0
        return rep
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:
        raise ImportError(f"{CLUSTER_HINT} ({e})") from e
    cluster = None
    if scheduler == "local":
        # Single-threaded workers: the receiver and the metrics are single-threaded, and
        # one process per core is what scales; the dashboard on a free port (not the fixed
        # 8787 another cluster on the machine may hold).
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = {}
        for t in pending:
            f = client.submit(fn, t, key=_task_key(t, name), pure=False)
            futures[f] = t
        for f in as_completed(list(futures)):
            t = futures[f]
            if f.status == "finished":
                try:
                    row = f.result()
                except Exception:  # noqa: BLE001 - lost between status and result
                    bad(t, traceback.format_exc())
                    continue
                ok(t, row)
            else:
                exc = f.exception()
                tb = "".join(traceback.format_exception(type(exc), exc, f.traceback())) if exc else f.status
                bad(t, tb)
            f.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rep.wall_s = time.monotonic() - t0
    return rep
