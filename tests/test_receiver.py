"""dredfast.Receiver: normal decoding, LBRR / DRED / PLC switching, long bursts, bad input.

Quality against libopus 1.6.1 over the dev set is measured by
benchmarks/quality_receiver.py (too slow for the suite); here the behaviour is checked on
the committed excerpt (first 2.4 s of en_f_allison_01) and packets made from it.
"""
import threading

import numpy as np
import pytest

import dredfast
from dredfast.simulate import DECODER_DELAY, simulate

import vectors


@pytest.fixture(scope="module")
def speech():
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    return z["pcm"].astype(np.float32) / 32768  # 2.4 s


@pytest.fixture(scope="module")
def v96():
    return vectors.read_pkts(vectors.subset_pkts_path("v96"))  # libopus 1.6.1, 1 s of DRED each


@pytest.fixture(scope="module")
def own_packets(libopus, speech):
    """24 kb/s + LBRR from the system libopus, 1 s of DRED at 16 kb/s from dredfast."""
    return dredfast.Encoder(bitrate=24000, lbrr=True, dred_bitrate=16000).encode_all(
        np.concatenate([speech, np.zeros(320, np.float32)]))


def run(packets, lost, **kw):
    rx = dredfast.Receiver(**kw)
    out, kinds = [], []
    for i, p in enumerate(packets):
        ahead = [None if (j >= len(packets) or lost[j]) else packets[j] for j in range(i + 1, i + 60)]
        out.append(rx.decode(None if lost[i] else p, lookahead=ahead))
        kinds.append(rx.last_kind)
    return np.concatenate(out), kinds, rx


def test_no_loss_is_the_system_decoder(libopus, v96):
    out, kinds, rx = run(v96, [False] * len(v96))
    dec = dredfast.OpusDecoder()
    ref = np.concatenate([dec.decode_int16(p) for p in v96]).astype(np.float32) / 32768
    assert np.array_equal(out, ref)
    assert set(kinds) == {"normal"} and rx.stats.normal == len(v96)


def test_dred_fills_a_burst_that_plc_cannot(libopus, v96, speech):
    """A 600 ms burst in speech: the DRED of the packet after it carries those 30 frames."""
    lost = np.zeros(len(v96), bool)
    lost[25:55] = True
    with_dred, kinds, rx = run(v96, lost)
    plc_only, kinds_plc, _ = run(v96, lost, use_dred=False)
    assert kinds[25:55] == ["dred"] * 30 and rx.stats.dred == 30
    assert kinds_plc[25:55] == ["plc"] * 30
    # The burst's output against the clean speech it stands for (decoder delay removed).
    ref = speech[25 * 320 - DECODER_DELAY:55 * 320 - DECODER_DELAY]

    def seg(y):
        return y[25 * 320:55 * 320]
    from dredfast import metrics
    s_dred, s_plc = metrics.stoi(ref, seg(with_dred)), metrics.stoi(ref, seg(plc_only))
    print(f"STOI over the 600 ms burst: DRED {s_dred:.3f}, PLC {s_plc:.3f}")
    assert s_dred > 0.7 and s_dred > s_plc + 0.1


def test_lbrr_then_dred_then_plc(libopus, own_packets):
    lost = np.zeros(len(own_packets), bool)
    lost[20] = True            # single loss: LBRR of packet 21
    lost[40:44] = True         # 80 ms: LBRR for the last, DRED for the others
    out, kinds, rx = run(own_packets, lost)
    assert kinds[20] == "lbrr"
    assert kinds[40:44] == ["dred", "dred", "dred", "lbrr"]
    assert np.all(np.isfinite(out)) and np.max(np.abs(out)) <= 1.5
    s = rx.stats
    assert (s.normal, s.lbrr, s.dred, s.plc) == (len(own_packets) - 5, 2, 3, 0)


def test_two_second_burst_fades_to_silence(libopus, own_packets, speech):
    """DRED covers the newest second of a 2 s gap; before it, PLC fades out, never noise."""
    pk = own_packets
    n = len(pk)
    lost = np.zeros(n, bool)
    lost[10:110] = True  # 2 s, from 0.2 s to 2.2 s
    out, kinds, rx = run(pk, lost)
    k = kinds[10:110]
    # The newest frames of the gap can be silence the sender did not code (then predicted).
    assert k.count("dred") >= 40 and "dred" in k[-10:] and k[0] == "plc"
    frames = out[: n * 320].reshape(n, 320)
    rms = np.sqrt(np.mean(frames ** 2, axis=1))
    plc_part = [i for i in range(10, 110) if kinds[i] == "plc"]
    # libopus's attenuation: after ~0.5 s of prediction the PLC output is near silence.
    late = [i for i in plc_part if i - 10 >= 30]
    assert late and np.max(rms[late]) < 0.1 * np.max(rms[:10].max(initial=1e-3)) + 1e-3
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("bad", [b"", b"\xff", b"\x03", b"\x4b\x41" + b"\x00" * 3000, b"\x4b\x85\xff\xff"])
def test_garbage_is_concealed_and_counted(libopus, v96, bad):
    rx = dredfast.Receiver()
    for p in v96[:10]:
        rx.decode(p)
    y = rx.decode(bad)
    assert y.shape == (320,) and np.all(np.isfinite(y))
    assert rx.last_kind == "bad" and rx.stats.bad_packets == 1
    y = rx.decode(v96[11])
    assert rx.last_kind == "normal" and np.all(np.isfinite(y))


