/* AVX-512 VNNI kernels.  libopus stops at AVX2; here the int8 products use
 * vpdpbusd on 512-bit registers, two 8x4 weight blocks per instruction.
 * Integer accumulation is exact, so results are bit-identical to the AVX2
 * path; float layers and activations are shared with it. */
#include "kernels.h"

#ifdef DF_HAVE_X86

#include "target_avx512.h"

#include <immintrin.h>
#include <string.h>

#include "kernels_avx2.h"
#include "kernels.h"
#include "x16.h"
#include "rcp.h"

static inline int32_t load4(const uint8_t *x)
{
    int32_t v;
    memcpy(&v, x, 4);
    return v;
}

/* Lanes 0-7 get the 4 inputs of the first block, lanes 8-15 those of the
 * second, matching two consecutive 32-byte weight blocks. */
static inline __m512i spread_pair(__m128i t)
{
    const __m512i sel = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_epi32(sel, _mm512_castsi128_si512(t));
}

/* Dense layers read 8 consecutive inputs: one 64-bit load. */
static inline __m512i next_8_inputs(const uint8_t *x)
{
    return spread_pair(_mm_loadl_epi64((const __m128i *)(const void *)x));
}

static inline __m256i fold(__m512i a, __m512i b)
{
    __m512i s = _mm512_add_epi32(a, b);
    return _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
}

static inline void store_scaled(float *out, __m256i acc, const float *scale, const float *subias)
{
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale));
    _mm256_storeu_ps(out, _mm256_add_ps(y, _mm256_loadu_ps(subias)));
}

/* The inputs after the last whole 16 of a block (a multiple of 4), four at
 * a time on 256 bits; integer sums, so the order does not matter. */
static inline void tail8(__m256i *acc, const int8_t *w, const uint8_t *x, int left)
{
    for (int j = 0; j < left; j += 4, w += 32)
        *acc = _mm256_dpbusd_epi32(*acc, _mm256_set1_epi32(load4(x + j)), _mm256_loadu_si256((const __m256i *)(const void *)w));
}

/* One 8-output block: two chains of 16 inputs per step. */
static inline void dense_block1(const int8_t *w, int cols, float *out, const uint8_t *x, const float *scale,
                                const float *subias)
{
    __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
    int j = 0;
    for (; j + 16 <= cols; j += 16, w += 128) {
        a = _mm512_dpbusd_epi32(a, next_8_inputs(x + j), _mm512_loadu_si512((const void *)w));
        b = _mm512_dpbusd_epi32(b, next_8_inputs(x + j + 8), _mm512_loadu_si512((const void *)(w + 64)));
    }
    __m256i acc = fold(a, b);
    if (j < cols) tail8(&acc, w, x + j, cols - j);
    store_scaled(out, acc, scale, subias);
}

/* Four 8-output blocks at once (32 outputs, 16 inputs per step): vpdpbusd
 * takes several cycles and the two chains of one block left the loop waiting
 * on it (perf: the samples sat on the instruction after each vpdpbusd); here
 * eight chains run and each spread of the inputs serves four blocks.  The
 * weights of step j, half h (inputs 8h..8h+7) of block b are the 64 bytes at
 * w + j/16 * step + h * half + b * block: the plain layout (block = a block's
 * bytes, half = 64, step = 128) or the interleaved one of x16.h (block = 64,
 * half = 256, step = 512).  Inputs past the last whole 16 come from plain,
 * the group's weights in the plain layout. */
static inline void dense_block4(const int8_t *w, size_t block, size_t half, size_t step, const int8_t *plain,
                                int cols, float *out, const uint8_t *x, const float *scale, const float *subias)
{
    const size_t s = (size_t)cols * 8; /* bytes of one 8-output block in the plain layout */
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int j = 0;
    for (; j + 16 <= cols; j += 16, w += step) {
        const __m512i xa = next_8_inputs(x + j), xb = next_8_inputs(x + j + 8);
        a0 = _mm512_dpbusd_epi32(a0, xa, _mm512_loadu_si512((const void *)w));
        a1 = _mm512_dpbusd_epi32(a1, xa, _mm512_loadu_si512((const void *)(w + block)));
        a2 = _mm512_dpbusd_epi32(a2, xa, _mm512_loadu_si512((const void *)(w + 2 * block)));
        a3 = _mm512_dpbusd_epi32(a3, xa, _mm512_loadu_si512((const void *)(w + 3 * block)));
        b0 = _mm512_dpbusd_epi32(b0, xb, _mm512_loadu_si512((const void *)(w + half)));
        b1 = _mm512_dpbusd_epi32(b1, xb, _mm512_loadu_si512((const void *)(w + half + block)));
        b2 = _mm512_dpbusd_epi32(b2, xb, _mm512_loadu_si512((const void *)(w + half + 2 * block)));
        b3 = _mm512_dpbusd_epi32(b3, xb, _mm512_loadu_si512((const void *)(w + half + 3 * block)));
    }
    __m256i r0 = fold(a0, b0), r1 = fold(a1, b1), r2 = fold(a2, b2), r3 = fold(a3, b3);
    if (j < cols) {
        const size_t o = (size_t)j * 8;
        tail8(&r0, plain + o, x + j, cols - j);
        tail8(&r1, plain + s + o, x + j, cols - j);
        tail8(&r2, plain + 2 * s + o, x + j, cols - j);
        tail8(&r3, plain + 3 * s + o, x + j, cols - j);
    }
    store_scaled(out, r0, scale, subias);
    store_scaled(out + 8, r1, scale + 8, subias + 8);
    store_scaled(out + 16, r2, scale + 16, subias + 16);
    store_scaled(out + 24, r3, scale + 24, subias + 24);
}

