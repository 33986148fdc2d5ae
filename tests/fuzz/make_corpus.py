#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (pure Python, no dredfast needed).

    python tests/fuzz/make_corpus.py [--vectors DIR] [--clips N] [--out DIR]

corpus-packet/  inputs of fuzz_packet_dred: one max_ms byte + one Opus packet.
                Every DRED-carrying packet of a few clips of the reference vectors
                (all encoder variants), some packets without DRED, and a few
                hand-made packets exercising the extension syntax (separators,
                repeat markers, short/long/L=0 extensions, padding).  Without the
                vectors folder, tests/data/sample_*.pkts are used instead.
corpus-blob/    inputs of fuzz_blob: the decoder + DRED statistics records of the
                packaged blob (names starting with dec_ or dred_, ~330 KB), and
                truncated / partial versions of it.
corpus-receiver/ inputs of fuzz_receiver.py: streams of the committed sample packets
                (tests/data/sample_*.pkts) with losses, lookahead depths, late
                packets, a garbage packet, each configuration (FARGAN/LPCNet, DRED
                and LBRR on/off).
corpus-plc/     inputs of fuzz_plc: op sequences (see fuzz_plc.c) over 10 ms frames
                of the packaged demo speech: losses of 1..30 frames, DRED-like
                feature frames queued with skips, peeks, resets, loud synthetic audio.

regress-blob/, regress-packet/  issue 12's resource findings, replayed (not
                mutated) by run_short.sh and replay_python.sh under the fuzzers'
                -timeout / -rss_limit_mb / -malloc_limit_mb: a blob whose DRED p0
                table is all 0 (finding 1: the range coder spun forever), 100 k
                empty records (finding 5: quadratic loading, > 40 s), 99 kB and
                400 kB code-3 packets whose repeat marker expands every one-byte
                extension 48 times (finding 2: ~2 GB in packet_info at 400 kB).

All these folders are git-ignored; rerunning replaces their content.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_VECTORS = Path("/work/shared/vectors")
DEFAULT_BLOB = ROOT / "weights" / "opus-1.6.1.bin"

DRED_ID = 126
DRED_PREFIX = b"D\x0c"


# --------------------------------------------------------------------------
# Packets
# --------------------------------------------------------------------------

def read_pkts(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, i = [], 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, i)
        if i + 4 + n > len(data):
            break
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def has_dred(pkt: bytes) -> bool:
    """Rough check (the fuzzer does the real parsing): code-3 packet with padding
    whose padding contains an extension 126 with the experimental prefix."""
    if len(pkt) < 3 or pkt[0] & 3 != 3 or not pkt[1] & 0x40:
        return False
    return bytes([DRED_ID << 1 | 1]) in pkt and DRED_PREFIX in pkt


def padding_length_bytes(n: int) -> bytes:
    """Opus code-3 padding length: 255 means 254 bytes and more to come."""
    out = bytearray()
    while n >= 255:
        out.append(255)
        n -= 254
    out.append(n)
    return bytes(out)


