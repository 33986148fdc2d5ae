"""dredfast.RtpReceiver: RTP (RFC 3550) Opus (RFC 7587) in, jitter buffer, audio out.

Real packets (libopus 1.6.1's v24 dev vectors, DRED on; the committed v96 excerpt without
../shared) are wrapped in RTP and delivered by a simulated network -- each packet sent
every 20 ms, arriving after a random delay, duplicated or dropped -- while the test
pulls 20 ms every 20 ms as an audio device would.  A recording wrapper around the
Receiver captures every decode call; the checks are exact: the packets reach the
receiver in sequence order with ``None`` exactly for the lost ones, each call's
look-ahead is exactly the later packets that had arrived by then, and the audio equals a
fresh Receiver fed those same calls (and, without loss, the plain in-order decode).
"""
import random

import numpy as np
import pytest

import dredfast
from dredfast.jitter import MAX_BUFFERED
from dredfast.rtp import make_rtp, opus_duration, parse_rtp, unwrap

import vectors

FRAME = 320  # 20 ms at 16 kHz


@pytest.fixture(scope="module")
def packets(libopus):
    shared = vectors.shared_dir()
    if shared is not None:
        return vectors.read_pkts(shared / "vectors" / "en_f_allison_01" / "v24.pkts")
    return vectors.read_pkts(vectors.subset_pkts_path("v96"))


class Recorder:
    """Wraps a Receiver: records (packet, lookahead, pull index) of every decode call."""

    def __init__(self, **kw):
        self.rx = dredfast.Receiver(**kw)
        self.calls, self.outs, self.resets = [], [], 0
        self.pull = 0

    def decode(self, packet, *, lookahead=()):
        y = self.rx.decode(packet, lookahead=lookahead)
        self.calls.append((packet, list(lookahead), self.pull))
        self.outs.append(y.copy())
        return y

    @property
    def last_kind(self):
        return self.rx.last_kind

    def reset(self):
        self.resets += 1
        self.rx.reset()


def wrap(payloads, seq0=1000, ts0=123456, ssrc=0x51C0FFEE):
    out, ts = [], ts0
    for i, p in enumerate(payloads):
        out.append(make_rtp(p, sequence=seq0 + i, timestamp=ts, ssrc=ssrc, marker=i == 0))
        ts += opus_duration(p)
    return out


def deliver(jb, rec, arrivals, n_pulls, t0=0.0):
    """Pushes (arrival_time, rtp) in arrival order, pulling every 20 ms from ``t0``.
    Returns the pulled audio; ``rec.pull`` tells the recorder which pull a call is in."""
    arrivals = sorted(arrivals, key=lambda a: a[0])
    out, k = [], 0
    for i in range(n_pulls):
        now = t0 + 0.02 * i
        while k < len(arrivals) and arrivals[k][0] <= now:
            jb.push(arrivals[k][1], arrival_time=arrivals[k][0])
            k += 1
        rec.pull = i
        out.append(jb.pull())
    for a in arrivals[k:]:
        jb.push(a[1], arrival_time=a[0])
    return out


def fixed(delay_ms):
    """A fixed timeline: the delay at which playout starts, no adjustment afterwards."""
    return dict(sample_rate=16000, min_delay_ms=delay_ms, max_delay_ms=1000, jitter_factor=0, quiet_db=None)


def reference(packets, **kw):
    rx = dredfast.Receiver(**kw)
    return [rx.decode(p) for p in packets]


def replay(calls, **kw):
    rx = dredfast.Receiver(**kw)
    return [rx.decode(p, lookahead=a) for p, a, _ in calls]


# -- RTP parsing ----------------------------------------------------------------------
def test_parse_rtp_round_trip():
    b = make_rtp(b"\x48abc", sequence=65535, timestamp=2**32 - 1, ssrc=7, payload_type=96, marker=True,
                 csrc=(1, 2), extension=(0xBEDE, b"\x10\x01\x00\x00"), padding=5)
    p = parse_rtp(b)
    assert (p.sequence, p.timestamp, p.ssrc, p.payload_type, p.marker) == (65535, 2**32 - 1, 7, 96, True)
    assert p.csrc == (1, 2) and p.extension == (0xBEDE, b"\x10\x01\x00\x00") and p.payload == b"\x48abc"
    assert parse_rtp(make_rtp(b"x", sequence=1, timestamp=2, ssrc=3)).payload == b"x"


