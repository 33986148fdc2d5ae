/* LPCNet feature analysis (Opus 1.6.1 float path); see lpcnet_analysis.h.
 *
 * Signal flow of one 10 ms frame x (already int16 scale):
 *   1. pre-emphasis 1 - 0.85 z^-1 (the features describe a whitened-ish
 *      spectrum, which is what the vocoders are trained on);
 *   2. a 20 ms window (previous frame + this one, power-complementary
 *      sine-of-sine halves) -> 320-point DFT scaled by 1/320;
 *   3. 18 triangular band energies -> log10 with two floors (relative to the
 *      loudest band so far and a follower decaying 25 dB per band, which
 *      keeps deep spectral valleys from dominating) -> DCT = cepstrum;
 *   4. LPC from the cepstrum (back to band energies, interpolated to a power
 *      spectrum, inverse DFT = autocorrelation, Levinson-Durbin);
 *   5. pitch: the LPC residual of the input delayed by 5 ms (so the pitch
 *      analysis is centred like the training data) feeds normalised
 *      cross-correlations (lags 32..255) into PitchDNN together with
 *      "instantaneous frequency" features of the lowest 30 DFT bins; the
 *      correlation at the chosen lag on a 1.2 kHz low-passed residual gives
 *      the voicing feature.
 * Arithmetic precision (float vs double at each step) follows the
 * reference build (x86-64, float, FLOAT_APPROX log2, SSE inner products,
 * AVX2 pitch cross-correlation, float kiss-style FFT) so that the features
 * agree with libopus bit for bit; the comments at each helper say which
 * reference behaviour it reproduces and why it matters. */
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The FMA variant below inlines the generic body under another target. */
#if defined(__GNUC__)
#define AN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define AN_ALWAYS_INLINE inline
#endif
#include "lpcnet_analysis.h"
#include "analysis_avx2.h"
#include "log2_approx.h"
#include "../nnet/kernels.h"


#define PREEMPH 0.85f
#define DELAY 80                 /* pitch analysis lag behind the frame, samples */
#define PMAX DF_PITCH_MAX_PERIOD
#define NB DF_AN_BANDS
#define PI_D 3.14159265358979323846
/* libopus's MAX16 / MIN16 (also what glibc's fmaxf / fminf return for
 * non-NaN operands), as plain compares the compiler inlines. */
_Static_assert(DF_AN_DCT_PAD == 24, "df_an_dct24_avx2 works on 24 columns");
#define MAXF(a, b) ((a) > (b) ? (a) : (b))
#define MINF(a, b) ((a) < (b) ? (a) : (b))

/* Band edges in units of 4 DFT bins (200 Hz), 0..8 kHz. */
static const int band_edge[NB] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40};
/* Per-band correction applied when turning the cepstrum back into band
 * energies for the LPC (libopus's table: compensates the triangular band
 * weighting so the interpolated spectrum has the right level). */
static const float band_comp[NB] = {0.8f, 1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 1.f, 0.666667f, 0.5f,
                                    0.5f, 0.5f, 0.333333f, 0.25f, 0.25f, 0.2f, 0.166667f, 0.173913f};

size_t df_analysis_model_size(void) { return sizeof(df_analysis_model); }
size_t df_analysis_state_size(void) { return sizeof(df_analysis_state); }

int df_analysis_model_init(df_analysis_model *m, const df_blob *blob, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    /* Vorbis-style window half: w(i) = sin(pi/2 sin^2(pi (i+.5) / 320)).
     * w^2 of the two overlapping halves sums to one. */
    for (int i = 0; i < DF_AN_OVERLAP; i++) {
        double s = sin(.5 * PI_D * (i + .5) / DF_AN_OVERLAP);
        m->half_window[i] = (float)sin(.5 * PI_D * s * s);
    }
    /* Orthonormal DCT-II basis without the sqrt(2/N) factor, which the
     * transform applies at the end (the DC row carries the extra 1/sqrt 2).
     * The argument is formed as ((b + .5) c) pi / 18 so that the entries
     * that are mathematically zero round to the same tiny values as
     * libopus's table. */
    for (int b = 0; b < NB; b++)
        for (int c = 0; c < NB; c++)
            m->idct[c][b] = m->dct[b][c] =
                (float)(cos((b + .5) * c * PI_D / NB) * (c == 0 ? sqrt(.5) : 1.));
    df_fft320_init(&m->fft);
    /* j / width of each bin in its band, as the band loops used to divide */
    for (int b = 0; b < NB - 1; b++) {
        int start = band_edge[b] * 4, width = (band_edge[b + 1] - band_edge[b]) * 4;
        for (int j = 0; j < width; j++) m->bin_frac[start + j] = (float)j / width;
    }
    /* per-lane copies for the vectorised FFT (see analysis_avx2.c) */
    df_an_fft_tw_init(&m->fft_tw, &m->fft);
    return df_pitchdnn_bind(&m->pitch, blob, err, errlen);
}

