/* Deep PLC state machine (see deep_plc.h).  Mirrors libopus 1.6.1's
 * lpcnet_plc.c step for step; the comments give the reasons.
 *
 * Positions: pcm[] holds the last 15 frames of output (decoded or
 * concealed), a ring of frames; positions count from its oldest sample.
 * analysis_pos is where the feature analysis has to resume (it slides
 * back by a frame with every new frame; when it would fall off the start
 * of the buffer the analysis has a gap and its first frame only warms it
 * up); predict_pos marks history the PLC network has already
 * seen.  Both are only consumed at the first loss of a burst. */
#include "deep_plc.h"

#include <math.h>
#include <string.h>

#define FRAME DF_DPLC_FRAME
#define NF DF_DPLC_FEATURES
#define CONT DF_DPLC_CONT_VECTORS
#define BUF DF_DPLC_BUF

/* the history ring holds whole frames, and FARGAN's priming reads whole ones */
_Static_assert(BUF % FRAME == 0 && DF_FARGAN_CONT_SAMPLES % FRAME == 0, "history in whole frames");

/* Extra attenuation of the predicted energy (cepstral c0, log10 units) by
 * frames lost so far; beyond the table it keeps falling 2 per frame. */
static const float att_table[10] = {0, 0, -.2f, -.2f, -.4f, -.4f, -.8f, -.8f, -1.6f, -1.6f};

int df_deep_plc_model_init(df_deep_plc_model *m, const df_blob *blob, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    df_burg_model_init(&m->burg);
    if (df_plc_bind(&m->plc, blob, err, errlen)) return -1;
    if (df_fargan_bind(&m->fargan, blob, err, errlen)) return -1;
    return df_analysis_model_init(&m->analysis, blob, err, errlen);
}

void df_deep_plc_reset(df_deep_plc_state *st)
{
    memset(st->fec, 0, sizeof(st->fec));
    st->fec_read_pos = st->fec_fill_pos = st->fec_skip = 0;
    memset(st->pcm, 0, sizeof(st->pcm));
    st->pcm_head = 0;
    memset(st->features, 0, sizeof(st->features));
    memset(st->cont_features, 0, sizeof(st->cont_features));
    memset(&st->net, 0, sizeof(st->net));
    memset(st->backup, 0, sizeof(st->backup));
    df_analysis_state_init(&st->enc);
    st->blend = 0;
    st->primed = 0;
    st->steer_at = -1;
    st->loss_count = 0;
    st->analysis_gap = 1;
    st->analysis_pos = BUF;
    st->predict_pos = BUF;
}

void df_deep_plc_init(df_deep_plc_state *st)
{
    memset(st, 0, sizeof(*st));
    df_fargan_reset(&st->fargan);
    df_deep_plc_reset(st);
}

void df_deep_plc_fec_clear(df_deep_plc_state *st)
{
    st->fec_read_pos = st->fec_fill_pos = st->fec_skip = 0;
}

int df_deep_plc_fec_add(df_deep_plc_state *st, const float *features)
{
    if (!features) {
        st->fec_skip++;
        return 0;
    }
    if (st->fec_fill_pos >= DF_DPLC_MAX_FEC) return -1;
    memcpy(st->fec[st->fec_fill_pos], features, sizeof(st->fec[0]));
    st->fec_fill_pos++;
    return 0;
}

/* Appends one frame to the history, in place of the oldest. */
static void push_history(df_deep_plc_state *st, const int16_t *pcm)
{
    float *t = st->pcm + st->pcm_head * FRAME;
    for (int i = 0; i < FRAME; i++) t[i] = (1.f / 32768.f) * pcm[i];
    st->pcm_head = st->pcm_head + 1 == BUF / FRAME ? 0 : st->pcm_head + 1;
}

/* History frame starting at position pos (a multiple of FRAME, 0 = oldest). */
static const float *history_frame(const df_deep_plc_state *st, int pos)
{
    int slot = st->pcm_head + pos / FRAME;
    if (slot >= BUF / FRAME) slot -= BUF / FRAME;
    return st->pcm + slot * FRAME;
}

/* Every new frame moves the analysis position back by one frame; falling
 * off the buffer means the analysis has missed audio. */
static void slide_analysis(df_deep_plc_state *st)
{
    if (st->analysis_pos - FRAME >= 0)
        st->analysis_pos -= FRAME;
    else
        st->analysis_gap = 1;
}

