/* Internal: the per-ISA kernel tables and the constants they share. */
#ifndef DREDFAST_KERNELS_H
#define DREDFAST_KERNELS_H

#include "nnet.h"

/* libopus's rational approximations (dnn/vec_avx.h):
 *   tanh(x)    ~ x (N0 + N1 x^2 + N2 x^4) / (D0 + D1 x^2 + D2 x^4), clamped to [-1, 1]
 *   sigmoid(x) ~ 0.5 + x (M0 + M1 x^2 + M2 x^4) / (E0 + E1 x^2 + E2 x^4), clamped to [0, 1]
 * The trained models were tuned against exactly these, so we keep them. */
#define DF_TANH_N0 952.52801514f
#define DF_TANH_N1 96.39235687f
#define DF_TANH_N2 0.60863042f
#define DF_TANH_D0 952.72399902f
#define DF_TANH_D1 413.36801147f
#define DF_TANH_D2 11.88600922f
#define DF_SIGM_N0 238.13200378f
#define DF_SIGM_N1 6.02452230f
#define DF_SIGM_N2 0.00950985f
#define DF_SIGM_D0 952.72399902f
#define DF_SIGM_D1 103.34200287f
#define DF_SIGM_D2 0.74287558f

/* exp polynomial shared by every path's scaled_exp (see nnet.h). */
#define DF_EXP_LOG2E 1.44269504088896341f
#define DF_EXP_LN2 0.693147180559945309f
#define DF_EXP_SHIFTER 12582912.f /* 1.5 * 2^23: adding and subtracting it rounds to an integer */
#define DF_EXP_MIN -87.f
#define DF_EXP_C7 (1.f / 5040)
#define DF_EXP_C6 (1.f / 720)
#define DF_EXP_C5 (1.f / 120)
#define DF_EXP_C4 (1.f / 24)
#define DF_EXP_C3 (1.f / 6)

extern const df_kernels df_kernels_scalar;
#if defined(__x86_64__) || defined(__i386__)
#define DF_HAVE_X86 1
extern const df_kernels df_kernels_avx2;
extern const df_kernels df_kernels_avx512;
#endif
#if defined(__aarch64__)
#define DF_HAVE_NEON 1
extern const df_kernels df_kernels_neon;
extern const df_kernels df_kernels_neon_dotprod;
#endif

#endif
