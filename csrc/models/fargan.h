/* FARGAN, the neural vocoder of Opus 1.6: 20 acoustic features per 10 ms in,
 * 160 samples of 16 kHz speech out, continuing from real past audio.
 * The model is bound once and read-only; a stream's state is df_fargan_state
 * (no allocation per frame). */
#ifndef DREDFAST_FARGAN_H
#define DREDFAST_FARGAN_H

#include <stddef.h>

#include "../nnet/nnet.h"
#include "../weights/blob.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_FARGAN_FRAME 160       /* samples per feature frame */
#define DF_FARGAN_SUBFRAME 40
#define DF_FARGAN_SUBFRAMES 4
#define DF_FARGAN_CONT_SAMPLES 320 /* history fargan_cont needs */
#define DF_FARGAN_CONT_FRAMES 5    /* feature frames fargan_cont needs */
#define DF_FARGAN_FEATURES 20
#define DF_FARGAN_PITCH_MAX 256
#define DF_FARGAN_COND 80          /* conditioning per subframe */

typedef struct {
    const float *pembed; /* 224 x 12 pitch embedding */
    df_linear cond_fdense1, cond_fconv1, cond_fdense2;
    df_linear cond_gain, fwc0_conv, fwc0_glu, gain_out;
    df_linear gru_input[3], gru_recurrent[3], gru_glu[3];
    df_linear skip_dense, skip_glu, sig_out;
} df_fargan_model;

typedef struct {
    float cond_conv1_mem[2 * 64];
    float fwc0_mem[164];
    float gru1[160], gru2[128], gru3[128];
    float pitch_buf[DF_FARGAN_PITCH_MAX];
    float deemph_mem;
    int last_period;
    int primed;
} df_fargan_state;

int df_fargan_bind(df_fargan_model *m, const df_blob *blob, char *err, size_t errlen);
void df_fargan_reset(df_fargan_state *st);
/* libopus's fargan_cont: starts from 320 samples of past audio (float, in
 * [-1, 1]) and the 5 feature frames that go with them. */
void df_fargan_prime(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *pcm,
                     const float *features);
/* Exactly libopus's fargan_cont: like df_fargan_prime but without clearing
 * the state first, so the recurrent states, the oldest part of the pitch
 * buffer and the first conv memory carry over from the previous synthesis.
 * libopus's deep PLC re-primes its one FARGAN this way at every loss burst. */
void df_fargan_continue(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *pcm,
                        const float *features);
/* One feature frame to 160 samples; the state must be primed. */
void df_fargan_frame(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *features,
                     float *pcm);
/* The first nsub (1..4) subframes of a frame: for a continuation whose state is
 * thrown away afterwards (the state is then mid-frame: not for going on). */
void df_fargan_frame_head(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *features,
                          float *pcm, int nsub);

#ifdef __cplusplus
}
#endif

#endif
