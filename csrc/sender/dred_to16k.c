#include "dred_to16k.h"

#include <string.h>

/* One elliptic low-pass, b[0..7] and a[1..7] (a[0] = 1), as the float
 * constants libopus uses (its ellip(7, 0.2, 70, Wn) designs, 0.2 dB ripple,
 * 70 dB stop band); any other rounding of them would change the signal, which
 * tests/test_dred_encoder48.py checks bit for bit against libopus's.  Cutoffs:
 * 7750 Hz at 48 kHz (for 48 and 24 kHz input), 5800 Hz at 48 kHz (12 kHz
 * input: its band ends at 6 kHz), 3900 Hz at 16 kHz (8 kHz input). */
typedef struct {
    float b[DF_TO16K_ORDER + 1];
    float a[DF_TO16K_ORDER + 1];
} lowpass;

static const lowpass LP_7750_AT_48K = {
    {0.004523418224f, 0.005873358047f, 0.012980854831f, 0.014531340042f, 0.014531340042f, 0.012980854831f,
     0.005873358047f, 0.004523418224f},
    {1.f, -3.878718597768f, 7.748834257468f, -9.653651699533f, 8.007342726666f, -4.379450178552f, 1.463182111810f,
     -0.231720677804f}};
static const lowpass LP_5800_AT_48K = {
    {0.002033596776f, -0.001017101081f, 0.003673127243f, 0.001009165267f, 0.001009165267f, 0.003673127243f,
     -0.001017101081f, 0.002033596776f},
    {1.f, -4.930414411612f, 11.291643096504f, -15.322037343815f, 13.216403930898f, -7.220409219553f,
     2.310550142771f, -0.334338618782f}};
static const lowpass LP_3900_AT_16K = {
    {0.020109185709f, 0.081670120929f, 0.180401598565f, 0.259391051971f, 0.259391051971f, 0.180401598565f,
     0.081670120929f, 0.020109185709f},
    {1.f, -1.393651933659f, 2.609789872676f, -2.403541968806f, 2.056814957331f, -1.148908574570f, 0.473001413788f,
     -0.110359852412f}};

int df_to16k_init(df_to16k *st, int fs, int channels)
{
    if (fs != 8000 && fs != 12000 && fs != 16000 && fs != 24000 && fs != 48000) return -1;
    if (channels != 1 && channels != 2) return -1;
    st->fs = fs;
    st->channels = channels;
    df_to16k_reset(st);
    return 0;
}

void df_to16k_reset(df_to16k *st)
{
    memset(st->mem, 0, sizeof st->mem);
}

/* Zero-stuffing factor: the filter runs at 48 kHz (16 kHz for 8 kHz input). */
static int stuffing(int fs)
{
    switch (fs) {
    case 8000: return 2;
    case 12000: return 4;
    case 24000: return 2;
    default: return 1;
    }
}

/* Direct form II transposed, in libopus's operation order: the newest state
 * term first, then the input term, then the (negated) output term; the last
 * state slot reads a zero, as libopus's order-8 loop over 7 coefficients.
 * The state lives in locals so the recurrence stays in registers (out may
 * alias in, which would otherwise force a store and reload of every state
 * word per sample). */
static void run_lowpass(const lowpass *f, float *mem, const float *in, float *out, int n)
{
    const float b0 = f->b[0], b1 = f->b[1], b2 = f->b[2], b3 = f->b[3], b4 = f->b[4], b5 = f->b[5], b6 = f->b[6],
                b7 = f->b[7];
    const float a1 = f->a[1], a2 = f->a[2], a3 = f->a[3], a4 = f->a[4], a5 = f->a[5], a6 = f->a[6], a7 = f->a[7];
    float m0 = mem[0], m1 = mem[1], m2 = mem[2], m3 = mem[3], m4 = mem[4], m5 = mem[5], m6 = mem[6];
    int i;
    for (i = 0; i < n; i++) {
        const float x = in[i];
        const float y = x * b0 + m0;
        const float ny = -y;
        m0 = m1 + b1 * x + a1 * ny;
        m1 = m2 + b2 * x + a2 * ny;
        m2 = m3 + b3 * x + a3 * ny;
        m3 = m4 + b4 * x + a4 * ny;
        m4 = m5 + b5 * x + a5 * ny;
        m5 = m6 + b6 * x + a6 * ny;
        m6 = 0.f + b7 * x + a7 * ny;
        out[i] = y;
    }
    mem[0] = m0;
    mem[1] = m1;
    mem[2] = m2;
    mem[3] = m3;
    mem[4] = m4;
    mem[5] = m5;
    mem[6] = m6;
}

