"""Writes the 8-48 kHz sender's reference data from an instrumented libopus 1.6.1
(tools/libopus_dred_trace/README.md):

* tests/data/sender48/dred_encoder48_subset.npz: for every ``sender48_data.CASES`` entry, the
  first 2 s of packets' DRED payloads (``<case>/payload`` + ``<case>/payload_ptr``),
  libopus's activity flag and high-pass cutoff per frame it coded (``<case>/trace``,
  packed as in ``sender48_data.unpack_trace``; 1, or frame_ms / 20 per packet), the
  length of each packet's first frame with its TOC byte (``<case>/frame0_bytes``) and
  the SHA-256 of the 16 kHz signal its DRED encoder analysed (``<case>/sha256_pcm16``,
  float32 bytes);
* tests/data/sender48/vectors48_encoder_trace.npz: ``<clip>/<config>`` = the packed trace of
  every packet of ../shared/vectors48's fb32, celt64 and st64 streams (the
  instrumented encoder is checked to write exactly vectors48's packets).

The subset comes from the build with Intel's rcpps estimate (DF_ENC_TRACE; it writes
../shared/vectors' 16 kHz packets byte for byte, and dredfast computes Intel's
estimate), the vectors48 trace from the build with the CPU's own rcpps on this AMD
machine (DF_ENC_TRACE_VECTORS48; it writes vectors48's packets byte for byte).
Run from the repository root with both harness builds (tools/libopus_dred_trace):
DF_ENC_TRACE=... DF_ENC_TRACE_VECTORS48=... PYTHONPATH=. python tests/make_encoder48_test_data.py
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soxr
from scipy.io import wavfile

import dredfast

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sender48_data as sd  # noqa: E402
import vectors  # noqa: E402

MODES = {"auto": 0, "silk": 1000, "hybrid": 1001, "celt": 1002}
APPS = {"voip": 2048, "audio": 2049, "restricted_lowdelay": 2051}


def run(tool, tmp, x, fs, channels, bitrate, mode, app, frame_ms=20):
    """libopus's packets, trace (N, 5) and 16 kHz DRED input for int16 input x."""
    raw, tr, p16, pk = (os.path.join(tmp, n) for n in ("in.raw", "t.txt", "p16.f32", "out.pkts"))
    for f in (tr, p16):
        if os.path.exists(f):
            os.remove(f)
    x.astype("<i2").tofile(raw)
    env = dict(os.environ, DF_TRACE=tr, DF_PCM16=p16, ENC_TRACE_FRAME_MS=str(frame_ms))
    subprocess.run([tool, raw, str(channels), str(bitrate), str(MODES[mode]), str(APPS[app]), str(fs), pk],
                   env=env, check=True)
    return vectors.read_pkts(pk), np.loadtxt(tr, dtype=np.int64, ndmin=2), np.fromfile(p16, np.float32)


def pack(trace):
    assert set(np.unique(trace[:, 0])) <= {0, 1} and trace[:, 1].min() >= 60 and trace[:, 1].max() <= 100
    return (trace[:, 0].astype(np.int64) << 7 | (trace[:, 1] - 60)).astype(np.uint8)


def main() -> int:
    tool = os.environ.get("DF_ENC_TRACE")
    if not tool:
        raise SystemExit("set DF_ENC_TRACE to the instrumented enc_trace binary")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for c in sd.CASES:
            x = sd.demo_input(c.fs, c.channels)
            pkts, trace, p16 = run(tool, tmp, x, c.fs, c.channels, c.bitrate, c.mode, c.application, c.frame_ms)
            n = c.packets
            rows = len(trace) // len(pkts)  # libopus frames per packet
            assert rows * len(pkts) == len(trace)
            pays = [dredfast.find_dred_payload(p) or b"" for p in pkts[:n]]
            out[f"{c.name}/payload"] = np.frombuffer(b"".join(pays), np.uint8)
            out[f"{c.name}/payload_ptr"] = np.cumsum([0] + [len(p) for p in pays]).astype(np.int64)
            out[f"{c.name}/trace"] = pack(trace[:n * rows])
            out[f"{c.name}/frame0_bytes"] = np.array([dredfast.packet_info(p)["frame_lengths"][0] + 1
                                                      for p in pkts[:n]], np.int16)
            out[f"{c.name}/sha256_pcm16"] = np.array(hashlib.sha256(p16[:n * c.frame_ms * 16].tobytes()).hexdigest())
            print(c.name, sum(bool(p) for p in pays), "DRED packets", flush=True)
        np.savez_compressed(sd.SUBSET, **out)

        shared = vectors.shared_dir()
        tool = os.environ.get("DF_ENC_TRACE_VECTORS48")
        if shared is None or not tool:
            print("no ../shared or DF_ENC_TRACE_VECTORS48: vectors48 trace not written")
            return 0
        v48 = shared / "vectors48"
        settings = json.loads((v48 / "settings.json").read_text())
        trace_out = {}
        for clip, meta in settings["clips"].items():
            _, x16 = wavfile.read(shared / "speech" / "dev" / meta["wav"])
            y = soxr.resample(x16 / 32768, 16000, 48000, quality="VHQ")
            mono = np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16)
            right = np.zeros_like(mono)
            right[336:] = np.round(0.7 * mono[:-336].astype(np.float64)).astype(np.int16)
            stereo = np.stack([mono, right], 1)
            assert hashlib.sha256(mono.astype("<i2").tobytes()).hexdigest() == meta["sha256_pcm48"], clip
            assert hashlib.sha256(stereo.astype("<i2").tobytes()).hexdigest() == meta["sha256_pcm48_stereo"], clip
            for cfg, (ch, rate) in sd.VECTORS48.items():
                pkts, trace, _ = run(tool, tmp, stereo if ch == 2 else mono, 48000, ch, rate,
                                     "celt" if cfg == "celt64" else "auto", "voip")
                assert pkts == vectors.read_pkts(v48 / clip / f"{cfg}.pkts"), (clip, cfg)
                trace_out[f"{clip}/{cfg}"] = pack(trace)
            print(clip, flush=True)
        np.savez_compressed(sd.VECTORS48_TRACE, **trace_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
