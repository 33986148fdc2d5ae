/* State shared by the Opus range decoder and encoder (libopus's ec_ctx):
 * both sides keep the same fields, read or written from the two ends of one
 * buffer. */
#ifndef DREDFAST_RANGE_CODER_H
#define DREDFAST_RANGE_CODER_H

#include <stdint.h>

typedef struct {
    uint8_t *buf;         /* the encoder writes it; the decoder only reads */
    uint32_t storage;     /* buffer size */
    uint32_t end_offs;    /* bytes used at the end, for raw bits */
    uint32_t end_window;  /* raw bits not yet flushed / consumed */
    int nend_bits;
    int nbits_total;      /* for tell() */
    uint32_t offs;        /* bytes used at the start */
    uint32_t rng;
    uint32_t val;
    uint32_t ext;         /* decoder: last division result; encoder: pending 0xFF bytes */
    int rem;              /* decoder: last byte read; encoder: byte waiting for a carry */
    int error;
} df_range_coder;

#endif
