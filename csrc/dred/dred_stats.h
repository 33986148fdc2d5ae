/* DRED quantiser statistics: per quantiser level (0..15) and dimension, the
 * scale, dead zone, zero probability and decay tables (Q8), bound from the
 * dred_*_q8 records of a weight blob. */
#ifndef DREDFAST_DRED_STATS_H
#define DREDFAST_DRED_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../weights/blob.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const uint8_t *latent_scale, *latent_dead_zone, *latent_r, *latent_p0; /* 16 x 25 */
    const uint8_t *state_scale, *state_dead_zone, *state_r, *state_p0;     /* 16 x 50 */
} df_dred_stats;

int df_dred_stats_bind(df_dred_stats *st, const df_blob *blob, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
