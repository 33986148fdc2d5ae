/* Windowed-sinc polyphase resampler (see resampler.h). */
#include "resampler.h"

#include <math.h>

#define DF_RX_PI 3.14159265358979323846
#include <string.h>

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Modified Bessel function I0 by its power series (for the Kaiser window). */
static double bessel_i0(double x)
{
    double sum = 1, term = 1, q = x * x / 4;
    for (int k = 1; k < 50; k++) {
        term *= q / ((double)k * k);
        sum += term;
        if (term < 1e-12 * sum) break;
    }
    return sum;
}

static int rate_ok(int fs)
{
    return fs == 8000 || fs == 12000 || fs == 16000 || fs == 24000 || fs == 48000;
}

/* Magnitude response (dB at frequencies in Hz) of the up filter: flat to
 * the sinc filter's edge at 8.16 kHz (a duller concealment costs PLCMOS
 * against the decoded frames around it), then the roll-off of
 * libopus's SILK resampler, which brings every SILK and hybrid stream to
 * the output rate.  That roll-off was measured through libopus's own
 * decoder: vectors/' v24 packets of 12 dev clips decoded at 16 and at
 * 48 kHz, the ratio of the two outputs' Welch spectra (100 ms segments) at
 * the image 16 kHz - f of f (libopus 1.3.1 and 1.6.1 alike): -7.5 dB at
 * 8.2 kHz, -16.6 at 8.5, -33.8 at 9, -52.6 at 9.5, then the decoders'
 * rounding noise (-65 dB) from 9.9 kHz on; the target goes on falling to
 * -100 dB, so that the images of strong low harmonics around 16 kHz stay
 * under that noise.  Our sinc filter let through images 8-9 kHz 10-20 dB
 * weaker than the decoded frames around a gap have, and images around 16 kHz
 * of up to -69 dB: in vectors48's hybrid streams, whose band above 8 kHz
 * is only that, the concealed frames' band sat 20 dB low at 8.5-9 kHz and up
 * to 15 dB high around 16 kHz.  With this shape (and the receiver's
 * history kept on the sinc filter, receiver.c render_hist), vectors48 after
 * DRED (24 clips x 5 traces): LSD-HF st64 7.29 -> 6.76 dB, fb32 7.22 ->
 * 6.75, v24 at 48 kHz 7.29 -> 6.83 (libopus 5.85 / 6.27 / 6.36). */
static const double silk_up_hz[] = {0, 8160, 8161, 8200, 8300, 8400, 8500, 8700, 8900,
                                    9100, 9300, 9500, 9700, 9900, 10100, 10400, 24000};
static const double silk_up_db[] = {0, 0, -6.5, -7.5, -10.3, -13.4, -16.6, -23.3, -30.2,
                                    -37.4, -44.9, -52.6, -60.2, -68, -76, -100, -100};

/* Zero-phase impulse response, at u input samples from the centre, of that
 * target taken as piecewise linear in amplitude between its points: per
 * segment the integral of (a + b f) cos(c f) df has a closed form. */
#define SILK_UP_POINTS ((int)(sizeof(silk_up_hz) / sizeof(silk_up_hz[0])))

/* amp: the target's points as amplitudes (10^(dB/20)), made once per filter. */
static double silk_up_response(double u, int fs_in, const double *amp)
{
    const int n = SILK_UP_POINTS;
    const double c = 2 * DF_RX_PI * u / fs_in;
    /* sin and cos at each point once (neighbouring segments share their
     * ends): the same calls on the same arguments as per segment, half as
     * many -- the filter design was half of a 48 kHz receiver's construction */
    double sn[SILK_UP_POINTS], cs[SILK_UP_POINTS];
    if (fabs(c) >= 1e-9)
        for (int k = 0; k < n; k++) {
            sn[k] = sin(c * silk_up_hz[k]);
            cs[k] = cos(c * silk_up_hz[k]);
        }
    double acc = 0;
    for (int k = 0; k + 1 < n; k++) {
        const double f0 = silk_up_hz[k], f1 = silk_up_hz[k + 1];
        const double a0 = amp[k], a1 = amp[k + 1];
        const double b = (a1 - a0) / (f1 - f0), a = a0 - b * f0;
        if (fabs(c) < 1e-9)
            acc += a * (f1 - f0) + b * (f1 * f1 - f0 * f0) / 2;
        else
            acc += ((a + b * f1) * sn[k + 1] - (a + b * f0) * sn[k]) / c + b * (cs[k + 1] - cs[k]) / (c * c);
    }
    return 2 * acc / fs_in;
}

