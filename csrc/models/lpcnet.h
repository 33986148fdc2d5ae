/* LPCNet (FreeDV LPCNet 0.5, model "191005"): the sample-rate neural
 * vocoder.  Per 10 ms frame a frame-rate network turns the features into a
 * conditioning vector; per sample, GRU-A (384 units, 16x1 block-sparse
 * recurrent weights plus a diagonal) and GRU-B (16 units) read the last
 * excitation, the last sample and the LPC prediction (all mu-law), and a dual
 * fully-connected layer gives logits over the 256 mu-law excitation levels,
 * from which one is drawn; sample = LPC prediction + excitation, then
 * de-emphasis.
 *
 * Input per frame (df_lpcnet_frame): the 20 values FreeDV's network uses, in
 * its convention: 18 cepstra (column 0 with its -4 offset), the pitch feature
 * 0.01 * (period_in_half_samples - 200) and the pitch gain.  The network's
 * other 18 inputs (FreeDV feature columns 18-35) are always zero.
 *
 * Timing: the two feature convolutions look 2 frames ahead, so the audio a
 * frame returns is driven by the features given 2 frames earlier (the first
 * 2 frames after a reset are silent, as in FreeDV), 400 samples behind the
 * analysis of those features in all.
 *
 * The model is bound once and read-only (some arrays are rearranged at bind
 * time into the model struct); a stream's state, including its random
 * generator, is df_lpcnet_state.  No allocation per frame or sample. */
#ifndef DREDFAST_LPCNET_H
#define DREDFAST_LPCNET_H

#include <stddef.h>
#include <stdint.h>

#include "../nnet/nnet.h"
#include "../weights/blob.h"
#include "lpcnet_lpc.h"
#include "lpcnet_sample.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_LPCNET_FRAME 160
#define DF_LPCNET_FEATURES 20   /* what a frame takes: 18 cepstra, pitch, gain */
#define DF_LPCNET_NET_INPUTS 38 /* what the network reads (18 zeros inside) */
#define DF_LPCNET_PITCH_DIM 64
#define DF_LPCNET_COND 128
#define DF_LPCNET_GRU_A 384
#define DF_LPCNET_GRU_B 16
#define DF_LPCNET_DELAY 2       /* frames of look-ahead of the feature convolutions */

typedef struct {
    const float *embed_pitch; /* 256 x 64 */
    df_linear conv1, conv2, dense1, dense2, gru_a_feature;
    /* 256 x 1152 each: the mu-law value's row, already multiplied through
     * GRU-A's input matrix. */
    const float *embed_sig, *embed_pred, *embed_exc;
    const float *gru_a_rbias; /* 1152 recurrent bias */
    const float *gru_a_diag;  /* 1152 */
    const float *gru_a_w;     /* 16x1 blocks */
    const int32_t *gru_a_idx;
    df_linear gru_b_cond;     /* the 128 conditioning inputs of GRU-B (+ input bias), once per frame */
    df_linear gru_b_rec;      /* 16 -> 48 (+ recurrent bias) */
    df_linear dual_fc;        /* 16 -> 2 x 256 */
    const float *dual_fc_factor;
    /* GRU-B's 384 GRU-A inputs as a 16x1 "sparse" matrix listing every
     * input, so it runs through the same kernel as GRU-A. */
    float gru_b_w[DF_LPCNET_GRU_A * 3 * DF_LPCNET_GRU_B];
    int32_t gru_b_idx[3 * (1 + DF_LPCNET_GRU_A)];
    float ulaw2lin[DF_LPCNET_LEVELS];
    df_lpcnet_lpc_tables lpc_tables;
} df_lpcnet_model;

typedef struct {
    /* frame rate */
    float conv1_mem[2 * (DF_LPCNET_NET_INPUTS + DF_LPCNET_PITCH_DIM)];
    float conv2_mem[2 * DF_LPCNET_COND];
    float old_lpc[DF_LPCNET_DELAY][DF_LPCNET_ORDER];
    float old_gain[DF_LPCNET_DELAY];
    int frame_count;
    float cond_a[3 * DF_LPCNET_GRU_A]; /* GRU-A input from the conditioning (incl. input bias) */
    float cond_b[3 * DF_LPCNET_GRU_B]; /* GRU-B input from the conditioning (incl. input bias) */
    /* sample rate */
    float gru_a[DF_LPCNET_GRU_A];
    float gru_b[DF_LPCNET_GRU_B];
    float last_sig[DF_LPCNET_ORDER]; /* pre-emphasised signal, newest first, int16 scale */
    int last_exc;
    float deemph_mem;
    df_rng rng;
} df_lpcnet_state;

int df_lpcnet_bind(df_lpcnet_model *m, const df_blob *blob, char *err, size_t errlen);
/* Fresh stream (FreeDV's start-up: 2 silent frames), generator seeded. */
void df_lpcnet_reset(df_lpcnet_state *st, uint64_t seed);
/* One frame of 20 features to 160 samples (float, int16 scale / 32768). */
void df_lpcnet_frame(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *features,
                     float *pcm);
/* Puts the stream in the state it would have if it had been fed
 * features[0..nframes) and had produced pcm (the last npcm_frames * 160
 * samples of output, float in [-1, 1], i.e. the outputs of the last
 * npcm_frames of those feature frames): the frame-rate state follows the
 * features and GRU-A/GRU-B run teacher-forced on the real audio.  Needs
 * nframes >= npcm_frames; 4 more feature frames than audio frames fill the
 * convolutions completely.  The generator is left as it is. */
void df_lpcnet_prime(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *pcm,
                     int npcm_frames, const float *features, int nframes);
/* Teacher-forced evaluation (tests): like prime with nframes features and
 * the audio of the last npcm_frames, writing for each of those samples the
 * probability that the sampler gives to the excitation level that the audio
 * actually has (logp: natural log of it, -inf when it is under the floor). */
void df_lpcnet_teacher_forced(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *pcm,
                              int npcm_frames, const float *features, int nframes, float *logp);

#ifdef __cplusplus
}
#endif

#endif
