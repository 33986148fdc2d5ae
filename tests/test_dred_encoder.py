"""The DRED sender (DredEncoder): signal -> analysis -> RDO-VAE encoder -> quantiser ->
latent selection -> range coder, against what libopus 1.6.1's encoder did.

What can be exact and what cannot (vectors README, "Exactness"): libopus's DRED
analyses its own high-passed signal, whose cutoff SILK adapts (60-100 Hz) from its
pitch analysis; dredfast runs the same filter at the 60 Hz floor that the adaptation
stays near on clean speech.  Everything after the signal is libopus's arithmetic, so:
- every decision that depends on timing and activity (offsets, which latents are
  sent, when no DRED is sent) must be identical;
- the DRED integers must agree at least as well as libopus's own builds agree with each
  other (../shared/vectors/tolerance.json: three libopus 1.6.1 builds each encoding the
  dev clips; the floors below are the lowest of its AVX2-vs-SSE2 and AVX2-vs-scalar-C
  figures); dredfast measures 99.02 % over the dev clips (the README's "99.0 %", asserted
  to that precision), every difference coming from the filter cutoff (fed libopus's own
  features, RDO-VAE encoder and quantiser reproduce all integers: test_rdovae_encoder.py,
  test_dred_quantizer.py).
"""
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

import dredfast
from dredfast.dred_budget import libopus_budget, own_budget

import vectors

DATA = vectors.DATA_DIR / "dred_encoder_subset.npz"
BITRATES = {"v24": 24000, "v32": 32000, "v96": 96000}
#: tolerance.json's lowest agreement of the DRED integers on one clip x variant between
#: two libopus 1.6.1 builds (AVX2 vs scalar C, 97.91 %); used where ../shared is absent
#: (the subset test) and checked against tolerance.json by test_full_chain_against_libopus.
WORST_CLIP_FLOOR = 0.9791
#: The README's claim: "99.0 % of its integers" (over all dev clips, v24/v32/v96).
README_INT_AGREEMENT = 0.990
#: The README's claim for the energy VAD: agreement 99.0 % with libopus's activity flags.
README_VAD_AGREEMENT = 0.990


def tolerance_floors(shared) -> dict:
    """From tolerance.json: the lowest pooled integer agreement, the lowest per clip x
    variant agreement and the lowest fraction of identical DRED payloads (over all
    packets, mean over clip x variant) between libopus's reference build and either of its other two builds."""
    t = json.loads((shared / "vectors" / "tolerance.json").read_text())
    out = {"ints": 1.0, "worst": 1.0, "payloads": 1.0}
    for build in ("generic", "purec"):
        eq = tot = 0
        same = []
        for clip in t.values():
            for v in BITRATES:
                if v not in clip[build]:
                    continue
                e, n = clip[build][v]["quantized_ints_equal"]
                eq, tot = eq + e, tot + n
                out["worst"] = min(out["worst"], e / n)
                same.append(clip[build][v]["dred_payload_identical_frac"])
        out["ints"] = min(out["ints"], eq / tot)
        out["payloads"] = min(out["payloads"], float(np.mean(same)))
    return out


def _payloads(z, v):
    ptr, data = z[f"{v}_payload_ptr"], z[f"{v}_payload"].tobytes()
    return [data[ptr[i]:ptr[i + 1]] for i in range(len(ptr) - 1)]


def _compare(ours: bytes, ref: bytes, packet: bytes, dec) -> tuple:
    """(equal integers, total integers) between our payload and libopus's."""
    a = dec.parse(dredfast.add_dred(packet, ours), max_ms=1000)
    b = dec.parse(dredfast.add_dred(packet, ref), max_ms=1000)
    n = min(a.num_latents, b.num_latents)
    eq = int((a.state_q == b.state_q).sum() + (a.latents_q[:n] == b.latents_q[:n]).sum())
    return eq, 50 + 25 * n