void df_deep_plc_update(df_deep_plc_state *st, const int16_t *pcm)
{
    slide_analysis(st);
    if (st->predict_pos - FRAME >= 0) st->predict_pos -= FRAME;
    push_history(st, pcm);
    st->loss_count = 0;
    st->blend = 0;
    st->primed = 0;
    st->steer_at = -1;
}

static void queue_features(df_deep_plc_state *st, const float *f)
{
    memmove(st->cont_features, st->cont_features + NF, (CONT - 1) * NF * sizeof(float));
    memcpy(st->cont_features + (CONT - 1) * NF, f, NF * sizeof(float));
}

/* The network state before each step is kept two deep: at the first loss
 * of the next burst libopus restarts from backup[0], i.e. from before the
 * last two steps of this burst. */
static void push_backup(df_deep_plc_state *st)
{
    st->backup[0] = st->backup[1];
    st->backup[1] = st->net;
}

/* Next frame's features: the queued DRED frame if there is one (still run
 * through the network, without Burg input and flagged -1, so its state
 * follows), else the network's prediction.  Returns 1 for DRED. */
static int next_features(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st, float *out)
{
    if (st->fec_read_pos != st->fec_fill_pos && st->fec_skip == 0) {
        float in[DF_PLC_INPUTS], discard[NF];
        memset(in, 0, sizeof(in));
        memcpy(out, st->fec[st->fec_read_pos], NF * sizeof(float));
        st->fec_read_pos++;
        memcpy(in + DF_PLC_BURG, out, NF * sizeof(float));
        in[DF_PLC_BURG + NF] = -1;
        df_plc_predict(&m->plc, k, &st->net, in, discard);
        return 1;
    }
    df_plc_predict_lost(&m->plc, k, &st->net, out); /* libopus: compute_plc_pred(..., zeros) */
    if (st->fec_skip > 0) st->fec_skip--;
    return 0;
}

/* fargan_synthesize_int's conversion to 16 bits. */
static int16_t to_int16(float v)
{
    float s = 32768.f * v;
    if (!(s > -32767.f)) s = (s == s) ? -32767.f : 0.f; /* NaN: silence (never seen with the real model) */
    if (s > 32767.f) s = 32767.f;
    return (int16_t)floor(.5 + s);
}

/* First loss after decoded audio: catch the network up on the history it
 * has not seen, then prime FARGAN with two more predicted frames. */
static void start_burst(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st)
{
    int count = 0;
    /* frames before this one are analysed but not fed to the network */
    const int net_from = st->max_catchup > 0 ? BUF - st->max_catchup * FRAME : 0;
    st->net = st->backup[0];
    while (st->analysis_pos + FRAME <= BUF) {
        float x[FRAME], in[DF_PLC_INPUTS], feat[NF];
        /* After a gap the first analysed frame only warms the analysis up
         * (its pitch / spectral memories are stale). */
        const int fresh = (!st->analysis_gap || count > 0) && st->analysis_pos >= st->predict_pos;
        const int step = fresh && st->analysis_pos >= net_from;
        const float *h = history_frame(st, st->analysis_pos);
        for (int i = 0; i < FRAME; i++) x[i] = 32768.f * h[i];
        if (step) df_burg_cepstrum(&m->burg, k, x, in); /* only the network reads it */
        df_analysis_frame(&m->analysis, k, &st->enc, x, feat, NULL);
        memcpy(st->features, feat, sizeof(feat));
        /* FARGAN's priming reads the queue: every fresh frame goes in */
        if (fresh) queue_features(st, st->features);
        if (step) {
            memcpy(in + DF_PLC_BURG, st->features, NF * sizeof(float));
            in[DF_PLC_BURG + NF] = 1;
            push_backup(st);
            df_plc_predict(&m->plc, k, &st->net, in, st->features);
        }
        st->analysis_pos += FRAME;
        count++;
    }
    /* The network is causal: it needs two predicted frames before the
     * first lost one (they stand for the 20 ms FARGAN re-synthesises from
     * the real audio). */
    for (int j = 0; j < 2; j++) {
        push_backup(st);
        next_features(m, k, st, st->features);
        queue_features(st, st->features);
    }
    {
        float last[DF_FARGAN_CONT_SAMPLES]; /* whole frames: 320 = 2 x 160 */
        for (int p = BUF - DF_FARGAN_CONT_SAMPLES; p < BUF; p += FRAME)
            memcpy(last + (p - (BUF - DF_FARGAN_CONT_SAMPLES)), history_frame(st, p), FRAME * sizeof(float));
        df_fargan_continue(&m->fargan, k, &st->fargan, last, st->cont_features);
    }
    st->analysis_gap = 0;
}

