/* AVX2 + FMA loops of the LPCNet analysis (see analysis_avx2.h).
 *
 * Bit-exactness: every output element goes through the same float
 * operations, in the same order, as in the portable code of
 * lpcnet_analysis.c; only several independent elements are computed at
 * once.  No FMA is used where the portable code has a separate multiply and
 * add (the file, like the whole build, has FP contraction off).
 *
 * FFT data flow.  Write the input index n = q0 + 5 q1 + 20 q2 + 80 q3.
 * libopus's DIT FFT combines q3 (radix 4, no twiddles), then q2 (twiddle
 * W^(20 q2 k3)), then q1 (W^(5 q1 (k3 + 4 k2))), then q0 (radix 5,
 * W^(q0 k)), each pass turning one input digit into an output digit.  Any
 * memory layout does, as long as each butterfly sees the same values, so:
 *   - passes 1 and 2 work in natural input order, where the combined digit
 *     is a row index (rows of 80, then of 20) and the lanes run along the
 *     other digits;
 *   - pass 3 gathers its inputs into the layout 64 q0 + 16 q1 + 4 k2 + k3,
 *     in which pass 3 combines rows of 16 and pass 4 rows of 64, and whose
 *     order after pass 4 is the natural output order.
 * The twiddles per lane come from tables made at model init from the same
 * float twiddles as the portable FFT. */
#include "../nnet/kernels.h"

#ifdef DF_HAVE_X86

#include "../nnet/target_avx2.h"

#include <immintrin.h>
#include <math.h>

#include "analysis_avx2.h"
#include "log2_approx.h"

typedef struct {
    __m256 r, i;
} cv;

static inline cv ld(const float *re, const float *im, int p)
{
    cv v = {_mm256_loadu_ps(re + p), _mm256_loadu_ps(im + p)};
    return v;
}

static inline void st(float *re, float *im, int p, cv v)
{
    _mm256_storeu_ps(re + p, v.r);
    _mm256_storeu_ps(im + p, v.i);
}

/* a * w as the portable cmul_tw: (ar wr - ai wi, ar wi + ai wr). */
static inline cv cmul(cv a, __m256 wr, __m256 wi)
{
    cv m = {_mm256_sub_ps(_mm256_mul_ps(a.r, wr), _mm256_mul_ps(a.i, wi)),
            _mm256_add_ps(_mm256_mul_ps(a.r, wi), _mm256_mul_ps(a.i, wr))};
    return m;
}

static inline cv cmul_tab(cv a, const float (*w)[16], int lane)
{
    return cmul(a, _mm256_loadu_ps(&w[0][lane]), _mm256_loadu_ps(&w[1][lane]));
}

/* The radix-4 butterfly of the portable radix4_pass on twiddled inputs. */
static inline void bfly4(cv x0, cv t1, cv t2, cv t3, cv *o)
{
    const cv d02 = {_mm256_sub_ps(x0.r, t2.r), _mm256_sub_ps(x0.i, t2.i)};
    const cv s02 = {_mm256_add_ps(x0.r, t2.r), _mm256_add_ps(x0.i, t2.i)};
    const cv s13 = {_mm256_add_ps(t1.r, t3.r), _mm256_add_ps(t1.i, t3.i)};
    const cv d13 = {_mm256_sub_ps(t1.r, t3.r), _mm256_sub_ps(t1.i, t3.i)};
    o[2].r = _mm256_sub_ps(s02.r, s13.r);
    o[2].i = _mm256_sub_ps(s02.i, s13.i);
    o[0].r = _mm256_add_ps(s02.r, s13.r);
    o[0].i = _mm256_add_ps(s02.i, s13.i);
    o[1].r = _mm256_add_ps(d02.r, d13.i);
    o[1].i = _mm256_sub_ps(d02.i, d13.r);
    o[3].r = _mm256_sub_ps(d02.r, d13.i);
    o[3].i = _mm256_add_ps(d02.i, d13.r);
}

