/* PitchDNN (Opus 1.6.1 dnn/pitchdnn.c model): estimates the pitch of a
 * 10 ms frame from 88 "instantaneous frequency" features and 224 normalised
 * cross-correlations (lags 32..255).  Weights are bound from a DNNw blob;
 * the model is read-only, all per-stream memory lives in df_pitchdnn_state. */
#ifndef DREDFAST_PITCHDNN_H
#define DREDFAST_PITCHDNN_H
#include <stddef.h>
#include "../nnet/nnet.h"
#include "../nnet/conv2d.h"
#include "../weights/blob.h"
#ifdef __cplusplus
extern "C" {
#endif

#define DF_PITCH_MIN_PERIOD 32
#define DF_PITCH_MAX_PERIOD 256
#define DF_PITCH_NB_XCORR (DF_PITCH_MAX_PERIOD - DF_PITCH_MIN_PERIOD) /* 224 */
#define DF_PITCH_IF_FEATURES 88
#define DF_PITCHDNN_IF_HIDDEN 64
#define DF_PITCHDNN_GRU 64
#define DF_PITCHDNN_OUT 192     /* the last layer's width; only 180 bins are used */
#define DF_PITCHDNN_BINS 180

typedef struct {
    df_linear if_up1, if_up2;         /* 88 -> 64 -> 64, tanh */
    df_conv2d conv1, conv2;           /* 1 -> 4 -> 1 channels, 3x3, tanh */
    df_linear downsampler;            /* 224 + 64 -> 64, tanh */
    df_linear gru_in, gru_rec;        /* 64 units */
    df_linear final_up;               /* 64 -> 192, linear */
} df_pitchdnn_model;

typedef struct {
    float gru[DF_PITCHDNN_GRU];
    /* The conv layers' last three input frames as rings (frame `slot` is
     * overwritten next): the padded lag row, and the first conv's four
     * padded output rows, which it writes in place.  The padding cells are
     * never written, so they stay the zeros of the reset. */
    float in1[3][DF_PITCH_NB_XCORR + 2];
    float in2[3][4 * (DF_PITCH_NB_XCORR + 2)];
    int slot;
} df_pitchdnn_state;

/* Binds the layers from a blob holding pitchdnn's records.  0 or -1 + err. */
int df_pitchdnn_bind(df_pitchdnn_model *m, const df_blob *blob, char *err, size_t errlen);
void df_pitchdnn_reset(df_pitchdnn_state *st);
/* Returns the pitch value p (period = 256 / 2^(p + 1.5) samples). */
float df_pitchdnn_compute(const df_pitchdnn_model *m, const df_kernels *k, df_pitchdnn_state *st,
                          const float *if_features, const float *xcorr_features);

#ifdef __cplusplus
}
#endif
#endif
