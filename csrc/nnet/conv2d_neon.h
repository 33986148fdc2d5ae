/* Internal: the NEON version of the 3x3 conv2d (conv2d_neon.c), AArch64
 * only; the same contract as df_conv3x3_avx2 (conv2d_avx2.h). */
#ifndef DREDFAST_CONV2D_NEON_H
#define DREDFAST_CONV2D_NEON_H

/* out[c * hstride + j] = bias[c] + sum over channels m of the nine-term 3x3
 * sum on rows f0/f1/f2 (+ m * row), each output with the same float
 * operations, in the same order, as the portable conv_3x3 in conv2d.c.
 * bias may be NULL; row = height + 2. */
void df_conv3x3_neon(float *out, const float *w, const float *bias, int in_ch, int out_ch,
                     const float *f0, const float *f1, const float *f2, int height, int hstride);

#endif
