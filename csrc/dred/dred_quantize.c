#include "dred_quantize.h"

#include <math.h>

#define MAX_DIM 64
/* Keeps the float-to-int conversion defined for absurd inputs; a real
 * quantised value is a few tens at most. */
#define CLAMP 1e9f

void df_dred_quantize(const df_kernels *k, const float *x, const uint8_t *scale, const uint8_t *dead_zone,
                      const uint8_t *r, const uint8_t *p0, int dim, int32_t *q)
{
    float xq[MAX_DIM], delta[MAX_DIM], dz[MAX_DIM] = {0};
    int i;
    if (dim > MAX_DIM) dim = MAX_DIM;
    /* Same operations and order as libopus (no FMA: compiled with
     * -ffp-contract=off), so every rounding matches. */
    for (i = 0; i < dim; i++) {
        delta[i] = dead_zone[i] * (1.f / 256.f);
        xq[i] = x[i] * scale[i] * (1.f / 256.f);
        dz[i] = xq[i] / (delta[i] + .1f);
    }
    k->activation(dz, dz, dim, DF_ACT_TANH);
    for (i = 0; i < dim; i++) {
        float v = floorf(.5f + (xq[i] - delta[i] * dz[i]));
        if (!(v > -CLAMP)) v = -CLAMP; /* also maps NaN */
        if (v > CLAMP) v = CLAMP;
        q[i] = (r[i] == 0 || p0[i] == 255) ? 0 : (int32_t)v;
    }
}
