"""Issue 12, must-show 1: no streaming object is ruined for good by one bad input.

Property, for every streaming object (Analyzer, both Vocoders, DredEncoder, Encoder,
DredDecoder, Receiver): feed clean speech, then ONE hostile frame / packet, then clean
again.  The hostile input is either refused with ``ValueError`` (and the state is left
as it was: the stream then matches an untouched twin exactly), or accepted, and then
every later output is finite and, from a few frames after it on, bounded like clean
output.  Hostile inputs are the edge of what is accepted (+-1e4 PCM / features, the
input limits of dredfast/_checks.py) in several shapes, values just past it, NaN/inf,
and seeded random ones (a fixed seed per case, so a failure reproduces).

Bounds and where they come from: clean output here peaks at ~0.6 (speech at 0.3 rms);
"bounded" is peak <= 2 and rms <= 1 over the frames from ``SETTLE`` on.  Features:
real ones lie within +-20; "bounded" is +-100.
"""
import numpy as np
import pytest

import dredfast
from dredfast.audio import read_wav
from dredfast._checks import MAX_ABS_FEATURE, MAX_ABS_PCM

SETTLE = 5  # frames (10 ms, or packets) after the hostile one before the bound applies
SEEDS = range(3)


@pytest.fixture(scope="module")
def speech():
    """1.5 s of the packaged demo speech (real speech, 16 kHz)."""
    from importlib import resources
    pcm, fs = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    assert fs == 16000
    return pcm[16000:16000 + 24000].astype(np.float32)


@pytest.fixture(scope="module")
def features(speech):
    return dredfast.analyze(speech)


