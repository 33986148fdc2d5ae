"""UDP payloads from packet captures (``.pcap`` and ``.pcapng``, as tcpdump, tshark and
Wireshark write them), and the Opus RTP stream in them as packet slots.

Only what a recorded call needs: the classic libpcap format (either byte order,
micro- or nanosecond stamps) and pcapng (section, interface, enhanced and simple packet
blocks); link layers Ethernet (with 802.1Q / 802.1ad tags), BSD loopback, raw IP and
Linux cooked captures (v1 and v2); IPv4 (fragments are skipped) and IPv6 (with the
common extension headers); UDP.  Anything else in a capture is passed over, a truncated
or malformed capture raises ``ValueError``.  Work and memory grow linearly with the file.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

#: A capture record larger than this is not a network packet (libpcap's own limit).
MAX_RECORD = 262144
#: Longest run of missing RTP sequence numbers filled with lost slots (10 s of 20 ms
#: packets); a longer jump is a stream restart or a broken capture, not a loss to conceal.
MAX_GAP_SLOTS = 500

_ETHERNET, _NULL, _RAW, _SLL, _SLL2, _IPV4, _IPV6 = 1, 0, 101, 113, 276, 228, 229


def _records(data: bytes) -> Iterator[Tuple[int, bytes]]:
    """(link type, frame) of every packet in a capture file's bytes."""
    if len(data) < 24:
        raise ValueError("too short for a packet capture")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        link = struct.unpack_from(e + "I", data, 20)[0] & 0xFFFF
        pos = 24
        while pos < len(data):
            if pos + 16 > len(data):
                raise ValueError("capture truncated inside a record header")
            incl = struct.unpack_from(e + "I", data, pos + 8)[0]
            if incl > MAX_RECORD or pos + 16 + incl > len(data):
                raise ValueError(f"capture record of {incl} bytes at offset {pos} runs past the end")
            yield link, data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
        return
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from _pcapng_records(data)
        return
    raise ValueError("not a pcap or pcapng capture (unknown magic number)")