int df_resampler_init(df_resampler *r, int fs_in, int fs_out, int half_width_low, int shape)
{
    memset(r, 0, sizeof(*r));
    if (!rate_ok(fs_in) || !rate_ok(fs_out) || half_width_low < 1) return -1;
    if (shape != DF_RS_SINC && !(shape == DF_RS_SILK_UP && fs_in == 16000 && fs_out > fs_in)) return -1;
    int g = gcd(fs_in, fs_out);
    r->L = fs_out / g;
    r->M = fs_in / g;
    /* The filter's length is fixed in samples of the lower rate, so in
     * input samples it grows by M / L when decimating. */
    int scale = r->M > r->L ? (r->M + r->L - 1) / r->L : 1;
    r->width = half_width_low * scale;
    if (r->L > DF_RS_MAX_PHASES || 2 * r->width > DF_RS_MAX_TAPS || (2 * r->width) % 8) return -1;
    /* Cut-off at 1.02 times the lower Nyquist frequency (as libopus's own
     * 16 <-> 48 kHz filter for its CELT deep PLC), in cycles per input sample,
     * and a long filter (half length 32 at 16 kHz: transition about +-0.5 kHz)
     * so that the concealment keeps its 6.5-8 kHz band: duller concealed
     * frames cost PLCMOS against the full-band decoded frames around them
     * (measured, v24 at 48 kHz, 4 clips x 5 traces, PLC: cut-off 0.985 3.277,
     * 1.02 3.303; a half length of 12 was 0.05-0.2 lower still).  The Kaiser
     * window (beta 6, about 60 dB) keeps images and aliases down. */
    double fc = 0.5 * 1.02 * (r->L < r->M ? (double)r->L / r->M : 1.0);
    /* The SILK shape's window: beta 7 (about 70 dB side lobes); it smears the
     * target by a few hundred Hz (realised: -0.2 dB at 7.8 kHz, -1.4 at 8,
     * -13.6 at 8.5, -30.6 at 9, under -85 dB from 11 kHz; test_resampler.c
     * checks it). */
    const double beta = shape == DF_RS_SILK_UP ? 7.0 : 6.0, norm = bessel_i0(beta);
    double amp[SILK_UP_POINTS];
    for (int k = 0; k < SILK_UP_POINTS; k++) amp[k] = pow(10, silk_up_db[k] / 20);
    for (int p = 0; p < r->L; p++) {
        double frac = (double)p / r->L, sum = 0;
        for (int j = 0; j < 2 * r->width; j++) {
            /* tap j multiplies input index c - width + 1 + j, at distance u */
            double u = frac + r->width - 1 - j;
            double a = u / r->width, w = 0;
            if (fabs(a) < 1) w = bessel_i0(beta * sqrt(1 - a * a)) / norm;
            double s = u == 0 ? 1 : sin(2 * DF_RX_PI * fc * u) / (2 * DF_RX_PI * fc * u);
            double v = shape == DF_RS_SILK_UP ? silk_up_response(u, fs_in, amp) * w : 2 * fc * s * w;
            r->h[p][j] = (float)v;
            sum += v;
        }
        /* Unit gain at DC for every phase (no ripple at the rate's period). */
        for (int j = 0; j < 2 * r->width; j++) r->h[p][j] = (float)(r->h[p][j] / sum);
    }
    return 0;
}

/* One output sample: taps (a multiple of 8) products summed in eight running
 * sums, lane k taking taps k, k + 8, ..., then added pairwise. */
