"""The command line on real files: any audio format / rate / channel count in, .opus out,
DRED by default, simulate without a trace; and the loss models it uses.

Input: the committed 2.4 s speech excerpt (16 kHz), resampled with soxr and written by
libsndfile as FLAC, MP3, float WAV, 24-bit WAV and 16-bit WAV at 8-48 kHz, mono and
stereo.  "Active" packets: those whose 20 ms of input is above -50 dBFS RMS (DRED skips
silence by design); the issue asks for DRED in >= 90 % of them.
"""
import json
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import dredfast
from dredfast.audiofile import read_audio, resample
from dredfast.lossmodels import gilbert_elliott, lossgen
from dredfast.traces import loss_stats

import vectors

sf = pytest.importorskip("soundfile")


def run(*args):
    return subprocess.run([sys.executable, "-m", "dredfast", *args], capture_output=True, text=True, timeout=300,
                          cwd=tempfile.gettempdir())


@pytest.fixture(scope="module")
def speech():
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    return z["pcm"].astype(np.float32) / 32768


FORMATS = [  # (extension, libsndfile subtype, rate, channels)
    ("flac", "PCM_16", 48000, 2),
    ("mp3", "MPEG_LAYER_III", 44100, 1),
    ("wav", "FLOAT", 8000, 1),
    ("wav", "PCM_24", 22050, 2),
    ("wav", "PCM_16", 16000, 1),
    ("ogg", "VORBIS", 32000, 1),
]


def _write(tmp_path, speech, ext, subtype, rate, channels):
    x = resample(speech, 16000, rate)
    if channels == 2:
        x = np.stack([x, 0.8 * x], axis=1)
    path = tmp_path / f"in_{rate}_{channels}.{ext}"
    try:
        sf.write(path, x, rate, subtype=subtype)
    except (RuntimeError, ValueError, TypeError) as e:
        pytest.skip(f"this libsndfile cannot write {ext}/{subtype}: {e}")
    return path


