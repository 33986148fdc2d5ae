"""Look-ahead concealment (issue 15, part 1): ``Receiver(plc_lookahead=N)``.

In a gap that neither LBRR nor DRED fills, when the packet after the gap is already in the
jitter buffer (``lookahead``), the receiver decodes it ahead, analyses its features and
steers the neural PLC's predicted features to land on them.  Checked here: 0 is the
receiver as it was (sample for sample); the steering changes only concealed audio; it runs
at every output format; and it wins on real speech it was not tuned on, by a margin.
The dev set's full figures are benchmarks/quality_receiver.py's (README, Results).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dredfast

import vectors


def _decode(packets, lost, *, whole_gap=True, **kw):
    """opus_demo-style schedule: a lost slot is produced once the packet after its gap is
    in (the lookahead holds every later slot up to it); ``whole_gap=False``: nothing ahead."""
    rx = dredfast.Receiver(**kw)
    out = []
    for i, p in enumerate(packets):
        ahead = []
        if whole_gap and lost[i]:
            j = i + 1
            while j < len(packets) and lost[j]:
                j += 1
            ahead = [None if lost[k] else packets[k] for k in range(i + 1, min(j + 1, len(packets)))]
        out.append(rx.decode(None if lost[i] else p, lookahead=ahead))
    return out, rx


@pytest.fixture(scope="module")
def v96():
    return vectors.read_pkts(vectors.subset_pkts_path("v96"))


def _pattern(n):
    """Gaps of 1 to 4 packets, spread over the excerpt."""
    lost = np.zeros(n, bool)
    for s, k in ((8, 1), (17, 3), (30, 1), (41, 4), (55, 1), (66, 2), (80, 1), (92, 3), (105, 1)):
        if s + k < n:
            lost[s:s + k] = True
    return lost


def test_zero_is_the_receiver_without_look_ahead(libopus, v96):
    lost = _pattern(len(v96))
    off, _ = _decode(v96, lost, use_dred=False, use_lbrr=False, plc_lookahead=0)
    none, _ = _decode(v96, lost, whole_gap=False, use_dred=False, use_lbrr=False)
    assert all(np.array_equal(a, b) for a, b in zip(off, none))
    on, rx = _decode(v96, lost, use_dred=False, use_lbrr=False)
    assert rx.plc_lookahead == dredfast.receiver.PLC_LOOKAHEAD > 0
    first = int(np.argmax(lost))
    # Before the first loss nothing differs; the concealed slots do.
    assert all(np.array_equal(a, b) for a, b in zip(on[:first], off[:first]))
    changed = [i for i in range(len(v96)) if lost[i] and not np.array_equal(on[i], off[i])]
    assert len(changed) >= lost.sum() * 0.9, (len(changed), lost.sum())
    # plc_lookahead bounds how far ahead the gap's end may be: in a 4-packet gap with
    # plc_lookahead=1 only the last slot (next packet 0 slots ahead) is steered.
    one = np.zeros(len(v96), bool)
    one[41:45] = True
    near, _ = _decode(v96, one, use_dred=False, use_lbrr=False, plc_lookahead=1)
    plain, _ = _decode(v96, one, use_dred=False, use_lbrr=False, plc_lookahead=0)
    assert all(np.array_equal(a, b) for a, b in zip(near[:44], plain[:44]))
    assert not np.array_equal(near[44], plain[44])


@pytest.mark.parametrize("rate,channels", [(48000, 2), (24000, 1), (8000, 1)])
def test_every_output_format(libopus, rate, channels):
    shared = vectors.shared_dir()
    if shared is None or not (shared / "vectors48fb").is_dir():
        pytest.skip("needs ../shared/vectors48fb")
    clip = sorted(p.name for p in (shared / "vectors48fb").iterdir() if p.is_dir())[0]
    name = "st64" if channels == 2 else "fb32"
    packets = vectors.read_pkts(shared / "vectors48fb" / clip / f"{name}.pkts")[:150]
    lost = _pattern(len(packets))
    on, rx = _decode(packets, lost, sample_rate=rate, channels=channels, use_dred=False)
    off, _ = _decode(packets, lost, sample_rate=rate, channels=channels, use_dred=False, plc_lookahead=0)
    y = np.concatenate(on)
    assert np.all(np.isfinite(y)) and np.abs(y).max() <= 1
    assert rx.stats.plc == lost.sum()
    assert sum(not np.array_equal(a, b) for a, b in zip(on, off)) >= lost.sum() * 0.9


def test_simulate_and_cli_take_it(libopus, v96, tmp_path):
    from dredfast.simulate import simulate
    speech = np.zeros(len(v96) * 320, np.float32)
    lost = _pattern(len(v96))
    on = simulate(speech, lost, packets=v96, metrics=False, use_dred=False, use_lbrr=False)
    off = simulate(speech, lost, packets=v96, metrics=False, use_dred=False, use_lbrr=False, plc_lookahead=0)
    assert on.settings["plc_lookahead"] == dredfast.receiver.PLC_LOOKAHEAD and off.settings["plc_lookahead"] == 0
    assert not np.array_equal(on.output, off.output)
    from dredfast.cli import main
    wav, out = tmp_path / "in.wav", tmp_path / "out.wav"
    from dredfast.audio import write_wav
    write_wav(wav, np.zeros(16000, np.float32))
    assert main(["simulate", str(wav), "--loss", "20", "--plc-lookahead", "0", "-o", str(out), "--no-metrics"]) == 0


def test_bad_arguments(libopus):
    with pytest.raises(ValueError):
        dredfast.Receiver(plc_lookahead=-1)
    with pytest.raises(ValueError):
        dredfast.Receiver(vocoder="lpcnet", plc_lookahead=3)
    assert dredfast.Receiver(vocoder="lpcnet").plc_lookahead == 0


# Quality on real speech: every 6th dev clip (4 clips, fixed by rule), the anchors' two 20 %
# loss traces, v24 packets (libopus 1.6.1, DRED ignored = the anchors' plc_dredstream).
CLIPS_EVERY = 6
TRACES = ("lossgen/lossgen_loss20_seed1.txt", "synthetic/ge_loss20_burst3_seed1.txt")


def test_look_ahead_beats_extrapolation_on_dev_speech(libopus):
    """Mean over the 8 runs, look-ahead against none.  Measured here: PESQ-WB 1.517 ->
    1.652 (+0.135), PLCMOS 2.838 -> 3.295 (+0.458), STOI 0.874 -> 0.895 (+0.022); on the
    whole dev set (24 clips x 5 traces) +0.083 / +0.183 / +0.024.  Asserted: PESQ-WB +0.06,
    PLCMOS +0.2, STOI not lower -- about half the gains measured here, so that the check
    fails if the steering stops working but not on the metrics' noise."""
    pytest.importorskip("pesq")
    pytest.importorskip("speechmos")
    from dredfast.audiofile import read_mono
    from dredfast.metrics import quality
    shared = vectors.shared_dir()
    if shared is None:
        pytest.skip("needs ../shared")
    clips = vectors.clip_names()[::CLIPS_EVERY]
    scores = {0: [], None: []}
    for clip in clips:
        packets = vectors.read_pkts(shared / "vectors" / clip / "v24.pkts")
        ref = read_mono(shared / "speech" / "dev" / f"{clip}.wav", 16000)
        for t in TRACES:
            lost = np.resize(dredfast.load_trace(shared / "traces" / t), len(packets)).astype(bool)
            for la in scores:
                kw = {} if la is None else {"plc_lookahead": la}
                out, _ = _decode(packets, lost, use_dred=False, **kw)
                y = np.concatenate(out)
                scores[la].append(quality(ref, y))
    mean = {la: {k: float(np.mean([s[k] for s in v])) for k in ("pesq_wb", "stoi", "plcmos")}
            for la, v in scores.items()}
    on, off = mean[None], mean[0]
    print(f"\nlook-ahead on / off: " + ", ".join(f"{k} {on[k]:.3f} / {off[k]:.3f} ({on[k] - off[k]:+.3f})" for k in on))
    assert on["pesq_wb"] >= off["pesq_wb"] + 0.06, mean
    assert on["plcmos"] >= off["plcmos"] + 0.2, mean
    assert on["stoi"] >= off["stoi"], mean


