"""Issue 12, findings 2, 3 and 7: inputs whose cost or effect was out of proportion.

Each test builds the finding's input itself.  Time bounds are generous (a loaded
2-core machine) but far below what the old code took; memory is measured with
``ru_maxrss`` (C++ allocations included), which only ever grows, so a bound on its
increase is a bound on the peak.
"""
import io
import os
import resource
import struct
import threading
import time
import wave

import numpy as np
import pytest

import dredfast
from dredfast import cli
from dredfast.packets import iter_packets

import packetutil


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def repeat_bomb(n: int) -> bytes:
    """Finding 2: a code-3 packet of 48 CELT 2.5 ms frames whose padding holds n
    one-byte extensions (ID 3, no payload) and an L=0 repeat marker: every extension is
    listed again for each of the 47 later frames (48 n entries from n + 1 bytes)."""
    return packetutil.code3([b""] * 48, b"\x06" * n + b"\x04", vbr=False, toc_config=16)


# ---- finding 2 -----------------------------------------------------------------

def test_small_repeat_is_still_listed():
    info = dredfast.packet_info(repeat_bomb(10))
    assert len(info["extensions"]) == 480
    assert {e[0] for e in info["extensions"]} == {3}
    assert sorted({e[1] for e in info["extensions"]}) == list(range(48))


def test_repeat_bomb_costs_little():
    """60 kB used to cost ~330 MB and 2 s in packet_info (2.9 M listed entries)."""
    pkt = repeat_bomb(60_000)
    rss0 = _maxrss_mb()
    t = time.perf_counter()
    with pytest.raises(ValueError, match="more than 6144 extensions"):
        dredfast.packet_info(pkt)
    with pytest.raises(ValueError, match="more than 6144 extensions"):
        dredfast.add_dred(pkt, b"D\x0c\x01\x02")
    assert dredfast.find_dred_payload(pkt) is None
    assert dredfast.DredDecoder().parse(pkt) is None
    elapsed = time.perf_counter() - t
    assert _maxrss_mb() - rss0 < 50
    assert elapsed < 1.5  # ~0.03 s measured (the DRED search walks the 48 n entries in C)


def test_inspect_reports_the_bomb_as_one_invalid_packet(tmp_path, capsys):
    path = tmp_path / "bomb.pkts"
    dredfast.write_packets(path, [repeat_bomb(60_000)])
    assert cli.main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "invalid: packet padding expands" in out and "1 invalid" in out


# ---- finding 3 -----------------------------------------------------------------

