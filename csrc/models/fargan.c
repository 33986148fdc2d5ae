#include "fargan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../weights/bind.h"

#define PEMBED_ROWS 224
#define PEMBED_DIM 12
#define COND_TOTAL (DF_FARGAN_SUBFRAMES * DF_FARGAN_COND)
#define SIG_IN (DF_FARGAN_COND + 2 * DF_FARGAN_SUBFRAME + 4) /* 164 */
#define FWC0_OUT 192
#define DEEMPHASIS 0.85f

int df_fargan_bind(df_fargan_model *m, const df_blob *blob, char *err, size_t errlen)
{
    static const int units[3] = {160, 128, 128};
    static const int gru_in[3] = {FWC0_OUT + 2 * DF_FARGAN_SUBFRAME, 160 + 2 * DF_FARGAN_SUBFRAME,
                                  128 + 2 * DF_FARGAN_SUBFRAME};
    const void *p;
    char name[64];
    int i;
    memset(m, 0, sizeof(*m));
    if (df_bind_array(blob, "cond_net_pembed_weights_float", DF_TYPE_FLOAT, PEMBED_ROWS * PEMBED_DIM, &p, err, errlen))
        return -1;
    m->pembed = (const float *)p;
    if (df_bind_linear(blob, "cond_net_fdense1", DF_FARGAN_FEATURES + PEMBED_DIM, 64, &m->cond_fdense1, err, errlen) ||
        df_bind_linear(blob, "cond_net_fconv1", 3 * 64, 128, &m->cond_fconv1, err, errlen) ||
        df_bind_linear(blob, "cond_net_fdense2", 128, COND_TOTAL, &m->cond_fdense2, err, errlen) ||
        df_bind_linear(blob, "sig_net_cond_gain_dense", DF_FARGAN_COND, 1, &m->cond_gain, err, errlen) ||
        df_bind_linear(blob, "sig_net_fwc0_conv", 2 * SIG_IN, FWC0_OUT, &m->fwc0_conv, err, errlen) ||
        df_bind_linear(blob, "sig_net_fwc0_glu_gate", FWC0_OUT, FWC0_OUT, &m->fwc0_glu, err, errlen) ||
        df_bind_linear(blob, "sig_net_gain_dense_out", FWC0_OUT, 4, &m->gain_out, err, errlen) ||
        df_bind_linear(blob, "sig_net_skip_dense", 160 + 128 + 128 + FWC0_OUT + 2 * DF_FARGAN_SUBFRAME, 128,
                       &m->skip_dense, err, errlen) ||
        df_bind_linear(blob, "sig_net_skip_glu_gate", 128, 128, &m->skip_glu, err, errlen) ||
        df_bind_linear(blob, "sig_net_sig_dense_out", 128, DF_FARGAN_SUBFRAME, &m->sig_out, err, errlen))
        return -1;
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "sig_net_gru%d_input", i + 1);
        if (df_bind_linear_nobias(blob, name, gru_in[i], 3 * units[i], &m->gru_input[i], err, errlen)) return -1;
        snprintf(name, sizeof(name), "sig_net_gru%d_recurrent", i + 1);
        if (df_bind_linear_nobias(blob, name, units[i], 3 * units[i], &m->gru_recurrent[i], err, errlen)) return -1;
        snprintf(name, sizeof(name), "sig_net_gru%d_glu_gate", i + 1);
        if (df_bind_linear(blob, name, units[i], units[i], &m->gru_glu[i], err, errlen)) return -1;
    }
    return 0;
}

void df_fargan_reset(df_fargan_state *st)
{
    memset(st, 0, sizeof(*st));
}

/* Pitch period in samples from the pitch feature, as libopus computes it
 * (double precision, so the rounding matches). */
static int period_of(const float *features)
{
    double p = floor(.5 + 256. / pow(2.f, ((1. / 60.) * ((features[18] + 1.5) * 60))));
    /* Real features give 32..256; only keep absurd input (NaN, huge pitch
     * values) from breaking the period arithmetic below. */
    if (!(p >= 1.)) p = 1.;
    if (p > 1e6) p = 1e6;
    return (int)p;
}

static void compute_cond(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, float *cond,
                         const float *features, int period)
{
    float dense_in[DF_FARGAN_FEATURES + PEMBED_DIM];
    float conv_in[64];
    float dense2_in[128];
    int row = period - 32;
    row = row < 0 ? 0 : row > PEMBED_ROWS - 1 ? PEMBED_ROWS - 1 : row;
    memcpy(dense_in, features, DF_FARGAN_FEATURES * sizeof(float));
    memcpy(dense_in + DF_FARGAN_FEATURES, m->pembed + row * PEMBED_DIM, PEMBED_DIM * sizeof(float));
    df_compute_dense(k, &m->cond_fdense1, conv_in, dense_in, DF_ACT_TANH);
    df_compute_conv1d(k, &m->cond_fconv1, dense2_in, st->cond_conv1_mem, conv_in, 64, DF_ACT_TANH);
    df_compute_dense(k, &m->cond_fdense2, cond, dense2_in, DF_ACT_TANH);
}

