/* AArch64 NEON kernels (Advanced SIMD is part of every AArch64 CPU, so no
 * target pragma or run-time check is needed for this file).
 *
 * Every function does, lane by lane, the operations of the portable
 * kernels (kernels_scalar.c) in the same order -- fused multiply-adds
 * where they fuse, separate roundings where they do not, the same software
 * model of Intel's rcpps in tanh/sigmoid -- so the outputs are the scalar
 * path's bits, and so libopus's x86 AVX2 build's.  (libopus's own ARM
 * kernels quantise int8 inputs differently and are not bit-exact with its
 * x86 build; here exactness wins.)  Compiled to nothing elsewhere. */
#include "kernels.h"

#ifdef DF_HAVE_NEON

#include <arm_neon.h>
#include <string.h>

#include "kernels_neon.h"
#include "rcp.h"

/* ---- int8 layers, plain NEON -------------------------------------------
 * The inputs are unsigned (u = 0..255) and the weights signed, and NEON has
 * no mixed-sign 8-bit multiply before the I8MM extension.  So the weights
 * are made unsigned on the fly, w + 128 (w ^ 0x80), and u8 x u8 products
 * (< 2^16, exact in 16 bits) are summed pairwise into 32-bit lanes; the
 * extra 128 u per product is taken off at the end:
 *   sum_j w_j u_j = sum_j (w_j + 128) u_j - 128 sum_j u_j.
 * Each 32-bit lane stays below 2^32 for any layer we bind (2048 inputs:
 * 2048 * 255 * 255 < 2^28), and the true result fits int32, so the modular
 * arithmetic gives it exactly: the scalar path's sums.  This takes half
 * the multiply instructions of widening both operands to 16 bits (and
 * about 10 % fewer instructions in all, counted under qemu); the cores that
 * run this path lack SDOT (e.g. Cortex-A53/A72, Raspberry Pi 3/4). */

/* The 4 inputs of a block in every 32-bit lane. */
static inline uint8x16_t x4_u8(const uint8_t *x)
{
    uint32_t v;
    memcpy(&v, x, 4);
    return vreinterpretq_u8_u32(vdupq_n_u32(v));
}

/* One 8x4 block (32 weights, row-major: row r's 4 weights at 4 r).  a[0]
 * collects [row 0 inputs 0+1, row 0 inputs 2+3, row 1 ..., row 1 ...],
 * a[1] rows 2-3, a[2] rows 4-5, a[3] rows 6-7. */
static inline void block_u8(uint32x4_t a[4], const int8_t *w, uint8x16_t x)
{
    const uint8x16_t flip = vdupq_n_u8(0x80);
    const uint8x16_t w03 = veorq_u8(vreinterpretq_u8_s8(vld1q_s8(w)), flip);
    const uint8x16_t w47 = veorq_u8(vreinterpretq_u8_s8(vld1q_s8(w + 16)), flip);
    a[0] = vpadalq_u16(a[0], vmull_u8(vget_low_u8(w03), vget_low_u8(x)));
    a[1] = vpadalq_u16(a[1], vmull_high_u8(w03, x));
    a[2] = vpadalq_u16(a[2], vmull_u8(vget_low_u8(w47), vget_low_u8(x)));
    a[3] = vpadalq_u16(a[3], vmull_high_u8(w47, x));
}

/* Row sums minus 128 * (sum of the inputs the rows saw; every lane of
 * xsum holds it), then the scaled outputs. */
static inline void finish_u8(float *out, const uint32x4_t a[4], uint32x4_t xsum, const float *scale,
                             const float *subias)
{
    const int32x4_t corr = vreinterpretq_s32_u32(vshlq_n_u32(xsum, 7));
    const int32x4_t lo = vsubq_s32(vreinterpretq_s32_u32(vpaddq_u32(a[0], a[1])), corr);
    const int32x4_t hi = vsubq_s32(vreinterpretq_s32_u32(vpaddq_u32(a[2], a[3])), corr);
    df_neon_store_scaled(out, lo, hi, scale, subias);
}

static uint32_t sum_u8(const uint8_t *x, int n)
{
    uint32_t s = 0;
    int i;
    for (i = 0; i < n; i++) s += x[i];
    return s;
}

