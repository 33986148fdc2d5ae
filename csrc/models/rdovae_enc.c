#include "rdovae_enc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../weights/bind.h"

#define STAGE_OUT (DF_RDOVAE_ENC_GRU_UNITS + DF_RDOVAE_ENC_CONV_OUT)
#define BUFFER_SIZE (DF_RDOVAE_ENC_DENSE1_OUT + DF_RDOVAE_ENC_STAGES * STAGE_OUT)
#define ZDENSE_OUT 32  /* 25 used */
#define GDENSE1_OUT 128
#define GDENSE2_OUT 56 /* 50 used */

int df_rdovae_enc_bind(df_rdovae_enc_model *m, const df_blob *blob, char *err, size_t errlen)
{
    const int H = DF_RDOVAE_ENC_GRU_UNITS, C = DF_RDOVAE_ENC_CONV_OUT;
    char name[64];
    int s;
    memset(m, 0, sizeof(*m));
    if (df_bind_linear(blob, "enc_dense1", 2 * DF_DRED_NUM_FEATURES, DF_RDOVAE_ENC_DENSE1_OUT, &m->dense1, err, errlen) ||
        df_bind_linear(blob, "enc_zdense", BUFFER_SIZE, ZDENSE_OUT, &m->zdense, err, errlen) ||
        df_bind_linear(blob, "gdense1", BUFFER_SIZE, GDENSE1_OUT, &m->gdense1, err, errlen) ||
        df_bind_linear(blob, "gdense2", GDENSE1_OUT, GDENSE2_OUT, &m->gdense2, err, errlen))
        return -1;
    for (s = 0; s < DF_RDOVAE_ENC_STAGES; s++) {
        const int in = DF_RDOVAE_ENC_DENSE1_OUT + s * STAGE_OUT;
        snprintf(name, sizeof(name), "enc_gru%d_input", s + 1);
        if (df_bind_linear(blob, name, in, 3 * H, &m->gru_input[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "enc_gru%d_recurrent", s + 1);
        if (df_bind_linear(blob, name, H, 3 * H, &m->gru_recurrent[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "enc_conv_dense%d", s + 1);
        if (df_bind_linear(blob, name, in + H, C, &m->conv_dense[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "enc_conv%d", s + 1);
        if (df_bind_linear(blob, name, 2 * C, C, &m->conv[s], err, errlen)) return -1;
    }
    return 0;
}

void df_rdovae_enc_reset(df_rdovae_enc_state *st)
{
    memset(st, 0, sizeof(*st));
}

void df_rdovae_enc_step(const df_rdovae_enc_model *m, const df_kernels *k, df_rdovae_enc_state *st,
                        const float *features, float *latent, float *initial_state)
{
    /* As in the decoder: buffer grows stage by stage, bufq is its int8
     * quantisation, made once per segment. */
    float buffer[BUFFER_SIZE];
    uint8_t bufq[BUFFER_SIZE];
    float conv_in[DF_RDOVAE_ENC_CONV_OUT];
    float padded_latent[ZDENSE_OUT];
    float hidden[GDENSE1_OUT];
    float padded_state[GDENSE2_OUT];
    int n = DF_RDOVAE_ENC_DENSE1_OUT, s;
    df_compute_dense(k, &m->dense1, buffer, features, DF_ACT_TANH);
    k->quantize(bufq, buffer, n);
    for (s = 0; s < DF_RDOVAE_ENC_STAGES; s++) {
        df_compute_gru_xq(k, &m->gru_input[s], &m->gru_recurrent[s], st->gru[s], buffer, bufq);
        memcpy(buffer + n, st->gru[s], sizeof(st->gru[s]));
        k->quantize(bufq + n, buffer + n, DF_RDOVAE_ENC_GRU_UNITS);
        n += DF_RDOVAE_ENC_GRU_UNITS;
        df_compute_dense_xq(k, &m->conv_dense[s], conv_in, buffer, bufq, DF_ACT_TANH);
        df_compute_conv1d_dilated(k, &m->conv[s], buffer + n, st->conv[s], conv_in, DF_RDOVAE_ENC_CONV_OUT,
                                  s == 0 ? 1 : 2, DF_ACT_TANH);
        k->quantize(bufq + n, buffer + n, DF_RDOVAE_ENC_CONV_OUT);
        n += DF_RDOVAE_ENC_CONV_OUT;
    }
    df_compute_dense_xq(k, &m->zdense, padded_latent, buffer, bufq, DF_ACT_LINEAR);
    memcpy(latent, padded_latent, DF_DRED_LATENT_DIM * sizeof(float));
    df_compute_dense_xq(k, &m->gdense1, hidden, buffer, bufq, DF_ACT_TANH);
    df_compute_dense(k, &m->gdense2, padded_state, hidden, DF_ACT_LINEAR);
    memcpy(initial_state, padded_state, DF_DRED_STATE_DIM * sizeof(float));
}
