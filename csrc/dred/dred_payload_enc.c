#include "dred_payload_enc.h"

#include "dred_constants.h"
#include "dred_payload.h"
#include "../entropy/range_enc.h"

int df_dred_encode_vector(df_range_enc *ec, const int32_t *q, const uint8_t *r, const uint8_t *p0, int dim)
{
    int i;
    for (i = 0; i < dim; i++) {
        if (r[i] == 0 || p0[i] == 255) {
            /* Not in the bitstream: the decoder reads it as 0. */
            if (q[i] != 0) return -1;
            continue;
        }
        if (q[i] > DF_DRED_MAX_ABS_VALUE || q[i] < -DF_DRED_MAX_ABS_VALUE) return -1;
        df_laplace_encode_p0(ec, q[i], (uint16_t)(p0[i] << 7), (uint16_t)(r[i] << 7));
    }
    return 0;
}

void df_dred_encode_header(df_range_enc *ec, int q0, int dq, int qmax, int offset)
{
    df_range_enc_uint(ec, (uint32_t)q0, 16);
    df_range_enc_uint(ec, (uint32_t)dq, 8);
    if (offset > 31) {
        df_range_enc_uint(ec, 1, 2);
        df_range_enc_uint(ec, (uint32_t)(offset >> 5), 256);
        df_range_enc_uint(ec, (uint32_t)(offset & 31), 32);
    } else {
        df_range_enc_uint(ec, 0, 2);
        df_range_enc_uint(ec, (uint32_t)offset, 32);
    }
    if (q0 < 14 && dq > 0) {
        /* Half the total says "qmax = 15" in one wide symbol. */
        const int nvals = 15 - (q0 + 1);
        if (qmax >= 15) {
            df_range_encode(ec, 0, (unsigned)nvals, (unsigned)(2 * nvals));
        } else {
            const int s = nvals + qmax - q0 - 1;
            df_range_encode(ec, (unsigned)s, (unsigned)s + 1, (unsigned)(2 * nvals));
        }
    }
}

int df_dred_encode_payload(const df_dred_stats *stats, int q0, int dq, int qmax, int offset, const int32_t *state_q,
                           const int32_t *latents_q, int nb_latents, uint8_t *out, int max_bytes)
{
    df_range_enc ec;
    int j, fill;
    if (q0 < 0 || q0 > 15 || dq < 0 || dq > 7 || qmax > 15 || offset < 0 || offset > 32 * 255 + 31 ||
        nb_latents < 0 || nb_latents > DF_DRED_MAX_LATENTS || max_bytes < 1 || !out || !state_q ||
        (nb_latents > 0 && !latents_q))
        return DF_DRED_ENC_BAD_ARG;
    /* qmax is only signalled when it can differ from 15. */
    if (q0 < 14 && dq > 0) {
        if (qmax <= q0) return DF_DRED_ENC_BAD_ARG;
    } else if (qmax != 15) {
        return DF_DRED_ENC_BAD_ARG;
    }
    df_range_enc_init(&ec, out, (uint32_t)max_bytes);
    df_dred_encode_header(&ec, q0, dq, qmax, offset);
    if (df_dred_encode_vector(&ec, state_q, stats->state_r + q0 * DF_DRED_STATE_DIM, stats->state_p0 + q0 * DF_DRED_STATE_DIM,
                      DF_DRED_STATE_DIM))
        return DF_DRED_ENC_BAD_ARG;
    for (j = 0; j < nb_latents; j++) {
        const int off = df_dred_quantizer(q0, dq, qmax, j) * DF_DRED_LATENT_DIM;
        if (df_dred_encode_vector(&ec, latents_q + (size_t)j * DF_DRED_LATENT_DIM, stats->latent_r + off,
                          stats->latent_p0 + off, DF_DRED_LATENT_DIM))
            return DF_DRED_ENC_BAD_ARG;
    }
    if (df_range_enc_tell(&ec) > 8 * max_bytes || ec.error)
        return DF_DRED_ENC_TOO_LARGE;
    /* libopus sends exactly the bytes the range coder has used so far. */
    fill = (df_range_enc_tell(&ec) + 7) / 8;
    ec.storage = (uint32_t)fill; /* no raw bits at the end to move */
    df_range_enc_done(&ec);
    return ec.error ? DF_DRED_ENC_TOO_LARGE : fill;
}
