/* Software model of Intel's rcpps reciprocal estimate.
 *
 * libopus's tanh/sigmoid divide through rcpps, whose result is
 * implementation-defined: AMD and Intel CPUs return different estimates, and
 * the RDO-VAE decoder is sensitive enough that this alone moves its features
 * by ~0.02 rms.  The reference vectors were made on an Intel CPU, so every
 * dredfast path computes Intel's estimate and gets the same bits on any CPU.
 *
 * For d = 1.f x 2^e, Intel's estimate only looks at the top 11 bits of f:
 * it is the reciprocal of the midpoint of that input interval with its
 * mantissa rounded to 12 bits (the table entry for i = f >> 12 is
 * round(4096 * (4095 - 2i) / (4097 + 2i))).  We compute it as the correctly
 * rounded float 1 / midpoint, rounded to 12 mantissa bits (ties to even);
 * that double rounding is exact for every midpoint but the last (i = 2047,
 * whose float quotient lands on a tie that the true quotient exceeds), which
 * is patched.  Checked against the exact table for all 2048 entries in
 * tests/test_kernels.py, and bit-exact on the reference vectors.  Valid for
 * the normal inputs the activations give it (denominators >= 952). */
#ifndef DREDFAST_RCP_H
#define DREDFAST_RCP_H

#include <stdint.h>
#include <string.h>

#define DF_RCP_INDEX_BITS 0x007ff000u /* the top 11 fraction bits */
#define DF_RCP_MIDPOINT 0x00000800u   /* half an index step */
#define DF_RCP_DROP 0x000007ffu       /* fraction bits below the 12 kept */

static inline float df_rcp_intel(float d)
{
    uint32_t b, rb;
    float mid, r;
    memcpy(&b, &d, 4);
    rb = (b & 0xfffff000u) | DF_RCP_MIDPOINT; /* sign, exponent, top 11 bits, then half a step */
    memcpy(&mid, &rb, 4);
    r = 1.f / mid;
    memcpy(&rb, &r, 4);
    rb = (rb + (DF_RCP_DROP >> 1) + ((rb >> 11) & 1u)) & ~DF_RCP_DROP;
    if ((b & DF_RCP_INDEX_BITS) == DF_RCP_INDEX_BITS)
        rb |= DF_RCP_MIDPOINT;
    memcpy(&r, &rb, 4);
    return r;
}

#endif
