/* AArch64 int8 layers with SDOT (FEAT_DotProd: Armv8.2 and later, e.g.
 * Cortex-A55/A76, Neoverse, Apple M1); everything else is the plain NEON
 * path's code.  Compiled for dotprod through a target pragma, only called
 * after cpu.c has seen HWCAP_ASIMDDP.
 *
 * SDOT multiplies signed bytes by signed bytes, but the layers' inputs are
 * unsigned (u = round(127 x) + 127 in 0..255, which is what libopus's x86
 * arithmetic and so the reference vectors use).  So the input is stored
 * shifted, s = u - 128 (u ^ 0x80), and the shift is added back exactly:
 *   sum_j w_j u_j = sum_j w_j s_j + 128 sum_j w_j,
 * the weight sums coming from a second SDOT against ones.  Both are exact
 * integer sums, so the outputs are the scalar path's bits. */
#include "kernels.h"

#ifdef DF_HAVE_NEON

#include "target_neon_dotprod.h"

#include <arm_neon.h>
#include <string.h>

#include "kernels_neon.h"

#if !defined(__clang__) || defined(__ARM_FEATURE_DOTPROD)
/* GCC's arm_neon.h follows the target pragma; a clang whose baseline has
 * SDOT (e.g. Apple clang) needs nothing either: the intrinsics. */
#define SDOT(acc, a, b) vdotq_s32(acc, a, b)
#define SDOT_LANE(acc, a, b, lane) vdotq_laneq_s32(acc, a, b, lane)
#else
/* Other clangs declare the SDOT intrinsics only when the whole file is
 * built for dotprod, and clang 14's assembler rejects the mnemonic in
 * inline asm without it: the instruction's encoding on fixed registers
 * (sdot v0.4s, v1.16b, v2.16b).  The indexed form becomes a lane broadcast
 * plus the plain one. */
static inline int32x4_t sdot_inst(int32x4_t acc, int8x16_t a, int8x16_t b)
{
    register int32x4_t d __asm__("v0") = acc;
    register int8x16_t n __asm__("v1") = a;
    register int8x16_t m __asm__("v2") = b;
    __asm__(".inst 0x4e829420" : "+w"(d) : "w"(n), "w"(m));
    return d;
}
#define SDOT(acc, a, b) sdot_inst(acc, a, b)
#define SDOT_LANE(acc, a, b, lane) sdot_inst(acc, a, vreinterpretq_s8_s32(vdupq_laneq_s32(vreinterpretq_s32_s8(b), lane)))
#endif

/* The 4 shifted inputs of a block in every 32-bit lane. */
static inline int8x16_t bcast4(const int8_t *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return vreinterpretq_s8_u32(vdupq_n_u32(v));
}

/* acc + 128 * wsum, then the float epilogue. */
static inline void finish(float *out, int32x4_t a0, int32x4_t a1, int32x4_t s0, int32x4_t s1,
                          const float *scale, const float *subias)
{
    df_neon_store_scaled(out, vaddq_s32(a0, vshlq_n_s32(s0, 7)), vaddq_s32(a1, vshlq_n_s32(s1, 7)), scale, subias);
}

/* An 8x4 block is two registers of 16 weights (rows 0-3 and 4-7, each row's
 * 4 weights contiguous), exactly SDOT's layout: lane r += row r . inputs. */
