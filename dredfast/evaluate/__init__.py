"""Corpus-scale evaluation of the receiver: clips x loss traces x conditions -> a tidy CSV
(one row per run), a summary table and a plot, run on Dask (``dredfast evaluate``).

    from dredfast.evaluate import evaluate
    summary = evaluate("out/", clips="dev", traces="anchors", conditions="dred,plc_dredstream,lbrr_plc")

Rows stream to ``out/results.csv`` as runs finish; running it again skips rows already
there (resume); failures go to ``out/errors.jsonl`` without stopping the others.  Dask
(``pip install 'dredfast[cluster]'``): a LocalCluster by default, any running scheduler
with ``scheduler="tcp://host:8786"``, or ``scheduler="serial"`` for no Dask at all.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from .conditions import PRESETS, Condition, parse_conditions
from .grid import ANCHOR_TRACES, find_shared, make_tasks, resolve_clips, resolve_traces
from .report import format_table, load_anchors, plot, summarize, write_summary_csv
from .results import ResultsFile, read_rows
from .runner import RunReport, run
from .tasks import COLUMNS, KEY, Task, run_task

__all__ = ["evaluate", "Condition", "PRESETS", "parse_conditions", "Task", "run_task", "run", "RunReport",
           "ResultsFile", "read_rows", "summarize", "format_table", "COLUMNS", "KEY", "ANCHOR_TRACES"]


def evaluate(out: Union[str, Path], *, clips: str = "dev", traces: str = "anchors",
             conditions: Union[str, Sequence[Condition]] = "dred,plc_dredstream,lbrr_plc",
             vocoder: Optional[str] = None, history: Optional[str] = None, shared: Optional[str] = None,
             max_clips: int = 0, seconds: float = 0.0, metrics: Sequence[str] = ("pesq_wb", "stoi", "plcmos"),
             score_libopus: bool = False, scheduler: str = "local", workers: int = 2, progress: bool = True,
             make_plot: bool = True) -> Dict:
    """Runs the grid into folder ``out`` and writes ``summary.txt``, ``summary.csv``,
    ``summary_by_trace.csv`` and ``summary.png`` there.  Returns ``{"report": RunReport,
    "summary": [...], "table": str, "rows": [...]}`` (the summary over every row of the
    grid in ``results.csv``, including rows of earlier runs)."""
    sh = find_shared(shared)
    conds = (parse_conditions(conditions, vocoder=vocoder, history=history) if isinstance(conditions, str)
             else list(conditions))
    clip_list = resolve_clips(clips, sh, max_clips)
    trace_list = resolve_traces(traces)
    if sh is None:
        # Say it once, before any task runs, rather than once per failed task.
        if traces == "anchors":
            raise FileNotFoundError("--traces anchors needs the reference data folder (--shared or $DREDFAST_SHARED)")
        need = sorted({c.name for c in conds if c.packets != "encode"})
        if need:
            raise FileNotFoundError(f"conditions {', '.join(need)} decode the reference packets: they need the "
                                    "reference data folder (--shared or $DREDFAST_SHARED)")
    tasks = make_tasks(clip_list, trace_list, conds, sh, seconds=seconds, metrics=metrics,
                       score_libopus=score_libopus)
    outp = Path(out)
    t0 = time.monotonic()
    with ResultsFile(outp) as res:
        rep = run(tasks, res, scheduler=scheduler, workers=workers, progress=progress)
        keys = {t.key for t in tasks}
        rows = [r for r in res.rows() if tuple(r[k] for k in KEY) in keys]
    rep.wall_s = time.monotonic() - t0
    anchors = load_anchors(sh)
    summary = summarize(rows, conds, anchors)
    by_trace = summarize(rows, conds, anchors, by_trace=True)
    head = (f"{len(rows)} of {len(tasks)} runs: {len(clip_list)} clips x {len(trace_list)} traces x "
            f"{len(conds)} conditions; this run: {rep.finished} finished, {len(rep.failed)} failed, "
            f"{rep.skipped} already done, {rep.wall_s:.0f} s wall ({scheduler}, {workers} workers)")
    table = format_table(summary)
    (outp / "summary.txt").write_text(head + "\n" + table + "\n\nby trace:\n" + format_table(by_trace) + "\n")
    write_summary_csv(summary, outp / "summary.csv")
    write_summary_csv(by_trace, outp / "summary_by_trace.csv")
    if make_plot and by_trace:
        try:
            plot(by_trace, outp / "summary.png", title=head.split(";")[0])
        except ImportError:
            pass
    return {"report": rep, "summary": summary, "by_trace": by_trace, "table": table, "head": head, "rows": rows}
