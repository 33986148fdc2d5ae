"""dredfast.Encoder (system libopus primary + dredfast DRED) and `dredfast encode`."""
import numpy as np
import pytest

import dredfast
from dredfast.cli import main

import vectors


@pytest.fixture(scope="module")
def speech():
    z = np.load(vectors.DATA_DIR / "dred_encoder_subset.npz")
    return z["pcm"].astype(np.float32) / 32768  # 2.4 s of speech


def test_dred_leaves_primary_audio_untouched(libopus, speech):
    """Stock libopus decodes DRED packets exactly like the same packets without DRED."""
    with_dred = dredfast.Encoder(dred_bitrate=16000).encode_all(speech)
    without = dredfast.Encoder(dred_bitrate=16000, dred_ms=0).encode_all(speech)
    assert len(with_dred) == len(without)
    da, db = dredfast.OpusDecoder(), dredfast.OpusDecoder()
    dec = dredfast.DredDecoder()
    latents = []
    for a, b in zip(with_dred, without):
        assert dredfast.find_dred_payload(b) is None
        assert np.array_equal(da.decode(a), db.decode(b))
        assert da.final_range == db.final_range
        d = dec.parse(a)
        latents.append(d.num_latents if d else 0)
    # An own 16 kb/s budget carries the full second (26 latents) once it has filled.
    assert max(latents) == 26 and sum(x > 0 for x in latents) > 0.8 * len(latents)


def test_libopus_split_and_lbrr(libopus, speech):
    # libopus 1.6.1's budget at 24 kb/s, 20 % loss: DRED takes 9 kb/s, 4 latents.
    enc = dredfast.Encoder(bitrate=24000, lbrr=False)
    assert enc.primary_bitrate == 15000 and enc.dred_budget.max_chunks == 4
    pk = enc.encode_all(speech)
    dec = dredfast.DredDecoder()
    assert max(dec.parse(p).num_latents for p in pk if dec.parse(p)) == 4
    # With LBRR at 24 kb/s libopus leaves DRED nothing.
    enc = dredfast.Encoder(bitrate=24000, lbrr=True)
    assert enc.dred_budget.max_chunks == 0
    pk = enc.encode_all(speech)
    assert all(dredfast.find_dred_payload(p) is None for p in pk)
    assert sum(dredfast.OpusDecoder().has_lbrr(p) for p in pk) > len(pk) // 2


def test_bad_input(libopus):
    enc = dredfast.Encoder()
    with pytest.raises(ValueError):
        enc.encode(np.zeros(100, np.float32))
    with pytest.raises(ValueError, match="16000"):
        dredfast.Encoder(sample_rate=48000)


def test_cli_encode(libopus, speech, tmp_path):
    from dredfast.audio import write_wav
    wav = tmp_path / "in.wav"
    write_wav(wav, speech)
    out = tmp_path / "out.pkts"
    assert main(["encode", str(wav), "-o", str(out), "--dred-bitrate", "16000"]) == 0
    pk = dredfast.read_packets(out)
    assert len(pk) == -(-len(speech) // 320) + 1
    assert sum(dredfast.find_dred_payload(p) is not None for p in pk) > len(pk) // 2
    assert main(["encode", str(tmp_path / "missing.wav"), "-o", str(out)]) == 2
