/* Every kernel of every path this CPU runs against the scalar path, bit for
 * bit, on random layers and inputs (tests/test_kernels.py does the same
 * from Python; this one needs no Python, so it also runs under qemu for
 * AArch64: tests/c/run.sh --arch aarch64).
 *
 *   test_kernel_paths
 *
 * Checked per path: int8 dense and 8x4 block-sparse layers (up to 2048
 * inputs; weights over the whole int8 range on NEON, within +-64 on x86) through linear (float input,
 * quantised inside) and linear_q; float dense (any output count) and
 * sparse; the u8 quantiser; tanh, sigmoid, ReLU and identity at lengths
 * 1..67; LPCNet's 16x1 sparse product; the sampler's scaled exp; the 3x3
 * conv2d with and without bias.  Inputs mix normal values with u8 rounding
 * ties, and -- on the NEON paths, which follow the scalar code there too --
 * saturating, infinite and NaN values and -0.  (The x86 paths differ from
 * the scalar model on those: maddubs saturation with u8 255 and extreme
 * weight pairs, minps/maxps on NaN; the models never produce them, and
 * the Python tests state it.)  The AVX2 path is also checked with the
 * pair-sum layout of nnet/pairs.h: equal to scalar, and to its own plain
 * kernel on the whole int8 range (saturation included); the layout itself
 * pairs only quads within the 16-bit bound and holds every quad once.  The
 * AVX-512 path likewise with its interleaved layout (nnet/x16.h).
 * Exit 0 and "all passed" on success. */
#undef NDEBUG
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnet/conv2d.h"
#include "nnet/nnet.h"
#include "nnet/pairs.h"
#include "nnet/x16.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

/* xorshift64*: the test's own reproducible generator. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static float uni(float a, float b) { return a + (b - a) * (float)(rnd() >> 8) / 16777216.f; }

/* Inputs: uniform in [-1.2, 1.2] (past +-1 the u8 quantiser saturates),
 * every third an exact u8 rounding tie; with `special`, also the values
 * whose handling is easy to get wrong. */
static void fill_inputs(float *x, int n, int special)
{
    static const float specials[] = {INFINITY, -INFINITY, NAN, -0.f, 3e9f, -3e9f, 2147483520.f, 1e-40f, 256.f, -256.f};
    for (int i = 0; i < n; i++) {
        x[i] = uni(-1.2f, 1.2f);
        if (i % 3 == 1) x[i] = ((float)((int)(rnd() % 254) - 127) + 0.5f) / 127.f;
        if (special && i % 7 == 3) x[i] = specials[rnd() % (sizeof specials / sizeof specials[0])];
    }
}

static int same(const float *a, const float *b, int n) { return !memcmp(a, b, sizeof(float) * (size_t)n); }

typedef struct {
    df_linear l;
    int8_t *w;
    float *fw, *bias, *subias, *scale;
    int32_t *idx;
} layer;

/* A random layer: int8 or float weights, dense or 8x4 block-sparse (about
 * half the blocks kept, inputs in any order). */
