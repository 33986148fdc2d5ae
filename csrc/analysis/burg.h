/* Burg cepstral analysis of Opus 1.6.1 (dnn/freq.c burg_cepstral_analysis,
 * dnn/burg.c): the deep PLC network's view of the spectrum of a 10 ms frame.
 * Each 5 ms half is pre-emphasised, fitted with a 16th-order LPC model by
 * Burg's method, and the model's power spectrum is turned into an 18-band
 * log cepstrum like the acoustic features.  Output: 18 values = mean of
 * the two halves' cepstra, then 18 = their difference.
 *
 * Only tables live in df_burg_model (read-only after init); the analysis
 * itself has no state. */
#ifndef DREDFAST_BURG_H
#define DREDFAST_BURG_H

#include "fft320.h"
#include "../nnet/nnet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_BURG_FRAME 160
#define DF_BURG_BANDS 18
#define DF_BURG_ORDER 16
#define DF_BURG_NFFT 320
#define DF_BURG_OUT (2 * DF_BURG_BANDS)

typedef struct {
    df_fft320 fft;                    /* the analysis's 320-point FFT tables */
    df_an_fft_tw fft_tw;              /* the same twiddles per SIMD lane (AVX2 FFT) */
    float dct[DF_BURG_BANDS * DF_BURG_BANDS]; /* [band][coefficient] */
    double bw[DF_BURG_ORDER];         /* .995^(i+1): the inverse filter's bandwidth expansion */
} df_burg_model;

void df_burg_model_init(df_burg_model *m);
/* x: 160 samples in int16 scale; out: 36 values.  k: the kernel table in
 * use (its ISA picks the FFT; every path gives the same bits), or NULL for
 * the portable code. */
void df_burg_cepstrum(const df_burg_model *m, const df_kernels *k, const float *x, float *out);

/* Burg's method as libopus's float SILK code runs it (double accumulators,
 * float products where libopus has them).  x holds nb_subfr subframes of
 * subfr_length samples; A receives `order` coefficients; returns the
 * residual energy.  subfr_length * nb_subfr <= 384, order <= 16. */
float df_burg_lpc(float *A, const float *x, float min_inv_gain, int subfr_length, int nb_subfr, int order);

#ifdef __cplusplus
}
#endif
#endif
