/* The per-element GRU maths below is plain C compiled with the vectoriser
 * and no FP contraction (setup.py), the same on every CPU path, so all
 * paths give the same bits and, with one seed, the same samples. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif
#include "lpcnet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../weights/bind.h"

#define NA DF_LPCNET_GRU_A
#define NB DF_LPCNET_GRU_B
#define CONV1_IN (DF_LPCNET_NET_INPUTS + DF_LPCNET_PITCH_DIM) /* 102 */
#define PITCH_ROWS 256
#define PREEMPH 0.85f
#define PDF_FLOOR 0.002f
#define FRAME_COUNT_CAP 1000

/* ---- binding ------------------------------------------------------------ */

static int bind_f(const df_blob *blob, const char *name, int count, const float **out, char *err, size_t errlen)
{
    const void *p;
    if (df_bind_array(blob, name, DF_TYPE_FLOAT, count, &p, err, errlen)) return -1;
    *out = (const float *)p;
    return 0;
}

/* The descriptor's integer fields (<layer>_dims) must be the shape we run. */
static int check_dims(const df_blob *blob, const char *layer, const int32_t *want, int n, char *err, size_t errlen)
{
    char name[64];
    const void *p;
    int i;
    snprintf(name, sizeof(name), "%s_dims", layer);
    if (df_bind_array(blob, name, DF_TYPE_INT32, n, &p, err, errlen)) return -1;
    for (i = 0; i < n; i++) {
        if (((const int32_t *)p)[i] != want[i]) {
            snprintf(err, errlen, "weight record '%s': field %d is %d, expected %d", name, i,
                     (int)((const int32_t *)p)[i], (int)want[i]);
            return -1;
        }
    }
    return 0;
}

/* LPCNet's float dense/conv layers: <layer>_bias and <layer>_input_weights
 * (input-major, the df_linear float layout). */
static int bind_dense(const df_blob *blob, const char *layer, int nin, int nout, df_linear *l, char *err,
                      size_t errlen)
{
    char name[64];
    memset(l, 0, sizeof(*l));
    l->nb_inputs = nin;
    l->nb_outputs = nout;
    snprintf(name, sizeof(name), "%s_bias", layer);
    if (bind_f(blob, name, nout, &l->bias, err, errlen)) return -1;
    snprintf(name, sizeof(name), "%s_input_weights", layer);
    return bind_f(blob, name, nin * nout, &l->float_weights, err, errlen);
}

/* 16x1 index: 72 groups, each a count then that many state indices; every
 * index in range and the weights consumed exactly. */
static int check_idx16(const int32_t *idx, long n, int groups, int nin, long nweights, const char *name, char *err,
                       size_t errlen)
{
    long pos = 0, blocks = 0;
    int g, b;
    for (g = 0; g < groups; g++) {
        int32_t cnt;
        if (pos >= n) {
            snprintf(err, errlen, "weight record '%s' ends before output group %d", name, g);
            return -1;
        }
        cnt = idx[pos++];
        if (cnt < 0 || cnt > nin || cnt > n - pos) {
            snprintf(err, errlen, "weight record '%s': group %d has an invalid block count %d", name, g, (int)cnt);
            return -1;
        }
        for (b = 0; b < cnt; b++) {
            if (idx[pos] < 0 || idx[pos] >= nin) {
                snprintf(err, errlen, "weight record '%s': input index %d out of range", name, (int)idx[pos]);
                return -1;
            }
            pos++;
        }
        blocks += cnt;
    }
    if (pos != n || 16 * blocks != nweights) {
        snprintf(err, errlen, "weight record '%s' does not match the %ld recurrent weights", name, nweights);
        return -1;
    }
    return 0;
}

