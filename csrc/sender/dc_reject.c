#include "dc_reject.h"

void df_dc_reject_reset(df_dc_reject *f)
{
    f->mem = 0.f;
}

void df_dc_reject_run(df_dc_reject *f, int fs, const float *in, float *out, int n, int stride)
{
    /* libopus's pole: 6.3 * cutoff / fs, computed in float as it does. */
    const float coef = 6.3f * (float)DF_DC_REJECT_HZ / (float)fs;
    const float coef2 = 1.f - coef;
    float m = f->mem;
    int i;
    for (i = 0; i < n; i++) {
        const float x = in[i * stride];
        const float y = x - m;
        /* 1e-30 keeps the state away from denormals (VERY_SMALL). */
        m = coef * x + 1e-30f + coef2 * m;
        out[i * stride] = y;
    }
    f->mem = m;
}
