#include "rdovae_dec.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../weights/bind.h"

#define LATENT_IN (DF_DRED_LATENT_DIM + 1)
#define STAGE_OUT (DF_RDOVAE_DEC_GRU_UNITS + DF_RDOVAE_DEC_CONV_OUT)
#define BUFFER_SIZE (DF_RDOVAE_DEC_DENSE1_OUT + DF_RDOVAE_DEC_STAGES * STAGE_OUT)

int df_rdovae_dec_bind(df_rdovae_dec_model *m, const df_blob *blob, char *err, size_t errlen)
{
    const int H = DF_RDOVAE_DEC_GRU_UNITS, C = DF_RDOVAE_DEC_CONV_OUT;
    char name[64];
    int s;
    memset(m, 0, sizeof(*m));
    if (df_bind_linear(blob, "dec_dense1", LATENT_IN, DF_RDOVAE_DEC_DENSE1_OUT, &m->dense1, err, errlen) ||
        df_bind_linear(blob, "dec_hidden_init", DF_DRED_STATE_DIM, 128, &m->hidden_init, err, errlen) ||
        df_bind_linear(blob, "dec_gru_init", 128, DF_RDOVAE_DEC_STAGES * H, &m->gru_init, err, errlen) ||
        df_bind_linear(blob, "dec_output", BUFFER_SIZE, DF_RDOVAE_DEC_OUT, &m->output, err, errlen))
        return -1;
    for (s = 0; s < DF_RDOVAE_DEC_STAGES; s++) {
        /* Stage s sees dense1's output and every earlier stage's outputs. */
        const int in = DF_RDOVAE_DEC_DENSE1_OUT + s * STAGE_OUT;
        snprintf(name, sizeof(name), "dec_gru%d_input", s + 1);
        if (df_bind_linear(blob, name, in, 3 * H, &m->gru_input[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_gru%d_recurrent", s + 1);
        if (df_bind_linear(blob, name, H, 3 * H, &m->gru_recurrent[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_glu%d", s + 1);
        if (df_bind_linear(blob, name, H, H, &m->glu[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_conv_dense%d", s + 1);
        if (df_bind_linear(blob, name, in + H, C, &m->conv_dense[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_conv%d", s + 1);
        if (df_bind_linear(blob, name, 2 * C, C, &m->conv[s], err, errlen)) return -1;
    }
    return 0;
}

void df_rdovae_dec_start(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                         const float *initial_state)
{
    float hidden[128];
    float init[DF_RDOVAE_DEC_STAGES * DF_RDOVAE_DEC_GRU_UNITS];
    df_compute_dense(k, &m->hidden_init, hidden, initial_state, DF_ACT_TANH);
    df_compute_dense(k, &m->gru_init, init, hidden, DF_ACT_TANH);
    memcpy(st->gru, init, sizeof(st->gru));
    memset(st->conv, 0, sizeof(st->conv));
}

void df_rdovae_dec_step(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                        float *out, const float *latent)
{
    /* buffer grows stage by stage and every later layer reads all of it;
     * bufq holds its int8-kernel quantisation, made once per segment. */
    float buffer[BUFFER_SIZE];
    uint8_t bufq[BUFFER_SIZE];
    float conv_in[DF_RDOVAE_DEC_CONV_OUT];
    int n = DF_RDOVAE_DEC_DENSE1_OUT, s;
    df_compute_dense(k, &m->dense1, buffer, latent, DF_ACT_TANH);
    k->quantize(bufq, buffer, n);
    for (s = 0; s < DF_RDOVAE_DEC_STAGES; s++) {
        df_compute_gru_xq(k, &m->gru_input[s], &m->gru_recurrent[s], st->gru[s], buffer, bufq);
        df_compute_glu(k, &m->glu[s], buffer + n, st->gru[s]);
        k->quantize(bufq + n, buffer + n, DF_RDOVAE_DEC_GRU_UNITS);
        n += DF_RDOVAE_DEC_GRU_UNITS;
        df_compute_dense_xq(k, &m->conv_dense[s], conv_in, buffer, bufq, DF_ACT_TANH);
        df_compute_conv1d(k, &m->conv[s], buffer + n, st->conv[s], conv_in, DF_RDOVAE_DEC_CONV_OUT, DF_ACT_TANH);
        k->quantize(bufq + n, buffer + n, DF_RDOVAE_DEC_CONV_OUT);
        n += DF_RDOVAE_DEC_CONV_OUT;
    }
    df_compute_dense_xq(k, &m->output, out, buffer, bufq, DF_ACT_LINEAR);
}

void df_rdovae_decode_all(const df_rdovae_dec_model *m, const df_kernels *k, const float *initial_state,
                          const float *latents, int nb_latents, float *features)
{
    df_rdovae_dec_state st;
    int i;
    df_rdovae_dec_start(m, k, &st, initial_state);
    for (i = 0; i < nb_latents; i++)
        df_rdovae_dec_step(m, k, &st, features + (size_t)i * DF_RDOVAE_DEC_OUT, latents + (size_t)i * LATENT_IN);
}
