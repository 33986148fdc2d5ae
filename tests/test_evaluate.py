"""dredfast evaluate (issue 16): the grid engine, its CSV, resume and failures; on Dask a
LocalCluster with 2 workers where a worker and the run itself are killed mid-run: no
finished row is lost and the resumed run completes the grid.

The clips are the packaged demo speech cut in two (1.7 s each), encoded by
dredfast.Encoder in each condition (no ../shared needed), under a 20 % bursty
Gilbert-Elliott loss model; every run is scored (PESQ-WB, STOI, PLCMOS)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest

from dredfast.audio import read_wav, write_wav
from dredfast.evaluate import KEY, Condition, ResultsFile, evaluate, parse_conditions, read_rows
from dredfast.evaluate.tasks import load_loss
from dredfast.simulate import simulate

pytest.importorskip("pesq", reason="evaluate scores runs: needs the metrics extra")
TRACE = "ge:loss=0.2:burst=8:seed=1"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    x, fs = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    d = tmp_path_factory.mktemp("clips")
    half = len(x) // 2
    write_wav(d / "a.wav", x[:half])
    write_wav(d / "b.wav", x[half:])
    return d


@pytest.fixture(scope="module")
def conditions_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("conds") / "conditions.json"
    p.write_text(json.dumps([
        {"base": "own_v24", "name": "dred"},
        {"base": "own_v24", "name": "plc", "use_dred": False},
        {"base": "own_v24", "name": "lbrr_dred", "lbrr": True, "dred_bitrate": 16000},
    ]))
    return "@" + str(p)


def test_conditions_and_loss_specs(tmp_path):
    cs = parse_conditions("dred,lbrr_plc", vocoder="lpcnet")
    assert [c.name for c in cs] == ["dred", "lbrr_plc"] and all(c.vocoder == "lpcnet" for c in cs)
    assert cs[1].packets == "v24fec" and not cs[1].use_dred
    with pytest.raises(ValueError, match="unknown condition"):
        parse_conditions("dred,nope")
    with pytest.raises(ValueError, match="unknown condition settings"):
        Condition.from_dict({"name": "x", "bogus": 1})
    assert Condition.from_dict({"name": "x", "plc_lookahead": 0}).plc_lookahead == 0
    for bad in (-1, 1001, True):
        with pytest.raises(ValueError, match="plc_lookahead must be"):
            Condition(name="x", plc_lookahead=bad)
    with pytest.raises(ValueError, match="plc_lookahead needs vocoder"):
        Condition(name="x", vocoder="lpcnet", plc_lookahead=5)
    lost = load_loss(TRACE, 5000)
    assert lost.dtype == bool and 0.17 < lost.mean() < 0.23
    assert not load_loss("none", 10).any()
    (tmp_path / "t.txt").write_text("1\n0\n1\n")
    assert load_loss("t.txt", 3, str(tmp_path)).tolist() == [False, True, False]
    with pytest.raises(ValueError, match="needs 4"):
        load_loss("t.txt", 4, str(tmp_path))


def test_row_is_the_simulation(clips, tmp_path):
    """A row's scores and counts are those of dredfast.simulate on the same input."""
    # the PLC-only pair differs only in plc_lookahead, so it shows the setting reaches the receiver
    runs = {"own": (True, None), "plc": (False, None), "plc_la0": (False, 0)}
    conds = [Condition(k, "encode", use_dred=d, plc_lookahead=la) for k, (d, la) in runs.items()]
    r = evaluate(tmp_path, clips=str(clips / "a.wav"), traces=TRACE, conditions=conds,
                 scheduler="serial", progress=False, make_plot=False)
    rows = {row["condition"]: row for row in r["rows"]}
    assert sorted(rows) == sorted(runs)
    assert rows["plc"]["pesq_wb"] != rows["plc_la0"]["pesq_wb"]
    x, _ = read_wav(clips / "a.wav")
    lost = load_loss(TRACE, -(-len(x) // 320) + 1)
    for name, (use_dred, la) in runs.items():
        ref = simulate(x, lost, bitrate=24000, lbrr=False, dred_ms=1000, jitter_ms=100000, use_dred=use_dred,
                       plc_lookahead=la)
        for m in ("pesq_wb", "stoi", "plcmos"):
            assert float(rows[name][m]) == ref.metrics[m]
        for k, v in ref.counts().items():
            assert int(rows[name][f"n_{k}"]) == v
        assert int(rows[name]["lost"]) == int(lost.sum()) > 0


def test_failures_are_per_task_and_resume_skips_done_rows(clips, tmp_path, conditions_file):
    out = tmp_path / "run"
    # One trace file the grid names does not exist: its tasks fail, the others finish.
    r = evaluate(out, clips=str(clips), traces=f"{TRACE},missing.txt", conditions=conditions_file,
                 scheduler="serial", progress=False)
    assert r["report"].finished == 6 and len(r["report"].failed) == 6
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == 6 and all(e["key"][1] == "missing.txt" for e in errors)
    assert {Path(f).name for f in os.listdir(out)} >= {"results.csv", "summary.txt", "summary.csv", "summary.png"}
    rows = read_rows(out / "results.csv")
    assert len(rows) == 6
    # A kill in the middle of writing a row leaves a partial last line: dropped on reopen.
    with open(out / "results.csv", "a") as f:
        f.write("a,ge:loss=0.2,dred,fargan,1.2")
    r2 = evaluate(out, clips=str(clips), traces=TRACE, conditions=conditions_file, scheduler="serial",
                  progress=False, make_plot=False)
    assert r2["report"].skipped == 6 and r2["report"].finished == 0
    assert read_rows(out / "results.csv") == rows
    # The summary is over the grid's rows: 2 clips per condition.
    assert [s["n"] for s in r2["summary"]] == [2, 2, 2]
    with pytest.raises(ValueError, match="columns"):
        ResultsFile(out, "summary.csv")


def _cluster_tests_enabled():
    return pytest.importorskip("distributed", reason="needs dask.distributed: pip install 'dredfast[cluster]'")


def test_local_cluster_kill_worker_and_run_then_resume(clips, tmp_path, conditions_file):
    """2 clips x 1 trace x 3 conditions on a LocalCluster of 2 workers.  As soon as the
    first row is on disk, one worker and the evaluate process are killed (SIGKILL):
    the finished rows stay, and a second run on the same cluster does the rest.  PESQ-WB
    and STOI only (PLCMOS's model load in every fresh worker would double the time)."""
    distributed = _cluster_tests_enabled()
    out = tmp_path / "run"
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    try:
        # The subprocess imports the dredfast this test imported (installed or in-place build).
        import dredfast
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(dredfast.__file__).parents[1])] + sys.path))
        proc = subprocess.Popen([sys.executable, "-m", "dredfast", "evaluate", str(out), "--clips", str(clips),
                                 "--traces", TRACE, "--conditions", conditions_file, "--no-plot",
                                 "--metrics", "pesq_wb,stoi",
                                 "--scheduler", cluster.scheduler_address],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=str(tmp_path))  # outside the checkout: `-m` puts the cwd first on sys.path
        deadline = time.monotonic() + 120
        while not read_rows(out / "results.csv"):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no row within 120 s"
            time.sleep(0.05)
        pids = client.run(os.getpid)
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stderr.close()
        before = read_rows(out / "results.csv")
        assert 1 <= len(before) < 6, "the kill came after the run had finished: not a mid-run kill"
        r = evaluate(out, clips=str(clips), traces=TRACE, conditions=conditions_file, metrics=("pesq_wb", "stoi"),
                     scheduler=cluster.scheduler_address, progress=False, make_plot=False)
        rep = r["report"]
        assert rep.skipped == len(before) and rep.finished == 6 - len(before) and not rep.failed
        after = read_rows(out / "results.csv")
        assert after[: len(before)] == before                       # nothing finished was lost or changed
        assert len({tuple(x[k] for k in KEY) for x in after}) == len(after) == 6
        assert all(float(x["pesq_wb"]) > 1 for x in after)
    finally:
        client.close()
        cluster.close()
