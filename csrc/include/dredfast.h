/* dredfast C API: a few opaque objects over the C core, usable without
 * Python.  Objects are independent (no global state); a weight blob and a
 * decoder are read-only after creation and may be shared between threads.
 *
 *   df_blob *w = df_blob_parse(bytes, n, err, sizeof err);
 *   df_dred_decoder *dec = df_dred_decoder_create(w, w, DF_ISA_BEST, err, sizeof err);
 *   df_dred_data d;  df_dred_location loc;
 *   if (df_dred_decoder_parse(dec, pkt, len, 1000, &loc, &d) == 1)
 *       df_dred_decoder_features(dec, &d, features);   // 4*d.nb_latents x 20
 *
 * The blobs passed to df_dred_decoder_create must outlive the decoder. */
#ifndef DREDFAST_H
#define DREDFAST_H

#include <stddef.h>
#include <stdint.h>

#include "../weights/blob.h"
#include "../packet/opus_packet.h"
#include "../dred/dred_payload.h"
#include "../nnet/nnet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_ISA_BEST (-1)
/* DRED versions one decoder can read (12: libopus 1.6, 10: libopus 1.5). */
#define DF_DRED_DECODER_MAX_VERSIONS 2

typedef struct df_dred_decoder df_dred_decoder;

/* Binds the RDO-VAE decoder layers from `model` and the quantiser tables
 * from `stats` (may be the same blob).  isa: a df_isa value or DF_ISA_BEST.
 * Returns NULL with a message in err on failure. */
df_dred_decoder *df_dred_decoder_create(const df_blob *model, const df_blob *stats, int isa, char *err,
                                        size_t errlen);
/* A decoder for several DRED versions: models[i] / stats[i] hold the
 * RDO-VAE decoder and quantiser tables of version versions[i] (10 or 12).
 * A packet carrying DRED of more than one of them is read with the earliest
 * in the list; other versions are ignored, as libopus ignores versions it
 * does not know. */
df_dred_decoder *df_dred_decoder_create_versions(const df_blob *const *models, const df_blob *const *stats,
                                                 const int *versions, int n, int isa, char *err, size_t errlen);
void df_dred_decoder_destroy(df_dred_decoder *dec);
/* Writes up to max version bytes the decoder reads, in order of
 * preference; returns how many it reads. */
int df_dred_decoder_versions(const df_dred_decoder *dec, int *versions, int max);
df_isa df_dred_decoder_isa(const df_dred_decoder *dec);

/* Feature frames libopus decodes for a request of max_ms milliseconds
 * (its min_feature_frames for max_dred_samples = max_ms * Fs / 1000). */
int df_dred_max_feature_frames(int max_ms);

/* Finds and decodes the DRED of a packet.  Returns 1 (DRED decoded into
 * *out, location and version in *loc), 0 (valid packet without DRED of a
 * version this decoder reads; loc->skipped_version >= 0 if it carried one
 * of another version) or DF_PACKET_INVALID (malformed packet or
 * extensions). */
int df_dred_decoder_parse(const df_dred_decoder *dec, const uint8_t *packet, int32_t len, int max_ms,
                          df_dred_location *loc, df_dred_data *out);

/* Runs the RDO-VAE decoder: features[(4 * d->nb_latents) x 20], row 0 =
 * the newest 10 ms frame.  No allocation; safe to call concurrently. */
void df_dred_decoder_features(const df_dred_decoder *dec, const df_dred_data *d, float *features);

#ifdef __cplusplus
}
#endif

#endif
