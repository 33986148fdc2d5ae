"""The weight-blob loader: the packaged blob, user blobs, and every kind of bad blob.

A bad blob must raise ValueError naming the record (or the byte offset when no
name can be trusted) — never crash, never bind something of the wrong shape.
"""
import hashlib
import struct
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import dredfast
from dredfast import _core

import blobutil
import vectors

PACKAGED = resources.files("dredfast.weights").joinpath("opus-1.6.1.bin")


@pytest.fixture(scope="module")
def blob_bytes():
    return PACKAGED.read_bytes()


@pytest.fixture(scope="module")
def dec_only(blob_bytes):
    """Only the RDO-VAE decoder and quantiser records, to keep the hostile loops fast."""
    recs = [(n, a) for n, a, _ in blobutil.parse(blob_bytes) if n.startswith(("dec_", "dred_"))]
    return blobutil.blob(recs)


def test_packaged_blob_is_the_documented_one(blob_bytes):
    digest = hashlib.sha256(blob_bytes).hexdigest()
    sums = resources.files("dredfast.weights").joinpath("SHA256SUMS").read_text()
    assert digest in sums
    w = dredfast.load_weights()
    assert w.nbytes == len(blob_bytes) == 2003840
    names = [r[0] for r in w.records()]
    assert len(names) == 343 + 8 and "dec_output_weights_int8" in w and "dred_state_p0_q8" in w
    assert dredfast.load_weights() is w  # read once, shared


def test_records_match_python_parser(blob_bytes):
    ours = dredfast.load_weights().records()
    ref = blobutil.parse(blob_bytes)
    assert [(n, len(a)) for n, a, _ in ref] == [(n, c) for n, _, c in ours]


def test_load_user_blob_from_path_and_bytes(tmp_path, dec_only):
    p = tmp_path / "dec.bin"
    p.write_bytes(dec_only)
    for w in (dredfast.load_weights(p), dredfast.load_weights(str(p)), dredfast.load_weights(dec_only)):
        dec = dredfast.DredDecoder(w)
        case = next(c for c in vectors.subset_cases() if c.nb_latents == 26)
        np.testing.assert_array_equal(dec.parse(case.packet).latents_q, case.latents_q)


def test_libopus_style_blob_without_stats_uses_packaged_tables(blob_bytes):
    """libopus's exporter does not write the quantiser tables (they are compiled in)."""
    libopus_like = blobutil.blob((n, a) for n, a, _ in blobutil.parse(blob_bytes) if not n.startswith("dred_"))
    dec = dredfast.DredDecoder(dredfast.load_weights(libopus_like))
    case = next(c for c in vectors.subset_cases() if c.nb_latents == 26)
    np.testing.assert_array_equal(dec.parse(case.packet).state_q, case.state_q)


def test_missing_file_and_wrong_types(tmp_path):
    with pytest.raises(OSError):
        dredfast.load_weights(tmp_path / "nope.bin")
    with pytest.raises(TypeError):
        dredfast.load_weights(42)
    with pytest.raises(ValueError, match="empty"):
        dredfast.load_weights(b"")


def test_truncated_everywhere(dec_only):
    """Cut at every record boundary and at many points inside records."""
    parsed = blobutil.parse(dec_only)
    offsets = [off for _, _, off in parsed]
    dec_names = {n for n, _, _ in parsed if n.startswith("dec_")}
    stats_names = {n for n, _, _ in parsed if n.startswith("dred_")}
    cuts = set(offsets[1:])
    for off in offsets:
        cuts.update({off + 1, off + 20, off + 63, off + 64, off + 65, off + 100})
    rng = np.random.default_rng(0)
    cuts.update(rng.integers(1, len(dec_only), 300).tolist())
    for cut in sorted(c for c in cuts if 0 < c < len(dec_only)):
        data = dec_only[:cut]
        if cut in offsets:
            # A cut at a record boundary is a valid (smaller) blob: the decoder
            # must then report the first missing record, unless only the whole
            # set of quantiser tables is gone (then the packaged ones are used).
            w = dredfast.load_weights(data)
            names = {r[0] for r in w.records()}
            if dec_names <= names and not names & stats_names:
                dredfast.DredDecoder(w)
            else:
                with pytest.raises(ValueError, match="not found"):
                    dredfast.DredDecoder(w)
        else:
            with pytest.raises(ValueError, match="truncated|padding|invalid name|DNNw"):
                dredfast.load_weights(data)


def mutate_header(data: bytes, index: int, **fields) -> bytes:
    rec = blobutil.parse(data)[index]
    off = rec[2]
    b = bytearray(data)
    layout = {"version": 4, "type": 8, "size": 12, "block": 16}
    for k, v in fields.items():
        struct.pack_into("<I", b, off + layout[k], v & 0xFFFFFFFF)
    return bytes(b)


