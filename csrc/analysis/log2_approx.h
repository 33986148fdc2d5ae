/* Internal: libopus's approximate log2 (celt_log2, FLOAT_APPROX), shared
 * by the portable analysis and its AVX2 version so both use the very same
 * constants. */
#ifndef DREDFAST_LOG2_APPROX_H
#define DREDFAST_LOG2_APPROX_H
#include <stdint.h>

static const float df_an_log2_inv_step[8] = {   /* 1 / (1 + k/8), float-rounded */
    1.000000000000000000000000000f, 8.88888895511627197265625e-01f,
    8.00000000000000000000000e-01f, 7.27272748947143554687500e-01f,
    6.66666686534881591796875e-01f, 6.15384638309478759765625e-01f,
    5.71428596973419189453125e-01f, 5.33333361148834228515625e-01f};
static const float df_an_log2_step[8] = {  /* log2(1 + k/8), float-rounded */
    0.0f, 1.699250042438507080078125e-01f, 3.219280838966369628906250e-01f,
    4.594316184520721435546875e-01f, 5.849624872207641601562500e-01f,
    7.004396915435791015625000e-01f, 8.073549270629882812500000e-01f,
    9.068905711174011230468750e-01f};
#define DF_AN_LOG2_C0 8.74628424644470214843750000e-02f
#define DF_AN_LOG2_C1 1.357829570770263671875000000000f
#define DF_AN_LOG2_C2 -6.3897705078125000000000000e-01f
#define DF_AN_LOG2_C3 4.01971250772476196289062500e-01f
#define DF_AN_LOG2_C4 -2.8415444493293762207031250e-01f
#define DF_AN_LOG10_2 0.3010299957f   /* log10(x) = this * log2(x) */

/* log2 as libopus's float build computes it (celt_log2 with FLOAT_APPROX,
 * which the reference build used; the exact log differs by ~1e-7 and that
 * alone breaks bit-exactness of the cepstrum and pitch).  Method: split off
 * the binary exponent, map the mantissa m in [1, 2) into [1, 1.125) by
 * multiplying with 1/(1 + k/8) for its top three fraction bits k (the
 * log2 of that factor is added back from a table), then evaluate a degree-4
 * minimax polynomial of log2(1.0625 + t) for t = m' - 1.0625 in
 * [-0.0625, 0.0625].  The constants are the float values libopus uses. */
static inline float df_an_log2_approx(float x)
{
    union {
        float f;
        uint32_t u;
    } v;
    v.f = x;
    const int32_t expo = (int32_t)(v.u >> 23) - 127;
    v.u -= (uint32_t)expo << 23;            /* mantissa now in [1, 2) */
    const int k = (int)((v.u >> 20) & 7);   /* top three fraction bits */
    const float t = v.f * df_an_log2_inv_step[k] - 1.0625f;
    const float poly = DF_AN_LOG2_C0 + t * (DF_AN_LOG2_C1 + t * (DF_AN_LOG2_C2 + t * (DF_AN_LOG2_C3 + t * DF_AN_LOG2_C4)));
    return (float)expo + poly + df_an_log2_step[k];
}

#endif