@pytest.mark.parametrize("bad", [
    b"", b"\x80" * 11,                                        # shorter than the header
    bytes([0x40]) + bytes(11) + b"x",                         # version 1
    bytes([0x83]) + bytes(11) + b"x",                         # 3 CSRCs announced, none there
    bytes([0x90]) + bytes(11) + b"\xbe\xde\x00\x05",          # extension longer than the packet
    bytes([0xA0]) + bytes(11) + b"xy\x00",                    # padding count 0
    bytes([0xA0]) + bytes(11) + b"xy\x09",                    # padding past the header
])
def test_parse_rtp_rejects(bad):
    with pytest.raises(ValueError):
        parse_rtp(bad)


def test_unwrap():
    assert unwrap(2, 65534, 16) == 65538
    assert unwrap(65535, 65538, 16) == 65535
    assert unwrap(5, 2**32 - 10, 32) == 2**32 + 5
    assert unwrap(2**32 - 1, 2**32 + 3, 32) == 2**32 - 1


def test_opus_duration(packets):
    for p in packets[:50]:
        assert opus_duration(p) == dredfast.packet_info(p)["samples_per_frame_48k"] * \
            dredfast.packet_info(p)["nb_frames"]
    assert opus_duration(bytes([0x18])) == 2880          # SILK 60 ms, code 0
    assert opus_duration(bytes([0xF9])) == 1920          # CELT 20 ms, code 1 (2 frames)
    assert opus_duration(bytes([0x03, 0x06])) == 2880    # SILK 10 ms x 6, code 3
    assert opus_duration(bytes([0x03, 0x0D])) is None    # 130 ms: over the limit
    assert opus_duration(b"") is None


# -- the jitter buffer ----------------------------------------------------------------
def test_shuffle_duplicate_delay_plays_in_order(packets):
    """Reordered (random delay up to 120 ms), 10 % duplicated, nothing lost, 200 ms fixed
    delay: the audio is exactly the in-order decode; the counters say so."""
    rng = random.Random(1)
    rtp = wrap(packets)
    arrivals, dups = [], 0
    for i, r in enumerate(rtp):
        t = 0.02 * i + rng.uniform(0, 0.12)
        arrivals.append((t, r))
        if rng.random() < 0.1:
            arrivals.append((t + rng.uniform(0, 0.15), r))
            dups += 1
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(200), receiver=rec)
    out = deliver(jb, rec, arrivals, len(packets) + 5)
    tail = jb.flush()
    assert all(len(y) == FRAME for y in out)
    assert [c[0] for c in rec.calls] == packets
    k0 = rec.calls[0][2]
    got = np.concatenate(out + [tail])
    assert not got[:k0 * FRAME].any()                       # filling the delay: silence
    np.testing.assert_array_equal(got[k0 * FRAME:], np.concatenate(reference(packets)))
    s = jb.stats
    assert (s.received, s.duplicate, s.late, s.lost, s.underrun, s.bad) == (len(packets), dups, 0, 0, 0, 0)
    assert s.filled == {"lbrr": 0, "dred": 0, "plc": 0}
    assert s.inserted == s.dropped == 0


def _lossy(packets, loss, seed, max_delay_s):
    rng = random.Random(seed)
    lost, state = [], False
    for _ in packets:    # two-state (Gilbert) loss: bursts of mean length 3
        state = rng.random() < (0.67 if state else loss / 3)
        lost.append(state)
    lost[0] = lost[-1] = False
    arrival = [0.02 * i + rng.uniform(0, max_delay_s) for i in range(len(packets))]
    return lost, arrival


def test_loss_recovered_with_the_lookahead_that_had_arrived(packets):
    lost, arrival = _lossy(packets, 0.15, 2, 0.06)
    rtp = wrap(packets)
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(100), receiver=rec)
    out = deliver(jb, rec, [(arrival[i], r) for i, r in enumerate(rtp) if not lost[i]], len(packets) + 3)
    tail = jb.flush()
    n = len(packets)
    assert [c[0] for c in rec.calls] == [None if lost[i] else p for i, p in enumerate(packets)]
    for i, (_, ahead, pull) in enumerate(rec.calls):
        now = 0.02 * pull
        want = [packets[j] if j < n and not lost[j] and arrival[j] <= now else None for j in range(i + 1, i + 51)]
        while want and want[-1] is None:
            want.pop()
        assert ahead == want, f"slot {i}"
    got = np.concatenate(out + [tail])
    k0 = rec.calls[0][2]
    np.testing.assert_array_equal(got[k0 * FRAME:], np.concatenate(replay(rec.calls)))
    s = jb.stats
    assert s.lost == sum(lost) > 20 and s.late == 0 and s.duplicate == 0
    # Bursts longer than the 100 ms delay run the buffer dry: those slots are concealed
    # without look-ahead ("underrun") and not again once the next packet arrives.
    assert sum(s.filled.values()) + s.underrun == s.lost and s.filled["dred"] > 0
    assert s.received == n - sum(lost)


