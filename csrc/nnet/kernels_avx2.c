/* AVX2 + FMA kernels: the arithmetic of libopus's AVX2 build (which is what
 * libopus runs on x86 today), so outputs match it bit for bit.  The whole
 * file is compiled for AVX2/FMA through a target pragma; it is only called
 * after cpu.c has checked the CPU. */
#include "kernels.h"

#ifdef DF_HAVE_X86

#include "target_avx2.h"

#include <immintrin.h>
#include <string.h>

#include "kernels_avx2.h"
#include "pairs.h"
#include "rcp.h"

/* Intel's rcpps estimate on every CPU (method and proof in rcp.h): 1 over
 * the midpoint of the input's 11-bit mantissa interval less an ulp, rounded
 * to 12 bits, ties down. */
static inline __m256 rcp8(__m256 d)
{
    const __m256i b = _mm256_castps_si256(d);
    const __m256i mid = _mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32((int)0xfffff000u)),
                                        _mm256_set1_epi32((int)DF_RCP_BELOW_MID));
    __m256i r = _mm256_castps_si256(_mm256_div_ps(_mm256_set1_ps(1.f), _mm256_castsi256_ps(mid)));
    r = _mm256_add_epi32(r, _mm256_set1_epi32((int)DF_RCP_HALF_DOWN));
    r = _mm256_andnot_si256(_mm256_set1_epi32((int)DF_RCP_DROP), r);
    return _mm256_castsi256_ps(r);
}

void df_avx2_quantize_u8(uint8_t *x, const float *in, int n)
{
    const __m256 k127 = _mm256_set1_ps(127.f);
    int i;
    for (i = 0; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtps_epi32(_mm256_fmadd_ps(_mm256_loadu_ps(in + i), k127, k127));
        __m128i v16 = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        __m128i v8 = _mm_packus_epi16(v16, v16);
        _mm_storel_epi64((__m128i *)(void *)(x + i), v8);
    }
    for (; i < n; i++) {
        /* Same instruction sequence on one lane keeps the tail identical. */
        __m128i v = _mm_cvtps_epi32(_mm_fmadd_ss(_mm_set_ss(in[i]), _mm_set_ss(127.f), _mm_set_ss(127.f)));
        v = _mm_packus_epi32(v, v);
        v = _mm_packus_epi16(v, v);
        x[i] = (uint8_t)_mm_cvtsi128_si32(v);
    }
}

/* 8 outputs x 4 inputs of u8 x s8 products summed into 8 int32 lanes.  With
 * the Opus weights (|w0 + w1| <= 129 for any pair) and inputs <= 254 the
 * int16 stage of maddubs cannot saturate, so this equals VNNI's vpdpbusd. */
static inline __m256i dot_block(__m256i acc, __m256i x4, const int8_t *w)
{
    __m256i p = _mm256_maddubs_epi16(x4, _mm256_loadu_si256((const __m256i *)(const void *)w));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

static inline __m256i bcast4(const uint8_t *x)
{
    int32_t v;
    memcpy(&v, x, 4);
    return _mm256_set1_epi32(v);
}

/* out = (float)acc * scale + subias, two roundings like libopus. */
static inline void store_scaled(float *out, __m256i acc, const float *scale, const float *subias)
{
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale));
    _mm256_storeu_ps(out, _mm256_add_ps(y, _mm256_loadu_ps(subias)));
}

/* Four 8-output blocks (32 outputs) at once: each broadcast of 4 inputs
 * serves the four blocks (one load instead of four), and the four chains
 * are independent. */
static inline void dense_block4(const int8_t *w, int cols, float *out, const uint8_t *x, const float *scale,
                                const float *subias)
{
    const size_t s = (size_t)cols * 8; /* bytes of one 8-output block */
    const int8_t *w1 = w + s, *w2 = w + 2 * s, *w3 = w + 3 * s;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < cols; j += 4) {
        const __m256i xj = bcast4(x + j);
        const size_t o = (size_t)j * 8;
        a0 = dot_block(a0, xj, w + o);
        a1 = dot_block(a1, xj, w1 + o);
        a2 = dot_block(a2, xj, w2 + o);
        a3 = dot_block(a3, xj, w3 + o);
    }
    store_scaled(out, a0, scale, subias);
    store_scaled(out + 8, a1, scale + 8, subias + 8);
    store_scaled(out + 16, a2, scale + 16, subias + 16);
    store_scaled(out + 24, a3, scale + 24, subias + 24);
}

