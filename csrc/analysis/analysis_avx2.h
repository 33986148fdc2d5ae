/* Internal: AVX2 + FMA versions of the analysis's two heavy loops
 * (analysis_avx2.c).  Each produces exactly the bits of the portable code
 * in lpcnet_analysis.c; they are only called when the kernel table given
 * to df_analysis_frame is the AVX2 or AVX-512 one. */
#ifndef DREDFAST_ANALYSIS_AVX2_H
#define DREDFAST_ANALYSIS_AVX2_H

#include "fft320.h"
#include "../nnet/kernels.h"

/* The vectorised loops serve the AVX2 and AVX-512 kernel tables; k may be
 * NULL (portable code). */
#ifdef DF_HAVE_X86
#define DF_AN_USE_AVX2(k) ((k) && (k)->isa >= DF_ISA_AVX2)
#else
#define DF_AN_USE_AVX2(k) 0
#endif

/* Forward 320-point FFT in libopus's 5x4x4x4 operation order on split
 * re/im arrays.  in_re/in_im hold the already scaled input in natural order
 * and are used as scratch; out_re/out_im receive the output in natural
 * order.  With lpc_only, only out_re[0] and out_re[304..319] are valid (the
 * autocorrelation lags the LPC needs), the rest is not computed. */
void df_an_fft320_avx2(const df_an_fft_tw *tw, float *in_re, float *in_im, float *out_re,
                       float *out_im, int lpc_only);

/* out[k] = <x, y + k> for k < nlags in libopus's AVX2 pitch_xcorr order
 * (eight fused partial sums, reduced ((0+4)+(1+5))+((2+6)+(3+7))); n % 8 == 0. */
void df_an_xcorr_avx2(const float *x, const float *y, float *out, int n, int nlags);

/* res[i] = hist[16 + i] + sum of rtaps[j] hist[i + j], j < 16, for i < n,
 * in the portable fir_tap_sum's order (two alternating accumulators
 * starting from the sample and from 0, added at the end); n % 8 == 0. */
void df_an_fir16_avx2(float *res, const float *hist, const float *rtaps, int n);

/* The normalised cross-correlation of the pitch search, as the portable
 * loop: with the energy steps d_i = y[i+n]^2 - y[i]^2 (double) and the
 * running energy e_0 = e1, e_{i+1} = e_i + d_i (double, in order),
 * xc[i] = 2 c[i] / (float)(e0p1 + e_i) for i < nlags. */
void df_an_xcnorm_avx2(float *xc, const float *c, const float *y, int n, float e0p1, double e1,
                       int nlags);

/* if_feat[3 i - 2 .. 3 i] for bins 1 <= i < nbins: the unit phase advance
 * since the previous frame and the clamped log power, as the portable
 * loop.  Reads bins up to 8 ceil((nbins - 1) / 8) of all four arrays. */
void df_an_if_features_avx2(float *if_feat, const float *Xr, const float *Xi, const float *prev_re,
                            const float *prev_im, int nbins);

/* y[i] = log10 of x[i] through libopus's approximate log2, n % 8 == 0. */
void df_an_log10_avx2(float *y, const float *x, int n);

/* s[c] = sum over r < rows, in order, of v[r] * tab[r][c] (product, then
 * sum), for the 24 columns c of the padded DCT tables. */
void df_an_dct24_avx2(float *s, const float *v, const float (*tab)[24], int rows);

/* re[k] = scale * P[k] for k <= 160 and its mirror re[320 - k] = re[k]. */
void df_an_mirror_avx2(float *re, const float *P, float scale);

#endif