def code3(toc_config: int, frames: list[bytes], padding: bytes, vbr: bool = True) -> bytes:
    """Code-3 packet with the given frames and padding area."""
    count = len(frames)
    flags = count | (0x80 if vbr else 0) | (0x40 if padding else 0)
    out = bytearray([toc_config << 3 | 3, flags])
    if padding:
        out += padding_length_bytes(len(padding))
    if vbr:
        for f in frames[:-1]:
            n = len(f)
            out += bytes([n]) if n < 252 else bytes([252 + (n - 252) % 4, (n - 252) // 4])
    for f in frames:
        out += f
    out += padding
    return bytes(out)


def ext_long(ext_id: int, payload: bytes, last: bool = False) -> bytes:
    """Long extension (id 32..127): L=1 with a length, or L=0 running to the end."""
    if last:
        return bytes([ext_id << 1]) + payload
    n, lens = len(payload), bytearray()
    while n >= 255:
        lens.append(255)
        n -= 255
    lens.append(n)
    return bytes([ext_id << 1 | 1]) + bytes(lens) + payload


def ext_short(ext_id: int, byte: int | None = None) -> bytes:
    return bytes([ext_id << 1]) if byte is None else bytes([ext_id << 1 | 1, byte])


def synthetic_packets(dred_payloads: list[bytes]) -> list[bytes]:
    """Hand-made packets covering the extension syntax around a real DRED payload."""
    d = dred_payloads[0] if dred_payloads else DRED_PREFIX + bytes(range(40))
    d2 = dred_payloads[-1] if dred_payloads else d
    fr = [b"\x0b" * 10, b"\x0c" * 12, b"\x0d" * 9]
    sep, sep_by = b"\x02", lambda k: bytes([0x03, k])
    rep0, rep1 = b"\x04", b"\x05"
    pk = [
        # Plain codes 0-2 and an empty code-3 packet.
        bytes([9 << 3 | 0]) + b"\x55" * 20,
        bytes([9 << 3 | 1]) + b"\x55" * 20,
        bytes([9 << 3 | 2, 7]) + b"\x55" * 20,
        bytes([9 << 3 | 3, 0x01]),
        # CBR 3 frames, no padding; VBR with a two-byte frame length.
        code3(31, fr[:1] * 3, b"", vbr=False),
        code3(9, [b"\x11" * 300, b"\x22" * 5], b""),
        # DRED on frame 0, long with length, then padding byte / id-0 rest.
        code3(9, fr[:1], ext_long(DRED_ID, d)),
        code3(9, fr[:1], b"\x01" + ext_long(DRED_ID, d) + b"\x00\x00\x00"),
        # DRED as the last long extension, L=0.
        code3(9, fr[:1], ext_short(5, 0x42) + ext_long(DRED_ID, d, last=True)),
        # 3 frames: DRED attached to frame 1 and 2 through separators.
        code3(1, fr, ext_short(4) + sep + ext_long(DRED_ID, d) + sep + ext_long(DRED_ID, d2, last=True)),
        code3(1, fr, sep_by(2) + ext_long(DRED_ID, d)),
        code3(1, fr, sep_by(0) + ext_long(DRED_ID, d)),
        # Non-DRED 126 (wrong prefix) first, then the real one.
        code3(9, fr[:2], ext_long(DRED_ID, b"D\x0b" + d[2:]) + ext_long(DRED_ID, d)),
        code3(9, fr[:2], ext_long(DRED_ID, b"D\x0c") + ext_long(DRED_ID, d)),
        # Repeats: group {short, long} repeated for frames 1 and 2, L=1 and L=0.
        code3(1, fr, ext_short(7, 1) + ext_long(DRED_ID, d) + rep1 + b"\x02" + ext_long(DRED_ID, d)[1:]
              + b"\x03" + ext_long(DRED_ID, d2)[1:]),
        code3(1, fr, ext_long(40, b"abc") + ext_short(9, 0x33) + rep0 + b"\x03xyz" + b"\x44" + b"tail" + b"\x55"),
        code3(1, fr, ext_long(DRED_ID, d) + rep0 + d + b"!" + d2),
        code3(1, fr, ext_short(3) + rep1 + sep + ext_long(DRED_ID, d)),
        # Separator past the last frame (invalid) and truncated long length.
        code3(9, fr[:2], sep + sep + ext_long(DRED_ID, d)),
        code3(9, fr[:1], bytes([DRED_ID << 1 | 1, 255, 255])),
        # Large padding (length run of 255s) with a DRED deep inside.
        code3(9, fr[:1], b"\x01" * 600 + ext_long(DRED_ID, d)),
        # 48 frames of 2.5 ms with DRED on the last one.
        code3(16, [b"\x01"] * 48, sep_by(47) + ext_long(DRED_ID, d)),
    ]
    return pk


def collect_packets(vectors: Path, nclips: int) -> tuple[list[bytes], list[bytes], str]:
    dred, other = [], []
    files: list[Path] = []
    if vectors.is_dir():
        clips = sorted(p for p in vectors.iterdir() if p.is_dir())
        # Spread the choice over speakers / languages.
        step = max(1, len(clips) // max(1, nclips))
        for c in clips[::step][:nclips]:
            files += sorted(c.glob("*.pkts"))
    if files:
        source = f"{vectors} ({len(files)} files)"
    else:
        files = sorted((ROOT / "tests" / "data").glob("sample_*.pkts"))
        source = "tests/data/sample_*.pkts"
    for f in files:
        pk = read_pkts(f)
        for i, p in enumerate(pk):
            if has_dred(p):
                dred.append(p)
            elif i < 12 or i % 50 == 0:
                other.append(p)
    return dred, other, source


def dred_payload(pkt: bytes) -> bytes | None:
    i = pkt.find(DRED_PREFIX)
    if i < 2 or pkt[i - 2] != (DRED_ID << 1 | 1):
        return None
    n = pkt[i - 1]
    return pkt[i:i + n] if n < 255 else None


# --------------------------------------------------------------------------
# Blobs
# --------------------------------------------------------------------------

def blob_records(data: bytes) -> list[tuple[str, bytes]]:
    out, off = [], 0
    while off + 64 <= len(data):
        size, block = struct.unpack_from("<II", data, off + 12)
        name = data[off + 20:off + 64].split(b"\0")[0].decode("ascii")
        out.append((name, data[off:off + 64 + block]))
        off += 64 + block
    return out


def blob_seeds(blob_path: Path) -> dict[str, bytes]:
    recs = blob_records(blob_path.read_bytes())
    dec = [r for n, r in recs if n.startswith("dec_")]
    stats = [r for n, r in recs if n.startswith("dred_")]
    full = b"".join(dec + stats)
    seeds = {
        "dec_stats": full,
        "stats_only": b"".join(stats),
        "dec_only": b"".join(dec),
        "stats_then_dec": b"".join(stats + dec),
        "one_record": dec[0],
        "header_only": full[:64],
        "half": full[:len(full) // 2],
        "cut_mid_record": full[:len(full) - 100],
        "cut_mid_header": full[:len(b"".join(dec[:10])) + 30],
        "minus_last_record": b"".join(dec + stats[:-1]),
        "minus_first_record": b"".join(dec[1:] + stats),
    }
    return seeds


def regression_seeds(blob_path: Path) -> dict[str, dict[str, bytes]]:
    """Issue 12's resource findings, by folder (see the module docstring)."""
    recs = blob_records(blob_path.read_bytes())
    p0 = []
    for n, r in recs:
        if n == "dred_state_p0_q8":
            size = struct.unpack_from("<I", r, 12)[0]
            r = r[:64] + bytes(size) + r[64 + size:]
        if n.startswith(("dec_", "dred_")):
            p0.append(r)
    empty = b"DNNw" + struct.pack("<iiii", 0, 4, 0, 0)
    many = b"".join(empty + f"r{i}".encode().ljust(44, b"\0") for i in range(100_000))
    def bomb(n):
        return b"\xff" + code3(16, [b""] * 48, b"\x06" * n + b"\x04", vbr=False)
    return {
        "regress-blob": {"issue12-1-p0-zero": b"".join(p0), "issue12-5-100k-records": many},
        # 99 kB: within fuzz_packet_dred's 100 kB input cap; 400 kB: fuzz_python.py's max_len.
        "regress-packet": {"issue12-2-repeat-bomb-99k": bomb(99_000), "issue12-2-repeat-bomb-400k": bomb(399_000)},
    }


# --------------------------------------------------------------------------
# Deep PLC op sequences (layout: fuzz_plc.c)
# --------------------------------------------------------------------------

DEMO_WAV = ROOT / "dredfast" / "data" / "demo_speech.wav"
OP_PCM, OP_GEN, OP_CONCEAL, OP_FEC, OP_SKIP, OP_CLEAR, OP_PEEK = 0, 1, 2, 4, 5, 6, 7


def plc_seeds(wav: Path) -> list[bytes]:
    import wave
    with wave.open(str(wav), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        raw = w.readframes(w.getnframes())
    frames = [raw[i:i + 320] for i in range(0, len(raw) - 319, 320)]

    def speech(start: int, n: int) -> bytes:
        return b"".join(bytes([OP_PCM]) + frames[(start + k) % len(frames)] for k in range(n))

    def conceal(n: int) -> bytes:
        return bytes([OP_CONCEAL]) * n

    def feature(k: int) -> bytes:
        # Around the values of real features: c0 a few units, small cepstra, pitch/corr near 0.
        return bytes([OP_FEC]) + bytes([(128 + 8 * ((3 * k + i) % 5 - 2) + (40 if i == 0 else 0)) & 0xFF
                                         for i in range(20)])

    seeds = [
        speech(20, 15) + conceal(4) + speech(35, 1) + conceal(2),
        speech(40, 15) + bytes([OP_CLEAR, OP_SKIP | 8]) + b"".join(feature(k) for k in range(4)) + conceal(4)
        + speech(60, 2),
        speech(80, 2) + conceal(10),
        speech(100, 5) + conceal(30),
        speech(120, 15) + bytes([OP_PEEK | 24]) + conceal(1) + bytes([OP_PEEK]) + speech(140, 1),
        speech(150, 8) + conceal(2) + bytes([OP_CLEAR | 8]) + speech(160, 3) + conceal(2)
        + bytes([OP_CLEAR | 16]) + conceal(2),
        bytes([OP_GEN, 1, 255]) * 6 + conceal(3) + bytes([OP_GEN, 2, 200]) * 4 + conceal(3)
        + bytes([OP_GEN, 3, 255]) * 4 + conceal(3) + bytes([OP_GEN, 0, 0]) * 15 + conceal(3),
        speech(200, 15) + b"".join(feature(k) for k in range(10)) + conceal(12) + speech(220, 1) + conceal(1),
    ]
    return seeds


# --------------------------------------------------------------------------
# Receiver streams (layout: fuzz_receiver.py)
# --------------------------------------------------------------------------

def receiver_seeds(data_dir: Path, vectors: Path) -> list[bytes]:
    v96 = read_pkts(data_dir / "sample_v96.pkts")
    v24 = read_pkts(data_dir / "sample_v24.pkts")
    # Packets with LBRR (in-band FEC) only come from the vectors' v24fec variant.
    fec = sorted(vectors.glob("*/v24fec.pkts")) if vectors.is_dir() else []

    def stream(cfg: int, pkts: list[bytes], lost=(), late=(), garbage=()) -> bytes:
        out = bytearray([cfg])
        for k, p in enumerate(pkts):
            if k in garbage:
                p = bytes([0xFF, 0xFF, 0x00]) + p[3:]
            out += bytes([(k in lost) | (k in late) << 1]) + len(p).to_bytes(2, "little") + p
        return bytes(out)

    depth = lambda n: n << 1  # noqa: E731
    seeds = [
        stream(depth(1), v96[10:40], lost={5, 10, 11, 12}),
        stream(depth(3), v96[30:60], lost={5, 6, 7, 8, 9, 10}),
        stream(depth(1) | 8, v96[10:40], lost={5, 10, 11, 12}),
        stream(depth(1) | 16, v96[10:40], lost={3, 4, 20}),
        stream(depth(2), v96[0:30], lost={1, 2, 25}, late={12, 13}, garbage={18}),
        stream(1 | depth(1), v96[40:48], lost={3, 4}),
        stream(depth(3), v24[:len(v24) // 2], lost={8, 9, 10, 11, 12, 13, 14, 15}),
        stream(depth(0), v96[20:40], lost={4, 5}),
    ]
    if fec:
        f = read_pkts(fec[0])
        seeds.append(stream(depth(1), f[100:130], lost={5, 12, 13, 20}))
        seeds.append(stream(depth(2) | 8, f[200:230], lost={5, 6, 7}, late={15}))
    return [s for s in seeds if len(s) > 1]


def write_dir(path: Path, items: list[bytes], prefix: str) -> int:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    seen = set()
    for it in items:
        h = hashlib.sha1(it).hexdigest()
        if h in seen:
            continue
        seen.add(h)
        (path / f"{prefix}-{h[:16]}").write_bytes(it)
    return len(seen)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vectors", type=Path, default=DEFAULT_VECTORS, help="reference vectors folder")
    ap.add_argument("--clips", type=int, default=4, help="clips of the vectors folder to take packets from")
    ap.add_argument("--blob", type=Path, default=DEFAULT_BLOB, help="packaged weight blob")
    ap.add_argument("--out", type=Path, default=HERE, help="folder receiving the corpus-* folders")
    args = ap.parse_args(argv)

    dred, other, source = collect_packets(args.vectors, args.clips)
    payloads = [p for p in (dred_payload(x) for x in dred) if p]
    synth = synthetic_packets(payloads)
    items = []
    # First byte = max_ms selector: mostly the full 1040 ms, some shorter ones.
    for i, p in enumerate(dred):
        items.append(bytes([255]) + p)
        if i % 7 == 0:
            items.append(bytes([(37 * i) & 0xFF]) + p)
    for p in other:
        items.append(bytes([255]) + p)
    for i, p in enumerate(synth):
        items.append(bytes([255 if i % 2 == 0 else 60]) + p)
    n_pkt = write_dir(args.out / "corpus-packet", items, "pkt")

    n_blob = 0
    if args.blob.is_file():
        seeds = blob_seeds(args.blob)
        if args.out.joinpath("corpus-blob").exists():
            shutil.rmtree(args.out / "corpus-blob")
        (args.out / "corpus-blob").mkdir(parents=True)
        for name, data in seeds.items():
            (args.out / "corpus-blob" / name).write_bytes(data)
        n_blob = len(seeds)
    else:
        print(f"make_corpus: no blob at {args.blob}, corpus-blob not written", file=sys.stderr)

    if args.blob.is_file():
        for folder, seeds in regression_seeds(args.blob).items():
            d = args.out / folder
            if d.exists():
                shutil.rmtree(d)
            d.mkdir(parents=True)
            for name, data in seeds.items():
                (d / name).write_bytes(data)

    data_dir = ROOT / "tests" / "data"
    n_rx = write_dir(args.out / "corpus-receiver", receiver_seeds(data_dir, args.vectors), "rx") \
        if (data_dir / "sample_v96.pkts").is_file() else 0
    n_plc = write_dir(args.out / "corpus-plc", plc_seeds(DEMO_WAV), "plc") if DEMO_WAV.is_file() else 0

    print(f"corpus-packet: {n_pkt} inputs ({len(dred)} DRED packets, {len(other)} others, "
          f"{len(synth)} synthetic) from {source}")
    print(f"corpus-blob: {n_blob} inputs from {args.blob}")
    print(f"corpus-plc: {n_plc} inputs from {DEMO_WAV}")
    print(f"corpus-receiver: {n_rx} inputs from {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