def _speech_features(n=60):
    t = np.arange(160 * n) / 16000.0
    pcm = (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    return dredfast.analyze(pcm)


@pytest.mark.parametrize("kind", ["lpcnet", "fargan"])
@pytest.mark.parametrize("value,dtype", [(1e19, np.float32), (1e300, np.float64), (-1e300, np.float64)])
def test_vocoder_refuses_absurd_features_and_keeps_its_stream(kind, value, dtype):
    f = _speech_features()
    v = dredfast.Vocoder(kind)
    ref = dredfast.Vocoder(kind)
    a, b = v.synthesize(f[:20]), ref.synthesize(f[:20])
    bad = f[20:21].astype(dtype)
    bad[0, 3] = value
    with pytest.raises(ValueError, match="beyond|infinite"):
        v.synthesize(bad)
    # Refused before touching the state: the stream goes on exactly as an untouched one.
    np.testing.assert_array_equal(v.synthesize(f[20:40]), ref.synthesize(f[20:40]))


def test_analyzer_refuses_huge_samples_and_keeps_its_stream():
    t = np.arange(16000) / 16000.0
    pcm = (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
    a, ref = dredfast.Analyzer(), dredfast.Analyzer()
    a.process(pcm[:1600]), ref.process(pcm[:1600])
    for bad in (np.full(160, 1e30, np.float32), np.full(160, 1e300, np.float64)):
        with pytest.raises(ValueError, match="beyond|infinite"):
            a.process(bad)
    out = a.process(pcm[1600:])
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, ref.process(pcm[1600:]))


def test_synth_cli_fails_on_absurd_features(tmp_path, capsys):
    f = _speech_features(20).astype(np.float64)
    f[5, 0] = 1e300
    np.save(tmp_path / "f.npy", f)
    assert cli.main(["synth", str(tmp_path / "f.npy"), "-o", str(tmp_path / "o.wav"), "--vocoder", "lpcnet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dredfast synth:")


# ---- finding 7 -----------------------------------------------------------------

def test_add_dred_allocates_what_it_writes():
    pkt = bytes([9 << 3]) + b"\x55" * 40  # SILK WB 20 ms, code 0
    rss0 = _maxrss_mb()
    out = dredfast.add_dred(pkt, b"D\x0c\x01\x02", max_bytes=2 ** 31 - 1)
    assert _maxrss_mb() - rss0 < 100  # was 2 GB
    assert dredfast.find_dred_payload(out) == b"D\x0c\x01\x02"
    with pytest.raises(ValueError, match="below 2\\*\\*31"):
        dredfast.add_dred(pkt, b"D\x0c\x01\x02", max_bytes=2 ** 31)


def test_dred_payload_refuses_uint64_beyond_int32():
    state = np.zeros(50, np.uint64)
    state[0] = 2 ** 64 - 1  # cast to int64 it reads as -1
    with pytest.raises(ValueError, match="outside int32"):
        dredfast.encode_dred_payload(q0=6, dq=3, qmax=15, dred_offset=4, state_q=state,
                                     latents_q=np.zeros((1, 25), np.int32))


def test_encoder_frame_ms_zero_is_a_value_error():
    with pytest.raises(ValueError, match="frame_ms"):
        dredfast.Encoder(frame_ms=0)


class _Trickle(io.RawIOBase):
    """A pipe-like reader: at most 3 bytes per read, as a pipe or socket may return."""

    def __init__(self, data: bytes):
        self._data, self._pos = data, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = 3 if n < 0 else min(n, 3)
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk


def test_iter_packets_reads_short_reads_whole(tmp_path):
    pkts = [bytes([9 << 3]) + bytes(range(i, i + 30)) for i in range(5)]
    buf = b"".join(struct.pack("<I", len(p)) + p for p in pkts)
    assert list(iter_packets(_Trickle(buf))) == pkts
    # A real pipe, written in small pieces by another thread.
    r, w = os.pipe()

    def writer():
        with os.fdopen(w, "wb", buffering=0) as f:
            for i in range(0, len(buf), 7):
                f.write(buf[i:i + 7])
                time.sleep(0.001)

    th = threading.Thread(target=writer)
    th.start()
    with os.fdopen(r, "rb", buffering=0) as f:
        assert list(iter_packets(f)) == pkts
    th.join()
    with pytest.raises(ValueError, match="truncated inside record 1"):
        list(iter_packets(_Trickle(buf[:60])))


def test_inspect_dev_zero_ends(capsys):
    t = time.perf_counter()
    assert cli.main(["inspect", "/dev/zero"]) == 2
    assert time.perf_counter() - t < 30
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a .pkts file" in err[0]


def _wav(path, *, channels=1, width=2, rate=16000, frames=b"\0\0" * 320, raw=None):
    if raw is not None:
        path.write_bytes(raw)
        return str(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return str(path)


def _zero_channel_wav(path):
    good = open(_wav(path), "rb").read()
    i = good.index(b"fmt ") + 10  # the channel count
    path.write_bytes(good[:i] + b"\0\0" + good[i + 2:])
    return str(path)


def _npy(path, array):
    np.save(path, array)
    return str(path)


CLI_CASES = {
    # (a float WAV is read since soundfile took over the input: no longer an error)
    "non-RIFF": lambda d: ["analyze", _wav(d / "x.wav", raw=b"not a wav file at all"), "-o", str(d / "o.npy")],
    "0-channel WAV": lambda d: ["analyze", _zero_channel_wav(d / "z.wav"), "-o", str(d / "o.npy")],
    "empty WAV": lambda d: ["analyze", _wav(d / "e.wav", raw=b""), "-o", str(d / "o.npy")],
    "unwritable -o": lambda d: ["analyze", _wav(d / "g.wav"), "-o", str(d / "no" / "such" / "dir.npy")],
    "--weights missing": lambda d: ["analyze", _wav(d / "g.wav"), "-o", str(d / "o.npy"),
                                    "--weights", str(d / "missing.bin")],
    "inspect --weights /dev/null": lambda d: ["inspect", str(d / "x.pkts"), "--weights", "/dev/null"],
    "synth bool": lambda d: ["synth", _npy(d / "b.npy", np.zeros((5, 20), bool)), "-o", str(d / "o.wav")],
    "synth str": lambda d: ["synth", _npy(d / "s.npy", np.full((5, 20), "a")), "-o", str(d / "o.wav")],
    "synth complex": lambda d: ["synth", _npy(d / "c.npy", np.zeros((5, 20), complex)), "-o", str(d / "o.wav")],
    "synth unwritable -o": lambda d: ["synth", _npy(d / "g.npy", np.zeros((5, 20), np.float32)),
                                      "-o", str(d / "no" / "dir" / "o.wav")],
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_bad_inputs_end_with_one_line(tmp_path, capsys, case):
    dredfast.write_packets(tmp_path / "x.pkts", [bytes([9 << 3]) + b"\x11" * 20])
    argv = CLI_CASES[case](tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    head, _, message = err[0].partition(": ")
    assert head == f"dredfast {argv[0]}" and message.strip(), err[0]


def test_add_dred_keeps_a_long_extension_of_255_bytes_or_more():
    """Found by the add_dred check added to fuzz_python.py for finding 7: the writer
    coded a long extension's length with the padding's rule (255 = 254 and more)
    instead of the extension's (255 = 255 and more), so a kept extension of >= 255
    bytes swallowed the DRED after it."""
    for n in (254, 255, 261, 509, 510, 1000):
        body = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
        pad = bytes([56 << 1]) + body  # L = 0: runs to the end of the padding
        pkt = packetutil.code3([b"\x11" * 10] * 3, pad)
        out = dredfast.add_dred(pkt, b"D\x0c\x01\x02")
        exts = dredfast.packet_info(out)["extensions"]
        assert [(e[0], e[3]) for e in exts] == [(56, n), (126, 4)], n
        assert out[exts[0][2]:exts[0][2] + n] == body
        assert dredfast.find_dred_payload(out) == b"D\x0c\x01\x02"