/* Pass 2 on one set of 8 lanes (offset p in each of the four rows of 20
 * that start at base). */
static inline void pass2_lanes(float *re, float *im, int base, int p, const __m256 *w)
{
    cv x[4], o[4];
    #pragma GCC unroll 16
    for (int q = 0; q < 4; q++) x[q] = ld(re, im, base + 20 * q + p);
    bfly4(x[0], cmul(x[1], w[0], w[1]), cmul(x[2], w[2], w[3]), cmul(x[3], w[4], w[5]), o);
    #pragma GCC unroll 16
    for (int q = 0; q < 4; q++) st(re, im, base + 20 * q + p, o[q]);
}

/* Pass 2 on lanes 16..19 of the rows of two blocks at once (base0 in the low
 * half, base1 in the high half, each with its own twiddles): the rows'
 * last four lanes without masked loads and stores, which are slow on AMD. */
static inline __m256 ld2(const float *a, int i0, int i1)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(a + i0)), _mm_loadu_ps(a + i1), 1);
}

static inline void st2(float *a, int i0, int i1, __m256 v)
{
    _mm_storeu_ps(a + i0, _mm256_castps256_ps128(v));
    _mm_storeu_ps(a + i1, _mm256_extractf128_ps(v, 1));
}

static inline void pass2_tails(float *re, float *im, int base0, int base1, const __m256 *w)
{
    cv x[4], o[4];
    #pragma GCC unroll 16
    for (int q = 0; q < 4; q++) {
        x[q].r = ld2(re, base0 + 20 * q + 16, base1 + 20 * q + 16);
        x[q].i = ld2(im, base0 + 20 * q + 16, base1 + 20 * q + 16);
    }
    bfly4(x[0], cmul(x[1], w[0], w[1]), cmul(x[2], w[2], w[3]), cmul(x[3], w[4], w[5]), o);
    #pragma GCC unroll 16
    for (int q = 0; q < 4; q++) {
        st2(re, base0 + 20 * q + 16, base1 + 20 * q + 16, o[q].r);
        st2(im, base0 + 20 * q + 16, base1 + 20 * q + 16, o[q].i);
    }
}

