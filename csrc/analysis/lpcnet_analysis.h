/* LPCNet feature analysis of Opus 1.6.1 (dnn/lpcnet_enc.c,
 * lpcnet_compute_single_frame_features): per 10 ms frame of 16 kHz speech,
 * 18 band cepstral coefficients, the PitchDNN pitch and a pitch correlation,
 * plus the 16 LPC coefficients derived from the cepstrum.
 *
 * df_analysis_model is read-only after init (PitchDNN layers bound from a
 * blob, plus window / DCT / DFT tables) and can be shared; every stream has
 * its own df_analysis_state.  Nothing is allocated per frame. */
#ifndef DREDFAST_LPCNET_ANALYSIS_H
#define DREDFAST_LPCNET_ANALYSIS_H
#include <stddef.h>
#include "../models/pitchdnn.h"
#include "fft320.h"
#include "analysis_avx2.h"
#ifdef __cplusplus
extern "C" {
#endif

#define DF_AN_FRAME 160
#define DF_AN_WINDOW 320
#define DF_AN_OVERLAP 160
#define DF_AN_BANDS 18
#define DF_AN_LPC 16
#define DF_AN_FEATURES 20
#define DF_AN_FREQ (DF_AN_WINDOW / 2 + 1)
#define DF_AN_IF_BINS 30
#define DF_AN_DCT_PAD 24   /* DCT rows padded with zeros to whole SIMD vectors */

typedef struct {
    df_pitchdnn_model pitch;
    float half_window[DF_AN_OVERLAP];
    float dct[DF_AN_BANDS][DF_AN_DCT_PAD];  /* [band][coefficient]: cepstrum from bands */
    float idct[DF_AN_BANDS][DF_AN_DCT_PAD]; /* [coefficient][band]: the transpose */
    df_fft320 fft;                          /* twiddles and digit-reversal of the FFT */
    df_an_fft_tw fft_tw;                    /* the same twiddles, per SIMD lane */
    float bin_frac[DF_AN_FREQ - 1];         /* position of each bin inside its band, j / width */
} df_analysis_model;

typedef struct {
    float preemph_mem;
    float analysis_mem[DF_AN_OVERLAP];       /* last 160 pre-emphasised samples */
    /* previous frame's low bins; the SIMD loop reads whole vectors past
     * bin 29, hence the (never used) padding */
    float prev_re[DF_AN_IF_BINS + 10];
    float prev_im[DF_AN_IF_BINS + 10];
    float pitch_mem[DF_AN_LPC];              /* LPC filter history */
    float pitch_filt;                        /* last residual sample */
    float exc_buf[DF_PITCH_MAX_PERIOD + DF_AN_FRAME];
    float lp_buf[DF_PITCH_MAX_PERIOD + DF_AN_FRAME];
    float lp_mem[2];                         /* biquad state */
    df_pitchdnn_state pitchdnn;
} df_analysis_state;

/* 0, or -1 with err filled when the blob lacks a valid PitchDNN. */
int df_analysis_model_init(df_analysis_model *m, const df_blob *blob, char *err, size_t errlen);
void df_analysis_state_init(df_analysis_state *st);
/* One 10 ms frame: pcm160 in int16 scale (not pre-emphasised).  Writes 20
 * features; lpc16 may be NULL. */
void df_analysis_frame(const df_analysis_model *m, const df_kernels *k, df_analysis_state *st,
                       const float *pcm160, float *features20, float *lpc16);

/* Sizes for foreign callers (ctypes) that allocate the objects themselves. */
size_t df_analysis_model_size(void);
size_t df_analysis_state_size(void);

#ifdef __cplusplus
}
#endif
#endif