def test_other_rates_channels_repeats_and_order(libopus, speech, v96):
    """A valid but odd packet (a 10 ms narrowband frame), packets of another stream (stereo, 48 kHz fullband, 60 ms) are still Opus: decoded
    (mixed down, at 16 kHz); repeated and reordered packets never stop the audio."""
    enc = dredfast.OpusEncoder(48000, 2, bitrate=64000)
    stereo48 = enc.encode(np.zeros((960, 2), np.float32))
    long60 = dredfast.OpusEncoder(16000, 1, bitrate=24000).encode(np.zeros(960, np.float32))
    rx = dredfast.Receiver()
    seq = v96[:5] + [bytes(range(256)), stereo48, long60] + [v96[5], v96[5], v96[7], v96[6]] + [None, None] + v96[8:12]
    total = 0
    for p in seq:
        y = rx.decode(p)
        assert np.all(np.isfinite(y)) and len(y) % 160 == 0
        total += len(y)
    assert total >= 320 * len(seq)
    assert rx.stats.bad_packets == 0


def test_bad_arguments(libopus):
    with pytest.raises(ValueError, match="sample_rate"):
        dredfast.Receiver(sample_rate=44100)
    with pytest.raises(ValueError, match="channels"):
        dredfast.Receiver(channels=3)
    with pytest.raises(ValueError, match="16000"):
        dredfast.Receiver(sample_rate=48000, vocoder="lpcnet")
    with pytest.raises(ValueError, match="max_dred_ms"):
        dredfast.Receiver(max_dred_ms=-1)
    with pytest.raises(ValueError, match="vocoder"):
        dredfast.Receiver(vocoder="wavenet")
    with pytest.raises(ValueError, match="history"):
        dredfast.Receiver(history="rewind")
    rx = dredfast.Receiver()
    with pytest.raises(TypeError):
        rx.decode("not bytes")


def test_threads_match_serial(libopus, v96):
    lost = np.zeros(len(v96), bool)
    lost[[5, 20, 21, 22, 40]] = True
    serial = run(v96, lost)[0]
    results = [None] * 4

    def work(i):
        results[i] = run(v96, lost)[0]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(r, serial) for r in results)


def test_lpcnet_receiver(libopus, v96):
    lost = np.zeros(len(v96), bool)
    lost[30:40] = True
    out, kinds, rx = run(v96, lost, vocoder="lpcnet")
    assert kinds[30:40] == ["dred"] * 10 and np.all(np.isfinite(out))
    seg = out[30 * 320:40 * 320]
    assert 1e-3 < np.sqrt(np.mean(seg ** 2)) < 0.5


def test_simulate_and_cli(libopus, speech, tmp_path):
    lost = np.zeros(200, bool)
    lost[[10, 30, 31, 32, 60, 61, 62, 63, 64, 65]] = True
    res = simulate(speech, lost, bitrate=24000, lbrr=True, dred_bitrate=16000, metrics=False)
    rep = res.report()
    assert rep["lost_packets"] == 10 and rep["filled_by"]["normal"] == rep["packets"] - 10
    assert 30000 < rep["bitrate_bps"] < 50000
    from dredfast.audio import write_wav
    from dredfast.cli import main
    wav, trace = tmp_path / "s.wav", tmp_path / "t.txt"
    write_wav(wav, speech)
    trace.write_text("\n".join("0" if x else "1" for x in lost) + "\n")
    out = tmp_path / "o.wav"
    assert main(["simulate", str(wav), "--trace", str(trace), "-o", str(out), "--no-metrics",
                 "--report", str(tmp_path / "r.json")]) == 0
    assert out.exists() and (tmp_path / "r.json").exists()
    assert main(["simulate", str(wav), "--trace", str(trace), "-o", str(out), "--no-metrics",
                 "--history", "stock"]) == 0
    short = tmp_path / "short.txt"
    short.write_text("1\n0\n")
    assert main(["simulate", str(wav), "--trace", str(short), "-o", str(out), "--no-metrics"]) == 0  # a short trace repeats with a notice (issue 14)


def test_random_packet_sequences(libopus, v96, own_packets):
    """2,000 slots of real, truncated, bit-flipped, random and missing packets, with random
    look-ahead: always finite audio of the slot's length, every slot counted."""
    rng = np.random.default_rng(7)
    real = list(v96) + list(own_packets)
    rx = dredfast.Receiver()

    def packet():
        r = rng.random()
        p = real[rng.integers(len(real))]
        if r < 0.4:
            return p
        if r < 0.55:
            return None
        if r < 0.7:
            return p[:rng.integers(0, len(p) + 1)]
        if r < 0.85:
            b = bytearray(p)
            for _ in range(rng.integers(1, 4)):
                b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
            return bytes(b)
        return bytes(rng.integers(0, 256, rng.integers(0, 200), dtype=np.uint8))

    slots = 2000
    for _ in range(slots):
        y = rx.decode(packet(), lookahead=[packet() for _ in range(rng.integers(0, 4))])
        assert y.dtype == np.float32 and len(y) % 40 == 0 and len(y) > 0 and np.all(np.isfinite(y))  # 2.5 ms units
    s = rx.stats
    assert s.normal + s.lbrr + s.dred + s.plc == slots


