/* libopus's DRED dead-zone quantiser: float latents/state to the integers
 * the payload carries, with the same tanh approximation (through the kernel
 * table) so boundary cases round the same way. */
#ifndef DREDFAST_DRED_QUANTIZE_H
#define DREDFAST_DRED_QUANTIZE_H

#include <stdint.h>

#include "../nnet/nnet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* q[i] = floor(0.5 + xq - delta tanh(xq / (delta + 0.1))), xq = x scale / 256,
 * delta = dead_zone / 256; 0 where the dimension is not coded (r = 0 or
 * p0 = 255).  Tables are those of one quantiser level; dim <= 64. */
void df_dred_quantize(const df_kernels *k, const float *x, const uint8_t *scale, const uint8_t *dead_zone,
                      const uint8_t *r, const uint8_t *p0, int dim, int32_t *q);

#ifdef __cplusplus
}
#endif

#endif