@pytest.mark.parametrize("rate", [16000, 48000])
def test_next_packet_arriving_after_lookahead_said_missing(libopus, rate):
    """The look-ahead held a later packet but not the next one, so the receiver kept no
    rewind point for the next slot (it expects to conceal it); when that packet arrives
    after all, decoding goes on from the PLC as it stands.  The output must stay as close
    to the no-loss decode as with an honest look-ahead (3 dB of SNR allowed: the PLC is up
    to a frame ahead of the output then; measured on en_f_allison_01's whole v24 stream with
    a loss every 37 packets: 17.1 dB against 18.6 dB, and 17.0 dB before the rewind point
    was skipped)."""
    shared = vectors.shared_dir()
    if shared is None:
        pytest.skip("needs ../shared/vectors")
    pk = vectors.read_pkts(shared / "vectors" / "en_f_allison_01" / "v24.pkts")
    lost = set(range(40, len(pk) - 2, 37))
    whole = dredfast.Receiver(sample_rate=rate)
    ref = np.concatenate([whole.decode(p) for p in pk])

    def run(late):
        rx = dredfast.Receiver(sample_rate=rate)
        out = []
        for i, p in enumerate(pk):
            if i in lost:
                out.append(rx.decode(None, lookahead=[None, pk[i + 2]] if late else [pk[i + 1]]))
            else:
                out.append(rx.decode(p))
        assert rx.stats.normal == len(pk) - len(lost)
        return np.concatenate(out)

    snr = []
    for late in (False, True):
        y = run(late)
        assert y.shape == ref.shape and np.all(np.isfinite(y))
        snr.append(10 * np.log10(np.sum(ref ** 2) / np.sum((ref - y) ** 2)))
    assert snr[1] >= snr[0] - 3.0, snr