def test_shadow_packets_line_up_with_the_played_audio(libopus, speech):
    """The shadow encoder's packets, decoded, reproduce the audio they were made from at lag
    0: the encoder input is advanced by its look-ahead (104 samples), which cancels the
    codec delay.  SILK at 40 kb/s, complexity 0 gives 8.4 dB waveform SNR here (measured);
    a 13-sample misalignment (SILK's internal delay) drops it below 0 dB."""
    from dredfast._shadow import ShadowEncoder
    sh, dec = ShadowEncoder(), dredfast.OpusDecoder()
    frames = speech[:len(speech) // 320 * 320].reshape(-1, 320)
    sh.decoded(frames[0])
    sh.decoded(frames[1])
    got = []
    for j in range(2, len(frames)):
        due = sh.concealed(frames[j], "wideband")
        if due is not None:
            pkt, n = due
            assert n == 320 and (pkt[0] >> 3) == 9  # SILK-only, wideband, 20 ms
            got.append(dec.decode_int16(pkt, n).astype(np.float32) / 32768)
    y = np.concatenate(got)  # frames 2 .. len-2

    def snr(lag):
        ref = speech[2 * 320 + lag:2 * 320 + lag + len(y)]
        return 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - y) ** 2))

    assert snr(0) > 6
    assert snr(0) > max(snr(-13), snr(13)) + 5
    assert sh.pending and sh.flush(np.zeros(104, np.float32))[1] == 320 and not sh.pending


@pytest.mark.parametrize("history", ["shadow", "stock"])
def test_both_histories_switch_and_count(libopus, own_packets, history):
    lost = np.zeros(len(own_packets), bool)
    lost[[10, 30, 31, 32, 60, 61, 62, 63, 64, 65, 100]] = True
    out, kinds, rx = run(own_packets, lost, history=history)
    assert np.all(np.isfinite(out)) and len(out) == 320 * len(own_packets)
    assert rx.stats.normal == len(own_packets) - lost.sum()
    assert rx.stats.lbrr + rx.stats.dred + rx.stats.plc == lost.sum() and rx.stats.lbrr >= 3
    assert np.max(np.abs(out)) <= 1


def test_shadow_history_beats_the_stock_plc_history(libopus, speech):
    """Decoding after a loss from the audio that was played (``history="shadow"``) against
    from the system decoder's own classic PLC (``"stock"``): mean PESQ-WB over six random
    loss patterns on the 2.4 s excerpt (24 kb/s, own packets).  Measured with the shadow
    encoder's warm-up frame: DRED 3.191 vs 3.082 over the system libopus 1.3.1, 3.123 vs
    3.042 over libopus 1.6.1; without it (SILK-only streams since session 27): 3.138 vs
    3.083 and 3.178 vs 3.036 -- the excerpt moves by +-0.05 with such changes, which the
    dev set puts within 0.01 (see shadow_emit) -- so 0.04 is asserted.  After PLC the
    excerpt is too small to show the gain: shadow minus stock moved between -0.014 and
    +0.065 with the warm-up frames (0-2), the fade's continuation and the libopus (now
    +0.015 / +0.065), so only "not clearly worse" (0.02) is asserted there.  The dev set
    (benchmarks/quality_receiver.py --history shadow|stock, 24 clips x 5 traces) measures
    the gain: over libopus 1.6.1, PLC 1.703 vs 1.676, DRED 2.214 vs 2.154, LBRR 1.980 vs
    1.949.  Without look-ahead concealment (plc_lookahead=0): with it, on this excerpt, the
    stock history scores higher after PLC (2.42 vs 2.30), but not on the dev set."""
    pytest.importorskip("pesq")
    from dredfast.simulate import quality
    packets = dredfast.Encoder(bitrate=24000, lbrr=False).encode_all(np.concatenate([speech, np.zeros(320, np.float32)]))
    pesq = {}
    for seed in range(6):
        rng = np.random.default_rng(seed)
        lost = np.zeros(len(packets), bool)
        for s0 in rng.choice(np.arange(3, len(packets) - 5), 6, replace=False):
            lost[s0:s0 + rng.integers(1, 4)] = True
        for history in ("stock", "shadow"):
            for use_dred in (False, True):
                y = run(packets, lost, history=history, use_dred=use_dred, plc_lookahead=0)[0]
                m = quality(speech, y[DECODER_DELAY:DECODER_DELAY + len(speech)])["pesq_wb"]
                pesq.setdefault((history, use_dred), []).append(m)
    mean = {k: float(np.mean(v)) for k, v in pesq.items()}
    assert mean[("shadow", True)] > mean[("stock", True)] + 0.04, mean
    assert mean[("shadow", False)] > mean[("stock", False)] - 0.02, mean
