/* The 320-point complex FFT of libopus's LPCNet analysis (kiss FFT,
 * factored 5 x 4 x 4 x 4, single precision), performing the same float
 * operations in the same order so that everything computed from it (the
 * analysis features, the PLC's Burg cepstrum) is reproduced to the bit.
 * Shared by the feature analysis and the Burg analysis; the AVX2 version of
 * the analysis (analysis_avx2.c) follows the same operation order. */
#ifndef DREDFAST_FFT320_H
#define DREDFAST_FFT320_H

#ifdef __cplusplus
extern "C" {
#endif

#define DF_FFT320_N 320

typedef struct {
    float r, i;
} df_cpx;

typedef struct {
    float twiddle[DF_FFT320_N][2]; /* exp(-2 pi i n / 320), float-rounded */
    short slot[DF_FFT320_N];       /* input position -> digit-reversed work slot */
} df_fft320;

void df_fft320_init(df_fft320 *t);
/* out = DFT(in) / 320 (out must not alias in). */
void df_fft320_forward(const df_fft320 *t, const df_cpx *in, df_cpx *out);

#ifdef __cplusplus
}
#endif

#endif