int df_lpcnet_bind(df_lpcnet_model *m, const df_blob *blob, char *err, size_t errlen)
{
    static const int32_t d_pitch[2] = {PITCH_ROWS, DF_LPCNET_PITCH_DIM};
    static const int32_t d_conv1[4] = {CONV1_IN, 3, DF_LPCNET_COND, DF_ACT_TANH};
    static const int32_t d_conv2[4] = {DF_LPCNET_COND, 3, DF_LPCNET_COND, DF_ACT_TANH};
    static const int32_t d_dense[3] = {DF_LPCNET_COND, DF_LPCNET_COND, DF_ACT_TANH};
    static const int32_t d_feat[3] = {DF_LPCNET_COND, 3 * NA, DF_ACT_LINEAR};
    static const int32_t d_embed[2] = {DF_LPCNET_LEVELS, 3 * NA};
    static const int32_t d_gru_a[3] = {NA, DF_ACT_TANH, 1};
    static const int32_t d_gru_b[4] = {NA + DF_LPCNET_COND, NB, DF_ACT_TANH, 1};
    static const int32_t d_dual[4] = {NB, DF_LPCNET_LEVELS, 2, 4 /* softmax: identity here, see the sampler */};
    const float *gru_a_bias, *gru_b_bias, *gru_b_in, *gru_b_rec_w, *dual_bias, *dual_w;
    const df_record *r;
    const void *p;
    int g, j, i;

    memset(m, 0, sizeof(*m));
    if (check_dims(blob, "embed_pitch", d_pitch, 2, err, errlen) ||
        check_dims(blob, "feature_conv1", d_conv1, 4, err, errlen) ||
        check_dims(blob, "feature_conv2", d_conv2, 4, err, errlen) ||
        check_dims(blob, "feature_dense1", d_dense, 3, err, errlen) ||
        check_dims(blob, "feature_dense2", d_dense, 3, err, errlen) ||
        check_dims(blob, "gru_a_dense_feature", d_feat, 3, err, errlen) ||
        check_dims(blob, "gru_a_embed_sig", d_embed, 2, err, errlen) ||
        check_dims(blob, "gru_a_embed_pred", d_embed, 2, err, errlen) ||
        check_dims(blob, "gru_a_embed_exc", d_embed, 2, err, errlen) ||
        check_dims(blob, "sparse_gru_a", d_gru_a, 3, err, errlen) ||
        check_dims(blob, "gru_b", d_gru_b, 4, err, errlen) || check_dims(blob, "dual_fc", d_dual, 4, err, errlen))
        return -1;
    if (bind_f(blob, "embed_pitch_embedding_weights", PITCH_ROWS * DF_LPCNET_PITCH_DIM, &m->embed_pitch, err,
               errlen) ||
        bind_dense(blob, "feature_conv1", 3 * CONV1_IN, DF_LPCNET_COND, &m->conv1, err, errlen) ||
        bind_dense(blob, "feature_conv2", 3 * DF_LPCNET_COND, DF_LPCNET_COND, &m->conv2, err, errlen) ||
        bind_dense(blob, "feature_dense1", DF_LPCNET_COND, DF_LPCNET_COND, &m->dense1, err, errlen) ||
        bind_dense(blob, "feature_dense2", DF_LPCNET_COND, DF_LPCNET_COND, &m->dense2, err, errlen) ||
        bind_dense(blob, "gru_a_dense_feature", DF_LPCNET_COND, 3 * NA, &m->gru_a_feature, err, errlen) ||
        bind_f(blob, "gru_a_embed_sig_embedding_weights", DF_LPCNET_LEVELS * 3 * NA, &m->embed_sig, err, errlen) ||
        bind_f(blob, "gru_a_embed_pred_embedding_weights", DF_LPCNET_LEVELS * 3 * NA, &m->embed_pred, err,
               errlen) ||
        bind_f(blob, "gru_a_embed_exc_embedding_weights", DF_LPCNET_LEVELS * 3 * NA, &m->embed_exc, err, errlen) ||
        bind_f(blob, "sparse_gru_a_bias", 6 * NA, &gru_a_bias, err, errlen) ||
        bind_f(blob, "sparse_gru_a_diag_weights", 3 * NA, &m->gru_a_diag, err, errlen) ||
        bind_f(blob, "gru_b_bias", 6 * NB, &gru_b_bias, err, errlen) ||
        bind_f(blob, "gru_b_input_weights", (NA + DF_LPCNET_COND) * 3 * NB, &gru_b_in, err, errlen) ||
        bind_f(blob, "gru_b_recurrent_weights", NB * 3 * NB, &gru_b_rec_w, err, errlen) ||
        bind_f(blob, "dual_fc_bias", 2 * DF_LPCNET_LEVELS, &dual_bias, err, errlen) ||
        bind_f(blob, "dual_fc_input_weights", NB * 2 * DF_LPCNET_LEVELS, &dual_w, err, errlen) ||
        bind_f(blob, "dual_fc_factor", 2 * DF_LPCNET_LEVELS, &m->dual_fc_factor, err, errlen))
        return -1;
    m->gru_a_rbias = gru_a_bias + 3 * NA;

    /* GRU-A's sparse recurrent matrix: any length, checked against its index. */
    r = df_blob_find(blob, "sparse_gru_a_recurrent_weights");
    if (!r || r->type != DF_TYPE_FLOAT || r->size % 64 != 0) {
        snprintf(err, errlen, "weight record 'sparse_gru_a_recurrent_weights' missing or not 16-float blocks");
        return -1;
    }
    m->gru_a_w = (const float *)r->data;
    {
        const df_record *ri = df_blob_find(blob, "sparse_gru_a_idx");
        if (!ri || ri->type != DF_TYPE_INT32) {
            snprintf(err, errlen, "weight record 'sparse_gru_a_idx' missing or not int32");
            return -1;
        }
        if (check_idx16((const int32_t *)ri->data, ri->size / 4, 3 * NA / 16, NA, r->size / 4, ri->name, err,
                        errlen))
            return -1;
        m->gru_a_idx = (const int32_t *)ri->data;
    }

    /* GRU-B: rows 0..383 of its input matrix read GRU-A's state (every
     * sample), rows 384..511 the conditioning (once per frame). */
    for (g = 0; g < 3; g++) {
        m->gru_b_idx[g * (NA + 1)] = NA;
        for (j = 0; j < NA; j++) {
            m->gru_b_idx[g * (NA + 1) + 1 + j] = j;
            for (i = 0; i < 16; i++)
                m->gru_b_w[(g * NA + j) * 16 + i] = gru_b_in[j * 3 * NB + g * 16 + i];
        }
    }
    m->gru_b_cond.nb_inputs = DF_LPCNET_COND;
    m->gru_b_cond.nb_outputs = 3 * NB;
    m->gru_b_cond.float_weights = gru_b_in + NA * 3 * NB;
    m->gru_b_cond.bias = gru_b_bias;
    m->gru_b_rec.nb_inputs = NB;
    m->gru_b_rec.nb_outputs = 3 * NB;
    m->gru_b_rec.float_weights = gru_b_rec_w;
    m->gru_b_rec.bias = gru_b_bias + 3 * NB;
    /* MDense: W[(j*2 + c)*256 + i] is output c*256 + i of input j. */
    m->dual_fc.nb_inputs = NB;
    m->dual_fc.nb_outputs = 2 * DF_LPCNET_LEVELS;
    m->dual_fc.float_weights = dual_w;
    m->dual_fc.bias = dual_bias;
    (void)p;
    for (i = 0; i < DF_LPCNET_LEVELS; i++)
        m->ulaw2lin[i] = df_lpcnet_ulaw2lin(i);
    df_lpcnet_lpc_tables_init(&m->lpc_tables);
    return 0;
}

