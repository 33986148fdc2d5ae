/* 3x3 conv2d with AVX2 + FMA, eight output positions per vector.
 *
 * Each lane carries one output position through exactly the operations of
 * the portable kernel (conv2d.c, which documents libopus's fused order):
 * per input channel s = fma(w0, x0, w1 * x1), seven more fmas, then the
 * output (starting from +0) += s; the bias is added last.  Vectorising
 * across positions changes no rounding, so every path gives the same bits.
 * The file is compiled for AVX2/FMA through a target pragma and is only
 * called when the kernel table is the AVX2 or AVX-512 one. */
#include "kernels.h"

#ifdef DF_HAVE_X86

#include "target_avx2.h"

#include <immintrin.h>
#include <math.h>

#include "conv2d_avx2.h"

/* The nine-term sum of one channel at eight positions starting at r0/r1/r2. */
static inline __m256 sum9(const __m256 *w, const float *r0, const float *r1, const float *r2)
{
    __m256 s = _mm256_mul_ps(w[1], _mm256_loadu_ps(r0 + 1));
    s = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(r0), s);
    s = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(r0 + 2), s);
    s = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(r1), s);
    s = _mm256_fmadd_ps(w[4], _mm256_loadu_ps(r1 + 1), s);
    s = _mm256_fmadd_ps(w[5], _mm256_loadu_ps(r1 + 2), s);
    s = _mm256_fmadd_ps(w[6], _mm256_loadu_ps(r2), s);
    s = _mm256_fmadd_ps(w[7], _mm256_loadu_ps(r2 + 1), s);
    return _mm256_fmadd_ps(w[8], _mm256_loadu_ps(r2 + 2), s);
}

/* The same for one position (the tail when height % 8 != 0). */
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

/* One channel's contribution to one output row.  mode 0: first channel
 * (the output starts from +0), 1: a middle channel, 2: the last channel
 * (then the bias is added), 3: the only channel.  Inlined with a constant
 * mode, so each variant is a branch-free loop. */
static inline __attribute__((always_inline)) void channel_row(float *o, const float *wk, float b, int mode,
                                                              const float *r0, const float *r1,
                                                              const float *r2, int height)
{
    const int first = mode == 0 || mode == 3, last = mode >= 2;
    __m256 wv[9];
#pragma GCC unroll 16
    for (int i = 0; i < 9; i++) wv[i] = _mm256_set1_ps(wk[i]);
    const __m256 bv = _mm256_set1_ps(b);
    const int hv = height & ~7;
    int j = 0;
    for (; j < hv; j += 8) {
        const __m256 s = sum9(wv, r0 + j, r1 + j, r2 + j);
        /* the output starts from +0 like the portable kernel's memset */
        __m256 acc = _mm256_add_ps(first ? _mm256_setzero_ps() : _mm256_loadu_ps(o + j), s);
        if (last) acc = _mm256_add_ps(acc, bv);
        _mm256_storeu_ps(o + j, acc);
    }
    for (; j < height; j++) {
        float acc = (first ? 0.f : o[j]) + sum9_1(wk, r0 + j, r1 + j, r2 + j);
        if (last) acc += b;
        o[j] = acc;
    }
}

void df_conv3x3_avx2(float *out, const float *w, const float *bias, int in_ch, int out_ch,
                     const float *f0, const float *f1, const float *f2, int height, int hstride)
{
    const int row = height + 2;
    for (int c = 0; c < out_ch; c++) {
        float *o = &out[c * hstride];
        for (int m = 0; m < in_ch; m++) {
            const float *wk = &w[(c * in_ch + m) * 9];
            const float *r0 = f0 + m * row, *r1 = f1 + m * row, *r2 = f2 + m * row;
            const int first = m == 0, last = m == in_ch - 1 && bias;
            /* without a bias the last channel is a middle one: nothing added */
            if (first && last)
                channel_row(o, wk, bias[c], 3, r0, r1, r2, height);
            else if (first)
                channel_row(o, wk, 0.f, 0, r0, r1, r2, height);
            else if (last)
                channel_row(o, wk, bias[c], 2, r0, r1, r2, height);
            else
                channel_row(o, wk, 0.f, 1, r0, r1, r2, height);
        }
    }
}

#include "target_end.h"

#endif /* DF_HAVE_X86 */
