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

/* Twiddle tables of the vectorised 320-point FFT (analysis_avx2.c), made
 * from the same float twiddles the portable FFT uses (W = exp(-2 pi i/320)). */
typedef struct {
    float c[3][4][2];     /* W^(20 q k3), q = 1..3, k3 < 4: second radix-4 pass */
    float b[3][2][16];    /* W^(5 q k), k < 16: third radix-4 pass, per lane */
    float a[4][2][64];    /* W^(q k), k < 64: radix-5 pass, per lane */
    float r5[2][2];       /* W^64, W^128: the radix-5 roots */
} df_an_fft_tw;

void df_fft320_init(df_fft320 *t);
void df_an_fft_tw_init(df_an_fft_tw *tw, const df_fft320 *t);
/* out = DFT(in) / 320 (out must not alias in). */
void df_fft320_forward(const df_fft320 *t, const df_cpx *in, df_cpx *out);

#ifdef __cplusplus
}
#endif

#endif
