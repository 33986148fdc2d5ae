/* What differs between the DRED formats dredfast reads, keyed by the
 * extension's version byte (the byte after 'D'): the payload dimensions and
 * the RDO-VAE decoder's architecture.  Everything else (payload syntax,
 * quantiser maths, placement in the packet) is shared, so the payload
 * decoder and the one RDO-VAE decoder take a description instead of being
 * copied per version.
 *
 *   version 12: libopus 1.6.x (25 latents, 50 state values, 64-unit GRUs,
 *               a projection to 32 before each conv, qlevel/8 - 1 as a 26th
 *               decoder input);
 *   version 10: libopus 1.5.x (21 latents, 19 state values, 96-unit GRUs,
 *               each conv reads the whole buffer built so far, no 26th input). */
#ifndef DREDFAST_DRED_FORMAT_H
#define DREDFAST_DRED_FORMAT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Largest dimensions over all formats: fixed-size buffers use these. */
#define DF_DRED_FORMAT_MAX_GRU_UNITS 96

typedef struct {
    int version;      /* extension version byte */
    int latent_dim;   /* coded values per latent (<= DF_DRED_LATENT_DIM) */
    int state_dim;    /* coded initial-state values (<= DF_DRED_STATE_DIM) */
    int qlevel_input; /* 1: the decoder's input is the latent plus qlevel/8 - 1 */
    int gru_units;    /* units of each of the 5 decoder GRUs */
    int conv_dense;   /* 1: each conv reads a dense projection (to 32) of the
                       * buffer; 0: each conv reads the whole buffer so far */
} df_dred_format;

/* The format of a version byte, or NULL when dredfast does not know it. */
const df_dred_format *df_dred_format_get(int version);

#ifdef __cplusplus
}
#endif

#endif
