"""Plain NumPy reference of the LPCNet 191005 vocoder, written from the blob
layout in the shared weights/MANIFEST.md ("lpcnet-191005.bin") and FreeDV
LPCNet 0.5's procedure, not from dredfast's C: dense matrices (GRU-A's
recurrent matrix rebuilt from its 16x1 blocks and diagonal), float64 maths,
activations by the same rational approximations as nnet_ref (exact division).

Used by tests/test_lpcnet.py to check the C frame-rate network, the
teacher-forced sample network and the sampler's probabilities.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from nnet_ref import sigmoid_approx, tanh_approx

N = 384          # GRU-A units
NB = 16          # GRU-B units
COND = 128
LEVELS = 256
ORDER = 16
EBAND = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40]


def dense(recs: Dict[str, np.ndarray], name: str, nin: int, nout: int):
    """(W as nout x nin, bias): input_weights is input-major, W[j*nout + i]."""
    w = recs[f"{name}_input_weights"].astype(np.float64).reshape(nin, nout).T
    return w, recs[f"{name}_bias"].astype(np.float64)[:nout]


def gru_a_recurrent(recs: Dict[str, np.ndarray]) -> np.ndarray:
    """(3N x N) recurrent matrix of GRU-A from the 16x1 blocks and the diagonal."""
    w = recs["sparse_gru_a_recurrent_weights"].astype(np.float64)
    idx = recs["sparse_gru_a_idx"]
    m = np.zeros((3 * N, N))
    pos = wpos = 0
    for g in range(3 * N // 16):
        n = int(idx[pos]); pos += 1
        for _ in range(n):
            j = int(idx[pos]); pos += 1
            m[16 * g:16 * g + 16, j] += w[wpos:wpos + 16]
            wpos += 16
    assert pos == len(idx) and wpos == len(w)
    diag = recs["sparse_gru_a_diag_weights"].astype(np.float64)
    for k in range(3):
        m[k * N + np.arange(N), np.arange(N)] += diag[k * N:(k + 1) * N]
    return m


def lin2ulaw(x: float) -> int:
    """FreeDV's mu-law with its log2 approximation (float32 bit tricks)."""
    s = 1 if x >= 0 else -1
    v = np.float32(1 + np.float32(255 / 32768) * np.float32(abs(x)))
    i = int(np.array(v, np.float32).view(np.int32))
    e = (i >> 23) - 127
    frac = float(np.array(i - (e << 23), np.int32).view(np.float32)) - 1.5
    l2 = 1 + e + (-0.41445418 + frac * (0.95909232 + frac * (-0.33951290 + frac * 0.16541097)))
    u = 128 + s * (128 * 0.69315 * l2 / 5.5451774445)
    return int(np.floor(0.5 + min(255.0, max(0.0, u))))


def lpc_from_cepstrum(cep: np.ndarray) -> np.ndarray:
    """FreeDV's lpc_from_cepstrum in float64."""
    c = np.asarray(cep, np.float64).copy()
    c[0] += 4
    i, j = np.meshgrid(np.arange(18), np.arange(18), indexing="ij")
    basis = np.cos((i + 0.5) * j * np.pi / 18)
    basis[:, 0] *= np.sqrt(0.5)
    ex = 10 ** (basis @ c * np.sqrt(2 / 18))
    spec = np.zeros(161)
    for b in range(17):
        size = (EBAND[b + 1] - EBAND[b]) * 4
        frac = np.arange(size) / size
        spec[EBAND[b] * 4:EBAND[b] * 4 + size] = (1 - frac) * ex[b] + frac * ex[b + 1]
    lags = np.arange(ORDER + 1)[:, None]
    ac = spec[0] + 2 * (spec[None, 1:160] * np.cos(2 * np.pi * lags * np.arange(1, 160)[None, :] / 320)).sum(1)
    ac[0] += ac[0] * 1e-4 + 26 / 38
    ac[1:] *= 1 - 6e-5 * np.arange(1, ORDER + 1) ** 2
    lpc = np.zeros(ORDER)
    err = ac[0]
    for k in range(ORDER):
        r = -(ac[k + 1] + lpc[:k] @ ac[k:0:-1]) / err
        lpc[:k] = lpc[:k] + r * lpc[:k][::-1]
        lpc[k] = r
        err -= r * r * err
        if err < 0.001 * ac[0]:
            break
    return lpc


def sampler_probs(logits: np.ndarray, boost: float, floor: float = 0.002) -> np.ndarray:
    x = (1 + boost) * np.asarray(logits, np.float64)
    q = np.exp(x - x.max())
    q /= q.sum()
    w = np.maximum(0, q - floor)
    return w / w.sum()


