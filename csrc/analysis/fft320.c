#include "fft320.h"

#include <math.h>

#define PI_D 3.14159265358979323846

void df_fft320_init(df_fft320 *t)
{
    for (int n = 0; n < DF_FFT320_N; n++) {
        t->twiddle[n][0] = (float)cos(2 * PI_D * n / DF_FFT320_N);
        t->twiddle[n][1] = (float)-sin(2 * PI_D * n / DF_FFT320_N);
    }
    /* Input n = q0 + 5 q1 + 20 q2 + 80 q3 goes to slot 64 q0 + 16 q1 + 4 q2 + q3:
     * the first radix-4 pass then combines inputs 80 apart, and so on. */
    for (int q0 = 0; q0 < 5; q0++)
        for (int q1 = 0; q1 < 4; q1++)
            for (int q2 = 0; q2 < 4; q2++)
                for (int q3 = 0; q3 < 4; q3++)
                    t->slot[q0 + 5 * q1 + 20 * q2 + 80 * q3] = (short)(64 * q0 + 16 * q1 + 4 * q2 + q3);
}

void df_an_fft_tw_init(df_an_fft_tw *tw, const df_fft320 *t)
{
    for (int q = 1; q < 5; q++)
        for (int c = 0; c < 2; c++) {
            if (q < 4)
                for (int k3 = 0; k3 < 4; k3++) tw->c[q - 1][k3][c] = t->twiddle[20 * q * k3][c];
            if (q < 4)
                for (int k = 0; k < 16; k++) tw->b[q - 1][c][k] = t->twiddle[5 * q * k][c];
            for (int k = 0; k < 64; k++) tw->a[q - 1][c][k] = t->twiddle[q * k][c];
        }
    for (int c = 0; c < 2; c++) {
        tw->r5[0][c] = t->twiddle[64][c];
        tw->r5[1][c] = t->twiddle[128][c];
    }
}

/* ---- 320-point complex FFT -------------------------------------------
 *
 * libopus runs these transforms in single precision with a mixed-radix
 * decimation-in-time FFT factored 5 x 4 x 4 x 4.  The cepstrum (and hence
 * everything downstream, pitch included) is only reproduced to the bit if
 * the transform rounds the same way, so ours performs the same float
 * operations in the same order: inputs scaled by 1/320 and placed in
 * digit-reversed order, then three radix-4 passes (span 1, 4, 16) and one
 * radix-5 pass (span 64), each butterfly combining its inputs with the same
 * intermediate sums.  Twiddles are the float-rounded exp(-2 pi i n / 320). */


static inline df_cpx cmul_tw(df_cpx a, const float *w)
{
    df_cpx m;
    m.r = a.r * w[0] - a.i * w[1];
    m.i = a.r * w[1] + a.i * w[0];
    return m;
}

/* One radix-4 pass: `groups` independent blocks, `gap` apart; in each,
 * `span` butterflies over elements k, k+span, k+2span, k+3span.  The
 * twiddle for input q of butterfly k is W^(q k tstep). */
static void radix4_pass(df_cpx *a, const float (*tw)[2], int span, int groups, int gap, int tstep)
{
    for (int g = 0; g < groups; g++) {
        df_cpx *b = a + g * gap;
        for (int k = 0; k < span; k++) {
            df_cpx *p0 = b + k, *p1 = p0 + span, *p2 = p1 + span, *p3 = p2 + span;
            df_cpx t1 = *p1, t2 = *p2, t3 = *p3;
            if (span > 1) {  /* first pass: all twiddles are one */
                t1 = cmul_tw(t1, tw[k * tstep]);
                t2 = cmul_tw(t2, tw[2 * k * tstep]);
                t3 = cmul_tw(t3, tw[3 * k * tstep]);
            }
            /* even part: x0 +- x2; odd part: x1 +- x3, the difference
             * rotated by -i into outputs 1 and 3 */
            df_cpx d02 = {p0->r - t2.r, p0->i - t2.i};
            df_cpx s02 = {p0->r + t2.r, p0->i + t2.i};
            df_cpx s13 = {t1.r + t3.r, t1.i + t3.i};
            df_cpx d13 = {t1.r - t3.r, t1.i - t3.i};
            p2->r = s02.r - s13.r;
            p2->i = s02.i - s13.i;
            p0->r = s02.r + s13.r;
            p0->i = s02.i + s13.i;
            p1->r = d02.r + d13.i;
            p1->i = d02.i - d13.r;
            p3->r = d02.r - d13.i;
            p3->i = d02.i + d13.r;
        }
    }
}

/* The final radix-5 pass (one block, span 64).  The 5-point DFT is done
 * with the symmetric pairs x1 +- x4 and x2 +- x3 and the two primitive
 * roots A = W^64, B = W^128 (cos/sin of 72 and 144 degrees). */
static void radix5_pass(df_cpx *a, const float (*tw)[2], int span)
{
    const float *A = tw[span], *B = tw[2 * span];
    for (int k = 0; k < span; k++) {
        df_cpx *p0 = a + k, *p1 = p0 + span, *p2 = p1 + span, *p3 = p2 + span, *p4 = p3 + span;
        df_cpx x0 = *p0;
        df_cpx t1 = cmul_tw(*p1, tw[k]), t2 = cmul_tw(*p2, tw[2 * k]);
        df_cpx t3 = cmul_tw(*p3, tw[3 * k]), t4 = cmul_tw(*p4, tw[4 * k]);
        df_cpx s14 = {t1.r + t4.r, t1.i + t4.i}, d14 = {t1.r - t4.r, t1.i - t4.i};
        df_cpx s23 = {t2.r + t3.r, t2.i + t3.i}, d23 = {t2.r - t3.r, t2.i - t3.i};
        p0->r = x0.r + (s14.r + s23.r);
        p0->i = x0.i + (s14.i + s23.i);
        /* outputs 1 and 4: real parts use cos72, cos144; imaginary sin72, sin144 */
        df_cpx e = {x0.r + (s14.r * A[0] + s23.r * B[0]), x0.i + (s14.i * A[0] + s23.i * B[0])};
        df_cpx f = {d14.i * A[1] + d23.i * B[1], -(d14.r * A[1] + d23.r * B[1])};
        p1->r = e.r - f.r;
        p1->i = e.i - f.i;
        p4->r = e.r + f.r;
        p4->i = e.i + f.i;
        /* outputs 2 and 3: the roles of the two roots swap */
        df_cpx g = {x0.r + (s14.r * B[0] + s23.r * A[0]), x0.i + (s14.i * B[0] + s23.i * A[0])};
        df_cpx h = {d23.i * A[1] - d14.i * B[1], d14.r * B[1] - d23.r * A[1]};
        p2->r = g.r + h.r;
        p2->i = g.i + h.i;
        p3->r = g.r - h.r;
        p3->i = g.i - h.i;
    }
}

void df_fft320_forward(const df_fft320 *t, const df_cpx *in, df_cpx *out)
{
    const float scale = 1.f / DF_FFT320_N;  /* 0.003125f exactly as stored by libopus */
    const float (*tw)[2] = (const float (*)[2])t->twiddle;
    for (int n = 0; n < DF_FFT320_N; n++) {
        out[t->slot[n]].r = scale * in[n].r;
        out[t->slot[n]].i = scale * in[n].i;
    }
    /* spans 1, 4, 16 (twiddle steps 80, 20, 5), then the radix-5 pass */
    radix4_pass(out, tw, 1, 80, 4, 80);
    radix4_pass(out, tw, 4, 20, 16, 20);
    radix4_pass(out, tw, 16, 5, 64, 5);
    radix5_pass(out, tw, 64);
}
