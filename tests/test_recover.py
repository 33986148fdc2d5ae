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


# ---------------------------------------------------------------- RTP in packet captures
def _pcap(frames, link=1):
    """A classic little-endian pcap (microsecond stamps) of the given link-layer frames."""
    import struct
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)]
    for i, f in enumerate(frames):
        out.append(struct.pack("<IIII", i // 50, (i % 50) * 20000, len(f), len(f)) + f)
    return b"".join(out)


def _pcapng(frames, link=1):
    """A big-endian pcapng: section header, one interface, enhanced packet blocks."""
    import struct

    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack(">II", btype, n) + body + struct.pack(">I", n)
    out = [block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1)), block(1, struct.pack(">HHI", link, 0, 0))]
    for f in frames:
        out.append(block(6, struct.pack(">IIIII", 0, 0, 0, len(f), len(f)) + f))
    return b"".join(out)


def _eth_ipv4_udp(payload, sport=5004, dport=5006):
    import struct
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2])) + udp
    return b"\x02" * 6 + b"\x04" * 6 + b"\x81\x00\x00\x05\x08\x00" + ip      # one 802.1Q tag


def _raw_ipv6_udp(payload):
    import struct
    udp = struct.pack("!HHHH", 5004, 5006, 8 + len(payload), 0) + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, b"\0" * 15 + b"\1", b"\0" * 15 + b"\2") + udp


def test_rtp_capture_losses_reordering_and_noise(inputs, tmp_path):
    """A call captured as pcap and pcapng: the Opus stream's missing sequence numbers are the
    losses, whatever else the capture holds (another SSRC, RTCP, non-UDP frames), packets
    reordered or repeated in the network are put back / dropped, the sequence wraps."""
    from dredfast.pcap import rtp_slots, udp_payloads
    from dredfast.rtp import make_rtp

    d, pk = inputs
    seq0 = 65530                                   # wraps after 6 packets
    rtp = [make_rtp(p, sequence=seq0 + i, timestamp=960 * i, ssrc=0x1234, payload_type=111)
           for i, p in enumerate(pk) if i not in DROP]
    rtp[20], rtp[21] = rtp[21], rtp[20]            # reordered
    rtp.insert(30, rtp[29])                         # duplicated
    noise = [make_rtp(b"\x78\x00", sequence=i, timestamp=0, ssrc=0x9999, payload_type=0) for i in range(3)]
    rtcp = bytes([0x80, 200, 0, 6]) + bytes(24)
    frames = [_eth_ipv4_udp(x) for x in rtp[:5] + noise + [rtcp] + rtp[5:]]
    frames.insert(3, b"\x02" * 12 + b"\x08\x06" + bytes(28))        # an ARP frame
    cap = tmp_path / "call.pcap"
    cap.write_bytes(_pcap(frames))
    capng = tmp_path / "call6.pcapng"
    capng.write_bytes(_pcapng([_raw_ipv6_udp(x) for x in rtp], link=101))
    for path in (cap, capng):
        slots, info = rtp_slots(udp_payloads(str(path)))
        assert info.ssrc == 0x1234 and info.duplicates == 1 and info.clipped_gaps == 0
        # slots start at the first packet that arrived (packet 0 here) and end at the last
        assert len(slots) == len(pk)
        assert {i for i, p in enumerate(slots) if p is None} == DROP
        assert all(slots[i] == pk[i] for i in range(len(pk)) if i not in DROP)
    r = recover([str(cap), str(capng)], str(tmp_path / "out"), scheduler="serial", progress=False)
    rows = {x["file"]: x for x in r["rows"]}
    for name in ("call.pcap", "call6.pcapng"):
        x = rows[name]
        assert x["format"] == "rtp" and int(x["lost"]) == len(DROP) and int(x["n_dred"]) > 0
    y, fs = soundfile.read(str(tmp_path / "out" / "call.wav"), dtype="float32")
    assert fs == 48000 and len(y) == len(pk) * 960


def test_broken_captures_raise(tmp_path):
    """Truncated or foreign files: a clear ValueError, never a crash or a hang."""
    from dredfast.pcap import rtp_slots, udp_payloads

    good = _pcap([_eth_ipv4_udp(b"\x80\x6f\x00\x01" + bytes(8) + b"\x78")])
    for name, data in (("short.pcap", good[:-3]), ("magic.pcap", b"\0" * 40), ("tiny.pcap", b"\xd4\xc3"),
                       ("ng.pcapng", _pcapng([])[:-2])):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError):
            udp_payloads(str(tmp_path / name))
    with pytest.raises(ValueError):
        rtp_slots([b"not rtp", bytes([0x80, 200]) + bytes(10)])