void df_an_fft320_avx2(const df_an_fft_tw *tw, float *re, float *im, float *ore, float *oim,
                       int lpc_only)
{
    /* pass 1: rows n / 80, 80 lanes each, all twiddles one */
    for (int p = 0; p < 80; p += 8) {
        cv o[4];
        bfly4(ld(re, im, p), ld(re, im, p + 80), ld(re, im, p + 160), ld(re, im, p + 240), o);
        #pragma GCC unroll 16
        for (int q = 0; q < 4; q++) st(re, im, p + 80 * q, o[q]);
    }
    /* pass 2: per k3 (block of 80), rows of 20 lanes, one twiddle per row;
     * lanes 16..19 two blocks at a time */
    {
        __m256 w[4][6];
        for (int k3 = 0; k3 < 4; k3++) {
            #pragma GCC unroll 16
            for (int q = 0; q < 3; q++) {
                w[k3][2 * q] = _mm256_set1_ps(tw->c[q][k3][0]);
                w[k3][2 * q + 1] = _mm256_set1_ps(tw->c[q][k3][1]);
            }
            pass2_lanes(re, im, 80 * k3, 0, w[k3]);
            pass2_lanes(re, im, 80 * k3, 8, w[k3]);
        }
        for (int k3 = 0; k3 < 4; k3 += 2) {
            __m256 wt[6];
            #pragma GCC unroll 16
            for (int i = 0; i < 6; i++)
                wt[i] = _mm256_insertf128_ps(w[k3][i], _mm256_castps256_ps128(w[k3 + 1][i]), 1);
            pass2_tails(re, im, 80 * k3, 80 * (k3 + 1), wt);
        }
    }
    /* pass 3: gather rows of 16 lanes (k2, k3) for each (q0, q1) into the
     * output layout 64 q0 + 16 q1 + 4 k2 + k3 */
    {
        const __m256i idx[2] = {_mm256_setr_epi32(0, 80, 160, 240, 20, 100, 180, 260),
                                _mm256_setr_epi32(40, 120, 200, 280, 60, 140, 220, 300)};
        for (int q0 = 0; q0 < 5; q0++)
            for (int h = 0; h < 2; h++) {
                cv x[4], o[4];
                #pragma GCC unroll 16
                for (int q = 0; q < 4; q++) {
                    x[q].r = _mm256_i32gather_ps(re + q0 + 5 * q, idx[h], 4);
                    x[q].i = _mm256_i32gather_ps(im + q0 + 5 * q, idx[h], 4);
                }
                bfly4(x[0], cmul_tab(x[1], tw->b[0], 8 * h), cmul_tab(x[2], tw->b[1], 8 * h),
                      cmul_tab(x[3], tw->b[2], 8 * h), o);
                #pragma GCC unroll 16
                for (int q = 0; q < 4; q++) st(ore, oim, 64 * q0 + 16 * q + 8 * h, o[q]);
            }
    }
    /* pass 4: radix 5 over rows of 64 */
    const __m256 Ar = _mm256_set1_ps(tw->r5[0][0]), Ai = _mm256_set1_ps(tw->r5[0][1]);
    const __m256 Br = _mm256_set1_ps(tw->r5[1][0]), Bi = _mm256_set1_ps(tw->r5[1][1]);
    const __m256 sign = _mm256_set1_ps(-0.f);
    for (int p = 0; p < 64; p += 8) {
        /* for the LPC only lanes 0 (output 0) and 48..63 (output 4) count */
        if (lpc_only && p != 0 && p < 48) continue;
        cv x0 = ld(ore, oim, p), t[5];
        #pragma GCC unroll 16
        for (int q = 1; q < 5; q++)
            t[q] = cmul(ld(ore, oim, p + 64 * q), _mm256_loadu_ps(&tw->a[q - 1][0][p]),
                        _mm256_loadu_ps(&tw->a[q - 1][1][p]));
        const cv s14 = {_mm256_add_ps(t[1].r, t[4].r), _mm256_add_ps(t[1].i, t[4].i)};
        const cv d14 = {_mm256_sub_ps(t[1].r, t[4].r), _mm256_sub_ps(t[1].i, t[4].i)};
        const cv s23 = {_mm256_add_ps(t[2].r, t[3].r), _mm256_add_ps(t[2].i, t[3].i)};
        const cv d23 = {_mm256_sub_ps(t[2].r, t[3].r), _mm256_sub_ps(t[2].i, t[3].i)};
        const cv o0 = {_mm256_add_ps(x0.r, _mm256_add_ps(s14.r, s23.r)),
                       _mm256_add_ps(x0.i, _mm256_add_ps(s14.i, s23.i))};
        const cv e = {_mm256_add_ps(x0.r, _mm256_add_ps(_mm256_mul_ps(s14.r, Ar), _mm256_mul_ps(s23.r, Br))),
                      _mm256_add_ps(x0.i, _mm256_add_ps(_mm256_mul_ps(s14.i, Ar), _mm256_mul_ps(s23.i, Br)))};
        const cv f = {_mm256_add_ps(_mm256_mul_ps(d14.i, Ai), _mm256_mul_ps(d23.i, Bi)),
                      _mm256_xor_ps(sign, _mm256_add_ps(_mm256_mul_ps(d14.r, Ai), _mm256_mul_ps(d23.r, Bi)))};
        if (lpc_only) {
            if (p == 0)
                _mm256_storeu_ps(ore, o0.r);
            else
                _mm256_storeu_ps(ore + 256 + p, _mm256_add_ps(e.r, f.r));
            continue;
        }
        const cv g = {_mm256_add_ps(x0.r, _mm256_add_ps(_mm256_mul_ps(s14.r, Br), _mm256_mul_ps(s23.r, Ar))),
                      _mm256_add_ps(x0.i, _mm256_add_ps(_mm256_mul_ps(s14.i, Br), _mm256_mul_ps(s23.i, Ar)))};
        const cv h = {_mm256_sub_ps(_mm256_mul_ps(d23.i, Ai), _mm256_mul_ps(d14.i, Bi)),
                      _mm256_sub_ps(_mm256_mul_ps(d14.r, Bi), _mm256_mul_ps(d23.r, Ai))};
        st(ore, oim, p, o0);
        st(ore, oim, p + 64, (cv){_mm256_sub_ps(e.r, f.r), _mm256_sub_ps(e.i, f.i)});
        st(ore, oim, p + 256, (cv){_mm256_add_ps(e.r, f.r), _mm256_add_ps(e.i, f.i)});
        st(ore, oim, p + 128, (cv){_mm256_add_ps(g.r, h.r), _mm256_add_ps(g.i, h.i)});
        st(ore, oim, p + 192, (cv){_mm256_sub_ps(g.r, h.r), _mm256_sub_ps(g.i, h.i)});
    }
}