static void int8_dense(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    /* Every row of a dense layer sees every input: one correction. */
    const uint32x4_t xsum = vdupq_n_u32(sum_u8(x, l->nb_inputs));
    int i, j, r;
    for (i = 0; i < l->nb_outputs; i += 8) {
        uint32x4_t a[4];
        for (r = 0; r < 4; r++) a[r] = vdupq_n_u32(0);
        for (j = 0; j < l->nb_inputs; j += 4, w += 32)
            block_u8(a, w, x4_u8(x + j));
        finish_u8(out + i, a, xsum, l->scale + i, l->subias + i);
    }
}

static void int8_sparse(const df_linear *l, float *out, const uint8_t *x)
{
    const int8_t *w = l->weights;
    const int32_t *idx = l->weights_idx;
    int i, b, r;
    for (i = 0; i < l->nb_outputs; i += 8) {
        uint32x4_t a[4], xsum = vdupq_n_u32(0);
        const int nblocks = *idx++;
        for (r = 0; r < 4; r++) a[r] = vdupq_n_u32(0);
        for (b = 0; b < nblocks; b++, w += 32) {
            const uint8x16_t xv = x4_u8(x + *idx++);
            /* each 32-bit lane of xsum gets the block's 4 inputs */
            xsum = vpadalq_u16(xsum, vpaddlq_u8(xv));
            block_u8(a, w, xv);
        }
        finish_u8(out + i, a, xsum, l->scale + i, l->subias + i);
    }
}

static void linear_q_neon(const df_linear *l, float *out, const uint8_t *x)
{
    if (l->weights_idx)
        int8_sparse(l, out, x);
    else
        int8_dense(l, out, x);
}

/* u8 input of the int8 layers, as the scalar quantize_u8: fma(x, 127, 127)
 * rounded to nearest even (vcvtnq), saturated to [0, 255]; NaN gives 0 (as
 * vcvtnq does) and so does anything >= 2^31, which vcvtnq would saturate to
 * INT32_MAX but x86's conversion (and so the scalar model) turns into 0. */
static inline uint8x8_t quantize8(float32x4_t lo, float32x4_t hi)
{
    const float32x4_t k = vdupq_n_f32(127.f), lim = vdupq_n_f32(2147483648.f);
    const float32x4_t fl = vfmaq_f32(k, lo, k), fh = vfmaq_f32(k, hi, k);
    const int32x4_t il = vandq_s32(vcvtnq_s32_f32(fl), vreinterpretq_s32_u32(vcltq_f32(fl, lim)));
    const int32x4_t ih = vandq_s32(vcvtnq_s32_f32(fh), vreinterpretq_s32_u32(vcltq_f32(fh, lim)));
    return vqmovn_u16(vcombine_u16(vqmovun_s32(il), vqmovun_s32(ih)));
}

void df_neon_quantize_u8(uint8_t *x, const float *in, int n)
{
    int i;
    for (i = 0; i + 8 <= n; i += 8)
        vst1_u8(x + i, quantize8(vld1q_f32(in + i), vld1q_f32(in + i + 4)));
    if (i < n) {
        /* The tail through the same lanes, from a zero-padded copy. */
        float buf[8] = {0};
        uint8_t q[8];
        memcpy(buf, in + i, (size_t)(n - i) * sizeof(float));
        vst1_u8(q, quantize8(vld1q_f32(buf), vld1q_f32(buf + 4)));
        memcpy(x + i, q, (size_t)(n - i));
    }
}

/* ---- float layers -------------------------------------------------------- */

/* Column-major weights (element (i, j) at j n + i): per output, one fused
 * multiply-add per input in input order from +0, as the scalar loop. */
static void float_dense(const df_linear *l, float *out, const float *x)
{
    const int n = l->nb_outputs;
    int i = 0, j;
    for (; i + 16 <= n; i += 16) {
        float32x4_t y0 = vdupq_n_f32(0.f), y1 = y0, y2 = y0, y3 = y0;
        const float *w = l->float_weights + i;
        for (j = 0; j < l->nb_inputs; j++, w += n) {
            const float32x4_t xj = vdupq_n_f32(x[j]);
            y0 = vfmaq_f32(y0, vld1q_f32(w), xj);
            y1 = vfmaq_f32(y1, vld1q_f32(w + 4), xj);
            y2 = vfmaq_f32(y2, vld1q_f32(w + 8), xj);
            y3 = vfmaq_f32(y3, vld1q_f32(w + 12), xj);
        }
        vst1q_f32(out + i, y0);
        vst1q_f32(out + i + 4, y1);
        vst1q_f32(out + i + 8, y2);
        vst1q_f32(out + i + 12, y3);
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t y = vdupq_n_f32(0.f);
        const float *w = l->float_weights + i;
        for (j = 0; j < l->nb_inputs; j++, w += n)
            y = vfmaq_f32(y, vld1q_f32(w), vdupq_n_f32(x[j]));
        vst1q_f32(out + i, y);
    }
    for (; i < n; i++) {
        float32x4_t y = vdupq_n_f32(0.f);
        for (j = 0; j < l->nb_inputs; j++)
            y = vfmaq_f32(y, vdupq_n_f32(l->float_weights[(size_t)j * (size_t)n + (size_t)i]), vdupq_n_f32(x[j]));
        out[i] = vgetq_lane_f32(y, 0);
    }
}

