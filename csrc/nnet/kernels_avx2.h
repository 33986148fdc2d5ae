/* Internal: AVX2 building blocks the AVX-512 path reuses, so both paths
 * share float and activation arithmetic exactly. */
#ifndef DREDFAST_KERNELS_AVX2_H
#define DREDFAST_KERNELS_AVX2_H

#include "nnet.h"

void df_avx2_quantize_u8(uint8_t *x, const float *in, int n);
void df_avx2_float_dense(const df_linear *l, float *out, const float *x);
void df_avx2_float_sparse(const df_linear *l, float *out, const float *x);
void df_avx2_add_bias(float *out, const float *bias, int n);
void df_avx2_linear_float(const df_linear *l, float *out, const float *in);
void df_avx2_activation(float *out, const float *in, int n, int act);
void df_avx2_scaled_exp(float *out, const float *in, float scale, int n);
void df_avx2_sparse16_accum(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x);

#endif
