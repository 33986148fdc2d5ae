/* Unit test of the resampler: the AVX2 dot product gives the same bits as the
 * portable one (the receiver's output must not depend on the CPU), every
 * filter phase has unit gain at DC, and the SILK-shaped filter from 16 kHz up
 * has the response it is built for.  Built by tests/test_c_units.py. */
#include "resampler.c"

#include <stdio.h>

static uint32_t rng = 12345u;
static float urand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.f - .5f;
}

/* Level (dB) at g Hz of count output samples (Hann window, one DFT bin). */
static double level_db(const float *y, int count, int fs, double g)
{
    double re = 0, im = 0, ws = 0;
    for (int n = 0; n < count; n++) {
        double w = 0.5 - 0.5 * cos(2 * DF_RX_PI * (n + 0.5) / count);
        re += w * y[n] * cos(2 * DF_RX_PI * g * n / fs);
        im += w * y[n] * sin(2 * DF_RX_PI * g * n / fs);
        ws += w;
    }
    return 20 * log10(2 * sqrt(re * re + im * im) / ws + 1e-30);
}

/* A unit sine at f Hz (16 kHz) brought up to fs_out: its level at f, and the
 * level of its image at 16 kHz - f. */
static void tone_up(const df_resampler *r, int fs_out, double f, double *pass, double *image)
{
    static float x[8192], y[6000];
    for (int n = 0; n < 8192; n++) x[n] = (float)cos(2 * DF_RX_PI * f * n / 16000);
    const int count = fs_out / 10; /* 100 ms, away from the input's ends */
    df_resample(r, x, 0, (int64_t)fs_out / 50, count, y);
    *pass = level_db(y, count, fs_out, f);
    *image = level_db(y, count, fs_out, 16000 - f);
}

int main(void)
{
    int fails = 0;
#ifdef DF_RS_X86
    if (__builtin_cpu_supports("avx2")) {
        float h[DF_RS_MAX_TAPS], x[DF_RS_MAX_TAPS + 3];
        for (int t = 0; t < 100000; t++) {
            int taps = 8 * (1 + t % (DF_RS_MAX_TAPS / 8));
            float hs = t % 7 ? 1.f : 1e-3f, xs = t % 5 ? 1.f : 3e4f;
            for (int i = 0; i < taps; i++) h[i] = hs * urand();
            for (int i = 0; i < taps + 3; i++) x[i] = xs * urand();
            float a = fir8(h, x, taps), b = fir8_avx2(h, x, taps);
            if (memcmp(&a, &b, sizeof a)) {
                if (fails++ < 5) printf("taps %d: portable %.9g, avx2 %.9g\n", taps, a, b);
            }
            /* the four-at-once version: four different windows of x */
            const float *hh[4] = {h, h, h, h}, *xx[4] = {x, x + 1, x + 2, x + 3};
            float y4[4];
            fir8x4_avx2(hh, xx, taps, y4);
            for (int k = 0; k < 4; k++) {
                float e = fir8(h, x + k, taps);
                if (memcmp(&e, &y4[k], sizeof e)) {
                    if (fails++ < 5) printf("taps %d, output %d of 4: portable %.9g, avx2 x4 %.9g\n", taps, k, e, y4[k]);
                }
            }
        }
    } else {
        printf("no AVX2 on this CPU: path comparison skipped\n");
    }
#endif
    static const int rates[] = {8000, 12000, 16000, 24000, 48000};
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            if (rates[a] == rates[b]) continue;
            df_resampler r;
            if (df_resampler_init(&r, rates[a], rates[b], 32, DF_RS_SINC)) {
                /* the receiver builds every rate to and from 16 kHz */
                if (rates[a] == 16000 || rates[b] == 16000) {
                    printf("%d -> %d: cannot build the filter\n", rates[a], rates[b]);
                    fails++;
                }
                continue;
            }
            float ones[4096], y[64];
            for (int i = 0; i < 4096; i++) ones[i] = 1.f;
            df_resample(&r, ones, 0, 200, 64, y);
            for (int i = 0; i < 64; i++)
                if (fabsf(y[i] - 1.f) > 1e-5f) {
                    if (fails++ < 10) printf("%d -> %d: DC gain %.7f at output %d\n", rates[a], rates[b], y[i], 200 + i);
                    break;
                }
        }
    /* The SILK shape (see silk_up_db in resampler.c): flat pass band (0.3 dB
     * to 7.7 kHz), images on libopus's measured roll-off within 4 dB (the
     * window smears it: 9 kHz comes out at -30.6 dB for -33.8), images of
     * tones below 6 kHz under -60 dB and of low tones (around 16 kHz) under
     * -90 dB (the decoders' rounding noise sits at about -65 dB there). */
    static const struct { double f, pass, image, tol; } pts[] = { /* tol 0: image must stay under `image` */
        {7000, 0.0, -33.8, 4}, {7500, 0.0, -16.6, 4}, {7700, 0.0, -10.3, 4}, {6000, 0.0, -60, 0},
        {4000, 0.0, -90, 0}, {1000, 0.0, -90, 0}, {200, 0.0, -90, 0}};
    static const int up_rates[] = {24000, 48000};
    for (int a = 0; a < 2; a++) {
        df_resampler r;
        if (df_resampler_init(&r, 16000, up_rates[a], 32, DF_RS_SILK_UP)) {
            printf("16000 -> %d: cannot build the SILK-shaped filter\n", up_rates[a]);
            fails++;
            continue;
        }
        for (unsigned k = 0; k < sizeof(pts) / sizeof(pts[0]); k++) {
            double pass, image;
            tone_up(&r, up_rates[a], pts[k].f, &pass, &image);
            int bad = fabs(pass - pts[k].pass) > 0.3;
            if (16000 - pts[k].f < up_rates[a] / 2) /* the image exists at this rate */
                bad |= pts[k].tol > 0 ? fabs(image - pts[k].image) > pts[k].tol : image > pts[k].image;
            if (bad && fails++ < 20)
                printf("16000 -> %d, tone %.0f Hz: pass %.2f dB (want %.1f), image %.1f dB\n", up_rates[a], pts[k].f, pass, pts[k].pass, image);
        }
    }
    /* the SILK shape is only defined from 16 kHz up */
    {
        df_resampler r;
        if (!df_resampler_init(&r, 48000, 16000, 32, DF_RS_SILK_UP) || !df_resampler_init(&r, 16000, 8000, 32, DF_RS_SILK_UP)) {
            printf("SILK shape accepted for a conversion it does not describe\n");
            fails++;
        }
    }
    if (fails) {
        printf("%d failures\n", fails);
        return 1;
    }
    printf("all passed\n");
    return 0;
}
