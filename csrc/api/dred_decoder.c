/* The DRED decoder object of the C API: packet -> DRED integers -> features. */
#include "../include/dredfast.h"

#include <stdio.h>
#include <stdlib.h>

#include "../dred/dred_stats.h"
#include "../models/rdovae_dec.h"

struct df_dred_decoder {
    df_rdovae_dec_model model;
    df_dred_stats stats;
    const df_kernels *kernels;
};

df_dred_decoder *df_dred_decoder_create(const df_blob *model, const df_blob *stats, int isa, char *err,
                                        size_t errlen)
{
    df_dred_decoder *dec;
    const df_kernels *k;
    if (isa == DF_ISA_BEST) isa = (int)df_isa_best();
    k = (isa >= 0 && isa < DF_ISA_COUNT) ? df_kernels_get((df_isa)isa) : NULL;
    if (!k) {
        if (err && errlen) snprintf(err, errlen, "instruction set %d is not available on this CPU", isa);
        return NULL;
    }
    dec = (df_dred_decoder *)calloc(1, sizeof(*dec));
    if (!dec) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return NULL;
    }
    dec->kernels = k;
    if (df_rdovae_dec_bind(&dec->model, model, err, errlen) || df_dred_stats_bind(&dec->stats, stats, err, errlen)) {
        free(dec);
        return NULL;
    }
    return dec;
}

void df_dred_decoder_destroy(df_dred_decoder *dec) { free(dec); }

df_isa df_dred_decoder_isa(const df_dred_decoder *dec) { return dec->kernels->isa; }

int df_dred_max_feature_frames(int max_ms)
{
    int frames;
    if (max_ms < 0) max_ms = 0;
    if (max_ms > 2000) max_ms = 2000;
    frames = 2 + max_ms / 10;
    return frames < DF_DRED_MAX_FRAMES ? frames : DF_DRED_MAX_FRAMES;
}

int df_dred_decoder_parse(const df_dred_decoder *dec, const uint8_t *packet, int32_t len, int max_ms,
                          df_dred_location *loc, df_dred_data *out)
{
    int ret = df_find_dred(packet, len, loc);
    if (ret != 1) return ret;
    df_dred_decode_payload(out, &dec->stats, loc->ext_data + 2, loc->ext_len - 2, df_dred_max_feature_frames(max_ms),
                           loc->frame_offset);
    return 1;
}

void df_dred_decoder_features(const df_dred_decoder *dec, const df_dred_data *d, float *features)
{
    df_rdovae_decode_all(&dec->model, dec->kernels, d->state, &d->latents[0][0], d->nb_latents, features);
}