void df_an_xcorr_avx2(const float *x, const float *y, float *out, int n, int nlags)
{
    int k = 0;
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (; k + 8 <= nlags; k += 8) {
        /* eight lags at once; written out so the sums stay in registers */
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        const float *yk = y + k;
#pragma GCC unroll 4
        for (int i = 0; i < n; i += 8) {
            const __m256 xv = _mm256_loadu_ps(x + i);
            a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 1), a1);
            a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 2), a2);
            a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 3), a3);
            a4 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 4), a4);
            a5 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 5), a5);
            a6 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 6), a6);
            a7 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(yk + i + 7), a7);
        }
        const __m256 a[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        /* per lag: (a0+a4, a1+a5, a2+a6, a3+a7), then pairwise sums of those
         * (hadd), then the two halves (hadd again) -- the reference order */
        __m256 b[4];
        #pragma GCC unroll 16
        for (int j = 0; j < 4; j++)
            b[j] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * j], a[2 * j + 1], 0x20),
                                 _mm256_permute2f128_ps(a[2 * j], a[2 * j + 1], 0x31));
        const __m256 e = _mm256_hadd_ps(_mm256_hadd_ps(b[0], b[1]), _mm256_hadd_ps(b[2], b[3]));
        _mm256_storeu_ps(out + k, _mm256_permutevar8x32_ps(e, order));
    }
    for (; k < nlags; k++) {
        __m256 a = _mm256_setzero_ps();
        for (int i = 0; i < n; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + k + i), a);
        const __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        const __m128 t = _mm_hadd_ps(s, s);
        out[k] = _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
    }
}

void df_an_fir16_avx2(float *res, const float *hist, const float *rtaps, int n)
{
    __m256 t[16];
    #pragma GCC unroll 16
    for (int j = 0; j < 16; j++) t[j] = _mm256_set1_ps(rtaps[j]);
    for (int i = 0; i < n; i += 8) {
        const float *h = hist + i;
        __m256 s1 = _mm256_loadu_ps(h + 16), s2 = _mm256_setzero_ps();
        #pragma GCC unroll 16
        for (int j = 0; j < 16; j += 4) {
            s1 = _mm256_add_ps(s1, _mm256_mul_ps(t[j], _mm256_loadu_ps(h + j)));
            s2 = _mm256_add_ps(s2, _mm256_mul_ps(t[j + 1], _mm256_loadu_ps(h + j + 1)));
            s1 = _mm256_add_ps(s1, _mm256_mul_ps(t[j + 2], _mm256_loadu_ps(h + j + 2)));
            s2 = _mm256_add_ps(s2, _mm256_mul_ps(t[j + 3], _mm256_loadu_ps(h + j + 3)));
        }
        _mm256_storeu_ps(res + i, _mm256_add_ps(s1, s2));
    }
}