/* 8x4 float blocks stored input-major (4 runs of 8 outputs): per block the
 * four inputs' fused products in input order, as the scalar loop. */
static void float_sparse(const df_linear *l, float *out, const float *x)
{
    const float *w = l->float_weights;
    const int32_t *idx = l->weights_idx;
    int i, b;
    for (i = 0; i < l->nb_outputs; i += 8) {
        float32x4_t lo = vdupq_n_f32(0.f), hi = lo;
        const int nblocks = *idx++;
        for (b = 0; b < nblocks; b++, w += 32) {
            const float32x4_t xj = vld1q_f32(x + *idx++);
            lo = vfmaq_laneq_f32(lo, vld1q_f32(w), xj, 0);
            hi = vfmaq_laneq_f32(hi, vld1q_f32(w + 4), xj, 0);
            lo = vfmaq_laneq_f32(lo, vld1q_f32(w + 8), xj, 1);
            hi = vfmaq_laneq_f32(hi, vld1q_f32(w + 12), xj, 1);
            lo = vfmaq_laneq_f32(lo, vld1q_f32(w + 16), xj, 2);
            hi = vfmaq_laneq_f32(hi, vld1q_f32(w + 20), xj, 2);
            lo = vfmaq_laneq_f32(lo, vld1q_f32(w + 24), xj, 3);
            hi = vfmaq_laneq_f32(hi, vld1q_f32(w + 28), xj, 3);
        }
        vst1q_f32(out + i, lo);
        vst1q_f32(out + i + 4, hi);
    }
}

static void add_bias(float *out, const float *bias, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(out + i, vaddq_f32(vld1q_f32(out + i), vld1q_f32(bias + i)));
    for (; i < n; i++)
        out[i] += bias[i];
}

void df_neon_linear_float(const df_linear *l, float *out, const float *in)
{
    if (l->float_weights) {
        if (l->weights_idx)
            float_sparse(l, out, in);
        else
            float_dense(l, out, in);
    } else {
        memset(out, 0, (size_t)l->nb_outputs * sizeof(float));
    }
    if (l->bias) add_bias(out, l->bias, l->nb_outputs);
}

static void linear_neon(const df_linear *l, float *out, const float *in)
{
    if (l->weights && !l->float_weights) {
        uint8_t x[DF_MAX_INPUTS];
        df_neon_quantize_u8(x, in, l->nb_inputs);
        linear_q_neon(l, out, x);
    } else {
        df_neon_linear_float(l, out, in);
    }
}

/* ---- activations --------------------------------------------------------- */

/* Intel's rcpps estimate (method and proof in rcp.h), four lanes; the
 * division is IEEE, so every lane equals df_rcp_intel. */
static inline float32x4_t rcp4(float32x4_t d)
{
    const uint32x4_t b = vreinterpretq_u32_f32(d);
    const uint32x4_t mid = vorrq_u32(vandq_u32(b, vdupq_n_u32(0xfffff000u)), vdupq_n_u32(DF_RCP_BELOW_MID));
    uint32x4_t r = vreinterpretq_u32_f32(vdivq_f32(vdupq_n_f32(1.f), vreinterpretq_f32_u32(mid)));
    r = vaddq_u32(r, vdupq_n_u32(DF_RCP_HALF_DOWN));
    r = vbicq_u32(r, vdupq_n_u32(DF_RCP_DROP));
    return vreinterpretq_f32_u32(r);
}

/* The clamps use the IEEE minNum/maxNum forms, which return the number when
 * the other operand is NaN, as C's fminf/fmaxf in the scalar path. */
