/* DRED payload encoding: header, initial state and latents to the range-coded
 * bytes of an Opus 1.6 DRED extension (after its 'D', 12 prefix), byte for
 * byte as libopus's dred_encode_silk_frame writes them once it has chosen
 * what to send. */
#ifndef DREDFAST_DRED_PAYLOAD_ENC_H
#define DREDFAST_DRED_PAYLOAD_ENC_H

#include <stdint.h>

#include "dred_stats.h"
#include "../entropy/range_enc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_DRED_ENC_BAD_ARG (-1)
#define DF_DRED_ENC_TOO_LARGE (-2)
/* Largest magnitude accepted for a quantised value (the quantiser never
 * comes near it; it bounds the Laplace escape runs). */
#define DF_DRED_MAX_ABS_VALUE 4096

/* offset: the signalled offset t = 16 - dred_offset (2.5 ms units, 0..8191);
 * latents_q: nb_latents x 25, newest first.  Values whose dimension is not
 * coded at their quantiser level (r = 0 or p0 = 255) must be 0.  Writes
 * ceil(tell / 8) bytes to out and returns that count, or a negative error
 * (DF_DRED_ENC_BAD_ARG, DF_DRED_ENC_TOO_LARGE when over max_bytes). */
int df_dred_encode_payload(const df_dred_stats *stats, int q0, int dq, int qmax, int offset, const int32_t *state_q,
                           const int32_t *latents_q, int nb_latents, uint8_t *out, int max_bytes);

/* The pieces, for an encoder that decides as it codes (sender/dred_encoder.c):
 * the header fields (arguments as above, already validated), and one
 * vector with the r / p0 tables of its quantiser level (returns -1, coding
 * nothing further, if a value cannot be represented). */
void df_dred_encode_header(df_range_enc *ec, int q0, int dq, int qmax, int offset);
int df_dred_encode_vector(df_range_enc *ec, const int32_t *q, const uint8_t *r, const uint8_t *p0, int dim);

#ifdef __cplusplus
}
#endif

#endif