/* ---- frame-rate network ------------------------------------------------- */

/* Embedding row of the pitch feature, as FreeDV: floor(.1 + 50 f + 100) =
 * the period in samples (half the half-sample index), at least 40 (the
 * range the model was trained on), at most 255. */
static int pitch_row(float f)
{
    double p = floor(.1 + 50. * f + 100.);
    if (!(p >= 40.)) p = 40.; /* also NaN */
    if (p > 255.) p = 255.;
    return (int)p;
}

static void run_frame_network(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st,
                              const float *features)
{
    float in[CONV1_IN];
    float c1[DF_LPCNET_COND], c2[DF_LPCNET_COND], d1[DF_LPCNET_COND], cond[DF_LPCNET_COND];
    memset(in, 0, sizeof(in));
    memcpy(in, features, DF_LPCNET_BANDS * sizeof(float));
    in[36] = features[18];
    in[37] = features[19];
    memcpy(in + DF_LPCNET_NET_INPUTS, m->embed_pitch + pitch_row(features[18]) * DF_LPCNET_PITCH_DIM,
           DF_LPCNET_PITCH_DIM * sizeof(float));
    df_compute_conv1d(k, &m->conv1, c1, st->conv1_mem, in, CONV1_IN, DF_ACT_TANH);
    /* FreeDV's start-up: a convolution's output is zero until its window
     * holds real frames (the memories still advance). */
    if (st->frame_count < 1) memset(c1, 0, sizeof(c1));
    df_compute_conv1d(k, &m->conv2, c2, st->conv2_mem, c1, DF_LPCNET_COND, DF_ACT_TANH);
    if (st->frame_count < 2) memset(c2, 0, sizeof(c2));
    df_compute_dense(k, &m->dense1, d1, c2, DF_ACT_TANH);
    df_compute_dense(k, &m->dense2, cond, d1, DF_ACT_TANH);
    df_compute_dense(k, &m->gru_a_feature, st->cond_a, cond, DF_ACT_LINEAR);
    df_compute_dense(k, &m->gru_b_cond, st->cond_b, cond, DF_ACT_LINEAR);
    if (st->frame_count < FRAME_COUNT_CAP) st->frame_count++;
}