/* FLOAT2INT16 of a float build: scale, saturate, round half to even (lrintf
 * in the default rounding mode).  Adding and removing 1.5 * 2^23 rounds a
 * float of magnitude below 2^22 to the nearest integer, ties to even, in
 * float arithmetic (no contraction, no fast-math here): the same value as
 * lrintf without a libm call per sample. */
static inline float to_int16(float x)
{
    const float magic = 12582912.f; /* 1.5 * 2^23 */
    x *= 32768.f;
    x = x < -32768.f ? -32768.f : x;
    x = x > 32767.f ? 32767.f : x;
    return (x + magic) - magic;
}

void df_to16k_run(df_to16k *st, const float *in, int n, float *out)
{
    float buf[3 * DF_TO16K_MAX_OUT]; /* the stuffed signal, at 48 kHz at most */
    const int up = stuffing(st->fs);
    const int n_up = up * n;
    const float gain = (float)up; /* keeps the level through the zero-stuffing */
    int i;
    if (n_up > 3 * DF_TO16K_MAX_OUT) return; /* not reached: the sender passes at most 20 ms */
    memset(buf, 0, (size_t)n_up * sizeof(float));
    if (st->channels == 1) {
        for (i = 0; i < n; i++) buf[up * i] = to_int16(gain * in[i]) + 1e-30f;
    } else {
        /* libopus computes .5*up*(l + r) in double; with up a power of two
         * that is exactly this float product. */
        const float half = 0.5f * gain;
        for (i = 0; i < n; i++) buf[up * i] = to_int16(half * (in[2 * i] + in[2 * i + 1])) + 1e-30f;
    }
    switch (st->fs) {
    case 16000:
        memcpy(out, buf, (size_t)n * sizeof(float));
        break;
    case 8000:
        run_lowpass(&LP_3900_AT_16K, st->mem, buf, out, n_up);
        break;
    default: /* 12, 24, 48 kHz: filtered at 48 kHz, every third sample kept */
        run_lowpass(st->fs == 12000 ? &LP_5800_AT_48K : &LP_7750_AT_48K, st->mem, buf, buf, n_up);
        for (i = 0; i < n_up / 3; i++) out[i] = buf[3 * i];
        break;
    }
}

/* The low-pass state of one pass, kept in locals by the compiler. */
typedef struct {
    float m0, m1, m2, m3, m4, m5, m6;
} lp_state;

/* One sample of run_lowpass (same operations, same order). */
static inline float lowpass_step(const lowpass *f, lp_state *m, float x)
{
    const float y = x * f->b[0] + m->m0;
    const float ny = -y;
    m->m0 = m->m1 + f->b[1] * x + f->a[1] * ny;
    m->m1 = m->m2 + f->b[2] * x + f->a[2] * ny;
    m->m2 = m->m3 + f->b[3] * x + f->a[3] * ny;
    m->m3 = m->m4 + f->b[4] * x + f->a[4] * ny;
    m->m4 = m->m5 + f->b[5] * x + f->a[5] * ny;
    m->m5 = m->m6 + f->b[6] * x + f->a[6] * ny;
    m->m6 = 0.f + f->b[7] * x + f->a[7] * ny;
    return y;
}

int df_to16k_run_highpass(df_to16k *st, df_highpass hp[2], int cutoff_hz, const float *in, int n, float *out)
{
    const lowpass *f = &LP_7750_AT_48K;
    const df_highpass_coefs c = df_highpass_design(cutoff_hz, 48000);
    lp_state m = {st->mem[0], st->mem[1], st->mem[2], st->mem[3], st->mem[4], st->mem[5], st->mem[6]};
    float l0 = hp[0].mem[0], l1 = hp[0].mem[1], r0 = hp[1].mem[0], r1 = hp[1].mem[1];
    int i;
    if (st->fs != 48000 || n % 3) return -1;
    for (i = 0; i < n; i++) {
        float v;
        if (st->channels == 1) {
            v = to_int16(df_highpass_step(&c, in[i], &l0, &l1)) + 1e-30f;
        } else {
            const float yl = df_highpass_step(&c, in[2 * i], &l0, &l1);
            const float yr = df_highpass_step(&c, in[2 * i + 1], &r0, &r1);
            v = to_int16(0.5f * (yl + yr)) + 1e-30f;
        }
        /* every third low-passed sample is the 16 kHz signal */
        const float y = lowpass_step(f, &m, v);
        if (i % 3 == 0) out[i / 3] = y;
    }
    st->mem[0] = m.m0;
    st->mem[1] = m.m1;
    st->mem[2] = m.m2;
    st->mem[3] = m.m3;
    st->mem[4] = m.m4;
    st->mem[5] = m.m5;
    st->mem[6] = m.m6;
    hp[0].mem[0] = l0;
    hp[0].mem[1] = l1;
    hp[1].mem[0] = r0;
    hp[1].mem[1] = r1;
    return 0;
}
