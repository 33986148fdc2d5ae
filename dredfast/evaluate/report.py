"""Summary of an evaluation's rows (means per condition, libopus 1.6.1's anchors beside) and
its plot."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

METRICS = ("pesq_wb", "stoi", "plcmos")
KIND_COLS = ("n_normal", "n_lbrr", "n_dred", "n_plc", "n_bad")


def load_anchors(shared: Optional[Path], bitrate: str = "24000") -> Dict[Tuple[str, str, str], Dict]:
    """libopus 1.6.1's scores (quality_anchor_dev.csv) by (clip, trace, condition)."""
    if shared is None:
        return {}
    p = Path(shared) / "vectors" / "quality_anchor_dev.csv"
    if not p.is_file():
        return {}
    with open(p) as f:
        return {(r["clip"], r["trace"], r["condition"]): r for r in csv.DictReader(f) if r["bitrate"] == bitrate}


def _f(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def summarize(rows: Sequence[Dict], conditions: Sequence, anchors: Dict, by_trace: bool = False) -> List[Dict]:
    """One summary row per condition (and trace, with ``by_trace``), in the order of
    ``conditions`` (Condition objects: their ``anchor`` names libopus's rows): n, mean
    metrics, libopus's means over the same clip x trace runs (anchors; else the rows'
    ``libopus_*`` columns; NaN when neither), kinds, kb/s, CPU per audio second."""
    out = []
    for c in conditions:
        rs = [r for r in rows if r["condition"] == c.name and r["vocoder"] == c.vocoder]
        groups = sorted({r["trace"] for r in rs}) if by_trace else [None]
        for g in groups:
            sub = [r for r in rs if g is None or r["trace"] == g]
            if not sub:
                continue
            s = {"condition": c.name, "vocoder": c.vocoder, "trace": g or "all", "n": len(sub)}
            for m in METRICS:
                s[m] = float(np.mean([_f(r[m]) for r in sub]))
            if c.anchor and all((r["clip"], r["trace"], c.anchor) in anchors for r in sub):
                for m in METRICS:
                    s[f"libopus_{m}"] = float(np.mean([_f(anchors[(r["clip"], r["trace"], c.anchor)][m]) for r in sub]))
            elif all(r.get("libopus_pesq_wb") not in (None, "") for r in sub):
                for m in METRICS:
                    s[f"libopus_{m}"] = float(np.mean([_f(r[f"libopus_{m}"]) for r in sub]))
            else:
                for m in METRICS:
                    s[f"libopus_{m}"] = float("nan")
            for k in KIND_COLS:
                s[k] = int(sum(int(r[k]) for r in sub))
            s["kbps"] = float(np.mean([_f(r["bitrate"]) for r in sub])) / 1000
            audio = sum(_f(r["audio_s"]) for r in sub)
            s["cpu_decode_per_s"] = sum(_f(r["cpu_decode_s"]) for r in sub) / audio if audio else float("nan")
            out.append(s)
    return out


def format_table(summary: Sequence[Dict], extended: bool = True) -> str:
    """The table of benchmarks/quality_receiver.py (``extended``: kinds and CPU too)."""
    # 16 columns as benchmarks/quality_receiver.py always printed; wider for per-trace rows.
    width = max([16] + [len(s["condition"]) + 1 + len(Path(s["trace"]).stem) for s in summary if s["trace"] != "all"])
    lines = [f"{'condition':{width}s} {'n':>4s} | {'PESQ':>6s} {'STOI':>6s} {'PLCMOS':>6s} | libopus 1.6.1 "
             f"{'PESQ':>6s} {'STOI':>6s} {'PLCMOS':>6s} | kb/s"
             + (" | normal lbrr dred  plc bad | CPU s/s" if extended else "")]
    for s in summary:
        name = s["condition"] if s["trace"] == "all" else f"{s['condition']} {Path(s['trace']).stem}"
        line = (f"{name:{width}s} {s['n']:4d} | {s['pesq_wb']:6.3f} {s['stoi']:6.3f} {s['plcmos']:6.3f} |               "
                f"{s['libopus_pesq_wb']:6.3f} {s['libopus_stoi']:6.3f} {s['libopus_plcmos']:6.3f} | {s['kbps']:.1f}")
        if extended:
            line += (f" | {s['n_normal']:6d} {s['n_lbrr']:4d} {s['n_dred']:4d} {s['n_plc']:4d} {s['n_bad']:3d} | "
                     f"{s['cpu_decode_per_s']:.4f}")
        lines.append(line)
    return "\n".join(lines)


def write_summary_csv(summary: Sequence[Dict], path: Path) -> None:
    if not summary:
        return
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0]))
        w.writeheader()
        w.writerows(summary)


def plot(summary_by_trace: Sequence[Dict], path: Path, title: str = "") -> None:
    """Mean PESQ-WB / STOI / PLCMOS per trace, one bar per condition, libopus 1.6.1's
    anchors as black ticks on the bars that have them.  Needs matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("the plot needs matplotlib: pip install 'dredfast[plot]'") from e
    conds = list(dict.fromkeys((s["condition"], s["vocoder"]) for s in summary_by_trace))
    traces = list(dict.fromkeys(s["trace"] for s in summary_by_trace))
    fig, axes = plt.subplots(1, 3, figsize=(4 + 2.2 * len(traces), 4.5))
    w = 0.8 / max(1, len(conds))
    for ax, m in zip(axes, METRICS):
        for i, (c, v) in enumerate(conds):
            xs, ys, refs = [], [], []
            for j, t in enumerate(traces):
                s = next((s for s in summary_by_trace if s["condition"] == c and s["vocoder"] == v and s["trace"] == t), None)
                if s is None:
                    continue
                xs.append(j + (i - (len(conds) - 1) / 2) * w)
                ys.append(s[m])
                refs.append(s[f"libopus_{m}"])
            label = c if len({v for _, v in conds}) == 1 else f"{c} ({v})"
            ax.bar(xs, ys, w, label=label)
            ok = [(x, r) for x, r in zip(xs, refs) if np.isfinite(r)]
            if ok:
                ax.scatter([x for x, _ in ok], [r for _, r in ok], marker="_", s=300, color="k", zorder=3,
                           label="libopus 1.6.1" if i == 0 and m == METRICS[0] else None)
        ax.set_xticks(range(len(traces)))
        ax.set_xticklabels([Path(t).stem.replace("_seed1", "") for t in traces], rotation=30, ha="right", fontsize=7)
        ax.set_title(m)
    axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
