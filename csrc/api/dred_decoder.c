/* The DRED decoder object of the C API: packet -> DRED integers -> features,
 * for every DRED version it was given a model for. */
#include "../include/dredfast.h"

#include <stdio.h>
#include <stdlib.h>

#include "../dred/dred_format.h"
#include "../dred/dred_stats.h"
#include "../models/rdovae_dec.h"

typedef struct {
    df_rdovae_dec_model model;
    df_dred_stats stats;
} dred_version_model;

struct df_dred_decoder {
    dred_version_model v[DF_DRED_DECODER_MAX_VERSIONS];
    int versions[DF_DRED_DECODER_MAX_VERSIONS]; /* in order of preference */
    int n;
    const df_kernels *kernels;
};

df_dred_decoder *df_dred_decoder_create(const df_blob *model, const df_blob *stats, int isa, char *err,
                                        size_t errlen)
{
    static const int v12[1] = {12};
    return df_dred_decoder_create_versions(&model, &stats, v12, 1, isa, err, errlen);
}

df_dred_decoder *df_dred_decoder_create_versions(const df_blob *const *models, const df_blob *const *stats,
                                                 const int *versions, int n, int isa, char *err, size_t errlen)
{
    df_dred_decoder *dec;
    const df_kernels *k;
    int i, j;
    if (n < 1 || n > DF_DRED_DECODER_MAX_VERSIONS) {
        if (err && errlen) snprintf(err, errlen, "between 1 and %d DRED versions", DF_DRED_DECODER_MAX_VERSIONS);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (!df_dred_format_get(versions[i])) {
            if (err && errlen) snprintf(err, errlen, "unknown DRED version %d", versions[i]);
            return NULL;
        }
        for (j = 0; j < i; j++) {
            if (versions[j] == versions[i]) {
                if (err && errlen) snprintf(err, errlen, "DRED version %d given twice", versions[i]);
                return NULL;
            }
        }
    }
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
    for (i = 0; i < n; i++) {
        const df_dred_format *fmt = df_dred_format_get(versions[i]);
        if (df_rdovae_dec_bind_format(&dec->v[i].model, models[i], fmt, err, errlen) ||
            df_dred_stats_bind_format(&dec->v[i].stats, stats[i], fmt, err, errlen)) {
            free(dec);
            return NULL;
        }
        dec->versions[i] = versions[i];
    }
    dec->n = n;
    return dec;
}

void df_dred_decoder_destroy(df_dred_decoder *dec) { free(dec); }

df_isa df_dred_decoder_isa(const df_dred_decoder *dec) { return dec->kernels->isa; }

int df_dred_decoder_versions(const df_dred_decoder *dec, int *versions, int max)
{
    int i;
    for (i = 0; i < dec->n && i < max; i++) versions[i] = dec->versions[i];
    return dec->n;
}

int df_dred_max_feature_frames(int max_ms)
{
    int frames;
    if (max_ms < 0) max_ms = 0;
    if (max_ms > 2000) max_ms = 2000;
    frames = 2 + max_ms / 10;
    return frames < DF_DRED_MAX_FRAMES ? frames : DF_DRED_MAX_FRAMES;
}

static const dred_version_model *model_for(const df_dred_decoder *dec, int version)
{
    int i;
    for (i = 0; i < dec->n; i++)
        if (dec->versions[i] == version) return &dec->v[i];
    return NULL;
}

int df_dred_decoder_parse(const df_dred_decoder *dec, const uint8_t *packet, int32_t len, int max_ms,
                          df_dred_location *loc, df_dred_data *out)
{
    const dred_version_model *vm;
    int ret = df_find_dred_versions(packet, len, dec->versions, dec->n, loc);
    if (ret != 1) return ret;
    vm = model_for(dec, loc->version);
    df_dred_decode_payload(out, &vm->stats, loc->ext_data + 2, loc->ext_len - 2, df_dred_max_feature_frames(max_ms),
                           loc->frame_offset);
    return 1;
}

void df_dred_decoder_features(const df_dred_decoder *dec, const df_dred_data *d, float *features)
{
    const dred_version_model *vm = model_for(dec, d->version);
    /* Data from another decoder with a version this one lacks: no features
     * can be made; zero rows rather than reading a model that is not there. */
    if (!vm) {
        size_t i, n = (size_t)d->nb_latents * DF_RDOVAE_DEC_OUT;
        for (i = 0; i < n; i++) features[i] = 0.f;
        return;
    }
    df_rdovae_decode_all(&vm->model, dec->kernels, d->state, &d->latents[0][0], DF_DRED_LATENT_DIM + 1,
                         d->nb_latents, features);
}
