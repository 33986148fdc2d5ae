"""Many model objects used from many Python threads at once.

Every heavy call of the C core releases the GIL, so several threads really do
run the models at the same time.  Two properties are checked:

* **Separate objects, shared weights**: 8 threads, each with its own
  DredDecoder, Analyzer, FARGAN vocoder, LPCNet vocoder (own seed) and
  DredEncoder, all bound to one shared ``Weights`` object, run real inputs
  (the packaged demo speech, the committed DRED packets) concurrently.  Their
  outputs must be *bit-identical* to running the same jobs one after another:
  the models keep no hidden shared state (the C core has no mutable globals,
  the blob is read-only after parsing).  Each thread works on a different
  slice of the speech and a different LPCNet seed, so cross-talk between
  threads would show as a mismatch.  The same for 8 ``Receiver`` objects,
  each decoding a lossy packet stream (libopus, DRED, deep PLC, FARGAN).
* **One object, several threads**: must never crash.  What happens instead:

  - ``DredDecoder`` is read-only after construction (``parse`` keeps nothing,
    each ``Dred`` owns its data), so concurrent use gives exactly the serial
    results;
  - ``DredEncoder`` serialises calls with a lock: concurrent pushes are
    applied one at a time, so the stream state stays consistent (checked: it
    advances by exactly the number of pushes);
  - ``Analyzer`` and ``Vocoder`` (FARGAN, LPCNet) serialise calls with a lock
    too: concurrent calls never crash, outputs keep their shape and stay
    finite, and each call is applied whole;
  - ``Receiver`` too (checked: every call counted exactly once in its stats).
"""
from __future__ import annotations

import threading
from importlib import resources

import numpy as np
import pytest

import dredfast
from dredfast.audio import read_wav
from dredfast.vocoder import opus_to_lpcnet_features

import vectors

N_THREADS = 8
SLICE = 16000           # 1 s of speech per job
SHIFT = 1600            # thread i starts 0.1 s * i later (wrapping)
LPCNET_FRAMES = 40      # LPCNet is sample-rate: keep its part short


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    pcm, fs = read_wav(resources.files("dredfast.data").joinpath("demo_speech.wav"))
    assert fs == 16000
    return pcm


@pytest.fixture(scope="module")
def packets() -> list:
    return vectors.read_pkts(vectors.subset_pkts_path("v96"))


def _slice(speech: np.ndarray, i: int) -> np.ndarray:
    return np.roll(speech, -SHIFT * i)[:SLICE].copy()


def _make(weights, i: int) -> dict:
    return {
        "dec": dredfast.DredDecoder(weights),
        "an": dredfast.Analyzer(weights=weights),
        "fargan": dredfast.Vocoder("fargan", weights=weights),
        "lpcnet": dredfast.Vocoder("lpcnet", seed=1000 + i),
        "enc": dredfast.DredEncoder(weights=weights),
    }


def _job(objs: dict, pcm: np.ndarray, packets: list) -> dict:
    """One thread's work: every model on real input; returns all outputs."""
    out = {}
    feats = []
    for p in packets:
        d = objs["dec"].parse(p, 1040)
        feats.append(d.features() if d is not None else np.zeros((0, 20), np.float32))
    out["dred"] = np.concatenate(feats)
    # Streaming analysis in uneven chunks (exercises the carried remainder).
    chunks = np.array_split(pcm, 7)
    f = np.concatenate([objs["an"].process(c) for c in chunks])
    out["analysis"] = f
    v = objs["fargan"]
    v.prime(pcm[480:800], f[:5])   # the 320 samples that frames 0..4 end with
    out["fargan"] = v.synthesize(f[5:])
    out["lpcnet"] = objs["lpcnet"].synthesize(opus_to_lpcnet_features(f[:LPCNET_FRAMES]))
    enc = objs["enc"]
    out["dred_enc"] = np.frombuffer(b"".join(
        len(p).to_bytes(2, "little") + p for p in (enc.push(pcm[k:k + 320]) for k in range(0, len(pcm), 320))),
        np.uint8)
    return out


