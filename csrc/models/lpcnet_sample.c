/* Compiled with the vectoriser on: the per-level loops are plain float
 * arithmetic, so the result does not depend on the CPU path. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif
#include "lpcnet_sample.h"

#include <string.h>

#define BLOCK 8
#define NBLOCKS (DF_LPCNET_LEVELS / BLOCK)

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void df_rng_seed(df_rng *rng, uint64_t seed)
{
    int i;
    /* splitmix64 never yields an all-zero xoshiro state from 4 draws. */
    for (i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t df_rng_next(df_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* e^x for x <= 0: x log2(e) = n + f with n an integer (round to nearest via
 * the 1.5 * 2^23 trick) and |f| <= 1/2, e^(f ln 2) by its Taylor series to
 * degree 7 (truncation < 6e-9), times 2^n built in the exponent bits.
 * Arguments below -87 give ~1e-38 (they only matter through the sum). */
static inline float exp_nonpos(float x)
{
    const float shifter = 12582912.f;
    union {
        float f;
        int32_t i;
    } scale;
    float y, n, g, p;
    x = x < -87.f ? -87.f : x;
    y = x * 1.44269504088896341f;
    n = (y + shifter) - shifter;
    g = (y - n) * 0.693147180559945309f;
    p = 1.f / 5040;
    p = p * g + 1.f / 720;
    p = p * g + 1.f / 120;
    p = p * g + 1.f / 24;
    p = p * g + 1.f / 6;
    p = p * g + .5f;
    p = p * g + 1.f;
    p = p * g + 1.f;
    scale.i = ((int32_t)n + 127) << 23;
    return p * scale.f;
}

int df_lpcnet_sample(const float *logits, float boost, float floor, df_rng *rng, float *probs)
{
    float e[DF_LPCNET_LEVELS];
    float bsum[NBLOCKS];
    const float k = 1.f + boost;
    float m = logits[0] * k, sum = 0, thr, total = 0, r, c;
    int i, b;
    for (i = 1; i < DF_LPCNET_LEVELS; i++) {
        const float v = logits[i] * k;
        m = v > m ? v : m;
    }
    /* Subtracting the maximum keeps exp in range (FreeDV does not need to:
     * its logits are bounded; ours may come from any input). */
    for (i = 0; i < DF_LPCNET_LEVELS; i++)
        e[i] = exp_nonpos(logits[i] * k - m);
    for (b = 0; b < NBLOCKS; b++) {
        const float *v = e + b * BLOCK;
        bsum[b] = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    }
    for (b = 0; b < NBLOCKS; b++)
        sum += bsum[b];
    /* q_i - floor > 0  <=>  e_i > floor * sum */
    thr = floor * sum;
    for (i = 0; i < DF_LPCNET_LEVELS; i++) {
        const float w = e[i] - thr;
        e[i] = w > 0 ? w : 0;
    }
    for (b = 0; b < NBLOCKS; b++) {
        const float *v = e + b * BLOCK;
        bsum[b] = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
        total += bsum[b];
    }
    if (probs) {
        const float inv = total > 0 ? 1.f / total : 0.f;
        for (i = 0; i < DF_LPCNET_LEVELS; i++)
            probs[i] = e[i] * inv;
    }
    if (!(total > 0)) /* only if every level sits under the floor: impossible for floor < 1/256 */
        return 128;
    /* Inverse CDF: find the block, then the level inside it. */
    r = (float)(df_rng_next(rng) >> 40) * (1.f / 16777216.f) * total;
    c = 0;
    for (b = 0; b < NBLOCKS - 1; b++) {
        if (r < c + bsum[b]) break;
        c += bsum[b];
    }
    for (i = b * BLOCK; i < b * BLOCK + BLOCK - 1; i++) {
        c += e[i];
        if (r < c && e[i] > 0) return i;
    }
    /* Rounding can leave r just past the last partial sum: take the last
     * level of the block with non-zero weight (or, if rounding ran the
     * block search off the end, the last such level overall). */
    for (i = b * BLOCK + BLOCK - 1; i >= b * BLOCK; i--)
        if (e[i] > 0) return i;
    for (i = DF_LPCNET_LEVELS - 1; i > 0; i--)
        if (e[i] > 0) return i;
    return 0;
}
