"""dredfast.Encoder (system libopus primary + dredfast DRED) and `dredfast encode`."""
import numpy as np
import pytest

import dredfast
from dredfast.cli import main

import vectors


@pytest.fixture(scope="module")
def speech():
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    return z["pcm"].astype(np.float32) / 32768  # 2.4 s of speech


def test_dred_leaves_primary_audio_untouched(libopus, speech):
    """Stock libopus decodes DRED packets exactly like the same packets without DRED."""
    with_dred = dredfast.Encoder(dred_bitrate=16000).encode_all(speech)
    without = dredfast.Encoder(dred_bitrate=16000, dred_ms=0).encode_all(speech)
    assert len(with_dred) == len(without)
    da, db = dredfast.OpusDecoder(), dredfast.OpusDecoder()
    dec = dredfast.DredDecoder()
    latents = []
    for a, b in zip(with_dred, without):
        assert dredfast.find_dred_payload(b) is None
        assert np.array_equal(da.decode(a), db.decode(b))
        assert da.final_range == db.final_range
        d = dec.parse(a)
        latents.append(d.num_latents if d else 0)
    # An own 16 kb/s budget carries the full second (26 latents) once it has filled.
    assert max(latents) == 26 and sum(x > 0 for x in latents) > 0.8 * len(latents)


def test_libopus_split_and_lbrr(libopus, speech):
    # libopus 1.6.1's budget at 24 kb/s, 20 % loss: DRED takes 9 kb/s, 4 latents.
    enc = dredfast.Encoder(bitrate=24000, lbrr=False)
    assert enc.primary_bitrate == 15000 and enc.dred_budget.max_chunks == 4
    pk = enc.encode_all(speech)
    dec = dredfast.DredDecoder()
    assert max(dec.parse(p).num_latents for p in pk if dec.parse(p)) == 4
    # With LBRR at 24 kb/s libopus leaves DRED nothing.
    enc = dredfast.Encoder(bitrate=24000, lbrr=True)
    assert enc.dred_budget.max_chunks == 0
    pk = enc.encode_all(speech)
    assert all(dredfast.find_dred_payload(p) is None for p in pk)
    assert sum(dredfast.OpusDecoder().has_lbrr(p) for p in pk) > len(pk) // 2


def test_bad_input(libopus):
    enc = dredfast.Encoder()
    with pytest.raises(ValueError):
        enc.encode(np.zeros(100, np.float32))
    with pytest.raises(ValueError, match="sample_rate"):
        dredfast.Encoder(sample_rate=44100)
    with pytest.raises(ValueError, match="mode"):
        dredfast.Encoder(sample_rate=48000, mode="music")
    with pytest.raises(ValueError, match="bandwidth"):
        dredfast.Encoder(sample_rate=48000, bandwidth="ultraband")
    with pytest.raises(ValueError, match="wideband"):
        dredfast.Encoder(sample_rate=48000, mode="silk", bandwidth="fullband")
    st = dredfast.Encoder(sample_rate=48000, channels=2)
    with pytest.raises(ValueError, match=r"\(960, 2\)"):
        st.encode(np.zeros(960, np.float32))


