"""Deep PLC (dredfast._plc.DeepPLC) against libopus 1.6.1's decoder runs.

The vectors hold, per clip/variant/mode, libopus's decoded output ``V_dec_<mode>``, the
per-20 ms events and ``V_dec_<mode>_fargan_features``: every feature frame libopus's deep
PLC handed to FARGAN.  We replay what libopus's SILK decoder did to its PLC state:

* normal or LBRR frame (kind 0 / 2): ``update`` with the 320 decoded samples.  SILK
  calls ``lpcnet_plc_update`` with its internal 16 kHz frame; the API output is that
  frame delayed by 13 samples (1 sample of mono buffering in silk_Decode + 12 of the
  16 -> 16 kHz "copy" resampler), and nothing else touches a normally decoded frame at
  16 kHz with deep PLC, so row r's input is ``dec[320 r + 13 : 320 r + 333]``;
* lost frame (kind 1): two ``conceal`` calls;
* lost frame f of a k-frame gap recovered from DRED (kind 3): the packet after the gap
  parsed with ``max_ms = min(1000, 20 k)`` (as opus_demo), ``queue_dred(features,
  offset, (k - f) * 320)``, then two ``conceal`` calls.

The features we hand to FARGAN must equal libopus's **bit for bit** (no tolerance): the
PLC network, the Burg and feature analysis, FARGAN and the RDOVAE decoder all reproduce
libopus's AVX2 build on every kernel path.  The concealed PCM then equals libopus's up
to SILK's comfort noise (silk_CNG adds it to every concealed frame after the deep PLC
ran; it is not fed back into the PLC), see ``test_concealed_pcm_up_to_comfort_noise``.
"""
import json

import numpy as np
import pytest

import dredfast
from dredfast import _plc
from dredfast._plc import DeepPLC, dred_feature_rows

import vectors

DELAY = 13
MODES = [("v24", "plc"), ("v24", "dred"), ("v24fec", "plc"), ("v24fec", "lbrr"),
         ("v32", "plc"), ("v32", "dred"), ("v96", "dred")]
SUBSET = vectors.DATA_DIR / "plc" / "deep_plc_subset.npz"


def drive(plc, dred_dec, dec, events, packets=None):
    """Replays libopus's calls; returns (K, 21) [position, features] and the concealed PCM
    placed at libopus's output positions (zeros elsewhere)."""
    got, pcm = [], np.zeros(len(events) * 320, np.int16)
    row, n = 0, len(events)
    while row < n:
        kind, s = events[row][1], 320 * row
        if kind in (0, 2):
            frame = dec[s + DELAY:s + DELAY + 320]
            if len(frame) < 320:  # the last 13 samples of the stream were never output
                break
            plc.update(frame)
            row += 1
        elif kind == 1:
            p, f = plc.conceal(2, return_features=True)
            got.append(np.c_[[s, s + 160], f])
            pcm[s:s + 320] = p
            row += 1
        else:
            end = row
            while end < n and events[end][1] == 3:
                end += 1
            k = end - row
            assert end < n, "a DRED gap needs the packet after it"
            pkt_index = events[end][0]
            assert pkt_index == events[row][0] + k
            dred = dred_dec.parse(packets[pkt_index], max_ms=min(1000, 20 * k))
            assert dred is not None and dred.samples() == events[row][2] > 0
            feats = dred.features()
            for f in range(k):
                s = 320 * (row + f)
                plc.queue_dred(feats, dred.offset, (k - f) * 320)
                p, ft = plc.conceal(2, return_features=True)
                got.append(np.c_[[s, s + 160], ft])
                pcm[s:s + 320] = p
            row = end
    return (np.concatenate(got) if got else np.zeros((0, 21), np.float32)), pcm


def compare(got, ref, what):
    assert got.shape == ref.shape, f"{what}: {got.shape} vs {ref.shape}"
    np.testing.assert_array_equal(got[:, 0], ref[:, 0], err_msg=f"{what}: positions")
    np.testing.assert_array_equal(got[:, 1:], ref[:, 1:].astype(np.float32), err_msg=f"{what}: features")