static layer make_layer(int nin, int nout, int int8, int sparse, int full_range)
{
    layer L = {0};
    const int groups = (nout + 7) / 8, blocks_in = nin / 4;
    int nblocks = 0;
    L.idx = sparse ? malloc(sizeof(int32_t) * (size_t)(groups * (blocks_in + 1))) : NULL;
    if (sparse) {
        int32_t *p = L.idx;
        for (int g = 0; g < groups; g++) {
            int32_t *count = p++;
            *count = 0;
            for (int b = 0; b < blocks_in; b++)
                if (rnd() & 1) *p++ = (int32_t)(rnd() % (uint32_t)(nin - 3)), (*count)++, nblocks++; /* any offset */
        }
    } else {
        nblocks = groups * blocks_in;
    }
    const size_t nw = (size_t)nblocks * 32;
    L.bias = malloc(sizeof(float) * (size_t)nout);
    L.subias = malloc(sizeof(float) * (size_t)nout);
    L.scale = malloc(sizeof(float) * (size_t)nout);
    for (int i = 0; i < nout; i++) L.bias[i] = uni(-1, 1), L.subias[i] = uni(-2, 2), L.scale[i] = uni(1e-4f, 1e-2f);
    if (int8) {
        L.w = malloc(nw);
        /* x86's maddubs needs |w0 + w1| * 255 < 2^15 (the Opus weights keep it);
         * the NEON paths take any int8 weights */
        for (size_t i = 0; i < nw; i++) L.w[i] = full_range ? (int8_t)(rnd() & 0xff) : (int8_t)((int)(rnd() % 129) - 64);
    } else {
        const size_t n = sparse ? nw : (size_t)nin * (size_t)nout;
        L.fw = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) L.fw[i] = uni(-1, 1);
    }
    L.l.bias = int8 ? NULL : L.bias;
    L.l.subias = int8 ? L.subias : NULL;
    L.l.scale = int8 ? L.scale : NULL;
    L.l.weights = L.w;
    L.l.float_weights = L.fw;
    L.l.weights_idx = L.idx;
    L.l.nb_inputs = nin;
    L.l.nb_outputs = nout;
    return L;
}

static void free_layer(layer *L) { free(L->w), free(L->fw), free(L->bias), free(L->subias), free(L->scale), free(L->idx); }

static void check_layers(const df_kernels *s, const df_kernels *k, int special)
{
    static const int shapes[][2] = {{4, 8}, {16, 8}, {20, 16}, {64, 64}, {96, 40}, {288, 192}, {1000, 24}, {2048, 8}};
    static float x[DF_MAX_INPUTS], ya[1024], yb[1024];
    static uint8_t qa[DF_MAX_INPUTS], qb[DF_MAX_INPUTS];
    int n = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int int8 = 0; int8 < 2; int8++)
            for (int sparse = 0; sparse < 2; sparse++) {
                const int nin = shapes[si][0];
                /* dense float layers take any output count; the others are whole 8-row groups */
                const int nout = int8 || sparse ? shapes[si][1] : shapes[si][1] + (int)(si % 3);
                layer L = make_layer(nin, nout, int8, sparse, special);
                for (int t = 0; t < 4; t++) {
                    fill_inputs(x, nin, special && t >= 2);
                    if (!int8 && t >= 2) continue; /* float products of inf/NaN are NaN on every path */
                    s->linear(&L.l, ya, x);
                    k->linear(&L.l, yb, x);
                    CHECK(same(ya, yb, nout), "%s linear %s %s %dx%d trial %d", k->name, int8 ? "int8" : "float",
                          sparse ? "sparse" : "dense", nin, nout, t);
                    if (int8) {
                        s->quantize(qa, x, nin);
                        k->quantize(qb, x, nin);
                        CHECK(!memcmp(qa, qb, (size_t)nin), "%s quantize n=%d trial %d", k->name, nin, t);
                        s->linear_q(&L.l, ya, qa);
                        k->linear_q(&L.l, yb, qa);
                        CHECK(same(ya, yb, nout), "%s linear_q %dx%d", k->name, nin, nout);
                    }
                    n++;
                }
                free_layer(&L);
            }
    printf("  layers: %d products equal\n", n);
}

/* Inputs of the layout checks' trial t (0..5): three quantised from random
 * floats, then u8 all 255, all 0, and 0 / 255 at random (the extremes of
 * every 16-bit partial sum). */
static void layout_trial_inputs(const df_kernels *k, uint8_t *q, float *x, int nin, int t)
{
    if (t < 3) {
        fill_inputs(x, nin, 0);
        k->quantize(q, x, nin);
    } else {
        for (int i = 0; i < nin; i++) q[i] = t == 3 ? 255 : t == 4 ? 0 : (rnd() & 1) ? 255 : 0;
    }
}

/* One trial of a layout check: laid (the layer with its layout) gives the
 * bits of plain (the same layer without) on path k, and of scalar when
 * the weights keep within what the x86 paths model (with_scalar). */