def test_cli_encode(libopus, speech, tmp_path):
    from dredfast.audio import write_wav
    wav = tmp_path / "in.wav"
    write_wav(wav, speech)
    out = tmp_path / "out.pkts"
    assert main(["encode", str(wav), "-o", str(out), "--dred-bitrate", "16000"]) == 0
    pk = dredfast.read_packets(out)
    assert len(pk) == -(-len(speech) // 320) + 1
    assert sum(dredfast.find_dred_payload(p) is not None for p in pk) > len(pk) // 2
    assert main(["encode", str(tmp_path / "missing.wav"), "-o", str(out)]) == 2


# TOC configurations (RFC 6716 3.1): SILK 0-11, hybrid 12-15 (15 = fullband 20 ms), CELT 16-31.
TOC_MODE = {"silk": range(0, 12), "hybrid": range(12, 16), "celt": range(16, 32)}


@pytest.mark.parametrize("mode", ["hybrid", "celt", "silk", None])
def test_fullband_stereo_48k(libopus, mode):
    """48 kHz stereo in every coding mode: the system libopus decodes the packets (exactly as
    without DRED), the TOC says the mode and bandwidth asked for, and DredDecoder reads DRED."""
    import sender48_data as sd
    x = sd.demo_input(48000, 2)[:48000 * 2].astype(np.float32) / 32768  # 2 s
    bw = "wideband" if mode == "silk" else "fullband"  # SILK codes up to wideband
    kw = dict(sample_rate=48000, channels=2, bitrate=48000, lbrr=False, bandwidth=bw, mode=mode,
              application="audio" if mode == "celt" else "voip", complexity=5, dred_bitrate=24000)
    with_dred = dredfast.Encoder(**kw).encode_all(x)
    without = dredfast.Encoder(dred_ms=0, **kw).encode_all(x)
    da, db = dredfast.OpusDecoder(48000, 2), dredfast.OpusDecoder(48000, 2)
    dec = dredfast.DredDecoder()
    configs, latents = set(), []
    for a, b in zip(with_dred, without):
        pa = da.decode(a, 960)
        assert pa.shape == (960, 2)
        assert np.array_equal(pa, db.decode(b, 960)) and da.final_range == db.final_range
        configs.add(a[0] >> 3)
        assert a[0] & 4  # stereo bit
        d = dec.parse(a)
        latents.append(d.num_latents if d else 0)
    if mode is None:
        assert configs <= set(TOC_MODE["hybrid"]) | set(TOC_MODE["celt"])
    else:
        assert configs <= set(TOC_MODE[mode]), configs
        # 20 ms, fullband (SILK: wideband).
        assert configs == ({9} if mode == "silk" else {15} if mode == "hybrid" else {31}), configs
    # 24 kb/s of DRED's own carries the whole second (26 latents) once filled.
    assert max(latents) == 26 and sum(n > 0 for n in latents) > 0.8 * len(latents)


def test_libopus_split_at_48k(libopus):
    # libopus 1.6.1 at 64 kb/s, 20 % loss (vectors48's celt64 / st64): DRED takes 39 kb/s, 16 latents.
    enc = dredfast.Encoder(sample_rate=48000, channels=2, bitrate=64000, lbrr=False)
    assert enc.primary_bitrate == 25000 and enc.dred_budget.max_chunks == 16


@pytest.mark.parametrize("fs,channels", [(8000, 1), (12000, 2), (24000, 1), (48000, 2)])
def test_cli_encode_any_format(libopus, tmp_path, fs, channels):
    import wave

    import sender48_data as sd
    x = sd.demo_input(fs, channels)[: fs]  # 1 s
    wav = tmp_path / "in.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(fs)
        w.writeframes(x.astype("<i2").tobytes())
    out = tmp_path / "out.pkts"
    assert main(["encode", str(wav), "-o", str(out), "--bitrate", "32000", "--no-lbrr"]) == 0
    pk = dredfast.read_packets(out)
    assert len(pk) == -(-len(x) // (fs // 50)) + 1
    dec = dredfast.OpusDecoder(fs, channels)
    for p in pk:
        assert dec.decode(p, fs // 50).shape == ((fs // 50,) if channels == 1 else (fs // 50, channels))
        assert channels == 2 or not p[0] & 4  # (libopus may code a stereo input as mono at low rates)
    assert sum(dredfast.find_dred_payload(p) is not None for p in pk) > len(pk) // 2


def test_60ms_hybrid_packets(libopus):
    """libopus codes a 60 ms hybrid packet as three 20 ms frames and DRED after the first:
    the Encoder does the same, within the room libopus would leave it."""
    import sender48_data as sd
    from dredfast.dred_budget import multiframe_max_bytes
    x = sd.demo_input(48000, 1)[:48000 * 2].astype(np.float32) / 32768
    enc = dredfast.Encoder(sample_rate=48000, bitrate=32000, lbrr=False, bandwidth="fullband", frame_ms=60)
    pk = enc.encode_all(x)
    dec, opus = dredfast.DredDecoder(), dredfast.OpusDecoder(48000, 1)
    with_dred = 0
    for p in pk:
        assert opus.decode(p, 2880).shape == (2880,)
        info = dredfast.packet_info(p)
        assert info["nb_frames"] == 3 and p[0] >> 3 == 15  # hybrid fullband 20 ms frames
        payload = dredfast.find_dred_payload(p)
        if payload:
            with_dred += 1
            cap = multiframe_max_bytes(32000, enc.dred_budget.bitrate, 60, info["frame_lengths"][0] + 1)
            assert len(payload) - 2 <= cap
            assert dec.parse(p) is not None
    assert with_dred > len(pk) // 2