def test_subset_bit_exact(isa):
    """Committed subset (tests/make_plc_test_data.py): DRED gaps incl. init frames and a
    17-frame burst, and a PLC burst closed by an LBRR frame."""
    z = np.load(SUBSET)
    pd, pp = z["dred_packet_data"].tobytes(), z["dred_packet_ptr"]
    packets = [pd[pp[i]:pp[i + 1]] for i in range(len(pp) - 1)]
    dd = dredfast.DredDecoder(isa=isa)
    for run in ("dred", "lbrr"):
        got, _ = drive(DeepPLC(isa=isa), dd, z[f"{run}_dec"], z[f"{run}_events"], packets)
        compare(got, z[f"{run}_fargan_features"], f"subset {run} {isa}")


@pytest.mark.skipif(vectors.shared_dir() is None, reason="needs ../shared (present in CI)")
def test_subset_reproducible(tmp_path):
    import make_plc_test_data
    assert make_plc_test_data.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / SUBSET.name).read_bytes() == SUBSET.read_bytes()


def _heavy():
    shared = vectors.shared_dir()
    if shared is None:
        pytest.skip("needs ../shared (present in CI)")
    settings = json.loads((shared / "vectors" / "settings.json").read_text())
    return shared / "vectors", settings["heavy_clips"]


def _runs(vdir, clips):
    for clip in clips:
        z = np.load(vdir / clip / "arrays.npz")
        for var, mode in MODES:
            key = f"{var}_dec_{mode}"
            if key not in z.files:
                continue
            packets = vectors.read_pkts(vdir / clip / f"{var}.pkts") if mode == "dred" else None
            yield clip, var, mode, z[key], z[f"{key}_events"], z[f"{key}_fargan_features"], packets


def test_heavy_clips_bit_exact(isa):
    """Every fargan_features vector of every heavy clip, variant and mode (10 clips x
    plc/dred/lbrr of v24/v24fec/v32/v96): exact."""
    vdir, clips = _heavy()
    plc0, dd = DeepPLC(isa=isa), dredfast.DredDecoder(isa=isa)
    total = 0
    seen = set()
    for i, clip in enumerate(clips):
        runs = list(_runs(vdir, [clip]))
        if isa == "scalar":
            # The slow path (~6x the SIMD time): two variants/modes per clip, rotating, so
            # that every clip and every mode is covered for about the cost of two whole clips.
            runs = [runs[k] for k in sorted({i % len(runs), (len(runs) - 1 - i) % len(runs)})]
        for clip_, var, mode, dec, ev, ff, packets in runs:
            got, _ = drive(plc0.new_stream(), dd, dec, ev, packets)
            compare(got, ff, f"{clip_} {var} {mode} {isa}")
            total += len(ff)
            seen.add((var, mode))
    if isa == "scalar":
        assert len(seen) == len(MODES), seen  # every variant/mode of MODES
    if isa == "scalar":
        assert total > 2000
    else:
        assert total == 8646  # the README's "all 8,646 reference feature vectors exact"


def test_concealed_pcm_up_to_comfort_noise():
    """Concealed PCM vs libopus's output (13-sample SILK delay).  The residual is SILK's
    comfort noise, added to concealed frames after the deep PLC: it is independent of the
    concealment (it stays when FARGAN's output has faded to zero) and small.  Bounds from
    the measured figures (all heavy clips, plc/dred/lbrr): residual rms per 20 ms frame
    <= 121.0 on it_m_carlo_06 (loud background noise, so loud comfort noise) and <= 25.9
    on the others; median SNR per burst 54.9 / 73.1 / 52.5 dB for plc / dred / lbrr
    (libopus's SSE2 build vs its AVX2 build: 32.7 / ~20 / 34.6 dB)."""
    vdir, clips = _heavy()
    plc0, dd = DeepPLC(), dredfast.DredDecoder()
    snr = {"plc": [], "dred": [], "lbrr": []}
    for clip, var, mode, dec, ev, ff, packets in _runs(vdir, clips):
        _, pcm = drive(plc0.new_stream(), dd, dec, ev, packets)
        lost = [r for r in range(len(ev)) if ev[r][1] in (1, 3) and 320 * r + 320 + DELAY <= len(dec)]
        bursts = []
        for r in lost:
            if bursts and bursts[-1][-1] == r - 1:
                bursts[-1].append(r)
            else:
                bursts.append([r])
        for b in bursts:
            ref = np.concatenate([dec[320 * r + DELAY:320 * r + 320 + DELAY] for r in b]).astype(float)
            ours = np.concatenate([pcm[320 * r:320 * r + 320] for r in b]).astype(float)
            err = ref - ours
            frame_rms = np.sqrt(np.mean(err.reshape(-1, 320) ** 2, axis=1))
            bound = 125 if clip == "it_m_carlo_06" else 30
            assert frame_rms.max() <= bound, f"{clip} {var} {mode} burst at row {b[0]}: {frame_rms.max():.1f}"
            snr[mode].append(10 * np.log10((np.sum(ref ** 2) + 1) / (np.sum(err ** 2) + 1)))
    for mode, floor in (("plc", 50), ("dred", 65), ("lbrr", 50)):
        assert np.median(snr[mode]) >= floor, (mode, np.median(snr[mode]))


