/* Burg cepstral analysis (see burg.h).
 *
 * Bit-exactness with libopus: the PLC network sees these values, so every
 * step rounds like the reference float build (x86-64, no FP contraction):
 *  - Burg recursion in double, except the correlation-row updates, whose
 *    products are formed in float (libopus multiplies two floats there);
 *  - energies / inner products summed four terms at a time, as libopus's
 *    unrolled loops do;
 *  - the 320-point FFT is the same float mixed-radix (4,4,4,5) transform
 *    as the feature analysis, scaled by 1/320;
 *  - log10 is the exact (libm, double) one here, not the approximation the
 *    feature analysis uses: libopus's freq.c calls plain log10. */
#include "burg.h"
#include "analysis_avx2.h"
#include "../nnet/kernels.h"

#include <math.h>
#include <string.h>

#define NB DF_BURG_BANDS
#define HALF (DF_BURG_FRAME / 2)
#define FREQ (DF_BURG_NFFT / 2 + 1)
#define PREEMPH 0.85f
#define COND_FAC 1e-5f
#define MAX_ORDER 16
#define PI_D 3.14159265358979323846
#define NBINS 160 /* bins the bands read: band_edge[NB - 1] * 4 */


static const int band_edge[NB] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40};

void df_burg_model_init(df_burg_model *m)
{
    memset(m, 0, sizeof(*m));
    df_fft320_init(&m->fft);
    df_an_fft_tw_init(&m->fft_tw, &m->fft);
    /* DCT-II rows without the sqrt(2/N) factor; the argument is formed as
     * ((b + .5) c) pi / N so the zero entries round like libopus's table. */
    for (int b = 0; b < NB; b++)
        for (int c = 0; c < NB; c++)
            m->dct[b * NB + c] = (float)(cos((b + .5) * c * PI_D / NB) * (c == 0 ? sqrt(.5) : 1.));
    for (int i = 0; i < DF_BURG_ORDER; i++) m->bw[i] = pow(.995, i + 1); /* the same pow as per call, once */
}

/* ---- Burg ------------------------------------------------------------ */

/* sum of x^2 in double, four products per step as libopus's loop adds them */
static double energy4(const float *x, int n)
{
    double acc = 0;
    int i = 0;
    for (; i < n - 3; i += 4)
        acc += x[i] * (double)x[i] + x[i + 1] * (double)x[i + 1] + x[i + 2] * (double)x[i + 2] +
               x[i + 3] * (double)x[i + 3];
    for (; i < n; i++) acc += x[i] * (double)x[i];
    return acc;
}

static double dot4(const float *a, const float *b, int n)
{
    double acc = 0;
    int i = 0;
    for (; i < n - 3; i += 4)
        acc += a[i] * (double)b[i] + a[i + 1] * (double)b[i + 1] + a[i + 2] * (double)b[i + 2] +
               a[i + 3] * (double)b[i + 3];
    for (; i < n; i++) acc += a[i] * (double)b[i];
    return acc;
}

float df_burg_lpc(float *A, const float *x, float min_inv_gain, int L, int nb_subfr, int D)
{
    double first[MAX_ORDER], last[MAX_ORDER];       /* correlation rows */
    double caf[MAX_ORDER + 1], cab[MAX_ORDER + 1];   /* C * a (forward), C * flipped a */
    double af[MAX_ORDER];
    double c0, inv_gain = 1.0, res;
    int capped = 0;

    c0 = energy4(x, nb_subfr * L);
    memset(first, 0, sizeof(first));
    for (int s = 0; s < nb_subfr; s++)
        for (int n = 1; n <= D; n++) first[n - 1] += dot4(x + s * L, x + s * L + n, L - n);
    memcpy(last, first, sizeof(first));
    /* white-noise conditioning keeps the recursion away from singular cases */
    caf[0] = cab[0] = c0 + COND_FAC * c0 + 1e-9f;

    for (int n = 0; n < D; n++) {
        /* Remove the samples the order-(n+1) fit no longer sees from the
         * correlation rows, and update C a and C flip(a). */
        for (int s = 0; s < nb_subfr; s++) {
            const float *p = x + s * L;
            double t1 = p[n], t2 = p[L - n - 1];
            for (int k = 0; k < n; k++) {
                first[k] -= p[n] * p[n - k - 1];          /* float product, as in libopus */
                last[k] -= p[L - n - 1] * p[L - n + k];
                t1 += p[n - k - 1] * af[k];
                t2 += p[L - n + k] * af[k];
            }
            for (int k = 0; k <= n; k++) {
                caf[k] -= t1 * p[n - k];
                cab[k] -= t2 * p[L - n + k - 1];
            }
        }
        {
            double t1 = first[n], t2 = last[n];
            for (int k = 0; k < n; k++) {
                t1 += last[n - k - 1] * af[k];
                t2 += first[n - k - 1] * af[k];
            }
            caf[n + 1] = t1;
            cab[n + 1] = t2;
        }
        double num = cab[n + 1], nb = cab[0], nf = caf[0];
        for (int k = 0; k < n; k++) {
            num += cab[n - k] * af[k];
            nb += cab[k + 1] * af[k];
            nf += caf[k + 1] * af[k];
        }
        double rc = -2.0 * num / (nf + nb);
        double g = inv_gain * (1.0 - rc * rc);
        if (g <= min_inv_gain) {
            /* prediction gain limit: scale the reflection coefficient so the
             * limit is met exactly, then stop */
            rc = sqrt(1.0 - min_inv_gain / inv_gain);
            if (num > 0) rc = -rc;
            inv_gain = min_inv_gain;
            capped = 1;
        } else {
            inv_gain = g;
        }
        for (int k = 0; k < (n + 1) >> 1; k++) {
            double a = af[k], b = af[n - k - 1];
            af[k] = a + rc * b;
            af[n - k - 1] = b + rc * a;
        }
        af[n] = rc;
        if (capped) {
            for (int k = n + 1; k < D; k++) af[k] = 0.0;
            break;
        }
        for (int k = 0; k <= n + 1; k++) {
            double a = caf[k];
            caf[k] += rc * cab[n - k + 1];
            cab[n - k + 1] += rc * a;
        }
    }

    if (capped) {
        for (int k = 0; k < D; k++) A[k] = (float)(-af[k]);
        for (int s = 0; s < nb_subfr; s++) c0 -= energy4(x + s * L, D);
        res = c0 * inv_gain;
    } else {
        double norm = 1.0;
        res = caf[0];
        for (int k = 0; k < D; k++) {
            res += caf[k + 1] * af[k];
            norm += af[k] * af[k];
            A[k] = (float)(-af[k]);
        }
        res -= COND_FAC * c0 * norm;
    }
    {
        float r = (float)res;
        return r > 0 ? r : 0;
    }
}

