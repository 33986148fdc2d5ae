"""Quality gate at 48 kHz: the receiver must stay level with libopus 1.6.1 on a fixed subset
of the anchors' runs on real fullband speech (../shared/vectors48fb/quality_anchor48fb_dev.csv).

What is asserted (issue 11's bar, the README's 48 kHz claim): for each stream and mode
below, over the 8 runs (4 clips x 2 traces), ``dredfast.Receiver(48000, channels)``'s mean
PESQ-WB, STOI and PLCMOS are each at least libopus 1.6.1's mean over the same anchor rows
minus 0.05, and its mean ``lsd_hf`` (8-20 kHz log-spectral distance against the no-loss
decode) at most libopus's + 1 dB.

- streams: ``fb32`` (hybrid fullband, 32 kb/s), ``celt64`` (CELT-only), ``st64`` (stereo,
  scored on its left channel), all libopus 1.6.1's packets with DRED;
- modes: ``dred`` (a gap is filled once the next packet has arrived, DRED used) and
  ``plc`` (each lost packet concealed at once, nothing ahead).

Decoding and scoring follow vectors48/README.md (as benchmarks/quality_receiver48.py):
the trace from its first entry, the 48 kHz output (left channel for st64) resampled by
soxr VHQ to 16 kHz and advanced by the 104-sample decoder delay, PESQ-WB / STOI against
speech48/dev/16k/<clip>.wav, PLCMOS v2 with the anchors' seeding, ``lsd_hf`` at 48 kHz
against the receiver's own no-loss decode (which is the system libopus's, tested in
test_receiver_formats.py).

``test_lsd_hf_of_upsampled_streams_after_dred`` adds the LSD-HF bar on vectors48 (upsampled
wideband clips) after DRED, decoding only.

The subset was fixed by rule, like the 16 kHz gate's: every third clip of settings.json in
sorted order (Bulgarian, Czech, English and Romanian speakers; strong and weak high bands)
and the anchors' two 20 %-loss traces.  The whole table (12 clips x 5 traces, and the
upsampled set vectors48) is benchmarks/quality_receiver48.py's.  The 16 kHz stream decoded
at 48 kHz (vectors48's ``v24at48``) is not gated here: its PLCMOS after PLC is still below
libopus's (README, Results).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

import dredfast

import vectors

CLIPS_EVERY = 3
TRACES = ("lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt")
STREAMS = {"fb32": 1, "celt64": 1, "st64": 2}
MODES = ("dred", "plc")
METRICS = ("pesq_wb", "stoi", "plcmos")
MARGIN = 0.05          # issue 11: "at least libopus 1.6.1's minus 0.05"
LSD_MARGIN_DB = 1.0    # issue 11: "lsd_hf at most libopus's + 1 dB"
FRAME48 = 960
DELAY16 = 104


def _decode(packets: List[bytes], lost: np.ndarray, channels: int, mode: str) -> np.ndarray:
    rx = dredfast.Receiver(48000, channels=channels, use_dred=(mode == "dred"))
    out = []
    for i, p in enumerate(packets):
        ahead = []
        if mode == "dred" and lost[i]:
            for j in range(i + 1, len(packets)):
                ahead.append(None if lost[j] else packets[j])
                if not lost[j]:
                    break
        y = rx.decode(None if lost[i] else p, lookahead=ahead)
        assert y.shape == ((FRAME48,) if channels == 1 else (FRAME48, 2))
        out.append(y)
    y = np.concatenate(out)
    return (y if channels == 1 else y[:, 0]).astype(np.float64)


def _anchor_rows(path: Path) -> List[Dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def gate48_runs(libopus):
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    pytest.importorskip("speechmos")
    soxr = pytest.importorskip("soxr")
    shared = vectors.shared_dir()
    if shared is None or not (shared / "vectors48fb").is_dir():
        pytest.skip("the 48 kHz quality gate needs ../shared/vectors48fb (DREDFAST_SHARED)")
    from dredfast.audio import read_wav
    from dredfast.metrics import lsd_hf, pesq_wb, plcmos, stoi

    base = shared / "vectors48fb"
    anchors = {(r["clip"], r["trace"], r["config"], r["mode"]): r
               for r in _anchor_rows(base / "quality_anchor48fb_dev.csv")}
    clips = sorted(json.loads((base / "settings.json").read_text())["clips"])[::CLIPS_EVERY]
    runs = []
    for clip in clips:
        x, _ = read_wav(shared / "speech48" / "dev" / "16k" / f"{clip}.wav")
        x = x.astype(np.float64)
        for stream, ch in STREAMS.items():
            packets = dredfast.read_packets(base / clip / f"{stream}.pkts")
            ref = _decode(packets, np.zeros(len(packets), bool), ch, "plc")
            for trace in TRACES:
                lost = np.asarray(dredfast.load_trace(shared / "traces" / trace), bool)
                lost = np.resize(lost, len(packets)) if len(lost) < len(packets) else lost[:len(packets)]
                for mode in MODES:
                    y = _decode(packets, lost, ch, mode)
                    y16 = soxr.resample(y, 48000, 16000, quality="VHQ")[DELAY16:DELAY16 + len(x)]
                    deg = np.clip(np.concatenate([y16, np.zeros(len(x) - len(y16))]), -1, 1)
                    a = anchors[(clip, trace, stream, mode)]
                    runs.append({"clip": clip, "trace": trace, "stream": stream, "mode": mode,
                                 "lost": int(lost.sum()), "anchor_lost": int(a["lost_packets"]),
                                 "ours": {"pesq_wb": pesq_wb(x, deg), "stoi": stoi(x, deg), "plcmos": plcmos(deg),
                                          "lsd_hf": lsd_hf(y, ref)},
                                 "libopus": {m: float(a[m]) for m in METRICS + ("lsd_hf",)}})
    return runs


def test_subset_is_the_fixed_one(gate48_runs):
    """4 clips x 2 traces per stream and mode, each with the anchor's loss count."""
    assert len(gate48_runs) == 4 * len(TRACES) * len(STREAMS) * len(MODES)
    for r in gate48_runs:
        assert r["lost"] == r["anchor_lost"] > 0, r