def test_late_packet_counted_not_played(packets):
    rtp = wrap(packets[:120])
    arrivals = [(0.02 * i, r) for i, r in enumerate(rtp)]
    arrivals[60] = (0.02 * 60 + 0.5, rtp[60])       # 500 ms late with a 100 ms delay
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(100), receiver=rec)
    deliver(jb, rec, arrivals, 100)
    jb.flush()
    played = [c[0] for c in rec.calls]
    assert played[60] is None and packets[60] not in played
    assert played[:60] == packets[:60] and played[61:] == packets[61:120]
    assert (jb.stats.late, jb.stats.lost, jb.stats.received) == (1, 1, 119)


@pytest.mark.parametrize("seq0,ts0", [(65536 - 40, 2**32 - 30 * 960), (65535, 2**32 - 1), (0, 0)])
def test_wraparound(packets, seq0, ts0):
    rng = random.Random(seq0)
    pk = packets[:150]
    rtp = wrap(pk, seq0=seq0, ts0=ts0)
    assert parse_rtp(rtp[-1]).sequence < 200 or seq0 == 0
    arrivals = [(0.02 * i + rng.uniform(0, 0.08), r) for i, r in enumerate(rtp)]
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(120), receiver=rec)
    out = deliver(jb, rec, arrivals, 140)
    tail = jb.flush()
    assert [c[0] for c in rec.calls] == pk
    k0 = rec.calls[0][2]
    np.testing.assert_array_equal(np.concatenate(out + [tail])[k0 * FRAME:], np.concatenate(reference(pk)))
    assert (jb.stats.lost, jb.stats.late, jb.stats.duplicate, jb.stats.restarts) == (0, 0, 0, 0)


def test_ssrc_change_resets(packets):
    a, b = packets[:100], packets[100:200]
    rtp_a = wrap(a, seq0=500, ts0=1000, ssrc=1)
    rtp_b = wrap(b, seq0=40000, ts0=3_000_000_000, ssrc=2)
    arrivals = [(0.02 * i, r) for i, r in enumerate(rtp_a + rtp_b)]
    arrivals.append((0.02 * 110, rtp_a[99]))        # a straggler of the old stream
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(60), receiver=rec)
    deliver(jb, rec, arrivals, 230)
    s = jb.stats
    assert s.ssrc_changes == 1 and rec.resets == 1 and s.stale_ssrc == 1
    played = [c[0] for c in rec.calls if c[0] is not None]
    # Stream A plays until the switch (what was still buffered is dropped), then all of B.
    i_b = played.index(b[0])
    assert played[:i_b] == a[:i_b] and played[i_b:] == b
    calls_b = rec.calls[[c[0] for c in rec.calls].index(b[0]):]
    decoded_b = [y for (p, _, _), y in zip(calls_b, rec.outs[-len(calls_b):]) if p is not None]
    np.testing.assert_array_equal(np.concatenate(decoded_b), np.concatenate(reference(b)))


def _dtx_stream(packets, gap_at, gap_packets):
    """Packets with ``gap_packets`` removed at ``gap_at`` as a DTX sender would: the
    timestamp jumps, the sequence number does not."""
    kept = packets[:gap_at] + packets[gap_at + gap_packets:]
    rtp, ts = [], 5000
    send = []
    for i, p in enumerate(kept):
        if i == gap_at:
            ts += 960 * gap_packets
        rtp.append(make_rtp(p, sequence=100 + i, timestamp=ts, ssrc=9, marker=i == gap_at))
        send.append(ts / 48000)
        ts += opus_duration(p)
    return kept, rtp, send


