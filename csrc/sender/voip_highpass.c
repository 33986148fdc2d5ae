#include "voip_highpass.h"

#include <stdint.h>

void df_highpass_reset(df_highpass *hp)
{
    hp->mem[0] = hp->mem[1] = 0.f;
}

/* (a * b) >> 16 with a 64-bit product, as silk_SMULWW. */
static int32_t smulww(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b) >> 16);
}

df_highpass_coefs df_highpass_design(int cutoff_hz, int fs)
{
    /* Coefficients exactly as libopus derives them: Fc in Q19 from
     * 1.5*pi/1000 per Hz and kHz (integer division by the rate in kHz),
     * r = 1 - 0.92 Fc in Q28, then b = r [1, -2, 1], a = [-r (2 - Fc^2), r^2]. */
    const int32_t fc_q19 = (int32_t)((int32_t)2471 * cutoff_hz) / (fs / 1000); /* 2471 = round(1.5*3.14159/1000 * 2^19) */
    const int32_t r_q28 = (1 << 28) - 471 * fc_q19;                             /* 471 = round(0.92 * 2^9) */
    const int32_t r_q22 = r_q28 >> 6;
    const int32_t a0_q28 = smulww(r_q22, smulww(fc_q19, fc_q19) - (2 << 22));
    const int32_t a1_q28 = smulww(r_q22, r_q22);
    const float scale = 1.f / (float)(1 << 28);
    df_highpass_coefs c;
    c.a0 = (float)a0_q28 * scale;
    c.a1 = (float)a1_q28 * scale;
    c.b0 = (float)r_q28 * scale;
    c.b1 = (float)(-2 * r_q28) * scale;
    c.b2 = c.b0;
    return c;
}

void df_highpass_run(df_highpass *hp, int cutoff_hz, int fs, const float *in, float *out, int n, int stride)
{
    const df_highpass_coefs c = df_highpass_design(cutoff_hz, fs);
    float s0 = hp->mem[0], s1 = hp->mem[1];
    int i;
    for (i = 0; i < n; i++) out[i * stride] = df_highpass_step(&c, in[i * stride], &s0, &s1);
    hp->mem[0] = s0;
    hp->mem[1] = s1;
}

void df_highpass_run_stereo(df_highpass hp[2], int cutoff_hz, int fs, const float *in, float *out, int n)
{
    const df_highpass_coefs c = df_highpass_design(cutoff_hz, fs);
    float l0 = hp[0].mem[0], l1 = hp[0].mem[1], r0 = hp[1].mem[0], r1 = hp[1].mem[1];
    int i;
    /* Both channels in one loop: two independent recurrences overlap. */
    for (i = 0; i < n; i++) {
        const float yl = df_highpass_step(&c, in[2 * i], &l0, &l1);
        const float yr = df_highpass_step(&c, in[2 * i + 1], &r0, &r1);
        out[2 * i] = yl;
        out[2 * i + 1] = yr;
    }
    hp[0].mem[0] = l0;
    hp[0].mem[1] = l1;
    hp[1].mem[0] = r0;
    hp[1].mem[1] = r1;
}
