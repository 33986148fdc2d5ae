/* DRED payload decoding: the range-coded header, initial state and latents
 * of a DRED extension (after its 'D', version prefix), to integers and
 * dequantised values, exactly as libopus's dred_ec_decode.  The syntax is the
 * same for every version; the dimensions and tables come with the stats. */
#ifndef DREDFAST_DRED_PAYLOAD_H
#define DREDFAST_DRED_PAYLOAD_H

#include <stdint.h>

#include "dred_constants.h"
#include "dred_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int version;       /* extension version byte (12: libopus 1.6, 10: 1.5) */
    int latent_dim;    /* values per latent in latents_q (25 or 21) */
    int state_dim;     /* values in state_q (50 or 19) */
    int latent_in;     /* decoder inputs per latents row: latent_dim (+1 with the qlevel input) */
    int q0;            /* base quantiser level, 0..15 */
    int dq;            /* quantiser slope index, 0..7 */
    int extra_flag;    /* 1 if an extra offset was signalled */
    int extra_val;     /* extra offset in units of 32 (0..255) */
    int offset_sym;    /* 0..31 */
    int qmax;          /* largest quantiser level, q0+1..15 */
    int frame_offset;  /* position of the extension in the packet, 2.5 ms units */
    int dred_offset;   /* 16 - offset_sym - 32 extra_val + frame_offset (2.5 ms units) */
    int nb_latents;
    int ec_tell_bits;  /* range coder position after the last latent */
    int cut;           /* 1: the max_feature_frames limit stopped the parse with payload left */
    /* Sized for the largest format; the first state_dim / latent_dim /
     * latent_in entries are used. */
    int32_t state_q[DF_DRED_STATE_DIM];
    float state[DF_DRED_STATE_DIM];
    int qlevel[DF_DRED_MAX_LATENTS];
    int32_t latents_q[DF_DRED_MAX_LATENTS][DF_DRED_LATENT_DIM];
    /* latent_dim dequantised values, then (version 12) the decoder's extra
     * input qlevel/8 - 1. */
    float latents[DF_DRED_MAX_LATENTS][DF_DRED_LATENT_DIM + 1];
} df_dred_data;

/* Quantiser level of latent j (0 = newest). */
int df_dred_quantizer(int q0, int dq, int qmax, int j);

/* Decodes payload[0..len) (the bytes after 'D' and the version byte) with
 * the tables (and so the format) of `stats`.  max_feature_frames
 * bounds the latents decoded as libopus's min_feature_frames (2 + 100 *
 * max_samples / Fs, at most 104).  Returns nb_latents (>= 0). */
int df_dred_decode_payload(df_dred_data *out, const df_dred_stats *stats, const uint8_t *payload,
                           int32_t len, int max_feature_frames, int frame_offset);

#ifdef __cplusplus
}
#endif

#endif
