/* Can batching concealing streams pay?  One int8 matrix-vector product per stream (the
 * project's AVX2 kernel, df_kernels_get(DF_ISA_AVX2)->linear_q, as the receiver runs it)
 * against one batched product for B streams (below: the same 8x4 block layout and the
 * same integer arithmetic, each weight block loaded once and applied to B inputs).
 *
 * Workload per stream and 20 ms concealed frame, with the real layer shapes of the
 * project's weights (int8, dense): FARGAN's conditioning network once, its signal
 * network 4 times (subframes), the PLC network's two GRUs once.  Random weights and
 * inputs (speed does not depend on values).  Prints ns per stream-frame for B = 1..16
 * and the gain; checks that the batched outputs equal the kernel's exactly.
 *
 *   gcc -O2 -mavx2 -mfma -ffp-contract=off -I csrc/nnet -o /tmp/batch_gemv benchmarks/c/batch_gemv.c \
 *       build/temp.<platform>/csrc/nnet/{nnet,cpu,kernels_?,conv2d?}.o -lm   (every nnet object)
 *   taskset -c 1 /tmp/batch_gemv
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nnet.h"

#define MAXB 16

/* (outputs, inputs) of each layer, in the order a concealed frame runs them. */
static const int COND[][2] = {{128, 192}, {320, 128}};
static const int SIG[][2] = {{192, 328}, {192, 192}, {480, 272}, {480, 160}, {160, 160}, {384, 240},
                             {384, 128}, {128, 128}, {384, 208}, {384, 128}, {128, 128}, {128, 128}, {128, 688},
                             {40, 128}};
static const int PLC[][2] = {{576, 128}, {576, 192}, {576, 192}, {576, 192}};

typedef struct { df_linear l; } Layer;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static Layer make(int nout, int nin) {
    Layer L;
    memset(&L, 0, sizeof L);
    int8_t *w = aligned_alloc(64, (size_t)nout * nin);
    float *s = malloc(sizeof(float) * nout), *b = malloc(sizeof(float) * nout);
    for (long i = 0; i < (long)nout * nin; i++) w[i] = (int8_t)(rand() % 200 - 100);
    for (int i = 0; i < nout; i++) { s[i] = 1e-4f; b[i] = 0.01f; }
    L.l.weights = w; L.l.scale = s; L.l.subias = b; L.l.nb_inputs = nin; L.l.nb_outputs = nout;
    return L;
}

/* out[b] = W x[b] for NB inputs at once (NB = 2 or 4, a compile-time constant so the
 * 2 x NB accumulators stay in registers): every 32-byte weight block is loaded once and
 * applied to all NB inputs.  One int32 accumulator per input (the single-vector kernel
 * alternates two; integer sums do not depend on the split, so the outputs are identical)
 * keeps 4 inputs' accumulators and the weights within the 16 AVX2 registers. */
#define DEF_BATCH(NB)                                                                               \
static void linear_q_batch##NB(const df_linear *l, float *const *out, const uint8_t *const *x) {   \
    const __m256i ones = _mm256_set1_epi16(1);                                                      \
    const int8_t *w = l->weights;                                                                   \
    for (int i = 0; i < l->nb_outputs; i += 8) {                                                    \
        __m256i a0[NB];                                                                             \
        for (int b = 0; b < NB; b++) a0[b] = _mm256_setzero_si256();                                \
        int j = 0;                                                                                  \
        for (; j + 8 <= l->nb_inputs; j += 8, w += 64) {                                            \
            __m256i w0 = _mm256_loadu_si256((const __m256i *)w);                                    \
            __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 32));                             \
            _Pragma("GCC unroll 4") for (int b = 0; b < NB; b++) {                                 \
                int32_t v0, v1;                                                                     \
                memcpy(&v0, x[b] + j, 4);                                                           \
                memcpy(&v1, x[b] + j + 4, 4);                                                       \
                a0[b] = _mm256_add_epi32(a0[b], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(v0), w0), ones)); \
                a0[b] = _mm256_add_epi32(a0[b], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(v1), w1), ones)); \
            }                                                                                       \
        }                                                                                           \
        for (; j < l->nb_inputs; j += 4, w += 32) {                                                 \
            __m256i w0 = _mm256_loadu_si256((const __m256i *)w);                                    \
            _Pragma("GCC unroll 4") for (int b = 0; b < NB; b++) {                                 \
                int32_t v0;                                                                         \
                memcpy(&v0, x[b] + j, 4);                                                           \
                a0[b] = _mm256_add_epi32(a0[b], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(v0), w0), ones)); \
            }                                                                                       \
        }                                                                                           \
        __m256 sc = _mm256_loadu_ps(l->scale + i), sb = _mm256_loadu_ps(l->subias + i);             \
        for (int b = 0; b < NB; b++) {                                                              \
            __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(a0[b]), sc);                                \
            _mm256_storeu_ps(out[b] + i, _mm256_add_ps(y, sb));                                     \
        }                                                                                           \
    }                                                                                               \
}
DEF_BATCH(2)
DEF_BATCH(4)

