#include "dred_stats.h"

#include <stdio.h>

#include "dred_constants.h"
#include "../weights/bind.h"

int df_dred_stats_bind(df_dred_stats *st, const df_blob *blob, char *err, size_t errlen)
{
    return df_dred_stats_bind_format(st, blob, df_dred_format_get(12), err, errlen);
}

int df_dred_stats_bind_format(df_dred_stats *st, const df_blob *blob, const df_dred_format *fmt, char *err,
                              size_t errlen)
{
    static const struct {
        const char *name;
        int latent; /* 1: latent table, 0: state table */
        size_t field;
    } tables[] = {
        {"dred_latent_quant_scales_q8", 1, offsetof(df_dred_stats, latent_scale)},
        {"dred_latent_dead_zone_q8", 1, offsetof(df_dred_stats, latent_dead_zone)},
        {"dred_latent_r_q8", 1, offsetof(df_dred_stats, latent_r)},
        {"dred_latent_p0_q8", 1, offsetof(df_dred_stats, latent_p0)},
        {"dred_state_quant_scales_q8", 0, offsetof(df_dred_stats, state_scale)},
        {"dred_state_dead_zone_q8", 0, offsetof(df_dred_stats, state_dead_zone)},
        {"dred_state_r_q8", 0, offsetof(df_dred_stats, state_r)},
        {"dred_state_p0_q8", 0, offsetof(df_dred_stats, state_p0)},
    };
    size_t i;
    if (!fmt || fmt->latent_dim > DF_DRED_LATENT_DIM || fmt->state_dim > DF_DRED_STATE_DIM) {
        if (err && errlen) snprintf(err, errlen, "unsupported DRED format");
        return -1;
    }
    st->fmt = fmt;
    st->latent_dim = fmt->latent_dim;
    st->state_dim = fmt->state_dim;
    for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        const void *p;
        const int dim = tables[i].latent ? fmt->latent_dim : fmt->state_dim;
        if (df_bind_array(blob, tables[i].name, DF_TYPE_UINT8, DF_DRED_NUM_LEVELS * dim, &p, err, errlen))
            return -1;
        *(const uint8_t **)(void *)((char *)st + tables[i].field) = (const uint8_t *)p;
    }
    /* A coded value (r != 0, p0 != 255) with p0 == 0 gives the symbol
     * "zero" probability 0: coding it would leave the range coder with an
     * empty range (libopus's tables never hold it).  Refuse the tables rather
     * than let an encoder spin on them. */
    for (i = 0; i < (size_t)(DF_DRED_NUM_LEVELS * fmt->latent_dim); i++) {
        if (st->latent_r[i] != 0 && st->latent_p0[i] == 0) {
            if (err && errlen) snprintf(err, errlen, "weight record 'dred_latent_p0_q8': entry %d is 0 (no value could be coded)", (int)i);
            return -1;
        }
    }
    for (i = 0; i < (size_t)(DF_DRED_NUM_LEVELS * fmt->state_dim); i++) {
        if (st->state_r[i] != 0 && st->state_p0[i] == 0) {
            if (err && errlen) snprintf(err, errlen, "weight record 'dred_state_p0_q8': entry %d is 0 (no value could be coded)", (int)i);
            return -1;
        }
    }
    return 0;
}