/* The per-frame bookkeeping shared by synthesis and priming: the LPC and the
 * pitch gain in use are those of 2 frames ago, matching the convolutions'
 * delay.  Returns that gain. */
static float begin_frame(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *features,
                         float *lpc)
{
    const float gain = st->old_gain[DF_LPCNET_DELAY - 1];
    memmove(&st->old_gain[1], &st->old_gain[0], (DF_LPCNET_DELAY - 1) * sizeof(float));
    st->old_gain[0] = features[19];
    run_frame_network(m, k, st, features);
    memcpy(lpc, st->old_lpc[DF_LPCNET_DELAY - 1], DF_LPCNET_ORDER * sizeof(float));
    memmove(st->old_lpc[1], st->old_lpc[0], (DF_LPCNET_DELAY - 1) * DF_LPCNET_ORDER * sizeof(float));
    df_lpcnet_lpc_from_cepstrum(&m->lpc_tables, st->old_lpc[0], features);
    return gain;
}

/* ---- sample-rate network ------------------------------------------------ */

/* GRU-A and GRU-B for one sample; logits (256) if not NULL. */
/* The gates of a reset-after GRU once its input part (in: z, r, h, 3n) and
 * recurrent part (rec, 3n) are computed: z, r = sigmoid(in + rec),
 * h = tanh(in_h + r rec_h), state = z state + (1 - z) h.  in is overwritten. */
static void gru_update(const df_kernels *k, float *in, const float *rec, float *state, int n)
{
    int i;
    for (i = 0; i < 2 * n; i++)
        in[i] += rec[i];
    k->activation(in, in, 2 * n, DF_ACT_SIGMOID);
    for (i = 0; i < n; i++)
        in[2 * n + i] += rec[2 * n + i] * in[n + i];
    k->activation(in + 2 * n, in + 2 * n, n, DF_ACT_TANH);
    for (i = 0; i < n; i++)
        state[i] = in[i] * state[i] + (1 - in[i]) * in[2 * n + i];
}

static void sample_network(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, int last_sig_u,
                           int pred_u, float *logits)
{
    float zrh[3 * NA], recur[3 * NA];
    float zb[3 * NB], rb[3 * NB];
    const float *es = m->embed_sig + (size_t)last_sig_u * 3 * NA;
    const float *ep = m->embed_pred + (size_t)pred_u * 3 * NA;
    const float *ee = m->embed_exc + (size_t)st->last_exc * 3 * NA;
    float *s = st->gru_a;
    int i;

    /* GRU-A input: the frame's conditioning plus the three mu-law rows. */
    for (i = 0; i < 3 * NA; i++)
        zrh[i] = ((st->cond_a[i] + es[i]) + ep[i]) + ee[i];
    for (i = 0; i < NA; i++) {
        recur[i] = m->gru_a_rbias[i] + m->gru_a_diag[i] * s[i];
        recur[NA + i] = m->gru_a_rbias[NA + i] + m->gru_a_diag[NA + i] * s[i];
        recur[2 * NA + i] = m->gru_a_rbias[2 * NA + i] + m->gru_a_diag[2 * NA + i] * s[i];
    }
    k->sparse16_accum(recur, 3 * NA / 16, m->gru_a_w, m->gru_a_idx, s);
    gru_update(k, zrh, recur, s, NA);

    /* GRU-B: input = [GRU-A state, conditioning]; the conditioning part is
     * in cond_b already. */
    memcpy(zb, st->cond_b, sizeof(zb));
    k->sparse16_accum(zb, 3, m->gru_b_w, m->gru_b_idx, s);
    k->linear(&m->gru_b_rec, rb, st->gru_b);
    gru_update(k, zb, rb, st->gru_b, NB);

    if (logits) {
        float t[2 * DF_LPCNET_LEVELS];
        const float *f = m->dual_fc_factor;
        k->linear(&m->dual_fc, t, st->gru_b);
        k->activation(t, t, 2 * DF_LPCNET_LEVELS, DF_ACT_TANH);
        for (i = 0; i < DF_LPCNET_LEVELS; i++)
            logits[i] = t[i] * f[i] + t[DF_LPCNET_LEVELS + i] * f[DF_LPCNET_LEVELS + i];
    }
}

static float predict(const df_lpcnet_state *st, const float *lpc)
{
    float pred = 0;
    int j;
    for (j = 0; j < DF_LPCNET_ORDER; j++)
        pred -= st->last_sig[j] * lpc[j];
    return pred;
}