/* B streams: chunks of 4 (then 2, then the single-vector kernel). */
static void linear_q_batch(const df_kernels *k, const df_linear *l, float *const *out, const uint8_t *const *x, int B) {
    int b = 0;
    for (; b + 4 <= B; b += 4) linear_q_batch4(l, out + b, x + b);
    for (; b + 2 <= B; b += 2) linear_q_batch2(l, out + b, x + b);
    for (; b < B; b++) k->linear_q(l, out[b], x[b]);
}

int main(void) {
    const df_kernels *k = df_kernels_get(DF_ISA_AVX2);
    if (!k) { fprintf(stderr, "no AVX2\n"); return 1; }
    Layer layers[64];
    int order[64], n = 0, nl = 0;
    long bytes = 0;
#define ADD(T) for (size_t q = 0; q < sizeof(T) / sizeof(T[0]); q++) { layers[nl] = make(T[q][0], T[q][1]); bytes += (long)T[q][0] * T[q][1]; nl++; }
    ADD(COND);
    int sig0 = nl;
    ADD(SIG);
    int plc0 = nl;
    ADD(PLC);
    for (int i = 0; i < sig0; i++) order[n++] = i;
    for (int s = 0; s < 4; s++) for (int i = sig0; i < plc0; i++) order[n++] = i;
    for (int i = plc0; i < nl; i++) order[n++] = i;
    uint8_t *xs[MAXB];
    float *ys[MAXB], *yr = malloc(sizeof(float) * 1024);
    for (int b = 0; b < MAXB; b++) {
        xs[b] = malloc(1024);
        ys[b] = malloc(sizeof(float) * 1024);
        for (int i = 0; i < 1024; i++) xs[b][i] = (uint8_t)(rand() % 255);
    }
    /* exactness */
    for (int i = 0; i < nl; i++) {
        linear_q_batch(k, &layers[i].l, ys, (const uint8_t *const *)xs, MAXB - 1);
        for (int b = 0; b < MAXB - 1; b++) {
            k->linear_q(&layers[i].l, yr, xs[b]);
            for (int o = 0; o < layers[i].l.nb_outputs; o++) if (yr[o] != ys[b][o]) { fprintf(stderr, "mismatch layer %d stream %d out %d: %g vs %g\n", i, b, o, yr[o], ys[b][o]); return 1; }
        }
    }
    long per_frame = 0;
    for (int i = 0; i < n; i++) per_frame += (long)layers[order[i]].l.nb_outputs * layers[order[i]].l.nb_inputs;
    printf("int8 weights per concealed frame: %.2f MB read (%ld KB distinct), %d layer calls\n",
           per_frame / 1e6, bytes / 1024, n);
    printf("  B | one product per stream | batched     | gain (min of 7 rounds; median)\n");
    static const int Bs[] = {1, 2, 4, 8, 16};  /* 1: the kernel itself on both sides */
    for (size_t bi = 0; bi < sizeof Bs / sizeof Bs[0]; bi++) {
        int B = Bs[bi];
        const int reps = 400 / B + 20;
        double ts[7], tb[7];
        for (int r = 0; r < 7; r++) {
            double t0 = now();
            for (int rep = 0; rep < reps; rep++)
                for (int b = 0; b < B; b++)
                    for (int i = 0; i < n; i++) k->linear_q(&layers[order[i]].l, ys[b], xs[b]);
            double t1 = now();
            for (int rep = 0; rep < reps; rep++)
                for (int i = 0; i < n; i++) linear_q_batch(k, &layers[order[i]].l, ys, (const uint8_t *const *)xs, B);
            double t2 = now();
            ts[r] = (t1 - t0) / (reps * B);
            tb[r] = (t2 - t1) / (reps * B);
        }
        double ms = ts[0], mb = tb[0];
        for (int r = 1; r < 7; r++) { if (ts[r] < ms) ms = ts[r]; if (tb[r] < mb) mb = tb[r]; }
        /* medians */
        for (int a = 0; a < 7; a++) for (int c = a + 1; c < 7; c++) {
            if (ts[c] < ts[a]) { double t = ts[a]; ts[a] = ts[c]; ts[c] = t; }
            if (tb[c] < tb[a]) { double t = tb[a]; tb[a] = tb[c]; tb[c] = t; }
        }
        printf("%3d | %8.1f us/stream-frame | %8.1f us | %.2fx (%.2fx)\n", B, ms * 1e6, mb * 1e6, ms / mb, ts[3] / tb[3]);
    }
    return 0;
}
