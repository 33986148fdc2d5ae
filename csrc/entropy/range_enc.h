/* The Opus range encoder (RFC 6716 section 5.1) and the Laplace-like symbol
 * encoder DRED uses; the exact inverse of range_dec.h, byte for byte what
 * libopus's ec_enc writes. */
#ifndef DREDFAST_RANGE_ENC_H
#define DREDFAST_RANGE_ENC_H

#include <stdint.h>

#include "range_coder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef df_range_coder df_range_enc;

void df_range_enc_init(df_range_enc *e, uint8_t *buf, uint32_t size);
/* Symbol [fl, fh) of a total ft (ec_encode). */
void df_range_encode(df_range_enc *e, unsigned fl, unsigned fh, unsigned ft);
/* Symbol s of an inverse CDF with 2^ftb total (ec_enc_icdf16). */
void df_range_enc_icdf16(df_range_enc *e, int s, const uint16_t *icdf, unsigned ftb);
/* Uniform integer fl in [0, ft) (ec_enc_uint); ft > 1. */
void df_range_enc_uint(df_range_enc *e, uint32_t fl, uint32_t ft);
/* Raw bits at the end of the buffer (ec_enc_bits); 0 < bits <= 25. */
void df_range_enc_bits(df_range_enc *e, uint32_t fl, unsigned bits);
/* Bits used so far, rounded up (ec_tell). */
int df_range_enc_tell(const df_range_enc *e);
/* Flushes the state so the buffer decodes to what was encoded (ec_enc_done). */
void df_range_enc_done(df_range_enc *e);

/* Inverse of df_laplace_decode_p0. */
void df_laplace_encode_p0(df_range_enc *e, int value, uint16_t p0, uint16_t decay);

#ifdef __cplusplus
}
#endif

#endif
