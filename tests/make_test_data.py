#!/usr/bin/env python3
"""Regenerate the committed DRED test data in tests/data from the shared vectors.

    python tests/make_test_data.py [--shared DIR] [--out DIR]

Source: ``<shared>/vectors`` (libopus 1.6.1 reference vectors; see its README.md),
``<shared>`` = ``--shared`` or ``vectors.shared_dir()`` ($DREDFAST_SHARED, else
``<repo>/../shared``). Output (default ``tests/data``):

``dred_subset.npz``
    Selected packets with libopus's parse of their DRED (header row, extension
    payload, q levels, state, latents, and the RDOVAE-decoded features for
    every selected packet of a heavy clip). Read with ``vectors.subset_cases()``.
    Arrays: ``clip, variant, index, heavy, reasons`` (K,), ``hdr`` (K,17) +
    ``hdr_columns``, ``packet_data``/``packet_ptr``, ``payload``/``payload_ptr``,
    ``state_q``/``state`` (K,50, zero rows without DRED), ``latent_ptr`` (K+1) into
    ``qlevel``/``latents_q``/``latents``, ``feature_ptr`` (K+1) into ``features``.
``dred_subset.json``
    Human-readable manifest: each case with its selection reasons, SHA-256 of the
    source files used and of the files written.
``sample_v96.pkts``, ``sample_v24.pkts``
    First 60 packets of ``en_f_allison_01/v96.pkts`` / ``v24.pkts``, same
    container format (uint32 LE length + packet), byte-identical prefix.

What is selected, and why (reason strings as stored in ``reasons``):

* ``first60``: every packet, with and without DRED, of the first 60 packets of
  en_f_allison_01 (a heavy clip, so features exist) for v24, v24fec, v32 and v96.
  60 rather than ~40 so the subset holds the reference parse of every packet in
  the two sample containers; it covers the DRED-less start of the stream (the
  first 9 packets), the v24fec stream (no DRED at all), and in v96 the ramp of
  nb_latents 2, 3, ..., 26 while the encoder's DRED history fills up.
* Corner cases, found by scanning the header rows of ALL clips and variants
  (only packets that carry DRED). Each criterion is evaluated over everything
  (scope ``all``) and per DRED-carrying variant (scope ``v24``, ``v32``, ``v96``);
  reason = ``<scope>:<criterion>=<value>``:
    - ``min_dred_offset`` (most negative; DRED starts before the packet,
      ``dred_end`` > 0) and ``max_dred_offset``; ``max_dred_end``;
    - ``extra_val=k`` for every distinct non-zero ``extra_val`` (extra_flag = 1);
    - ``qmax=k`` for every distinct signalled qmax < 15 (none occur in the
      1.6.1 vectors: the qmax symbol is coded but always says 15);
    - ``min_q0``/``max_q0``, and ``dQ=k`` for every distinct dQ;
    - ``min_nb_latents``/``max_nb_latents``;
    - ``min_tell_slack``/``max_tell_slack`` with slack = 8*(ext_len-2) - ec_tell_bits,
      i.e. how close the range decoder ended to the end of the payload (the
      parser stops once fewer than 8 bits remain, so 0..7 are the edges);
    - ``min_ext_len``/``max_ext_len`` (smallest / largest DRED payload).
  Ties are broken deterministically: heavy clips first (so features exist),
  then settings.json clip order, variant order, packet index. When the winner is
  not from a heavy clip, the best heavy-clip packet is added too (reason
  suffixed ``(heavy)``), so every criterion has a case with features.
* v96 with the full 1 s of DRED (both v96 clips are heavy):
  ``v96:nb_latents=26:first`` and ``:last`` per clip, and
  ``v96:nb_latents=26:max_ext_len``; the largest v96 payload overall is
  ``v96:max_ext_len``.

Everything is deterministic: the selection depends only on the vectors, the
npz is written with fixed zip timestamps, JSON with sorted keys.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vectors  # noqa: E402  (shared_dir, HDR_COLUMNS, VARIANTS, read/write_pkts)

FIRST_N = 60
FIRST_CLIP = "en_f_allison_01"
FIRST_VARIANTS = ("v24", "v24fec", "v32", "v96")
SAMPLE_CLIP = "en_f_allison_01"
SAMPLE_N = 60
SAMPLE_VARIANTS = ("v96", "v24")
SIZE_LIMIT = 3 * 1024 * 1024

COL = {c: i for i, c in enumerate(vectors.HDR_COLUMNS)}


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_npz_deterministic(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    """Like np.savez_compressed, but with fixed zip metadata (byte-reproducible)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            b = io.BytesIO()
            np.lib.format.write_array(b, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            zf.writestr(info, b.getvalue(), compresslevel=9)
    path.write_bytes(buf.getvalue())


# --------------------------------------------------------------------------- #
# Scan
# --------------------------------------------------------------------------- #
def scan(vdir: Path, settings: dict):
    """One row per packet of every clip/variant: (clip_i, var_i, index, heavy, hdr...)."""
    clips = [c for c in settings["clips"]]
    heavy_set = set(settings["heavy_clips"])
    rows = []
    for ci, clip in enumerate(clips):
        with np.load(vdir / clip / "arrays.npz", allow_pickle=False) as z:
            for vi, var in enumerate(vectors.VARIANTS):
                key = f"{var}_dred_hdr"
                if key not in z.files:
                    continue
                hdr = z[key].astype(np.int64)
                n = hdr.shape[0]
                meta = np.stack([np.full(n, ci), np.full(n, vi), np.arange(n),
                                 np.full(n, int(clip in heavy_set))], axis=1)
                rows.append(np.concatenate([meta, hdr], axis=1))
    return clips, np.concatenate(rows, axis=0)


def select(clips: List[str], table: np.ndarray) -> Dict[Tuple[int, int, int], List[str]]:
    M = {"clip": 0, "var": 1, "index": 2, "heavy": 3}
    H = lambda c: 4 + COL[c]  # noqa: E731
    sel: Dict[Tuple[int, int, int], List[str]] = {}

    def add(row, reason):
        k = (int(row[M["clip"]]), int(row[M["var"]]), int(row[M["index"]]))
        sel.setdefault(k, [])
        if reason not in sel[k]:
            sel[k].append(reason)

    # tie-break order: heavy first, clip order, variant order, index
    def first(rows):
        order = np.lexsort((rows[:, M["index"]], rows[:, M["var"]], rows[:, M["clip"]], -rows[:, M["heavy"]]))
        return rows[order[0]]

    def pick_extreme(rows, values, mode, reason):
        if len(rows) == 0:
            return
        target = values.min() if mode == "min" else values.max()
        best = first(rows[values == target])
        add(best, f"{reason}={int(target)}")
        if not best[M["heavy"]]:
            hv = rows[:, M["heavy"]] == 1
            if hv.any():
                t2 = values[hv].min() if mode == "min" else values[hv].max()
                add(first(rows[hv & (values == t2)]), f"{reason}={int(t2)}(heavy)")

    def pick_each(rows, values, reason, keep=lambda v: True):
        for val in np.unique(values):
            if keep(int(val)):
                add(first(rows[values == val]), f"{reason}={int(val)}")

    # first N packets of one clip, every variant
    ci = clips.index(FIRST_CLIP)
    for var in FIRST_VARIANTS:
        vi = vectors.VARIANTS.index(var)
        m = (table[:, M["clip"]] == ci) & (table[:, M["var"]] == vi) & (table[:, M["index"]] < FIRST_N)
        for row in table[m]:
            add(row, f"first{FIRST_N}")

    dred = table[table[:, H("has_dred")] == 1]
    scopes = [("all", dred)]
    for vi, var in enumerate(vectors.VARIANTS):
        sub = dred[dred[:, M["var"]] == vi]
        if len(sub):
            scopes.append((var, sub))

    for scope, rows in scopes:
        col = lambda c: rows[:, H(c)]  # noqa: E731
        slack = 8 * (col("ext_len") - 2) - col("ec_tell_bits")
        pick_extreme(rows, col("dred_offset"), "min", f"{scope}:min_dred_offset")
        pick_extreme(rows, col("dred_offset"), "max", f"{scope}:max_dred_offset")
        pick_extreme(rows, col("dred_end"), "max", f"{scope}:max_dred_end")
        pick_each(rows, col("extra_val"), f"{scope}:extra_val", keep=lambda v: v > 0)
        pick_each(rows, col("qmax"), f"{scope}:qmax", keep=lambda v: v < 15)
        pick_extreme(rows, col("q0"), "min", f"{scope}:min_q0")
        pick_extreme(rows, col("q0"), "max", f"{scope}:max_q0")
        pick_each(rows, col("dQ"), f"{scope}:dQ")
        pick_extreme(rows, col("nb_latents"), "min", f"{scope}:min_nb_latents")
        pick_extreme(rows, col("nb_latents"), "max", f"{scope}:max_nb_latents")
        pick_extreme(rows, slack, "min", f"{scope}:min_tell_slack")
        pick_extreme(rows, slack, "max", f"{scope}:max_tell_slack")
        pick_extreme(rows, col("ext_len"), "min", f"{scope}:min_ext_len")
        pick_extreme(rows, col("ext_len"), "max", f"{scope}:max_ext_len")

    # v96, full 1 s of DRED
    v96 = dred[(dred[:, M["var"]] == vectors.VARIANTS.index("v96")) & (dred[:, H("nb_latents")] == 26)
               & (dred[:, M["heavy"]] == 1)]
    for c in np.unique(v96[:, M["clip"]]):
        rows = v96[v96[:, M["clip"]] == c]
        add(rows[np.argmin(rows[:, M["index"]])], "v96:nb_latents=26:first")
        add(rows[np.argmax(rows[:, M["index"]])], "v96:nb_latents=26:last")
    if len(v96):
        pick_extreme(v96, v96[:, H("ext_len")], "max", "v96:nb_latents=26:max_ext_len")
    return sel


# --------------------------------------------------------------------------- #
# Extraction (reads the arrays directly, independently of vectors.full_cases)
# --------------------------------------------------------------------------- #
def extract(vdir: Path, clips: List[str], heavy_set, sel):
    out = {k: [] for k in ("clip", "variant", "index", "heavy", "reasons", "hdr", "packet", "payload",
                           "qlevel", "latents_q", "latents", "state_q", "state", "features")}
    keys = sorted(sel)
    by_clip: Dict[int, List[Tuple[int, int, int]]] = {}
    for k in keys:
        by_clip.setdefault(k[0], []).append(k)
    for ci in sorted(by_clip):
        clip = clips[ci]
        heavy = clip in heavy_set
        with np.load(vdir / clip / "arrays.npz", allow_pickle=False) as z:
            cache = {}
            for (_, vi, i) in by_clip[ci]:
                var = vectors.VARIANTS[vi]
                if var not in cache:
                    g = {n: z[f"{var}_{n}"] for n in (
                        "dred_hdr", "dred_payload", "dred_payload_ptr", "dred_qlevel", "dred_latent_ptr",
                        "dred_latents_q", "dred_latents", "dred_state_q", "dred_state", "dred_pkt_index",
                        "pkt_len")}
                    g["dred_features"] = z[f"{var}_dred_features"] if heavy else None
                    if heavy != (f"{var}_dred_features" in z.files):
                        raise SystemExit(f"{clip}/{var}: heavy flag disagrees with the npz content")
                    g["packets"] = vectors.read_pkts(vdir / clip / f"{var}.pkts")
                    cache[var] = g
                g = cache[var]
                h = g["dred_hdr"][i].astype(np.int32)
                nl = int(h[COL["nb_latents"]])
                a, b = int(g["dred_latent_ptr"][i]), int(g["dred_latent_ptr"][i + 1])
                assert b - a == nl, (clip, var, i)
                pkt = g["packets"][i]
                assert len(pkt) == int(g["pkt_len"][i]), (clip, var, i)
                rows = np.nonzero(g["dred_pkt_index"] == i)[0]
                out["clip"].append(clip)
                out["variant"].append(var)
                out["index"].append(i)
                out["heavy"].append(heavy)
                out["reasons"].append(";".join(sel[(ci, vi, i)]))
                out["hdr"].append(h)
                out["packet"].append(pkt)
                p0, p1 = int(g["dred_payload_ptr"][i]), int(g["dred_payload_ptr"][i + 1])
                out["payload"].append(g["dred_payload"][p0:p1].tobytes())
                out["qlevel"].append(g["dred_qlevel"][i, :nl].astype(np.int32))
                out["latents_q"].append(g["dred_latents_q"][a:b].astype(np.int32))
                out["latents"].append(g["dred_latents"][a:b].astype(np.float32))
                if len(rows):
                    out["state_q"].append(g["dred_state_q"][rows[0]].astype(np.int32))
                    out["state"].append(g["dred_state"][rows[0]].astype(np.float32))
                else:
                    out["state_q"].append(np.zeros(vectors.STATE_DIM, np.int32))
                    out["state"].append(np.zeros(vectors.STATE_DIM, np.float32))
                if heavy:
                    out["features"].append(g["dred_features"][4 * a:4 * b].astype(np.float32))
                else:
                    out["features"].append(np.zeros((0, vectors.NB_FEATURES), np.float32))
    return out


def ptr(lengths) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def pack(out) -> Dict[str, np.ndarray]:
    return {
        "format_version": np.array(1, np.int32),
        "hdr_columns": np.array(vectors.HDR_COLUMNS),
        "clip": np.array(out["clip"]),
        "variant": np.array(out["variant"]),
        "index": np.array(out["index"], np.int32),
        "heavy": np.array(out["heavy"], bool),
        "reasons": np.array(out["reasons"]),
        "hdr": np.stack(out["hdr"]).astype(np.int32),
        "packet_data": np.frombuffer(b"".join(out["packet"]), np.uint8),
        "packet_ptr": ptr([len(p) for p in out["packet"]]),
        "payload": np.frombuffer(b"".join(out["payload"]), np.uint8),
        "payload_ptr": ptr([len(p) for p in out["payload"]]),
        "state_q": np.stack(out["state_q"]).astype(np.int32),
        "state": np.stack(out["state"]).astype(np.float32),
        "latent_ptr": ptr([len(q) for q in out["qlevel"]]),
        "qlevel": np.concatenate(out["qlevel"]).astype(np.int32),
        "latents_q": np.concatenate(out["latents_q"]).reshape(-1, vectors.LATENT_DIM).astype(np.int32),
        "latents": np.concatenate(out["latents"]).reshape(-1, vectors.LATENT_DIM + 1).astype(np.float32),
        "feature_ptr": ptr([len(f) for f in out["features"]]),
        "features": np.concatenate(out["features"]).reshape(-1, vectors.NB_FEATURES).astype(np.float32),
    }


def write_sample(vdir: Path, out_dir: Path, clip: str, var: str, n: int) -> Path:
    data = (vdir / clip / f"{var}.pkts").read_bytes()
    i = 0
    for _ in range(n):
        i += 4 + int.from_bytes(data[i:i + 4], "little")
    if i > len(data):
        raise SystemExit(f"{clip}/{var}.pkts has fewer than {n} packets")
    dst = out_dir / f"sample_{var}.pkts"
    dst.write_bytes(data[:i])
    return dst


ENC_FRAMES = 150


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=None, help="folder holding vectors/ (default: vectors.shared_dir())")
    ap.add_argument("--out", type=Path, default=vectors.DATA_DIR, help="output folder (default tests/data)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    shared = args.shared if args.shared is not None else vectors.shared_dir()
    if shared is None or not (shared / "vectors" / "README.md").is_file():
        print("shared vectors not found (set DREDFAST_SHARED or pass --shared)", file=sys.stderr)
        return 2
    vdir = shared / "vectors"
    settings = json.loads((vdir / "settings.json").read_text(encoding="utf-8"))
    if tuple(settings["dred_hdr_columns"]) != vectors.HDR_COLUMNS:
        raise SystemExit(f"dred_hdr_columns changed: {settings['dred_hdr_columns']}")
    out_dir = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    say = (lambda *a: None) if args.quiet else print

    clips, table = scan(vdir, settings)
    sel = select(clips, table)
    out = extract(vdir, clips, set(settings["heavy_clips"]), sel)
    arrays = pack(out)
    npz = out_dir / "dred_subset.npz"
    write_npz_deterministic(npz, arrays)
    samples = [write_sample(vdir, out_dir, SAMPLE_CLIP, v, SAMPLE_N) for v in SAMPLE_VARIANTS]
    # RDO-VAE encoder: the first ENC_FRAMES 20 ms frames of the sample clip's
    # encoder-side features, latents and initial states.
    z = np.load(vdir / SAMPLE_CLIP / "arrays.npz")
    enc = out_dir / "rdovae_enc_subset.npz"
    write_npz_deterministic(enc, {"enc_features": z["enc_features"][:2 * ENC_FRAMES],
                                  "enc_latents": z["enc_latents"][:ENC_FRAMES],
                                  "enc_state": z["enc_state"][:ENC_FRAMES]})
    samples.append(enc)

    used_clips = sorted(set(out["clip"]) | {SAMPLE_CLIP}, key=clips.index)
    manifest = {
        "generator": "tests/make_test_data.py",
        "source": {
            "readme_sha256": sha256_file(vdir / "README.md"),
            "settings_sha256": sha256_file(vdir / "settings.json"),
            "arrays_sha256": {c: sha256_file(vdir / c / "arrays.npz") for c in used_clips},
            "pkts_sha256": {f"{SAMPLE_CLIP}/{v}.pkts": sha256_file(vdir / SAMPLE_CLIP / f"{v}.pkts")
                            for v in SAMPLE_VARIANTS},
        },
        "files": {p.name: {"bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in [npz, *samples]},
        "cases": [
            {"clip": c, "variant": v, "index": int(i), "heavy": bool(hv), "has_dred": int(h[COL["has_dred"]]),
             "nb_latents": int(h[COL["nb_latents"]]), "reasons": r.split(";")}
            for c, v, i, hv, h, r in zip(out["clip"], out["variant"], out["index"], out["heavy"],
                                         out["hdr"], out["reasons"])
        ],
    }
    man = out_dir / "dred_subset.json"
    man.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    # report
    K = len(out["clip"])
    nd = sum(int(h[COL["has_dred"]]) for h in out["hdr"])
    say(f"selected {K} packets ({nd} with DRED, {sum(out['heavy'])} from heavy clips, "
        f"{sum(1 for h in out['hdr'] if h[COL['nb_latents']] == 26)} with 26 latents)")
    for c, v, i, r in zip(out["clip"], out["variant"], out["index"], out["reasons"]):
        rs = [x for x in r.split(";") if x != f"first{FIRST_N}"]
        if rs:
            say(f"  {c:20s} {v:6s} {i:4d}  {', '.join(rs)}")
    total = 0
    for p in sorted(out_dir.iterdir()):
        if p.is_file():
            total += p.stat().st_size
            say(f"{p.stat().st_size:10d}  {p}")
    say(f"{total:10d}  total ({total / 1048576:.2f} MiB, limit {SIZE_LIMIT / 1048576:.0f} MiB)")
    if total > SIZE_LIMIT:
        print("ERROR: tests/data exceeds the size limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