/* One subframe.  gain_lin: this subframe's gain layer output (before exp);
 * with next_cond, the next subframe's is computed too, beside a product of
 * this one (an 80-FMA chain that would otherwise idle on its latency). */
static void run_subframe(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, float *pcm,
                         const float *cond, int period, float gain_lin, const float *next_cond, float *next_gain_lin)
{
    float fwc0_in[SIG_IN];
    float gru1_in[FWC0_OUT + 2 * DF_FARGAN_SUBFRAME];
    float gru2_in[160 + 2 * DF_FARGAN_SUBFRAME];
    float gru3_in[128 + 2 * DF_FARGAN_SUBFRAME];
    float skip_cat[160 + 128 + 128 + FWC0_OUT + 2 * DF_FARGAN_SUBFRAME];
    float skip_out[128];
    float pred[DF_FARGAN_SUBFRAME + 4], prev[DF_FARGAN_SUBFRAME];
    float pitch_gate[4];
    float recur[3 * 160];
    df_side_dense side;
    float gain, gain_1;
    int i, pos;

    gain = (float)exp(gain_lin);
    gain_1 = 1.f / (1e-5f + gain);

    /* Long-term prediction: the last period of the (pre-emphasised) output,
     * repeated, normalised by the frame gain. */
    pos = DF_FARGAN_PITCH_MAX - period - 2;
    for (i = 0; i < DF_FARGAN_SUBFRAME + 4; i++) {
        float v = gain_1 * st->pitch_buf[pos < 0 ? 0 : pos];
        pred[i] = v > 1.f ? 1.f : v < -1.f ? -1.f : v;
        if (++pos == DF_FARGAN_PITCH_MAX) pos -= period;
    }
    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) {
        float v = gain_1 * st->pitch_buf[DF_FARGAN_PITCH_MAX - DF_FARGAN_SUBFRAME + i];
        prev[i] = v < -1.f ? -1.f : v > 1.f ? 1.f : v;
    }
    memcpy(fwc0_in, cond, DF_FARGAN_COND * sizeof(float));
    memcpy(fwc0_in + DF_FARGAN_COND, pred, sizeof(pred));
    memcpy(fwc0_in + DF_FARGAN_COND + DF_FARGAN_SUBFRAME + 4, prev, sizeof(prev));

    df_compute_conv1d(k, &m->fwc0_conv, gru1_in, st->fwc0_mem, fwc0_in, SIG_IN, DF_ACT_TANH);
    df_compute_glu(k, &m->fwc0_glu, gru1_in, gru1_in);
    /* The pitch gates are four chains of 192 FMAs, idle on their latency;
     * they run beside the first GRU's recurrent product, which does not
     * need them (its input product does). */
    side.layer = &m->gain_out;
    side.in = gru1_in;
    side.out = pitch_gate;
    df_linear_side(k, &m->gru_recurrent[0], recur, st->gru1, &side);
    k->activation(pitch_gate, pitch_gate, 4, DF_ACT_SIGMOID);

    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) gru1_in[FWC0_OUT + i] = pitch_gate[0] * pred[i + 2];
    memcpy(gru1_in + FWC0_OUT + DF_FARGAN_SUBFRAME, prev, sizeof(prev));
    df_gru_finish(k, &m->gru_input[0], st->gru1, gru1_in, NULL, recur);
    df_compute_glu(k, &m->gru_glu[0], gru2_in, st->gru1);

    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) gru2_in[160 + i] = pitch_gate[1] * pred[i + 2];
    memcpy(gru2_in + 160 + DF_FARGAN_SUBFRAME, prev, sizeof(prev));
    side.layer = &m->cond_gain;
    side.in = next_cond;
    side.out = next_gain_lin;
    df_linear_side(k, &m->gru_recurrent[1], recur, st->gru2, next_cond ? &side : NULL);
    df_gru_finish(k, &m->gru_input[1], st->gru2, gru2_in, NULL, recur);
    df_compute_glu(k, &m->gru_glu[1], gru3_in, st->gru2);

    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) gru3_in[128 + i] = pitch_gate[2] * pred[i + 2];
    memcpy(gru3_in + 128 + DF_FARGAN_SUBFRAME, prev, sizeof(prev));
    df_compute_gru(k, &m->gru_input[2], &m->gru_recurrent[2], st->gru3, gru3_in);
    df_compute_glu(k, &m->gru_glu[2], skip_cat + 160 + 128, st->gru3);

    /* Skip connection: every stage's output, the gated prediction, the past. */
    memcpy(skip_cat, gru2_in, 160 * sizeof(float));
    memcpy(skip_cat + 160, gru3_in, 128 * sizeof(float));
    memcpy(skip_cat + 160 + 128 + 128, gru1_in, FWC0_OUT * sizeof(float));
    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) skip_cat[160 + 128 + 128 + FWC0_OUT + i] = pitch_gate[3] * pred[i + 2];
    memcpy(skip_cat + 160 + 128 + 128 + FWC0_OUT + DF_FARGAN_SUBFRAME, prev, sizeof(prev));
    df_compute_dense(k, &m->skip_dense, skip_out, skip_cat, DF_ACT_TANH);
    df_compute_glu(k, &m->skip_glu, skip_out, skip_out);
    df_compute_dense(k, &m->sig_out, pcm, skip_out, DF_ACT_TANH);
    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) pcm[i] *= gain;

    memmove(st->pitch_buf, st->pitch_buf + DF_FARGAN_SUBFRAME,
            (DF_FARGAN_PITCH_MAX - DF_FARGAN_SUBFRAME) * sizeof(float));
    memcpy(st->pitch_buf + DF_FARGAN_PITCH_MAX - DF_FARGAN_SUBFRAME, pcm, DF_FARGAN_SUBFRAME * sizeof(float));
    for (i = 0; i < DF_FARGAN_SUBFRAME; i++) {
        pcm[i] += DEEMPHASIS * st->deemph_mem;
        st->deemph_mem = pcm[i];
    }
}

