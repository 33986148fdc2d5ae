#!/usr/bin/env python3
"""Regenerate tests/data/plc/deep_plc_subset.npz (deep PLC conformance without ../shared).

    python tests/make_plc_test_data.py [--shared DIR] [--out DIR]

Source: ``<shared>/vectors/en_f_allison_01`` (libopus 1.6.1 reference vectors, see
their README.md).  Two decoder runs, cut after a whole number of 20 ms rows:

* ``dred_*``: ``v24`` in ``dred`` mode, rows 0..109: a 10-frame DRED gap right after
  the start, a 1-frame gap and a 17-frame gap (long enough for the attenuation to go
  past the 10-entry table), all recovered from DRED, with the packets (rows 0..110)
  needed to parse it;
* ``lbrr_*``: ``v24fec`` in ``lbrr`` mode, rows 0..29: a PLC burst ending with an
  LBRR-decoded frame.

Arrays per run: ``<run>_dec`` (int16, the decoded output up to 13 samples past the
last row, what libopus's SILK fed its PLC), ``<run>_events`` (rows, 3),
``<run>_fargan_features`` (the rows starting before the cut), and for ``dred``
``dred_packet_data``/``dred_packet_ptr``.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vectors  # noqa: E402

CLIP = "en_f_allison_01"
DELAY = 13  # SILK-internal -> output delay at 16 kHz (see test_deep_plc.py)
# Own folder: tests/data's top level is checked file by file by make_test_data's
# reproducibility test, which does not know this script.
OUT_DIR = vectors.DATA_DIR / "plc"
RUNS = {"dred": ("v24", "dred", 110), "lbrr": ("v24fec", "lbrr", 30)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    shared = args.shared or vectors.shared_dir()
    if shared is None:
        print("no shared vectors found (set --shared or $DREDFAST_SHARED)", file=sys.stderr)
        return 1
    clip_dir = Path(shared) / "vectors" / CLIP
    z = np.load(clip_dir / "arrays.npz")
    out = {}
    for run, (var, mode, rows) in RUNS.items():
        key = f"{var}_dec_{mode}"
        out[f"{run}_dec"] = z[key][: 320 * rows + DELAY]
        out[f"{run}_events"] = z[f"{key}_events"][:rows]
        ff = z[f"{key}_fargan_features"]
        out[f"{run}_fargan_features"] = ff[ff[:, 0] < 320 * rows]
        if mode == "dred":
            pk = vectors.read_pkts(clip_dir / f"{var}.pkts")[: rows + 1]
            out["dred_packet_data"] = np.frombuffer(b"".join(pk), np.uint8)
            out["dred_packet_ptr"] = np.cumsum([0] + [len(p) for p in pk]).astype(np.int64)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "deep_plc_subset.npz", **out)
    print(f"wrote {args.out / 'deep_plc_subset.npz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
