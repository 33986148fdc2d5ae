/* Portable kernels: always available, the reference the SIMD paths are
 * tested against.  Same quantisation, accumulation order and reciprocal
 * estimate as the SIMD paths, so every path gives the same bits. */
#include "kernels.h"
#include "rcp.h"

#include <math.h>
#include <string.h>

/* u8 input of the int8 kernels: what vcvtps2dq + packus give for
 * fma(x, 127, 127): round to nearest even, saturate to [0, 255], and 0 for
 * NaN or values outside the int32 range. */
static uint8_t quantize_u8(float x)
{
    float v = nearbyintf(fmaf(x, 127.f, 127.f));
    if (!(v >= -2147483648.f && v < 2147483648.f))
        return 0;
    if (v < 0.f)
        return 0;
    if (v > 255.f)
        return 255;
    return (uint8_t)v;
}

static void int8_dense(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    int i, j, r, c;
    for (i = 0; i < l->nb_outputs; i += 8) {
        int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (j = 0; j < l->nb_inputs; j += 4) {
            for (r = 0; r < 8; r++)
                for (c = 0; c < 4; c++)
                    acc[r] += (int32_t)w[r * 4 + c] * (int32_t)x[j + c];
            w += 32;
        }
        /* Two roundings (no FMA), as the SIMD paths and libopus. */
        for (r = 0; r < 8; r++)
            out[i + r] = (float)acc[r] * l->scale[i + r] + l->subias[i + r];
    }
}

static void int8_sparse(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int32_t *idx = l->weights_idx;
    int i, b, r, c;
    for (i = 0; i < l->nb_outputs; i += 8) {
        int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int nblocks = *idx++;
        for (b = 0; b < nblocks; b++) {
            const uint8_t *xj = x + *idx++;
            for (r = 0; r < 8; r++)
                for (c = 0; c < 4; c++)
                    acc[r] += (int32_t)w[r * 4 + c] * (int32_t)xj[c];
            w += 32;
        }
        for (r = 0; r < 8; r++)
            out[i + r] = (float)acc[r] * l->scale[i + r] + l->subias[i + r];
    }
}

static void float_dense(const df_linear *l, float *out, const float *x)
{
    const int n = l->nb_outputs;
    int i, j;
    for (i = 0; i < n; i++) {
        float acc = 0.f;
        for (j = 0; j < l->nb_inputs; j++)
            acc = fmaf(l->float_weights[(size_t)j * (size_t)n + (size_t)i], x[j], acc);
        out[i] = acc;
    }
}

static void float_sparse(const df_linear *l, float *out, const float *x)
{
    const float *w = l->float_weights;
    const int32_t *idx = l->weights_idx;
    int i, b, r, c;
    for (i = 0; i < l->nb_outputs; i += 8) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int nblocks = *idx++;
        for (b = 0; b < nblocks; b++) {
            const float *xj = x + *idx++;
            /* Float blocks are stored input-major: 4 runs of 8 outputs. */
            for (c = 0; c < 4; c++)
                for (r = 0; r < 8; r++)
                    acc[r] = fmaf(w[c * 8 + r], xj[c], acc[r]);
            w += 32;
        }
        memcpy(out + i, acc, sizeof(acc));
    }
}

static void quantize_scalar(uint8_t *out, const float *in, int n)
{
    int i;
    for (i = 0; i < n; i++)
        out[i] = quantize_u8(in[i]);
}

/* int8 layers: the unsigned input carries +127 per element; subias (added
 * in the kernels) has the matching correction folded in. */
static void linear_q_scalar(const df_linear *l, float *out, const uint8_t *x)
{
    if (l->weights_idx)
        int8_sparse(l, out, x);
    else
        int8_dense(l, out, x);
}

