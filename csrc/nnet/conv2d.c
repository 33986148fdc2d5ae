/* 2-D convolution for PitchDNN; see conv2d.h.
 *
 * Numerics: libopus computes each output as a running sum over input
 * channels; per channel its 3x3 kernel adds one nine-term expression
 * w0 x0 + w1 x1 + ... + w8 x8, and its AVX2 build lets the compiler fuse
 * that expression into FMAs: the first two products become
 * fma(w0, x0, w1 x1), each further term one more fma, and the channel's
 * total is then added (not fused) to the running output.  We perform
 * exactly those operations, which is what makes the PitchDNN output
 * bit-identical to the reference vectors (an unfused or differently fused
 * version changes the pitch of ~1-30 % of frames by a rounding step).  The
 * generic kernel (not used by PitchDNN) adds one fused product at a time in
 * (channel, t, h) order.  Bias is added afterwards, then the activation. */
#include <math.h>
#include <string.h>

/* The FMA variant below inlines the generic body under another target. */
#if defined(__GNUC__)
#define CONV_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define CONV_ALWAYS_INLINE inline
#endif
#include "conv2d.h"
#include "conv2d_avx2.h"
#include "conv2d_neon.h"
#include "kernels.h"

/* The frequent 3x3 case: for every output row, channel by channel, first
 * form the nine-term kernel sum (fused as described above), then add it.
 * f0, f1, f2 are the three input frames, oldest first. */
static CONV_ALWAYS_INLINE void conv_3x3(float *out, const float *w, int in_ch, int out_ch,
                                        const float *f0, const float *f1, const float *f2,
                                        int height, int hstride)
{
    const int row = height + 2;         /* padded length of one input row */
    for (int c = 0; c < out_ch; c++) {
        float *o = &out[c * hstride];
        memset(o, 0, (size_t)height * sizeof(float));
        for (int m = 0; m < in_ch; m++) {
            const float *wk = &w[(c * in_ch + m) * 9];
            const float *r0 = &f0[m * row];
            const float *r1 = &f1[m * row];
            const float *r2 = &f2[m * row];
            for (int j = 0; j < height; j++) {
                float s = fmaf(wk[0], r0[j], wk[1] * r0[j + 1]);
                s = fmaf(wk[2], r0[j + 2], s);
                s = fmaf(wk[3], r1[j], s);
                s = fmaf(wk[4], r1[j + 1], s);
                s = fmaf(wk[5], r1[j + 2], s);
                s = fmaf(wk[6], r2[j], s);
                s = fmaf(wk[7], r2[j + 1], s);
                s = fmaf(wk[8], r2[j + 2], s);
                o[j] += s;
            }
        }
    }
}

/* Any kernel shape: one product at a time in (channel, t, h) order. */
static void conv_generic(float *out, const float *w, int in_ch, int out_ch, int kt, int kh,
                         const float *in, int height, int hstride)
{
    const int row = height + kh - 1;
    for (int c = 0; c < out_ch; c++) {
        float *o = &out[c * hstride];
        memset(o, 0, (size_t)height * sizeof(float));
        for (int m = 0; m < in_ch; m++)
            for (int t = 0; t < kt; t++)
                for (int h = 0; h < kh; h++) {
                    const float wv = w[((c * in_ch + m) * kt + t) * kh + h];
                    const float *r = &in[(t * in_ch + m) * row + h];
                    for (int j = 0; j < height; j++) o[j] = fmaf(wv, r[j], o[j]);
                }
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
/* The 3x3 kernel compiled for FMA hardware (fmaf inline instead of a libm
 * call); fused results are exact, so the bits are the same either way. */
__attribute__((target("fma"))) static void conv_3x3_fma(float *out, const float *w, int in_ch,
                                                          int out_ch, const float *f0,
                                                          const float *f1, const float *f2,
                                                          int height, int hstride)
{
    conv_3x3(out, w, in_ch, out_ch, f0, f1, f2, height, hstride);
}
#define HAVE_CONV_FMA 1
#endif

static void add_bias(const df_conv2d *conv, float *out, int height, int hstride)
{
    for (int c = 0; c < conv->out_channels; c++) {
        float *o = &out[c * hstride];
        const float b = conv->bias[c];
        for (int j = 0; j < height; j++) o[j] += b;
    }
}

int df_compute_conv2d_3x3(const df_kernels *k, const df_conv2d *conv, float *out, const float *f0,
                          const float *f1, const float *f2, int height, int hstride,
                          int activation)
{
    if (conv->ktime != 3 || conv->kheight != 3) return -1;
#ifdef DF_HAVE_X86
    if (k->isa == DF_ISA_AVX2 || k->isa == DF_ISA_AVX512)
        df_conv3x3_avx2(out, conv->weights, conv->bias, conv->in_channels, conv->out_channels, f0,
                        f1, f2, height, hstride);
    else
#endif
#ifdef DF_HAVE_NEON
    if (k->isa == DF_ISA_NEON || k->isa == DF_ISA_NEON_DOTPROD)
        df_conv3x3_neon(out, conv->weights, conv->bias, conv->in_channels, conv->out_channels, f0,
                        f1, f2, height, hstride);
    else
#endif
    {
#ifdef HAVE_CONV_FMA
        if (__builtin_cpu_supports("fma"))
            conv_3x3_fma(out, conv->weights, conv->in_channels, conv->out_channels, f0, f1, f2,
                         height, hstride);
        else
#endif
            conv_3x3(out, conv->weights, conv->in_channels, conv->out_channels, f0, f1, f2, height,
                     hstride);
        if (conv->bias) add_bias(conv, out, height, hstride);
    }
    for (int c = 0; c < conv->out_channels; c++)
        k->activation(&out[c * hstride], &out[c * hstride], height, activation);
    return 0;
}

int df_compute_conv2d(const df_kernels *k, const df_conv2d *conv, float *out, float *mem,
                      const float *in, int height, int hstride, int activation)
{
    const int frame = conv->in_channels * (height + conv->kheight - 1);
    const int hist = (conv->ktime - 1) * frame;
    if (conv->ktime < 1 || conv->kheight < 1 || (long)conv->ktime * frame > DF_MAX_CONV2D_INPUTS)
        return -1;
    if (conv->ktime == 3 && conv->kheight == 3) {
        /* Read the two past frames straight from mem, then slide it. */
        df_compute_conv2d_3x3(k, conv, out, mem, mem + frame, in, height, hstride, activation);
        memmove(mem, mem + frame, (size_t)frame * sizeof(float));
        memcpy(mem + frame, in, (size_t)frame * sizeof(float));
        return 0;
    }
    float buf[DF_MAX_CONV2D_INPUTS];
    /* Oldest frames first, then the new one; the history slides by one frame. */
    memcpy(buf, mem, (size_t)hist * sizeof(float));
    memcpy(&buf[hist], in, (size_t)frame * sizeof(float));
    memcpy(mem, &buf[frame], (size_t)hist * sizeof(float));
    conv_generic(out, conv->weights, conv->in_channels, conv->out_channels, conv->ktime,
                 conv->kheight, buf, height, hstride);
    if (conv->bias) add_bias(conv, out, height, hstride);
    for (int c = 0; c < conv->out_channels; c++)
        k->activation(&out[c * hstride], &out[c * hstride], height, activation);
    return 0;
}
