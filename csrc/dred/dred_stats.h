/* DRED quantiser statistics: per quantiser level (0..15) and dimension, the
 * scale, dead zone, zero probability and decay tables (Q8), bound from the
 * dred_*_q8 records of a weight blob.  The dimensions are the format's
 * (version 12: 25 latent / 50 state values, version 10: 21 / 19). */
#ifndef DREDFAST_DRED_STATS_H
#define DREDFAST_DRED_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../weights/blob.h"
#include "dred_format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const uint8_t *latent_scale, *latent_dead_zone, *latent_r, *latent_p0; /* 16 x latent_dim */
    const uint8_t *state_scale, *state_dead_zone, *state_r, *state_p0;     /* 16 x state_dim */
    int latent_dim, state_dim;
    const df_dred_format *fmt; /* the format these tables belong to */
} df_dred_stats;

/* The version-12 (libopus 1.6) tables. */
int df_dred_stats_bind(df_dred_stats *st, const df_blob *blob, char *err, size_t errlen);
/* The tables of a given format (their sizes are checked against it). */
int df_dred_stats_bind_format(df_dred_stats *st, const df_blob *blob, const df_dred_format *fmt, char *err,
                              size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
