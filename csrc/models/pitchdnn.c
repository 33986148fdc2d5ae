/* PitchDNN forward pass; see pitchdnn.h.
 *
 * Two branches meet in the downsampler: the IF features go through two
 * dense tanh layers, the cross-correlation vector is treated as a one-row
 * "image" whose time axis is the frame sequence, filtered by two 3x3
 * conv2d layers (frequency padded by one zero on each side, so the output
 * keeps 224 lags).  A GRU then tracks the pitch over time and a final
 * layer scores 180 pitch bins (1/60 octave each).  The estimate is the
 * softmax-weighted mean bin around the best one (+-2 bins), which gives
 * sub-bin resolution while ignoring far-away octave candidates. */
#include <math.h>
#include <string.h>
#include "pitchdnn.h"
#include "../weights/bind.h"

#define XROW (DF_PITCH_NB_XCORR + 2)   /* padded lag row */

static int bind_conv(const df_blob *blob, const char *w, const char *b, int in_ch, int out_ch,
                     df_conv2d *c, char *err, size_t errlen)
{
    const void *pw, *pb;
    if (df_bind_array(blob, w, DF_TYPE_FLOAT, out_ch * in_ch * 9, &pw, err, errlen) ||
        df_bind_array(blob, b, DF_TYPE_FLOAT, out_ch, &pb, err, errlen))
        return -1;
    c->weights = (const float *)pw;
    c->bias = (const float *)pb;
    c->in_channels = in_ch;
    c->out_channels = out_ch;
    c->ktime = 3;
    c->kheight = 3;
    return 0;
}

int df_pitchdnn_bind(df_pitchdnn_model *m, const df_blob *blob, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (df_bind_linear(blob, "dense_if_upsampler_1", DF_PITCH_IF_FEATURES, DF_PITCHDNN_IF_HIDDEN,
                       &m->if_up1, err, errlen) ||
        df_bind_linear(blob, "dense_if_upsampler_2", DF_PITCHDNN_IF_HIDDEN, DF_PITCHDNN_IF_HIDDEN,
                       &m->if_up2, err, errlen) ||
        df_bind_linear(blob, "dense_downsampler", DF_PITCH_NB_XCORR + DF_PITCHDNN_IF_HIDDEN,
                       DF_PITCHDNN_GRU, &m->downsampler, err, errlen) ||
        df_bind_linear(blob, "gru_1_input", DF_PITCHDNN_GRU, 3 * DF_PITCHDNN_GRU, &m->gru_in, err,
                       errlen) ||
        df_bind_linear(blob, "gru_1_recurrent", DF_PITCHDNN_GRU, 3 * DF_PITCHDNN_GRU, &m->gru_rec,
                       err, errlen) ||
        df_bind_linear(blob, "dense_final_upsampler", DF_PITCHDNN_GRU, DF_PITCHDNN_OUT,
                       &m->final_up, err, errlen) ||
        bind_conv(blob, "conv2d_1_weight_float", "conv2d_1_bias", 1, 4, &m->conv1, err, errlen) ||
        bind_conv(blob, "conv2d_2_weight_float", "conv2d_2_bias", 4, 1, &m->conv2, err, errlen))
        return -1;
    return 0;
}

void df_pitchdnn_reset(df_pitchdnn_state *st) { memset(st, 0, sizeof(*st)); }

float df_pitchdnn_compute(const df_pitchdnn_model *m, const df_kernels *k, df_pitchdnn_state *st,
                          const float *if_features, const float *xcorr_features)
{
    float if_hidden[DF_PITCHDNN_IF_HIDDEN];
    /* downsampler input: conv output (224 lags) then the IF branch (64) */
    float down_in[DF_PITCH_NB_XCORR + DF_PITCHDNN_IF_HIDDEN];
    float down_out[DF_PITCHDNN_GRU];
    float scores[DF_PITCHDNN_OUT];
    /* ring frames: the new one goes where the oldest was */
    const int now = (int)((unsigned)st->slot % 3u), old1 = (now + 1) % 3, old2 = (now + 2) % 3;
    st->slot = old1;

    df_compute_dense(k, &m->if_up1, if_hidden, if_features, DF_ACT_TANH);
    df_compute_dense(k, &m->if_up2, &down_in[DF_PITCH_NB_XCORR], if_hidden, DF_ACT_TANH);

    memcpy(&st->in1[now][1], xcorr_features, DF_PITCH_NB_XCORR * sizeof(float));
    df_compute_conv2d_3x3(k, &m->conv1, &st->in2[now][1], st->in1[old1], st->in1[old2],
                          st->in1[now], DF_PITCH_NB_XCORR, XROW, DF_ACT_TANH);
    df_compute_conv2d_3x3(k, &m->conv2, down_in, st->in2[old1], st->in2[old2], st->in2[now],
                          DF_PITCH_NB_XCORR, DF_PITCH_NB_XCORR, DF_ACT_TANH);

    df_compute_dense(k, &m->downsampler, down_out, down_in, DF_ACT_TANH);
    df_compute_gru(k, &m->gru_in, &m->gru_rec, st->gru, down_out);
    df_compute_dense(k, &m->final_up, scores, st->gru, DF_ACT_LINEAR);

    /* Best bin (first one on ties), then the exp-weighted mean over its
     * +-2 neighbourhood.  exp is taken in double like libopus (float input
     * promoted), the sums are kept in float as there. */
    int best = 0;
    float bestv = -1.f;
    for (int i = 0; i < DF_PITCHDNN_BINS; i++)
        if (scores[i] > bestv) {
            best = i;
            bestv = scores[i];
        }
    float wsum = 0.f, norm = 0.f;
    int lo = best - 2 < 0 ? 0 : best - 2;
    int hi = best + 2 > DF_PITCHDNN_BINS - 1 ? DF_PITCHDNN_BINS - 1 : best + 2;
    for (int i = lo; i <= hi; i++) {
        float p = (float)exp((double)scores[i]);
        wsum += p * (float)i;
        norm += p;
    }
    return (float)((1.f / 60.f) * (wsum / norm) - 1.5);
}
