/* Played audio at 16 bits: the receiver rounds every sample it plays (and
 * remembers) as decoded audio is, so what the history holds is what was
 * heard.  Scalar and AVX2 give the same bits. */
#ifndef DREDFAST_PCM16_H
#define DREDFAST_PCM16_H

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* [-1, 1] to 16 bits: round half up, clamp; NaN -> 0. */
static inline int16_t df_to_i16(float v)
{
    float s = floorf(.5f + v * 32768.f);
    if (!(s > -32768.f)) s = (s == s) ? -32768.f : 0.f;
    if (s > 32767.f) s = 32767.f;
    return (int16_t)s;
}

/* y[i] = df_to_i16(x[i] + add[i]) / 32768 (add may be NULL: x alone); y may be x. */
void df_pcm16_round(const float *x, const float *add, float *y, int n);

#ifdef __cplusplus
}
#endif
#endif
