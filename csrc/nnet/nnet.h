/* Generic neural-network layers for the Opus-style models.
 *
 * One layer type (df_linear) covers every matrix in the Opus 1.6 weight
 * blobs: float or int8 weights, dense or 8x4 block-sparse.  Models are short
 * chains of the compute_* calls below; the arithmetic kernels behind them are
 * picked at run time (scalar, AVX2/FMA, AVX-512 VNNI, NEON, NEON + SDOT)
 * through df_kernels.
 *
 * Numerics follow libopus's x86 kernels so results can be compared with the
 * reference vectors bit for bit where the maths allows:
 *  - int8 layers quantise their input to unsigned 8 bits as
 *    u = round_to_nearest_even(fma(x, 127, 127)) clamped to [0, 255], take
 *    the exact integer dot product with the int8 weights, then
 *    y = (float)acc * scale + subias;
 *  - float layers accumulate, per output, one FMA per input in input order;
 *  - tanh/sigmoid use libopus's rational approximation, dividing through the
 *    12-bit reciprocal estimate of Intel's rcpps, modelled in software
 *    (rcp.h): the hardware estimate differs between CPU vendors, so this is
 *    what makes results identical on every CPU and path, and equal to the
 *    reference vectors (made on Intel).
 * With these, the scalar, AVX2, AVX-512 and NEON paths give the same bits.
 */
#ifndef DREDFAST_NNET_H
#define DREDFAST_NNET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest input of any layer we run (kernels keep their quantised input on
 * the stack; the binder rejects layers that do not fit). */
#define DF_MAX_INPUTS 2048
/* Largest GRU (units) and conv1d input kept on the stack. */
#define DF_MAX_RNN_UNITS 512
#define DF_MAX_CONV_INPUTS 2048

enum {
    DF_ACT_LINEAR = 0,
    DF_ACT_SIGMOID = 1,
    DF_ACT_TANH = 2,
    DF_ACT_RELU = 3
};

typedef struct {
    const float *bias;          /* nb_outputs, may be NULL */
    const float *subias;        /* nb_outputs, int8 layers only */
    const int8_t *weights;      /* int8 8x4 blocks, or NULL */
    const float *float_weights; /* float, element (i, j) at j*nb_outputs + i, or NULL */
    const int32_t *weights_idx; /* 8x4 block-sparse index, or NULL (dense) */
    const float *scale;         /* nb_outputs, int8 layers only */
    int nb_inputs;
    int nb_outputs;
    /* The same int8 weights laid out for AVX2's 16-bit pair sums (pairs.h),
     * or NULL; only the AVX2 kernel reads it, and its results are the same. */
    const struct df_pairs *pairs;
    /* The same int8 weights in the AVX-512 kernel's reading order (x16.h),
     * or NULL; only that kernel reads it. */
    const struct df_x16 *x16;
} df_linear;

/* A small float layer (at most 8 outputs) computed beside a large product:
 * out = its W in + b, exactly as linear() gives it.  Its outputs are each one
 * chain of FMAs, bound by their latency, not by throughput; a kernel that
 * interleaves the chain with an independent int8 product hides it there.
 * out must not overlap the main product's input or output. */
typedef struct {
    const df_linear *layer;
    const float *in;
    float *out;
} df_side_dense;

typedef enum {
    DF_ISA_SCALAR = 0,
    DF_ISA_AVX2 = 1,   /* AVX2 + FMA (what libopus uses at most) */
    DF_ISA_AVX512 = 2, /* AVX-512 F/BW/VL + VNNI */
    DF_ISA_NEON = 3,   /* AArch64 Advanced SIMD (every AArch64 CPU) */
    DF_ISA_NEON_DOTPROD = 4, /* the same plus SDOT (Armv8.2 dot product) for int8 layers */
    DF_ISA_COUNT = 5
} df_isa;

/* The arithmetic a model needs from a CPU path.  Tables are const and
 * static: there is no mutable global state. */
