#!/usr/bin/env python3
"""Do subnormal floats slow anything down?  (issue 6, item 6)

libopus once doubled its encoder's cost on digital silence because filter
and recurrent states decayed into the subnormal range, where x86 arithmetic
takes a slow microcode path.  This benchmark feeds 10 s of

* ``silence``: digital zeros,
* ``noise-90``: white noise at -90 dBFS (rms 3.2e-5 full scale, about 1 LSB
  of 16-bit audio: the classic decay-into-denormals case),
* ``speech>0``: 2 s of speech, then 8 s of digital zeros: every filter,
  recurrent and de-emphasis state decays from speech level towards zero
  (the case where subnormals actually appear; silence from the start keeps
  the states exactly zero),
* ``speech``: the demo speech tiled to 10 s (control),

through every heavy path: feature analysis, FARGAN (synthesising from the
analysis features of that signal, primed from its first samples), LPCNet
(from the same features), the DRED encoder (``push`` per 20 ms, activity
forced on so every packet is coded), DRED decoding (parse + RDO-VAE of
every packet the encoder produced) and the receiver's deep PLC (the first
1 s decoded, then 9 s of one continuous loss: the concealment fades its
energy down to the floor, another decay-towards-zero case).

For each path and signal it reports the CPU time (``time.process_time``,
median of ``--repeat``) twice: with the default floating-point environment
and with the MXCSR's FTZ (flush-to-zero) and DAZ (denormals-are-zero) bits
set, through a tiny C helper built on the fly and called with ctypes (MXCSR
is per thread; the core runs on the calling thread).  If subnormals occurred
and cost time, FTZ/DAZ would make that path faster on silence/noise and
change its output; the script also compares the outputs of both runs bit for
bit and counts subnormal values in the outputs.

Run on one core:  taskset -c 1 python benchmarks/bench_denormals.py
"""
from __future__ import annotations

import argparse
import ctypes
import statistics
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np

import dredfast
from dredfast._plc import DeepPLC
from dredfast.audio import read_wav
from dredfast.vocoder import opus_to_lpcnet_features

FS = 16000
SECONDS = 10
FTZ_DAZ = (1 << 15) | (1 << 6)   # MXCSR bit 15 = FTZ, bit 6 = DAZ
TINY = np.finfo(np.float32).tiny

_HELPER = r"""
#include <xmmintrin.h>
unsigned df_get_mxcsr(void) { return _mm_getcsr(); }
void df_set_mxcsr(unsigned v) { _mm_setcsr(v); }
"""


def mxcsr_helper() -> ctypes.CDLL:
    d = Path(tempfile.mkdtemp(prefix="dfmxcsr"))
    (d / "m.c").write_text(_HELPER)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", str(d / "m.c"), "-o", str(d / "m.so")], check=True)
    lib = ctypes.CDLL(str(d / "m.so"))
    lib.df_get_mxcsr.restype = ctypes.c_uint
    lib.df_set_mxcsr.argtypes = [ctypes.c_uint]
    return lib


def signals() -> dict:
    n = FS * SECONDS
    speech, _ = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(n) * 10 ** (-90 / 20)
    return {
        "silence": np.zeros(n, np.float32),
        "noise-90": noise.astype(np.float32),
        "speech>0": np.concatenate([speech[:2 * FS], np.zeros(n - 2 * FS, np.float32)]).astype(np.float32),
        "speech": np.tile(speech, -(-n // len(speech)))[:n].astype(np.float32),
    }


def _packet(payload: bytes) -> bytes:
    # A SILK-WB 20 ms code-0 packet (TOC config 9) with 3 filler bytes, carrying the DRED.
    return dredfast.add_dred(bytes([9 << 3, 0x11, 0x22, 0x33]), payload)


def paths(weights, pcm: np.ndarray) -> dict:
    """name -> callable returning the path's output (bytes or array)."""
    feats = dredfast.analyze(pcm, weights=weights)
    lfeats = opus_to_lpcnet_features(feats)
    enc = dredfast.DredEncoder(weights=weights, bitrate=16000)
    packets = [_packet(p) for p in (enc.push(pcm[k:k + 320], active=True) for k in range(0, len(pcm), 320)) if p]
    dec = dredfast.DredDecoder(weights)

    def analysis():
        return dredfast.Analyzer(weights=weights).process(pcm)

    def fargan():
        v = dredfast.Vocoder("fargan", weights=weights)
        v.prime(pcm[480:800], feats[:5])
        return v.synthesize(feats[5:])

    def lpcnet():
        return dredfast.Vocoder("lpcnet", seed=1).synthesize(lfeats)

    def dred_encoder():
        e = dredfast.DredEncoder(weights=weights, bitrate=16000)
        return b"".join(e.push(pcm[k:k + 320], active=True) for k in range(0, len(pcm), 320))

    def dred_decode():
        return np.concatenate([d.features().ravel() for d in (dec.parse(p, 1040) for p in packets) if d])

    pcm16 = np.clip(np.round(pcm * 32768), -32768, 32767).astype(np.int16)

    def deep_plc():
        plc = DeepPLC(weights)
        plc.update(pcm16[:FS])
        y, f = plc.conceal((len(pcm) - FS) // 160, return_features=True)
        return np.concatenate([y.astype(np.float32), f.ravel()])

    return {"analysis": analysis, "fargan": fargan, "lpcnet": lpcnet, "dred_encoder": dred_encoder,
            "dred_decode": dred_decode, "deep_plc": deep_plc}


def cpu_time(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return statistics.median(times), out


def subnormals(out) -> int:
    if isinstance(out, (bytes, bytearray)):
        return 0
    a = np.abs(np.asarray(out, np.float32))
    return int(np.count_nonzero((a > 0) & (a < TINY)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", help="paths to run (default: all)")
    args = ap.parse_args()
    lib = mxcsr_helper()
    default = lib.df_get_mxcsr()
    weights = dredfast.load_weights()
    print(f"MXCSR default 0x{default:04x} (FTZ {'on' if default & 0x8000 else 'off'}, "
          f"DAZ {'on' if default & 0x40 else 'off'}); {SECONDS} s per signal; CPU s, median of {args.repeat}")
    print(f"{'path':13s} {'signal':9s} {'default':>8s} {'FTZ+DAZ':>8s} {'ratio':>6s} {'same out':>8s} {'subnorm':>7s} "
          f"{'x realtime':>10s}")
    for sig_name, pcm in signals().items():
        for name, fn in paths(weights, pcm).items():
            if args.only and name not in args.only:
                continue
            fn()                                          # warm-up
            t_def, out_def = cpu_time(fn, args.repeat)
            lib.df_set_mxcsr(default | FTZ_DAZ)
            try:
                t_ftz, out_ftz = cpu_time(fn, args.repeat)
            finally:
                lib.df_set_mxcsr(default)
            same = (out_def == out_ftz) if isinstance(out_def, bytes) else np.array_equal(out_def, out_ftz)
            print(f"{name:13s} {sig_name:9s} {t_def:8.3f} {t_ftz:8.3f} {t_def / t_ftz:6.2f} {str(same):>8s} "
                  f"{subnormals(out_def):7d} {SECONDS / t_def:10.0f}")


if __name__ == "__main__":
    main()
