/* Software model of Intel's rcpps reciprocal estimate.
 *
 * libopus's tanh/sigmoid divide through rcpps, whose result is
 * implementation-defined: AMD and Intel CPUs return different estimates, and
 * the RDO-VAE decoder is sensitive enough that this alone moves its features
 * by ~0.02 rms.  The reference vectors were made on an Intel CPU, so every
 * dredfast path computes Intel's estimate and gets the same bits on any CPU.
 *
 * For d = 1.f x 2^e, Intel's estimate only looks at the top 11 bits of f
 * (i = f >> 12): the result is the reciprocal of the midpoint of that input
 * interval, rounded to 12 fraction bits,
 *     mantissa field = 8 * round(4096 * (4095 - 2i) / (4097 + 2i)) << 8,
 *     exponent field = 253 - e.
 * Numerator (< 2^24) and denominator are exact floats and IEEE division is
 * correctly rounded, so rounding the float quotient to an integer gives the
 * exact rounding for all 2048 i (no quotient lies within half an ulp of a
 * tie; checked exhaustively in tests/test_kernels.py), and it reproduces the
 * vectors bit for bit.  Valid for the normal inputs the activations give it
 * (denominators >= 952). */
#ifndef DREDFAST_RCP_H
#define DREDFAST_RCP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float df_rcp_intel(float d)
{
    uint32_t b, out;
    int32_t ex, i;
    float r;
    memcpy(&b, &d, 4);
    i = (int32_t)((b >> 12) & 0x7ff);
    ex = (int32_t)(253u << 23) - (int32_t)(b & 0x7f800000u);
    out = b & 0x80000000u;
    if (ex > 0) {
        int32_t t = (int32_t)nearbyintf((float)(4096 * (4095 - 2 * i)) / (float)(4097 + 2 * i));
        out |= (uint32_t)ex | (uint32_t)t << 11;
    }
    memcpy(&r, &out, 4);
    return r;
}

#endif
