"""The dredfast command line tool."""
import json
import re
import subprocess
import sys
import tempfile

import pytest

from dredfast import cli

import vectors


def run(*args):
    # Run outside the source tree so the installed package (with its compiled
    # core) is imported, as a user's shell would.
    return subprocess.run([sys.executable, "-m", "dredfast", *args], capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir())


def test_inspect_text():
    r = run("inspect", str(vectors.subset_pkts_path()))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "60 packets" in lines[-1] and "invalid" in lines[-1]
    # Packet 57 of en_f_allison_01 v96 carries 26 latents (1.04 s of features).
    row = next(l for l in lines if l.strip().startswith("57 "))
    assert re.search(r"\|\s+26\s+\|", row) and "1040 ms of features" in row


def test_inspect_json_and_latents(capsys):
    assert cli.main(["inspect", str(vectors.subset_pkts_path()), "--json", "--latents"]) == 0
    rows = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert len(rows) == 60
    cases = {c.index: c for c in vectors.subset_cases() if c.variant == "v96" and c.clip == "en_f_allison_01"}
    for row in rows:
        c = cases[row["packet"]]
        if row["dred"] is None:
            assert not c.hdr["has_dred"]
            continue
        assert row["dred"]["nb_latents"] == c.nb_latents
        assert row["dred"]["q0"] == c.hdr["q0"] and row["dred"]["dred_offset"] == c.hdr["dred_offset"]
        assert row["dred"]["latents_q"] == c.latents_q.tolist()
        assert row["dred"]["covers_ms"][1] == c.hdr["parse_ret"] / 16


def test_inspect_errors(tmp_path):
    r = run("inspect", str(tmp_path / "missing.pkts"))
    assert r.returncode == 2 and "No such file" in r.stderr
    bad = tmp_path / "bad.pkts"
    bad.write_bytes(b"\x05\x00\x00\x00ab")
    r = run("inspect", str(bad))
    assert r.returncode == 2 and "truncated" in r.stderr
    garbage = tmp_path / "garbage.pkts"
    garbage.write_bytes(b"\x03\x00\x00\x00\xff\xff\xff")
    r = run("inspect", str(garbage))
    assert r.returncode == 0 and "invalid" in r.stdout


def test_usage():
    r = run()
    assert r.returncode != 0 and "usage" in r.stderr
    with pytest.raises(SystemExit):
        cli.main(["inspect", "x.pkts", "--isa", "sse9"])


def test_synth_roundtrip(tmp_path):
    import numpy as np
    from dredfast.audio import read_wav
    feats = next(c for c in vectors.subset_cases() if c.features is not None and c.nb_latents == 26).features[::-1]
    np.save(tmp_path / "f.npy", np.ascontiguousarray(feats))
    r = run("synth", str(tmp_path / "f.npy"), "-o", str(tmp_path / "out.wav"))
    assert r.returncode == 0, r.stderr
    pcm, fs = read_wav(tmp_path / "out.wav")
    assert fs == 16000 and len(pcm) == 160 * len(feats)
    import dredfast
    want = dredfast.Vocoder("fargan").synthesize(np.ascontiguousarray(feats))
    np.testing.assert_allclose(pcm, np.clip(want, -1, 32767 / 32768), atol=1 / 32768 + 1e-7)
    np.save(tmp_path / "bad.npy", np.zeros((3, 4)))
    r = run("synth", str(tmp_path / "bad.npy"), "-o", str(tmp_path / "x.wav"))
    assert r.returncode == 2 and "expected an (n, 20)" in r.stderr


def test_analyze_then_synth(tmp_path):
    import numpy as np
    from dredfast.audio import read_wav, write_wav
    t = np.arange(8000) / 16000
    write_wav(tmp_path / "in.wav", 0.3 * np.sin(2 * np.pi * 200 * t))
    r = run("analyze", str(tmp_path / "in.wav"), "-o", str(tmp_path / "f.npy"))
    assert r.returncode == 0, r.stderr
    import dredfast
    pcm, _ = read_wav(tmp_path / "in.wav")
    np.testing.assert_array_equal(np.load(tmp_path / "f.npy"), dredfast.analyze(pcm))
    r = run("synth", str(tmp_path / "f.npy"), "-o", str(tmp_path / "out.wav"))
    assert r.returncode == 0, r.stderr
    write_wav(tmp_path / "x.wav", np.zeros(100), 8000)
    r = run("analyze", str(tmp_path / "x.wav"), "-o", str(tmp_path / "g.npy"))
    # Other rates are resampled to 16 kHz (soxr): 100 samples at 8 kHz -> 200 -> 1 frame.
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "g.npy").shape == (1, 20)
