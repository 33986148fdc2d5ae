"""Writes weights/lpcnet-191005.bin: the records of the FreeDV LPCNet 191005
blob that dredfast's synthesis reads, byte for byte, in the original order.

    python tools/make_lpcnet_subset.py [../shared/weights/lpcnet-191005.bin]

Dropped: the dense `gru_a_*` layer and `embed_sig_*` (about 4 MB).  Synthesis
uses GRU-A through its sparse form (`sparse_gru_a_*`) and its input matrix
through the three precomputed `gru_a_embed_*` tables and `gru_a_dense_feature`
(see weights/MANIFEST.md of the shared data), so neither is ever read.  The
source blob is checked against its SHA-256 first, and the result is verified
record by record.
"""
from __future__ import annotations

import hashlib
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DROP_PREFIXES = ("gru_a_bias", "gru_a_input_weights", "gru_a_recurrent_weights", "gru_a_dims",
                 "embed_sig_embedding_weights", "embed_sig_dims")


def records(data: bytes):
    i = 0
    while i < len(data):
        head, version, _type, size, block = struct.unpack_from("<4siiii", data, i)
        if head != b"DNNw" or version != 0 or block % 64 or block < size or i + 64 + block > len(data):
            raise ValueError(f"bad record header at byte {i}")
        name = data[i + 20:i + 64].split(b"\0")[0].decode()
        yield name, data[i:i + 64 + block]
        i += 64 + block


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "weights" / "lpcnet-191005.bin"
    data = src.read_bytes()
    sums = src.with_name("SHA256SUMS")
    if sums.exists():
        want = {l.split()[1]: l.split()[0] for l in sums.read_text().splitlines() if l.strip()}
        got = hashlib.sha256(data).hexdigest()
        if want.get(src.name) != got:
            sys.exit(f"{src}: SHA-256 {got} does not match {sums}")
    kept, dropped = [], []
    for name, rec in records(data):
        (dropped if name in DROP_PREFIXES else kept).append((name, rec))
    if len(dropped) != len(DROP_PREFIXES):
        sys.exit(f"expected to drop {DROP_PREFIXES}, found {[n for n, _ in dropped]}")
    out = b"".join(rec for _, rec in kept)
    dst = ROOT / "weights" / "lpcnet-191005.bin"
    dst.write_bytes(out)
    # Every kept record must be in the output unchanged.
    assert dict(records(out)) == dict(kept)
    digest = hashlib.sha256(out).hexdigest()
    print(f"{dst}: {len(kept)} records, {len(out)} bytes (dropped {len(dropped)} records, "
          f"{len(data) - len(out)} bytes), SHA-256 {digest}")
    print(f"source {src.name} SHA-256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