/* Two quads' products summed in 16 bits, then widened once (pairs.h says
 * when that is exact). */
static inline __m256i pair_block(__m256i acc, __m256i xa, __m256i xb, const int8_t *w)
{
    const __m256i pa = _mm256_maddubs_epi16(xa, _mm256_loadu_si256((const __m256i *)(const void *)w));
    const __m256i pb = _mm256_maddubs_epi16(xb, _mm256_loadu_si256((const __m256i *)(const void *)(w + 32)));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_add_epi16(pa, pb), _mm256_set1_epi16(1)));
}

/* One block of a slot: shared widening where the slot's class says the two
 * quads fit together there, each on its own otherwise. */
static inline __attribute__((always_inline)) __m256i slot_block(__m256i acc, __m256i xa, __m256i xb,
                                                                const int8_t *w, int shared)
{
    return shared ? pair_block(acc, xa, xb, w) : dot_block(dot_block(acc, xa, w), xb, w + 32);
}

/* count slots whose blocks m (a constant mask) share their widening. */
static inline __attribute__((always_inline)) void run_slots(int m, int count, const int32_t *idx, const int8_t *w,
                                                            const uint8_t *x, __m256i *acc)
{
    __m256i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int k = 0; k < count; k++, idx += 2, w += 256) {
        const __m256i xa = bcast4(x + idx[0]), xb = bcast4(x + idx[1]);
        a0 = slot_block(a0, xa, xb, w, m & 1);
        a1 = slot_block(a1, xa, xb, w + 64, m & 2);
        a2 = slot_block(a2, xa, xb, w + 128, m & 4);
        a3 = slot_block(a3, xa, xb, w + 192, m & 8);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* A side layer's outputs (at most 8) as one vector of FMA chains, advanced
 * a few inputs at a time between the blocks of a large product: each step
 * is the step df_avx2_float_dense's masked pass takes, so the bits are the
 * same, and the chain's latency hides under the product's throughput. */
typedef struct {
    __m256 y;
    __m256i mask;
    const float *w, *x;
    int stride, j, n, per_group;
} side_chain;

static inline __attribute__((always_inline)) void side_steps(side_chain *c, int steps)
{
    int end = c->j + steps < c->n ? c->j + steps : c->n;
    for (; c->j < end; c->j++)
        c->y = _mm256_fmadd_ps(_mm256_maskload_ps(c->w + (size_t)c->j * (size_t)c->stride, c->mask),
                               _mm256_broadcast_ss(c->x + c->j), c->y);
}

/* The first p->groups * 32 outputs from the pair-sum layout (with a side
 * chain's steps after each group when c is not NULL). */
static inline __attribute__((always_inline)) void int8_dense_pairs_run(const df_pairs *p, float *out,
                                                                        const uint8_t *x, const float *scale,
                                                                        const float *subias, side_chain *c)
{
    const int8_t *w = p->w;
    const int32_t *idx = p->idx;
    for (int g = 0; g < p->groups; g++, out += 32, scale += 32, subias += 32) {
        const int32_t *count = idx;
        __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                          _mm256_setzero_si256()};
        idx += DF_PAIRS_CLASSES + 1;
        /* the classes in DF_PAIRS_CLASS_MASKS order, each with its mask as a constant */
        run_slots(15, count[0], idx, w, x, acc);
        idx += 2 * count[0], w += 256 * (size_t)count[0];
        run_slots(3, count[1], idx, w, x, acc);
        idx += 2 * count[1], w += 256 * (size_t)count[1];
        run_slots(12, count[2], idx, w, x, acc);
        idx += 2 * count[2], w += 256 * (size_t)count[2];
        run_slots(0, count[3], idx, w, x, acc);
        idx += 2 * count[3], w += 256 * (size_t)count[3];
        for (int k = 0; k < count[DF_PAIRS_CLASSES]; k++, idx++, w += 128) {
            const __m256i xj = bcast4(x + idx[0]);
            acc[0] = dot_block(acc[0], xj, w);
            acc[1] = dot_block(acc[1], xj, w + 32);
            acc[2] = dot_block(acc[2], xj, w + 64);
            acc[3] = dot_block(acc[3], xj, w + 96);
        }
        store_scaled(out, acc[0], scale, subias);
        store_scaled(out + 8, acc[1], scale + 8, subias + 8);
        store_scaled(out + 16, acc[2], scale + 16, subias + 16);
        store_scaled(out + 24, acc[3], scale + 24, subias + 24);
        if (c) side_steps(c, c->per_group);
    }
}