# --------------------------------------------------------------------------- #
# The DRED offset rule and the API
# --------------------------------------------------------------------------- #
def test_dred_feature_rows():
    # README pitfall: rows init - i - 2 + floor((D + 40 dred_offset) / 160)
    assert dred_feature_rows(4, 320, 4, blend=True) == [1, 0]
    assert dred_feature_rows(4, 320, 4, blend=False) == [3, 2, 1, 0]
    # too recent (negative rows) are left out, too old ones become skips
    assert dred_feature_rows(-4, 320, 4, blend=True) == []
    assert dred_feature_rows(-4, 480, 4, blend=True) == [0]
    assert dred_feature_rows(0, 3200, 1, blend=False) == [None, None, None, None]
    assert dred_feature_rows(0, 960, 1, blend=False) == [None, None, None, 3]
    # floor, not truncation toward zero: (320 - 400) / 160 -> -1 (truncation would give [0])
    assert dred_feature_rows(-10, 320, 4, blend=False) == []
    assert dred_feature_rows(-1, 480, 4, blend=True) == [0]
    # a 10 ms frame takes one feature frame
    assert dred_feature_rows(4, 160, 4, blend=True, frame_samples=160) == [0]


def test_fec_queue_is_consumed_before_prediction():
    plc = DeepPLC()
    rng = np.random.default_rng(1)
    plc.update((rng.normal(0, 2000, 160 * 15)).astype(np.int16))
    assert not plc.blend
    feats = np.tile(np.array([[-1.0] + [0.0] * 17 + [0.2, 0.3]], np.float32), (4, 1))
    plc.fec_add(feats)
    _, f = plc.conceal(2, return_features=True)
    # 2 priming frames + 2 concealed all came from the queue: no attenuation, loss_count 0
    np.testing.assert_array_equal(f, feats[2:])
    assert plc.loss_count == 0 and plc.blend
    _, f = plc.conceal(1, return_features=True)  # queue empty: predicted
    assert plc.loss_count == 1
    plc.fec_clear()
    plc.fec_add(None)  # a skip: the next frame is predicted, then the queued one is used
    plc.fec_add(feats[0])
    _, f = plc.conceal(2, return_features=True)
    assert not np.array_equal(f[0], feats[0]) and np.array_equal(f[1], feats[0]) and plc.loss_count == 0
    plc.update(np.zeros(160, np.int16))
    assert not plc.blend and plc.loss_count == 0


def test_attenuation_table():
    plc = DeepPLC()
    plc.update((np.random.default_rng(2).normal(0, 3000, 160 * 15)).astype(np.int16))
    _, f = plc.conceal(30, return_features=True)
    assert plc.loss_count == 30
    assert f[:, 0].min() >= -15 and f[-1, 0] == -15  # c0 floored once the fade is deep


def test_streams_share_model_and_are_independent():
    a = DeepPLC()
    b = a.new_stream()
    x = (np.random.default_rng(3).normal(0, 3000, 160 * 20)).astype(np.int16)
    a.update(x)
    b.update(x)
    pa = a.conceal(3)
    c = a.new_stream()
    c.update(x)
    np.testing.assert_array_equal(b.conceal(3), pa)
    np.testing.assert_array_equal(c.conceal(3), pa)
    a.reset()  # full reset == fresh stream
    a.update(x)
    np.testing.assert_array_equal(a.conceal(3), pa)
    assert a.isa == b.isa