/* ---- cepstrum of one 5 ms half ---------------------------------------- */

static void half_cepstrum(const df_burg_model *m, const df_kernels *k, const float *pcm, float *cep)
{
    float pre[HALF], lpc[DF_BURG_ORDER], x[DF_BURG_NFFT];
    float E[NB], Ly[NB];
    df_cpx X[DF_BURG_NFFT];
    float g, loudest = -2, follow = -2;

    for (int i = 0; i < HALF - 1; i++) pre[i] = pcm[i + 1] - PREEMPH * pcm[i];
    g = df_burg_lpc(lpc, pre, 1e-3f, HALF - 1, 1, DF_BURG_ORDER);
    g /= HALF - 2 * (DF_BURG_ORDER - 1);
    /* the inverse filter 1 - sum a_i z^-i, slightly bandwidth-expanded */
    memset(x, 0, sizeof(x));
    x[0] = 1;
    for (int i = 0; i < DF_BURG_ORDER; i++) x[i + 1] = (float)(-lpc[i] * m->bw[i]);
    if (DF_AN_USE_AVX2(k)) {
#ifdef DF_HAVE_X86
        /* the same FFT vectorised (analysis_avx2.c), same bits; the input
         * scaled as the portable FFT scales it (scale * 0 = +0) */
        float re[DF_BURG_NFFT], im[DF_BURG_NFFT], ore[DF_BURG_NFFT], oim[DF_BURG_NFFT];
        for (int n = 0; n < DF_BURG_NFFT; n++) {
            re[n] = (1.f / DF_FFT320_N) * x[n];
            im[n] = 0.f;
        }
        df_an_fft320_avx2(&m->fft_tw, re, im, ore, oim, 0);
        for (int n = 0; n < NBINS; n++) {
            X[n].r = ore[n];
            X[n].i = oim[n];
        }
#endif
    } else {
        df_cpx xin[DF_BURG_NFFT];
        for (int n = 0; n < DF_BURG_NFFT; n++) {
            xin[n].r = x[n];
            xin[n].i = 0;
        }
        df_fft320_forward(&m->fft, xin, X);
    }
    /* band energies of the model spectrum 1/|A|^2 (triangular bands) */
    {
        float acc[NB] = {0};
        for (int b = 0; b < NB - 1; b++) {
            int start = band_edge[b] * 4, width = (band_edge[b + 1] - band_edge[b]) * 4;
            for (int j = 0; j < width; j++) {
                float frac = (float)j / width;
                float p = X[start + j].r * X[start + j].r;
                p += X[start + j].i * X[start + j].i;
                p = (float)(1.f / (p + 1e-9));
                acc[b] += (1 - frac) * p;
                acc[b + 1] += frac * p;
            }
        }
        acc[0] *= 2;
        acc[NB - 1] *= 2;
        /* scale by the residual energy; 1/320^3 undoes the DFT scaling */
        const double gain = .45 * g * (1.f / ((float)DF_BURG_NFFT * DF_BURG_NFFT * DF_BURG_NFFT));
        for (int b = 0; b < NB; b++) E[b] = (float)(acc[b] * gain);
    }
    for (int b = 0; b < NB; b++) {
        float v = (float)log10(1e-2 + E[b]);
        /* same floors as the features: 80 dB below the loudest band so far,
         * 25 dB per band below a decaying follower (compared in double, as
         * libopus's mixed float/double MAX16 does) */
        double f = follow - 2.5;
        double t = f > v ? f : v;
        float lm = loudest - 8;
        v = (float)(lm > t ? lm : t);
        loudest = loudest > v ? loudest : v;
        follow = (float)(f > v ? f : v);
        Ly[b] = v;
    }
    for (int c = 0; c < NB; c++) {
        float s = 0;
        for (int b = 0; b < NB; b++) s += Ly[b] * m->dct[b * NB + c];
        cep[c] = (float)(s * sqrt(2. / NB));
    }
    cep[0] += -4;
}

void df_burg_cepstrum(const df_burg_model *m, const df_kernels *k, const float *x, float *out)
{
    float a[NB], b[NB];
    half_cepstrum(m, k, x, a);
    half_cepstrum(m, k, x + HALF, b);
    for (int i = 0; i < NB; i++) {
        out[i] = (float)(.5 * (a[i] + b[i]));
        out[NB + i] = a[i] - b[i];
    }
}
