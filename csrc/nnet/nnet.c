/* Layer chains built on the run-time selected kernels.  Compiled without FP
 * contraction (see setup.py) so the element-wise GRU/GLU maths rounds the way
 * libopus's generic nnet.c does; vectorising those loops keeps every
 * operation and so every rounding. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif
#include "nnet.h"

#include <string.h>

static void linear_xq(const df_kernels *k, const df_linear *layer, float *out, const float *in,
                      const uint8_t *in_q)
{
    if (in_q && layer->weights && !layer->float_weights)
        k->linear_q(layer, out, in_q);
    else
        k->linear(layer, out, in);
}

void df_compute_dense_xq(const df_kernels *k, const df_linear *layer, float *out, const float *in,
                         const uint8_t *in_q, int activation)
{
    linear_xq(k, layer, out, in, in_q);
    k->activation(out, out, layer->nb_outputs, activation);
}

void df_compute_dense(const df_kernels *k, const df_linear *layer, float *out,
                      const float *in, int activation)
{
    k->linear(layer, out, in);
    k->activation(out, out, layer->nb_outputs, activation);
}

void df_compute_gru(const df_kernels *k, const df_linear *input_weights,
                    const df_linear *recurrent_weights, float *state, const float *in)
{
    df_compute_gru_xq(k, input_weights, recurrent_weights, state, in, NULL);
}

void df_linear_side(const df_kernels *k, const df_linear *layer, float *out, const float *in,
                    const df_side_dense *side)
{
    if (side && k->linear_side) {
        k->linear_side(layer, out, in, side);
        return;
    }
    k->linear(layer, out, in);
    if (side) k->linear(side->layer, side->out, side->in);
}

void df_gru_finish(const df_kernels *k, const df_linear *input_weights, float *state, const float *in,
                   const uint8_t *in_q, const float *recur)
{
    float in_product[3 * DF_MAX_RNN_UNITS];
    linear_xq(k, input_weights, in_product, in, in_q);
    df_gru_combine(k, state, in_product, recur, input_weights->nb_outputs / 3);
}

void df_gru_combine(const df_kernels *k, float *state, const float *in_product, const float *recur, int n)
{
    float zrh[3 * DF_MAX_RNN_UNITS];
    float *z = zrh, *r = zrh + n, *h = zrh + 2 * n;
    int i;

    for (i = 0; i < 2 * n; i++)
        zrh[i] = in_product[i] + recur[i];
    memcpy(h, in_product + 2 * n, (size_t)n * sizeof(float));
    k->activation(zrh, zrh, 2 * n, DF_ACT_SIGMOID);
    /* Reset gate applied after the recurrent matrix ("reset-after" GRU).
     * h and r are disjoint thirds of zrh; saying so lets the compiler
     * vectorise the loop (it could not prove it). */
    {
        float *restrict hh = h;
        const float *restrict rr = r, *restrict rh = recur + 2 * n;
        for (i = 0; i < n; i++)
            hh[i] += rh[i] * rr[i];
    }
    k->activation(h, h, n, DF_ACT_TANH);
    for (i = 0; i < n; i++)
        state[i] = z[i] * state[i] + (1 - z[i]) * h[i];
}

void df_compute_gru_xq(const df_kernels *k, const df_linear *input_weights,
                       const df_linear *recurrent_weights, float *state, const float *in,
                       const uint8_t *in_q)
{
    float recur[3 * DF_MAX_RNN_UNITS];
    k->linear(recurrent_weights, recur, state);
    df_gru_finish(k, input_weights, state, in, in_q, recur);
}

void df_compute_glu(const df_kernels *k, const df_linear *layer, float *out, const float *in)
{
    float gate[DF_MAX_INPUTS];
    const int n = layer->nb_outputs; /* read once: out may alias the layer for all the compiler knows */
    int i;
    k->linear(layer, gate, in);
    k->activation(gate, gate, n, DF_ACT_SIGMOID);
    for (i = 0; i < n; i++)
        out[i] = in[i] * gate[i];
}

void df_compute_conv1d(const df_kernels *k, const df_linear *layer, float *out, float *mem,
                       const float *in, int input_size, int activation)
{
    float tmp[DF_MAX_CONV_INPUTS];
    const int hist = layer->nb_inputs - input_size;
    memcpy(tmp, mem, (size_t)hist * sizeof(float));
    memcpy(tmp + hist, in, (size_t)input_size * sizeof(float));
    k->linear(layer, out, tmp);
    k->activation(out, out, layer->nb_outputs, activation);
    /* Shift the window: drop the oldest frame, keep the newest ones. */
    memcpy(mem, tmp + input_size, (size_t)hist * sizeof(float));
}

void df_compute_conv2_xq(const df_kernels *k, const df_linear *layer, float *out, const float *prev,
                         const uint8_t *prev_q, const float *in, const uint8_t *in_q, int n, int activation)
{
    if (prev_q && in_q && layer->weights && !layer->float_weights) {
        uint8_t tmpq[DF_MAX_CONV_INPUTS];
        memcpy(tmpq, prev_q, (size_t)n);
        memcpy(tmpq + n, in_q, (size_t)n);
        k->linear_q(layer, out, tmpq);
    } else {
        float tmp[DF_MAX_CONV_INPUTS];
        memcpy(tmp, prev, (size_t)n * sizeof(float));
        memcpy(tmp + n, in, (size_t)n * sizeof(float));
        k->linear(layer, out, tmp);
    }
    k->activation(out, out, layer->nb_outputs, activation);
}

int df_compute_embedding(const float *table, int count, int dim, int index, float *out)
{
    /* Indices come from data (pitch periods, sampled symbols): check them. */
    if (index < 0 || index >= count)
        return -1;
    memcpy(out, table + (size_t)index * (size_t)dim, (size_t)dim * sizeof(float));
    return 0;
}

void df_compute_conv1d_dilated(const df_kernels *k, const df_linear *layer, float *out, float *mem,
                               const float *in, int input_size, int dilation, int activation)
{
    float tmp[DF_MAX_CONV_INPUTS];
    if (dilation <= 1) {
        df_compute_conv1d(k, layer, out, mem, in, input_size, activation);
        return;
    }
    /* Kernel 2: [input of `dilation` frames ago, current input]. */
    memcpy(tmp, mem, (size_t)input_size * sizeof(float));
    memcpy(tmp + input_size, in, (size_t)input_size * sizeof(float));
    k->linear(layer, out, tmp);
    k->activation(out, out, layer->nb_outputs, activation);
    memmove(mem, mem + input_size, (size_t)(dilation - 1) * (size_t)input_size * sizeof(float));
    memcpy(mem + (size_t)(dilation - 1) * (size_t)input_size, in, (size_t)input_size * sizeof(float));
}