@pytest.mark.parametrize("variant", ["v24", "v96"])
def test_subset_chain(variant):
    z = np.load(DATA)
    refs = _payloads(z, variant)
    pcm, active = z["pcm"], z[f"{variant}_active"]
    enc = dredfast.DredEncoder(primary_bitrate=BITRATES[variant], packet_loss_pct=20)
    dec = dredfast.DredDecoder()
    eq = tot = same_bytes = sent = 0
    lat_err = []
    for p, ref in enumerate(refs):
        ours = enc.push(pcm[p * 320:(p + 1) * 320], active=bool(active[p] == 1))
        lat_err.append(np.abs(enc._core.newest()[0] - z["enc_latents"][p]).max())
        # Whether a packet carries DRED at all is decided by timing and activity only.
        assert bool(ours) == bool(ref), f"packet {p}: DRED sent by {'us' if ours else 'libopus'} only"
        if ref:
            sent += 1
            same_bytes += ours == ref
            e, t = _compare_payloads(ours, ref, dec)
            eq += e
            tot += t
    assert sent > 80  # the subset's packets carry DRED from packet 1 on (make_encoder_test_data.py)
    assert eq / tot >= WORST_CLIP_FLOOR, f"{eq}/{tot} integers equal"
    # Latents close to libopus's (unquantised, range about +-30).  Source: libopus's own
    # builds differ by rms 0.14-0.21 and up to 22-35 at worst (vectors README, "Exactness");
    # the median packet's largest difference staying below 1 is well inside that.
    assert np.median(lat_err) < 1.0


def _compare_payloads(ours: bytes, ref: bytes, dec) -> tuple:
    carrier = bytes([0x48, 0x00])  # a code-0 packet (SILK WB 20 ms, one byte) to carry the payloads
    return _compare(ours, ref, carrier, dec)


def test_libopus_budgets_match_vectors():
    # V_enc_dred_calls: max_chunks / q0 / dQ / qmax / max_bytes of every call.
    assert libopus_budget(24000, packet_loss_pct=20, lbrr=False) == \
        dredfast.dred_budget.DredBudget(9, 5, 15, 4, 995, 9000)
    b32 = libopus_budget(32000, packet_loss_pct=20, lbrr=False)
    assert (b32.q0, b32.dq, b32.qmax, b32.max_chunks) == (6, 5, 15, 5)
    b96 = libopus_budget(96000, packet_loss_pct=20, lbrr=False)
    assert (b96.q0, b96.dq, b96.qmax, b96.max_chunks) == (4, 3, 15, 26)
    # v24fec: LBRR takes the whole redundancy share at 24 kb/s, libopus codes no DRED.
    assert libopus_budget(24000, packet_loss_pct=20, lbrr=True).max_chunks == 0


def test_own_budget_is_monotonic():
    prev = None
    for rate in (6000, 8000, 12000, 16000, 24000, 32000):
        b = own_budget(rate, dred_ms=1000)
        assert 0 <= b.max_chunks <= 26
        if prev is not None:
            assert (b.max_chunks, -b.q0) >= (prev.max_chunks, -prev.q0)
        prev = b
    assert own_budget(16000).max_chunks == 26


def test_silence_sends_nothing_and_bad_input():
    enc = dredfast.DredEncoder(bitrate=16000)
    for _ in range(10):
        assert enc.push(np.zeros(320, np.float32)) == b""
    with pytest.raises(ValueError, match="320 samples"):
        enc.push(np.zeros(319, np.float32))
    with pytest.raises(TypeError, match="int16"):
        enc.push(np.zeros(320, np.int32))
    with pytest.raises(ValueError, match="NaN"):
        enc.push(np.full(320, np.nan, np.float32))
    with pytest.raises(ValueError, match="sample_rate"):
        dredfast.DredEncoder(sample_rate=44100)
    with pytest.raises(ValueError, match="channels"):
        dredfast.DredEncoder(sample_rate=48000, channels=3)
    with pytest.raises(ValueError, match="application"):
        dredfast.DredEncoder(application="music")
    st = dredfast.DredEncoder(sample_rate=48000, channels=2)
    with pytest.raises(ValueError, match=r"\(960, 2\)"):
        st.push(np.zeros(1920, np.float32))  # interleaved 1-D is not taken: shape says the channels
    with pytest.raises(ValueError, match=r"\(960, 2\)"):
        st.push(np.zeros((320, 2), np.float32))
    assert st.push(np.zeros((960, 2), np.int16)) == b""
    with pytest.raises(ValueError, match="frame_ms"):
        dredfast.DredEncoder(frame_ms=25)