def test_reset_keeps_fargan_like_libopus():
    """reset(full=False) is lpcnet_plc_reset: FARGAN's recurrent state survives, so after
    a concealment the next burst differs from a fresh stream's."""
    x = (np.random.default_rng(4).normal(0, 3000, 160 * 20)).astype(np.int16)
    fresh = DeepPLC()
    fresh.update(x)
    ref = fresh.conceal(2)
    s = DeepPLC()
    s.update(x[::-1].copy())
    s.conceal(4)
    s.reset(full=False)
    assert s._state()["analysis_pos"] == 2400 and not s.blend
    s.update(x)
    assert not np.array_equal(s.conceal(2), ref)
    s.reset(full=True)
    s.update(x)
    np.testing.assert_array_equal(s.conceal(2), ref)


def test_conceal_from_silence_and_no_history():
    plc = DeepPLC()
    out = plc.conceal(5)
    assert out.dtype == np.int16 and out.shape == (800,) and np.abs(out.astype(int)).max() < 2000


def test_bad_input():
    plc = DeepPLC()
    with pytest.raises(TypeError, match="int16"):
        plc.update(np.zeros(160, np.float32))
    with pytest.raises(ValueError, match="multiple of 160"):
        plc.update(np.zeros(100, np.int16))
    with pytest.raises(ValueError, match="1-D"):
        plc.update(np.zeros((2, 160), np.int16))
    with pytest.raises(ValueError, match="int16 range"):
        plc.update(np.full(160, 40000, np.int32))
    with pytest.raises(ValueError, match="NaN"):
        plc.fec_add(np.full(20, np.nan, np.float32))
    with pytest.raises(ValueError, match=r"\(n, 20\)"):
        plc.fec_add(np.zeros((2, 19), np.float32))
    with pytest.raises(TypeError):
        plc.conceal("2")
    with pytest.raises(ValueError):
        plc.conceal(-1)
    plc.fec_add(np.zeros((_plc.MAX_FEC, 20), np.float32))
    with pytest.raises(ValueError, match="full"):
        plc.fec_add(np.zeros(20, np.float32))
    with pytest.raises(ValueError, match="4 rows per latent"):
        plc.queue_dred(np.zeros((3, 20), np.float32), 0, 320)
    with pytest.raises(ValueError, match="isa"):
        DeepPLC(isa="mmx")
    assert plc.conceal(0).shape == (0,)


def test_missing_records():
    w = dredfast.load_weights(vectors.REPO_ROOT / "weights" / "lpcnet-191005.bin")
    with pytest.raises(ValueError, match="plc_dense_in"):
        DeepPLC(w)


# --------------------------------------------------------------------------- #
# Burg cepstrum against a textbook float64 model of the same maths
# --------------------------------------------------------------------------- #
def _burg_ref(x, order=16):
    """Textbook Burg (lattice) in float64: prediction polynomial a (a[0] = 1) and the
    residual energy."""
    f, b = x.astype(np.float64).copy(), x.astype(np.float64).copy()
    a = np.array([1.0])
    for m in range(order):
        ff, bb = f[m + 1:], b[m:len(b) - 1]
        k = -2 * ff @ bb / (ff @ ff + bb @ bb)
        a = np.concatenate([a, [0.0]])
        a = a + k * a[::-1]
        f_new, b_new = ff + k * bb, bb + k * ff
        f[m + 1:], b[m + 1:] = f_new, b_new
    return a, float(np.sum(f[order:] ** 2) + np.sum(b[order:] ** 2)) / 2