/* The layer's int8 product; with c, a side chain's steps between its
 * pair-layout groups (linear_side_avx2). */
static inline __attribute__((always_inline)) void int8_dense_run(const df_linear *l, float *out, const uint8_t *x,
                                                                  side_chain *c)
{
    const int8_t *w = l->weights;
    int i = 0, j;
    if (l->pairs) {
        int8_dense_pairs_run(l->pairs, out, x, l->scale, l->subias, c);
        i = l->pairs->groups * 32;
        w += (size_t)i * l->nb_inputs;
    }
    for (; i + 32 <= l->nb_outputs; i += 32, w += (size_t)4 * l->nb_inputs * 8)
        dense_block4(w, l->nb_inputs, out + i, x, l->scale + i, l->subias + i);
    for (; i < l->nb_outputs; i += 8) {
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        for (j = 0; j + 16 <= l->nb_inputs; j += 16, w += 128) {
            acc0 = dot_block(acc0, bcast4(x + j), w);
            acc1 = dot_block(acc1, bcast4(x + j + 4), w + 32);
            acc0 = dot_block(acc0, bcast4(x + j + 8), w + 64);
            acc1 = dot_block(acc1, bcast4(x + j + 12), w + 96);
        }
        for (; j < l->nb_inputs; j += 4) {
            acc0 = dot_block(acc0, bcast4(x + j), w);
            w += 32;
        }
        store_scaled(out + i, _mm256_add_epi32(acc0, acc1), l->scale + i, l->subias + i);
    }
}

static void int8_dense(const df_linear *l, float *out, const uint8_t *x)
{
    int8_dense_run(l, out, x, NULL);
}

static void int8_sparse(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int32_t *idx = l->weights_idx;
    int i, b;
    for (i = 0; i < l->nb_outputs; i += 8) {
        __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
        const int nblocks = *idx++;
        for (b = 0; b + 4 <= nblocks; b += 4, idx += 4, w += 128) {
            acc0 = dot_block(acc0, bcast4(x + idx[0]), w);
            acc1 = dot_block(acc1, bcast4(x + idx[1]), w + 32);
            acc0 = dot_block(acc0, bcast4(x + idx[2]), w + 64);
            acc1 = dot_block(acc1, bcast4(x + idx[3]), w + 96);
        }
        for (; b < nblocks; b++, idx++, w += 32)
            acc0 = dot_block(acc0, bcast4(x + *idx), w);
        store_scaled(out + i, _mm256_add_epi32(acc0, acc1), l->scale + i, l->subias + i);
    }
}

/* One pass over the inputs for up to NV * 8 outputs (and a masked tail of
 * 1-7 more when TAIL): each output is its own chain of FMAs in input order,
 * as libopus computes it, so the bits are the same however many chains run
 * side by side.  The chains are what hides an FMA's latency: the small
 * layers (the PLC network's 57 x 128 input and 128 x 30 output layers, the
 * conditioning's 32 x 64) used to take two to four latency-bound passes. */
static inline __attribute__((always_inline)) void float_dense_pass(const float *w, int stride, int nin, float *out,
                                                                   const float *x, int nv, int tail, __m256i mask)
{
    __m256 y[9];
    for (int v = 0; v < 9; v++) y[v] = _mm256_setzero_ps();
    for (int j = 0; j < nin; j++, w += stride) {
        const __m256 xj = _mm256_broadcast_ss(x + j);
        for (int v = 0; v < nv; v++) y[v] = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8 * v), xj, y[v]);
        if (tail) y[8] = _mm256_fmadd_ps(_mm256_maskload_ps(w + 8 * nv, mask), xj, y[8]);
    }
    for (int v = 0; v < nv; v++) _mm256_storeu_ps(out + 8 * v, y[v]);
    if (tail) _mm256_maskstore_ps(out + 8 * nv, mask, y[8]);
}

