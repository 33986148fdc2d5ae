/* Software model of Intel's rcpps reciprocal estimate (see gen_rcp_table.py).
 * Used by every kernel path so activations are identical on every CPU and
 * equal to libopus's on the Intel machine that made the reference vectors. */
#ifndef DREDFAST_RCP_H
#define DREDFAST_RCP_H

#include <stdint.h>
#include <string.h>

extern const int32_t df_rcp_mantissa[2048];

/* Valid for the normal, positive-exponent-range inputs the activations give
 * it (denominators >= 952); zero/denormal/inf/NaN are not modelled beyond
 * returning a finite or signed-zero value. */
static inline float df_rcp_intel(float d)
{
    uint32_t b, out;
    int32_t ex;
    float r;
    memcpy(&b, &d, 4);
    ex = (int32_t)(253u << 23) - (int32_t)(b & 0x7f800000u);
    out = b & 0x80000000u;
    if (ex > 0)
        out |= (uint32_t)ex | (uint32_t)df_rcp_mantissa[(b >> 12) & 0x7ff];
    memcpy(&r, &out, 4);
    return r;
}

#endif