def test_own_budget_carries_a_second():
    z = np.load(DATA)
    pcm = z["pcm"]
    enc = dredfast.DredEncoder(bitrate=16000, dred_ms=1000)
    dec = dredfast.DredDecoder()
    latents = []
    for p in range(len(pcm) // 320):
        payload = enc.push(pcm[p * 320:(p + 1) * 320])
        if payload:
            d = dec.parse(dredfast.add_dred(bytes([0x48, 0x00]), payload), max_ms=1000)
            latents.append(d.num_latents)
    # After a second of speech the newest packets carry all 26 latents (1.04 s).
    assert max(latents) == 26


def test_full_chain_against_libopus():
    shared = vectors.shared_dir()
    if shared is None:
        pytest.skip("needs ../shared (DREDFAST_SHARED)")
    settings = json.loads((shared / "vectors" / "settings.json").read_text())
    col = {c: i for i, c in enumerate(settings["enc_dred_calls_columns"])}
    dec = dredfast.DredDecoder()
    eq = tot = same = sent = 0
    same_frac = []
    worst = 1.0
    for clip in vectors.clip_names():
        _, pcm = wavfile.read(shared / "speech" / "dev" / f"{clip}.wav")
        z = np.load(shared / "vectors" / clip / "arrays.npz")
        for v, rate in BITRATES.items():
            if f"{v}_enc_dred_calls" not in z.files or not (shared / "vectors" / clip / f"{v}.pkts").exists():
                continue
            calls = z[f"{v}_enc_dred_calls"]
            pkts = vectors.read_pkts(shared / "vectors" / clip / f"{v}.pkts")
            x = np.zeros(len(pkts) * 320, np.int16)
            x[:len(pcm)] = pcm
            enc = dredfast.DredEncoder(primary_bitrate=rate, packet_loss_pct=20)
            rows = {int(r[col["packet"]]): r for r in calls}
            ceq = ctot = csame = 0
            for p, pkt in enumerate(pkts):
                r = rows[p]
                ours = enc.push(x[p * 320:(p + 1) * 320], active=bool(r[col["activity0"]] == 1))
                c = enc._core.counters()
                assert (c["dred_offset"], c["latents_fill"]) == (r[col["enc_dred_offset"]],
                                                                 r[col["latents_buffer_fill"]]), (clip, v, p)
                assert c["last_extra_dred_offset"] == r[col["last_extra_dred_offset_after"]], (clip, v, p)
                ref = dredfast.find_dred_payload(pkt) or b""
                assert bool(ours) == bool(ref), (clip, v, p)
                csame += ours == ref  # as tolerance.json counts: every packet, empty == empty
                if ref:
                    sent += 1
                    same += ours == ref
                    e, t = _compare(ours, ref, pkt, dec)
                    ceq += e
                    ctot += t
            eq += ceq
            tot += ctot
            worst = min(worst, ceq / ctot)
            same_frac.append(csame / len(pkts))
    floors = tolerance_floors(shared)
    print(f"DRED integers equal: {eq}/{tot} = {eq / tot:.4f} (worst clip {worst:.4f}); "
          f"payloads byte-identical {same}/{sent} carrying DRED, {np.mean(same_frac):.3f} of all packets; "
          f"libopus builds' floors {floors}")
    assert floors["worst"] == pytest.approx(WORST_CLIP_FLOOR, abs=5e-5)
    assert eq / tot >= floors["ints"]
    assert worst >= floors["worst"]
    assert np.mean(same_frac) >= floors["payloads"]
    # The README's figure, at the precision it is written (99.0 %).
    assert round(eq / tot, 3) >= README_INT_AGREEMENT, f"{eq / tot:.4f}"


def test_vad_agrees_with_libopus():
    """The energy VAD (DredEncoder.voice_active, what push() uses without ``active=``)
    against libopus 1.6.1's own decision for the same packet (``v24_enc_dred_calls``
    ``activity0``: the activity flag the DRED coder saw), every packet of every dev clip.
    The README claims 99.0 % agreement; asserted at that precision."""
    shared = vectors.shared_dir()
    if shared is None:
        pytest.skip("needs ../shared (DREDFAST_SHARED)")
    col = {c: i for i, c in enumerate(vectors.load_settings()["enc_dred_calls_columns"])}
    enc = dredfast.DredEncoder(primary_bitrate=24000)
    agree = total = 0
    per_clip = {}
    for clip in vectors.clip_names():
        _, pcm = wavfile.read(shared / "speech" / "dev" / f"{clip}.wav")
        z = np.load(shared / "vectors" / clip / "arrays.npz")
        calls = z["v24_enc_dred_calls"]
        x = np.zeros(len(z["v24_pkt_len"]) * 320, np.int16)
        x[:len(pcm)] = pcm
        a = n = 0
        for r in calls:
            p = int(r[col["packet"]])
            a += enc.voice_active(x[p * 320:(p + 1) * 320]) == bool(r[col["activity0"]] == 1)
            n += 1
        per_clip[clip] = a / n
        agree, total = agree + a, total + n
    print(f"VAD agreement {agree}/{total} = {agree / total:.4f}; worst clip {min(per_clip.values()):.3f}")
    assert total > 9000  # every dev clip's v24 packets (one call per packet)
    assert round(agree / total, 3) >= README_VAD_AGREEMENT, f"{agree / total:.4f}"