typedef struct {
    df_isa isa;
    const char *name;
    /* out = W in + b (no activation); out and in must not overlap. */
    void (*linear)(const df_linear *layer, float *out, const float *in);
    /* Same for an int8 layer whose input was already quantised with
     * quantize(): lets a model quantise each activation once, however many
     * layers read it. */
    void (*linear_q)(const df_linear *layer, float *out, const uint8_t *in_q);
    /* u8 input of the int8 layers: round(127 x) + 127, saturated. */
    void (*quantize)(uint8_t *out, const float *in, int n);
    /* out[i] = act(in[i]); out may equal in. */
    void (*activation)(float *out, const float *in, int n, int activation);
    /* 16x1 block-sparse float product, accumulated into out (LPCNet's
     * GRU-A recurrent matrix; a dense matrix is the case of every input
     * listed).  For each of nb_groups groups of 16 outputs, idx holds a count
     * n then n input indices; each listed input j takes the next 16 floats of
     * w (outputs 16g..16g+15 times x[j]).  Indices are trusted: check them
     * when binding.  Order, identical in every path so all paths give the
     * same bits: block b of a group goes to partial sum b mod 4 (each a chain
     * of FMAs from 0, in block order), and out += (p0 + p1) + (p2 + p3).
     * Four partial sums keep the FMA latency off the critical path. */
    void (*sparse16_accum)(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x);
    /* out[i] = exp(scale * in[i] - max_j scale * in[j]), n > 0 (LPCNet's
     * sampler).  exp by range reduction to 2^n e^g, |g| <= ln2 / 2, and a
     * degree-7 Taylor polynomial (relative error < 2e-7); arguments below
     * -87 give e^-87.  Every path runs the same sequence of separate IEEE
     * multiplies and adds per element (no FMA), so all give the same bits. */
    void (*scaled_exp)(float *out, const float *in, float scale, int n);
    /* linear(layer, out, in) and, independently, linear() of the side layer
     * (df_side_dense), with the same bits as calling the two in turn.  NULL
     * in a table: df_linear_side() calls them in turn. */
    void (*linear_side)(const df_linear *layer, float *out, const float *in, const df_side_dense *side);
} df_kernels;

/* Best path this CPU and build support. */
df_isa df_isa_best(void);
/* Non-zero if the path can run here. */
int df_isa_supported(df_isa isa);
/* Kernel table of a path, or NULL if it cannot run on this CPU. */
const df_kernels *df_kernels_get(df_isa isa);

/* Layer chains (nnet.c), all with the kernels given. */
void df_compute_dense(const df_kernels *k, const df_linear *layer, float *out,
                      const float *in, int activation);
/* Dense layer reading an input available both as floats and quantised
 * (in_q may be NULL); int8 layers use in_q, float layers in. */
void df_compute_dense_xq(const df_kernels *k, const df_linear *layer, float *out, const float *in,
                         const uint8_t *in_q, int activation);
/* GRU with reset gate applied after the recurrent matrix (z, r, h order). */
void df_compute_gru(const df_kernels *k, const df_linear *input_weights,
                    const df_linear *recurrent_weights, float *state, const float *in);
/* Same with the input also given quantised (in_q may be NULL). */
void df_compute_gru_xq(const df_kernels *k, const df_linear *input_weights,
                       const df_linear *recurrent_weights, float *state, const float *in,
                       const uint8_t *in_q);
/* The same GRU in two steps, so that work which the input depends on can
 * run beside the recurrent product: recur (3 x units) = the recurrent
 * weights times state (df_linear_side, with a side layer beside it), then
 * df_gru_finish.  df_compute_gru_xq is the two in turn. */
void df_gru_finish(const df_kernels *k, const df_linear *input_weights, float *state, const float *in,
                   const uint8_t *in_q, const float *recur);
/* The rest of df_gru_finish, from the input product already made (3 x n:
 * z, r, h rows of the input weights times the input): for an input that
 * repeats, its product can be kept. */
void df_gru_combine(const df_kernels *k, float *state, const float *in_product, const float *recur, int n);
/* linear(layer, out, in) with side computed beside it (see df_kernels). */
void df_linear_side(const df_kernels *k, const df_linear *layer, float *out, const float *in,
                    const df_side_dense *side);
/* out = in * sigmoid(W in + b); out may equal in. */
void df_compute_glu(const df_kernels *k, const df_linear *layer, float *out, const float *in);
/* Embedding lookup: out = row `index` of a (count x dim) float table.
 * Returns -1 (and leaves out untouched) for an index outside the table. */
int df_compute_embedding(const float *table, int count, int dim, int index, float *out);
/* Causal conv1d: the layer's input is the (kernel-1) previous input frames
 * kept in mem (oldest first) followed by the current input_size values. */
void df_compute_conv1d(const df_kernels *k, const df_linear *layer, float *out, float *mem,
                       const float *in, int input_size, int activation);

/* Causal conv1d of kernel 2 whose previous input frame the caller keeps:
 * the layer sees prev[0..n) then in[0..n).  prev_q / in_q are the same
 * inputs quantised (both NULL for none); int8 layers use them, so an
 * activation buffer read by several layers is quantised once.  prev is not
 * updated (the caller's buffer already holds the next frame's). */
void df_compute_conv2_xq(const df_kernels *k, const df_linear *layer, float *out, const float *prev,
                         const uint8_t *prev_q, const float *in, const uint8_t *in_q, int n, int activation);

/* Causal conv1d of kernel 2 with dilation d: the layer sees the input from
 * d frames ago followed by the current one; mem keeps the last d inputs
 * (d * input_size values, oldest first). */
void df_compute_conv1d_dilated(const df_kernels *k, const df_linear *layer, float *out, float *mem,
                               const float *in, int input_size, int dilation, int activation);

#ifdef __cplusplus
}
#endif

#endif
