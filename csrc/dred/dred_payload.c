#include "dred_payload.h"

#include <string.h>

#include "../entropy/range_dec.h"

int df_dred_quantizer(int q0, int dq, int qmax, int j)
{
    static const int slope[8] = {0, 2, 3, 4, 6, 8, 12, 16};
    int q = q0 + (slope[dq & 7] * j + 8) / 16;
    return q > qmax ? qmax : q;
}

/* One vector of Laplace-coded values with the tables of one quantiser
 * level.  Dimensions whose decay is 0 or whose zero probability is 255/256
 * carry nothing in the bitstream and are 0. */
static void decode_vector(df_range_dec *ec, int32_t *q, float *x, const uint8_t *scale, const uint8_t *r,
                          const uint8_t *p0, int dim)
{
    int i;
    for (i = 0; i < dim; i++) {
        int v = 0;
        if (r[i] != 0 && p0[i] != 255)
            v = df_laplace_decode_p0(ec, (uint16_t)(p0[i] << 7), (uint16_t)(r[i] << 7));
        q[i] = v;
        x[i] = (float)v * 256.f / (float)(scale[i] == 0 ? 1 : scale[i]);
    }
}

int df_dred_decode_payload(df_dred_data *out, const df_dred_stats *stats, const uint8_t *payload,
                           int32_t len, int max_feature_frames, int frame_offset)
{
    df_range_dec ec;
    int i, limit;

    const int sdim = stats->state_dim, ldim = stats->latent_dim;
    memset(out, 0, sizeof(*out));
    out->version = stats->fmt->version;
    out->latent_dim = ldim;
    out->state_dim = sdim;
    out->latent_in = ldim + (stats->fmt->qlevel_input ? 1 : 0);
    if (len < 0) len = 0;
    df_range_dec_init(&ec, payload, (uint32_t)len);
    out->q0 = (int)df_range_dec_uint(&ec, 16);
    out->dq = (int)df_range_dec_uint(&ec, 8);
    out->extra_flag = (int)df_range_dec_uint(&ec, 2);
    out->extra_val = out->extra_flag ? (int)df_range_dec_uint(&ec, 256) : 0;
    out->offset_sym = (int)df_range_dec_uint(&ec, 32);
    out->frame_offset = frame_offset;
    out->dred_offset = 16 - out->offset_sym - 32 * out->extra_val + frame_offset;
    out->qmax = 15;
    if (out->q0 < 14 && out->dq > 0) {
        /* One symbol: half the probability says "qmax = 15", the other half
         * is spread uniformly over q0+1..14. */
        int nvals = 15 - (out->q0 + 1);
        int ft = 2 * nvals;
        int s = (int)df_range_decode(&ec, (unsigned)ft);
        if (s >= nvals) {
            out->qmax = out->q0 + (s - nvals) + 1;
            df_range_dec_update(&ec, (unsigned)s, (unsigned)s + 1, (unsigned)ft);
        } else {
            df_range_dec_update(&ec, 0, (unsigned)nvals, (unsigned)ft);
        }
    }
    decode_vector(&ec, out->state_q, out->state, stats->state_scale + out->q0 * sdim,
                  stats->state_r + out->q0 * sdim, stats->state_p0 + out->q0 * sdim, sdim);

    if (max_feature_frames < 0) max_feature_frames = 0;
    if (max_feature_frames > 2 * 2 * DF_DRED_MAX_LATENTS) max_feature_frames = 2 * 2 * DF_DRED_MAX_LATENTS;
    /* Latents are 2 redundancy frames (20 ms) apart; libopus's loop bound. */
    limit = (max_feature_frames + 1) / 2;
    if (limit > 2 * DF_DRED_MAX_LATENTS) limit = 2 * DF_DRED_MAX_LATENTS;
    for (i = 0; i < limit; i += 2) {
        const int j = i / 2;
        int level, off;
        /* libopus stops when fewer than 8 bits remain, even if a last latent
         * would fit; keep that so latent counts agree. */
        if (8 * (int64_t)len - df_range_dec_tell(&ec) <= 7)
            break;
        level = df_dred_quantizer(out->q0, out->dq, out->qmax, j);
        off = level * ldim;
        out->qlevel[j] = level;
        decode_vector(&ec, out->latents_q[j], out->latents[j], stats->latent_scale + off, stats->latent_r + off,
                      stats->latent_p0 + off, ldim);
        if (stats->fmt->qlevel_input) out->latents[j][ldim] = (float)(level * .125 - 1);
        out->nb_latents = j + 1;
    }
    out->ec_tell_bits = df_range_dec_tell(&ec);
    out->cut = i >= limit && limit < 2 * DF_DRED_MAX_LATENTS && 8 * (int64_t)len - out->ec_tell_bits > 7;
    return out->nb_latents;
}
