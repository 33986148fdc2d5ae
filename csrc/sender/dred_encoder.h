/* The DRED sender of Opus 1.6.1 (dnn/dred_encoder.c) for 8-48 kHz mono or
 * stereo input: the Opus encoder's input filter (VOIP high-pass or DC
 * rejection) runs at the input rate, libopus's own conversion brings the
 * signal to 16 kHz mono (dred_to16k.h), and it goes through feature analysis
 * and the RDO-VAE encoder every 20 ms; each packet then codes the newest initial state and up to 26
 * latents (every other one, newest first) with the dead-zone quantiser and
 * the range coder, skipping latents of inactive (silent) speech exactly as
 * libopus decides it.
 *
 * The model (analysis + RDO-VAE encoder + quantiser tables) is read-only and
 * shared; df_dred_enc_state holds one stream.  Nothing is allocated here. */
#ifndef DREDFAST_DRED_ENCODER_H
#define DREDFAST_DRED_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "../analysis/lpcnet_analysis.h"
#include "../dred/dred_constants.h"
#include "../dred/dred_stats.h"
#include "../models/rdovae_enc.h"
#include "dc_reject.h"
#include "dred_to16k.h"
#include "voip_highpass.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libopus's DRED_SILK_ENCODER_DELAY: the analysis starts this many samples
 * late, so its frames line up with SILK's. */
#define DF_DRED_ENC_DELAY 11
/* 20 ms frames processed per RDO-VAE step. */
#define DF_DRED_ENC_DFRAME 320
/* Latents / states kept (DRED_MAX_FRAMES) and the most that can be coded
 * from (DRED_NUM_REDUNDANCY_FRAMES). */
#define DF_DRED_ENC_BUFFER (4 * DF_DRED_MAX_LATENTS)
#define DF_DRED_ENC_REDUNDANCY (2 * DF_DRED_MAX_LATENTS)
/* Voice-activity history at 2.5 ms resolution. */
#define DF_DRED_ENC_ACTIVITY (4 * DF_DRED_ENC_BUFFER)
/* Largest payload libopus codes (DRED_MAX_DATA_SIZE, incl. the 2 prefix bytes). */
#define DF_DRED_ENC_MAX_BYTES 1000
/* The Opus encoder's delay compensation (Fs/250 samples, 4 ms), in 16 kHz
 * samples, which enters libopus's offset arithmetic; the restricted
 * low-delay application has none. */
#define DF_DRED_ENC_OPUS_DELAY 64
/* cutoff_hz of df_dred_enc_push for the non-VOIP applications' filter. */
#define DF_DRED_ENC_DC_REJECT (-1)

typedef struct {
    df_analysis_model analysis;
    df_rdovae_enc_model rdovae;
    df_dred_stats stats;
} df_dred_enc_model;

typedef struct {
    df_analysis_state analysis;
    df_rdovae_enc_state rdovae;
    /* Input format (kept by df_dred_enc_reset). */
    int fs, channels, opus_delay;
    df_highpass highpass[2]; /* per channel */
    df_dc_reject dc_reject[2];
    df_to16k to16k;
    float input[2 * DF_DRED_ENC_DFRAME]; /* 16 kHz samples, int16 scale, waiting for analysis */
    int input_fill;
    int dred_offset;   /* 2.5 ms units, libopus's enc->dred_offset */
    int latent_offset; /* latents to skip at the newest end */
    int last_extra_dred_offset;
    float latents[DF_DRED_ENC_BUFFER * DF_DRED_LATENT_DIM]; /* newest first */
    float states[DF_DRED_ENC_BUFFER * DF_DRED_STATE_DIM];
    int latents_fill;
    uint8_t activity[DF_DRED_ENC_ACTIVITY]; /* newest first */
    float last_features[2 * DF_DRED_NUM_FEATURES]; /* of the newest RDO-VAE step */
    long dframes;                                  /* RDO-VAE steps so far */
} df_dred_enc_state;

/* What a call of df_dred_enc_code decided (for tests and statistics). */
typedef struct {
    int latent_offset; /* index of the coded state in the buffer (0 = newest) */
    int extra_offset;  /* inactive latents skipped */
    int nb_latents;    /* latents coded */
    int offset;        /* signalled offset t = 16 - dred_offset */
} df_dred_enc_info;

int df_dred_enc_model_init(df_dred_enc_model *m, const df_blob *blob, char *err, size_t errlen);
/* Starts a stream of fs Hz (8000, 12000, 16000, 24000, 48000) with 1 or 2
 * channels and the Opus encoder's delay compensation opus_delay (in 16 kHz
 * samples: DF_DRED_ENC_OPUS_DELAY, or 0 for the restricted low-delay
 * application).  Returns -1 (state untouched) for anything else. */
int df_dred_enc_init(df_dred_enc_state *st, int fs, int channels, int opus_delay);
/* Starts a new stream in the same format. */
void df_dred_enc_reset(df_dred_enc_state *st);

/* Feeds one packet's worth of audio: n samples per channel (whole 10 ms,
 * at most 60 ms; interleaved if stereo) in [-1, 1] scale as the Opus encoder
 * gets it, one voice-activity flag for the whole packet, and the encoder's
 * input filter: the VOIP high-pass cutoff in Hz, DF_DRED_ENC_DC_REJECT for
 * the other applications' DC rejection, or 0 when the signal is already
 * filtered.  Runs the analysis and the RDO-VAE encoder for every complete
 * 20 ms.  Returns -1 (nothing done) for a bad n or cutoff. */
int df_dred_enc_push(const df_dred_enc_model *m, const df_kernels *k, df_dred_enc_state *st, const float *pcm, int n,
                     int active, int cutoff_hz);

/* The input stage of df_dred_enc_push alone (for checking it against
 * libopus): filters and converts n samples per channel into out, n * 16000 /
 * fs samples of 16 kHz mono in int16 scale, advancing only the filter and
 * conversion states.  Returns -1 for a bad n or cutoff. */
int df_dred_enc_convert(df_dred_enc_state *st, const float *pcm, int n, int cutoff_hz, float *out);

/* Codes this packet's DRED (libopus's dred_encode_silk_frame): out receives
 * the range-coded payload (without the 'D', 12 prefix), at most max_bytes.
 * Returns its length, 0 when libopus would send no DRED (nothing active to
 * send, or not even one latent fits), or -1 for bad arguments.  info may be
 * NULL. */
int df_dred_enc_code(const df_dred_enc_model *m, const df_kernels *k, df_dred_enc_state *st, uint8_t *out,
                     int max_chunks, int max_bytes, int q0, int dq, int qmax, df_dred_enc_info *info);

#ifdef __cplusplus
}
#endif

#endif
