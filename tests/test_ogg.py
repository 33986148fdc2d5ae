"""Ogg Opus files (dredfast.ogg): round trips, and agreement with opus-tools and FFmpeg.

Exactness: a file written by dredfast and decoded by ``opusdec --rate 48000 --float`` or
by FFmpeg's libopus decoder (``-c:a libopus``, float output) must give the very samples
of decoding the same packets with the system libopus at 48 kHz, pre-skip dropped and
the end trimmed to the stated length -- no tolerance (same library, same float path).
(``opusdec --rate 16000`` decodes at 48 kHz and resamples, so it is not compared at
16 kHz; FFmpeg's native ``opus`` decoder is a different implementation.)
Files made by ``opusenc`` / ``ffmpeg -c:a libopus`` read back packet for packet: the
sizes match ``ffprobe``'s packet list and the decoded audio matches ``opusdec``'s.
The tools are Debian packages (opus-tools, ffmpeg); tests skip, saying so, without them.
"""
import shutil
import subprocess

import numpy as np
import pytest

import dredfast
from dredfast.audio import write_wav
from dredfast.ogg import OggOpusWriter, read_opus, write_opus

import vectors

needs_opusdec = pytest.mark.skipif(shutil.which("opusdec") is None, reason="opusdec not installed (apt-get install opus-tools)")
needs_opusenc = pytest.mark.skipif(shutil.which("opusenc") is None, reason="opusenc not installed (apt-get install opus-tools)")
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg)")


@pytest.fixture(scope="module")
def speech():
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    return z["pcm"].astype(np.float32) / 32768  # 2.4 s at 16 kHz


@pytest.fixture(scope="module")
def dred_packets(libopus, speech):
    """dredfast.Encoder's packets: 24 kb/s + LBRR from libopus, 1 s of DRED at 16 kb/s."""
    x = np.concatenate([speech, np.zeros(320, np.float32)])
    return dredfast.Encoder(bitrate=24000, lbrr=True, dred_bitrate=16000).encode_all(x)


def decode48(packets, pre_skip, length):
    d = dredfast.OpusDecoder(48000, 1)
    y = np.concatenate([d.decode(p, 5760) for p in packets])
    return y[pre_skip:pre_skip + length]


def test_round_trip(tmp_path, dred_packets, speech):
    path = tmp_path / "x.opus"
    n48 = 3 * len(speech)
    write_opus(path, dred_packets, length=n48, comments=["TITLE=test"], serial=7, packets_per_page=10)
    f = read_opus(path)
    assert f.packets == dred_packets
    assert (f.head.channels, f.head.pre_skip, f.head.input_sample_rate) == (1, 312, 16000)
    assert f.vendor == "dredfast" and f.comments == ["TITLE=test"]
    assert f.length == n48 and f.final_granule == n48 + 312
    # Granules: every page's is the end of its last packet (960 per 20 ms packet), the
    # last one trimmed.
    assert f.granules[9] == 960 * 10 and f.granules[-1] == n48 + 312
    assert sum(dredfast.find_dred_payload(p) is not None for p in f.packets) > len(f.packets) // 2


def test_crc_matches_bitwise_definition():
    """RFC 3533's CRC, computed bit by bit here, against the module's zlib-based one
    (opusdec and FFmpeg reading our files, below, check it against theirs)."""
    import os

    from dredfast.ogg import ogg_crc

    def bitwise(data):
        crc = 0
        for b in data:
            crc ^= b << 24
            for _ in range(8):
                crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
        return crc
    for n in (0, 1, 3, 64, 1000):
        d = os.urandom(n)
        assert ogg_crc(d) == bitwise(d)
    assert ogg_crc(b"123456789") == 0x89A1897F


def test_long_packets_continue_across_pages(tmp_path):
    big = [bytes([0x08]) + bytes(range(256)) * 300, bytes([0x08, 1, 2]), bytes([0x08]) * 255, bytes([0x08]) * 510]
    path = tmp_path / "big.opus"
    write_opus(path, big, serial=1)
    assert read_opus(path).packets == big


@pytest.mark.parametrize("damage", ["crc", "truncate", "not_ogg", "no_head"])
def test_bad_files_raise_value_error(tmp_path, damage):
    path = tmp_path / "bad.opus"
    write_opus(path, [bytes([0x08, 1, 2, 3])] * 20)
    data = bytearray(path.read_bytes())
    if damage == "crc":
        data[-3] ^= 0x40
    elif damage == "truncate":
        data = data[:-5]
    elif damage == "not_ogg":
        data = b"RIFF" + data[4:]
    else:
        data = data.replace(b"OpusHead", b"OpusHeaX")
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        read_opus(path)


