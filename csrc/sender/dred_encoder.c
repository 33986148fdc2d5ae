#include "dred_encoder.h"

#include <math.h>
#include <string.h>

#include "../dred/dred_payload.h"
#include "../dred/dred_payload_enc.h"
#include "../dred/dred_quantize.h"
#include "../entropy/range_enc.h"

int df_dred_enc_model_init(df_dred_enc_model *m, const df_blob *blob, char *err, size_t errlen)
{
    if (df_analysis_model_init(&m->analysis, blob, err, errlen)) return -1;
    if (df_rdovae_enc_bind(&m->rdovae, blob, err, errlen)) return -1;
    if (df_dred_stats_bind(&m->stats, blob, err, errlen)) return -1;
    return 0;
}

int df_dred_enc_init(df_dred_enc_state *st, int fs, int channels, int opus_delay)
{
    df_to16k probe;
    if (df_to16k_init(&probe, fs, channels) || (opus_delay != 0 && opus_delay != DF_DRED_ENC_OPUS_DELAY)) return -1;
    st->fs = fs;
    st->channels = channels;
    st->opus_delay = opus_delay;
    df_dred_enc_reset(st);
    return 0;
}

void df_dred_enc_reset(df_dred_enc_state *st)
{
    const int fs = st->fs, channels = st->channels, opus_delay = st->opus_delay;
    memset(st, 0, sizeof *st);
    st->fs = fs;
    st->channels = channels;
    st->opus_delay = opus_delay;
    df_analysis_state_init(&st->analysis);
    df_rdovae_enc_reset(&st->rdovae);
    df_highpass_reset(&st->highpass[0]);
    df_highpass_reset(&st->highpass[1]);
    df_dc_reject_reset(&st->dc_reject[0]);
    df_dc_reject_reset(&st->dc_reject[1]);
    df_to16k_init(&st->to16k, fs, channels);
    /* The analysis starts with this many zero samples (libopus's reset). */
    st->input_fill = DF_DRED_ENC_DELAY;
}

/* One RDO-VAE step on the 20 ms at the start of the input buffer. */
static void process_dframe(const df_dred_enc_model *m, const df_kernels *k, df_dred_enc_state *st)
{
    float lpc[DF_AN_LPC];
    memmove(st->latents + DF_DRED_LATENT_DIM, st->latents,
            (DF_DRED_ENC_BUFFER - 1) * DF_DRED_LATENT_DIM * sizeof(float));
    memmove(st->states + DF_DRED_STATE_DIM, st->states, (DF_DRED_ENC_BUFFER - 1) * DF_DRED_STATE_DIM * sizeof(float));
    df_analysis_frame(&m->analysis, k, &st->analysis, st->input, st->last_features, lpc);
    df_analysis_frame(&m->analysis, k, &st->analysis, st->input + DF_AN_FRAME, st->last_features + DF_DRED_NUM_FEATURES,
                      lpc);
    df_rdovae_enc_step(&m->rdovae, k, &st->rdovae, st->last_features, st->latents, st->states);
    if (st->latents_fill < DF_DRED_ENC_REDUNDANCY) st->latents_fill++;
    st->dframes++;
}

/* The encoder's input filter for one channel-interleaved chunk (len samples
 * per channel), into out; returns the filtered signal (pcm itself when no
 * filter runs). */
static const float *input_filter(df_dred_enc_state *st, const float *pcm, int len, int cutoff_hz, float *out)
{
    int c;
    if (cutoff_hz == 0) return pcm;
    if (cutoff_hz > 0 && st->channels == 2) {
        df_highpass_run_stereo(st->highpass, cutoff_hz, st->fs, pcm, out, len);
        return out;
    }
    for (c = 0; c < st->channels; c++) {
        if (cutoff_hz > 0)
            df_highpass_run(&st->highpass[c], cutoff_hz, st->fs, pcm + c, out + c, len, st->channels);
        else
            df_dc_reject_run(&st->dc_reject[c], st->fs, pcm + c, out + c, len, st->channels);
    }
    return out;
}

static int bad_input(const df_dred_enc_state *st, int n, int cutoff_hz)
{
    const int per10ms = st->fs / 100;
    if (per10ms <= 0 || n <= 0 || n % per10ms || n > 6 * per10ms) return 1;
    return cutoff_hz != 0 && cutoff_hz != DF_DRED_ENC_DC_REJECT &&
           (cutoff_hz < DF_HP_MIN_CUTOFF_HZ || cutoff_hz > DF_HP_MAX_CUTOFF_HZ);
}

