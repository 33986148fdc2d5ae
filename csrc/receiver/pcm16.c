/* 16-bit rounding of played audio (see pcm16.h). */
#include "pcm16.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define DF_PCM16_X86 1
/* df_to_i16 on eight lanes: the same mul, add and floor (SSE4.1 rounding
 * towards minus infinity is floorf), the same clamps, NaN to 0.  At 48 kHz
 * the scalar loop over every concealed sample (twice: played and history)
 * was 2 % of the receiver's time. */
__attribute__((target("avx2"))) static void round_avx2(const float *x, const float *add, float *y, int n, int *done)
{
    const __m256 sc = _mm256_set1_ps(32768.f), half = _mm256_set1_ps(.5f), inv = _mm256_set1_ps(1.f / 32768.f);
    const __m256 lo = _mm256_set1_ps(-32768.f), hi = _mm256_set1_ps(32767.f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        if (add) v = _mm256_add_ps(v, _mm256_loadu_ps(add + i));
        __m256 s = _mm256_floor_ps(_mm256_add_ps(half, _mm256_mul_ps(v, sc)));
        const __m256 ordered = _mm256_cmp_ps(s, s, _CMP_ORD_Q);
        s = _mm256_min_ps(_mm256_max_ps(s, lo), hi); /* max(NaN, lo) = lo; masked to 0 below */
        _mm256_storeu_ps(y + i, _mm256_and_ps(_mm256_mul_ps(s, inv), ordered));
    }
    *done = i;
}
#endif

void df_pcm16_round(const float *x, const float *add, float *y, int n)
{
    int i = 0;
#ifdef DF_PCM16_X86
    if (__builtin_cpu_supports("avx2")) round_avx2(x, add, y, n, &i);
#endif
    for (; i < n; i++) y[i] = df_to_i16(add ? x[i] + add[i] : x[i]) * (1.f / 32768.f);
}
