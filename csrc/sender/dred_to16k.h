/* The DRED encoder's own conversion of the Opus encoder's input to 16 kHz
 * mono (libopus 1.6.1 dnn/dred_encoder.c, dred_convert_to_16k): the channels
 * are averaged and rounded to int16 (as FLOAT2INT16), the signal is
 * zero-stuffed to 48 kHz (16 kHz for 8 kHz input), low-passed by a
 * 7th-order elliptic IIR designed for that rate and decimated by 3.  DRED's
 * features, and so its latents, are computed from this signal, so it has to
 * be the same filter in the same float arithmetic to give libopus's
 * integers.  16 kHz input is only rounded. */
#ifndef DREDFAST_DRED_TO16K_H
#define DREDFAST_DRED_TO16K_H

#include "voip_highpass.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest chunk df_to16k_run takes: 20 ms (320 samples at 16 kHz). */
#define DF_TO16K_MAX_OUT 320
#define DF_TO16K_ORDER 7

typedef struct {
    int fs;       /* input rate: 8000, 12000, 16000, 24000 or 48000 */
    int channels; /* 1 or 2 (interleaved) */
    float mem[DF_TO16K_ORDER];
} df_to16k;

/* 0, or -1 when the rate or channel count is not one libopus's DRED takes. */
int df_to16k_init(df_to16k *st, int fs, int channels);
void df_to16k_reset(df_to16k *st);
/* n input samples per channel (n * 16000 / fs whole, at most DF_TO16K_MAX_OUT),
 * in [-1, 1] scale, to n * 16000 / fs output samples in int16 scale
 * (integers plus libopus's 1e-30). */
void df_to16k_run(df_to16k *st, const float *in, int n, float *out);
/* The same at 48 kHz with the VOIP high-pass (hp: one state per channel) run
 * first, in one pass: the high-pass and low-pass recurrences then overlap in
 * the CPU instead of running one after the other (same arithmetic, same
 * result as df_highpass_run then df_to16k_run).  Returns -1 (nothing done)
 * unless the input is 48 kHz. */
int df_to16k_run_highpass(df_to16k *st, df_highpass hp[2], int cutoff_hz, const float *in, int n, float *out);

#ifdef __cplusplus
}
#endif

#endif