@pytest.mark.parametrize("ext,subtype,rate,channels", FORMATS)
def test_encode_any_file_to_opus_with_dred(tmp_path, libopus, speech, ext, subtype, rate, channels):
    src = _write(tmp_path, speech, ext, subtype, rate, channels)
    x, fs = read_audio(src)
    assert fs == rate and x.shape[1] == channels
    out = tmp_path / "out.opus"
    r = run("encode", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    r = run("inspect", "--json", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    # What the encoder saw: the input mixed down and resampled to 16 kHz.
    mono = resample(x.mean(axis=1), fs, 16000)
    frames = mono[:len(mono) // 320 * 320].reshape(-1, 320)
    active = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12) > -50
    has = np.array([row["dred"] is not None for row in rows[:len(frames)]])
    assert active.sum() > 50
    assert has[active].mean() >= 0.9, f"DRED in {has[active].mean():.1%} of active packets"
    # The coding rate and channels are the CLI's choice (16 kHz mono here until the
    # sender takes the file's own rate and channels): the file must say which one and
    # trim the end to the input's duration (+-2 samples at 48 kHz: resampled lengths
    # are rounded).
    f = dredfast.read_opus(out)
    assert f.head.input_sample_rate in (8000, 12000, 16000, 24000, 48000) and f.head.channels in (1, channels)
    assert abs(f.length - len(x) * 48000 / fs) <= 2


def test_simulate_without_trace(tmp_path, libopus, speech):
    src = _write(tmp_path, speech, "flac", "PCM_16", 48000, 1)
    for extra in ([], ["--loss-model", "lossgen"], ["--loss", "30", "--burst", "3", "--seed", "4"]):
        r = run("simulate", str(src), "--loss", "20", *extra, "-o", str(tmp_path / "o.wav"), "--no-metrics",
                "--report", str(tmp_path / "r.json"))
        assert r.returncode == 0, r.stderr
        rep = json.loads((tmp_path / "r.json").read_text())
        assert rep["settings"]["dred_bitrate"] == 16000
        x, fs = sf.read(tmp_path / "o.wav")
        assert fs == 16000 and len(x) == len(speech)
    assert rep["lost_packets"] > 0


def test_simulate_short_trace_repeats_with_notice(tmp_path, libopus, speech):
    src = tmp_path / "in.wav"
    sf.write(src, speech, 16000, subtype="PCM_16")
    trace = tmp_path / "t.txt"
    trace.write_text("1\n0\n1\n1\n")
    r = run("simulate", str(src), "--trace", str(trace), "-o", str(tmp_path / "o.wav"), "--no-metrics",
            "--report", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stderr
    assert "repeating it" in r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["lost_packets"] == rep["packets"] // 4 + (rep["packets"] % 4 > 1)


def test_simulate_packets_from_opus(tmp_path, libopus, speech):
    src = tmp_path / "in.wav"
    sf.write(src, speech, 16000, subtype="PCM_16")
    r = run("encode", str(src), "-o", str(tmp_path / "x.opus"))
    assert r.returncode == 0, r.stderr
    r = run("simulate", str(src), "--packets", str(tmp_path / "x.opus"), "--loss", "20", "-o",
            str(tmp_path / "o.wav"), "--no-metrics", "--report", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["settings"]["packets"] == "given" and rep["filled_by"]["dred"] > 0


@pytest.mark.parametrize("cmd", ["encode", "analyze", "simulate"])
@pytest.mark.parametrize("content", [b"", b"not audio at all\n" * 10, None])
def test_unreadable_input_one_line(tmp_path, cmd, content):
    src = tmp_path / "bad.wav"
    if content is not None:
        src.write_bytes(content)
    r = run(cmd, str(src), "-o", str(tmp_path / "o.x"), "--no-metrics") if cmd == "simulate" else \
        run(cmd, str(src), "-o", str(tmp_path / "o.x"))
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1 and "bad.wav" in r.stderr and "Traceback" not in r.stderr


def test_expected_loss_name_and_alias():
    from dredfast.cli import build_parser
    p = build_parser()
    assert p.parse_args(["encode", "a", "-o", "b", "--expected-loss", "5"]).loss_pct == 5
    assert p.parse_args(["encode", "a", "-o", "b", "--loss-pct", "7"]).loss_pct == 7
    a = p.parse_args(["encode", "a", "-o", "b"])
    assert a.dred_bitrate == 16000
    assert p.parse_args(["encode", "a", "-o", "b", "--dred-bitrate", "auto"]).dred_bitrate is None


def test_gilbert_elliott_statistics():
    """200 000 packets: loss and mean burst within 3 % of the target (the model's
    standard error at this length is about 1 %)."""
    for loss, burst in ((0.2, 8), (0.05, 1), (0.3, 3)):
        s = loss_stats(gilbert_elliott(200_000, loss, burst, seed=1))
        assert s["loss"] == pytest.approx(loss, rel=0.03) and s["mean_burst"] == pytest.approx(burst, rel=0.03)
    a = gilbert_elliott(1000, 0.2, 8, seed=3)
    assert np.array_equal(a, gilbert_elliott(1000, 0.2, 8, seed=3))
    with pytest.raises(ValueError):
        gilbert_elliott(10, 0.6, 0.5)


def test_lossgen_is_calibrated():
    """libopus's loss generator at 5 / 20 / 40 %: over 8000 packets the loss is within
    +-0.04 of the target and bursts are short (mean 1.5-3.5 packets), as in the shared
    lossgen traces made by libopus (mean bursts 1.9-2.5)."""
    for target in (0.05, 0.2, 0.4):
        s = loss_stats(lossgen(8000, target, seed=2))
        assert abs(s["loss"] - target) < 0.04, s
        assert 1.5 < s["mean_burst"] < 3.5, s