static void push_sig(df_lpcnet_state *st, float s, int exc)
{
    memmove(&st->last_sig[1], &st->last_sig[0], (DF_LPCNET_ORDER - 1) * sizeof(float));
    st->last_sig[0] = s;
    st->last_exc = exc;
}

/* ---- public ------------------------------------------------------------- */

void df_lpcnet_reset(df_lpcnet_state *st, uint64_t seed)
{
    memset(st, 0, sizeof(*st));
    st->last_exc = 128; /* mu-law zero */
    df_rng_seed(&st->rng, seed);
}

void df_lpcnet_frame(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *features,
                     float *pcm)
{
    float lpc[DF_LPCNET_ORDER];
    float logits[DF_LPCNET_LEVELS];
    const float gain = begin_frame(m, k, st, features, lpc);
    /* Sharper sampling on voiced frames: FreeDV's max(0, 1.5 g - 0.5). */
    const float boost = fmaxf(0.f, 1.5f * gain - .5f);
    int i;
    if (st->frame_count <= DF_LPCNET_DELAY) {
        memset(pcm, 0, DF_LPCNET_FRAME * sizeof(float));
        return;
    }
    for (i = 0; i < DF_LPCNET_FRAME; i++) {
        const float pred = predict(st, lpc);
        float s, out;
        int exc;
        sample_network(m, k, st, df_lpcnet_lin2ulaw(st->last_sig[0]), df_lpcnet_lin2ulaw(pred), logits);
        exc = df_lpcnet_sample(k, logits, boost, PDF_FLOOR, &st->rng, NULL);
        s = pred + m->ulaw2lin[exc];
        push_sig(st, s, exc);
        out = s + PREEMPH * st->deemph_mem;
        st->deemph_mem = out;
        out = out < -32767.f ? -32767.f : out > 32767.f ? 32767.f : out;
        pcm[i] = out * (1.f / 32768.f);
    }
}

static void run_forced(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *pcm,
                       int npcm_frames, const float *features, int nframes, float *logp)
{
    float lpc[DF_LPCNET_ORDER];
    float logits[DF_LPCNET_LEVELS], probs[DF_LPCNET_LEVELS];
    const int first = nframes - npcm_frames; /* first feature frame with audio */
    float prev = 0; /* the sample before the history: unknown, taken as 0 */
    int f, i;
    /* Steady state: no start-up zeroing of the convolution outputs. */
    st->frame_count = FRAME_COUNT_CAP;
    for (f = 0; f < nframes; f++) {
        const float gain = begin_frame(m, k, st, features + f * DF_LPCNET_FEATURES, lpc);
        const float boost = fmaxf(0.f, 1.5f * gain - .5f);
        const float *x = pcm + (f - first) * DF_LPCNET_FRAME;
        if (f < first) continue;
        for (i = 0; i < DF_LPCNET_FRAME; i++) {
            const float v = x[i] * 32768.f;
            const float s = v - PREEMPH * prev; /* undo the de-emphasis */
            const float pred = predict(st, lpc);
            const int exc = df_lpcnet_lin2ulaw(s - pred);
            sample_network(m, k, st, df_lpcnet_lin2ulaw(st->last_sig[0]), df_lpcnet_lin2ulaw(pred),
                           logp ? logits : NULL);
            if (logp) {
                df_rng scratch = st->rng; /* evaluation must not consume the stream's draws */
                df_lpcnet_sample(k, logits, boost, PDF_FLOOR, &scratch, probs);
                logp[(f - first) * DF_LPCNET_FRAME + i] = probs[exc] > 0 ? logf(probs[exc]) : -INFINITY;
            }
            push_sig(st, s, exc);
            prev = v;
        }
    }
    if (npcm_frames > 0) st->deemph_mem = prev;
}

void df_lpcnet_prime(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *pcm,
                     int npcm_frames, const float *features, int nframes)
{
    const df_rng rng = st->rng;
    df_lpcnet_reset(st, 0);
    st->rng = rng;
    run_forced(m, k, st, pcm, npcm_frames, features, nframes, NULL);
}

void df_lpcnet_teacher_forced(const df_lpcnet_model *m, const df_kernels *k, df_lpcnet_state *st, const float *pcm,
                              int npcm_frames, const float *features, int nframes, float *logp)
{
    const df_rng rng = st->rng;
    df_lpcnet_reset(st, 0);
    st->rng = rng;
    run_forced(m, k, st, pcm, npcm_frames, features, nframes, logp);
}