static void compare_layout(const df_kernels *s, const df_kernels *k, const df_linear *plain, const df_linear *laid,
                           const uint8_t *q, int with_scalar, const char *what, int t)
{
    static float ya[2048], yb[2048], yc[2048];
    const int nout = plain->nb_outputs;
    k->linear_q(plain, yb, q);
    k->linear_q(laid, yc, q);
    CHECK(same(yb, yc, nout), "%s %s vs plain %dx%d trial %d", k->name, what, plain->nb_inputs, nout, t);
    if (with_scalar) {
        s->linear_q(plain, ya, q);
        CHECK(same(ya, yc, nout), "%s %s vs scalar %dx%d trial %d", k->name, what, plain->nb_inputs, nout, t);
    }
}

/* The layout's invariants: per group, every quad exactly once, each slot's
 * weights where its offsets say, and the blocks its class shares within the
 * 16-bit bound in all their lanes.  Returns the quad-blocks that share. */
static long check_layout(const df_pairs *p, const int8_t *w, int nin)
{
    const int32_t *idx = p->idx;
    const int8_t *lw = p->w;
    long shared = 0;
    static unsigned char seen[DF_MAX_INPUTS / 4];
    for (int g = 0; g < p->groups; g++) {
        const int32_t *count = idx;
        const int8_t *group = w + (size_t)g * 32 * nin;
        int slots = 0;
        for (int m = 0; m < DF_PAIRS_CLASSES; m++) slots += count[m];
        const int ns = count[DF_PAIRS_CLASSES];
        idx += DF_PAIRS_CLASSES + 1;
        memset(seen, 0, sizeof seen);
        CHECK(2 * slots + ns == nin / 4 && ns <= 1, "pairs: group %d holds %d quads of %d", g, 2 * slots + ns, nin / 4);
        for (int k = 0; k < 2 * slots + ns; k++) {
            const int off = idx[k];
            CHECK(off >= 0 && off % 4 == 0 && off < nin && !seen[off / 4], "pairs: bad or repeated offset %d", off);
            seen[off / 4] = 1;
        }
        static const int masks[DF_PAIRS_CLASSES] = DF_PAIRS_CLASS_MASKS;
        for (int c = 0; c < DF_PAIRS_CLASSES; c++)
            for (int k = 0; k < count[c]; k++, idx += 2, lw += 256)
                for (int b = 0; b < 4; b++) {
                    const int m = masks[c];
                    const int8_t *wa = lw + 64 * b, *wb = wa + 32;
                    CHECK(!memcmp(wa, group + (size_t)b * 8 * nin + idx[0] * 8, 32) &&
                          !memcmp(wb, group + (size_t)b * 8 * nin + idx[1] * 8, 32), "pairs: weights moved wrong");
                    if (!(m >> b & 1)) continue;
                    shared += 2;
                    for (int l = 0; l < 16; l++) {
                        int pos = 0, neg = 0;
                        for (int e = 0; e < 2; e++) {
                            const int v[2] = {wa[2 * l + e], wb[2 * l + e]};
                            for (int i = 0; i < 2; i++) pos += v[i] > 0 ? v[i] : 0, neg += v[i] < 0 ? -v[i] : 0;
                        }
                        CHECK(pos <= DF_PAIRS_MAX_LANE_SUM && neg <= DF_PAIRS_MAX_LANE_SUM, "pairs: lane over the bound");
                    }
                }
        for (int k = 0; k < ns; k++, idx++, lw += 128)
            for (int b = 0; b < 4; b++)
                CHECK(!memcmp(lw + 32 * b, group + (size_t)b * 8 * nin + idx[0] * 8, 32), "pairs: single moved wrong");
    }
    return shared;
}

/* AVX2 with the pair-sum layout: the same bits as scalar (weights within
 * +-64) and as AVX2's plain kernel (whole int8 range, inputs 0 and 255). */