@pytest.mark.parametrize("stream", list(STREAMS))
@pytest.mark.parametrize("mode", MODES)
def test_quality_level_with_libopus_at_48k(gate48_runs, stream, mode):
    rs = [r for r in gate48_runs if r["stream"] == stream and r["mode"] == mode]
    cols = METRICS + ("lsd_hf",)
    ours = {m: float(np.nanmean([r["ours"][m] for r in rs])) for m in cols}
    ref = {m: float(np.nanmean([r["libopus"][m] for r in rs])) for m in cols}
    table = ", ".join(f"{m} {ours[m]:.3f} vs libopus {ref[m]:.3f} ({ours[m] - ref[m]:+.3f})" for m in cols)
    print(f"\n{stream} {mode} ({len(rs)} runs): {table}")
    bad = [m for m in METRICS if ours[m] < ref[m] - MARGIN]
    if ours["lsd_hf"] > ref["lsd_hf"] + LSD_MARGIN_DB:
        bad.append("lsd_hf")
    assert not bad, f"{stream} {mode}: {', '.join(bad)} outside the margin against libopus 1.6.1: {table}"


@pytest.mark.parametrize("stream", ["st64", "fb32", "v24at48"])
def test_lsd_hf_of_upsampled_streams_after_dred(libopus, stream):
    """The band above 8 kHz on vectors48 (wideband clips upsampled to 48 kHz: the band holds
    only the decoder's images and noise), after DRED: mean LSD-HF over every fourth dev clip
    x the anchors' five traces (30 runs) at most libopus 1.6.1's + 1 dB.  This is decoding
    only (no PESQ), a few seconds.  Measured on this subset: st64 / fb32 / v24 at 48 kHz
    +0.83 / +0.59 / +0.49 dB; with the sinc up filter (2e725b9 and before) +1.27 / +1.01 /
    +0.93 -- its 8-9 kHz images were 10-20 dB weaker than those of libopus's SILK resampler in
    the decoded frames around a gap (resampler.c)."""
    from dredfast.metrics import lsd_hf
    shared = vectors.shared_dir()
    if shared is None or not (shared / "vectors48").is_dir():
        pytest.skip("needs ../shared/vectors48")
    base = shared / "vectors48"
    anchors = {(r["clip"], r["trace"]): float(r["lsd_hf"]) for r in _anchor_rows(base / "quality_anchor48_dev.csv")
               if r["config"] == stream and r["mode"] == "dred"}
    clips = sorted({c for c, _ in anchors})[::4]
    traces = sorted({t for _, t in anchors})
    assert len(clips) == 6 and len(traces) == 5
    ch = 2 if stream == "st64" else 1
    ours, ref = [], []
    for clip in clips:
        path = shared / "vectors" / clip / "v24.pkts" if stream == "v24at48" else base / clip / f"{stream}.pkts"
        packets = dredfast.read_packets(path)
        clean = _decode(packets, np.zeros(len(packets), bool), ch, "dred")
        for trace in traces:
            lost = np.asarray(dredfast.load_trace(shared / "traces" / trace), bool)
            lost = np.resize(lost, len(packets)) if len(lost) < len(packets) else lost[:len(packets)]
            v = lsd_hf(np.clip(_decode(packets, lost, ch, "dred"), -1, 1), np.clip(clean, -1, 1))
            if np.isfinite(v) and np.isfinite(anchors[(clip, trace)]):
                ours.append(v)
                ref.append(anchors[(clip, trace)])
    assert len(ours) >= 25
    mo, mr = float(np.mean(ours)), float(np.mean(ref))
    print(f"\n{stream} dred, vectors48 ({len(ours)} runs): LSD-HF {mo:.2f} dB, libopus {mr:.2f} dB ({mo - mr:+.2f})")
    assert mo <= mr + LSD_MARGIN_DB, (mo, mr)