/* The pass with its shape as constants, so the chains stay in registers. */
#define DF_FLOAT_PASS(NV, TAIL) float_dense_pass(w, n, l->nb_inputs, out + i, x, NV, TAIL, mask)

void df_avx2_float_dense(const df_linear *l, float *out, const float *x)
{
    const int n = l->nb_outputs;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int i = 0; i < n; i += 64) {
        const int left = n - i < 64 ? n - i : 64, nv = left / 8, tail = left % 8;
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), lane);
        const float *w = l->float_weights + i;
        switch (nv * 2 + (tail > 0)) {
        case 1: DF_FLOAT_PASS(0, 1); break;
        case 2: DF_FLOAT_PASS(1, 0); break;
        case 3: DF_FLOAT_PASS(1, 1); break;
        case 4: DF_FLOAT_PASS(2, 0); break;
        case 5: DF_FLOAT_PASS(2, 1); break;
        case 6: DF_FLOAT_PASS(3, 0); break;
        case 7: DF_FLOAT_PASS(3, 1); break;
        case 8: DF_FLOAT_PASS(4, 0); break;
        case 9: DF_FLOAT_PASS(4, 1); break;
        case 10: DF_FLOAT_PASS(5, 0); break;
        case 11: DF_FLOAT_PASS(5, 1); break;
        case 12: DF_FLOAT_PASS(6, 0); break;
        case 13: DF_FLOAT_PASS(6, 1); break;
        case 14: DF_FLOAT_PASS(7, 0); break;
        case 15: DF_FLOAT_PASS(7, 1); break;
        default: DF_FLOAT_PASS(8, 0); break; /* 64 outputs */
        }
    }
}
#undef DF_FLOAT_PASS

void df_avx2_float_sparse(const df_linear *l, float *out, const float *x)
{
    const float *w = l->float_weights;
    const int32_t *idx = l->weights_idx;
    int i, b;
    for (i = 0; i < l->nb_outputs; i += 8) {
        __m256 y = _mm256_setzero_ps();
        int nblocks = *idx++;
        for (b = 0; b < nblocks; b++) {
            const float *xj = x + *idx++;
            y = _mm256_fmadd_ps(_mm256_loadu_ps(w), _mm256_broadcast_ss(xj), y);
            y = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), _mm256_broadcast_ss(xj + 1), y);
            y = _mm256_fmadd_ps(_mm256_loadu_ps(w + 16), _mm256_broadcast_ss(xj + 2), y);
            y = _mm256_fmadd_ps(_mm256_loadu_ps(w + 24), _mm256_broadcast_ss(xj + 3), y);
            w += 32;
        }
        _mm256_storeu_ps(out + i, y);
    }
}

void df_avx2_add_bias(float *out, const float *bias, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(out + i), _mm256_loadu_ps(bias + i)));
    for (; i < n; i++)
        out[i] += bias[i];
}

static void linear_q_avx2(const df_linear *l, float *out, const uint8_t *x)
{
    if (l->weights_idx)
        int8_sparse(l, out, x);
    else
        int8_dense(l, out, x);
}

void df_avx2_linear_float(const df_linear *l, float *out, const float *in)
{
    if (l->float_weights) {
        if (l->weights_idx)
            df_avx2_float_sparse(l, out, in);
        else
            df_avx2_float_dense(l, out, in);
    } else {
        memset(out, 0, (size_t)l->nb_outputs * sizeof(float));
    }
    if (l->bias) df_avx2_add_bias(out, l->bias, l->nb_outputs);
}

static void linear_avx2(const df_linear *l, float *out, const float *in)
{
    if (l->weights && !l->float_weights) {
        uint8_t x[DF_MAX_INPUTS];
        df_avx2_quantize_u8(x, in, l->nb_inputs);
        linear_q_avx2(l, out, x);
    } else {
        df_avx2_linear_float(l, out, in);
    }
}

/* linear() of an int8 layer with a small float layer's chains run beside
 * it (nnet.h: df_side_dense).  The interleaving needs the pair layout
 * (every large AVX2 layer has one); otherwise the two run in turn. */