static void check_pairs(const df_kernels *s, const df_kernels *k)
{
    static const int shapes[][2] = {{4, 32}, {96, 40}, {288, 192}, {160, 480}, {2048, 64}};
    static float x[DF_MAX_INPUTS];
    static uint8_t q[DF_MAX_INPUTS];
    long quads = 0, paired = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int range = 0; range < 4; range++) {
            const int nin = shapes[si][0], nout = shapes[si][1];
            layer L = make_layer(nin, nout, 1, 0, range >= 2);
            if (range == 0) /* small weights: nearly everything pairs */
                for (size_t i = 0; i < (size_t)nin * nout; i++) L.w[i] = (int8_t)(L.w[i] / 4);
            if (range == 3) /* mostly small, one in 8 anywhere in int8: slots that share in some blocks only,
                               beside lanes where maddubs saturates */
                for (size_t i = 0; i < (size_t)nin * nout; i++) L.w[i] = (int8_t)(i % 8 ? L.w[i] / 4 : L.w[i]);
            void *mem = aligned_alloc(64, df_pairs_bytes(nin, nout));
            const df_pairs *p = df_pairs_build(mem, L.w, nin, nout);
            CHECK(p && p->groups == nout / 32, "pairs: build %dx%d", nin, nout);
            const long got = check_layout(p, L.w, nin);
            if (range == 0) CHECK(got >= (long)p->groups * nin * 3 / 4 || nin == 4, "pairs: only %ld quad-blocks share", got);
            quads += (long)p->groups * nin, paired += got; /* quad-blocks: 4 per quad */
            for (int t = 0; t < 6; t++) {
                df_linear laid = L.l;
                laid.pairs = p;
                layout_trial_inputs(k, q, x, nin, t);
                compare_layout(s, k, &L.l, &laid, q, range < 2, "pairs", t);
            }
            free(mem);
            free_layer(&L);
        }
    printf("  int8 pair-sum layout: equal (%ld of %ld quad-blocks share a widening)\n", paired, quads);
}

/* AVX-512 with the interleaved layout: the same bits as scalar (weights
 * within +-64) and as its own plain kernel (whole int8 range, u8 0 / 255),
 * on shapes with and without input and row tails. */
static void check_x16(const df_kernels *s, const df_kernels *k)
{
    static const int shapes[][2] = {{16, 32}, {20, 40}, {328, 192}, {272, 480}, {2048, 64}, {36, 96}};
    static float x[DF_MAX_INPUTS];
    static uint8_t q[DF_MAX_INPUTS];
    int n = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int full = 0; full < 2; full++) {
            const int nin = shapes[si][0], nout = shapes[si][1];
            layer L = make_layer(nin, nout, 1, 0, full);
            void *mem = aligned_alloc(64, df_x16_bytes(nin, nout));
            const df_x16 *p = df_x16_build(mem, L.w, nin, nout);
            CHECK(p && p->nb_inputs == nin && p->nb_outputs == nout, "x16: build %dx%d", nin, nout);
            for (int t = 0; t < 6; t++) {
                df_linear laid = L.l;
                laid.x16 = p;
                layout_trial_inputs(k, q, x, nin, t);
                compare_layout(s, k, &L.l, &laid, q, !full, "x16", t);
                n++;
            }
            free(mem);
            free_layer(&L);
        }
    printf("  int8 interleaved layout: %d products equal\n", n);
}

static void check_activations(const df_kernels *s, const df_kernels *k, int special)
{
    float x[67], ya[67], yb[67];
    static const int acts[] = {DF_ACT_LINEAR, DF_ACT_SIGMOID, DF_ACT_TANH, DF_ACT_RELU};
    for (int len = 1; len <= 67; len++)
        for (int a = 0; a < 4; a++)
            for (int t = 0; t < 3; t++) {
                fill_inputs(x, len, special && t == 2);
                for (int i = 0; i < len; i++) x[i] *= t == 1 ? 9.f : 1.f; /* reach the clamps */
                s->activation(ya, x, len, acts[a]);
                k->activation(yb, x, len, acts[a]);
                CHECK(same(ya, yb, len), "%s activation %d n=%d trial %d", k->name, acts[a], len, t);
                /* in place */
                memcpy(yb, x, sizeof(float) * (size_t)len);
                k->activation(yb, yb, len, acts[a]);
                CHECK(same(ya, yb, len), "%s activation %d in place n=%d", k->name, acts[a], len);
            }
    printf("  activations: lengths 1..67, 4 kinds, equal\n");
}