static float fir8(const float *h, const float *xs, int taps)
{
    float acc[8] = {0};
    for (int j = 0; j < taps; j += 8) {
        const float *hj = h + j, *xj = xs + j;
        for (int k = 0; k < 8; k++) acc[k] += hj[k] * xj[k];
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define DF_RS_X86 1
/* fir8 with the eight sums in one AVX register: the same multiplies and adds
 * in the same order (mul then add, no FMA), so the same bits.  At 48 kHz the
 * filters are a fifth of the receiver's work. */
__attribute__((target("avx2"))) static float fir8_avx2(const float *h, const float *xs, int taps)
{
    __m256 a = _mm256_setzero_ps();
    for (int j = 0; j < taps; j += 8) a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(h + j), _mm256_loadu_ps(xs + j)));
    float acc[8];
    _mm256_storeu_ps(acc, a);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Four outputs of fir8 at once, the same bits: four 8-lane sums as above,
 * then the pairwise tree of each done for all four together -- two rounds of
 * hadd give (a0+a1)+(a2+a3) and (a4+a5)+(a6+a7) of each in the low and the
 * high half, whose sum is fir8's last add.  The one horizontal reduction per
 * output was a third of fir8_avx2's instructions. */
__attribute__((target("avx2"))) static void fir8x4_avx2(const float *const h[4], const float *const xs[4], int taps,
                                                        float *y)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < taps; j += 8) {
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(h[0] + j), _mm256_loadu_ps(xs[0] + j)));
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(h[1] + j), _mm256_loadu_ps(xs[1] + j)));
        a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(h[2] + j), _mm256_loadu_ps(xs[2] + j)));
        a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(h[3] + j), _mm256_loadu_ps(xs[3] + j)));
    }
    /* hadd(p, q) = p0+p1, p2+p3, q0+q1, q2+q3 | p4+p5, p6+p7, q4+q5, q6+q7 */
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    _mm_storeu_ps(y, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}
#endif

void df_resample(const df_resampler *r, const float *x, int64_t x0, int64_t n0, int count, float *y)
{
    const int taps = 2 * r->width;
    int i = 0;
#ifdef DF_RS_X86
    const int avx2 = __builtin_cpu_supports("avx2");
    if (avx2) {
        for (; i + 4 <= count; i += 4) {
            const float *h[4], *xs[4];
            for (int k = 0; k < 4; k++) {
                int64_t pos = (n0 + i + k) * r->M;
                int64_t c = pos / r->L; /* n >= 0: floor */
                h[k] = r->h[pos - c * r->L];
                xs[k] = x + (c - x0 - r->width + 1);
            }
            fir8x4_avx2(h, xs, taps, y + i);
        }
    }
#endif
    for (; i < count; i++) {
        int64_t n = n0 + i;
        int64_t pos = n * r->M;
        int64_t c = pos / r->L; /* n >= 0: floor */
        const float *h = r->h[pos - c * r->L];
        const float *xs = x + (c - x0 - r->width + 1);
#ifdef DF_RS_X86
        if (avx2) {
            y[i] = fir8_avx2(h, xs, taps);
            continue;
        }
#endif
        y[i] = fir8(h, xs, taps);
    }
}

int64_t df_resampler_last_output(const df_resampler *r, int64_t last_in)
{
    /* need floor(n*M/L) + width <= last_in  <=>  n*M < (last_in - width + 1) * L */
    int64_t lim = (last_in - r->width + 1) * r->L;
    if (lim <= 0) return -1;
    return (lim - 1) / r->M;
}

void df_resample_edge(const df_resampler *r, const float *x, int64_t x0, int64_t x_end, int64_t n0, int count, float *y)
{
    const int taps = 2 * r->width;
    for (int i = 0; i < count; i++) {
        int64_t n = n0 + i;
        int64_t pos = n * r->M;
        int64_t c = pos / r->L;
        const float *h = r->h[pos - c * r->L];
        int64_t first = c - r->width + 1;
        int avail = (int)(x_end - first);
        if (avail > taps) avail = taps;
        const float *xs = x + (first - x0);
        float acc = 0, norm = 0;
        for (int j = 0; j < avail; j++) {
            acc += h[j] * xs[j];
            norm += h[j];
        }
        /* The missing taps are the future: what is there is rescaled to unit DC gain. */
        y[i] = norm > 0.05f ? acc / norm : acc;
    }
}