@pytest.mark.parametrize("fields,message", [
    ({"version": 1}, "version"),
    ({"type": 2 ** 31 + 5}, "type code"),
    ({"type": 9}, "type code"),
    ({"size": 2 ** 31 - 1}, "size|block"),
    ({"size": 0xFFFFFFFF}, "size"),
    ({"size": 3}, "size"),  # float record of 3 bytes
    ({"block": 0}, "block"),
    ({"size": 10 ** 9, "block": (10 ** 9 + 63) // 64 * 64}, "truncated"),
])
def test_corrupt_headers(dec_only, fields, message):
    names = [n for n, _, _ in blobutil.parse(dec_only)]
    i = names.index("dec_glu1_bias")
    with pytest.raises(ValueError, match=message) as e:
        dredfast.load_weights(mutate_header(dec_only, i, **fields))
    assert "dec_glu1_bias" in str(e.value) or message == "DNNw"


def test_bad_magic_name_padding_and_duplicates(dec_only):
    b = bytearray(dec_only)
    b[0:4] = b"DNNx"
    with pytest.raises(ValueError, match="DNNw"):
        dredfast.load_weights(bytes(b))
    b = bytearray(dec_only)
    b[20:64] = b"\0" * 44
    with pytest.raises(ValueError, match="name"):
        dredfast.load_weights(bytes(b))
    # Non-zero byte in a record's padding.
    rec = next(r for r in blobutil.parse(dec_only) if (len(r[1]) * r[1].itemsize) % 64)
    off = rec[2] + 64 + len(rec[1]) * rec[1].itemsize
    b = bytearray(dec_only)
    b[off] = 1
    with pytest.raises(ValueError, match=f"{rec[0]}.*padding"):
        dredfast.load_weights(bytes(b))
    first = blobutil.parse(dec_only)[0]
    with pytest.raises(ValueError, match="two records named"):
        dredfast.load_weights(dec_only + blobutil.record(first[0], first[1]))
    with pytest.raises(ValueError):
        dredfast.load_weights(b"DNNw" + b"\0" * 10)


def replace_record(data: bytes, name: str, array: np.ndarray) -> bytes:
    return blobutil.blob((n, array if n == name else a) for n, a, _ in blobutil.parse(data))


@pytest.mark.parametrize("name,array,message", [
    ("dec_dense1_bias", np.zeros(95, np.float32), "dec_dense1_bias.*95.*96"),
    ("dec_glu1_weights_int8", np.zeros(4095, np.int8), "dec_glu1_weights_int8"),
    ("dec_glu1_scale", np.zeros(64, np.int32), "dec_glu1_scale.*int32"),
    ("dec_output_weights_idx", np.full(730, -4, np.int32), "dec_output_weights_idx"),
    ("dec_output_weights_idx", np.full(730, 4000, np.int32), "dec_output_weights_idx"),
    ("dec_output_weights_idx", np.full(730, 2, np.int32), "dec_output_weights_idx"),
    ("dec_output_weights_idx", np.zeros(731, np.int32), "dec_output_weights_idx.*trailing"),
    ("dec_output_weights_idx", np.zeros(3, np.int32), "dec_output_weights_idx"),
    ("dred_latent_p0_q8", np.zeros(399, np.uint8), "dred_latent_p0_q8"),
    ("dred_state_r_q8", np.zeros(800, np.float32)[:200], "dred_state_r_q8"),
])
def test_wrong_shapes_name_the_record(dec_only, name, array, message):
    w = dredfast.load_weights(replace_record(dec_only, name, array))
    with pytest.raises(ValueError, match=message):
        dredfast.DredDecoder(w)


def test_sparse_index_offsets_checked(dec_only):
    """Offsets must be multiples of 4 inside the input; counts within the row."""
    idx = blobutil.as_dict(dec_only)["dec_output_weights_idx"].copy()
    for bad in (1, 573, -1, 576, 2 ** 31 - 1):
        j = idx.copy()
        j[1] = bad
        w = dredfast.load_weights(replace_record(dec_only, "dec_output_weights_idx", j))
        with pytest.raises(ValueError, match="dec_output_weights_idx"):
            dredfast.DredDecoder(w)
    j = idx.copy()
    j[0] = 10 ** 6
    w = dredfast.load_weights(replace_record(dec_only, "dec_output_weights_idx", j))
    with pytest.raises(ValueError, match="block count"):
        dredfast.DredDecoder(w)


def test_wrong_model_blob():
    shared = vectors.shared_dir()
    recs = [("fargan_cond_dense_bias", np.zeros(8, np.float32))]
    with pytest.raises(ValueError, match="dec_dense1_bias.*not found"):
        dredfast.DredDecoder(dredfast.load_weights(blobutil.blob(recs)))
    if shared is not None:
        for f in ("opus-1.6.1-fargan.bin", "opus-1.6.1-dred-enc.bin", "lpcnet-191005.bin"):
            with pytest.raises(ValueError, match="not found"):
                dredfast.DredDecoder(Path(shared, "weights", f))


def test_random_garbage_never_crashes():
    rng = np.random.default_rng(1)
    for n in (1, 63, 64, 65, 128, 1000):
        for _ in range(30):
            with pytest.raises(ValueError):
                dredfast.load_weights(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
