/* The DRED RDO-VAE encoder of Opus 1.6: every 20 ms, two feature frames in,
 * one 25-value latent (covering the last 40 ms) and the 50-value initial
 * state of the decoder out.  Bound once from a blob, read-only afterwards;
 * the recurrent state of one stream lives in df_rdovae_enc_state. */
#ifndef DREDFAST_RDOVAE_ENC_H
#define DREDFAST_RDOVAE_ENC_H

#include <stddef.h>

#include "../nnet/nnet.h"
#include "../weights/blob.h"
#include "../dred/dred_constants.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_RDOVAE_ENC_STAGES 5
#define DF_RDOVAE_ENC_GRU_UNITS 32
#define DF_RDOVAE_ENC_CONV_OUT 64
#define DF_RDOVAE_ENC_DENSE1_OUT 64

typedef struct {
    df_linear dense1;
    df_linear gru_input[DF_RDOVAE_ENC_STAGES];
    df_linear gru_recurrent[DF_RDOVAE_ENC_STAGES];
    df_linear conv_dense[DF_RDOVAE_ENC_STAGES];
    df_linear conv[DF_RDOVAE_ENC_STAGES];
    df_linear zdense;
    df_linear gdense1;
    df_linear gdense2;
} df_rdovae_enc_model;

typedef struct {
    float gru[DF_RDOVAE_ENC_STAGES][DF_RDOVAE_ENC_GRU_UNITS];
    /* Stage 0 has dilation 1 (one frame of memory), the others dilation 2. */
    float conv[DF_RDOVAE_ENC_STAGES][2 * DF_RDOVAE_ENC_CONV_OUT];
} df_rdovae_enc_state;

int df_rdovae_enc_bind(df_rdovae_enc_model *m, const df_blob *blob, char *err, size_t errlen);
void df_rdovae_enc_reset(df_rdovae_enc_state *st);
/* features: 2 x 20 (older frame first); latent: 25; initial_state: 50. */
void df_rdovae_enc_step(const df_rdovae_enc_model *m, const df_kernels *k, df_rdovae_enc_state *st,
                        const float *features, float *latent, float *initial_state);

#ifdef __cplusplus
}
#endif

#endif