void df_deep_plc_prepare(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st)
{
    if (st->blend == 0 && !st->primed) {
        start_burst(m, k, st);
        st->primed = 1;
    }
}

void df_deep_plc_steer(df_deep_plc_state *st, const float *target, int at)
{
    if (!target || at < 0) {
        st->steer_at = -1;
        return;
    }
    memcpy(st->steer, target, sizeof(st->steer));
    st->steer_at = st->steer_total = at;
}

/* Pulls a predicted frame towards the steering target, by the fraction
 * of the way to it covered so far to the power 0.7 (all of it at the target
 * and after).  All 20 features: cepstrum, pitch and correlation (leaving the
 * pitch to the prediction cost 0.04 PESQ-WB).  Measured on the dev set after
 * PLC (24 clips x 5 traces, see steer_plan in receiver.c), PESQ-WB / PLCMOS
 * for powers 0.33 / 0.5 / 0.7 / 1: 1.666 / 1.690 / 1.704 / 1.703 and
 * 3.054 / 3.047 / 3.049 / 3.033; a fixed approach over the last 3 / 8 / 16 /
 * 40 frames: 1.646 / 1.678 / 1.672 / 1.623 -- pulling the first lost frames
 * far from the past is what hurts. */
static void steer_features(const df_deep_plc_state *st, float *f)
{
    if (st->steer_at < 0) return;
    const int d = st->steer_at, tot = st->steer_total;
    const float w = d == 0 ? 1.f : powf((float)(tot - d + 1) / (float)(tot + 1), .7f);
    for (int i = 0; i < NF; i++) f[i] += w * (st->steer[i] - f[i]);
}

void df_deep_plc_conceal(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st, int16_t *pcm)
{
    df_deep_plc_conceal_head(m, k, st, pcm, FRAME);
}

void df_deep_plc_conceal_head(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st, int16_t *pcm,
                              int n)
{
    float out[FRAME];
    const int nsub = (n + DF_FARGAN_SUBFRAME - 1) / DF_FARGAN_SUBFRAME;
    int dred;
    if (st->blend == 0 && !st->primed) start_burst(m, k, st);
    st->primed = 0;
    push_backup(st);
    dred = next_features(m, k, st, st->features);
    if (dred)
        st->loss_count = 0;
    else if (st->loss_count < (1 << 24)) /* long past full fade-out; only keeps the int from overflowing */
        st->loss_count++;
    /* Fade predicted speech out over a long loss (DRED frames reset it) --
     * unless the loss is being steered to an end at most MAX_HOLD frames
     * away: the target anchors the features, and fading towards silence
     * only to come back for it costs.  Measured on the dev set after PLC
     * (24 clips x 5 traces, PESQ-WB / STOI / PLCMOS): fading as libopus
     * 1.704 / 0.833 / 3.049; scaled by the steering's weight 1.702 / 0.841 /
     * 3.101; no fade up to 0.5 s 1.703 / 0.843 / 3.115; never 1.705 / 0.851 /
     * 3.178.  Longer gaps still fade: a second of invented speech is not
     * what a listener wants, whatever a non-intrusive score says. */
    if (!dred && st->steer_at >= 0 && st->steer_total <= DF_DPLC_MAX_HOLD) {
        /* held */
    } else if (st->loss_count >= 10) {
        float v = st->features[0] + att_table[9] - 2 * (st->loss_count - 9);
        st->features[0] = v > -15 ? v : -15;
    } else {
        float v = st->features[0] + att_table[st->loss_count];
        st->features[0] = v > -15 ? v : -15;
    }
    if (dred)
        st->steer_at = -1; /* real features have arrived: the steering has done its job */
    else
        steer_features(st, st->features);
    if (st->steer_at > 0) st->steer_at--; /* at the target and after it: held there */
    if (nsub >= DF_FARGAN_SUBFRAMES)
        df_fargan_frame(&m->fargan, k, &st->fargan, st->features, out);
    else {
        memset(out, 0, sizeof(out)); /* the subframes not synthesised */
        df_fargan_frame_head(&m->fargan, k, &st->fargan, st->features, out, nsub);
    }
    for (int i = 0; i < FRAME; i++) pcm[i] = to_int16(out[i]);
    queue_features(st, st->features);
    slide_analysis(st);
    st->predict_pos = BUF;
    push_history(st, pcm);
    st->blend = 1;
}
