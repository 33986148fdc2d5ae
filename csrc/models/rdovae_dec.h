/* The DRED RDO-VAE decoder of Opus 1.6: turns the initial state and the
 * latents (newest first) into 4 feature frames of 20 values per latent.
 * The model is bound once from a blob and only read afterwards; all
 * per-run state lives in df_rdovae_dec_state on the caller's stack. */
#ifndef DREDFAST_RDOVAE_DEC_H
#define DREDFAST_RDOVAE_DEC_H

#include <stddef.h>

#include "../nnet/nnet.h"
#include "../weights/blob.h"
#include "../dred/dred_constants.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_RDOVAE_DEC_STAGES 5
#define DF_RDOVAE_DEC_GRU_UNITS 64
#define DF_RDOVAE_DEC_CONV_OUT 32
#define DF_RDOVAE_DEC_DENSE1_OUT 96
#define DF_RDOVAE_DEC_OUT (DF_DRED_FRAMES_PER_LATENT * DF_DRED_NUM_FEATURES)

typedef struct {
    df_linear dense1;
    df_linear hidden_init;
    df_linear gru_init;
    df_linear gru_input[DF_RDOVAE_DEC_STAGES];
    df_linear gru_recurrent[DF_RDOVAE_DEC_STAGES];
    df_linear glu[DF_RDOVAE_DEC_STAGES];
    df_linear conv_dense[DF_RDOVAE_DEC_STAGES];
    df_linear conv[DF_RDOVAE_DEC_STAGES];
    df_linear output;
} df_rdovae_dec_model;

typedef struct {
    float gru[DF_RDOVAE_DEC_STAGES][DF_RDOVAE_DEC_GRU_UNITS];
    float conv[DF_RDOVAE_DEC_STAGES][DF_RDOVAE_DEC_CONV_OUT];
} df_rdovae_dec_state;

int df_rdovae_dec_bind(df_rdovae_dec_model *m, const df_blob *blob, char *err, size_t errlen);

/* Starts a run from the 50-value initial state. */
void df_rdovae_dec_start(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                         const float *initial_state);
/* One latent (25 values + qlevel/8 - 1) to 80 outputs: 4 frames x 20
 * features, newest frame first. */
void df_rdovae_dec_step(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                        float *out, const float *latent);
/* Whole DRED: features[(4 * nb_latents) x 20], row 0 = newest frame. */
void df_rdovae_decode_all(const df_rdovae_dec_model *m, const df_kernels *k, const float *initial_state,
                          const float *latents, int nb_latents, float *features);

#ifdef __cplusplus
}
#endif

#endif
