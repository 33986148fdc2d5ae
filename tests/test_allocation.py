"""dredfast.allocation and Encoder(allocation=...): the automatic split and the total-rate cap."""
from importlib import resources

import numpy as np
import pytest

import dredfast
from dredfast.allocation import TABLE, Split, TotalRateCap, auto_split
from dredfast.audio import read_wav


@pytest.fixture(scope="module")
def speech():
    with resources.as_file(resources.files("dredfast.data").joinpath("demo_speech.wav")) as p:
        x, rate = read_wav(p)
    assert rate == 16000
    return x  # 3.5 s of speech with silence at both ends


def _kbps(packets, frame_ms=20):
    return 8 * sum(map(len, packets)) / (len(packets) * frame_ms)


@pytest.mark.parametrize("total", [6000, 12000, 16000, 20000, 24000, 32000, 40000, 64000, 128000])
@pytest.mark.parametrize("loss", [0, 5, 10, 20, 50, 100])
def test_split_adds_up(total, loss):
    s = auto_split(total, loss)
    if s.hold == "dred":
        assert s.primary_bitrate + s.dred_bitrate == total
    else:
        # Steered primary: DRED's per-packet ceiling and the primary's nominal rate are each
        # within the total; the credit cap holds their sum.
        assert s.primary_bitrate <= total and 0 < s.dred_bitrate <= total
    assert s.primary_bitrate >= total // 3
    assert (s.dred_ms == 0) == (s.dred_bitrate == 0)


def test_no_loss_means_no_redundancy():
    # Measured: without loss every bit is best spent on the primary (the TABLE's 0 % rows).
    for total in (16000, 24000, 40000):
        assert auto_split(total, 0) == Split(total, False, 0, 0)


def test_table_rows_are_whole():
    for total, loss, share, lbrr, dred_ms, q0, dq, dred_share in TABLE:
        assert 0 < share <= 1 and 0 <= dred_ms <= 1040 and isinstance(lbrr, bool)
        assert dred_share is None or (dred_ms > 0 and 0 < dred_share <= 1)
        assert 0 <= q0 <= 15 and 0 <= dq <= 7
        assert 6000 <= total <= 510000 and 0 <= loss <= 100


@pytest.mark.parametrize("total", [16000, 24000, 40000])
def test_auto_stays_within_total(libopus, speech, total):
    """The real mean bitrate of the packets (primary + LBRR + DRED, framing included)
    does not exceed the total, and the packets carry DRED."""
    enc = dredfast.Encoder(bitrate=total, packet_loss_pct=20, allocation="auto")
    pk = enc.encode_all(speech)
    assert _kbps(pk) <= total / 1000
    with_dred = sum(dredfast.find_dred_payload(p) is not None for p in pk)
    assert with_dred > 0.5 * len(pk)
    # ...and spends most of it: the cap is not starving DRED (silence at both ends of the clip
    # costs the primary little and DRED nothing).
    assert _kbps(pk) > 0.75 * total / 1000


def test_cap_holds_an_oversized_dred_budget(libopus, speech):
    # 30 kb/s of DRED asked for on top of a 14 kb/s primary, total 24 kb/s: the cap trims DRED.
    enc = dredfast.Encoder(bitrate=24000, allocation=Split(14000, False, 1000, 30000))
    pk = enc.encode_all(speech)
    assert 20.0 < _kbps(pk) <= 24.0
    # Every packet is still a valid Opus packet that the receiver decodes.
    rx = dredfast.Receiver()
    for p in pk:
        assert len(rx.decode(p)) == 320


def test_packets_recover_losses(libopus, speech):
    """A 200 ms gap in speech is recovered from the DRED of the packet after it."""
    pk = dredfast.Encoder(bitrate=24000, packet_loss_pct=20, allocation="auto").encode_all(speech)
    rx = dredfast.Receiver()
    kinds = []
    for i, p in enumerate(pk):
        lost = 60 <= i < 70
        rx.decode(None if lost else p, lookahead=[pk[70]] if lost else [])
        kinds.append(rx.last_kind)
    assert kinds[60:70] == ["dred"] * 10


