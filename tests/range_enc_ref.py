"""A plain-Python Opus range *encoder* (RFC 6716 section 5.1), written for tests.

The C core only decodes; this independent encoder produces streams with known
contents so the decoder can be checked symbol by symbol, including paths the
reference vectors never exercise (raw bits, signalled qmax, long Laplace runs).
"""
from __future__ import annotations

from typing import List, Sequence

TOP = 1 << 31
BOT = TOP >> 8
SHIFT = 23


def ilog(v: int) -> int:
    return v.bit_length()


class RangeEncoder:
    def __init__(self, storage: int = 4096):
        self.storage = storage
        self.buf = bytearray(storage)
        self.offs = 0
        self.end_offs = 0
        self.end_window = 0
        self.nend_bits = 0
        self.nbits_total = 33
        self.rng = TOP
        self.val = 0
        self.rem = -1
        self.ext = 0
        self.error = False

    def _write(self, b: int):
        if self.offs + self.end_offs >= self.storage:
            self.error = True
            return
        self.buf[self.offs] = b
        self.offs += 1

    def _write_end(self, b: int):
        if self.offs + self.end_offs >= self.storage:
            self.error = True
            return
        self.end_offs += 1
        self.buf[self.storage - self.end_offs] = b

    def _carry_out(self, c: int):
        if c != 255:
            carry = c >> 8
            if self.rem >= 0:
                self._write((self.rem + carry) & 0xFF)
            while self.ext > 0:
                self._write((255 + carry) & 0xFF)
                self.ext -= 1
            self.rem = c & 0xFF
        else:
            self.ext += 1

    def _normalize(self):
        while self.rng <= BOT:
            self._carry_out(self.val >> SHIFT)
            self.val = (self.val << 8) & (TOP - 1)
            self.rng <<= 8
            self.nbits_total += 8

    def encode(self, fl: int, fh: int, ft: int):
        r = self.rng // ft
        if fl > 0:
            self.val += self.rng - r * (ft - fl)
            self.rng = r * (fh - fl)
        else:
            self.rng -= r * (ft - fh)
        self._normalize()

    def icdf16(self, s: int, icdf: Sequence[int], ftb: int):
        r = self.rng >> ftb
        if s > 0:
            self.val += self.rng - r * icdf[s - 1]
            self.rng = r * (icdf[s - 1] - icdf[s])
        else:
            self.rng -= r * icdf[s]
        self._normalize()

    def bits(self, value: int, nbits: int):
        window, used = self.end_window, self.nend_bits
        if used + nbits > 32:
            while used >= 8:
                self._write_end(window & 0xFF)
                window >>= 8
                used -= 8
        window |= value << used
        used += nbits
        self.end_window, self.nend_bits = window, used
        self.nbits_total += nbits

    def uint(self, value: int, ft: int):
        ft -= 1
        ftb = ilog(ft)
        if ftb > 8:
            ftb -= 8
            top = (ft >> ftb) + 1
            s = value >> ftb
            self.encode(s, s + 1, top)
            self.bits(value & ((1 << ftb) - 1), ftb)
        else:
            self.encode(value, value + 1, ft + 1)

    def laplace_p0(self, value: int, p0: int, decay: int):
        sign_icdf = [32768 - p0, (32768 - p0) // 2, 0]
        s = 0 if value == 0 else (1 if value > 0 else 2)
        self.icdf16(s, sign_icdf, 15)
        value = abs(value)
        if value:
            icdf = [max(7, decay)]
            for i in range(1, 7):
                icdf.append(max(7 - i, (icdf[-1] * decay) >> 15))
            icdf.append(0)
            value -= 1
            while True:
                self.icdf16(min(value, 7), icdf, 15)
                value -= 7
                if value < 0:
                    break

    def tell(self) -> int:
        return self.nbits_total - ilog(self.rng)

    def done(self) -> bytes:
        l = 32 - ilog(self.rng)
        msk = (TOP - 1) >> l
        end = (self.val + msk) & ~msk & 0xFFFFFFFF
        if (end | msk) >= self.val + self.rng:
            l += 1
            msk >>= 1
            end = (self.val + msk) & ~msk & 0xFFFFFFFF
        while l > 0:
            self._carry_out(end >> SHIFT)
            end = (end << 8) & (TOP - 1)
            l -= 8
        if self.rem >= 0 or self.ext > 0:
            self._carry_out(0)
        window, used = self.end_window, self.nend_bits
        while used >= 8:
            self._write_end(window & 0xFF)
            window >>= 8
            used -= 8
        if used > 0:
            self.buf[self.storage - self.end_offs - 1] |= window & 0xFF
        assert not self.error, "test stream overflowed its buffer"
        return bytes(self.buf)


def encode_dred(q0: int, dq: int, extra_val: int, offset_sym: int, qmax: int, state_q: List[int],
                latents_q: List[List[int]], stats: dict, storage: int = 1000) -> bytes:
    """A DRED payload (after 'D', 12) in the Opus 1.6 layout, from integers."""
    e = RangeEncoder(storage)
    e.uint(q0, 16)
    e.uint(dq, 8)
    e.uint(1 if extra_val else 0, 2)
    if extra_val:
        e.uint(extra_val, 256)
    e.uint(offset_sym, 32)
    if q0 < 14 and dq > 0:
        nvals = 15 - (q0 + 1)
        if qmax >= 15:
            e.encode(0, nvals, 2 * nvals)
        else:
            s = qmax - q0 - 1 + nvals
            e.encode(s, s + 1, 2 * nvals)
    slope = [0, 2, 3, 4, 6, 8, 12, 16]

    def vec(vals, level, prefix, dim):
        for i, v in enumerate(vals):
            r = int(stats[f"dred_{prefix}_r_q8"][level * dim + i])
            p0 = int(stats[f"dred_{prefix}_p0_q8"][level * dim + i])
            if r == 0 or p0 == 255:
                assert v == 0
                continue
            e.laplace_p0(v, p0 << 7, r << 7)

    vec(state_q, q0, "state", 50)
    for j, lat in enumerate(latents_q):
        level = min(qmax, q0 + (slope[dq] * j + 8) // 16)
        vec(lat, level, "latent", 25)
    return e.done()
