/* 3x3 conv2d with NEON, four output positions per vector (AArch64 only).
 *
 * As in conv2d_avx2.c, each lane carries one output position through the
 * portable kernel's operations (conv2d.c documents libopus's fused order):
 * per input channel s = fma(w0, x0, w1 * x1), seven more fmas, then the
 * output (starting from +0) += s, the bias added after the last channel.
 * Vectorising across positions changes no rounding, so the bits are the
 * scalar path's. */
#include "kernels.h"

#ifdef DF_HAVE_NEON

#include <arm_neon.h>
#include <math.h>

#include "conv2d_neon.h"

/* The nine-term sum of one channel at four positions starting at r0/r1/r2. */
static inline float32x4_t sum9(const float32x4_t *w, const float *r0, const float *r1, const float *r2)
{
    float32x4_t s = vmulq_f32(w[1], vld1q_f32(r0 + 1));
    s = vfmaq_f32(s, w[0], vld1q_f32(r0));
    s = vfmaq_f32(s, w[2], vld1q_f32(r0 + 2));
    s = vfmaq_f32(s, w[3], vld1q_f32(r1));
    s = vfmaq_f32(s, w[4], vld1q_f32(r1 + 1));
    s = vfmaq_f32(s, w[5], vld1q_f32(r1 + 2));
    s = vfmaq_f32(s, w[6], vld1q_f32(r2));
    s = vfmaq_f32(s, w[7], vld1q_f32(r2 + 1));
    return vfmaq_f32(s, w[8], vld1q_f32(r2 + 2));
}

/* The same for one position (the tail when height % 4 != 0); fmaf is one
 * instruction on AArch64. */
static inline float sum9_1(const float *wk, const float *r0, const float *r1, const float *r2)
{
    float s = fmaf(wk[0], r0[0], wk[1] * r0[1]);
    s = fmaf(wk[2], r0[2], s);
    s = fmaf(wk[3], r1[0], s);
    s = fmaf(wk[4], r1[1], s);
    s = fmaf(wk[5], r1[2], s);
    s = fmaf(wk[6], r2[0], s);
    s = fmaf(wk[7], r2[1], s);
    return fmaf(wk[8], r2[2], s);
}

/* One channel's contribution to one output row; first: the output starts
 * from +0 (the portable kernel's memset), last: then the bias is added. */
static inline __attribute__((always_inline)) void channel_row(float *o, const float *wk, float b, int first,
                                                              int last, const float *r0, const float *r1,
                                                              const float *r2, int height)
{
    float32x4_t wv[9];
    for (int i = 0; i < 9; i++) wv[i] = vdupq_n_f32(wk[i]);
    const float32x4_t bv = vdupq_n_f32(b);
    int j = 0;
    for (; j + 4 <= height; j += 4) {
        const float32x4_t s = sum9(wv, r0 + j, r1 + j, r2 + j);
        float32x4_t acc = vaddq_f32(first ? vdupq_n_f32(0.f) : vld1q_f32(o + j), s);
        if (last) acc = vaddq_f32(acc, bv);
        vst1q_f32(o + j, acc);
    }
    for (; j < height; j++) {
        float acc = (first ? 0.f : o[j]) + sum9_1(wk, r0 + j, r1 + j, r2 + j);
        if (last) acc += b;
        o[j] = acc;
    }
}

void df_conv3x3_neon(float *out, const float *w, const float *bias, int in_ch, int out_ch,
                     const float *f0, const float *f1, const float *f2, int height, int hstride)
{
    const int row = height + 2;
    for (int c = 0; c < out_ch; c++) {
        float *o = &out[c * hstride];
        for (int m = 0; m < in_ch; m++) {
            const float *wk = &w[(c * in_ch + m) * 9];
            const float *r0 = f0 + m * row, *r1 = f1 + m * row, *r2 = f2 + m * row;
            const int first = m == 0, last = m == in_ch - 1 && bias;
            /* Constant flags per call, so each variant inlines branch-free;
             * without a bias the last channel is a middle one. */
            if (first && last)
                channel_row(o, wk, bias[c], 1, 1, r0, r1, r2, height);
            else if (first)
                channel_row(o, wk, 0.f, 1, 0, r0, r1, r2, height);
            else if (last)
                channel_row(o, wk, bias[c], 0, 1, r0, r1, r2, height);
            else
                channel_row(o, wk, 0.f, 0, 0, r0, r1, r2, height);
        }
    }
}

#endif /* DF_HAVE_NEON */
