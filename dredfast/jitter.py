"""RTP in, audio out: a jitter buffer in front of :class:`dredfast.Receiver`.

Packets arrive late, early, twice or never; the audio device wants 20 ms every 20 ms.
:class:`RtpReceiver` sits between them.  ``push()`` files each RTP packet under its
(unwrapped) sequence number; ``pull()`` plays the stream out in sequence order on the
playout clock, one :meth:`Receiver.decode` call per packet slot, handing the receiver the
later packets it already holds as ``lookahead`` -- which is what lets LBRR and DRED
recover a lost packet instead of the PLC.  How far ahead it holds is the playout delay:
adaptive, from the RFC 3550 interarrival jitter, bounded by ``min_delay_ms`` /
``max_delay_ms``.

Timeline.  Everything is counted in RTP timestamp units (48 kHz for Opus).  ``play_ts`` is
the sender's time of the next sample to be produced; packets play when their sequence
number comes up.  A missing sequence number with a later packet already here is a loss
(concealed with look-ahead); a timestamp jump without a missing sequence number is the
sender's discontinuous transmission (DTX): silence, not loss.  When the buffer runs dry
(delay spike, DTX start, a burst longer than the delay) the receiver conceals without
look-ahead ("underrun") and the timeline stretches; the packet that then arrives is still
played unless a later one already was (only then is it "late").

Delay.  The target is ``frame + jitter_factor * J`` (J: the RFC 3550 jitter estimate)
within the bounds.  It is reached without touching speech: silence (zeros) is inserted,
or a decoded frame is left out, only where the audio is quiet (below ``quiet_db``) or in
a DTX gap; above ``max_delay_ms`` frames are left out whatever they hold.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import numpy as np

from .rtp import OPUS_CLOCK, opus_duration, parse_rtp, unwrap

#: RFC 3550 A.1: a jump this far ahead is a restart only if the next packet follows it.
MAX_DROPOUT = 3000
#: Packets held at most (a bound on memory if ``pull`` stops being called).
MAX_BUFFERED = 1024
#: Sequence numbers remembered as played, for telling duplicates from late packets.
PLAYED_MEMORY = 2048
#: Hysteresis of the delay control: one 20 ms frame of the 48 kHz RTP clock.
HYSTERESIS = 960


@dataclass
class RtpStats:
    """What the jitter buffer did.  Counts are packets unless named otherwise.

    ``lost``: sequence numbers never played (never arrived, or arrived ``late``);
    ``filled``: how each lost packet's slot was filled (``lbrr``, ``dred``, ``plc``) when
    it was concealed in sequence; ``underrun``: 20 ms-ish frames concealed because the
    buffer was empty (no look-ahead; a DTX start or a delay spike looks like this too);
    ``bad``: packets that arrived but could not be decoded (concealed by the receiver).
    ``dtx_gaps`` / ``dtx_ms``: timestamp jumps without a missing sequence number and the
    silence played for them.  ``inserted`` / ``dropped``: 20 ms frames of silence added /
    quiet frames left out to move the delay to its target.  ``jitter_ms``: RFC 3550
    interarrival jitter; ``delay_ms``: audio held now (buffered packets + decoded, not
    yet pulled); ``target_delay_ms``; ``lookahead``: packets ahead at the last decode.
    ``overflow``: packets refused because ``MAX_BUFFERED`` were held; ``skipped``: held
    packets thrown away unplayed because the delay went past twice ``max_delay_ms``
    (``pull`` not called for a while).
    """

    received: int = 0
    duplicate: int = 0
    late: int = 0
    lost: int = 0
    filled: Dict[str, int] = field(default_factory=lambda: {"lbrr": 0, "dred": 0, "plc": 0})
    underrun: int = 0
    bad: int = 0
    invalid: int = 0
    other_payload_type: int = 0
    stale_ssrc: int = 0
    ssrc_changes: int = 0
    restarts: int = 0
    overflow: int = 0
    skipped: int = 0
    dtx_gaps: int = 0
    dtx_ms: float = 0.0
    inserted: int = 0
    dropped: int = 0
    jitter_ms: float = 0.0
    delay_ms: float = 0.0
    target_delay_ms: float = 0.0
    lookahead: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Slot:
    ts: int                 # extended RTP timestamp
    dur: Optional[int]      # 48 kHz samples from the TOC, None if unreadable
    payload: bytes


class RtpReceiver:
    """Jitter buffer + :class:`dredfast.Receiver` for one incoming RTP Opus stream.

    ``sample_rate`` / ``channels``: the output, passed to the receiver (which accepts
    16000 Hz mono until its 48 kHz rewrite lands).  ``min_delay_ms`` / ``max_delay_ms``
    bound the playout delay (default 40 ms -- one packet of look-ahead, enough for LBRR
    and for DRED of single losses -- to 300 ms); ``jitter_factor`` scales the jitter
    estimate into the target delay.  ``max_lookahead``: packets handed to the receiver
    after the one being decoded (DRED reaches back 1 s = 50 packets of 20 ms).
    ``payload_type``: accept only this RTP payload type (default: any).  ``quiet_db``: the
    RMS level (dBFS) below which a frame may be stretched or left out to adjust the delay
    (None: never; only ``max_delay_ms`` is then enforced).
    ``receiver``: an existing receiver object to drive instead of making one; other
    keyword arguments go to :class:`dredfast.Receiver` (``vocoder``, ``history``, ...).

    ``push()`` from the network side, ``pull()`` on the playout clock (every 20 ms); they
    may run on different threads (one lock serialises them).  The output lags the RTP timestamps by the
    playout delay (``stats.delay_ms``) plus Opus's decoder delay (the sender's encoder
    look-ahead, 6.5 ms for libopus at 16 kHz).
    """

    def __init__(self, sample_rate: int = 48000, channels: int = 1, *, min_delay_ms: float = 40,
                 max_delay_ms: float = 300, jitter_factor: float = 4.0, max_lookahead: int = 50,
                 payload_type: Optional[int] = None, quiet_db: Optional[float] = -40.0, receiver=None, **receiver_kwargs):
        if not 0 <= min_delay_ms <= max_delay_ms <= 5000:
            raise ValueError("need 0 <= min_delay_ms <= max_delay_ms <= 5000")
        if channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {channels!r}")
        if sample_rate not in (8000, 12000, 16000, 24000, 48000):
            raise ValueError(f"sample_rate must be one of Opus's rates (8000-48000), got {sample_rate!r}")
        if receiver is None:
            from .receiver import Receiver
            if channels != 1:
                receiver_kwargs["channels"] = channels
            try:
                receiver = Receiver(sample_rate=sample_rate, **receiver_kwargs)
            except TypeError as e:
                raise ValueError(f"Receiver(channels={channels}) is not available: {e}") from e
        self.receiver = receiver
        self.sample_rate, self.channels = int(sample_rate), int(channels)
        self._frame_out = self.sample_rate // 50   # samples per channel per pull
        self._min_delay = int(min_delay_ms * OPUS_CLOCK / 1000)
        self._max_delay = int(max_delay_ms * OPUS_CLOCK / 1000)
        self.jitter_factor = float(jitter_factor)
        self.max_lookahead = int(max_lookahead)
        self.payload_type = payload_type
        # None: never stretch or cut to adjust the delay (fixed timeline, as in the tests).
        self._quiet = None if quiet_db is None else float(10 ** (quiet_db / 20))
        # Output FIFO: room for one 120 ms packet (the longest Opus packet) on top of a pull.
        self._fifo = np.zeros((self._frame_out + 6 * self._frame_out + 16, self.channels), np.float32)
        self._fifo_r = self._fifo_w = 0
        self.stats = RtpStats()
        self._old_ssrcs: List[int] = []
        self._ssrc: Optional[int] = None
        self._lock = threading.Lock()
        self._new_stream()

    # -- stream state -------------------------------------------------------------------
    def _new_stream(self) -> None:
        self._buf: Dict[int, _Slot] = {}
        self._played: set = set()
        self._started = False
        self._ref_seq = self._ref_ts = 0     # highest extended sequence number and its timestamp
        self._have_ref = False
        self._next_seq = 0
        self._play_ts = self._expect_ts = 0
        self._newest_end = 0                  # end timestamp of the newest buffered packet
        self._last_dur = 960
        self._bad_seq: Optional[int] = None
        self._transit: Optional[float] = None
        self._jitter = 0.0                    # RFC 3550 J, in 48 kHz units
        self._was_quiet = True
        self._avg_level = 0.0

    def _reset_stream(self) -> None:
        self._new_stream()
        self.receiver.reset()

    # -- network side ---------------------------------------------------------------------
    def push(self, rtp_packet: bytes, arrival_time: Optional[float] = None) -> bool:
        """Files one RTP packet; ``arrival_time`` in seconds on any steady clock (default
        ``time.monotonic()``).  Returns whether it was kept (False: invalid, other payload
        type or stream, duplicate, late -- each counted in :attr:`stats`).  Never raises
        for packet contents; ``TypeError`` for a non-bytes packet."""
        if arrival_time is None:
            arrival_time = time.monotonic()
        elif not math.isfinite(arrival_time):
            raise ValueError(f"arrival_time must be a finite number of seconds, got {arrival_time!r}")
        try:
            pkt = parse_rtp(rtp_packet)
        except ValueError:
            with self._lock:
                self.stats.invalid += 1
            return False
        with self._lock:
            return self._file(pkt, float(arrival_time))

    def _file(self, pkt, arrival_time: float) -> bool:
        if self.payload_type is not None and pkt.payload_type != self.payload_type:
            self.stats.other_payload_type += 1
            return False
        if not pkt.payload:
            self.stats.invalid += 1
            return False
        if pkt.ssrc != self._ssrc:
            if pkt.ssrc in self._old_ssrcs:
                self.stats.stale_ssrc += 1   # a straggler of a stream we have left
                return False
            if self._ssrc is not None:
                self.stats.ssrc_changes += 1
                self._old_ssrcs = (self._old_ssrcs + [self._ssrc])[-4:]
                self._reset_stream()
            self._ssrc = pkt.ssrc
        if not self._have_ref:
            self._ref_seq, self._ref_ts, self._have_ref = pkt.sequence, pkt.timestamp, True
        seq = unwrap(pkt.sequence, self._ref_seq, 16)
        if seq > self._ref_seq + MAX_DROPOUT:
            # RFC 3550 A.1: a big jump is believed only when the next packet follows it.
            if self._bad_seq != pkt.sequence:
                self._bad_seq = (pkt.sequence + 1) & 0xFFFF
                self.stats.invalid += 1
                return False
            self.stats.restarts += 1
            self._reset_stream()
            self._ref_seq, self._ref_ts, self._have_ref = pkt.sequence, pkt.timestamp, True
            seq = pkt.sequence
        self._bad_seq = None
        ts = unwrap(pkt.timestamp, self._ref_ts, 32)
        if self._started and seq < self._next_seq:
            if seq in self._played:
                self.stats.duplicate += 1
            else:
                self.stats.late += 1
            return False
        if seq in self._buf:
            self.stats.duplicate += 1
            return False
        if len(self._buf) >= MAX_BUFFERED:
            self.stats.overflow += 1
            return False
        if seq > self._ref_seq:
            self._ref_seq, self._ref_ts = seq, ts
        # RFC 3550 6.4.1 / A.8: J += (|D| - J) / 16 over successive arrivals.
        transit = arrival_time * OPUS_CLOCK - ts
        if self._transit is not None:
            self._jitter += (abs(transit - self._transit) - self._jitter) / 16
        self._transit = transit
        dur = opus_duration(pkt.payload)
        if dur is not None:
            self._last_dur = dur
        self._buf[seq] = _Slot(ts, dur, pkt.payload)
        self._newest_end = max(self._newest_end, ts + (dur or self._last_dur))
        if self._started:
            # The delay the control steers: how far ahead of the playout each packet
            # arrives (its end minus the playout position), smoothed over ~16 arrivals.
            # Measured per arrival, so a burst of losses does not look like a delay drop.
            self._avg_level += (ts + (dur or self._last_dur) - self._play_ts - self._avg_level) / 16
        self.stats.received += 1
        return True

    # -- playout side ---------------------------------------------------------------------
    def target_delay(self) -> int:
        """The playout delay aimed at now, in 48 kHz units."""
        t = self._last_dur + self.jitter_factor * self._jitter
        return int(min(max(t, self._min_delay), self._max_delay))

    def _level(self) -> int:
        return self._newest_end - self._play_ts if self._buf else 0

    def pull(self) -> np.ndarray:
        """The next 20 ms of audio at the output rate: float32, ``(n,)`` mono or
        ``(n, channels)``.  Silence until the first packets fill the target delay."""
        n = self._frame_out
        with self._lock:
            while self._fifo_w - self._fifo_r < n:
                self._render(adapt=True)
            out = self._fifo[self._fifo_r:self._fifo_r + n].copy()
            self._fifo_r += n
            self._update_stats()
        return out[:, 0] if self.channels == 1 else out

    def flush(self) -> np.ndarray:
        """End of stream: plays out everything still buffered (no delay adjustment) and
        returns it with whatever was decoded but not pulled; the stream then starts over
        (the next packet fills the delay again)."""
        with self._lock:
            if self._buf and not self._started:
                self._start()
            while self._buf:
                self._render(adapt=False)
            out = self._fifo[self._fifo_r:self._fifo_w].copy()
            self._fifo_r = self._fifo_w = 0
            self._new_stream()
            self._update_stats()
        return out[:, 0] if self.channels == 1 else out

    def _update_stats(self) -> None:
        s = self.stats
        s.jitter_ms = float(self._jitter * 1000 / OPUS_CLOCK)
        s.target_delay_ms = self.target_delay() * 1000 / OPUS_CLOCK
        s.delay_ms = (self._level() * 1000 / OPUS_CLOCK
                      + (self._fifo_w - self._fifo_r) * 1000 / self.sample_rate)

    def _emit(self, y: np.ndarray) -> None:
        y = np.asarray(y, np.float32).reshape(-1, self.channels)
        k = len(y)
        if self._fifo_w + k > len(self._fifo):
            live = self._fifo_w - self._fifo_r
            if live + k > len(self._fifo):   # only if the receiver hands out more than 120 ms
                grown = np.zeros((live + k + self._frame_out, self.channels), np.float32)
                grown[:live] = self._fifo[self._fifo_r:self._fifo_w]
                self._fifo = grown
            else:
                self._fifo[:live] = self._fifo[self._fifo_r:self._fifo_w]
            self._fifo_r, self._fifo_w = 0, live
        self._fifo[self._fifo_w:self._fifo_w + k] = y
        self._fifo_w += k

    def _silence(self, ticks: int) -> int:
        """Emits ``ticks`` (48 kHz units, at least one output sample) of zeros; returns the
        ticks actually covered."""
        n = max(1, ticks * self.sample_rate // OPUS_CLOCK)
        self._emit(np.zeros((n, self.channels), np.float32))
        return n * OPUS_CLOCK // self.sample_rate

    def _nonempty(self, y: np.ndarray) -> np.ndarray:
        # pull() loops until 20 ms are produced: a receiver handing back nothing must not
        # make it spin (the dredfast Receiver always returns at least one frame).
        return y if np.size(y) else np.zeros((self._frame_out, self.channels), np.float32)

    def _ticks(self, y: np.ndarray) -> int:
        return (np.size(y) // self.channels) * OPUS_CLOCK // self.sample_rate

    def _start(self) -> None:
        first = min(self._buf)
        self._next_seq = first
        self._play_ts = self._expect_ts = self._buf[first].ts
        self._started = True
        self._avg_level = self._level()

    def _lookahead(self) -> List[Optional[bytes]]:
        ahead = []
        last = min(self._ref_seq, self._next_seq + self.max_lookahead)
        for s in range(self._next_seq + 1, last + 1):
            slot = self._buf.get(s)
            ahead.append(None if slot is None else slot.payload)
        while ahead and ahead[-1] is None:
            ahead.pop()
        self.stats.lookahead = len(ahead)
        return ahead

    def _render(self, adapt: bool) -> None:
        """Produces the next piece of audio into the FIFO (or moves the timeline on)."""
        if not self._started:
            if not self._buf or self._newest_end - min(s.ts for s in self._buf.values()) < self.target_delay():
                self._silence(self._frame_out * OPUS_CLOCK // self.sample_rate)   # filling the delay
                return
            self._start()
        # A backlog of audio (not a timestamp gap, which _gap cuts) past twice the bound.
        if adapt and len(self._buf) * self._last_dur > 2 * self._max_delay + HYSTERESIS:
            self._skip_ahead()
        target = self.target_delay()
        slot = self._buf.get(self._next_seq)
        if slot is not None:
            if slot.ts > self._play_ts:
                self._gap(slot, target, adapt)
                return
            if slot.ts < self._play_ts:
                self._play_ts = slot.ts   # behind after an underrun: the delay grew
            if adapt and self._quiet is not None and self._was_quiet and self._avg_level < target - HYSTERESIS:
                self._silence(HYSTERESIS)   # quiet moment, delay below target: stretch
                self._avg_level += HYSTERESIS
                self.stats.inserted += 1
                return
            if slot.ts > self._expect_ts:
                self.stats.dtx_gaps += 1
            ahead = self._lookahead()
            y = self._nonempty(self.receiver.decode(slot.payload, lookahead=ahead))
            if self.receiver.last_kind == "bad":
                self.stats.bad += 1
            del self._buf[self._next_seq]
            self._mark_played(self._next_seq)
            self._next_seq += 1
            produced = self._ticks(y)
            self._play_ts = slot.ts + produced
            self._expect_ts = slot.ts + (slot.dur or produced)
            quiet = self._is_quiet(y)
            self._was_quiet = quiet
            if adapt and ((quiet and self._avg_level > target + HYSTERESIS)
                          or self._avg_level > self._max_delay + HYSTERESIS):
                self.stats.dropped += 1   # above target: leave this frame out
                self._avg_level -= produced
                return
            self._emit(y)
            return
        if self._buf:
            self._conceal_missing()
        else:
            # Nothing to play and nothing after it: conceal without look-ahead.
            y = self._nonempty(self.receiver.decode(None))
            self.stats.underrun += 1
            self._play_ts += self._ticks(y)
            self._was_quiet = self._is_quiet(y)
            self._emit(y)

    def _gap(self, slot: _Slot, target: int, adapt: bool) -> None:
        """The next packet starts later than the timeline with no sequence number missing:
        the sender stopped (DTX).  Silence, shortened above the target delay and
        stretched below it."""
        gap = slot.ts - self._play_ts
        self._was_quiet = True
        if adapt:
            level = self._level()
            # Above the bound the silence is cut whatever the settings (a timestamp
            # that jumps hours ahead must not mean hours of silence).
            if level > self._max_delay + HYSTERESIS or (self._quiet is not None and level > target + HYSTERESIS):
                self._play_ts += min(gap, level - target)   # cut the silence short
                return
            if self._quiet is not None and level < target - HYSTERESIS:
                self._silence(HYSTERESIS)                   # the timeline waits
                self.stats.inserted += 1
                return
        covered = min(gap, self._silence(min(gap, self._frame_out * OPUS_CLOCK // self.sample_rate)))
        self.stats.dtx_ms += covered * 1000 / OPUS_CLOCK
        self._play_ts += covered

    def _conceal_missing(self) -> None:
        """The next sequence number is missing and a later packet is here: it is lost."""
        later = min(self._buf)
        k = later - self._next_seq
        span = self._buf[later].ts - self._expect_ts
        dur = self._last_dur if span >= k * self._last_dur else max(0, span // k)
        if dur == 0 or self._expect_ts + dur <= self._play_ts:
            # Its time has already passed (concealed during an underrun) or there is none.
            self.stats.lost += 1
            self._next_seq += 1
            self._expect_ts += dur
            return
        y = self._nonempty(self.receiver.decode(None, lookahead=self._lookahead()))
        kind = self.receiver.last_kind
        self.stats.lost += 1
        self.stats.filled[kind] = self.stats.filled.get(kind, 0) + 1
        self._next_seq += 1
        self._expect_ts += dur
        self._play_ts += self._ticks(y)
        self._was_quiet = self._is_quiet(y)
        self._emit(y)

    def _skip_ahead(self) -> None:
        """Far above the bound (``pull`` was not called for a while): drops the oldest
        packets until the target delay is left."""
        target = self.target_delay()
        while len(self._buf) > 1 and len(self._buf) * self._last_dur > target:
            del self._buf[min(self._buf)]
            self.stats.skipped += 1
        first = min(self._buf)
        self.stats.lost += first - self._next_seq
        self._next_seq = first
        self._play_ts = self._expect_ts = self._buf[first].ts

    def _mark_played(self, seq: int) -> None:
        self._played.add(seq)
        if len(self._played) > 2 * PLAYED_MEMORY:
            floor = seq - PLAYED_MEMORY
            self._played = {s for s in self._played if s >= floor}

    def _is_quiet(self, y: np.ndarray) -> bool:
        if self._quiet is None:
            return False
        a = np.asarray(y, np.float32).ravel()
        # Mean square against the squared threshold: one dot product (np.mean costs
        # several times more than the rest of a push + pull).
        return a.size == 0 or float(np.dot(a, a)) < self._quiet * self._quiet * a.size
