"""dredfast recover (issue 16): recorded streams with losses -> recovered WAV + report.

Inputs made from the committed 24 kb/s DRED sample (60 packets, 1.2 s): a ``.pkts`` with
empty records for lost slots, the same stream as Ogg Opus whole and with pages dropped
(one packet per page, so a dropped page is a lost packet), and a file that is not Opus."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile

import dredfast
from dredfast.ogg import write_opus
from dredfast.packets import write_packets
from dredfast.recover import read_stream, recover

import vectors

DROP = {10, 11, 12, 13, 30}   # packet indices lost (a 4-packet burst and a single loss)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("rec")
    pk = vectors.read_pkts(vectors.subset_pkts_path("v24"))
    write_packets(d / "cut.pkts", [b"" if i in DROP else p for i, p in enumerate(pk)])
    write_opus(d / "whole.opus", pk, packets_per_page=1)
    data = (d / "whole.opus").read_bytes()
    pages = [b"OggS" + x for x in data.split(b"OggS")[1:]]
    assert len(pages) == len(pk) + 2       # OpusHead, OpusTags, then one page per packet
    (d / "lossy.opus").write_bytes(b"".join(p for i, p in enumerate(pages) if i - 2 not in DROP))
    (d / "junk.opus").write_bytes(b"not an ogg file at all")
    return d, pk


def test_losses_are_found(inputs):
    d, pk = inputs
    for name in ("cut.pkts", "lossy.opus"):
        slots, _ = read_stream(str(d / name))
        assert len(slots) == len(pk)
        assert {i for i, p in enumerate(slots) if p is None} == DROP
        assert all(slots[i] == pk[i] for i in range(len(pk)) if i not in DROP)


def test_recover_folder(inputs, tmp_path):
    d, pk = inputs
    r = recover([str(d)], str(tmp_path), scheduler="serial", progress=False)
    rows = {x["file"]: x for x in r["rows"]}
    assert set(rows) == {"cut.pkts", "lossy.opus", "whole.opus"}
    assert len(r["report"].failed) == 1 and "junk.opus" in r["report"].failed[0]
    for name in ("cut.pkts", "lossy.opus"):
        x = rows[name]
        assert int(x["lost"]) == len(DROP) and int(x["slots"]) == len(pk)
        filled = sum(int(x[k]) for k in ("n_normal", "n_lbrr", "n_dred", "n_plc"))
        assert filled == len(pk) and int(x["n_dred"]) + int(x["n_plc"]) + int(x["n_lbrr"]) == len(DROP)
        assert int(x["n_dred"]) > 0     # the sample carries DRED: the burst is recovered from it
    assert int(rows["whole.opus"]["lost"]) == 0
    # .pkts: 16 kHz, the decoded stream itself (same as dredfast.Receiver on the slots).
    y, fs = soundfile.read(str(tmp_path / "cut.wav"), dtype="float32")
    assert fs == 16000 and len(y) == len(pk) * 320
    rx = dredfast.Receiver(16000)
    slots, _ = read_stream(str(d / "cut.pkts"))
    ref = []
    for t, p in enumerate(slots):
        ahead = []
        if p is None:
            for q in slots[t + 1:]:
                ahead.append(q)
                if q is not None:
                    break
        ref.append(rx.decode(p, lookahead=ahead))
    ref = np.round(np.clip(np.concatenate(ref), -1, 32767 / 32768) * 32768) / 32768
    assert np.max(np.abs(ref - y)) <= 1 / 32768
    # .opus: 48 kHz, pre-skip removed, trimmed to the stream's length (the writer's
    # default: all packets); identical to the whole stream's recovery up to the first loss
    # (the receiver fills a loss at its own slot, so nothing before it changes).
    w, fs = soundfile.read(str(tmp_path / "whole.wav"), dtype="float32")
    lo, fs2 = soundfile.read(str(tmp_path / "lossy.wav"), dtype="float32")
    assert fs == fs2 == 48000 and len(w) == len(lo) == len(pk) * 960 - 312
    first = min(DROP) * 960 - 312
    assert np.array_equal(w[:first], lo[:first]) and not np.array_equal(w, lo)


def test_same_names_are_refused(inputs, tmp_path):
    d, _ = inputs
    (tmp_path / "whole.pkts").write_bytes(b"")
    with pytest.raises(ValueError, match="share a name"):
        recover([str(d / "whole.opus"), str(tmp_path / "whole.pkts")], str(tmp_path / "o"), scheduler="serial")


def test_resume_skips_done_files(inputs, tmp_path):
    d, _ = inputs
    recover([str(d / "cut.pkts")], str(tmp_path), scheduler="serial", progress=False)
    r = recover([str(d / "cut.pkts"), str(d / "whole.opus")], str(tmp_path), scheduler="serial", progress=False)
    assert r["report"].skipped == 1 and r["report"].finished == 1