static void int8_dense(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int cols = l->nb_inputs, n = l->nb_outputs;
    const size_t stride = (size_t)cols * 8;
    int i = 0;
    if (l->x16) {
        const int8_t *xw = l->x16->w;
        const size_t group = (size_t)32 * (size_t)(cols / 16 * 16);
        for (; i + 32 <= n; i += 32, w += 4 * stride, xw += group)
            dense_block4(xw, 64, 256, 512, w, cols, out + i, x, l->scale + i, l->subias + i);
    }
    for (; i + 32 <= n; i += 32, w += 4 * stride)
        dense_block4(w, stride, 64, 128, w, cols, out + i, x, l->scale + i, l->subias + i);
    for (; i < n; i += 8, w += stride) dense_block1(w, cols, out + i, x, l->scale + i, l->subias + i);
}

/* Sparse blocks sit at arbitrary input offsets, so pairing two of them in a
 * 512-bit register costs a shuffle per pair; one 256-bit vpdpbusd per block
 * with a broadcast load is cheaper.  Four accumulators hide its latency. */
static void int8_sparse(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int32_t *idx = l->weights_idx;
    int i, b;
    for (i = 0; i < l->nb_outputs; i += 8) {
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
        __m256i a2 = _mm256_setzero_si256(), a3 = _mm256_setzero_si256();
        const int nblocks = *idx++;
        for (b = 0; b + 4 <= nblocks; b += 4) {
            a0 = _mm256_dpbusd_epi32(a0, _mm256_set1_epi32(load4(x + idx[0])), _mm256_loadu_si256((const __m256i *)(const void *)w));
            a1 = _mm256_dpbusd_epi32(a1, _mm256_set1_epi32(load4(x + idx[1])), _mm256_loadu_si256((const __m256i *)(const void *)(w + 32)));
            a2 = _mm256_dpbusd_epi32(a2, _mm256_set1_epi32(load4(x + idx[2])), _mm256_loadu_si256((const __m256i *)(const void *)(w + 64)));
            a3 = _mm256_dpbusd_epi32(a3, _mm256_set1_epi32(load4(x + idx[3])), _mm256_loadu_si256((const __m256i *)(const void *)(w + 96)));
            idx += 4;
            w += 128;
        }
        for (; b < nblocks; b++) {
            a0 = _mm256_dpbusd_epi32(a0, _mm256_set1_epi32(load4(x + *idx++)), _mm256_loadu_si256((const __m256i *)(const void *)w));
            w += 32;
        }
        store_scaled(out + i, _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)), l->scale + i,
                     l->subias + i);
    }
}

static void linear_q_avx512(const df_linear *l, float *out, const uint8_t *x)
{
    if (l->weights_idx)
        int8_sparse(l, out, x);
    else
        int8_dense(l, out, x);
}

/* Float dense layers on 16 lanes: every output is still one FMA chain in
 * input order (bit-identical to the AVX2 and scalar paths); four chains per
 * pass and a masked register for the last outputs. */
static void float_dense(const df_linear *l, float *out, const float *x)
{
    const int n = l->nb_outputs;
    int i = 0, j;
    for (; i + 64 <= n; i += 64) {
        __m512 y0 = _mm512_setzero_ps(), y1 = y0, y2 = y0, y3 = y0;
        const float *w = l->float_weights + i;
        for (j = 0; j < l->nb_inputs; j++, w += n) {
            const __m512 xj = _mm512_set1_ps(x[j]);
            y0 = _mm512_fmadd_ps(_mm512_loadu_ps(w), xj, y0);
            y1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 16), xj, y1);
            y2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 32), xj, y2);
            y3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 48), xj, y3);
        }
        _mm512_storeu_ps(out + i, y0);
        _mm512_storeu_ps(out + i + 16, y1);
        _mm512_storeu_ps(out + i + 32, y2);
        _mm512_storeu_ps(out + i + 48, y3);
    }
    for (; i < n; i += 32) {
        /* up to 32 outputs: two registers, the second (and maybe the first) masked */
        const int r = n - i;
        const __mmask16 m0 = r >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << r) - 1u);
        const __mmask16 m1 = r >= 32 ? (__mmask16)0xffff : r > 16 ? (__mmask16)((1u << (r - 16)) - 1u) : (__mmask16)0;
        __m512 y0 = _mm512_setzero_ps(), y1 = y0;
        const float *w = l->float_weights + i;
        for (j = 0; j < l->nb_inputs; j++, w += n) {
            const __m512 xj = _mm512_set1_ps(x[j]);
            y0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, w), xj, y0);
            y1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, w + 16), xj, y1);
        }
        _mm512_mask_storeu_ps(out + i, m0, y0);
        _mm512_mask_storeu_ps(out + i + 16, m1, y1);
    }
}