int df_dred_enc_push(const df_dred_enc_model *m, const df_kernels *k, df_dred_enc_state *st, const float *pcm, int n,
                     int active, int cutoff_hz)
{
    float chunk[2 * 3 * DF_DRED_ENC_DFRAME]; /* 20 ms at up to 48 kHz, up to 2 channels */
    int n16, per400;
    if (bad_input(st, n, cutoff_hz)) return -1;
    n16 = n / (st->fs / 100) * 160;
    per400 = n16 / 40; /* activity flags: one per 2.5 ms */
    /* libopus's offset of the newest analysed audio relative to the packet
     * end (its encoder delay compensation enters here), in 2.5 ms units. */
    {
        const int curr_offset = 40 + st->opus_delay - st->input_fill;
        st->dred_offset = (int)floor((curr_offset + 20.f) / 40.f);
    }
    st->latent_offset = 0;
    while (n16 > 0) {
        /* libopus converts and analyses at most 20 ms (at 16 kHz) at a time;
         * the filters run sample by sample, so filtering per chunk is the
         * same as libopus filtering the whole packet first. */
        const int len16 = n16 < DF_DRED_ENC_DFRAME ? n16 : DF_DRED_ENC_DFRAME;
        const int len = len16 / 160 * (st->fs / 100);
        if (cutoff_hz <= 0 || df_to16k_run_highpass(&st->to16k, st->highpass, cutoff_hz, pcm, len,
                                                     st->input + st->input_fill))
            df_to16k_run(&st->to16k, input_filter(st, pcm, len, cutoff_hz, chunk), len, st->input + st->input_fill);
        st->input_fill += len16;
        if (st->input_fill >= DF_DRED_ENC_DFRAME) {
            process_dframe(m, k, st);
            st->input_fill -= DF_DRED_ENC_DFRAME;
            memmove(st->input, st->input + DF_DRED_ENC_DFRAME, (size_t)st->input_fill * sizeof(float));
            /* 15 ms is the offset libopus aims for (the vocoder look-ahead). */
            if (st->dred_offset < 6)
                st->dred_offset += 8;
            else
                st->latent_offset++;
        }
        pcm += (size_t)len * st->channels;
        n16 -= len16;
    }
    memmove(st->activity + per400, st->activity, (DF_DRED_ENC_ACTIVITY - per400) * sizeof(uint8_t));
    memset(st->activity, active ? 1 : 0, (size_t)per400);
    return 0;
}

int df_dred_enc_convert(df_dred_enc_state *st, const float *pcm, int n, int cutoff_hz, float *out)
{
    float chunk[2 * 3 * DF_DRED_ENC_DFRAME];
    int n16;
    if (bad_input(st, n, cutoff_hz)) return -1;
    n16 = n / (st->fs / 100) * 160;
    while (n16 > 0) {
        const int len16 = n16 < DF_DRED_ENC_DFRAME ? n16 : DF_DRED_ENC_DFRAME;
        const int len = len16 / 160 * (st->fs / 100);
        if (cutoff_hz <= 0 || df_to16k_run_highpass(&st->to16k, st->highpass, cutoff_hz, pcm, len, out))
            df_to16k_run(&st->to16k, input_filter(st, pcm, len, cutoff_hz, chunk), len, out);
        pcm += (size_t)len * st->channels;
        out += len16;
        n16 -= len16;
    }
    return 0;
}

/* Any of the 16 activity flags (40 ms) of the latent at this offset set;
 * flags past the kept history count as inactive. */
static int voice_active(const df_dred_enc_state *st, int offset)
{
    int i;
    for (i = 0; i < 16; i++) {
        const int j = 8 * offset + i;
        if (j < DF_DRED_ENC_ACTIVITY && st->activity[j] == 1) return 1;
    }
    return 0;
}

