/* Internal: the NEON building blocks both AArch64 paths share
 * (kernels_neon.c); the SDOT path (kernels_neon_dotprod.c) only replaces
 * the int8 products, so float layers and activations are the same code.
 * Include only from files compiled for AArch64. */
#ifndef DREDFAST_KERNELS_NEON_H
#define DREDFAST_KERNELS_NEON_H

#include <arm_neon.h>

#include "nnet.h"

void df_neon_quantize_u8(uint8_t *x, const float *in, int n);
void df_neon_linear_float(const df_linear *l, float *out, const float *in);
void df_neon_activation(float *out, const float *in, int n, int act);
void df_neon_scaled_exp(float *out, const float *in, float scale, int n);
void df_neon_sparse16_accum(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x);

/* out[0..7] = (float)acc * scale + subias for outputs 0-3 (lo) and 4-7
 * (hi): a rounding conversion, a multiply and an add, each rounded, as the
 * scalar path and libopus do (no FMA here). */
static inline void df_neon_store_scaled(float *out, int32x4_t lo, int32x4_t hi, const float *scale,
                                        const float *subias)
{
    vst1q_f32(out, vaddq_f32(vmulq_f32(vcvtq_f32_s32(lo), vld1q_f32(scale)), vld1q_f32(subias)));
    vst1q_f32(out + 4, vaddq_f32(vmulq_f32(vcvtq_f32_s32(hi), vld1q_f32(scale + 4)), vld1q_f32(subias + 4)));
}

#endif