static void linear_scalar(const df_linear *l, float *out, const float *in)
{
    int i;
    if (l->weights && !l->float_weights) {
        uint8_t x[DF_MAX_INPUTS];
        quantize_scalar(x, in, l->nb_inputs);
        linear_q_scalar(l, out, x);
        return;
    }
    if (l->float_weights) {
        if (l->weights_idx)
            float_sparse(l, out, in);
        else
            float_dense(l, out, in);
    } else {
        memset(out, 0, (size_t)l->nb_outputs * sizeof(float));
    }
    if (l->bias)
        for (i = 0; i < l->nb_outputs; i++)
            out[i] += l->bias[i];
}

static float tanh_scalar(float x)
{
    float x2 = x * x;
    float num = fmaf(fmaf(DF_TANH_N2, x2, DF_TANH_N1), x2, DF_TANH_N0);
    float den = fmaf(fmaf(DF_TANH_D2, x2, DF_TANH_D1), x2, DF_TANH_D0);
    float y = (num * x) * df_rcp_intel(den);
    return fmaxf(-1.f, fminf(1.f, y));
}

static float sigmoid_scalar(float x)
{
    float x2 = x * x;
    float num = fmaf(fmaf(DF_SIGM_N2, x2, DF_SIGM_N1), x2, DF_SIGM_N0);
    float den = fmaf(fmaf(DF_SIGM_D2, x2, DF_SIGM_D1), x2, DF_SIGM_D0);
    float y = fmaf(num * x, df_rcp_intel(den), 0.5f);
    return fmaxf(0.f, fminf(1.f, y));
}

static void activation_scalar(float *out, const float *in, int n, int act)
{
    int i;
    switch (act) {
    case DF_ACT_SIGMOID:
        for (i = 0; i < n; i++) out[i] = sigmoid_scalar(in[i]);
        break;
    case DF_ACT_TANH:
        for (i = 0; i < n; i++) out[i] = tanh_scalar(in[i]);
        break;
    case DF_ACT_RELU:
        for (i = 0; i < n; i++) out[i] = in[i] < 0.f ? 0.f : in[i];
        break;
    default:
        if (out != in) memmove(out, in, (size_t)n * sizeof(float));
        break;
    }
}

static void sparse16_accum_scalar(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x)
{
    int g, b, r;
    for (g = 0; g < nb_groups; g++, out += 16) {
        float p[4][16];
        const int n = *idx++;
        memset(p, 0, sizeof(p));
        for (b = 0; b < n; b++, w += 16) {
            const float xj = x[*idx++];
            float *acc = p[b & 3];
            for (r = 0; r < 16; r++)
                acc[r] = fmaf(w[r], xj, acc[r]);
        }
        for (r = 0; r < 16; r++)
            out[r] += (p[0][r] + p[1][r]) + (p[2][r] + p[3][r]);
    }
}

static float exp_reduced(float x)
{
    float y, n, g, p, scale;
    int32_t bits;
    x = x < DF_EXP_MIN ? DF_EXP_MIN : x;
    y = x * DF_EXP_LOG2E;
    n = (y + DF_EXP_SHIFTER) - DF_EXP_SHIFTER;
    g = (y - n) * DF_EXP_LN2;
    p = DF_EXP_C7 * g + DF_EXP_C6;
    p = p * g + DF_EXP_C5;
    p = p * g + DF_EXP_C4;
    p = p * g + DF_EXP_C3;
    p = p * g + .5f;
    p = p * g + 1.f;
    p = p * g + 1.f;
    bits = ((int32_t)n + 127) << 23;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

static void scaled_exp_scalar(float *out, const float *in, float scale, int n)
{
    float m = in[0] * scale;
    int i;
    for (i = 1; i < n; i++) {
        const float v = in[i] * scale;
        m = v > m ? v : m;
    }
    for (i = 0; i < n; i++)
        out[i] = exp_reduced(in[i] * scale - m);
}

const df_kernels df_kernels_scalar = {DF_ISA_SCALAR, "scalar", linear_scalar, linear_q_scalar, quantize_scalar,
                                       activation_scalar, sparse16_accum_scalar, scaled_exp_scalar, NULL};