static inline float32x4_t tanh4(float32x4_t x)
{
    const float32x4_t x2 = vmulq_f32(x, x);
    const float32x4_t num = vfmaq_f32(vdupq_n_f32(DF_TANH_N0),
                                      vfmaq_f32(vdupq_n_f32(DF_TANH_N1), vdupq_n_f32(DF_TANH_N2), x2), x2);
    const float32x4_t den = vfmaq_f32(vdupq_n_f32(DF_TANH_D0),
                                      vfmaq_f32(vdupq_n_f32(DF_TANH_D1), vdupq_n_f32(DF_TANH_D2), x2), x2);
    const float32x4_t y = vmulq_f32(vmulq_f32(num, x), rcp4(den));
    return vmaxnmq_f32(vdupq_n_f32(-1.f), vminnmq_f32(vdupq_n_f32(1.f), y));
}

static inline float32x4_t sigmoid4(float32x4_t x)
{
    const float32x4_t x2 = vmulq_f32(x, x);
    const float32x4_t num = vfmaq_f32(vdupq_n_f32(DF_SIGM_N0),
                                      vfmaq_f32(vdupq_n_f32(DF_SIGM_N1), vdupq_n_f32(DF_SIGM_N2), x2), x2);
    const float32x4_t den = vfmaq_f32(vdupq_n_f32(DF_SIGM_D0),
                                      vfmaq_f32(vdupq_n_f32(DF_SIGM_D1), vdupq_n_f32(DF_SIGM_D2), x2), x2);
    const float32x4_t y = vfmaq_f32(vdupq_n_f32(0.5f), vmulq_f32(num, x), rcp4(den));
    return vmaxnmq_f32(vdupq_n_f32(0.f), vminnmq_f32(vdupq_n_f32(1.f), y));
}

/* ReLU as the scalar `x < 0 ? 0 : x` (a select, not vmaxq: FMAX turns -0
 * into +0 and the scalar path keeps -0). */
static inline float32x4_t relu4(float32x4_t x)
{
    return vbslq_f32(vcltq_f32(x, vdupq_n_f32(0.f)), vdupq_n_f32(0.f), x);
}

static inline float32x4_t act4(float32x4_t x, int act)
{
    return act == DF_ACT_TANH ? tanh4(x) : act == DF_ACT_SIGMOID ? sigmoid4(x) : relu4(x);
}

void df_neon_activation(float *out, const float *in, int n, int act)
{
    int i = 0;
    if (act != DF_ACT_TANH && act != DF_ACT_SIGMOID && act != DF_ACT_RELU) {
        if (out != in) memmove(out, in, (size_t)n * sizeof(float));
        return;
    }
    /* One loop per activation so each is branch-free. */
    if (act == DF_ACT_TANH)
        for (; i + 4 <= n; i += 4) vst1q_f32(out + i, tanh4(vld1q_f32(in + i)));
    else if (act == DF_ACT_SIGMOID)
        for (; i + 4 <= n; i += 4) vst1q_f32(out + i, sigmoid4(vld1q_f32(in + i)));
    else
        for (; i + 4 <= n; i += 4) vst1q_f32(out + i, relu4(vld1q_f32(in + i)));
    if (i < n) {
        /* Tail through the same lanes from a zero-padded copy. */
        float buf[4] = {0, 0, 0, 0};
        memcpy(buf, in + i, (size_t)(n - i) * sizeof(float));
        vst1q_f32(buf, act4(vld1q_f32(buf), act));
        memcpy(out + i, buf, (size_t)(n - i) * sizeof(float));
    }
}

/* ---- LPCNet's 16x1 block-sparse product and sampler ----------------------- */

/* The scalar definition's four partial sums (block b goes to b mod 4) are
 * 4 x 4 registers; four blocks are in flight per step. */
