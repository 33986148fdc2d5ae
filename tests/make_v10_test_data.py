"""Writes tests/data/dred_v10_subset.npz and sample_v10.pkts: a small sample of libopus 1.5.2's DRED (version 10).

Source: ../shared/vectors152 (libopus 1.5.2's packets and its opus_dred_parse /
opus_dred_process outputs on the dev clips; see its README).  Taken: every 25th (v24) or 80th (v96) packet of
the v24 and v96 streams of en_f_allison_01 (a clip with features) and fr_f_june_01 (another
feature clip), packets carrying DRED only.  Stored per packet: the packet bytes, the 17
V_dred_hdr columns, q levels, state and latent integers and floats, and the features
(AMD-built libopus outputs: compare within the README's cross-CPU spread).
sample_v10.pkts holds the same packets as a .pkts container (for the C API test).
The npz is written with fixed zip metadata (byte-reproducible; checked by
tests/test_vectors_loader.py).

    python tests/make_v10_test_data.py [--out DIR]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT.parent / "shared" / "vectors152"
sys.path.insert(0, str(ROOT / "tests"))
from make_test_data import write_npz_deterministic  # noqa: E402
CLIPS = ("en_f_allison_01", "fr_f_june_01")
STEP = {"v24": 25, "v96": 80}


def read_pkts(path):
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "little")
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    args = ap.parse_args(argv)
    cols = {k: [] for k in ("packet", "hdr", "qlevel", "state_q", "state", "latents_q", "latents", "features",
                            "clip", "variant", "index")}
    for clip in CLIPS:
        z = np.load(SRC / clip / "arrays.npz")
        for var in ("v24", "v96"):
            pkts = read_pkts(SRC / clip / f"{var}.pkts")
            hdr = z[f"{var}_dred_hdr"]
            drow = {int(p): r for r, p in enumerate(z[f"{var}_dred_pkt_index"])}
            lp = z[f"{var}_dred_latent_ptr"]
            for i in range(0, len(pkts), STEP[var]):
                if not hdr[i][0]:
                    continue
                a, b = lp[i], lp[i + 1]
                cols["packet"].append(np.frombuffer(pkts[i], np.uint8))
                cols["hdr"].append(hdr[i])
                cols["qlevel"].append(z[f"{var}_dred_qlevel"][i][:b - a])
                cols["state_q"].append(z[f"{var}_dred_state_q"][drow[i]])
                cols["state"].append(z[f"{var}_dred_state"][drow[i]])
                cols["latents_q"].append(z[f"{var}_dred_latents_q"][a:b])
                cols["latents"].append(z[f"{var}_dred_latents"][a:b])
                cols["features"].append(z[f"{var}_dred_features"][4 * a:4 * b])
                cols["clip"].append(clip)
                cols["variant"].append(var)
                cols["index"].append(i)
    out = {}
    for k in ("packet", "qlevel", "latents_q", "latents", "features"):
        lens = np.array([len(x) for x in cols[k]], np.int64)
        out[k] = np.concatenate(cols[k])
        out[k + "_ptr"] = np.concatenate([[0], np.cumsum(lens)])
    for k in ("hdr", "state_q", "state"):
        out[k] = np.stack(cols[k])
    out["clip"] = np.array(cols["clip"])
    out["variant"] = np.array(cols["variant"])
    out["index"] = np.array(cols["index"], np.int32)
    write_npz_deterministic(args.out / "dred_v10_subset.npz", out)
    with open(args.out / "sample_v10.pkts", "wb") as f:
        for p in cols["packet"]:
            f.write(len(p).to_bytes(4, "little") + p.tobytes())
    print(f"{args.out}: {len(cols['packet'])} packets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