void df_fargan_prime(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *pcm,
                     const float *features)
{
    df_fargan_reset(st);
    df_fargan_continue(m, k, st, pcm, features);
}

void df_fargan_continue(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *pcm,
                        const float *features)
{
    float cond[COND_TOTAL];
    float x0[DF_FARGAN_CONT_SAMPLES];
    float dummy[DF_FARGAN_SUBFRAME];
    float gain_lin;
    int i, period = 0;
    for (i = 0; i < DF_FARGAN_CONT_FRAMES; i++) {
        st->last_period = period;
        period = period_of(features + i * DF_FARGAN_FEATURES);
        compute_cond(m, k, st, cond, features + i * DF_FARGAN_FEATURES, period);
    }
    x0[0] = 0;
    for (i = 1; i < DF_FARGAN_CONT_SAMPLES; i++)
        x0[i] = pcm[i] - DEEMPHASIS * pcm[i - 1];
    memcpy(st->pitch_buf + DF_FARGAN_PITCH_MAX - DF_FARGAN_FRAME, x0, DF_FARGAN_FRAME * sizeof(float));
    st->primed = 1;
    /* Run the signal network over the second half of the history so its
     * state follows the real audio, then put the real audio back. */
    k->linear(&m->cond_gain, &gain_lin, cond);
    for (i = 0; i < DF_FARGAN_SUBFRAMES; i++) {
        run_subframe(m, k, st, dummy, cond + i * DF_FARGAN_COND, st->last_period, gain_lin,
                     i + 1 < DF_FARGAN_SUBFRAMES ? cond + (i + 1) * DF_FARGAN_COND : NULL, &gain_lin);
        memcpy(st->pitch_buf + DF_FARGAN_PITCH_MAX - DF_FARGAN_SUBFRAME,
               x0 + DF_FARGAN_FRAME + i * DF_FARGAN_SUBFRAME, DF_FARGAN_SUBFRAME * sizeof(float));
    }
    st->deemph_mem = pcm[DF_FARGAN_CONT_SAMPLES - 1];
}

void df_fargan_frame(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *features,
                     float *pcm)
{
    df_fargan_frame_head(m, k, st, features, pcm, DF_FARGAN_SUBFRAMES);
}

void df_fargan_frame_head(const df_fargan_model *m, const df_kernels *k, df_fargan_state *st, const float *features,
                          float *pcm, int nsub)
{
    float cond[COND_TOTAL];
    float gain_lin;
    const int period = period_of(features);
    int s;
    if (nsub < 1) nsub = 1;
    if (nsub > DF_FARGAN_SUBFRAMES) nsub = DF_FARGAN_SUBFRAMES;
    compute_cond(m, k, st, cond, features, period);
    k->linear(&m->cond_gain, &gain_lin, cond);
    for (s = 0; s < nsub; s++)
        run_subframe(m, k, st, pcm + s * DF_FARGAN_SUBFRAME, cond + s * DF_FARGAN_COND, st->last_period, gain_lin,
                     s + 1 < nsub ? cond + (s + 1) * DF_FARGAN_COND : NULL, &gain_lin);
    st->last_period = period;
}
