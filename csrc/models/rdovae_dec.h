/* The DRED RDO-VAE decoder: turns the initial state and the latents (newest
 * first) into 4 feature frames of 20 values per latent.  One implementation
 * for every DRED format (see dred_format.h): the dimensions and which layers
 * exist come from the format it is bound with.
 *
 * Per latent a buffer is built by concatenation: dense1 (96), then for each
 * of 5 stages a GRU over the whole buffer so far, a GLU of its state, and a
 * kernel-2 conv (32 outputs) whose input is, in version 12, a dense
 * projection of the buffer (to 32) and, in version 10, the whole buffer.
 * The output layer maps the full buffer to 80 values.
 * The model is bound once from a blob and only read afterwards; all per-run
 * state lives in df_rdovae_dec_state on the caller's stack. */
#ifndef DREDFAST_RDOVAE_DEC_H
#define DREDFAST_RDOVAE_DEC_H

#include <stddef.h>
#include <stdint.h>

#include "../nnet/nnet.h"
#include "../weights/blob.h"
#include "../dred/dred_constants.h"
#include "../dred/dred_format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_RDOVAE_DEC_STAGES 5
#define DF_RDOVAE_DEC_MAX_GRU_UNITS DF_DRED_FORMAT_MAX_GRU_UNITS
#define DF_RDOVAE_DEC_CONV_OUT 32
#define DF_RDOVAE_DEC_DENSE1_OUT 96
#define DF_RDOVAE_DEC_HIDDEN 128
#define DF_RDOVAE_DEC_OUT (DF_DRED_FRAMES_PER_LATENT * DF_DRED_NUM_FEATURES)
#define DF_RDOVAE_DEC_MAX_BUFFER \
    (DF_RDOVAE_DEC_DENSE1_OUT + DF_RDOVAE_DEC_STAGES * (DF_RDOVAE_DEC_MAX_GRU_UNITS + DF_RDOVAE_DEC_CONV_OUT))

typedef struct {
    const df_dred_format *fmt;
    int latent_in;   /* inputs per latent (latent_dim, + 1 with the qlevel input) */
    int buffer_size; /* dense1 + 5 x (GRU units + conv outputs) */
    df_linear dense1;
    df_linear hidden_init;
    df_linear gru_init;
    df_linear gru_input[DF_RDOVAE_DEC_STAGES];
    df_linear gru_recurrent[DF_RDOVAE_DEC_STAGES];
    df_linear glu[DF_RDOVAE_DEC_STAGES];
    df_linear conv_dense[DF_RDOVAE_DEC_STAGES]; /* only with fmt->conv_dense */
    df_linear conv[DF_RDOVAE_DEC_STAGES];
    df_linear output;
} df_rdovae_dec_model;

typedef struct {
    float gru[DF_RDOVAE_DEC_STAGES][DF_RDOVAE_DEC_MAX_GRU_UNITS];
    /* conv_dense formats: each conv's previous (projected) input. */
    float conv[DF_RDOVAE_DEC_STAGES][DF_RDOVAE_DEC_CONV_OUT];
    /* whole-buffer formats: the previous latent's buffer, every conv's
     * previous input being a prefix of it, and its quantisation. */
    float prev[DF_RDOVAE_DEC_MAX_BUFFER];
    uint8_t prev_q[DF_RDOVAE_DEC_MAX_BUFFER];
} df_rdovae_dec_state;

/* Binds the decoder of format `fmt` (NULL: version 12). */
int df_rdovae_dec_bind_format(df_rdovae_dec_model *m, const df_blob *blob, const df_dred_format *fmt, char *err,
                              size_t errlen);
/* The version-12 (libopus 1.6) decoder. */
int df_rdovae_dec_bind(df_rdovae_dec_model *m, const df_blob *blob, char *err, size_t errlen);

/* Starts a run from the fmt->state_dim initial state values. */
void df_rdovae_dec_start(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                         const float *initial_state);
/* One latent (m->latent_in values) to 80 outputs: 4 frames x 20 features,
 * newest frame first. */
void df_rdovae_dec_step(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                        float *out, const float *latent);
/* Whole DRED: features[(4 * nb_latents) x 20], row 0 = newest frame.
 * Latent i starts at latents + i * latent_stride. */
void df_rdovae_decode_all(const df_rdovae_dec_model *m, const df_kernels *k, const float *initial_state,
                          const float *latents, int latent_stride, int nb_latents, float *features);

#ifdef __cplusplus
}
#endif

#endif
