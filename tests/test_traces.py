"""dredfast.traces: the loss-trace format (1 = received, 0 = lost) and its statistics."""
from __future__ import annotations

import re

import numpy as np
import pytest

from dredfast.traces import load_trace, loss_stats, trace_for

import vectors


def _write(tmp_path, text, name="t.txt", mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_sense_is_inverted(tmp_path):
    lost = load_trace(_write(tmp_path, "1\n0\n0\n1\n"))
    assert lost.dtype == np.bool_
    assert lost.tolist() == [False, True, True, False]


def test_tolerated_layouts(tmp_path):
    assert load_trace(_write(tmp_path, b"1\r\n0\r\n", mode="wb")).tolist() == [False, True]
    assert load_trace(_write(tmp_path, "0\n1")).tolist() == [True, False]  # no final newline
    assert load_trace(_write(tmp_path, " 1 \n0\n\n\n")).tolist() == [False, True]  # trailing blank lines


@pytest.mark.parametrize("text, match", [
    ("", "empty"),
    ("\n\n", "empty"),
    ("1\n2\n", "line 2"),
    ("1\n\n0\n", "line 2"),          # blank line inside
    ("# header\n1\n", "line 1"),
    ("1 0\n", "line 1"),
    ("1\n0.5\n", "line 2"),
    ("true\n", "line 1"),
])
def test_rejects_bad_files(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_trace(_write(tmp_path, text))


def test_rejects_binary_and_missing(tmp_path):
    with pytest.raises(ValueError, match="non-ASCII"):
        load_trace(_write(tmp_path, b"1\n\xff\n", mode="wb"))
    with pytest.raises(FileNotFoundError):
        load_trace(tmp_path / "missing.txt")


def test_stats_and_wrap():
    lost = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1, 0], dtype=bool)
    s = loss_stats(lost)
    assert s == {"packets": 10, "loss": 0.6, "bursts": 3, "mean_burst": 2.0, "max_burst": 3}
    assert loss_stats(np.zeros(5, bool))["bursts"] == 0
    assert trace_for(lost, 12, offset=8).tolist() == [True, False] + lost.tolist()
    with pytest.raises(ValueError):
        trace_for(lost.astype(np.int8), 3)
    with pytest.raises(ValueError):
        loss_stats(np.zeros(0, bool))


def _readme_rows():
    """(file, packets, loss %, mean burst, max burst, bursts) from every table of traces/README.md:
    the last five columns of each per-file row."""
    text = (vectors.shared_dir() / "traces" / "README.md").read_text()
    rows = []
    for line in text.splitlines():
        m = re.match(r"\|\s*`([^`]+\.txt)`\s*\|(.*)\|\s*$", line)
        if not m:
            continue
        cells = [c.strip() for c in m.group(2).split("|")]
        packets, loss, mean_burst, max_burst, bursts = cells[-5:]
        rows.append((m.group(1), int(packets), float(loss.rstrip(" %")), float(mean_burst), int(max_burst),
                     int(bursts)))
    return rows


@pytest.mark.skipif(vectors.shared_dir() is None, reason="traces need ../shared (in CI)")
def test_every_shared_trace_matches_its_readme_statistics():
    """All 47 traces load and have the loss / burst statistics their README lists
    (README figures are rounded: loss to 0.1 %, mean burst to 0.01)."""
    root = vectors.shared_dir() / "traces"
    rows = _readme_rows()
    files = {p.name: p for p in root.rglob("*.txt")}
    assert len(rows) == len(files) == 47
    for name, packets, loss, mean_burst, max_burst, bursts in rows:
        s = loss_stats(load_trace(files[name]))
        assert s["packets"] == packets, name
        assert abs(100 * s["loss"] - loss) <= 0.05 + 1e-9, (name, s)
        assert abs(s["mean_burst"] - mean_burst) <= 0.005 + 1e-9, (name, s)
        assert (s["max_burst"], s["bursts"]) == (max_burst, bursts), (name, s)


@pytest.mark.skipif(vectors.shared_dir() is None, reason="vectors need ../shared (in CI)")
def test_vector_trace_is_the_file():
    """The `trace` array of the vectors (1 = received) is the start of the file settings.json names."""
    s = vectors.load_settings()
    lost = load_trace(vectors.shared_dir() / "traces" / "synthetic" / "ge_loss20_burst8_seed1.txt")
    assert "ge_loss20_burst8_seed1" in str(s["vector_trace"])
    for clip in vectors.clip_names()[:3]:
        with np.load(vectors.vectors_dir() / clip / "arrays.npz") as z:
            t = z["trace"]
        np.testing.assert_array_equal(t == 0, trace_for(lost, len(t)))