def test_dtx_gap_is_silence_not_loss(packets):
    kept, rtp, send = _dtx_stream(packets[:200], 80, 25)      # 500 ms without packets
    # 1. delay longer than the gap: the gap is known before it plays -> exact silence
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(600), receiver=rec)
    out = deliver(jb, rec, [(t, r) for t, r in zip(send, rtp)], 220)
    out.append(jb.flush())
    s = jb.stats
    assert (s.lost, s.late, s.underrun, s.dtx_gaps) == (0, 0, 0, 1) and s.dtx_ms == pytest.approx(500)
    assert [c[0] for c in rec.calls] == kept
    got = np.concatenate(out)[rec.calls[0][2] * FRAME:]
    ref = reference(kept)
    before = np.concatenate(ref[:80])
    np.testing.assert_array_equal(got[:len(before)], before)
    assert not got[len(before):len(before) + 8000].any()
    np.testing.assert_array_equal(got[len(before) + 8000:], np.concatenate(ref[80:]))
    # 2. short delay: the buffer runs dry in the gap (concealed), still no packet lost
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(60), receiver=rec)
    deliver(jb, rec, [(t, r) for t, r in zip(send, rtp)], 220)
    jb.flush()
    s = jb.stats
    assert (s.lost, s.late, s.dtx_gaps) == (0, 0, 1) and s.underrun > 15
    assert [c[0] for c in rec.calls if c[0] is not None] == kept


@pytest.mark.parametrize("frame_ms", [10, 40, 60])
def test_frame_sizes(libopus, frame_ms):
    rng = np.random.default_rng(frame_ms)
    t = np.arange(16000 * 2) / 16000
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(t.size))
    pk = dredfast.Encoder(bitrate=24000, frame_ms=frame_ms, dred_bitrate=16000).encode_all(x.astype(np.float32))
    rtp = wrap(pk)
    r = random.Random(frame_ms)
    arrivals = [(frame_ms / 1000 * i + r.uniform(0, 0.05), p) for i, p in enumerate(rtp)]
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(150), receiver=rec)
    out = deliver(jb, rec, arrivals, 2 * 50 + 5)
    tail = jb.flush()
    assert all(len(y) == FRAME for y in out)
    assert [c[0] for c in rec.calls] == pk
    np.testing.assert_array_equal(np.concatenate(out + [tail])[rec.calls[0][2] * FRAME:],
                                  np.concatenate(reference(pk)))
    assert (jb.stats.lost, jb.stats.underrun) == (0, 0)