static void linear_avx512(const df_linear *l, float *out, const float *in)
{
    if (l->weights && !l->float_weights) {
        uint8_t x[DF_MAX_INPUTS];
        df_avx2_quantize_u8(x, in, l->nb_inputs);
        linear_q_avx512(l, out, x);
    } else if (l->float_weights && !l->weights_idx) {
        float_dense(l, out, in);
        if (l->bias) df_avx2_add_bias(out, l->bias, l->nb_outputs);
    } else {
        df_avx2_linear_float(l, out, in);
    }
}

/* The AVX2 activation maths on 16 lanes: the same operations lane by lane,
 * so the results are bit-identical; the division in the rcpps model is what
 * dominates, and 512-bit division halves its cost per value. */
static inline __m512 rcp16(__m512 d)
{
    const __m512i b = _mm512_castps_si512(d);
    const __m512i mid = _mm512_or_si512(_mm512_and_si512(b, _mm512_set1_epi32((int)0xfffff000u)),
                                        _mm512_set1_epi32((int)DF_RCP_BELOW_MID));
    __m512i r = _mm512_castps_si512(_mm512_div_ps(_mm512_set1_ps(1.f), _mm512_castsi512_ps(mid)));
    r = _mm512_add_epi32(r, _mm512_set1_epi32((int)DF_RCP_HALF_DOWN));
    r = _mm512_andnot_si512(_mm512_set1_epi32((int)DF_RCP_DROP), r);
    return _mm512_castsi512_ps(r);
}

static inline __m512 tanh16(__m512 x)
{
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 num = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(DF_TANH_N2), x2, _mm512_set1_ps(DF_TANH_N1)), x2, _mm512_set1_ps(DF_TANH_N0));
    __m512 den = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(DF_TANH_D2), x2, _mm512_set1_ps(DF_TANH_D1)), x2, _mm512_set1_ps(DF_TANH_D0));
    num = _mm512_mul_ps(_mm512_mul_ps(num, x), rcp16(den));
    return _mm512_max_ps(_mm512_set1_ps(-1.f), _mm512_min_ps(_mm512_set1_ps(1.f), num));
}

static inline __m512 sigmoid16(__m512 x)
{
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 num = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(DF_SIGM_N2), x2, _mm512_set1_ps(DF_SIGM_N1)), x2, _mm512_set1_ps(DF_SIGM_N0));
    __m512 den = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(DF_SIGM_D2), x2, _mm512_set1_ps(DF_SIGM_D1)), x2, _mm512_set1_ps(DF_SIGM_D0));
    num = _mm512_fmadd_ps(_mm512_mul_ps(num, x), rcp16(den), _mm512_set1_ps(0.5f));
    return _mm512_max_ps(_mm512_set1_ps(0.f), _mm512_min_ps(_mm512_set1_ps(1.f), num));
}

static void activation_avx512(float *out, const float *in, int n, int act)
{
    int i = 0;
    if (act == DF_ACT_TANH)
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, tanh16(_mm512_loadu_ps(in + i)));
    else if (act == DF_ACT_SIGMOID)
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, sigmoid16(_mm512_loadu_ps(in + i)));
    if (i < n)
        df_avx2_activation(out + i, in + i, n - i, act);
}

/* One 16-output block is one register: the four partial sums are four
 * accumulators, each FMA taking its input as an embedded broadcast. */
static void sparse16_accum_avx512(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x)
{
    int g, b;
    for (g = 0; g < nb_groups; g++, out += 16) {
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        const int n = *idx++;
        for (b = 0; b + 4 <= n; b += 4, idx += 4, w += 64) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w), _mm512_set1_ps(x[idx[0]]), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 16), _mm512_set1_ps(x[idx[1]]), a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 32), _mm512_set1_ps(x[idx[2]]), a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 48), _mm512_set1_ps(x[idx[3]]), a3);
        }
        if (b < n) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w), _mm512_set1_ps(x[*idx++]), a0);
            w += 16;
            b++;
        }
        if (b < n) {
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w), _mm512_set1_ps(x[*idx++]), a1);
            w += 16;
            b++;
        }
        if (b < n) {
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w), _mm512_set1_ps(x[*idx++]), a2);
            w += 16;
        }
        _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out),
                                            _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))));
    }
}

const df_kernels df_kernels_avx512 = {DF_ISA_AVX512, "avx512", linear_avx512, linear_q_avx512, df_avx2_quantize_u8,
                                      activation_avx512, sparse16_accum_avx512, df_avx2_scaled_exp, NULL};

#include "target_end.h"

#endif /* DF_HAVE_X86 */