class Reference:
    def __init__(self, recs: Dict[str, np.ndarray]):
        self.pitch = recs["embed_pitch_embedding_weights"].astype(np.float64).reshape(256, 64)
        self.conv1 = dense(recs, "feature_conv1", 306, COND)
        self.conv2 = dense(recs, "feature_conv2", 384, COND)
        self.dense1 = dense(recs, "feature_dense1", COND, COND)
        self.dense2 = dense(recs, "feature_dense2", COND, COND)
        self.feat = dense(recs, "gru_a_dense_feature", COND, 3 * N)
        self.emb = [recs[f"gru_a_embed_{k}_embedding_weights"].astype(np.float64).reshape(LEVELS, 3 * N)
                    for k in ("sig", "pred", "exc")]
        self.a_rec = gru_a_recurrent(recs)
        self.a_rbias = recs["sparse_gru_a_bias"].astype(np.float64)[3 * N:]
        bw = recs["gru_b_input_weights"].astype(np.float64).reshape(N + COND, 3 * NB).T
        self.b_in, self.b_bias = bw, recs["gru_b_bias"].astype(np.float64)
        self.b_rec = recs["gru_b_recurrent_weights"].astype(np.float64).reshape(NB, 3 * NB).T
        self.fc_w = recs["dual_fc_input_weights"].astype(np.float64).reshape(NB, 2 * LEVELS).T
        self.fc_b = recs["dual_fc_bias"].astype(np.float64)
        self.fc_f = recs["dual_fc_factor"].astype(np.float64)
        u = np.arange(LEVELS) - 128.0
        self.ulaw2lin = np.sign(u + 0.5) * 32768 / 255 * np.expm1(np.abs(u) / 128 * 5.5451774445)
        self.reset()

    def reset(self):
        self.mem1 = np.zeros(2 * 102)
        self.mem2 = np.zeros(2 * COND)
        self.count = 0
        self.old_lpc = [np.zeros(ORDER), np.zeros(ORDER)]
        self.old_gain = [0.0, 0.0]
        self.sa, self.sb = np.zeros(N), np.zeros(NB)
        self.last_sig, self.last_exc = np.zeros(ORDER), 128

    def frame(self, f20: np.ndarray):
        """Frame-rate network on one frame of LPCNet's 20 inputs (FreeDV start-up rules)."""
        f = np.asarray(f20, np.float64)
        row = int(np.clip(np.floor(0.1 + 50 * f[18] + 100), 40, 255))
        x = np.concatenate([f[:18], np.zeros(18), f[18:20], self.pitch[row]])
        full = np.concatenate([self.mem1, x]); self.mem1 = full[102:]
        c1 = tanh_approx(self.conv1[0] @ full + self.conv1[1])
        if self.count < 1:
            c1[:] = 0
        full = np.concatenate([self.mem2, c1]); self.mem2 = full[COND:]
        c2 = tanh_approx(self.conv2[0] @ full + self.conv2[1])
        if self.count < 2:
            c2[:] = 0
        d1 = tanh_approx(self.dense1[0] @ c2 + self.dense1[1])
        cond = tanh_approx(self.dense2[0] @ d1 + self.dense2[1])
        self.cond_a = self.feat[0] @ cond + self.feat[1]
        self.cond_b = self.b_in[:, N:] @ cond + self.b_bias[:3 * NB]
        self.count = min(self.count + 1, 1000)
        gain, lpc = self.old_gain[1], self.old_lpc[1]
        self.old_gain = [f[19], self.old_gain[0]]
        self.old_lpc = [lpc_from_cepstrum(f[:18]), self.old_lpc[0]]
        return gain, lpc

    def step(self, sig_u: int, pred_u: int):
        """GRU-A, GRU-B and dual FC for one sample; returns the 256 logits."""
        x = self.cond_a + self.emb[0][sig_u] + self.emb[1][pred_u] + self.emb[2][self.last_exc]
        rec = self.a_rec @ self.sa + self.a_rbias
        z = sigmoid_approx(x[:N] + rec[:N])
        r = sigmoid_approx(x[N:2 * N] + rec[N:2 * N])
        h = tanh_approx(x[2 * N:] + r * rec[2 * N:])
        self.sa = z * self.sa + (1 - z) * h
        xb = self.cond_b + self.b_in[:, :N] @ self.sa
        rb = self.b_rec @ self.sb + self.b_bias[3 * NB:]
        z = sigmoid_approx(xb[:NB] + rb[:NB])
        r = sigmoid_approx(xb[NB:2 * NB] + rb[NB:2 * NB])
        h = tanh_approx(xb[2 * NB:] + r * rb[2 * NB:])
        self.sb = z * self.sb + (1 - z) * h
        t = tanh_approx(self.fc_w @ self.sb + self.fc_b) * self.fc_f
        return t[:LEVELS] + t[LEVELS:]

    def teacher_forced(self, pcm: np.ndarray, feats: np.ndarray) -> np.ndarray:
        """Like the C's teacher_forced: frames of feats, audio for the last len(pcm)//160
        of them; returns log p of each sample's actual excitation level."""
        self.reset()
        self.count = 1000
        nf, npcm = len(feats), len(pcm) // 160
        out, prev = [], 0.0
        for k in range(nf):
            gain, lpc = self.frame(feats[k])
            if k < nf - npcm:
                continue
            boost = max(0.0, 1.5 * gain - 0.5)
            for v in pcm[(k - (nf - npcm)) * 160:(k - (nf - npcm) + 1) * 160] * 32768.0:
                s = v - 0.85 * prev
                pred = -(self.last_sig @ lpc)
                exc = lin2ulaw(s - pred)
                p = sampler_probs(self.step(lin2ulaw(self.last_sig[0]), lin2ulaw(pred)), boost)
                out.append(np.log(p[exc]) if p[exc] > 0 else -np.inf)
                self.last_sig = np.concatenate([[s], self.last_sig[:-1]])
                self.last_exc = exc
                prev = v
        return np.array(out)