static void linear_side_avx2(const df_linear *l, float *out, const float *in, const df_side_dense *side)
{
    const df_linear *s = side->layer;
    if (l->pairs && l->pairs->groups > 0 && !l->weights_idx && l->weights && !l->float_weights &&
        s->float_weights && !s->weights_idx && s->nb_outputs >= 1 && s->nb_outputs <= 8) {
        uint8_t x[DF_MAX_INPUTS];
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const df_pairs *p = l->pairs;
        side_chain c;
        c.y = _mm256_setzero_ps();
        c.mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(s->nb_outputs), lane);
        c.w = s->float_weights;
        c.x = side->in;
        c.stride = s->nb_outputs;
        c.j = 0;
        c.n = s->nb_inputs;
        c.per_group = (s->nb_inputs + p->groups - 1) / p->groups;
        df_avx2_quantize_u8(x, in, l->nb_inputs);
        int8_dense_run(l, out, x, &c);
        side_steps(&c, c.n);
        _mm256_maskstore_ps(side->out, c.mask, c.y);
        if (s->bias) df_avx2_add_bias(side->out, s->bias, s->nb_outputs);
        return;
    }
    linear_avx2(l, out, in);
    linear_avx2(s, side->out, side->in);
}

static inline __m256 tanh8(__m256 x)
{
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 num = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(DF_TANH_N2), x2, _mm256_set1_ps(DF_TANH_N1)), x2, _mm256_set1_ps(DF_TANH_N0));
    __m256 den = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(DF_TANH_D2), x2, _mm256_set1_ps(DF_TANH_D1)), x2, _mm256_set1_ps(DF_TANH_D0));
    num = _mm256_mul_ps(_mm256_mul_ps(num, x), rcp8(den));
    return _mm256_max_ps(_mm256_set1_ps(-1.f), _mm256_min_ps(_mm256_set1_ps(1.f), num));
}

static inline __m256 sigmoid8(__m256 x)
{
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 num = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(DF_SIGM_N2), x2, _mm256_set1_ps(DF_SIGM_N1)), x2, _mm256_set1_ps(DF_SIGM_N0));
    __m256 den = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(DF_SIGM_D2), x2, _mm256_set1_ps(DF_SIGM_D1)), x2, _mm256_set1_ps(DF_SIGM_D0));
    num = _mm256_fmadd_ps(_mm256_mul_ps(num, x), rcp8(den), _mm256_set1_ps(0.5f));
    return _mm256_max_ps(_mm256_set1_ps(0.f), _mm256_min_ps(_mm256_set1_ps(1.f), num));
}

void df_avx2_activation(float *out, const float *in, int n, int act)
{
    int i = 0;
    if (act == DF_ACT_TANH || act == DF_ACT_SIGMOID) {
        const int is_tanh = act == DF_ACT_TANH;
        if (is_tanh)
            for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, tanh8(_mm256_loadu_ps(in + i)));
        else
            for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, sigmoid8(_mm256_loadu_ps(in + i)));
        if (i < n) {
            /* Tail through the same 8-wide code, as libopus does. */
            float buf[8] = {0};
            __m256 v;
            memcpy(buf, in + i, (size_t)(n - i) * sizeof(float));
            v = _mm256_loadu_ps(buf);
            _mm256_storeu_ps(buf, is_tanh ? tanh8(v) : sigmoid8(v));
            memcpy(out + i, buf, (size_t)(n - i) * sizeof(float));
        }
    } else if (act == DF_ACT_RELU) {
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(out + i, _mm256_max_ps(_mm256_loadu_ps(in + i), _mm256_setzero_ps()));
        for (; i < n; i++)
            out[i] = in[i] < 0.f ? 0.f : in[i];
    } else if (out != in) {
        memmove(out, in, (size_t)n * sizeof(float));
    }
}

/* 16 outputs are two registers; the four partial sums (block b mod 4) of
 * the scalar definition are eight accumulators, so four blocks are in
 * flight at once. */