def _run_threads(fn, n: int) -> list:
    """Runs fn(i) in n threads released together; re-raises the first error."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def target(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_separate_objects_match_serial(weights, speech, packets):
    serial = [_job(_make(weights, i), _slice(speech, i), packets) for i in range(N_THREADS)]
    # Sanity: the jobs differ from each other, so a mix-up would be visible.
    assert not np.array_equal(serial[0]["analysis"], serial[1]["analysis"])
    assert not np.array_equal(serial[0]["lpcnet"], serial[1]["lpcnet"])
    assert all(len(s["dred"]) and len(s["dred_enc"]) > 2 * 50 for s in serial)

    objs = [_make(weights, i) for i in range(N_THREADS)]
    for _round in range(2):   # second round: the same objects again after reset
        par = _run_threads(lambda i: _job(objs[i], _slice(speech, i), packets), N_THREADS)
        for i in range(N_THREADS):
            for key, ref in serial[i].items():
                assert np.array_equal(par[i][key], ref), f"thread {i}: {key} differs from the serial run"
        for o in objs:
            o["an"].reset(), o["fargan"].reset(), o["enc"].reset()
        for i, o in enumerate(objs):
            o["lpcnet"].reset(1000 + i)


def test_shared_decoder_is_exact(weights, packets):
    dec = dredfast.DredDecoder(weights)
    ref = [dec.parse(p, 1040) for p in packets]
    ref = [(d.features() if d else None) for d in ref]

    def work(i):
        out = [None] * len(packets)
        for k in np.roll(np.arange(len(packets)), -7 * i):   # a different order per thread
            d = dec.parse(packets[k], 1040)
            out[k] = d.features() if d else None
        return out

    for res in _run_threads(work, N_THREADS):
        for a, b in zip(res, ref):
            assert (a is None and b is None) or np.array_equal(a, b)


def test_shared_encoder_is_serialised(weights, speech):
    enc = dredfast.DredEncoder(weights=weights)
    pushes_per_thread = 25

    def work(i):
        pcm = _slice(speech, i)
        return [enc.push(pcm[k * 320:(k + 1) * 320]) for k in range(pushes_per_thread)]

    res = _run_threads(work, N_THREADS)
    assert all(isinstance(p, bytes) for r in res for p in r)
    # Every push was applied exactly once: one RDO-VAE step (20 ms) per push.
    assert enc._core.counters()["dframes"] == N_THREADS * pushes_per_thread
    assert any(p for r in res for p in r)


@pytest.mark.parametrize("kind", ["analyzer", "fargan", "lpcnet"])
def test_shared_unserialised_object_does_not_crash(weights, speech, kind):
    feats = dredfast.analyze(speech[:SLICE], weights=weights)
    if kind == "analyzer":
        obj = dredfast.Analyzer(weights=weights)
        call, n_out = (lambda i: obj.process(_slice(speech, i)[:4800])), None
    elif kind == "fargan":
        obj = dredfast.Vocoder("fargan", weights=weights)
        obj.prime(speech[480:800], feats[:5])
        call, n_out = (lambda i: obj.synthesize(feats[5:35])), 30 * 160
    else:
        obj = dredfast.Vocoder("lpcnet", seed=3)
        lf = opus_to_lpcnet_features(feats[:10])
        call, n_out = (lambda i: obj.synthesize(lf)), 10 * 160

    def work(i):
        return [call(i) for _ in range(4)]

    for res in _run_threads(work, N_THREADS):
        for r in res:
            if n_out is not None:
                assert r.shape == (n_out,)
            assert np.all(np.isfinite(r))


def _receiver_run(rx, packets: list, shift: int) -> np.ndarray:
    """A stream of the committed packets (rotated by shift) with every 4th lost,
    recovered from the next packet's DRED; returns all output audio."""
    pk = packets[shift:] + packets[:shift]
    out = [rx.decode(None if k % 4 == 3 else p, lookahead=pk[k + 1:k + 2]) for k, p in enumerate(pk)]
    return np.concatenate(out)


def test_separate_receivers_match_serial(weights, packets):
    serial = [_receiver_run(dredfast.Receiver(weights=weights), packets, 5 * i) for i in range(N_THREADS)]
    assert not np.array_equal(serial[0], serial[1])
    rxs = [dredfast.Receiver(weights=weights) for _ in range(N_THREADS)]
    par = _run_threads(lambda i: _receiver_run(rxs[i], packets, 5 * i), N_THREADS)
    for i in range(N_THREADS):
        assert np.array_equal(par[i], serial[i]), f"thread {i}: receiver output differs from the serial run"
        assert rxs[i].stats.dred > 0


def test_shared_receiver_is_serialised(weights, packets):
    # Receiver documents itself as thread-safe per object (one lock around decode):
    # concurrent calls are applied one at a time, each counted once, no crash.
    rx = dredfast.Receiver(weights=weights)
    calls = 20

    def work(i):
        pk = packets[3 * i:] + packets[:3 * i]
        return [rx.decode(None if k % 4 == 3 else pk[k], lookahead=pk[k + 1:k + 2]) for k in range(calls)]

    res = _run_threads(work, N_THREADS)
    s = rx.stats
    assert s.normal + s.lbrr + s.dred + s.plc == N_THREADS * calls
    for r in res:
        for y in r:
            assert y.dtype == np.float32 and len(y) == 320 and np.all(np.isfinite(y))