def test_writer_checks(tmp_path):
    w = OggOpusWriter(tmp_path / "w.opus")
    with pytest.raises(ValueError):
        w.write(b"")
    w.write(bytes([0x08, 0]))
    with pytest.raises(ValueError):
        w.close(length=10_000)      # longer than the packets
    w.close(length=100)


@needs_opusdec
def test_opusdec_decodes_our_file_exactly(tmp_path, dred_packets, speech):
    path = tmp_path / "x.opus"
    n48 = 3 * len(speech)
    write_opus(path, dred_packets, length=n48)
    raw = tmp_path / "x.raw"
    subprocess.run(["opusdec", "--quiet", "--rate", "48000", "--float", str(path), str(raw)], check=True)
    got = np.fromfile(raw, np.float32)
    np.testing.assert_array_equal(got, decode48(dred_packets, 312, n48))


@needs_ffmpeg
def test_ffmpeg_decodes_our_file_exactly(tmp_path, dred_packets, speech):
    path = tmp_path / "x.opus"
    n48 = 3 * len(speech)
    write_opus(path, dred_packets, length=n48)
    raw = tmp_path / "x.raw"
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-c:a", "libopus", "-i", str(path), "-f", "f32le", str(raw)],
                       capture_output=True, text=True)
    if r.returncode and "libopus" in r.stderr:
        pytest.skip(f"this ffmpeg has no libopus decoder: {r.stderr.strip()[:200]}")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.fromfile(raw, np.float32), decode48(dred_packets, 312, n48))


def _ffprobe_sizes(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=size",
                          "-of", "csv=p=0", str(path)], check=True, capture_output=True, text=True).stdout
    return [int(x.split(",")[0]) for x in out.split()]


def _check_foreign(tmp_path, path):
    f = read_opus(path)
    if shutil.which("ffprobe"):
        assert [len(p) for p in f.packets] == _ffprobe_sizes(path)
    if shutil.which("opusdec"):
        raw = tmp_path / "ref.raw"
        subprocess.run(["opusdec", "--quiet", "--rate", "48000", "--float", str(path), str(raw)], check=True)
        ref = np.fromfile(raw, np.float32).reshape(-1, f.head.channels)
        d = dredfast.OpusDecoder(48000, f.head.channels)
        y = np.concatenate([d.decode(p, 5760).reshape(-1, f.head.channels) for p in f.packets])
        np.testing.assert_array_equal(y[f.head.pre_skip:f.head.pre_skip + f.length], ref)
    return f


@needs_opusenc
@pytest.mark.parametrize("channels", [1, 2])
def test_opusenc_file_reads_back(tmp_path, speech, channels):
    wav = tmp_path / "in.wav"
    import soundfile as sf
    x = speech if channels == 1 else np.stack([speech, 0.5 * speech[::-1]], axis=1)
    sf.write(wav, x, 16000, subtype="PCM_16")
    path = tmp_path / "enc.opus"
    subprocess.run(["opusenc", "--quiet", "--bitrate", "24", str(wav), str(path)], check=True)
    f = _check_foreign(tmp_path, path)
    assert f.head.channels == channels and f.head.input_sample_rate == 16000
    assert f.length == 3 * len(speech)


@needs_ffmpeg
def test_ffmpeg_file_reads_back(tmp_path, speech):
    wav = tmp_path / "in.wav"
    write_wav(wav, speech, 16000)
    path = tmp_path / "ff.opus"
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a", "24k", str(path)],
                       capture_output=True, text=True)
    if r.returncode and "libopus" in r.stderr:
        pytest.skip(f"this ffmpeg has no libopus encoder: {r.stderr.strip()[:200]}")
    assert r.returncode == 0, r.stderr
    f = _check_foreign(tmp_path, path)
    assert f.head.channels == 1 and len(f.packets) >= 120


def test_damaged_files_only_raise_value_error(tmp_path, dred_packets):
    """500 random damages (flipped bytes, cuts, spliced pages) of a real file: reading
    either succeeds or raises ValueError, nothing else."""
    import random
    path = tmp_path / "x.opus"
    write_opus(path, dred_packets, packets_per_page=7)
    good = path.read_bytes()
    rng = random.Random(3)
    outcomes = {"ok": 0, "ValueError": 0}
    for _ in range(500):
        d = bytearray(good)
        k = rng.random()
        if k < 0.4:
            for _ in range(rng.randrange(1, 4)):
                d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
        elif k < 0.7:
            d = d[:rng.randrange(len(d))]
        else:
            a, b = sorted(rng.randrange(len(d)) for _ in range(2))
            d = d[:a] + d[b:]
        path.write_bytes(bytes(d))
        try:
            read_opus(path)
            outcomes["ok"] += 1
        except ValueError:
            outcomes["ValueError"] += 1
    assert outcomes["ValueError"] > 100
