/* Unit test of the 16-bit rounding of played audio: the AVX2 path gives the
 * scalar df_to_i16's bits for every kind of input (rounding ties, the clamps,
 * infinities, NaN, the fill added first), whatever the length's remainder.
 * Built by tests/test_c_units.py. */
#include "pcm16.c"

#include <stdio.h>
#include <string.h>

static uint32_t rng = 2024u;
static float urand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.f;
}

int main(void)
{
    enum { N = 4099 };
    static float x[N], add[N], y[N], ref[N];
    int fails = 0;
    for (int i = 0; i < N; i++) {
        switch (i % 8) {
        case 0: x[i] = 4.f * urand() - 2.f; break;                                  /* beyond full scale */
        case 1: x[i] = (floorf(65536.f * urand()) - 32768.f + .5f) / 32768.f; break; /* exact ties */
        case 2: x[i] = (float)(i % 7 - 3) * INFINITY; break;                        /* +-inf, and NaN (0 * inf) */
        case 3: x[i] = -0.f; break;
        case 4: x[i] = 32767.5f / 32768.f; break;
        case 5: x[i] = -32768.5f / 32768.f; break;
        default: x[i] = 2.f * urand() - 1.f;
        }
        add[i] = (i % 3 == 0) ? .01f * (urand() - .5f) : 0.f;
    }
    for (int pass = 0; pass < 2; pass++) {
        const float *a = pass ? add : NULL;
        for (int n = 0; n <= 24 + pass * (N - 24); n += pass ? N - 24 : 1) {
            for (int i = 0; i < n; i++) ref[i] = df_to_i16(a ? x[i] + a[i] : x[i]) * (1.f / 32768.f);
            df_pcm16_round(x, a, y, n);
            if (memcmp(y, ref, (size_t)n * sizeof(float)) != 0) {
                printf("pcm16 mismatch (n %d, add %d)\n", n, pass);
                fails++;
            }
        }
    }
    /* in place */
    memcpy(y, x, sizeof(x));
    for (int i = 0; i < N; i++) ref[i] = df_to_i16(x[i]) * (1.f / 32768.f);
    df_pcm16_round(y, NULL, y, N);
    if (memcmp(y, ref, sizeof(y)) != 0) {
        printf("pcm16 in-place mismatch\n");
        fails++;
    }
    if (fails) return 1;
    printf("pcm16: all passed\n");
    return 0;
}
