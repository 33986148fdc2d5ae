/* Unit test of the resampler: the AVX2 dot product gives the same bits as the
 * portable one (the receiver's output must not depend on the CPU), and every
 * filter phase has unit gain at DC.  Built by tests/test_c_units.py. */
#include "resampler.c"

#include <stdio.h>

static uint32_t rng = 12345u;
static float urand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.f - .5f;
}

int main(void)
{
    int fails = 0;
#ifdef DF_RS_X86
    if (__builtin_cpu_supports("avx2")) {
        float h[DF_RS_MAX_TAPS], x[DF_RS_MAX_TAPS];
        for (int t = 0; t < 100000; t++) {
            int taps = 8 * (1 + t % (DF_RS_MAX_TAPS / 8));
            float hs = t % 7 ? 1.f : 1e-3f, xs = t % 5 ? 1.f : 3e4f;
            for (int i = 0; i < taps; i++) {
                h[i] = hs * urand();
                x[i] = xs * urand();
            }
            float a = fir8(h, x, taps), b = fir8_avx2(h, x, taps);
            if (memcmp(&a, &b, sizeof a)) {
                if (fails++ < 5) printf("taps %d: portable %.9g, avx2 %.9g\n", taps, a, b);
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
            if (df_resampler_init(&r, rates[a], rates[b], 32)) {
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
    if (fails) {
        printf("%d failures\n", fails);
        return 1;
    }
    printf("all passed\n");
    return 0;
}