void df_an_xcnorm_avx2(float *xc, const float *c, const float *y, int n, float e0p1, double e1,
                       int nlags)
{
    double d[256 + 8], e[256 + 8];
    if (nlags > 256) nlags = 256;      /* the pitch search has 224 */
    const int nv = nlags & ~7;
    int i = 0;
    for (; i < nv; i += 4) {
        const __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(y + n + i));
        const __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(y + i));
        _mm256_storeu_pd(d + i, _mm256_sub_pd(_mm256_mul_pd(a, a), _mm256_mul_pd(b, b)));
    }
    for (; i < nlags; i++) d[i] = y[i + n] * (double)y[i + n] - y[i] * (double)y[i];
    /* the running sum is inherently serial */
    e[0] = e1;
#pragma GCC unroll 8
    for (i = 1; i < nlags; i++) e[i] = e[i - 1] + d[i - 1];
    const __m256d base = _mm256_set1_pd((double)e0p1);
    const __m256 two = _mm256_set1_ps(2.f);
    for (i = 0; i < nv; i += 8) {
        const __m128 lo = _mm256_cvtpd_ps(_mm256_add_pd(base, _mm256_loadu_pd(e + i)));
        const __m128 hi = _mm256_cvtpd_ps(_mm256_add_pd(base, _mm256_loadu_pd(e + i + 4)));
        const __m256 norm = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
        _mm256_storeu_ps(xc + i, _mm256_div_ps(_mm256_mul_ps(two, _mm256_loadu_ps(c + i)), norm));
    }
    for (; i < nlags; i++) xc[i] = (2 * c[i]) / (float)(e0p1 + e[i]);
}

/* df_an_log2_approx on eight lanes: the table lookups are lane
 * permutations of the 8-entry tables, every float step is the same. */
static inline __m256 log2v(__m256 x)
{
    __m256i u = _mm256_castps_si256(x);
    const __m256i expo = _mm256_sub_epi32(_mm256_srli_epi32(u, 23), _mm256_set1_epi32(127));
    u = _mm256_sub_epi32(u, _mm256_slli_epi32(expo, 23));
    const __m256i k = _mm256_and_si256(_mm256_srli_epi32(u, 20), _mm256_set1_epi32(7));
    const __m256 inv = _mm256_permutevar8x32_ps(_mm256_loadu_ps(df_an_log2_inv_step), k);
    const __m256 step = _mm256_permutevar8x32_ps(_mm256_loadu_ps(df_an_log2_step), k);
    const __m256 t = _mm256_sub_ps(_mm256_mul_ps(_mm256_castsi256_ps(u), inv), _mm256_set1_ps(1.0625f));
    __m256 poly = _mm256_add_ps(_mm256_set1_ps(DF_AN_LOG2_C3), _mm256_mul_ps(t, _mm256_set1_ps(DF_AN_LOG2_C4)));
    poly = _mm256_add_ps(_mm256_set1_ps(DF_AN_LOG2_C2), _mm256_mul_ps(t, poly));
    poly = _mm256_add_ps(_mm256_set1_ps(DF_AN_LOG2_C1), _mm256_mul_ps(t, poly));
    poly = _mm256_add_ps(_mm256_set1_ps(DF_AN_LOG2_C0), _mm256_mul_ps(t, poly));
    return _mm256_add_ps(_mm256_add_ps(_mm256_cvtepi32_ps(expo), poly), step);
}

static inline __m256 log10v(__m256 x) { return _mm256_mul_ps(_mm256_set1_ps(DF_AN_LOG10_2), log2v(x)); }

void df_an_log10_avx2(float *y, const float *x, int n)
{
    for (int i = 0; i < n; i += 8) _mm256_storeu_ps(y + i, log10v(_mm256_loadu_ps(x + i)));
}

/* 1 / sqrt(v) in double, rounded to float, on eight lanes */
static inline __m256 inv_sqrt_d(__m256 v)
{
    const __m256d one = _mm256_set1_pd(1.);
    const __m128 lo = _mm256_cvtpd_ps(_mm256_div_pd(one, _mm256_sqrt_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)))));
    const __m128 hi = _mm256_cvtpd_ps(_mm256_div_pd(one, _mm256_sqrt_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)))));
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

