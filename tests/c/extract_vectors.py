"""Unpacks the arrays the C conformance driver (test_conformance.c) reads.

The vectors' arrays.npz files are deflate-compressed zips of .npy files; the C
driver reads plain .npy, so this copies the members it needs, unchanged, to
OUT/<clip>/<name>.npy.  Standard library only (runs on the build host; the
driver itself may run under qemu).

    python3 extract_vectors.py SHARED OUT CLIP...
"""
import sys
import zipfile
from pathlib import Path

NAMES = ["features", "lpc", "fargan_pcm"]
for v in ("v24", "v24fec", "v32", "v96"):
    NAMES += [f"{v}_dred_hdr", f"{v}_dred_pkt_index", f"{v}_dred_latent_ptr", f"{v}_dred_features"]
    for mode in ("plc", "dred", "lbrr"):
        NAMES += [f"{v}_dec_{mode}", f"{v}_dec_{mode}_events", f"{v}_dec_{mode}_fargan_features"]


def main(argv):
    shared, out, clips = Path(argv[0]), Path(argv[1]), argv[2:]
    for clip in clips:
        dst = out / clip
        dst.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(shared / "vectors" / clip / "arrays.npz") as z:
            have = set(z.namelist())
            for name in NAMES:
                member = name + ".npy"
                if member in have and not (dst / member).exists():
                    (dst / member).write_bytes(z.read(member))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