def test_bad_allocation_arguments():
    with pytest.raises(ValueError, match="dred_bitrate"):
        dredfast.Encoder(bitrate=24000, allocation="auto", dred_bitrate=8000)
    with pytest.raises(ValueError, match="allocation"):
        dredfast.Encoder(bitrate=24000, allocation="best")
    for bad in (Split(3000, False, 1000, 8000), Split(16000, False, 5000, 8000), Split(16000, False, 1000, -1),
                Split(16000, False, 1000, 8000, q0=16, dq=5), Split(16000, False, 1000, 8000, q0=9, dq=8),
                Split(16000, False, 1000, 8000, primary_loss_pct=101)):
        with pytest.raises(ValueError):
            dredfast.Encoder(bitrate=24000, allocation=bad)
    with pytest.raises(ValueError, match="hold"):
        dredfast.Encoder(bitrate=24000, allocation=Split(16000, False, 1000, 8000, hold="both"))
    with pytest.raises(ValueError):
        auto_split(1000, 20)
    with pytest.raises(ValueError):
        auto_split(24000, 101)


def test_rate_cap_bucket():
    cap = TotalRateCap(24000, 20, window_ms=100)  # 60 bytes per packet, at most 300 banked
    assert cap.room(60) == 0              # nothing left after a full-size primary
    assert cap.room(20) == 60 - 20 - 5    # the rest, less the 2-byte prefix and the framing
    cap.spend(0)
    cap.spend(0)
    assert cap.credit == 120
    for _ in range(10):
        cap.spend(0)
    assert cap.credit == 300              # unused credit is banked up to the window
    cap.spend(400)                        # an oversized packet leaves a debt
    assert cap.credit == -40 and cap.room(30) == 0


def test_auto_uses_the_table_quantisers(libopus):
    enc = dredfast.Encoder(bitrate=24000, packet_loss_pct=20, allocation="auto")
    split = auto_split(24000, 20)
    assert enc.split == split and enc.primary_bitrate == split.primary_bitrate
    assert (enc.dred_budget.q0, enc.dred_budget.dq) == (split.q0, split.dq)
    # A Split may tell the primary encoder another loss rate than the expected one.
    enc = dredfast.Encoder(bitrate=24000, allocation=Split(16000, False, 1000, 8000, 9, 5, primary_loss_pct=0))
    assert len(enc.encode(np.zeros(320, np.float32))) > 0


def test_rate_cap_steering():
    cap = TotalRateCap(24000, 20)  # 60 bytes per packet
    assert cap.dred_room(12000) == 30 - 5           # 12 kb/s of DRED: 30 bytes a packet, less framing
    assert cap.primary_target(15000) == 15000 - 8 * 120  # no credit yet: 2 packets' worth short of the setpoint
    cap.credit = 2 * 60
    assert cap.primary_target(15000) == 15000        # at the setpoint: the nominal rate
    cap.credit = 1000
    assert cap.primary_target(15000) == 15000 + 8 * 880
    cap.credit = 1e6
    assert cap.primary_target(15000) == 22500        # at most 1.5 x nominal
    cap.credit = -1e6
    assert cap.primary_target(15000) == 7500         # at least half
    assert cap.primary_target(8000) == 6000          # and never below 6 kb/s


def test_steered_primary_keeps_dred_in_every_speech_packet(libopus, speech):
    """hold="primary" steers the primary's bitrate so that DRED keeps its share: almost
    every packet of active speech carries DRED, where hold="dred" leaves it out after large
    primary packets; both stay within the total."""
    def run(hold):
        split = Split(15000, False, 160, 12600, 9, 5, hold=hold)
        pk = dredfast.Encoder(bitrate=24000, packet_loss_pct=20, allocation=split).encode_all(speech)
        active = [p for p in pk if len(p) > 30]  # speech (silence packets are a few bytes)
        return pk, np.mean([dredfast.find_dred_payload(p) is not None for p in active])
    pk_d, with_d = run("dred")
    pk_p, with_p = run("primary")
    assert _kbps(pk_d) <= 24.0 and _kbps(pk_p) <= 24.0
    assert with_p >= 0.95 and with_p > with_d


def test_table_is_what_the_search_chose():
    """Every TABLE row is the candidate benchmarks/alloc_search.py's rule picks from the
    committed measurements (benchmarks/allocation/alloc_search.csv): the table is not edited
    by hand away from its evidence."""
    import importlib.util
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("alloc_search", root / "benchmarks" / "alloc_search.py")
    mod = importlib.util.module_from_spec(spec)
    # The script puts the checkout first on sys.path (to run from it); left there, processes
    # started later (Dask workers in test_evaluate.py) would import the source tree instead of
    # the installed package.
    saved = list(sys.path)
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path[:] = saved
    chosen = mod.summarize(root / "benchmarks" / "allocation" / "alloc_search.csv", quiet=True)
    for row in TABLE:
        assert chosen[row[:2]] == row, row