static void check_sparse16_and_exp(const df_kernels *s, const df_kernels *k)
{
    enum { NIN = 384, GROUPS = 24 };
    static float w[GROUPS * NIN * 16], x[NIN], oa[GROUPS * 16], ob[GROUPS * 16];
    static int32_t idx[GROUPS * (NIN + 1)];
    for (int rep = 0; rep < 6; rep++) {
        int32_t *p = idx;
        int nw = 0;
        for (int g = 0; g < GROUPS; g++) {
            /* counts 0..NIN, all residues mod 4 */
            const int cnt = rep == 5 ? NIN : (int)(rnd() % 40) + g % 4;
            *p++ = cnt;
            for (int b = 0; b < cnt; b++) *p++ = (int32_t)(rnd() % NIN), nw += 16;
        }
        for (int i = 0; i < nw; i++) w[i] = uni(-1, 1);
        for (int i = 0; i < NIN; i++) x[i] = uni(-1, 1);
        for (int i = 0; i < GROUPS * 16; i++) oa[i] = ob[i] = uni(-1, 1);
        s->sparse16_accum(oa, GROUPS, w, idx, x);
        k->sparse16_accum(ob, GROUPS, w, idx, x);
        CHECK(same(oa, ob, GROUPS * 16), "%s sparse16_accum rep %d", k->name, rep);
    }
    for (int n = 1; n <= 260; n += n < 20 ? 1 : 37) {
        float in[260], ea[260], eb[260];
        for (int i = 0; i < n; i++) in[i] = uni(-40, 40);
        if (n > 3) in[2] = -1e30f; /* below exp's floor */
        s->scaled_exp(ea, in, 1.7f, n);
        k->scaled_exp(eb, in, 1.7f, n);
        CHECK(same(ea, eb, n), "%s scaled_exp n=%d", k->name, n);
    }
    printf("  sparse16_accum and scaled_exp: equal\n");
}

static void check_conv2d(const df_kernels *s, const df_kernels *k)
{
    static const int dims[][3] = {{1, 8, 5}, {8, 16, 61}, {3, 4, 3}, {2, 1, 64}}; /* in_ch, out_ch, height */
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        const int in_ch = dims[d][0], out_ch = dims[d][1], h = dims[d][2], row = h + 2;
        float *w = malloc(sizeof(float) * (size_t)(out_ch * in_ch * 9)), *b = malloc(sizeof(float) * (size_t)out_ch);
        float *f = malloc(sizeof(float) * (size_t)(3 * in_ch * row));
        float *oa = malloc(sizeof(float) * (size_t)(out_ch * (h + 3))), *ob = malloc(sizeof(float) * (size_t)(out_ch * (h + 3)));
        for (int i = 0; i < out_ch * in_ch * 9; i++) w[i] = uni(-1, 1);
        for (int i = 0; i < out_ch; i++) b[i] = uni(-1, 1);
        for (int i = 0; i < 3 * in_ch * row; i++) f[i] = uni(-2, 2);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const df_conv2d c = {with_bias ? b : NULL, w, in_ch, out_ch, 3, 3};
            memset(oa, 0, sizeof(float) * (size_t)(out_ch * (h + 3)));
            memset(ob, 0, sizeof(float) * (size_t)(out_ch * (h + 3)));
            CHECK(df_compute_conv2d_3x3(s, &c, oa, f, f + in_ch * row, f + 2 * in_ch * row, h, h + 3, DF_ACT_TANH) == 0, "conv");
            CHECK(df_compute_conv2d_3x3(k, &c, ob, f, f + in_ch * row, f + 2 * in_ch * row, h, h + 3, DF_ACT_TANH) == 0, "conv");
            CHECK(same(oa, ob, out_ch * (h + 3)), "%s conv2d 3x3 %dx%d h=%d bias=%d", k->name, in_ch, out_ch, h, with_bias);
        }
        free(w), free(b), free(f), free(oa), free(ob);
    }
    printf("  conv2d 3x3: equal\n");
}