/* Quantises one vector at a level and codes it. */
static void code_vector(const df_kernels *k, df_range_enc *ec, const float *x, const uint8_t *scale,
                        const uint8_t *dead_zone, const uint8_t *r, const uint8_t *p0, int dim)
{
    int32_t q[DF_DRED_STATE_DIM];
    int i;
    df_dred_quantize(k, x, scale, dead_zone, r, p0, dim, q);
    /* The coder's escape runs are bounded; real latents stay far inside. */
    for (i = 0; i < dim; i++) {
        if (q[i] > DF_DRED_MAX_ABS_VALUE) q[i] = DF_DRED_MAX_ABS_VALUE;
        if (q[i] < -DF_DRED_MAX_ABS_VALUE) q[i] = -DF_DRED_MAX_ABS_VALUE;
    }
    df_dred_encode_vector(ec, q, r, p0, dim);
}

int df_dred_enc_code(const df_dred_enc_model *m, const df_kernels *k, df_dred_enc_state *st, uint8_t *out,
                     int max_chunks, int max_bytes, int q0, int dq, int qmax, df_dred_enc_info *info)
{
    const df_dred_stats *s = &m->stats;
    df_range_enc ec, bak;
    int latent_offset = st->latent_offset, extra = 0, delayed = 0;
    int prev_active = 0, encoded = 0, i, limit, offset, fill;
    if (!out || max_bytes < 1 || max_bytes > DF_DRED_ENC_MAX_BYTES || max_chunks < 0 || q0 < 0 || q0 > 15 ||
        dq < 0 || dq > 7 || qmax < q0 || qmax > 15 || (q0 < 14 && dq > 0 && qmax == q0))
        return -1;
    if (info) memset(info, 0, sizeof *info);
    /* Just out of silence, the primary frame already carries the newest
     * speech: libopus resumes DRED where the skipped latents began. */
    if (st->activity[0] && st->last_extra_dred_offset > 0) {
        latent_offset = st->last_extra_dred_offset;
        delayed = 1;
        st->last_extra_dred_offset = 0;
    }
    while (latent_offset < st->latents_fill && !voice_active(st, latent_offset)) {
        latent_offset++;
        extra++;
    }
    if (!delayed) st->last_extra_dred_offset = extra;
    if (st->latents_fill == 0) return 0; /* nothing analysed yet */

    offset = 16 - (st->dred_offset - 8 * extra);
    if (offset < 0 || offset > 32 * 255 + 31) return 0;
    df_range_enc_init(&ec, out, (uint32_t)max_bytes);
    df_dred_encode_header(&ec, q0, dq, qmax, offset);
    if (latent_offset >= DF_DRED_ENC_BUFFER) return 0;
    code_vector(k, &ec, st->states + latent_offset * DF_DRED_STATE_DIM, s->state_scale + q0 * DF_DRED_STATE_DIM,
                s->state_dead_zone + q0 * DF_DRED_STATE_DIM, s->state_r + q0 * DF_DRED_STATE_DIM,
                s->state_p0 + q0 * DF_DRED_STATE_DIM, DF_DRED_STATE_DIM);
    if (df_range_enc_tell(&ec) > 8 * max_bytes) return 0;
    bak = ec;
    limit = st->latents_fill - latent_offset - 1;
    if (2 * max_chunks < limit) limit = 2 * max_chunks;
    for (i = 0; i < limit; i += 2) {
        const int lv = df_dred_quantizer(q0, dq, qmax, i / 2) * DF_DRED_LATENT_DIM;
        int active;
        code_vector(k, &ec, st->latents + (i + latent_offset) * DF_DRED_LATENT_DIM, s->latent_scale + lv,
                    s->latent_dead_zone + lv, s->latent_r + lv, s->latent_p0 + lv, DF_DRED_LATENT_DIM);
        if (df_range_enc_tell(&ec) > 8 * max_bytes) {
            /* Not even one latent fits: no DRED at all. */
            if (i == 0) return 0;
            break;
        }
        /* Keep coding through one inactive latent after speech, then roll
         * back to the last one worth sending. */
        active = voice_active(st, i + latent_offset);
        if (active || prev_active) {
            bak = ec;
            encoded = i + 2;
        }
        prev_active = active;
    }
    /* Avoid sending empty DRED packets. */
    if (encoded == 0 || (encoded <= 2 && extra)) return 0;
    ec = bak;
    fill = (df_range_enc_tell(&ec) + 7) / 8;
    ec.storage = (uint32_t)fill; /* no raw bits at the end to move */
    df_range_enc_done(&ec);
    if (ec.error) return 0;
    if (info) {
        info->latent_offset = latent_offset;
        info->extra_offset = extra;
        info->nb_latents = encoded / 2;
        info->offset = offset;
    }
    return fill;
}