void df_neon_sparse16_accum(float *out, int nb_groups, const float *w, const int32_t *idx, const float *x)
{
    int g, b, r;
    for (g = 0; g < nb_groups; g++, out += 16) {
        float32x4_t p[4][4];
        const int n = *idx++;
        for (b = 0; b < 4; b++)
            for (r = 0; r < 4; r++) p[b][r] = vdupq_n_f32(0.f);
        for (b = 0; b + 4 <= n; b += 4, idx += 4, w += 64) {
            const float32x4_t x0 = vdupq_n_f32(x[idx[0]]), x1 = vdupq_n_f32(x[idx[1]]);
            const float32x4_t x2 = vdupq_n_f32(x[idx[2]]), x3 = vdupq_n_f32(x[idx[3]]);
            for (r = 0; r < 4; r++) {
                p[0][r] = vfmaq_f32(p[0][r], vld1q_f32(w + 4 * r), x0);
                p[1][r] = vfmaq_f32(p[1][r], vld1q_f32(w + 16 + 4 * r), x1);
                p[2][r] = vfmaq_f32(p[2][r], vld1q_f32(w + 32 + 4 * r), x2);
                p[3][r] = vfmaq_f32(p[3][r], vld1q_f32(w + 48 + 4 * r), x3);
            }
        }
        /* The remainder continues the b mod 4 pattern: 0, 1, 2. */
        for (; b < n; b++, w += 16) {
            const float32x4_t xj = vdupq_n_f32(x[*idx++]);
            for (r = 0; r < 4; r++) p[b & 3][r] = vfmaq_f32(p[b & 3][r], vld1q_f32(w + 4 * r), xj);
        }
        for (r = 0; r < 4; r++) {
            const float32x4_t s = vaddq_f32(vaddq_f32(p[0][r], p[1][r]), vaddq_f32(p[2][r], p[3][r]));
            vst1q_f32(out + 4 * r, vaddq_f32(vld1q_f32(out + 4 * r), s));
        }
    }
}

/* exp by range reduction, the scalar exp_reduced's separate multiplies and
 * adds lane by lane (no FMA), so the same bits. */
static inline float32x4_t exp4_reduced(float32x4_t x)
{
    const float32x4_t shifter = vdupq_n_f32(DF_EXP_SHIFTER);
    float32x4_t y, n, g, p;
    int32x4_t bits;
    x = vmaxq_f32(x, vdupq_n_f32(DF_EXP_MIN));
    y = vmulq_f32(x, vdupq_n_f32(DF_EXP_LOG2E));
    n = vsubq_f32(vaddq_f32(y, shifter), shifter);
    g = vmulq_f32(vsubq_f32(y, n), vdupq_n_f32(DF_EXP_LN2));
    p = vaddq_f32(vmulq_f32(vdupq_n_f32(DF_EXP_C7), g), vdupq_n_f32(DF_EXP_C6));
    p = vaddq_f32(vmulq_f32(p, g), vdupq_n_f32(DF_EXP_C5));
    p = vaddq_f32(vmulq_f32(p, g), vdupq_n_f32(DF_EXP_C4));
    p = vaddq_f32(vmulq_f32(p, g), vdupq_n_f32(DF_EXP_C3));
    p = vaddq_f32(vmulq_f32(p, g), vdupq_n_f32(.5f));
    p = vaddq_f32(vmulq_f32(p, g), vdupq_n_f32(1.f));
    p = vaddq_f32(vmulq_f32(p, g), vdupq_n_f32(1.f));
    bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(bits));
}

void df_neon_scaled_exp(float *out, const float *in, float scale, int n)
{
    const float32x4_t s = vdupq_n_f32(scale);
    float32x4_t vm = vdupq_n_f32(in[0] * scale);
    float m;
    int i = 0, j;
    /* The maximum is exact in any order (as in the AVX2 path). */
    for (; i + 4 <= n; i += 4)
        vm = vmaxq_f32(vm, vmulq_f32(vld1q_f32(in + i), s));
    m = vmaxvq_f32(vm);
    for (j = i; j < n; j++) m = in[j] * scale > m ? in[j] * scale : m;
    vm = vdupq_n_f32(m);
    for (i = 0; i + 4 <= n; i += 4)
        vst1q_f32(out + i, exp4_reduced(vsubq_f32(vmulq_f32(vld1q_f32(in + i), s), vm)));
    if (i < n) {
        float tmp[4] = {0, 0, 0, 0};
        for (j = i; j < n; j++) tmp[j - i] = in[j] * scale - m;
        vst1q_f32(tmp, exp4_reduced(vld1q_f32(tmp)));
        memcpy(out + i, tmp, (size_t)(n - i) * sizeof(float));
    }
}

const df_kernels df_kernels_neon = {DF_ISA_NEON, "neon", linear_neon, linear_q_neon, df_neon_quantize_u8,
                                    df_neon_activation, df_neon_sparse16_accum, df_neon_scaled_exp, NULL};

#endif /* DF_HAVE_NEON */
