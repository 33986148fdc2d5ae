#include "rdovae_dec.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../weights/bind.h"

int df_rdovae_dec_bind(df_rdovae_dec_model *m, const df_blob *blob, char *err, size_t errlen)
{
    return df_rdovae_dec_bind_format(m, blob, NULL, err, errlen);
}

int df_rdovae_dec_bind_format(df_rdovae_dec_model *m, const df_blob *blob, const df_dred_format *fmt, char *err,
                              size_t errlen)
{
    const int C = DF_RDOVAE_DEC_CONV_OUT;
    char name[64];
    int s, H;
    memset(m, 0, sizeof(*m));
    if (!fmt) fmt = df_dred_format_get(12);
    H = fmt->gru_units;
    if (H <= 0 || H > DF_RDOVAE_DEC_MAX_GRU_UNITS || fmt->latent_dim > DF_DRED_LATENT_DIM ||
        fmt->state_dim > DF_DRED_STATE_DIM) {
        if (err && errlen) snprintf(err, errlen, "unsupported DRED format");
        return -1;
    }
    m->fmt = fmt;
    m->latent_in = fmt->latent_dim + (fmt->qlevel_input ? 1 : 0);
    m->buffer_size = DF_RDOVAE_DEC_DENSE1_OUT + DF_RDOVAE_DEC_STAGES * (H + C);
    if (df_bind_linear(blob, "dec_dense1", m->latent_in, DF_RDOVAE_DEC_DENSE1_OUT, &m->dense1, err, errlen) ||
        df_bind_linear(blob, "dec_hidden_init", fmt->state_dim, DF_RDOVAE_DEC_HIDDEN, &m->hidden_init, err,
                       errlen) ||
        df_bind_linear(blob, "dec_gru_init", DF_RDOVAE_DEC_HIDDEN, DF_RDOVAE_DEC_STAGES * H, &m->gru_init, err,
                       errlen) ||
        df_bind_linear(blob, "dec_output", m->buffer_size, DF_RDOVAE_DEC_OUT, &m->output, err, errlen))
        return -1;
    for (s = 0; s < DF_RDOVAE_DEC_STAGES; s++) {
        /* Stage s's GRU sees dense1's output and every earlier stage's
         * outputs; its conv sees that plus the GLU output. */
        const int in = DF_RDOVAE_DEC_DENSE1_OUT + s * (H + C);
        snprintf(name, sizeof(name), "dec_gru%d_input", s + 1);
        if (df_bind_linear(blob, name, in, 3 * H, &m->gru_input[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_gru%d_recurrent", s + 1);
        if (df_bind_linear(blob, name, H, 3 * H, &m->gru_recurrent[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_glu%d", s + 1);
        if (df_bind_linear(blob, name, H, H, &m->glu[s], err, errlen)) return -1;
        snprintf(name, sizeof(name), "dec_conv%d", s + 1);
        if (fmt->conv_dense) {
            if (df_bind_linear(blob, name, 2 * C, C, &m->conv[s], err, errlen)) return -1;
            snprintf(name, sizeof(name), "dec_conv_dense%d", s + 1);
            if (df_bind_linear(blob, name, in + H, C, &m->conv_dense[s], err, errlen)) return -1;
        } else {
            if (df_bind_linear(blob, name, 2 * (in + H), C, &m->conv[s], err, errlen)) return -1;
        }
    }
    return 0;
}

void df_rdovae_dec_start(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                         const float *initial_state)
{
    const int H = m->fmt->gru_units;
    float hidden[DF_RDOVAE_DEC_HIDDEN];
    float init[DF_RDOVAE_DEC_STAGES * DF_RDOVAE_DEC_MAX_GRU_UNITS];
    int s;
    df_compute_dense(k, &m->hidden_init, hidden, initial_state, DF_ACT_TANH);
    df_compute_dense(k, &m->gru_init, init, hidden, DF_ACT_TANH);
    /* gru_init's outputs are the five states in order. */
    for (s = 0; s < DF_RDOVAE_DEC_STAGES; s++)
        memcpy(st->gru[s], init + s * H, (size_t)H * sizeof(float));
    /* Convs start from zero inputs (libopus zeroes their memory before the
     * first latent). */
    if (m->fmt->conv_dense) {
        memset(st->conv, 0, sizeof(st->conv));
    } else {
        memset(st->prev, 0, (size_t)m->buffer_size * sizeof(float));
        k->quantize(st->prev_q, st->prev, m->buffer_size);
    }
}

void df_rdovae_dec_step(const df_rdovae_dec_model *m, const df_kernels *k, df_rdovae_dec_state *st,
                        float *out, const float *latent)
{
    /* buffer grows stage by stage and every later layer reads all of it;
     * bufq holds its int8-kernel quantisation, made once per segment. */
    const int H = m->fmt->gru_units;
    float buffer[DF_RDOVAE_DEC_MAX_BUFFER];
    uint8_t bufq[DF_RDOVAE_DEC_MAX_BUFFER];
    float conv_in[DF_RDOVAE_DEC_CONV_OUT];
    int n = DF_RDOVAE_DEC_DENSE1_OUT, s;
    df_compute_dense(k, &m->dense1, buffer, latent, DF_ACT_TANH);
    k->quantize(bufq, buffer, n);
    for (s = 0; s < DF_RDOVAE_DEC_STAGES; s++) {
        df_compute_gru_xq(k, &m->gru_input[s], &m->gru_recurrent[s], st->gru[s], buffer, bufq);
        df_compute_glu(k, &m->glu[s], buffer + n, st->gru[s]);
        k->quantize(bufq + n, buffer + n, H);
        n += H;
        if (m->fmt->conv_dense) {
            df_compute_dense_xq(k, &m->conv_dense[s], conv_in, buffer, bufq, DF_ACT_TANH);
            df_compute_conv1d(k, &m->conv[s], buffer + n, st->conv[s], conv_in, DF_RDOVAE_DEC_CONV_OUT,
                              DF_ACT_TANH);
        } else {
            df_compute_conv2_xq(k, &m->conv[s], buffer + n, st->prev, st->prev_q, buffer, bufq, n, DF_ACT_TANH);
        }
        k->quantize(bufq + n, buffer + n, DF_RDOVAE_DEC_CONV_OUT);
        n += DF_RDOVAE_DEC_CONV_OUT;
    }
    df_compute_dense_xq(k, &m->output, out, buffer, bufq, DF_ACT_LINEAR);
    if (!m->fmt->conv_dense) {
        /* Each conv's next previous input is a prefix of this buffer. */
        memcpy(st->prev, buffer, (size_t)n * sizeof(float));
        memcpy(st->prev_q, bufq, (size_t)n);
    }
}

void df_rdovae_decode_all(const df_rdovae_dec_model *m, const df_kernels *k, const float *initial_state,
                          const float *latents, int latent_stride, int nb_latents, float *features)
{
    df_rdovae_dec_state st;
    int i;
    df_rdovae_dec_start(m, k, &st, initial_state);
    for (i = 0; i < nb_latents; i++)
        df_rdovae_dec_step(m, k, &st, features + (size_t)i * DF_RDOVAE_DEC_OUT,
                           latents + (size_t)i * (size_t)latent_stride);
}
