#include "lpcnet_lpc.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define WINDOW 320
#define BINS (WINDOW / 2 + 1)
#define LOG256 5.5451774445f
#define DF_PI 3.14159265358979323846

/* Band edges in units of 4 bins (5 ms frames of the 320-point analysis). */
static const int eband[DF_LPCNET_BANDS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 34, 40};

/* The DCT-II basis of FreeDV's dct()/idct(): cos((i + 1/2) j pi / 18),
 * column 0 scaled by sqrt(1/2) (the sqrt(2/18) is applied after the sum),
 * and cos(2 pi i j / 320) for the autocorrelation. */
void df_lpcnet_lpc_tables_init(df_lpcnet_lpc_tables *t)
{
    int i, j;
    for (i = 0; i < DF_LPCNET_BANDS; i++) {
        for (j = 0; j < DF_LPCNET_BANDS; j++) {
            float c = (float)cos((i + .5) * j * DF_PI / DF_LPCNET_BANDS);
            if (j == 0) c = (float)(c * sqrt(.5));
            t->idct[i * DF_LPCNET_BANDS + j] = c;
        }
    }
    for (i = 0; i <= DF_LPCNET_ORDER; i++)
        for (j = 0; j < 160; j++)
            t->ac_cos[i * 160 + j] = cos(2. * DF_PI * (double)((i * j) % WINDOW) / WINDOW);
}

static void idct18(const df_lpcnet_lpc_tables *t, float *out, const float *in)
{
    int i, j;
    for (i = 0; i < DF_LPCNET_BANDS; i++) {
        float sum = 0;
        for (j = 0; j < DF_LPCNET_BANDS; j++)
            sum += in[j] * t->idct[i * DF_LPCNET_BANDS + j];
        out[i] = (float)(sum * sqrt(2. / DF_LPCNET_BANDS));
    }
}

/* Levinson-Durbin on ac[0..order] (float, as celt_lpc's float build). */
static float levinson(float *lpc, const float *ac, int order)
{
    float error = ac[0];
    int i, j;
    memset(lpc, 0, (size_t)order * sizeof(float));
    if (!(ac[0] > 0))
        return error;
    for (i = 0; i < order; i++) {
        float rr = 0, r;
        for (j = 0; j < i; j++)
            rr += lpc[j] * ac[i - j];
        rr += ac[i + 1];
        r = -rr / error;
        lpc[i] = r;
        for (j = 0; j < (i + 1) >> 1; j++) {
            float t1 = lpc[j], t2 = lpc[i - 1 - j];
            lpc[j] = t1 + r * t2;
            lpc[i - 1 - j] = t2 + r * t1;
        }
        error = error - r * r * error;
        if (error < .001f * ac[0]) /* 30 dB of prediction gain is enough */
            break;
    }
    return error;
}

float df_lpcnet_lpc_from_cepstrum(const df_lpcnet_lpc_tables *t, float *lpc, const float *cepstrum)
{
    float tmp[DF_LPCNET_BANDS], ex[DF_LPCNET_BANDS];
    float spec[BINS];
    float ac[DF_LPCNET_ORDER + 1];
    int i, j;
    memcpy(tmp, cepstrum, sizeof(tmp));
    tmp[0] += 4; /* undo the analysis' -4 on column 0 */
    idct18(t, ex, tmp);
    for (i = 0; i < DF_LPCNET_BANDS; i++)
        ex[i] = (float)pow(10., ex[i]);
    /* Triangular interpolation between band centres, as interp_band_gain. */
    for (i = 0; i < DF_LPCNET_BANDS - 1; i++) {
        const int size = (eband[i + 1] - eband[i]) * 4;
        for (j = 0; j < size; j++) {
            const float frac = (float)j / size;
            spec[eband[i] * 4 + j] = (1 - frac) * ex[i] + frac * ex[i + 1];
        }
    }
    spec[BINS - 1] = 0;
    /* Autocorrelation = inverse real DFT of the (real, even) power spectrum,
     * unnormalised like FreeDV's inverse_transform: bin 0 once, bins 1..159
     * twice (their mirror images), bin 160 is zero.  Summed in double. */
    for (i = 0; i <= DF_LPCNET_ORDER; i++) {
        double acc = spec[0];
        for (j = 1; j < BINS - 1; j++)
            acc += 2. * spec[j] * t->ac_cos[i * 160 + j];
        ac[i] = (float)acc;
    }
    /* -40 dB noise floor; the constant is FreeDV's 320/12/38. with its
     * integer division (26/38). */
    ac[0] += ac[0] * 1e-4f + (float)(26 / 38.);
    for (i = 1; i <= DF_LPCNET_ORDER; i++)
        ac[i] *= (float)(1 - 6e-5 * i * i);
    return levinson(lpc, ac, DF_LPCNET_ORDER);
}

/* FreeDV's log2 approximation: exponent plus a cubic in the mantissa. */
static float log2_approx(float x)
{
    union {
        float f;
        int32_t i;
    } in;
    int32_t integer;
    float frac;
    in.f = x;
    integer = (in.i >> 23) - 127;
    in.i -= integer << 23;
    frac = in.f - 1.5f;
    frac = -0.41445418f + frac * (0.95909232f + frac * (-0.33951290f + frac * 0.16541097f));
    return 1 + integer + frac;
}

int df_lpcnet_lin2ulaw(float x)
{
    const float scale = 255.f / 32768.f;
    const int s = x >= 0 ? 1 : -1;
    float u;
    x = fabsf(x);
    /* Inputs are predictions and past samples (bounded by the int16 range
     * plus the predictor gain); clamp anything absurd before the bit tricks. */
    if (!(x < 1e9f)) x = 1e9f;
    u = s * (128 * (0.69315f * log2_approx(1 + scale * x)) / LOG256);
    u = 128 + u;
    if (u < 0) u = 0;
    if (u > 255) u = 255;
    return (int)floorf(.5f + u);
}

float df_lpcnet_ulaw2lin(int u)
{
    const float scale_1 = 32768.f / 255.f;
    double v = u - 128;
    const double s = v >= 0 ? 1 : -1;
    v = fabs(v);
    return (float)(s * scale_1 * (exp(v / 128. * LOG256) - 1));
}
