"""The system-libopus binding (dredfast._libopus) against the libopus 1.6.1 vectors.

Needs a libopus >= 1.3 on the machine: the tests skip (with the loader's message) when
there is none, unless DREDFAST_REQUIRE_LIBOPUS=1, which turns that into a failure (CI).
The full checks read ../shared and skip without it; the rest uses committed data.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

import numpy as np
import pytest

import dredfast
from dredfast import _libopus
from dredfast.audio import read_wav
from dredfast._libopus import LibopusNotFound, OpusDecoder, OpusEncoder, OpusError

import vectors

REQUIRE = os.environ.get("DREDFAST_REQUIRE_LIBOPUS") == "1"


@pytest.fixture(scope="module")
def lib():
    try:
        return _libopus._load()
    except LibopusNotFound as e:
        if REQUIRE:
            pytest.fail(f"DREDFAST_REQUIRE_LIBOPUS=1 but: {e}")
        pytest.skip(str(e))


needs_shared = pytest.mark.skipif(vectors.shared_dir() is None, reason="reference vectors need ../shared (in CI)")


def _clip_variants():
    """(clip, variant, packets, npz) for every packet file of the shared vectors."""
    vdir = vectors.vectors_dir()
    for clip in vectors.clip_names():
        with np.load(vdir / clip / "arrays.npz") as z:
            arrays = {k: z[k] for k in z.files if k.endswith(("_final_range", "_dec_noloss", "_dec_lbrr",
                                                              "_dec_lbrr_events")) or k == "trace"}
        for var in vectors.VARIANTS:
            f = vdir / clip / f"{var}.pkts"
            if f.is_file():
                yield clip, var, dredfast.read_packets(f), arrays


def _first_bits_lbrr(pkt: bytes) -> bool:
    """Independent check of has_lbrr for 20 ms mono SILK packets: symbols of probability 1/2
    at the very start of the range coder are the top bits of the first byte (the shortcut
    libopus 1.5's opus_packet_has_lbrr takes); bit 6 = the LBRR flag after one VAD flag."""
    info = dredfast.packet_info(pkt)
    assert info["toc"] >> 3 < 12 and info["samples_per_frame_48k"] == 960 and not info["toc"] & 4
    off = 1 + (info["toc"] & 3 == 3)  # code-3 count byte
    if info["toc"] & 3 == 3 and pkt[1] & 0x40:  # padding length bytes follow the count byte
        while pkt[off] == 255:
            off += 1
        off += 1
    return info["frame_lengths"][0] > 0 and bool(pkt[off] >> 6 & 1)


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------
def test_version_and_loader(lib):
    v = _libopus.libopus_version()
    assert v.startswith("libopus") and _libopus._parse_version(v) >= (1, 3)
    assert _libopus._load(lib.where) is lib  # cached per path


def test_libopus_present_when_required():
    """CI sets DREDFAST_REQUIRE_LIBOPUS=1: a missing or too old libopus then fails here (and in
    every test using the `lib` fixture) instead of skipping.  Without it, the loader either
    works or says how to install libopus."""
    try:
        v = _libopus.libopus_version()
    except LibopusNotFound as e:
        assert not REQUIRE, f"DREDFAST_REQUIRE_LIBOPUS=1 but: {e}"
        assert "apt install libopus0" in str(e)
        return
    assert _libopus._parse_version(v) >= _libopus.MIN_VERSION


def test_parse_version():
    assert _libopus._parse_version("libopus 1.3.1") == (1, 3)
    assert _libopus._parse_version("libopus 1.10-rc2") == (1, 10)
    assert _libopus._parse_version("libopus unknown") is None


def test_missing_library_message(tmp_path, monkeypatch):
    with pytest.raises(LibopusNotFound, match="apt install libopus0"):
        _libopus._load(tmp_path / "nope.so")
    monkeypatch.setenv("DREDFAST_LIBOPUS", str(tmp_path / "nope2.so"))
    with pytest.raises(LibopusNotFound, match="DREDFAST_LIBOPUS"):
        OpusDecoder()
    with pytest.raises(ImportError, match="brew install opus"):  # LibopusNotFound is an ImportError
        OpusEncoder(lib=tmp_path / "nope3.so")


def test_not_libopus_and_too_old(lib, monkeypatch):
    libm = ctypes.util.find_library("m")
    if libm:
        with pytest.raises(LibopusNotFound, match="not libopus"):
            _libopus._load(libm)
    monkeypatch.setattr(_libopus, "_cache", {})
    monkeypatch.setattr(_libopus, "MIN_VERSION", (99, 0))
    with pytest.raises(LibopusNotFound, match="needs libopus >= 99.0"):
        _libopus._load(lib.where)


# ------------------------------------------------------------------------------------------
# Conformance of the primary audio against libopus 1.6.1
# ------------------------------------------------------------------------------------------
@needs_shared
def test_final_range_every_packet_full(lib):
    """Stock libopus ends every packet (DRED packets included) in 1.6.1's encoder range state."""
    n = 0
    for clip, var, pkts, z in _clip_variants():
        want = z[f"{var}_final_range"]
        assert len(want) == len(pkts)
        dec = OpusDecoder(16000, 1)
        got = []
        for p in pkts:
            dec.decode(p)
            got.append(dec.final_range)
        bad = np.flatnonzero(np.asarray(got, dtype=np.uint32) != want)
        assert bad.size == 0, f"{clip}/{var}: final range differs at packets {bad[:10]}"
        n += len(pkts)
    assert n > 20000  # 24 clips x 3-4 variants


@needs_shared
def test_noloss_decode_identical_full(lib):
    """int16 decoding of the lossless streams is sample-identical to libopus 1.6.1's."""
    checked = 0
    for clip, var, pkts, z in _clip_variants():
        key = f"{var}_dec_noloss"
        if key not in z:
            continue  # not a heavy clip
        dec = OpusDecoder()
        out = np.concatenate([dec.decode_int16(p) for p in pkts])
        np.testing.assert_array_equal(out, z[key], err_msg=f"{clip}/{var}")
        checked += 1
    assert checked >= 30  # 10 heavy clips x 3 variants (+ v96 for 2)


@needs_shared
def test_has_lbrr_full(lib):
    """has_lbrr: false on every v24 packet; on v24fec equal to the first-byte bit and to the
    frames libopus 1.6.1 decoded from LBRR (events of kind 2)."""
    n_lbrr = n_fec = 0
    for clip, var, pkts, z in _clip_variants():
        dec = OpusDecoder()
        flags = [dec.has_lbrr(p) for p in pkts]
        if var != "v24fec":
            assert not any(flags), f"{clip}/{var}"
            continue
        assert flags == [_first_bits_lbrr(p) for p in pkts], clip
        assert flags == [_libopus._has_lbrr(lib, p, native=False) for p in pkts]
        n_lbrr += sum(flags)
        if "v24fec_dec_lbrr_events" not in z:
            continue
        ev, trace = z["v24fec_dec_lbrr_events"], z["trace"]
        for i in range(1, len(pkts)):
            if trace[i] and not trace[i - 1]:  # first packet after a loss: kind 2 iff it has LBRR
                assert (ev[i - 1, 1] == 2) == flags[i], f"{clip}: packet {i}"
                n_fec += flags[i]
    assert n_lbrr > 1000 and n_fec > 30


@needs_shared
def test_decode_fec_against_lbrr_mode(lib):
    """opus_demo-style LBRR decoding of v24fec under the vectors' loss trace.

    libopus 1.6.1 concealed with deep PLC (decoder complexity 10), 1.3 with its classic
    PLC, so outputs after a loss differ and the SILK state carries the difference into
    the next frames.  Exact checks: the sequence of normal/PLC/LBRR frames equals the
    reference events; frames before the first loss are identical; and every LBRR frame
    whose previous output frame is identical is itself identical (LBRR decoding from
    equal state is bit-exact): an LBRR frame right after a normally decoded frame that is
    identical to the reference (a single loss, after the state has re-converged) -- 5 such
    frames exist in these vectors (measured: all 5 identical; the other 62 LBRR frames
    follow PLC frames and reach 3-17 dB SNR against 1.6.1's output, per clip).
    """
    exact_fec = 0
    for clip, var, pkts, z in _clip_variants():
        if var != "v24fec" or "v24fec_dec_lbrr" not in z:
            continue
        trace, ref, ev = z["trace"], z["v24fec_dec_lbrr"], z["v24fec_dec_lbrr_events"]
        dec = OpusDecoder()
        frames, kinds, lost = [], [], 0
        for i, p in enumerate(pkts):
            if not trace[i]:
                lost += 1
                continue
            for f in range(lost):
                fec = f == lost - 1 and dec.has_lbrr(p)
                frames.append(dec.decode_int16(p if fec else None, 320, fec=fec))
                kinds.append(2 if fec else 1)
            lost = 0
            frames.append(dec.decode_int16(p))
            kinds.append(0)
        for _ in range(lost):
            frames.append(dec.decode_int16(None, 320))
            kinds.append(1)
        assert kinds == ev[:, 1].tolist(), clip
        refs = ref.reshape(-1, 320)
        first_loss = kinds.index(1)
        np.testing.assert_array_equal(np.concatenate(frames[:first_loss]), ref[:320 * first_loss])
        for k in np.flatnonzero(np.asarray(kinds) == 2):
            if kinds[k - 1] == 0 and np.array_equal(frames[k - 1], refs[k - 1]):
                np.testing.assert_array_equal(frames[k], refs[k], err_msg=f"{clip}: LBRR frame {k}")
                exact_fec += 1
    assert exact_fec >= 3


# ------------------------------------------------------------------------------------------
# Decoder API and hostile input
# ------------------------------------------------------------------------------------------
def test_decoder_basics(lib):
    pkts = dredfast.read_packets(vectors.subset_pkts_path("v24"))
    dec = OpusDecoder()
    assert dec.packet_nb_samples(pkts[0]) == dec.get_nb_samples(pkts[0]) == 320
    assert OpusDecoder(48000).get_nb_samples(pkts[0]) == 960
    x = dec.decode(pkts[0])
    assert x.dtype == np.float32 and x.shape == (320,)
    assert dec.last_packet_duration == 320
    y = dec.decode(None, 160)  # 10 ms of PLC
    assert y.shape == (160,) and np.all(np.isfinite(y))
    # float and int16 paths agree to rounding
    d1, d2 = OpusDecoder(), OpusDecoder()
    for p in pkts[:20]:
        a, b = d1.decode(p), d2.decode_int16(p)
        assert np.max(np.abs(a * 32768 - b)) <= 1.0
    # reset gives a fresh decoder
    dec.reset()
    np.testing.assert_array_equal(dec.decode_int16(pkts[0]), OpusDecoder().decode_int16(pkts[0]))
    stereo = OpusDecoder(48000, 2)
    s = stereo.decode(pkts[0], 960)
    assert s.shape == (960, 2)
    assert not dec.has_lbrr(pkts[5])
    # pitch / bandwidth / gain CTLs (all in libopus 1.3)
    g = OpusDecoder()
    assert g.bandwidth is None and g.gain == 0
    pitches = []
    for p in pkts:
        g.decode(p)
        pitches.append(g.pitch)
    assert g.bandwidth in ("wideband", "superwideband", "fullband")  # 16 kHz SILK-WB/hybrid streams
    # voiced speech at 24 kb/s: many SILK frames report a pitch period, 48 kHz samples of a
    # plausible voice (2.5..20 ms, libopus's pitch search range is 2..18 ms)
    voiced = [p for p in pitches if p]
    assert len(voiced) > len(pitches) // 4 and all(96 <= p <= 960 for p in voiced), voiced[:20]
    h = OpusDecoder()
    h.gain = -6 * 256  # -6 dB
    assert h.gain == -1536
    loud, quiet = OpusDecoder().decode(pkts[10]), h.decode(pkts[10])
    assert np.isclose(np.sum(quiet ** 2) / np.sum(loud ** 2), 10 ** -0.6, rtol=0.01)
    with pytest.raises(ValueError):
        h.gain = 40000


def test_decoder_argument_checks(lib):
    dec = OpusDecoder()
    p = dredfast.read_packets(vectors.subset_pkts_path("v24"))[0]
    with pytest.raises(ValueError):
        OpusDecoder(44100)
    with pytest.raises(ValueError):
        OpusDecoder(16000, 3)
    with pytest.raises(TypeError):
        dec.decode("abc")
    with pytest.raises(TypeError):
        dec.decode(p, fec=1)
    with pytest.raises(ValueError):
        dec.decode(p, 0)
    with pytest.raises(ValueError):
        dec.decode(p, 1921)  # > 120 ms
    with pytest.raises(ValueError, match="2.5 ms"):
        dec.decode(None, 100)
    with pytest.raises(OpusError, match="buffer too small"):
        dec.decode(p, 160)  # a 20 ms packet into 10 ms
    with pytest.raises(ValueError):
        dec.packet_nb_samples(b"")
    dec.close()
    dec.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        dec.decode(p)


def _outcome(dec, pkt):
    try:
        x = dec.decode(pkt, dec.max_frame_size)
    except OpusError as e:
        assert e.code < 0
        return "error"
    assert np.all(np.isfinite(x))  # float output is not clipped: garbage may exceed 1.0
    return "ok"


def test_hostile_packets(lib):
    """Garbage, truncations, other channel counts and modes: an OpusError or audio, never a crash."""
    rng = np.random.default_rng(1)
    pkts = dredfast.read_packets(vectors.subset_pkts_path("v24"))
    decs = [OpusDecoder(16000, 1), OpusDecoder(48000, 2), OpusDecoder(8000, 1)]
    seen = set()
    for dec in decs:
        for p in pkts[:10]:
            for n in range(1, len(p) + 1):
                seen.add(_outcome(dec, p[:n]))
        for _ in range(3000):
            n = int(rng.integers(1, 200))
            seen.add(_outcome(dec, rng.integers(0, 256, n, dtype=np.uint8).tobytes()))
        for toc in range(256):  # every TOC (CELT, hybrid, stereo, all codes) with random payload
            seen.add(_outcome(dec, bytes([toc]) + rng.integers(0, 256, 40, dtype=np.uint8).tobytes()))
        assert len(dec.decode(b"", dec.sample_rate // 50)) == dec.sample_rate // 50  # empty = lost: PLC
        assert dec.decode(pkts[0], dec.max_frame_size).size > 0  # still usable afterwards
    assert seen == {"ok", "error"}
    for dec in decs:  # has_lbrr never crashes either
        for _ in range(2000):
            p = rng.integers(0, 256, int(rng.integers(1, 60)), dtype=np.uint8).tobytes()
            try:
                assert dec.has_lbrr(p) in (True, False)
            except OpusError:
                pass


# ------------------------------------------------------------------------------------------
# Encoder
# ------------------------------------------------------------------------------------------
def _speech():
    """A dev clip when ../shared is there, else a voiced synthetic signal (harmonics + vibrato)."""
    d = vectors.shared_dir()
    if d is not None:
        x, fs = read_wav(d / "speech" / "dev" / "en_f_allison_01.wav")
        assert fs == 16000
        return np.asarray(x, dtype=np.float32).reshape(-1)[:16000 * 6]
    t = np.arange(16000 * 4) / 16000
    f0 = 140 + 20 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * np.cumsum(f0) / 16000
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * t) ** 2
    return (0.1 * env * sum(np.sin(k * ph) / k for k in range(1, 15))).astype(np.float32)


@pytest.mark.parametrize("fec", [False, True])
def test_encoder_round_trip(lib, fec):
    x = _speech()
    if x.dtype != np.float32 or np.abs(x).max() > 1.0:
        x = x.astype(np.float32) / 32768
    n = len(x) // 320
    enc = OpusEncoder(16000, 1, "voip", bitrate=24000, complexity=9, vbr=True, inband_fec=fec, packet_loss_pct=20)
    assert enc.lookahead == 104  # 16 kHz VOIP: 2.5 ms + 4 ms of SILK delay compensation
    dec = OpusDecoder()
    pkts = [enc.encode(x[320 * i:320 * (i + 1)]) for i in range(n)]
    assert isinstance(enc.final_range, int)
    assert enc.bandwidth == "wideband"  # the most a 16 kHz input can have
    y = np.concatenate([dec.decode(p) for p in pkts])
    ref, out = x[:len(y) - 104], y[104:]
    # energy within 1.5 dB and waveform SNR > 2 dB: SILK at 24 kb/s follows the waveform at low
    # frequencies (measured with libopus 1.3.1: dev clip -0.2..-0.7 dB, SNR 8-9 dB; the synthetic
    # fallback -0.4..-1.0 dB, SNR 3.0-3.2 dB).  The delay is the encoder's lookahead: the
    # error is smallest within 3 samples of it (measured 102-103: SILK's phase response).
    e = 10 * np.log10(np.sum(out ** 2) / np.sum(ref ** 2))
    snr = 10 * np.log10(np.sum(ref ** 2) / np.sum((out - ref) ** 2))
    assert abs(e) < 1.5 and snr > 2.0, (e, snr)
    m = len(x) - 400
    shifts = {d: np.sum((y[d:d + m] - x[:m]) ** 2) for d in range(60, 160)}
    assert abs(min(shifts, key=shifts.get) - 104) <= 3
    # VBR around the target: mean packet within +-30 % of 24 kb/s = 60 bytes per 20 ms
    # (measured: 57 bytes on the dev clip, 44-53 on the synthetic signal)
    mean_bytes = np.mean([len(p) for p in pkts])
    assert 42 <= mean_bytes <= 78, mean_bytes
    assert max(len(p) for p in pkts) <= _libopus.MAX_PACKET
    lbrr = sum(dec.has_lbrr(p) for p in pkts)
    if fec:  # measured: 261 of 300 packets (dev clip), 126 of 200 (synthetic)
        assert lbrr > n // 3, (lbrr, n)
    else:
        assert lbrr == 0


def test_encoder_options_and_checks(lib):
    x = np.zeros(320, np.float32)
    e = OpusEncoder(16000, 1, "audio", bitrate="auto", signal="voice", max_bandwidth="wideband", dtx=True, complexity=0)
    assert len(e.encode(x)) >= 1
    i16 = OpusEncoder(16000, 1)
    assert len(i16.encode(np.zeros(320, np.int16))) >= 1
    assert len(i16.encode(np.zeros(640, np.float32))) >= 1  # 40 ms frames are fine too
    with pytest.raises(ValueError):
        i16.encode(np.zeros(300, np.float32))
    with pytest.raises(TypeError):
        i16.encode(np.zeros(320, np.int32))
    with pytest.raises(ValueError):
        i16.encode(np.full(320, np.nan, np.float32))
    with pytest.raises(ValueError):
        i16.encode(np.zeros((320, 2), np.float32))
    with pytest.raises(ValueError):
        OpusEncoder(application="music")
    with pytest.raises(ValueError):
        OpusEncoder(bitrate=100)
    with pytest.raises(ValueError):
        OpusEncoder(packet_loss_pct=101)
    with pytest.raises(ValueError):
        OpusEncoder(max_bandwidth="huge")
    st = OpusEncoder(48000, 2, bitrate=64000)
    assert len(st.encode(np.zeros((960, 2), np.float32))) >= 1
    b = OpusEncoder(bitrate=24000)
    b.set_bitrate(12000)  # per packet, as dredfast's steered primary does
    assert b.bitrate == 12000
    with pytest.raises(ValueError):
        b.set_bitrate(100)
    a = OpusEncoder()
    p1 = [a.encode(_speech()[320 * i:320 * (i + 1)]) for i in range(5)]
    a.reset()
    p2 = [a.encode(_speech()[320 * i:320 * (i + 1)]) for i in range(5)]
    assert p1 == p2  # reset = fresh stream
    a.close()
    with pytest.raises(ValueError, match="closed"):
        a.encode(x)


def test_threads_share_one_decoder(lib):
    """The per-object lock serialises calls; concurrent use is safe (no crash, sane output)."""
    import threading

    pkts = dredfast.read_packets(vectors.subset_pkts_path("v24"))
    dec = OpusDecoder()
    errors = []

    def work():
        try:
            for p in pkts:
                assert dec.decode(p).shape == (320,)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
