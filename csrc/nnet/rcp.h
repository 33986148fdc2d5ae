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
 * rounded float 1 / (midpoint - one ulp), rounded to 12 mantissa bits with
 * ties going down: two integer operations after the division.  (1 / midpoint
 * with ties to even is one ulp of the divisor more direct, but two of its
 * float quotients land exactly on a tie -- i = 1984, whose true quotient is
 * below it, and i = 2047, above -- and telling them apart cost five more
 * operations per vector.)  Checked against the exact table for all 2048
 * entries at several exponents in tests/test_kernels.py, and bit-exact on
 * the reference vectors; the same bits as the earlier ties-to-even form for
 * every input whose exponent field is 1..252 (all 2^32 inputs compared), so
 * every denominator the activations give it (>= 952, below 2^126). */
#ifndef DREDFAST_RCP_H
#define DREDFAST_RCP_H

#include <stdint.h>
#include <string.h>

#define DF_RCP_BELOW_MID 0x000007ffu  /* half an index step, less one ulp */
#define DF_RCP_DROP 0x000007ffu       /* fraction bits below the 12 kept */
#define DF_RCP_HALF_DOWN 0x000003ffu  /* added before dropping: rounds ties down */

static inline float df_rcp_intel(float d)
{
    uint32_t b, rb;
    float mid, r;
    memcpy(&b, &d, 4);
    rb = (b & 0xfffff000u) | DF_RCP_BELOW_MID; /* sign, exponent, top 11 bits, then half a step less an ulp */
    memcpy(&mid, &rb, 4);
    r = 1.f / mid;
    memcpy(&rb, &r, 4);
    rb = (rb + DF_RCP_HALF_DOWN) & ~DF_RCP_DROP;
    memcpy(&r, &rb, 4);
    return r;
}

#endif