static void int8_dense(const df_linear *l, float *out, const int8_t *s)
{
    const int8_t *w = l->weights;
    const int8x16_t ones = vdupq_n_s8(1);
    int i, j;
    for (i = 0; i < l->nb_outputs; i += 8) {
        int32x4_t a0 = vdupq_n_s32(0), a1 = a0, b0 = a0, b1 = a0, s0 = a0, s1 = a0;
        j = 0;
        /* 16 inputs per load, one 4-input group per SDOT lane index; two
         * accumulator pairs halve the dependency chains. */
        for (; j + 16 <= l->nb_inputs; j += 16, w += 128) {
            const int8x16_t xv = vld1q_s8(s + j);
            int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
            int8x16_t w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
            a0 = SDOT_LANE(a0, w0, xv, 0);
            a1 = SDOT_LANE(a1, w1, xv, 0);
            b0 = SDOT_LANE(b0, w2, xv, 1);
            b1 = SDOT_LANE(b1, w3, xv, 1);
            s0 = SDOT(SDOT(s0, w0, ones), w2, ones);
            s1 = SDOT(SDOT(s1, w1, ones), w3, ones);
            w0 = vld1q_s8(w + 64), w1 = vld1q_s8(w + 80);
            w2 = vld1q_s8(w + 96), w3 = vld1q_s8(w + 112);
            a0 = SDOT_LANE(a0, w0, xv, 2);
            a1 = SDOT_LANE(a1, w1, xv, 2);
            b0 = SDOT_LANE(b0, w2, xv, 3);
            b1 = SDOT_LANE(b1, w3, xv, 3);
            s0 = SDOT(SDOT(s0, w0, ones), w2, ones);
            s1 = SDOT(SDOT(s1, w1, ones), w3, ones);
        }
        for (; j < l->nb_inputs; j += 4, w += 32) {
            const int8x16_t xv = bcast4(s + j);
            const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
            a0 = SDOT(a0, w0, xv);
            a1 = SDOT(a1, w1, xv);
            s0 = SDOT(s0, w0, ones);
            s1 = SDOT(s1, w1, ones);
        }
        finish(out + i, vaddq_s32(a0, b0), vaddq_s32(a1, b1), s0, s1, l->scale + i, l->subias + i);
    }
}

static void int8_sparse(const df_linear *l, float *out, const int8_t *s)
{
    const int8_t *w = l->weights;
    const int32_t *idx = l->weights_idx;
    const int8x16_t ones = vdupq_n_s8(1);
    int i, b;
    for (i = 0; i < l->nb_outputs; i += 8) {
        int32x4_t a0 = vdupq_n_s32(0), a1 = a0, b0 = a0, b1 = a0, s0 = a0, s1 = a0;
        const int nblocks = *idx++;
        for (b = 0; b + 2 <= nblocks; b += 2, idx += 2, w += 64) {
            const int8x16_t x0 = bcast4(s + idx[0]), x1 = bcast4(s + idx[1]);
            const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
            const int8x16_t w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
            a0 = SDOT(a0, w0, x0);
            a1 = SDOT(a1, w1, x0);
            b0 = SDOT(b0, w2, x1);
            b1 = SDOT(b1, w3, x1);
            s0 = SDOT(SDOT(s0, w0, ones), w2, ones);
            s1 = SDOT(SDOT(s1, w1, ones), w3, ones);
        }
        if (b < nblocks) {
            const int8x16_t x0 = bcast4(s + *idx++);
            const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
            a0 = SDOT(a0, w0, x0);
            a1 = SDOT(a1, w1, x0);
            s0 = SDOT(s0, w0, ones);
            s1 = SDOT(s1, w1, ones);
            w += 32;
        }
        finish(out + i, vaddq_s32(a0, b0), vaddq_s32(a1, b1), s0, s1, l->scale + i, l->subias + i);
    }
}

/* u - 128 as a signed byte: flip the top bit. */
static void shift_inputs(int8_t *s, const uint8_t *x, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16)
        vst1q_s8(s + i, vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x + i), vdupq_n_u8(0x80))));
    for (; i < n; i++)
        s[i] = (int8_t)(x[i] ^ 0x80);
}

static void linear_q_dotprod(const df_linear *l, float *out, const uint8_t *x)
{
    int8_t s[DF_MAX_INPUTS];
    shift_inputs(s, x, l->nb_inputs);
    if (l->weights_idx)
        int8_sparse(l, out, s);
    else
        int8_dense(l, out, s);
}

static void linear_dotprod(const df_linear *l, float *out, const float *in)
{
    if (l->weights && !l->float_weights) {
        uint8_t x[DF_MAX_INPUTS];
        df_neon_quantize_u8(x, in, l->nb_inputs);
        linear_q_dotprod(l, out, x);
    } else {
        df_neon_linear_float(l, out, in);
    }
}

const df_kernels df_kernels_neon_dotprod = {DF_ISA_NEON_DOTPROD, "neon_dotprod", linear_dotprod, linear_q_dotprod,
                                            df_neon_quantize_u8, df_neon_activation, df_neon_sparse16_accum,
                                            df_neon_scaled_exp, NULL};

#include "target_end.h"

#endif /* DF_HAVE_NEON */