@pytest.mark.parametrize("rate", [16000, 48000])
def test_output_rate(packets, rate):
    try:
        dredfast.Receiver(sample_rate=rate)
    except ValueError:
        pytest.skip(f"Receiver(sample_rate={rate}) not available yet")
    pk = packets[:100]
    rec = Recorder(sample_rate=rate)
    jb = dredfast.RtpReceiver(**dict(fixed(60), sample_rate=rate), receiver=rec)
    out = deliver(jb, rec, [(0.02 * i, r) for i, r in enumerate(wrap(pk))], 90)
    assert all(y.shape == (rate // 50,) and y.dtype == np.float32 for y in out)
    got = np.concatenate(out + [jb.flush()])[rec.calls[0][2] * rate // 50:]
    np.testing.assert_array_equal(got, np.concatenate(reference(pk, sample_rate=rate)))


def test_hostile_input_is_counted(packets):
    jb = dredfast.RtpReceiver(sample_rate=16000, payload_type=111)
    good = wrap(packets[:5])
    junk = [b"", b"\x00" * 40, bytes([0xA0]) + bytes(11) + b"\x00", make_rtp(b"", sequence=1, timestamp=0, ssrc=0x51C0FFEE),
            make_rtp(packets[0], sequence=1, timestamp=0, ssrc=0x51C0FFEE, payload_type=13)]
    for r in good[:2] + junk + good[2:]:
        jb.push(r, arrival_time=0.0)
    assert (jb.stats.invalid, jb.stats.other_payload_type, jb.stats.received) == (4, 1, 5)
    with pytest.raises(TypeError):
        jb.push("not bytes")
    # A packet far ahead is believed only when the next one follows it (RFC 3550 A.1).
    jb.push(make_rtp(packets[5], sequence=1000 + 9000, timestamp=999, ssrc=0x51C0FFEE), 0.0)
    assert jb.stats.invalid == 5 and jb.stats.restarts == 0
    jb.push(make_rtp(packets[6], sequence=1000 + 9001, timestamp=1959, ssrc=0x51C0FFEE), 0.0)
    assert jb.stats.restarts == 1
    # Undecodable payloads are concealed and counted, never raised.
    jb2 = dredfast.RtpReceiver(**fixed(0))
    for i, p in enumerate(packets[:4] + [b"\xff\xff\xff"] + packets[5:8]):
        jb2.push(make_rtp(p, sequence=i, timestamp=960 * i, ssrc=1), 0.02 * i)
    frames = [jb2.pull() for _ in range(8)]
    assert jb2.stats.bad == 1 and all(np.isfinite(f).all() for f in frames)


def test_memory_is_bounded(packets):
    jb = dredfast.RtpReceiver(sample_rate=16000)
    for i in range(3 * MAX_BUFFERED):
        jb.push(make_rtp(packets[i % len(packets)], sequence=i, timestamp=960 * i, ssrc=3), 0.02 * i)
    assert jb.stats.received == MAX_BUFFERED and jb.stats.overflow == 2 * MAX_BUFFERED
    # Pulling then catches up: frames beyond the bound are skipped, the delay comes back down.
    for _ in range(20):
        jb.pull()
    assert jb.stats.delay_ms <= 300 + 20 + 1e-6


def test_adaptive_delay_follows_jitter(packets):
    """Delay set by the measured jitter: calm network -> the minimum; 15 ms jitter ->
    more, within the bounds; the RFC 3550 estimate matches
    the mean |difference| of the simulated delays it smooths, +-20 %)."""
    pk = packets[:400]
    rng = np.random.default_rng(3)
    for sigma, lo, hi in ((0.0, 40, 40), (0.015, 45, 300)):
        d = np.abs(rng.normal(0, sigma, len(pk))) if sigma else np.zeros(len(pk))
        rec = Recorder()
        jb = dredfast.RtpReceiver(sample_rate=16000, receiver=rec)
        out = deliver(jb, rec, [(0.02 * i + d[i], r) for i, r in enumerate(wrap(pk))], len(pk))
        s = jb.stats
        assert lo <= s.target_delay_ms <= hi
        if sigma:
            dd = np.abs(np.diff(d)).mean() * 1000
            assert s.jitter_ms == pytest.approx(dd, rel=0.2)
            assert s.late <= 0.02 * len(pk)
        else:
            assert s.jitter_ms < 1e-6 and s.late == 0 and s.lost == 0
        assert all(len(y) == FRAME for y in out)


def test_hostile_streams_never_break_it(packets):
    """10 000 pushes of everything at once -- garbage, real payloads under random
    sequence numbers, timestamps, SSRCs (of four), payload types and markers, random
    truncations -- with pulls in between: nothing raises, every pull is 20 ms of finite
    audio, at most MAX_BUFFERED packets are held."""
    rng = random.Random(7)
    jb = dredfast.RtpReceiver(sample_rate=16000)
    t = 0.0
    for i in range(10_000):
        kind = rng.random()
        if kind < 0.1:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
        else:
            p = packets[rng.randrange(len(packets))]
            if kind < 0.2:
                p = p[:rng.randrange(1, len(p) + 1)]
            data = make_rtp(p, sequence=rng.choice([i, rng.getrandbits(16)]), timestamp=rng.getrandbits(32)
                            if kind < 0.3 else 960 * i, ssrc=rng.choice([1, 2, 3, 4]) if kind < 0.35 else 1,
                            payload_type=rng.choice([111, 0, 13]), marker=rng.random() < 0.1,
                            padding=rng.choice([0, 0, 1, 17]))
        t += rng.uniform(0, 0.04)
        jb.push(data, arrival_time=t)
        assert len(jb._buf) <= MAX_BUFFERED
        if i % 2:
            y = jb.pull()
            assert y.shape == (FRAME,) and np.isfinite(y).all()
    s = jb.stats
    assert s.received + s.invalid + s.duplicate + s.late + s.stale_ssrc + s.overflow + s.other_payload_type == 10_000
    with pytest.raises(ValueError):
        jb.push(make_rtp(packets[0], sequence=1, timestamp=1, ssrc=1), arrival_time=float("nan"))


def test_push_and_pull_on_two_threads(packets):
    """The network thread pushes while the audio thread pulls: same packets in order."""
    import threading
    pk = packets[:200]
    rec = Recorder()
    # The pusher outruns the puller by far: a 5 s bound keeps every packet playable.
    jb = dredfast.RtpReceiver(**dict(fixed(60), max_delay_ms=5000), receiver=rec)
    rtp = wrap(pk)

    def net():
        for i, r in enumerate(rtp):
            jb.push(r, arrival_time=0.02 * i)
    th = threading.Thread(target=net)
    th.start()
    outs = [jb.pull() for _ in range(150)]
    th.join()
    outs.append(jb.flush())
    played = [c[0] for c in rec.calls if c[0] is not None]
    assert played == pk
    assert all(np.isfinite(o).all() for o in outs)


def test_stereo_48k_in_order(libopus):
    """48 kHz stereo packets (the sender's own, 48 kb/s + DRED), reordered by up to 50 ms:
    (960, 2) frames per pull, exactly the in-order stereo decode."""
    try:
        dredfast.Receiver(sample_rate=48000)
    except ValueError:
        pytest.skip("Receiver(sample_rate=48000) not available yet")
    t = np.arange(48000 * 2) / 48000
    x = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 330 * t)], axis=1).astype(np.float32)
    pk = dredfast.Encoder(sample_rate=48000, channels=2, bitrate=48000, dred_bitrate=16000).encode_all(x)
    rec = Recorder(sample_rate=48000, channels=2)
    jb = dredfast.RtpReceiver(**dict(fixed(100), sample_rate=48000, channels=2), receiver=rec)
    r = random.Random(1)
    out = deliver(jb, rec, [(0.02 * i + r.uniform(0, 0.05), p) for i, p in enumerate(wrap(pk))], len(pk) + 3)
    tail = jb.flush()
    assert all(y.shape == (960, 2) for y in out) and [c[0] for c in rec.calls] == pk
    ref = np.concatenate([np.asarray(y).reshape(-1, 2) for y in reference(pk, sample_rate=48000, channels=2)])
    np.testing.assert_array_equal(np.concatenate(out + [tail])[rec.calls[0][2] * 960:], ref)


