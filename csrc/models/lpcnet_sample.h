/* Drawing LPCNet's excitation: a seedable generator kept in the stream
 * state (no global state) and sampling from the sharpened, floored
 * distribution over the 256 mu-law levels. */
#ifndef DREDFAST_LPCNET_SAMPLE_H
#define DREDFAST_LPCNET_SAMPLE_H

#include <stdint.h>

#include "../nnet/nnet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_LPCNET_LEVELS 256

/* xoshiro256** (Blackman & Vigna): small, fast, and good enough that the
 * 24-bit uniforms below are indistinguishable from ideal ones here. */
typedef struct {
    uint64_t s[4];
} df_rng;

void df_rng_seed(df_rng *rng, uint64_t seed);
uint64_t df_rng_next(df_rng *rng);

/* FreeDV's sample_from_pdf: with x = (1 + boost) * logits, q = softmax(x),
 * draws level i with probability max(0, q_i - floor) / sum_j max(0, q_j - floor).
 * exp is a vectorisable polynomial (relative error < 2e-7), so the draw is
 * from that distribution to float precision (k->scaled_exp: the same bits
 * on every path).  If probs is not NULL it
 * receives the 256 probabilities (teacher-forced evaluation). */
int df_lpcnet_sample(const df_kernels *k, const float *logits, float boost, float floor, df_rng *rng, float *probs);

#ifdef __cplusplus
}
#endif

#endif
