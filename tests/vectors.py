"""Loader for the libopus 1.6.1 DRED reference vectors (tests only).

Two sources, same objects (:class:`DredCase`):

* the full vectors in ``<shared>/vectors`` (see its README.md): :func:`full_cases`
  walks every packet of every clip and variant, one clip's ``arrays.npz`` at a time;
* a small subset committed in ``tests/data`` (written by ``tests/make_test_data.py``):
  :func:`subset_cases`, plus two small packet containers (:func:`subset_pkts_path`).

``shared_dir()`` is ``$DREDFAST_SHARED`` if that variable is set (set it to a
non-existent path to force "no shared data"), else ``<repo root>/../shared``; it
is returned only if ``<dir>/vectors/README.md`` exists, otherwise ``None``.

Plain module: importing it reads nothing and has no side effects. Only numpy
and the standard library are used.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
DATA_DIR = TESTS_DIR / "data"
SUBSET_NPZ = DATA_DIR / "dred_subset.npz"
SUBSET_MANIFEST = DATA_DIR / "dred_subset.json"

ENV_VAR = "DREDFAST_SHARED"

#: ``V_dred_hdr`` column names (``settings.json["dred_hdr_columns"]``); the
#: loaders check the files against this list.
HDR_COLUMNS: Tuple[str, ...] = (
    "has_dred", "ext_frame", "ext_len", "q0", "dQ", "extra_flag", "extra_val",
    "offset_sym", "qmax", "dred_offset", "nb_latents", "parse_ret", "dred_end",
    "ec_tell_bits", "ext_data_pos", "nb_frames", "padding_len",
)
#: all variants, in the order used everywhere (v96 exists only for some clips)
VARIANTS: Tuple[str, ...] = ("v24", "v24fec", "v32", "v96")
#: quantizer slope table indexed by the ``dQ`` header field
DQ_TABLE: Tuple[int, ...] = (0, 2, 3, 4, 6, 8, 12, 16)

MAX_LATENTS = 26
LATENT_DIM = 25
STATE_DIM = 50
NB_FEATURES = 20


# --------------------------------------------------------------------------- #
# The case object
# --------------------------------------------------------------------------- #
@dataclass(frozen=True, eq=False)
class DredCase:
    """One packet of one clip/variant and libopus's DRED parse of it.

    Arrays are read-only copies. For a packet without DRED: ``payload == b''``,
    ``state_q``/``state`` are ``None`` and the per-latent arrays have 0 rows.
    ``features`` is ``None`` only when the clip is not one of the heavy clips
    (a heavy clip's packet without DRED gets a (0, 20) array).
    (``eq=False``: equality is identity, since fields hold numpy arrays.)
    """

    clip: str
    variant: str
    index: int                       # packet index in the clip
    packet: bytes                    # the Opus packet
    hdr: Dict[str, int]              # all 17 V_dred_hdr columns by name
    payload: bytes                   # extension-126 data incl. b'D\x0c'; b'' without DRED
    qlevel: np.ndarray               # int32 (nb_latents,)
    state_q: Optional[np.ndarray]    # int32 (50,) or None
    state: Optional[np.ndarray]      # float32 (50,) or None
    latents_q: np.ndarray            # int32 (nb_latents, 25), newest first
    latents: np.ndarray              # float32 (nb_latents, 26), col 25 = qlevel*0.125-1
    features: Optional[np.ndarray]   # float32 (4*nb_latents, 20), row 0 = newest; None if not heavy

    @property
    def has_dred(self) -> bool:
        return bool(self.hdr["has_dred"])

    @property
    def nb_latents(self) -> int:
        return int(self.hdr["nb_latents"])

    @property
    def key(self) -> Tuple[str, str, int]:
        return (self.clip, self.variant, self.index)

    def __repr__(self) -> str:  # arrays would make the default repr unreadable
        return (f"DredCase({self.clip!r}, {self.variant!r}, {self.index}, len={len(self.packet)}, "
                f"has_dred={int(self.has_dred)}, nb_latents={self.nb_latents}, "
                f"features={'yes' if self.features is not None else 'no'})")


def _ro(a: np.ndarray, dtype) -> np.ndarray:
    """Contiguous read-only copy with the given dtype (decoupled from the source arrays)."""
    out = np.array(a, dtype=dtype, copy=True, order="C")
    out.setflags(write=False)
    return out


# --------------------------------------------------------------------------- #
# Locations
# --------------------------------------------------------------------------- #
def shared_dir() -> Optional[Path]:
    """The shared folder (holding ``vectors/``), or None when it is not available."""
    env = os.environ.get(ENV_VAR)
    d = Path(env) if env else REPO_ROOT.parent / "shared"
    if (d / "vectors" / "README.md").is_file():
        return d
    return None


def vectors_dir() -> Optional[Path]:
    """``shared_dir() / 'vectors'`` or None."""
    d = shared_dir()
    return None if d is None else d / "vectors"


def subset_pkts_path(variant: str = "v96") -> Path:
    """A small committed packet container: the first 60 packets of
    ``en_f_allison_01/<variant>.pkts`` (``variant`` is ``'v96'`` or ``'v24'``)."""
    if variant not in ("v96", "v24"):
        raise ValueError(f"no committed sample container for variant {variant!r}")
    return DATA_DIR / f"sample_{variant}.pkts"


# --------------------------------------------------------------------------- #
# Packet containers
# --------------------------------------------------------------------------- #
def parse_pkts(data: bytes) -> List[bytes]:
    """Split a ``.pkts`` container (records: uint32 LE length + packet bytes)."""
    out: List[bytes] = []
    i, n = 0, len(data)
    while i < n:
        if i + 4 > n:
            raise ValueError(f"truncated record header at byte {i}")
        length = int.from_bytes(data[i:i + 4], "little")
        if i + 4 + length > n:
            raise ValueError(f"truncated packet at byte {i}: length {length}, {n - i - 4} bytes left")
        out.append(bytes(data[i + 4:i + 4 + length]))
        i += 4 + length
    return out


def read_pkts(path) -> List[bytes]:
    """Packets of a ``.pkts`` container file, in order."""
    return parse_pkts(Path(path).read_bytes())


def write_pkts(path, packets: Iterable[bytes]) -> None:
    """Write packets as a ``.pkts`` container (the same format)."""
    with open(path, "wb") as f:
        for p in packets:
            f.write(len(p).to_bytes(4, "little"))
            f.write(p)


# --------------------------------------------------------------------------- #
# Full vectors
# --------------------------------------------------------------------------- #
@lru_cache(maxsize=4)
def _settings_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_settings() -> Optional[dict]:
    """``vectors/settings.json`` as a dict, or None without shared data."""
    v = vectors_dir()
    if v is None or not (v / "settings.json").is_file():
        return None
    return _settings_cached(str(v / "settings.json"))


def clip_names() -> List[str]:
    """Clips of the shared vectors, in settings.json order (folder order as fallback)."""
    v = vectors_dir()
    if v is None:
        return []
    s = load_settings()
    if s is not None and "clips" in s:
        return [c for c in s["clips"] if (v / c / "arrays.npz").is_file()]
    return sorted(p.name for p in v.iterdir() if (p / "arrays.npz").is_file())


def _variants_in(z) -> List[str]:
    return [v for v in VARIANTS if f"{v}_dred_hdr" in z.files]


def _clip_cases(clip_dir: Path, variants: Optional[Iterable[str]]) -> Iterator[DredCase]:
    clip = clip_dir.name
    want = None if variants is None else set(variants)
    with np.load(clip_dir / "arrays.npz", allow_pickle=False) as z:
        for var in _variants_in(z):
            if want is not None and var not in want:
                continue
            yield from _variant_cases(clip, var, z, clip_dir / f"{var}.pkts")


def _variant_cases(clip: str, var: str, z, pkts_path: Path) -> Iterator[DredCase]:
    def g(name):
        return z[f"{var}_{name}"]

    hdr = g("dred_hdr")
    if hdr.ndim != 2 or hdr.shape[1] != len(HDR_COLUMNS):
        raise ValueError(f"{clip}/{var}: dred_hdr has shape {hdr.shape}")
    n = hdr.shape[0]
    packets = read_pkts(pkts_path)
    if len(packets) != n:
        raise ValueError(f"{clip}/{var}: {len(packets)} packets in {pkts_path.name}, {n} header rows")
    pkt_len = g("pkt_len") if f"{var}_pkt_len" in z.files else None
    payload, pay_ptr = g("dred_payload"), g("dred_payload_ptr")
    qlevel = g("dred_qlevel")
    lat_ptr = g("dred_latent_ptr")
    latents_q, latents = g("dred_latents_q"), g("dred_latents")
    state_q, state = g("dred_state_q"), g("dred_state")
    pkt_index = g("dred_pkt_index")
    feats = g("dred_features") if f"{var}_dred_features" in z.files else None
    row_of = np.full(n, -1, dtype=np.int64)
    row_of[pkt_index] = np.arange(len(pkt_index))
    for i in range(n):
        if pkt_len is not None and len(packets[i]) != int(pkt_len[i]):
            raise ValueError(f"{clip}/{var}: packet {i} length {len(packets[i])} != pkt_len {pkt_len[i]}")
        h = {c: int(x) for c, x in zip(HDR_COLUMNS, hdr[i])}
        nl = h["nb_latents"]
        a, b = int(lat_ptr[i]), int(lat_ptr[i + 1])
        if b - a != nl:
            raise ValueError(f"{clip}/{var}: packet {i}: latent_ptr gives {b - a} rows, nb_latents {nl}")
        r = int(row_of[i])
        yield DredCase(
            clip=clip, variant=var, index=i, packet=packets[i], hdr=h,
            payload=bytes(payload[int(pay_ptr[i]):int(pay_ptr[i + 1])]),
            qlevel=_ro(qlevel[i, :nl], np.int32),
            state_q=None if r < 0 else _ro(state_q[r], np.int32),
            state=None if r < 0 else _ro(state[r], np.float32),
            latents_q=_ro(latents_q[a:b], np.int32),
            latents=_ro(latents[a:b], np.float32),
            features=None if feats is None else _ro(feats[4 * a:4 * b], np.float32),
        )


def full_cases(variants: Optional[Iterable[str]] = None,
               clips: Optional[Iterable[str]] = None) -> Iterator[DredCase]:
    """Every packet (with and without DRED) of every clip and variant of the shared
    vectors, clip by clip (settings.json order), variants in VARIANTS order.

    ``variants``/``clips`` restrict the walk. Empty when shared data is absent.
    Only one clip's arrays are held at a time.
    """
    v = vectors_dir()
    if v is None:
        return
    variants = None if variants is None else list(variants)
    names = clip_names()
    if clips is not None:
        wanted = list(clips)
        unknown = [c for c in wanted if c not in names]
        if unknown:
            raise KeyError(f"unknown clips: {unknown}")
        names = [c for c in names if c in set(wanted)]
    for clip in names:
        yield from _clip_cases(v / clip, variants)


# --------------------------------------------------------------------------- #
# Committed subset
# --------------------------------------------------------------------------- #
@lru_cache(maxsize=1)
def _subset_cached(path: str, mtime_ns: int) -> Tuple[Tuple[DredCase, ...], Tuple[str, ...]]:
    with np.load(path, allow_pickle=False) as z:
        cols = tuple(str(c) for c in z["hdr_columns"])
        if cols != HDR_COLUMNS:
            raise ValueError(f"{path}: unexpected hdr columns {cols}")
        clip, variant, index = z["clip"], z["variant"], z["index"]
        heavy = z["heavy"]
        reasons = z["reasons"]
        pkt, pkt_ptr = z["packet_data"], z["packet_ptr"]
        hdr = z["hdr"]
        pay, pay_ptr = z["payload"], z["payload_ptr"]
        lat_ptr = z["latent_ptr"]
        qlevel, latents_q, latents = z["qlevel"], z["latents_q"], z["latents"]
        state_q, state = z["state_q"], z["state"]
        feats, feat_ptr = z["features"], z["feature_ptr"]
    cases = []
    for k in range(len(index)):
        h = {c: int(x) for c, x in zip(HDR_COLUMNS, hdr[k])}
        a, b = int(lat_ptr[k]), int(lat_ptr[k + 1])
        if b - a != h["nb_latents"]:
            raise ValueError(f"{path}: case {k}: {b - a} latent rows, nb_latents {h['nb_latents']}")
        dred = bool(h["has_dred"])
        fa, fb = int(feat_ptr[k]), int(feat_ptr[k + 1])
        if bool(heavy[k]) and fb - fa != 4 * h["nb_latents"]:
            raise ValueError(f"{path}: case {k}: {fb - fa} feature rows, nb_latents {h['nb_latents']}")
        cases.append(DredCase(
            clip=str(clip[k]), variant=str(variant[k]), index=int(index[k]),
            packet=bytes(pkt[int(pkt_ptr[k]):int(pkt_ptr[k + 1])]), hdr=h,
            payload=bytes(pay[int(pay_ptr[k]):int(pay_ptr[k + 1])]),
            qlevel=_ro(qlevel[a:b], np.int32),
            state_q=_ro(state_q[k], np.int32) if dred else None,
            state=_ro(state[k], np.float32) if dred else None,
            latents_q=_ro(latents_q[a:b], np.int32),
            latents=_ro(latents[a:b], np.float32),
            features=_ro(feats[fa:fb], np.float32) if bool(heavy[k]) else None,
        ))
    return tuple(cases), tuple(str(r) for r in reasons)


def _subset() -> Tuple[Tuple[DredCase, ...], Tuple[str, ...]]:
    if not SUBSET_NPZ.is_file():
        raise FileNotFoundError(f"{SUBSET_NPZ} missing: run tests/make_test_data.py")
    return _subset_cached(str(SUBSET_NPZ), SUBSET_NPZ.stat().st_mtime_ns)


def subset_cases() -> List[DredCase]:
    """The committed subset (``tests/data/dred_subset.npz``), ordered by clip
    (settings.json order), variant, packet index."""
    return list(_subset()[0])


def subset_reasons() -> Dict[Tuple[str, str, int], List[str]]:
    """Why each subset case was selected: ``{(clip, variant, index): [reason, ...]}``,
    e.g. ``'first60'``, ``'min_dred_offset'``, ``'v96:nb_latents=26'`` (see make_test_data.py)."""
    cases, reasons = _subset()
    return {c.key: r.split(";") for c, r in zip(cases, reasons)}


def subset_cases_with(reason_prefix: str) -> List[DredCase]:
    """Subset cases having a selection reason that starts with ``reason_prefix``."""
    cases, reasons = _subset()
    return [c for c, r in zip(cases, reasons)
            if any(x.startswith(reason_prefix) for x in r.split(";"))]
