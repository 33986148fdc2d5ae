/* AVX-512 VNNI kernels.  libopus stops at AVX2; here the int8 products use
 * vpdpbusd on 512-bit registers, two 8x4 weight blocks per instruction.
 * Integer accumulation is exact, so results are bit-identical to the AVX2
 * path; float layers and activations are shared with it. */
#include "kernels.h"

#ifdef DF_HAVE_X86

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni")
#endif

#include <immintrin.h>
#include <string.h>

#include "kernels_avx2.h"

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

static inline __m512i pair_inputs(int32_t a, int32_t b)
{
    return spread_pair(_mm_insert_epi32(_mm_cvtsi32_si128(a), b, 1));
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

static inline void store_scaled(float *out, __m256i acc, const float *scale)
{
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale)));
}

static void int8_dense(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int cols = l->nb_inputs;
    int i, j;
    for (i = 0; i < l->nb_outputs; i += 8) {
        __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
        __m256i acc;
        j = 0;
        for (; j + 16 <= cols; j += 16) {
            acc0 = _mm512_dpbusd_epi32(acc0, next_8_inputs(x + j), _mm512_loadu_si512((const void *)w));
            acc1 = _mm512_dpbusd_epi32(acc1, next_8_inputs(x + j + 8), _mm512_loadu_si512((const void *)(w + 64)));
            w += 128;
        }
        for (; j + 8 <= cols; j += 8) {
            acc0 = _mm512_dpbusd_epi32(acc0, next_8_inputs(x + j), _mm512_loadu_si512((const void *)w));
            w += 64;
        }
        acc = fold(acc0, acc1);
        if (j < cols) {
            acc = _mm256_dpbusd_epi32(acc, _mm256_set1_epi32(load4(x + j)),
                                      _mm256_loadu_si256((const __m256i *)(const void *)w));
            w += 32;
        }
        store_scaled(out + i, acc, l->scale + i);
    }
}

static void int8_sparse(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int32_t *idx = l->weights_idx;
    int i, b;
    for (i = 0; i < l->nb_outputs; i += 8) {
        __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
        __m256i acc;
        const int nblocks = *idx++;
        b = 0;
        for (; b + 4 <= nblocks; b += 4) {
            acc0 = _mm512_dpbusd_epi32(acc0, pair_inputs(load4(x + idx[0]), load4(x + idx[1])),
                                       _mm512_loadu_si512((const void *)w));
            acc1 = _mm512_dpbusd_epi32(acc1, pair_inputs(load4(x + idx[2]), load4(x + idx[3])),
                                       _mm512_loadu_si512((const void *)(w + 64)));
            idx += 4;
            w += 128;
        }
        for (; b + 2 <= nblocks; b += 2) {
            acc0 = _mm512_dpbusd_epi32(acc0, pair_inputs(load4(x + idx[0]), load4(x + idx[1])),
                                       _mm512_loadu_si512((const void *)w));
            idx += 2;
            w += 64;
        }
        acc = fold(acc0, acc1);
        if (b < nblocks) {
            acc = _mm256_dpbusd_epi32(acc, _mm256_set1_epi32(load4(x + *idx++)),
                                      _mm256_loadu_si256((const __m256i *)(const void *)w));
            w += 32;
        }
        store_scaled(out + i, acc, l->scale + i);
    }
}

static void linear_avx512(const df_linear *l, float *out, const float *in)
{
    if (l->float_weights) {
        if (l->weights_idx)
            df_avx2_float_sparse(l, out, in);
        else
            df_avx2_float_dense(l, out, in);
        if (l->bias) df_avx2_add_bias(out, l->bias, l->nb_outputs);
    } else if (l->weights) {
        uint8_t x[DF_MAX_INPUTS];
        df_avx2_quantize_u8(x, in, l->nb_inputs);
        if (l->weights_idx)
            int8_sparse(l, out, x);
        else
            int8_dense(l, out, x);
        if (l->subias) df_avx2_add_bias(out, l->subias, l->nb_outputs);
    } else {
        memset(out, 0, (size_t)l->nb_outputs * sizeof(float));
        if (l->bias) df_avx2_add_bias(out, l->bias, l->nb_outputs);
    }
}

const df_kernels df_kernels_avx512 = {DF_ISA_AVX512, "avx512", linear_avx512, df_avx2_activation};

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

#endif /* DF_HAVE_X86 */