void df_analysis_state_init(df_analysis_state *st) { memset(st, 0, sizeof(*st)); }

/* Bins 0..160 of the scaled DFT of a real 320-sample block, as split
 * real / imaginary parts. */
static void real_dft(const df_analysis_model *m, const df_kernels *kt, const float *x, float *Xr,
                     float *Xi)
{
    const float scale = 1.f / DF_AN_WINDOW;
    if (DF_AN_USE_AVX2(kt)) {
        float re[DF_AN_WINDOW], im[DF_AN_WINDOW], ore[DF_AN_WINDOW], oim[DF_AN_WINDOW];
        /* the portable FFT's input scaling, scale * x and scale * 0 (= +0) */
        for (int n = 0; n < DF_AN_WINDOW; n++) {
            re[n] = scale * x[n];
            im[n] = 0.f;
        }
        df_an_fft320_avx2(&m->fft_tw, re, im, ore, oim, 0);
        memcpy(Xr, ore, DF_AN_FREQ * sizeof(float));
        memcpy(Xi, oim, DF_AN_FREQ * sizeof(float));
        return;
    }
    df_cpx in[DF_AN_WINDOW], out[DF_AN_WINDOW];
    for (int n = 0; n < DF_AN_WINDOW; n++) {
        in[n].r = x[n];
        in[n].i = 0;
    }
    df_fft320_forward(&m->fft, in, out);
    for (int k = 0; k < DF_AN_FREQ; k++) {
        Xr[k] = out[k].r;
        Xi[k] = out[k].i;
    }
}

/* Triangular bands: each bin's power is shared linearly between the two
 * band centres around it; the edge bands only get half triangles, hence x2. */
static void band_energies(const df_analysis_model *m, const float *Xr, const float *Xi, float *E)
{
    float acc[NB] = {0};
    for (int b = 0; b < NB - 1; b++) {
        int start = band_edge[b] * 4, width = (band_edge[b + 1] - band_edge[b]) * 4;
        for (int j = 0; j < width; j++) {
            const float frac = m->bin_frac[start + j];
            float p = Xr[start + j] * Xr[start + j];
            p += Xi[start + j] * Xi[start + j];
            acc[b] += (1 - frac) * p;
            acc[b + 1] += frac * p;
        }
    }
    acc[0] *= 2;
    acc[NB - 1] *= 2;
    memcpy(E, acc, sizeof(acc));
}

static float log10_f(float x) { return DF_AN_LOG10_2 * df_an_log2_approx(x); }

/* Levinson-Durbin on float autocorrelations, stopping early once the
 * prediction gain reaches 30 dB (further orders only fit noise). */
static void levinson(float *lpc, const float *ac, int p)
{
    float err = ac[0];
    memset(lpc, 0, (size_t)p * sizeof(float));
    if (ac[0] == 0) return;
    for (int i = 0; i < p; i++) {
        float acc = 0;
        for (int j = 0; j < i; j++) acc += lpc[j] * ac[i - j];
        acc += ac[i + 1];
        float r = -acc / err;
        lpc[i] = r;
        for (int j = 0; j < (i + 1) >> 1; j++) {
            float a = lpc[j], b = lpc[i - 1 - j];
            lpc[j] = a + r * b;
            lpc[i - 1 - j] = b + r * a;
        }
        err = err - (r * r) * err;
        if (err < .001f * ac[0]) break;
    }
}