def hostile_pcm(kind: str, n: int, seed: int) -> np.ndarray:
    """One hostile frame of n samples."""
    rng = np.random.default_rng(seed)
    m = MAX_ABS_PCM
    if kind == "alternating max":
        return np.where(np.arange(n) % 2, m, -m).astype(np.float32)
    if kind == "dc max":
        return np.full(n, m, np.float32)
    if kind == "impulse max":
        x = np.zeros(n, np.float32)
        x[rng.integers(n)] = -m
        return x
    if kind == "random within limit":
        return (rng.uniform(-1, 1, n) * m * rng.uniform(0, 1)).astype(np.float32)
    if kind == "full-scale int16 square":
        return np.where(np.arange(n) // 8 % 2, 32767, -32768).astype(np.int16)
    if kind == "just past the limit":
        return np.full(n, 1.0001 * m, np.float32)
    if kind == "float64 beyond float32":
        return np.full(n, 1e300, np.float64)
    if kind == "nan":
        x = np.zeros(n, np.float32)
        x[rng.integers(n)] = np.nan
        return x
    raise AssertionError(kind)


PCM_KINDS = ["alternating max", "dc max", "impulse max", "random within limit", "full-scale int16 square",
             "just past the limit", "float64 beyond float32", "nan"]
REFUSED_PCM = {"just past the limit", "float64 beyond float32", "nan"}


def hostile_features(kind: str, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = MAX_ABS_FEATURE
    if kind == "all max":
        return np.full((rows, 20), m, np.float32)
    if kind == "alternating max":
        return np.where(np.arange(20) % 2, m, -m).astype(np.float32)[None].repeat(rows, 0)
    if kind == "one column max":
        f = np.zeros((rows, 20), np.float32)
        f[:, rng.integers(20)] = m * rng.choice([-1, 1])
        return f
    if kind == "random within limit":
        return (rng.uniform(-1, 1, (rows, 20)) * m).astype(np.float32)
    if kind == "just past the limit":
        return np.full((rows, 20), 1.0001 * m, np.float32)
    if kind == "float64 beyond float32":
        return np.full((rows, 20), -1e300, np.float64)
    if kind == "inf":
        f = np.zeros((rows, 20), np.float32)
        f[0, rng.integers(20)] = np.inf
        return f
    raise AssertionError(kind)


FEATURE_KINDS = ["all max", "alternating max", "one column max", "random within limit", "just past the limit",
                 "float64 beyond float32", "inf"]
REFUSED_FEATURES = {"just past the limit", "float64 beyond float32", "inf"}


def assert_recovers(after: np.ndarray, frame: int, what: str) -> None:
    """after: output from the hostile frame on, frame: samples per frame."""
    assert np.all(np.isfinite(after)), f"{what}: non-finite output after the hostile input"
    tail = after[SETTLE * frame:]
    assert tail.size
    assert np.max(np.abs(tail)) <= 2.0, f"{what}: peak {np.max(np.abs(tail)):.3g} {SETTLE} frames on"
    assert np.sqrt(np.mean(tail.astype(np.float64) ** 2)) <= 1.0, f"{what}: rms too high {SETTLE} frames on"


# ---- Analyzer ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", PCM_KINDS)
def test_analyzer(speech, kind):
    for seed in SEEDS if kind in ("impulse max", "random within limit", "nan") else [0]:
        a, twin = dredfast.Analyzer(), dredfast.Analyzer()
        a.process(speech[:4000]), twin.process(speech[:4000])
        bad = hostile_pcm(kind, 160, seed)
        if kind in REFUSED_PCM:
            with pytest.raises(ValueError):
                a.process(bad)
            np.testing.assert_array_equal(a.process(speech[4000:]), twin.process(speech[4000:]))
            continue
        a.process(bad)
        f = a.process(speech[4000:])
        assert np.all(np.isfinite(f)), (kind, seed)
        assert np.max(np.abs(f[SETTLE:])) <= 100, (kind, seed, np.max(np.abs(f[SETTLE:])))


# ---- Vocoders ----------------------------------------------------------------------

@pytest.mark.parametrize("vocoder", ["fargan", "lpcnet"])
@pytest.mark.parametrize("kind", FEATURE_KINDS)
def test_vocoder(features, vocoder, kind):
    for seed in SEEDS if kind in ("one column max", "random within limit") else [0]:
        v, twin = dredfast.Vocoder(vocoder), dredfast.Vocoder(vocoder)
        v.synthesize(features[:30]), twin.synthesize(features[:30])
        bad = hostile_features(kind, 1, seed)
        if kind in REFUSED_FEATURES:
            with pytest.raises(ValueError):
                v.synthesize(bad)
            np.testing.assert_array_equal(v.synthesize(features[30:60]), twin.synthesize(features[30:60]))
            continue
        after = np.concatenate([v.synthesize(bad), v.synthesize(features[30:60])])
        assert_recovers(after, 160, f"{vocoder} {kind} seed {seed}")


# ---- DredEncoder / Encoder ---------------------------------------------------------

@pytest.fixture(scope="module")
def dred_decoder():
    return dredfast.DredDecoder()


def _check_payloads(payloads, budget, dec, what):
    """Every payload fits the budget and decodes to finite, bounded features."""
    frame = bytes([9 << 3]) + b"\x55" * 30
    for p in payloads:
        if not p:
            continue
        assert len(p) <= budget.max_bytes + 2, what
        d = dec.parse(dredfast.add_dred(frame, p))
        f = d.features()
        assert np.all(np.isfinite(f)) and np.max(np.abs(f)) <= 100, what


@pytest.mark.parametrize("kind", PCM_KINDS)
def test_dred_encoder(speech, dred_decoder, kind):
    enc, twin = dredfast.DredEncoder(), dredfast.DredEncoder()
    frames = speech[:len(speech) // 320 * 320].reshape(-1, 320)
    for x in frames[:20]:
        enc.push(x), twin.push(x)
    bad = hostile_pcm(kind, 320, 1)
    if kind in REFUSED_PCM:
        with pytest.raises(ValueError):
            enc.push(bad)
        assert [enc.push(x) for x in frames[20:]] == [twin.push(x) for x in frames[20:]]
        return
    out = [enc.push(bad)] + [enc.push(x) for x in frames[20:]]
    _check_payloads(out, enc.budget, dred_decoder, f"DredEncoder {kind}")


@pytest.mark.parametrize("kind", ["alternating max", "dc max", "full-scale int16 square", "nan"])
def test_encoder(libopus, speech, dred_decoder, kind):
    enc = dredfast.Encoder()
    frames = speech[:len(speech) // 320 * 320].reshape(-1, 320)
    pk = [enc.encode(x) for x in frames[:20]]
    bad = hostile_pcm(kind, 320, 1)
    if kind in REFUSED_PCM:
        with pytest.raises(ValueError):
            enc.encode(bad)
    else:
        pk.append(enc.encode(bad))
    pk += [enc.encode(x) for x in frames[20:]]
    assert all(0 < len(p) <= enc.max_bytes for p in pk)
    # The packets are a stream the receiver decodes to bounded audio.
    rx = dredfast.Receiver()
    y = np.concatenate([rx.decode(p) for p in pk])
    assert rx.stats.bad_packets == 0
    assert_recovers(y[21 * 320:], 320, f"Encoder {kind}")


# ---- packets: DredDecoder and Receiver ---------------------------------------------

@pytest.fixture(scope="module")
def clean_packets(libopus, speech):
    enc = dredfast.Encoder(dred_bitrate=16000)
    frames = speech[:len(speech) // 320 * 320].reshape(-1, 320)
    return [enc.encode(x) for x in frames]


def hostile_packets(clean, seed):
    """(name, packet) pairs: garbage, damaged real packets, DRED with garbage, bombs."""
    import packetutil
    rng = np.random.default_rng(seed)
    real = clean[10 + seed]
    flipped = bytearray(real)
    for i in rng.integers(0, len(real), 8):
        flipped[i] ^= 1 << int(rng.integers(8))
    dred_garbage = dredfast.add_dred(real[:1] + real[1:], b"D\x0c" + rng.bytes(200))
    return [
        ("random bytes", rng.bytes(int(rng.integers(1, 1500)))),
        ("empty", b""),
        ("1 MB random", rng.bytes(1 << 20)),
        ("truncated real", real[:int(rng.integers(1, len(real)))]),
        ("bit-flipped real", bytes(flipped)),
        ("DRED of garbage", dred_garbage),
        ("repeat bomb", packetutil.code3([b""] * 48, b"\x06" * 60000 + b"\x04", vbr=False, toc_config=16)),
        ("48 x 2.5 ms CELT of zeros", packetutil.code3([b"\0" * 20] * 48, vbr=False, toc_config=16)),
        ("120 ms of SILK frames", packetutil.code3([real[1:]] * 6, toc_config=real[0] >> 3)),
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_dred_decoder(clean_packets, dred_decoder, seed):
    ref = dred_decoder.parse(clean_packets[30]).features()
    for name, bad in hostile_packets(clean_packets, seed):
        try:
            d = dred_decoder.parse(bad)
        except ValueError:
            d = None
        if d is not None:
            f = d.features()
            assert np.all(np.isfinite(f)) and np.max(np.abs(f)) <= 100, name
        # Stateless per packet: the next clean packet decodes exactly as before.
        np.testing.assert_array_equal(dred_decoder.parse(clean_packets[30]).features(), ref)


@pytest.mark.parametrize("seed", SEEDS)
def test_receiver(clean_packets, seed):
    for name, bad in hostile_packets(clean_packets, seed):
        rx = dredfast.Receiver()
        y = [rx.decode(p) for p in clean_packets[:20]]
        y.append(rx.decode(bad, lookahead=clean_packets[20:22]))
        normal0 = rx.stats.normal
        y += [rx.decode(p, lookahead=clean_packets[i + 1:i + 3]) for i, p in enumerate(clean_packets[20:], 20)]
        # Every clean packet after the hostile one is decoded normally...
        assert rx.stats.normal - normal0 == len(clean_packets) - 20, name
        # ... and the audio stays finite and bounded.
        after = np.concatenate(y[20:])
        assert_recovers(after, 320, f"Receiver {name} seed {seed}")