def _pcapng_records(data: bytes) -> Iterator[Tuple[int, bytes]]:
    e = "<"
    links: List[int] = []
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError("pcapng truncated inside a block header")
        if data[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":      # section header: its own byte order
            bom = data[pos + 8:pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                raise ValueError("pcapng section header with an unknown byte-order mark")
            links = []
        btype, blen = struct.unpack_from(e + "II", data, pos)
        if blen < 12 or blen % 4 or pos + blen > len(data):
            raise ValueError(f"pcapng block of {blen} bytes at offset {pos} is malformed")
        body = data[pos + 8:pos + blen - 4]
        if btype == 1 and len(body) >= 2:                    # interface description
            links.append(struct.unpack_from(e + "H", body, 0)[0])
        elif btype == 6 and len(body) >= 20:                 # enhanced packet
            iface, _, _, cap = struct.unpack_from(e + "IIII", body, 0)
            if iface >= len(links) or 20 + cap > len(body):
                raise ValueError(f"pcapng packet block at offset {pos} is malformed")
            yield links[iface], body[20:20 + cap]
        elif btype == 3 and len(body) >= 4 and links:        # simple packet (interface 0)
            orig = struct.unpack_from(e + "I", body, 0)[0]
            yield links[0], body[4:4 + min(orig, len(body) - 4)]
        pos += blen


def _ip_packet(link: int, f: bytes) -> Optional[bytes]:
    """The IP packet inside a link-layer frame, or None for anything else."""
    if link == _ETHERNET:
        pos, etype = 14, (struct.unpack_from("!H", f, 12)[0] if len(f) >= 14 else 0)
        while etype in (0x8100, 0x88A8) and len(f) >= pos + 4:   # VLAN tags
            etype = struct.unpack_from("!H", f, pos + 2)[0]
            pos += 4
        return f[pos:] if etype in (0x0800, 0x86DD) else None
    if link == _NULL:
        if len(f) < 4:
            return None
        fam = struct.unpack_from("<I", f)[0]
        fam = fam if fam < 256 else struct.unpack_from(">I", f)[0]   # written in the capturer's order
        return f[4:] if fam in (2, 24, 28, 30) else None
    if link in (_RAW, _IPV4, _IPV6):
        return f
    if link == _SLL:
        return f[16:] if len(f) >= 16 and struct.unpack_from("!H", f, 14)[0] in (0x0800, 0x86DD) else None
    if link == _SLL2:
        return f[20:] if len(f) >= 20 and struct.unpack_from("!H", f, 0)[0] in (0x0800, 0x86DD) else None
    return None


def _udp_payload(ip: bytes) -> Optional[bytes]:
    """The UDP payload of an IPv4 / IPv6 packet, or None."""
    if not ip:
        return None
    version = ip[0] >> 4
    if version == 4:
        ihl = 4 * (ip[0] & 15)
        if len(ip) < 20 or ihl < 20 or ip[9] != 17:
            return None
        if struct.unpack_from("!H", ip, 6)[0] & 0x3FFF:       # a fragment (MF set or an offset)
            return None
        seg = ip[ihl:struct.unpack_from("!H", ip, 2)[0]] or ip[ihl:]
    elif version == 6:
        if len(ip) < 40:
            return None
        nxt, pos = ip[6], 40
        while nxt in (0, 43, 60) and len(ip) >= pos + 8:       # hop-by-hop, routing, destination
            nxt, pos = ip[pos], pos + 8 * (ip[pos + 1] + 1)
        if nxt != 17:
            return None
        seg = ip[pos:]
    else:
        return None
    if len(seg) < 8:
        return None
    n = struct.unpack_from("!H", seg, 4)[0]
    return seg[8:n] if 8 <= n <= len(seg) else seg[8:]


def udp_payloads(path: str) -> List[bytes]:
    """Every UDP payload in a capture file, in capture order."""
    with open(path, "rb") as fh:
        data = fh.read()
    out = []
    for link, frame in _records(data):
        ip = _ip_packet(link, frame)
        p = _udp_payload(ip) if ip is not None else None
        if p is not None:
            out.append(p)
    return out


@dataclass
class RtpStreamInfo:
    """What :func:`rtp_slots` found in a capture."""

    ssrc: int
    payload_type: int
    received: int       #: distinct packets of the stream
    duplicates: int     #: repeated sequence numbers (dropped)
    clipped_gaps: int   #: sequence jumps longer than MAX_GAP_SLOTS (not filled)
    other: int          #: UDP payloads that were not this stream (other streams, RTCP, STUN, ...)


def rtp_slots(payloads: List[bytes], ssrc: Optional[int] = None) -> Tuple[List[Optional[bytes]], RtpStreamInfo]:
    """The Opus RTP stream among UDP payloads as packet slots (None = lost), in sequence
    order whatever the arrival order.  ``ssrc``: the stream to take (default: the one with
    the most packets of a dynamic payload type, 96-127, as Opus is negotiated)."""
    from .rtp import parse_rtp, unwrap

    parsed = []
    for p in payloads:
        try:
            r = parse_rtp(p)
        except ValueError:
            continue
        if 96 <= r.payload_type <= 127:
            parsed.append(r)
    if ssrc is None:
        counts: Dict[int, int] = {}
        for r in parsed:
            counts[r.ssrc] = counts.get(r.ssrc, 0) + 1
        if not counts:
            raise ValueError("no RTP stream with a dynamic payload type in the capture")
        ssrc = max(counts, key=lambda s: counts[s])
    mine = [r for r in parsed if r.ssrc == ssrc]
    if not mine:
        raise ValueError(f"no RTP packets of SSRC {ssrc:#010x} in the capture")
    by_seq: Dict[int, bytes] = {}
    ref = mine[0].sequence
    dup = 0
    for r in mine:
        ref = unwrap(r.sequence, ref, 16)
        if ref in by_seq:
            dup += 1
        else:
            by_seq[ref] = r.payload
    slots: List[Optional[bytes]] = []
    clipped = 0
    prev = None
    for s in sorted(by_seq):
        if prev is not None and s - prev > 1:
            gap = s - prev - 1
            if gap > MAX_GAP_SLOTS:
                clipped += 1
                gap = 0
            slots.extend([None] * gap)
        slots.append(by_seq[s])
        prev = s
    info = RtpStreamInfo(ssrc=ssrc, payload_type=mine[0].payload_type, received=len(by_seq), duplicates=dup,
                         clipped_gaps=clipped, other=len(payloads) - len(mine))
    return slots, info