/* LPC implied by a cepstrum (with c0 already offset by -4). */
static void lpc_from_cepstrum(const df_analysis_model *m, const df_kernels *kt, const float *cep,
                              float *lpc)
{
    float c[NB], E[NB], P[DF_AN_FREQ], ac[DF_AN_LPC + 1];
    memcpy(c, cep, sizeof(c));
    c[0] += 4;
    /* inverse DCT -> log10 band energies -> linear, corrected.  Each band's
     * sum runs over the coefficients in order; the bands are independent,
     * so the loop runs across them (vectorisable, same roundings). */
    float s[DF_AN_DCT_PAD] = {0};
    if (DF_AN_USE_AVX2(kt))
        df_an_dct24_avx2(s, c, (const float (*)[24])m->idct, NB);
    else
        for (int j = 0; j < NB; j++)
            for (int b = 0; b < DF_AN_DCT_PAD; b++) s[b] += c[j] * m->idct[j][b];
    for (int b = 0; b < NB; b++) {
        E[b] = (float)(s[b] * sqrt(2. / NB));
        E[b] = (float)(pow(10.f, E[b]) * band_comp[b]);
    }
    /* band energies interpolated linearly back to a power spectrum */
    for (int b = 0; b < NB - 1; b++) {
        int start = band_edge[b] * 4, width = (band_edge[b + 1] - band_edge[b]) * 4;
        for (int j = 0; j < width; j++) {
            const float frac = m->bin_frac[start + j];
            P[start + j] = (1 - frac) * E[b] + frac * E[b + 1];
        }
    }
    P[DF_AN_FREQ - 1] = 0;
    /* autocorrelation = inverse DFT of the (real, even) power spectrum,
     * done like libopus: forward FFT of the full Hermitian spectrum (the
     * mirrored half has imaginary parts -0), read backwards, times 320 */
    if (DF_AN_USE_AVX2(kt)) {
        /* same input as below, scaled as the FFT scales it: the mirrored
         * half's imaginary parts are -0 * scale = -0 */
        const float scale = 1.f / DF_AN_WINDOW;
        float re[DF_AN_WINDOW], im[DF_AN_WINDOW], ore[DF_AN_WINDOW], oim[DF_AN_WINDOW];
        df_an_mirror_avx2(re, P, scale);
        /* (whole halves, so the loops vectorise; bin 160 is then set to +0) */
        for (int k = 0; k < DF_AN_WINDOW / 2; k++) im[k] = 0.f;
        for (int k = DF_AN_WINDOW / 2; k < DF_AN_WINDOW; k++) im[k] = -0.f;
        im[DF_AN_FREQ - 1] = 0.f;
        df_an_fft320_avx2(&m->fft_tw, re, im, ore, oim, 1);
        ac[0] = DF_AN_WINDOW * ore[0];
        for (int n = 1; n <= DF_AN_LPC; n++) ac[n] = DF_AN_WINDOW * ore[DF_AN_WINDOW - n];
    } else {
        df_cpx spec[DF_AN_WINDOW], t[DF_AN_WINDOW];
        for (int k = 0; k < DF_AN_FREQ; k++) {
            spec[k].r = P[k];
            spec[k].i = 0;
        }
        for (int k = DF_AN_FREQ; k < DF_AN_WINDOW; k++) {
            spec[k].r = spec[DF_AN_WINDOW - k].r;
            spec[k].i = -spec[DF_AN_WINDOW - k].i;
        }
        df_fft320_forward(&m->fft, spec, t);
        ac[0] = DF_AN_WINDOW * t[0].r;
        for (int n = 1; n <= DF_AN_LPC; n++) ac[n] = DF_AN_WINDOW * t[DF_AN_WINDOW - n].r;
    }
    /* -40 dB noise floor and a slight lag window to keep the filter tame */
    ac[0] = (float)(ac[0] + ac[0] * 1e-4 + (320 / 12) / 38.);
    for (int i = 1; i <= DF_AN_LPC; i++) ac[i] = (float)(ac[i] * (1 - 6e-5 * i * i));
    levinson(lpc, ac, DF_AN_LPC);
}

/* Summation orders of libopus's x86-64 float build, reproduced so the
 * pitch path sees the same bits (its decisions -- argmax over 180 bins, the
 * chosen lag -- are discontinuous, so tiny rounding differences would
 * otherwise show up as occasional large pitch differences).
 *
 * Inner product: four interleaved partial sums (SSE lanes, separate
 * multiply and add), combined as (s0 + s2) + (s1 + s3).  n % 4 == 0 here. */
static float dotf(const float *a, const float *b, int n)
{
    float s[4] = {0, 0, 0, 0};
    for (int i = 0; i < n; i += 4)
        for (int l = 0; l < 4; l++) {
            float p = a[i + l] * b[i + l];
            s[l] = s[l] + p;
        }
    return (s[0] + s[2]) + (s[1] + s[3]);
}

