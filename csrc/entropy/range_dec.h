/* The Opus range decoder (RFC 6716 section 4.1) and the Laplace-like
 * symbol decoder DRED uses.  Bit-exact with libopus's ec_dec: the same
 * normalisation, end-of-buffer behaviour (zeros are read past the end) and
 * ec_tell() accounting, so bitstream-derived integers match exactly. */
#ifndef DREDFAST_RANGE_DEC_H
#define DREDFAST_RANGE_DEC_H

#include <stdint.h>

#include "range_coder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef df_range_coder df_range_dec;

void df_range_dec_init(df_range_dec *d, const uint8_t *buf, uint32_t storage);
/* Cumulative frequency of the next symbol for a total of ft (ec_decode). */
unsigned df_range_decode(df_range_dec *d, unsigned ft);
/* Same with ft = 1 << bits (ec_decode_bin). */
unsigned df_range_decode_bin(df_range_dec *d, unsigned bits);
/* Consumes the symbol [fl, fh) of ft (ec_dec_update). */
void df_range_dec_update(df_range_dec *d, unsigned fl, unsigned fh, unsigned ft);
/* Uniform integer in [0, ft) (ec_dec_uint); ft > 1. */
uint32_t df_range_dec_uint(df_range_dec *d, uint32_t ft);
/* Raw bits from the end of the buffer (ec_dec_bits); 0 < bits <= 25. */
uint32_t df_range_dec_bits(df_range_dec *d, unsigned bits);
/* Symbol from an inverse CDF with 2^ftb total (ec_dec_icdf16). */
int df_range_dec_icdf16(df_range_dec *d, const uint16_t *icdf, unsigned ftb);
/* Bits used so far, rounded up (ec_tell). */
int df_range_dec_tell(const df_range_dec *d);

/* Laplace-like value with P(0) = p0/32768 and geometric decay (Q15), as
 * libopus's ec_laplace_decode_p0. */
int df_laplace_decode_p0(df_range_dec *d, uint16_t p0, uint16_t decay);

#ifdef __cplusplus
}
#endif

#endif