def _burg_cepstrum_ref(frame):
    edges = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40]) * 4
    n = np.arange(18)
    dct = np.cos(np.outer(n + .5, n) * np.pi / 18) * np.where(n == 0, np.sqrt(.5), 1)
    out = []
    for half in (frame[:80], frame[80:]):
        pre = half[1:] - 0.85 * half[:-1]
        a, _ = _burg_ref(pre)
        # residual energy as libopus's Burg reports it: forward error energy of the fit
        err = np.convolve(pre, a)[16:len(pre)]
        g = np.sum(err ** 2) / (80 - 30)
        x = np.zeros(320)
        x[0] = 1
        x[1:17] = a[1:] * .995 ** np.arange(1, 17)
        p = 1 / (np.abs(np.fft.fft(x)[:161] / 320) ** 2 + 1e-9)
        E = np.zeros(18)
        for i in range(17):
            w = edges[i + 1] - edges[i]
            frac = np.arange(w) / w
            E[i] += np.sum((1 - frac) * p[edges[i]:edges[i + 1]])
            E[i + 1] += np.sum(frac * p[edges[i]:edges[i + 1]])
        E[0] *= 2
        E[17] *= 2
        E *= .45 * g / 320 ** 3
        Ly, loud, follow = np.log10(1e-2 + E), -2.0, -2.0
        for i in range(18):
            Ly[i] = max(loud - 8, max(follow - 2.5, Ly[i]))
            loud, follow = max(loud, Ly[i]), max(follow - 2.5, Ly[i])
        c = dct.T @ Ly * np.sqrt(2 / 18)
        c[0] -= 4
        out.append(c)
    return np.concatenate([.5 * (out[0] + out[1]), out[0] - out[1]])


def test_burg_cepstrum_matches_textbook_maths():
    """dredfast's Burg cepstrum (bit-exact with libopus by the conformance tests, since it
    feeds the PLC network) against an independent float64 model.  The two differ by
    libopus's white-noise conditioning (1e-5 of the energy) and the residual-energy
    estimate; measured on these 20 frames: max abs difference 0.058 (median 0.001), so
    0.1 is the bound."""
    rng = np.random.default_rng(5)
    model = DeepPLC()._model
    worst = 0.0
    for _ in range(20):
        # speech-like coloured noise: AR(2) resonance + a little white noise
        e = rng.normal(0, 1000, 400)
        y = np.zeros(400)
        r, th = rng.uniform(.7, .95), rng.uniform(.1, 2.5)
        for t in range(2, 400):
            y[t] = e[t] + 2 * r * np.cos(th) * y[t - 1] - r * r * y[t - 2]
        frame = np.round(y[-160:]).astype(np.float32)
        ours = model.burg(frame)[0]
        ref = _burg_cepstrum_ref(frame.astype(np.float64))
        worst = max(worst, float(np.max(np.abs(ours - ref))))
    assert worst < 0.1, worst


def test_burg_cepstrum_same_bits_on_every_isa(isa):
    """The Burg cepstrum's FFT runs vectorised on AVX2 / AVX-512 (the analysis's FFT, same
    operation order): every kernel path gives the portable path's bits, on speech, coloured
    noise, near-silence and full-scale frames (the PLC network's input must not depend on
    the CPU; the deep-PLC conformance tests check the whole chain against libopus too)."""
    from importlib.resources import files
    from dredfast.audio import read_wav
    rng = np.random.default_rng(11)
    speech, _ = read_wav(str(files("dredfast.data") / "demo_speech.wav"))
    frames = [np.asarray(speech[16000:16000 + 160 * 200], np.float32),
              np.round(rng.normal(0, 3000, 160 * 50)).astype(np.float32),
              np.round(rng.normal(0, 1, 160 * 20)).astype(np.float32),
              np.tile(np.array([32767] * 40 + [-32768] * 40, np.float32), 20)]
    x = np.concatenate(frames)
    ref = DeepPLC(isa="scalar")._model.burg(x)
    got = DeepPLC(isa=isa)._model.burg(x)
    assert np.all(np.isfinite(ref))
    np.testing.assert_array_equal(got.view(np.uint32), ref.view(np.uint32))


def test_extreme_inputs_stay_defined():
    """Hostile but valid input: full-scale square waves, DC, silence (Burg's prediction
    gain limit and zero-energy paths) and absurd DRED features must give int16 output
    without crashing (UB is caught by the sanitizer job)."""
    plc = DeepPLC()
    sq = np.tile(np.array([32767] * 40 + [-32768] * 40, np.int16), 30)
    for hist in (sq, np.full(2400, 32767, np.int16), np.zeros(2400, np.int16)):
        s = plc.new_stream()
        s.update(hist)
        out = s.conceal(4)
        assert out.dtype == np.int16 and out.shape == (640,)
    s = plc.new_stream()
    s.update(sq)
    s.fec_add(np.full((4, 20), 1e30, np.float32))
    s.fec_add(np.full((2, 20), -1e30, np.float32))
    assert s.conceal(8).shape == (1280,)
    assert np.all(np.isfinite(plc._model.burg(sq[:160].astype(np.float32))))
