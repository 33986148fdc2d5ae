/* Deep packet-loss concealment of Opus 1.6.1 (dnn/lpcnet_plc.c,
 * LPCNetPLCState): the state machine libopus's SILK decoder drives at
 * 16 kHz, one 10 ms frame per call.
 *
 *   update(pcm)   a frame was decoded normally (or from LBRR): remember it.
 *   conceal(pcm)  a frame is lost: produce it.  The first call of a burst
 *                 re-analyses the remembered audio (features + Burg
 *                 cepstrum) to bring the PLC network up to date, predicts
 *                 two extra frames to prime FARGAN from the real past audio,
 *                 then every call predicts one feature frame (or takes a
 *                 queued DRED one), attenuates it as the loss goes on and
 *                 synthesises it with FARGAN.
 *   fec_clear / fec_add   the DRED feature queue (NULL = "skip": predict
 *                 that frame instead).
 *   steer(target) dredfast's look-ahead (not in libopus): the predicted
 *                 frames of this burst are pulled towards the features of a
 *                 frame known to follow the gap (see steer_features).
 *
 * The model (all networks and tables) is read-only and shared; the state
 * holds everything per stream, has no pointers and never allocates.
 * Numerics follow libopus's x86 AVX2 build (see nnet.h), so with the same
 * inputs the concealed frames are libopus's, sample for sample. */
#ifndef DREDFAST_DEEP_PLC_H
#define DREDFAST_DEEP_PLC_H

#include <stddef.h>
#include <stdint.h>

#include "../analysis/burg.h"
#include "../analysis/lpcnet_analysis.h"
#include "../models/fargan.h"
#include "../models/plc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_DPLC_FRAME 160
#define DF_DPLC_FEATURES 20
#define DF_DPLC_CONT_VECTORS 5
#define DF_DPLC_BUF (15 * DF_DPLC_FRAME) /* (CONT_VECTORS + 10) frames of history */
#define DF_DPLC_MAX_FEC 104
#define DF_DPLC_MAX_HOLD 50 /* steered gaps up to this many 10 ms frames are not faded out */

typedef struct {
    df_plc_model plc;
    df_fargan_model fargan;
    df_analysis_model analysis;
    df_burg_model burg;
} df_deep_plc_model;

typedef struct {
    df_fargan_state fargan;
    df_analysis_state enc;                 /* libopus's LPCNetEncState of the PLC */
    float fec[DF_DPLC_MAX_FEC][DF_DPLC_FEATURES];
    int fec_read_pos, fec_fill_pos, fec_skip;
    int analysis_gap;  /* 1: the analysis has lost track (history skipped) */
    int analysis_pos;  /* next history sample the analysis has to look at */
    int predict_pos;   /* history before this was already fed to the network */
    int blend;         /* 1: the last call was a concealment */
    int loss_count;
    int primed;        /* 1: the burst's start already ran (df_deep_plc_prepare) */
    /* dredfast (not in libopus): at most this many network steps over the
     * history at a burst's start, on its newest frames (0: every frame the
     * network has not seen, as libopus).  The analysis still runs over all
     * of them. */
    int max_catchup;
    /* Look-ahead steering: the predicted features are pulled towards `steer`,
     * the features of a frame after the gap, reached steer_at concealed
     * frames from now (of steer_total when it was set); -1: off. */
    int steer_at, steer_total;
    float steer[DF_DPLC_FEATURES];
    /* history, in [-1, 1]: 15 frames as a ring of whole frames (libopus
     * shifts its buffer by a frame on every frame); the oldest is at
     * pcm[pcm_head * 160] */
    float pcm[DF_DPLC_BUF];
    int pcm_head;
    float features[DF_DPLC_FEATURES];      /* last frame given to FARGAN */
    float cont_features[DF_DPLC_CONT_VECTORS * DF_DPLC_FEATURES];
    df_plc_net net;
    df_plc_net backup[2];                  /* network state 2 and 1 steps back */
} df_deep_plc_state;

/* Binds plc, fargan and pitchdnn records.  0, or -1 with err. */
int df_deep_plc_model_init(df_deep_plc_model *m, const df_blob *blob, char *err, size_t errlen);
/* A fresh stream (libopus's lpcnet_plc_init). */
void df_deep_plc_init(df_deep_plc_state *st);
/* libopus's lpcnet_plc_reset (what OPUS_RESET_STATE does): forgets the
 * history, queue, network and analysis state but keeps FARGAN's state. */
void df_deep_plc_reset(df_deep_plc_state *st);
/* One decoded 10 ms frame, 160 samples in int16 scale. */
void df_deep_plc_update(df_deep_plc_state *st, const int16_t *pcm);
/* One concealed 10 ms frame (160 int16 samples). */
void df_deep_plc_conceal(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st, int16_t *pcm);
/* The same frame with only its first n samples synthesised (FARGAN subframes
 * up to n; the rest of pcm is 0): for a look past the end of a gap on a copy
 * of the state that is then discarded -- the state is left mid-frame. */
void df_deep_plc_conceal_head(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st, int16_t *pcm,
                              int n);
/* Runs the start of a burst (history analysis, network catch-up, FARGAN
 * priming) before the first concealed frame, so that the analysis state is
 * at the end of the history; the next conceal does not run it again. */
void df_deep_plc_prepare(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st);
/* Steers the predicted features of this burst towards `target` (20
 * features), reached `at` concealed frames from now (0: the next one) and
 * held after that; NULL turns steering off (as does the next update).
 * Queued DRED frames are not steered. */
void df_deep_plc_steer(df_deep_plc_state *st, const float *target, int at);
void df_deep_plc_fec_clear(df_deep_plc_state *st);
/* Queues one feature frame (20 values) or, with NULL, a skip.  Returns -1
 * (and queues nothing) when the queue already holds DF_DPLC_MAX_FEC frames. */
int df_deep_plc_fec_add(df_deep_plc_state *st, const float *features);

#ifdef __cplusplus
}
#endif
#endif