void df_an_if_features_avx2(float *if_feat, const float *Xr, const float *Xi, const float *prev_re,
                            const float *prev_im, int nbins)
{
    float a[64], b[64], c[64];   /* per bin: re * inv, im * inv, log power */
    if (nbins > 65) nbins = 65;
    const __m256 tiny = _mm256_set1_ps(1e-15f);
    for (int i = 1; i < nbins; i += 8) {
        const __m256 xr = _mm256_loadu_ps(Xr + i), xi = _mm256_loadu_ps(Xi + i);
        const __m256 pr = _mm256_loadu_ps(prev_re + i), pi = _mm256_loadu_ps(prev_im + i);
        const __m256 re = _mm256_add_ps(_mm256_mul_ps(xr, pr), _mm256_mul_ps(xi, pi));
        const __m256 im = _mm256_sub_ps(_mm256_mul_ps(xi, pr), _mm256_mul_ps(xr, pi));
        const __m256 inv = inv_sqrt_d(
            _mm256_add_ps(_mm256_add_ps(tiny, _mm256_mul_ps(re, re)), _mm256_mul_ps(im, im)));
        _mm256_storeu_ps(a + i - 1, _mm256_mul_ps(re, inv));
        _mm256_storeu_ps(b + i - 1, _mm256_mul_ps(im, inv));
        const __m256 pw = _mm256_add_ps(_mm256_mul_ps(xr, xr), _mm256_mul_ps(xi, xi));
        const __m256 l = log10v(_mm256_add_ps(tiny, pw));
        const __m256 v = _mm256_mul_ps(_mm256_set1_ps(1.f / 64),
                                       _mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(10.f), l), _mm256_set1_ps(6.f)));
        /* MAX16(-1, MIN16(1, v)): minps / maxps return their second operand
         * unless the first compares smaller / greater, as those macros do */
        _mm256_storeu_ps(c + i - 1, _mm256_max_ps(_mm256_set1_ps(-1.f), _mm256_min_ps(_mm256_set1_ps(1.f), v)));
    }
    for (int i = 1; i < nbins; i++) {
        if_feat[3 * i - 2] = a[i - 1];
        if_feat[3 * i - 1] = b[i - 1];
        if_feat[3 * i] = c[i - 1];
    }
}

void df_an_dct24_avx2(float *s, const float *v, const float (*tab)[24], int rows)
{
    __m256 a = _mm256_setzero_ps(), b = a, c = a;
    for (int r = 0; r < rows; r++) {
        const __m256 x = _mm256_set1_ps(v[r]);
        a = _mm256_add_ps(a, _mm256_mul_ps(x, _mm256_loadu_ps(&tab[r][0])));
        b = _mm256_add_ps(b, _mm256_mul_ps(x, _mm256_loadu_ps(&tab[r][8])));
        c = _mm256_add_ps(c, _mm256_mul_ps(x, _mm256_loadu_ps(&tab[r][16])));
    }
    _mm256_storeu_ps(s, a);
    _mm256_storeu_ps(s + 8, b);
    _mm256_storeu_ps(s + 16, c);
}

void df_an_mirror_avx2(float *re, const float *P, float scale)
{
    const __m256 sc = _mm256_set1_ps(scale);
    const __m256i rev = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    for (int k = 0; k < 160; k += 8)
        _mm256_storeu_ps(re + k, _mm256_mul_ps(sc, _mm256_loadu_ps(P + k)));
    re[160] = scale * P[160];
    /* blocks k..k+7 (k = 153, 145, ..., 1) reversed into 313-k..320-k:
     * positions 160..319; 160 is its own mirror, rewritten unchanged */
    for (int k = 153; k >= 1; k -= 8)
        _mm256_storeu_ps(re + 320 - k - 7, _mm256_permutevar8x32_ps(_mm256_loadu_ps(re + k), rev));
}

#include "../nnet/target_end.h"

#endif /* DF_HAVE_X86 */