/* linear_side (a kernel that has it): the main product and the side layer's
 * outputs the same bits as scalar's linear() of each, for main layers with
 * and without the x86 layouts (and with rows beyond them), side layers of
 * 1-16 outputs (more than 8: AVX2 runs the two in turn) with more, as many
 * and fewer inputs than the main has groups. */
static void check_side(const df_kernels *s, const df_kernels *k)
{
    static const int mains[][2] = {{160, 480}, {128, 384}, {96, 40}, {64, 8}};
    static const int sides[][2] = {{192, 4}, {80, 1}, {7, 8}, {33, 5}, {40, 16}};
    static float x[DF_MAX_INPUTS], xs[DF_MAX_INPUTS], ya[1024], yb[1024], sa[16], sb[16];
    int n = 0;
    if (!k->linear_side) return;
    for (size_t mi = 0; mi < sizeof mains / sizeof mains[0]; mi++)
        for (size_t si = 0; si < sizeof sides / sizeof sides[0]; si++)
            for (int laid = 0; laid < 2; laid++) {
                const int nin = mains[mi][0], nout = mains[mi][1];
                layer M = make_layer(nin, nout, 1, 0, 0), S = make_layer(sides[si][0], sides[si][1], 0, 0, 0);
                /* both x86 layouts (each kernel reads its own) */
                void *mem = laid ? aligned_alloc(64, df_pairs_bytes(nin, nout) + 64) : NULL;
                void *mem16 = laid ? aligned_alloc(64, df_x16_bytes(nin, nout) + 64) : NULL;
                df_linear main = M.l;
                if (laid) main.pairs = df_pairs_build(mem, M.w, nin, nout), main.x16 = df_x16_build(mem16, M.w, nin, nout);
                for (int t = 0; t < 3; t++) {
                    const df_side_dense side = {&S.l, xs, sb};
                    fill_inputs(x, nin, 0);
                    fill_inputs(xs, sides[si][0], 0);
                    s->linear(&M.l, ya, x);
                    s->linear(&S.l, sa, xs);
                    memset(yb, 0xff, sizeof yb), memset(sb, 0xff, sizeof sb);
                    k->linear_side(&main, yb, x, &side);
                    CHECK(same(ya, yb, nout), "%s linear_side main %dx%d%s", k->name, nin, nout, laid ? " laid" : "");
                    CHECK(same(sa, sb, sides[si][1]), "%s linear_side side %dx%d beside %dx%d", k->name,
                          sides[si][0], sides[si][1], nin, nout);
                    n++;
                }
                free(mem), free(mem16);
                free_layer(&M), free_layer(&S);
            }
    printf("  linear_side: %d main + side products equal\n", n);
}

int main(void)
{
    const df_kernels *s = df_kernels_get(DF_ISA_SCALAR);
    int paths = 0;
    for (int isa = 1; isa < DF_ISA_COUNT; isa++) {
        if (!df_isa_supported((df_isa)isa)) continue;
        const df_kernels *k = df_kernels_get((df_isa)isa);
        const int special = isa == DF_ISA_NEON || isa == DF_ISA_NEON_DOTPROD;
        printf("%s vs scalar%s\n", k->name, special ? " (with saturating, infinite, NaN and -0 inputs)" : "");
        check_layers(s, k, special);
        check_activations(s, k, special);
        check_sparse16_and_exp(s, k);
        check_conv2d(s, k);
        check_side(s, k);
        if (isa == DF_ISA_AVX2) check_pairs(s, k);
        if (isa == DF_ISA_AVX512) check_x16(s, k);
        paths++;
    }
    printf("%d path(s) checked against scalar\nall passed\n", paths);
    return 0;
}
