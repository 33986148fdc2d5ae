/* The DC-rejection filter the Opus encoder runs on its input instead of the
 * VOIP high-pass when the application is not VOIP (opus_encoder.c dc_reject,
 * float build, 3 Hz): a one-pole high-pass per channel.  DRED analyses the
 * filtered signal, so a DRED sender for an AUDIO / low-delay stream runs it
 * first to see what libopus's DRED sees. */
#ifndef DREDFAST_DC_REJECT_H
#define DREDFAST_DC_REJECT_H

#ifdef __cplusplus
extern "C" {
#endif

#define DF_DC_REJECT_HZ 3

typedef struct {
    float mem;
} df_dc_reject;

void df_dc_reject_reset(df_dc_reject *f);
/* n samples at fs Hz, every stride-th value (one channel of interleaved
 * audio); out may equal in. */
void df_dc_reject_run(df_dc_reject *f, int fs, const float *in, float *out, int n, int stride);

#ifdef __cplusplus
}
#endif

#endif
