/* The high-pass filter the Opus encoder applies to its input in VOIP mode
 * (opus_encoder.c hp_cutoff, float build): a second-order section whose
 * coefficients are derived in fixed point from an integer cutoff in Hz, run
 * in float as direct form II transposed.  The DRED encoder analyses this
 * filtered signal, so its features (and latents) only agree with libopus's
 * when the same filter runs first. */
#ifndef DREDFAST_VOIP_HIGHPASS_H
#define DREDFAST_VOIP_HIGHPASS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Cutoff range of libopus's adaptive high-pass (silk tuning parameters). */
#define DF_HP_MIN_CUTOFF_HZ 60
#define DF_HP_MAX_CUTOFF_HZ 100

typedef struct {
    float mem[2];
} df_highpass;

/* The filter's coefficients for a cutoff at a rate (as libopus derives them). */
typedef struct {
    float a0, a1, b0, b1, b2;
} df_highpass_coefs;

df_highpass_coefs df_highpass_design(int cutoff_hz, int fs);

/* One sample through one channel's state (s0, s1), in libopus's operation
 * order (no contraction: -ffp-contract=off), with its 1e-30 that keeps the
 * state away from denormals. */
static inline float df_highpass_step(const df_highpass_coefs *c, float x, float *s0, float *s1)
{
    const float y = *s0 + c->b0 * x;
    *s0 = *s1 - y * c->a0 + c->b1 * x;
    *s1 = -y * c->a1 + c->b2 * x + 1e-30f;
    return y;
}

void df_highpass_reset(df_highpass *hp);
/* Filters n samples (float, any scale) at fs Hz (8000..48000) with the given
 * cutoff (DF_HP_MIN_CUTOFF_HZ..DF_HP_MAX_CUTOFF_HZ), reading and writing
 * every stride-th value (one channel of interleaved audio; libopus filters
 * each channel with its own state); out may equal in. */
void df_highpass_run(df_highpass *hp, int cutoff_hz, int fs, const float *in, float *out, int n, int stride);
/* The same for interleaved stereo, hp[0] left, hp[1] right (faster than two
 * strided calls: the channels' recurrences run side by side). */
void df_highpass_run_stereo(df_highpass hp[2], int cutoff_hz, int fs, const float *in, float *out, int n);

#ifdef __cplusplus
}
#endif

#endif
