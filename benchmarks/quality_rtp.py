"""Quality through the RTP jitter buffer: how the playout delay buys DRED look-ahead.

Every dev clip's libopus 1.6.1 packets (``../shared/vectors/<clip>/<variant>.pkts``) are
wrapped in RTP, dropped by a Gilbert-Elliott pattern (``--loss`` %, mean bursts of
``--burst`` packets, one seed per clip), delayed by a uniform random 0-``--jitter-ms``
and played out by ``dredfast.RtpReceiver`` with a fixed delay (``min_delay_ms`` = each of
``--delays``, no adjustment afterwards), one ``pull()`` per 20 ms.  The output, aligned
(the silence while the delay fills and the decoder's 104 samples removed), is scored
against the clean clip (PESQ-WB, STOI) and the lost packets are counted by how they were
filled.

    python benchmarks/quality_rtp.py [--variant v24] [--delays 40,100,200,400]
"""
import argparse
import os
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import dredfast  # noqa: E402
from dredfast.audio import read_wav  # noqa: E402
from dredfast.lossmodels import gilbert_elliott  # noqa: E402
from dredfast.metrics import pesq_wb, stoi  # noqa: E402
from dredfast.rtp import make_rtp, opus_duration  # noqa: E402

import vectors  # noqa: E402


class _First:
    """Receiver wrapper noting the pull during which the first packet was decoded."""

    def __init__(self):
        self.rx = dredfast.Receiver()
        self.pull, self.first = 0, None

    def decode(self, packet, *, lookahead=()):
        if self.first is None:
            self.first = self.pull
        return self.rx.decode(packet, lookahead=lookahead)

    @property
    def last_kind(self):
        return self.rx.last_kind

    def reset(self):
        self.rx.reset()


def run(packets, speech, delay_ms, loss, burst, jitter_ms, seed):
    lost = gilbert_elliott(len(packets), loss / 100, burst, seed=seed)
    lost[0] = False
    rng = random.Random(seed)
    ts, events = 0, []
    for i, p in enumerate(packets):
        if not lost[i]:
            events.append((0.02 * i + rng.uniform(0, jitter_ms / 1000), make_rtp(p, sequence=i, timestamp=ts, ssrc=1)))
        ts += opus_duration(p)
    events.sort(key=lambda e: e[0])
    rec = _First()
    jb = dredfast.RtpReceiver(sample_rate=16000, min_delay_ms=delay_ms, max_delay_ms=5000, jitter_factor=0,
                              quiet_db=None, receiver=rec)
    out, k = [], 0
    for i in range(len(packets) + delay_ms // 20 + 5):
        while k < len(events) and events[k][0] <= 0.02 * i:
            jb.push(events[k][1], events[k][0])
            k += 1
        rec.pull = i
        out.append(jb.pull())
    y = np.concatenate(out)[rec.first * 320 + 104:][:len(speech)]
    y = np.concatenate([y, np.zeros(len(speech) - len(y), np.float32)])
    s = jb.stats
    return pesq_wb(speech, y), stoi(speech, y), int(lost.sum()), dict(s.filled), s.underrun, s.late


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="v24")
    ap.add_argument("--delays", default="40,100,200,400")
    ap.add_argument("--loss", type=float, default=20)
    ap.add_argument("--burst", type=float, default=8)
    ap.add_argument("--jitter-ms", type=float, default=20)
    ap.add_argument("--clips", type=int, default=0, help="first N clips only (0 = all)")
    a = ap.parse_args()
    shared = vectors.shared_dir()
    if shared is None:
        sys.exit("needs ../shared (the dev vectors and speech)")
    clips = sorted(d.name for d in (shared / "vectors").iterdir() if (d / f"{a.variant}.pkts").exists())
    clips = clips[:a.clips] if a.clips else clips
    print(f"{len(clips)} clips, {a.variant}, GE {a.loss:g} % / burst {a.burst:g}, arrival jitter 0-{a.jitter_ms:g} ms")
    print("delay ms | PESQ-WB | STOI  | lost | LBRR | DRED | PLC | underrun | late")
    for d in (int(x) for x in a.delays.split(",")):
        rows = []
        for seed, clip in enumerate(clips, 1):
            speech, _ = read_wav(shared / "speech" / "dev" / f"{clip}.wav")
            packets = vectors.read_pkts(shared / "vectors" / clip / f"{a.variant}.pkts")
            rows.append(run(packets, speech, d, a.loss, a.burst, a.jitter_ms, seed))
        f = {k: sum(r[3].get(k, 0) for r in rows) for k in ("lbrr", "dred", "plc")}
        print(f"{d:8d} | {np.mean([r[0] for r in rows]):7.3f} | {np.mean([r[1] for r in rows]):.3f} | "
              f"{sum(r[2] for r in rows):4d} | {f['lbrr']:4d} | {f['dred']:4d} | {f['plc']:3d} | "
              f"{sum(r[4] for r in rows):8d} | {sum(r[5] for r in rows):4d}", flush=True)


if __name__ == "__main__":
    main()