/* Cross-correlation <x, y + lag> for lag 0..nlags-1 as libopus's AVX2
 * kernel computes it: eight fused multiply-add partial sums (lanes l take
 * samples l, l+8, ...), reduced as ((a0+a4)+(a1+a5)) + ((a2+a6)+(a3+a7)).
 * n % 8 == 0 here. */
static AN_ALWAYS_INLINE void xcorr_body(const float *x, const float *y,
                                                              float *out, int n, int nlags)
{
    for (int k = 0; k < nlags; k++) {
        float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int i = 0; i < n; i += 8)
            for (int l = 0; l < 8; l++) a[l] = fmaf(x[i + l], y[k + i + l], a[l]);
        out[k] = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
/* Same code compiled for FMA hardware: fmaf becomes one instruction
 * instead of a libm call.  Fused results are exact either way, so both
 * versions give identical bits. */
__attribute__((target("fma"))) static void xcorr_fma(const float *x, const float *y, float *out,
                                                      int n, int nlags)
{
    xcorr_body(x, y, out, n, nlags);
}
#define HAVE_XCORR_FMA 1
#endif

static void xcorr_avx2_order(const df_kernels *kt, const float *x, const float *y, float *out,
                             int n, int nlags)
{
    if (DF_AN_USE_AVX2(kt)) {
        df_an_xcorr_avx2(x, y, out, n, nlags);
        return;
    }
#ifdef HAVE_XCORR_FMA
    if (__builtin_cpu_supports("fma")) {
        xcorr_fma(x, y, out, n, nlags);
        return;
    }
#endif
    xcorr_body(x, y, out, n, nlags);
}

/* FIR taps for one output, SSE-kernel order: the sum starts from the
 * current sample; taps are taken oldest first and alternate between two
 * accumulators (taps 0, 2 / 1, 3 of each group of four), added at the end.
 * `oldest` points at x[i - ord], rtaps are the coefficients reversed. */
static float fir_tap_sum(float start, const float *rtaps, const float *oldest, int ord)
{
    float s1 = start, s2 = 0;
    for (int j = 0; j < ord; j += 4) {
        s1 = s1 + rtaps[j] * oldest[j];
        s2 = s2 + rtaps[j + 1] * oldest[j + 1];
        s1 = s1 + rtaps[j + 2] * oldest[j + 2];
        s2 = s2 + rtaps[j + 3] * oldest[j + 3];
    }
    return s1 + s2;
}

void df_analysis_frame(const df_analysis_model *m, const df_kernels *k, df_analysis_state *st,
                       const float *pcm160, float *features20, float *lpc16)
{
    float x[DF_AN_FRAME];
    float win[DF_AN_WINDOW];
    float Xr[DF_AN_FREQ], Xi[DF_AN_FREQ];
    float E[NB], Ly[NB], feat[DF_AN_FEATURES], lpc[DF_AN_LPC];
    float delayed[DF_AN_FRAME];
    float if_feat[DF_PITCH_IF_FEATURES];
    float xc[DF_PITCH_NB_XCORR];

    /* 1. pre-emphasis */
    /* (written without the loop-carried memory so it vectorises) */
    x[0] = pcm160[0] + st->preemph_mem;
    for (int i = 1; i < 4; i++) x[i] = pcm160[i] + -PREEMPH * pcm160[i - 1];
    for (int i = 4; i < DF_AN_FRAME; i++) x[i] = pcm160[i] + -PREEMPH * pcm160[i - 1];
    st->preemph_mem = -PREEMPH * pcm160[DF_AN_FRAME - 1];
    /* the 5 ms delayed copy for the pitch path: last 80 samples of the
     * previous frame, then the first 80 of this one */
    memcpy(delayed, &st->analysis_mem[DF_AN_OVERLAP - DELAY], DELAY * sizeof(float));
    memcpy(&delayed[DELAY], x, (DF_AN_FRAME - DELAY) * sizeof(float));

    /* 2. windowed spectrum of previous + current frame */
    memcpy(win, st->analysis_mem, DF_AN_OVERLAP * sizeof(float));
    memcpy(&win[DF_AN_OVERLAP], x, DF_AN_FRAME * sizeof(float));
    memcpy(st->analysis_mem, x, DF_AN_FRAME * sizeof(float));
    for (int i = 0; i < DF_AN_OVERLAP; i++) {
        win[i] *= m->half_window[i];
        win[DF_AN_WINDOW - 1 - i] *= m->half_window[i];
    }
    real_dft(m, k, win, Xr, Xi);
    band_energies(m, Xr, Xi, E);

    /* IF features: per low bin, the phase advance since the previous frame
     * (unit complex number) and the bin's log power, clamped to [-1, 1]. */
    if_feat[0] = MAXF(-1.f, MINF(1.f, (1.f / 64) * (10.f * log10_f(1e-15f + Xr[0] * Xr[0]) - 6.f)));
    if (DF_AN_USE_AVX2(k)) {
        df_an_if_features_avx2(if_feat, Xr, Xi, st->prev_re, st->prev_im, DF_AN_IF_BINS);
    } else {
        for (int i = 1; i < DF_AN_IF_BINS; i++) {
            const float pr = st->prev_re[i], pi = st->prev_im[i];
            float re = Xr[i] * pr + Xi[i] * pi;
            float im = Xi[i] * pr - Xr[i] * pi;
            float inv = (float)(1.f / sqrt(1e-15f + re * re + im * im));
            if_feat[3 * i - 2] = re * inv;
            if_feat[3 * i - 1] = im * inv;
            float pw = Xr[i] * Xr[i] + Xi[i] * Xi[i];
            if_feat[3 * i] = MAXF(-1.f, MINF(1.f, (1.f / 64) * (10.f * log10_f(1e-15f + pw) - 6.f)));
        }
    }
    memcpy(st->prev_re, Xr, DF_AN_IF_BINS * sizeof(float));
    memcpy(st->prev_im, Xi, DF_AN_IF_BINS * sizeof(float));

    /* 3. floored log spectrum -> cepstrum */
    float loudest = -2, follow = -2;
    float logE[DF_AN_DCT_PAD];
    if (DF_AN_USE_AVX2(k)) {
        float Ep[DF_AN_DCT_PAD];
        for (int b = 0; b < DF_AN_DCT_PAD; b++) Ep[b] = b < NB ? 1e-2f + E[b] : 1.f;
        df_an_log10_avx2(logE, Ep, DF_AN_DCT_PAD);
    } else {
        for (int b = 0; b < NB; b++) logE[b] = log10_f(1e-2f + E[b]);
    }
    for (int b = 0; b < NB; b++) {
        float v = logE[b];
        v = MAXF(loudest - 8, MAXF(follow - 2.5f, v));
        loudest = MAXF(loudest, v);
        follow = MAXF(follow - 2.5f, v);
        Ly[b] = v;
    }
    {
        /* per coefficient a sum over the bands in order, all coefficients at once */
        float s[DF_AN_DCT_PAD] = {0};
        if (DF_AN_USE_AVX2(k))
            df_an_dct24_avx2(s, Ly, (const float (*)[24])m->dct, NB);
        else
            for (int b = 0; b < NB; b++)
                for (int c = 0; c < DF_AN_DCT_PAD; c++) s[c] += Ly[b] * m->dct[b][c];
        for (int c = 0; c < NB; c++) feat[c] = (float)(s[c] * sqrt(2. / NB));
    }
    feat[0] -= 4;

    /* 4. LPC */
    lpc_from_cepstrum(m, k, feat, lpc);

    /* 5. pitch.  Slide the residual histories by one frame. */
    memmove(st->exc_buf, &st->exc_buf[DF_AN_FRAME], PMAX * sizeof(float));
    memmove(st->lp_buf, &st->lp_buf[DF_AN_FRAME], PMAX * sizeof(float));
    {
        /* LPC analysis filter A(z) on the delayed signal: residual =
         * x[i] + sum_j lpc[j] x[i-1-j], summed oldest tap first (see fir_tap_sum) */
        float hist[DF_AN_LPC + DF_AN_FRAME];
        memcpy(hist, st->pitch_mem, sizeof(st->pitch_mem));
        memcpy(&hist[DF_AN_LPC], delayed, sizeof(delayed));
        memcpy(st->pitch_mem, &delayed[DF_AN_FRAME - DF_AN_LPC], sizeof(st->pitch_mem));
        float rtaps[DF_AN_LPC];
        for (int j = 0; j < DF_AN_LPC; j++) rtaps[j] = lpc[DF_AN_LPC - 1 - j];
        float *res = &st->lp_buf[PMAX];
        if (DF_AN_USE_AVX2(k))
            df_an_fir16_avx2(res, hist, rtaps, DF_AN_FRAME);
        else
            for (int i = 0; i < DF_AN_FRAME; i++)
                res[i] = fir_tap_sum(hist[DF_AN_LPC + i], rtaps, &hist[i], DF_AN_LPC);
    }
    /* excitation for the correlation search: residual + 0.7 x previous
     * residual sample (mild low-frequency emphasis) */
    {
        const float *restrict res = &st->lp_buf[PMAX];
        float *restrict exc = &st->exc_buf[PMAX];
        exc[0] = res[0] + .7f * st->pitch_filt;
        for (int i = 1; i < 4; i++) exc[i] = res[i] + .7f * res[i - 1];
        for (int i = 4; i < DF_AN_FRAME; i++) exc[i] = res[i] + .7f * res[i - 1];
        st->pitch_filt = res[DF_AN_FRAME - 1];
    }
    {
        /* 2nd-order elliptic low-pass (~1.2 kHz) on the residual, in place,
         * written as a transposed direct form with b0 = 1. */
        static const float b1 = -0.84946f, b2 = 1.f;
        static const float a1 = -1.54220f, a2 = 0.70781f;
        float s0 = st->lp_mem[0], s1 = st->lp_mem[1];
        float *y = &st->lp_buf[PMAX];
        /* the input terms first (independent, vectorisable), then the
         * recursion, each value rounded exactly as in the one-loop form */
        float u[DF_AN_FRAME], v[DF_AN_FRAME];
        for (int i = 0; i < DF_AN_FRAME; i++) {
            u[i] = (b1 - a1) * y[i];
            v[i] = (b2 - a2) * y[i] + 1e-30f;
        }
        for (int i = 0; i < DF_AN_FRAME; i++) {
            float out = y[i] + s0;
            float s0_old = s0;
            s0 = u[i] + s1 - a1 * s0;
            s1 = v[i] - a2 * s0_old;
            y[i] = out;
        }
        st->lp_mem[0] = s0;
        st->lp_mem[1] = s1;
    }
    {
        /* normalised cross-correlation 2<x,y_l> / (1 + |x|^2 + |y_l|^2) of
         * the frame with the excitation l samples earlier, l = 256 - i;
         * |y_l|^2 is updated incrementally in double. */
        const float *buf = st->exc_buf;
        const float *cur = &buf[PMAX];
        float e0 = dotf(cur, cur, DF_AN_FRAME);
        double e1 = dotf(buf, buf, DF_AN_FRAME);
        float c[DF_PITCH_NB_XCORR];
        xcorr_avx2_order(k, cur, buf, c, DF_AN_FRAME, DF_PITCH_NB_XCORR);
        /* energy steps (independent), their running sum (serial), then the
         * normalisation (independent): the same roundings as one loop */
        const float e0p1 = 1 + e0;
        if (DF_AN_USE_AVX2(k)) {
            df_an_xcnorm_avx2(xc, c, buf, DF_AN_FRAME, e0p1, e1, DF_PITCH_NB_XCORR);
        } else {
            double d[DF_PITCH_NB_XCORR], e[DF_PITCH_NB_XCORR];
            for (int i = 0; i < DF_PITCH_NB_XCORR; i++)
                d[i] = buf[i + DF_AN_FRAME] * (double)buf[i + DF_AN_FRAME] - buf[i] * (double)buf[i];
            e[0] = e1;
            for (int i = 1; i < DF_PITCH_NB_XCORR; i++) e[i] = e[i - 1] + d[i - 1];
            for (int i = 0; i < DF_PITCH_NB_XCORR; i++) xc[i] = (2 * c[i]) / (float)(e0p1 + e[i]);
        }
    }
    float pitch = df_pitchdnn_compute(&m->pitch, k, &st->pitchdnn, if_feat, xc);
    int period = (int)floor(.5 + 256. / pow(2.f, (1. / 60.) * ((pitch + 1.5) * 60)));
    if (period < 1) period = 1;          /* cannot happen for a sane model */
    if (period > PMAX) period = PMAX;
    {
        const float *lp = &st->lp_buf[PMAX];
        float xx = dotf(lp, lp, DF_AN_FRAME);
        float yy = dotf(lp - period, lp - period, DF_AN_FRAME);
        float xy = dotf(lp, lp - period, DF_AN_FRAME);
        float corr = (float)(xy / sqrt(1 + xx * yy));
        /* soft compression of the correlation into (0, 1] */
        corr = (float)(log(1.f + exp(5.f * corr)) / log(1 + exp(5.f)));
        feat[NB] = pitch;
        feat[NB + 1] = corr - .5f;
    }
    memcpy(features20, feat, sizeof(feat));
    if (lpc16) memcpy(lpc16, lpc, sizeof(lpc));
}
