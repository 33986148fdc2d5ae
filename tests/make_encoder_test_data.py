"""Writes tests/data/dred_encoder_subset.npz: the start of one dev clip and what
libopus 1.6.1's DRED encoder did with it (from ../shared/vectors), so the sender's
chain test runs without the shared folder.

Contents (first N packets of en_f_allison_01, variants v24 and v96):
``pcm`` int16 (N*320,), ``<v>_active`` int8 (N,) (activity flag libopus used),
``<v>_payload`` uint8 + ``<v>_payload_ptr`` int64 (N+1,) (DRED extension data per
packet, empty when none), ``enc_latents`` float32 (N, 25).
Run from the repository root: python tests/make_encoder_test_data.py
"""
import json
import sys
from pathlib import Path

import numpy as np
from scipy.io import wavfile

import dredfast

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vectors  # noqa: E402

CLIP = "en_f_allison_01"
N = 120  # 2.4 s: reaches the 26-latent steady state of v96 and a pause


def main(argv=None) -> int:
    shared = vectors.shared_dir()
    if shared is None:
        raise SystemExit("needs ../shared (or DREDFAST_SHARED)")
    settings = json.loads((shared / "vectors" / "settings.json").read_text())
    col = {c: i for i, c in enumerate(settings["enc_dred_calls_columns"])}
    _, pcm = wavfile.read(shared / "speech" / "dev" / f"{CLIP}.wav")
    z = np.load(shared / "vectors" / CLIP / "arrays.npz")
    out = {"pcm": pcm[: N * 320].astype(np.int16), "enc_latents": z["enc_latents"][:N]}
    for v in ("v24", "v96"):
        calls = {int(r[col["packet"]]): r for r in z[f"{v}_enc_dred_calls"]}
        pkts = vectors.read_pkts(shared / "vectors" / CLIP / f"{v}.pkts")[:N]
        active = np.array([calls[p][col["activity0"]] for p in range(N)], np.int8)
        payloads = [dredfast.find_dred_payload(p) or b"" for p in pkts]
        out[f"{v}_active"] = active
        out[f"{v}_payload"] = np.frombuffer(b"".join(payloads), np.uint8)
        out[f"{v}_payload_ptr"] = np.cumsum([0] + [len(p) for p in payloads]).astype(np.int64)
    out_dir = Path(argv[argv.index("--out") + 1]) if argv and "--out" in argv else vectors.DATA_DIR
    path = out_dir / "dred_encoder_subset.npz"
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