void df_avx2_sparse16_accum(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x)
{
    int g, b;
    for (g = 0; g < nb_groups; g++, out += 16) {
        __m256 a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
        __m256 a2 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
        __m256 lo, hi;
        const int n = *idx++;
        for (b = 0; b + 4 <= n; b += 4, idx += 4, w += 64) {
            const __m256 x0 = _mm256_broadcast_ss(x + idx[0]), x1 = _mm256_broadcast_ss(x + idx[1]);
            const __m256 x2 = _mm256_broadcast_ss(x + idx[2]), x3 = _mm256_broadcast_ss(x + idx[3]);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w), x0, a0);
            b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), x0, b0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 16), x1, a1);
            b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 24), x1, b1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 32), x2, a2);
            b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 40), x2, b2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 48), x3, a3);
            b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 56), x3, b3);
        }
        /* The remainder continues the b mod 4 pattern: 0, 1, 2. */
        if (b < n) {
            const __m256 xj = _mm256_broadcast_ss(x + *idx++);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w), xj, a0);
            b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), xj, b0);
            w += 16;
            b++;
        }
        if (b < n) {
            const __m256 xj = _mm256_broadcast_ss(x + *idx++);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w), xj, a1);
            b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), xj, b1);
            w += 16;
            b++;
        }
        if (b < n) {
            const __m256 xj = _mm256_broadcast_ss(x + *idx++);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w), xj, a2);
            b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), xj, b2);
            w += 16;
        }
        lo = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
        hi = _mm256_add_ps(_mm256_add_ps(b0, b1), _mm256_add_ps(b2, b3));
        _mm256_storeu_ps(out, _mm256_add_ps(_mm256_loadu_ps(out), lo));
        _mm256_storeu_ps(out + 8, _mm256_add_ps(_mm256_loadu_ps(out + 8), hi));
    }
}

static inline __m256 exp8_reduced(__m256 x)
{
    __m256 y, n, g, p;
    __m256i bits;
    x = _mm256_max_ps(x, _mm256_set1_ps(DF_EXP_MIN));
    y = _mm256_mul_ps(x, _mm256_set1_ps(DF_EXP_LOG2E));
    n = _mm256_sub_ps(_mm256_add_ps(y, _mm256_set1_ps(DF_EXP_SHIFTER)), _mm256_set1_ps(DF_EXP_SHIFTER));
    g = _mm256_mul_ps(_mm256_sub_ps(y, n), _mm256_set1_ps(DF_EXP_LN2));
    p = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(DF_EXP_C7), g), _mm256_set1_ps(DF_EXP_C6));
    p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(DF_EXP_C5));
    p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(DF_EXP_C4));
    p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(DF_EXP_C3));
    p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(.5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(1.f));
    p = _mm256_add_ps(_mm256_mul_ps(p, g), _mm256_set1_ps(1.f));
    bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/* Lanes do exactly what the scalar loop does per element (max is exact in
 * any order), so the results are the same bits. */
void df_avx2_scaled_exp(float *out, const float *in, float scale, int n)
{
    const __m256 s = _mm256_set1_ps(scale);
    __m256 vm = _mm256_set1_ps(in[0] * scale);
    float buf[8], m;
    int i = 0, j;
    for (; i + 8 <= n; i += 8)
        vm = _mm256_max_ps(vm, _mm256_mul_ps(_mm256_loadu_ps(in + i), s));
    _mm256_storeu_ps(buf, vm);
    m = buf[0];
    for (j = 1; j < 8; j++) m = buf[j] > m ? buf[j] : m;
    for (j = i; j < n; j++) m = in[j] * scale > m ? in[j] * scale : m;
    vm = _mm256_set1_ps(m);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, exp8_reduced(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(in + i), s), vm)));
    if (i < n) {
        float tmp[8] = {0};
        for (j = i; j < n; j++) tmp[j - i] = in[j] * scale - m;
        _mm256_storeu_ps(tmp, exp8_reduced(_mm256_loadu_ps(tmp)));
        memcpy(out + i, tmp, (size_t)(n - i) * sizeof(float));
    }
}

const df_kernels df_kernels_avx2 = {DF_ISA_AVX2, "avx2", linear_avx2, linear_q_avx2, df_avx2_quantize_u8,
                                    df_avx2_activation, df_avx2_sparse16_accum, df_avx2_scaled_exp,
                                    linear_side_avx2};

#include "target_end.h"

#endif /* DF_HAVE_X86 */