def test_timestamp_jump_does_not_mean_hours_of_silence(packets):
    """A timestamp that jumps 2^30 (6 hours) ahead with no sequence gap (a broken sender): the
    silence is cut at the delay bound even with a fixed timeline (quiet_db=None)."""
    rtp = [make_rtp(p, sequence=i, timestamp=960 * i + (2**30 if i >= 50 else 0), ssrc=1)
           for i, p in enumerate(packets[:100])]
    rec = Recorder()
    jb = dredfast.RtpReceiver(**fixed(60), receiver=rec)
    deliver(jb, rec, [(0.02 * i, r) for i, r in enumerate(rtp)], 120)
    assert [c[0] for c in rec.calls if c[0] is not None] == packets[:100]
    assert jb.stats.dtx_gaps == 1 and jb.stats.dtx_ms < 2000


def test_celt_2_5ms_packets(libopus):
    """400 packets of 2.5 ms (CELT, the system libopus in restricted-low-delay mode),
    reordered by up to 30 ms: 8 packets per pull, exactly the in-order decode."""
    try:
        dredfast.Receiver(sample_rate=48000)
    except ValueError:
        pytest.skip("Receiver(sample_rate=48000) not available yet")
    t = np.arange(48000) / 48000
    x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    enc = dredfast.OpusEncoder(48000, 1, application="restricted_lowdelay", bitrate=64000)
    pk = [enc.encode(x[120 * i:120 * (i + 1)]) for i in range(400)]
    assert opus_duration(pk[5]) == 120
    rec = Recorder(sample_rate=48000)
    jb = dredfast.RtpReceiver(**dict(fixed(60), sample_rate=48000), receiver=rec)
    r = random.Random(2)
    out = deliver(jb, rec, [(0.0025 * i + r.uniform(0, 0.03), p) for i, p in enumerate(wrap(pk))], 25)
    tail = jb.flush()
    assert all(y.shape == (960,) for y in out) and [c[0] for c in rec.calls] == pk
    np.testing.assert_array_equal(np.concatenate(out + [tail])[rec.calls[0][2] * 960:],
                                  np.concatenate(reference(pk, sample_rate=48000)))
    assert (jb.stats.lost, jb.stats.underrun) == (0, 0)
