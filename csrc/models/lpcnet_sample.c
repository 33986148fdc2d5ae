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

int df_lpcnet_sample(const df_kernels *k, const float *logits, float boost, float floor, df_rng *rng, float *probs)
{
    float e[DF_LPCNET_LEVELS];
    float bsum[NBLOCKS];
    float sum = 0, thr, total = 0, r, c;
    int i, b;
    /* Relative to the maximum, so exp stays in range (FreeDV does not need
     * to: its logits are bounded; ours may come from any input). */
    k->scaled_exp(e, logits, 1.f + boost, DF_LPCNET_LEVELS);
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
